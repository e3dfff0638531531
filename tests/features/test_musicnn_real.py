"""musicnn on real recordings (the Debian music of ``make music``): relative, not absolute, checks.

The middle 15 s of every metal song and orchestral piece are embedded (as a retrieval library
is). Measured when written: 7 of the 8 metal songs lean further towards rock/metal/guitar than
all 32 orchestral pieces; the eighth, Muldjord's slow "Feelings", sits inside the orchestral range.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from b2m.analysis import rank_by_text, text_to_tags
from b2m.features import get_feature_space
from b2m.reconstruction import debian_music_library

pytestmark = pytest.mark.realmusic


@pytest.fixture(scope="module")
def libraries(real_music_root, tmp_path_factory):
    home = tmp_path_factory.mktemp("real_music_cache")
    return {
        space: debian_music_library(
            space,
            root=real_music_root,
            data_home=home,
            styles=["metal", "orchestral"],
            progressbar=False,
        )
        for space in ("musicnn", "musicnn-msd")
    }


def _lean(library, towards, away):
    fs = get_feature_space(library.space)
    logits = fs.tags_from_embedding(library.embeddings)
    col = [fs.tag_names.index(t) for t in (*towards, *away)]
    k = len(towards)
    return logits[:, col[:k]].mean(1) - logits[:, col[k:]].mean(1), logits


def test_metal_songs_lean_towards_rock_tags_and_orchestral_pieces_away(libraries):
    lib = libraries["musicnn"]
    genre = lib.metadata["genre"].to_numpy()
    assert (genre == "metal").sum() == 8 and (genre == "orchestral").sum() == 32
    lean, _ = _lean(lib, ("rock", "metal", "guitar"), ("classical", "strings", "violin"))
    metal, orchestral = lean[genre == "metal"], lean[genre == "orchestral"]
    assert roc_auc_score(genre == "metal", lean) >= 0.95
    assert (metal > orchestral.max()).sum() >= 7
    assert np.median(metal) > 0 > np.median(orchestral)


def test_msd_model_hears_metal_in_the_metal_songs(libraries):
    lib = libraries["musicnn-msd"]
    genre = lib.metadata["genre"].to_numpy()
    lean, logits = _lean(lib, ("metal", "heavy metal", "rock"), ("instrumental", "ambient"))
    assert roc_auc_score(genre == "metal", lean) >= 0.9
    names = get_feature_space("musicnn-msd").tag_names
    top = [names[i] for i in np.argsort(-logits[genre == "metal"].mean(0))[:5]]
    assert {"metal", "rock"} & set(top), top


def test_the_text_heavy_metal_ranks_metal_songs_above_orchestral_pieces(libraries):
    lib = libraries["musicnn"]
    fs = get_feature_space("musicnn")
    logits = fs.tags_from_embedding(lib.embeddings)
    genre = lib.metadata["genre"].to_numpy()
    ranked = rank_by_text(text_to_tags("heavy metal", fs.tag_names), logits, lib.metadata["clip_id"],
                          genres=genre)  # fmt: skip
    assert ranked["genre"].iloc[0] == "metal"
    score = ranked.set_index("clip_id").loc[lib.metadata["clip_id"], "score"].to_numpy()
    assert roc_auc_score(genre == "metal", score) >= 0.95
    calm = rank_by_text(text_to_tags("calm strings, violin", fs.tag_names), logits)
    assert genre[int(calm["clip_id"].iloc[0])] == "orchestral"


def test_library_metadata_and_audio(libraries):
    lib = libraries["musicnn"]
    meta = lib.metadata
    assert set(meta.columns) >= {"clip_id", "genre", "title", "licence", "path", "start", "end"}
    assert not meta["clip_id"].str.startswith("/").any()  # relative to the music folder
    assert ((meta["end"] - meta["start"]).round(3) == 15.0).all()
    wave, sr = lib.load_audio(meta["clip_id"].iloc[0])
    assert wave.ndim == 1 and abs(len(wave) / sr - 15.0) < 0.05 and np.isfinite(wave).all()
    with pytest.raises(ValueError, match="clip_id must be a track of this library"):
        lib.load_audio("nope")
