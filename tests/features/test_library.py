"""Embedding a folder of music as a retrieval library: in-process, on Dask, and bad input."""

from __future__ import annotations

import os
import socket
import sys

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from b2m.features import AcousticFeatures, embed_music_folder
from b2m.features._library import UnreadableAudioWarning, find_audio_files
from b2m.models import LibraryIndex

SR = 22050


def _tone(seconds: float, f0: float, sr: int = SR, seed: int = 0) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    noise = np.random.default_rng(seed).standard_normal(t.size)
    am = 1 + 0.5 * np.sin(2 * np.pi * 2.0 * t)  # a 2 Hz pulse, so rhythm features vary
    return (0.3 * am * np.sin(2 * np.pi * f0 * t) + 0.02 * noise).astype(np.float32)


@pytest.fixture
def music_dir(tmp_path):
    """blues/ and rock/ (wav, flac, ogg, mp3; 22.05 and 16 kHz), a top-level file, junk."""
    root = tmp_path / "music"
    waves = {}
    specs = [
        ("blues/blues.00000.wav", 4.0, 220, SR),
        ("blues/blues.00001.flac", 5.0, 247, SR),
        ("blues/blues.00002.ogg", 4.0, 262, SR),
        ("rock/rock.00000.wav", 6.0, 330, SR),
        ("rock/rock.00001.wav", 4.0, 392, 16000),
        ("rock/rock.00002.mp3", 4.0, 440, SR),
        ("loose.wav", 3.0, 523, SR),
    ]
    for i, (rel, seconds, f0, sr) in enumerate(specs):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        waves[rel] = (_tone(seconds, f0, sr, seed=i), sr)
        sf.write(path, *waves[rel])
    (root / "rock" / "broken.wav").write_bytes(b"RIFF but not really a wave file")
    (root / "notes.txt").write_text("not audio")
    (root / ".hidden").mkdir()
    sf.write(root / ".hidden" / "skip.wav", _tone(1.0, 100), SR)
    return root, waves


def test_find_audio_files_sorted_skips_hidden_and_other_files(music_dir):
    root, waves = music_dir
    found = [p.as_posix() for p in find_audio_files(root)]
    assert found == sorted([*waves, "rock/broken.wav"])


def test_in_process_library_metadata_excerpt_and_failures(music_dir):
    root, waves = music_dir
    index, failures = embed_music_folder(
        root, "acoustic", excerpt=(1.0, 3.0), chunk_size=3, progressbar=False, return_failures=True
    )
    assert isinstance(index, LibraryIndex)
    meta = index.metadata
    assert meta["clip_id"].tolist() == [p.rsplit(".", 1)[0] for p in sorted(waves)]
    assert list(meta.columns) == [
        "clip_id",
        "path",
        "genre",
        "duration",
        "start",
        "end",
        "sample_rate",
    ]
    genres = dict(zip(meta["clip_id"], meta["genre"], strict=True))
    assert genres["blues/blues.00001"] == "blues" and genres["rock/rock.00002"] == "rock"
    assert pd.isna(genres["loose"])  # directly in the folder: no genre
    assert (meta["start"] == 1.0).all() and (meta["end"] == 3.0).all()
    row = meta.set_index("clip_id").loc["rock/rock.00000"]
    assert row["duration"] == pytest.approx(6.0) and row["sample_rate"] == SR
    assert meta.set_index("clip_id").loc["rock/rock.00001", "sample_rate"] == 16000
    assert [p for p, _ in failures] == ["rock/broken.wav"]
    assert "LibsndfileError" in failures[0][1]
    # Each row is the (normalised) embedding of exactly the requested window.
    wave, sr = sf.read(root / "rock" / "rock.00000.wav", dtype="float32")  # as stored (16 bit)
    expected = AcousticFeatures().embed_audio([wave[sr : 3 * sr]], sr)[0]
    expected /= np.linalg.norm(expected)
    i = meta.index[meta["clip_id"] == "rock/rock.00000"][0]
    np.testing.assert_allclose(index.embeddings[i], expected, rtol=1e-5, atol=1e-6)
    # Retrieval finds each file from its own embedding.
    hits = index.search(index.embeddings, k=1).indices[:, 0]
    assert hits.tolist() == list(range(index.n_items))


def test_default_excerpt_is_the_middle_and_whole_reads_all(music_dir):
    root, _ = music_dir
    with pytest.warns(UnreadableAudioWarning, match=r"(?s)Skipped 1 of 8 .*rock/broken.wav") as rec:
        middle = embed_music_folder(root, "acoustic", excerpt=2.0, progressbar=False)
    assert rec[0].message.failures[0][0] == "rock/broken.wav"
    m = middle.metadata.set_index("clip_id")
    assert m.loc["rock/rock.00000", "start"] == pytest.approx(2.0)
    assert m.loc["rock/rock.00000", "end"] == pytest.approx(4.0)
    with pytest.warns(UnreadableAudioWarning):
        default = embed_music_folder(root, "acoustic", progressbar=False)  # 15 s > every file
        whole = embed_music_folder(root, "acoustic", excerpt=None, progressbar=False)
    np.testing.assert_array_equal(default.embeddings, whole.embeddings)
    w = whole.metadata
    assert (w["start"] == 0).all() and np.allclose(w["end"], w["duration"])


def test_resampling_and_short_files(music_dir):
    root, _ = music_dir
    index, failures = embed_music_folder(
        root,
        "acoustic",
        excerpt=(3.5, 10.0),
        sample_rate=16000,
        progressbar=False,
        return_failures=True,
    )
    assert (index.metadata["sample_rate"] == 16000).all()
    # 3-s loose.wav is shorter than the excerpt start: skipped with the reason.
    reasons = dict(failures)
    assert "excerpt start 3.5 s" in reasons["loose.wav"]
    assert set(reasons) == {"loose.wav", "rock/broken.wav"}
    assert (index.metadata["end"] <= index.metadata["duration"] + 1e-9).all()


def test_dask_cluster_gives_the_in_process_result(music_dir):
    distributed = pytest.importorskip("distributed")
    root, _ = music_dir
    reference, ref_failures = embed_music_folder(
        root, "acoustic", excerpt=3.0, chunk_size=2, progressbar=False, return_failures=True
    )
    with (
        distributed.LocalCluster(
            processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        by_address, failures = embed_music_folder(
            root,
            "acoustic",
            scheduler=cluster.scheduler_address,
            excerpt=3.0,
            chunk_size=2,
            progressbar=False,
            return_failures=True,
        )
        by_client, _ = embed_music_folder(
            root,
            AcousticFeatures(),
            scheduler=client,
            excerpt=3.0,
            chunk_size=3,
            progressbar=False,
            return_failures=True,
        )
        assert client.status == "running"  # a client passed in is not closed
    np.testing.assert_array_equal(by_address.embeddings, reference.embeddings)
    pd.testing.assert_frame_equal(by_address.metadata, reference.metadata)
    assert failures == ref_failures
    np.testing.assert_array_equal(by_client.embeddings, reference.embeddings)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_scheduler_is_a_clear_error(music_dir):
    pytest.importorskip("distributed")
    root, _ = music_dir
    address = f"tcp://127.0.0.1:{_closed_port()}"
    with pytest.raises(ConnectionError, match=r"could not connect to a Dask scheduler at .* 0.5 s"):
        embed_music_folder(root, scheduler=address, connect_timeout=0.5, progressbar=False)
    with pytest.raises(ValueError, match=r"scheduler must be .*received 'nonsense'"):
        embed_music_folder(root, scheduler="nonsense", progressbar=False)


@pytest.mark.parametrize(
    "excerpt", [0, -1.0, float("inf"), (3, 1), (-1, 2), (1,), "15", True, (True, 2), (0, "x")]
)
def test_bad_excerpt(music_dir, excerpt):
    with pytest.raises(ValueError, match=r"excerpt must be a positive length in seconds"):
        embed_music_folder(music_dir[0], excerpt=excerpt, progressbar=False)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"chunk_size": 0}, ValueError, r"chunk_size must be a positive integer; received 0"),
        ({"chunk_size": 2.5}, ValueError, r"chunk_size must be a positive integer"),
        ({"sample_rate": -1}, ValueError, r"sample_rate must be a positive integer"),
        ({"connect_timeout": 0}, ValueError, r"connect_timeout must be a positive number"),
        (
            {"space": "genre"},
            ValueError,
            r"space must embed audio; received 'genre', a label space",
        ),
        ({"space": "nope"}, ValueError, r"space must be one of .*received 'nope'"),
        ({"space": 3}, TypeError, r"space must be a feature-space name or a FeatureSpace"),
        ({"scheduler": 3}, TypeError, r"scheduler must be None, 'local', .*received int"),
        ({"scheduler": " "}, ValueError, r"scheduler must be None, 'local' or a scheduler"),
    ],
)
def test_bad_arguments(music_dir, kwargs, error, message):
    with pytest.raises(error, match=message):
        embed_music_folder(music_dir[0], progressbar=False, **kwargs)


def test_bad_folders(tmp_path):
    with pytest.raises(
        FileNotFoundError, match=r"folder must be an existing directory .*not exist"
    ):
        embed_music_folder(tmp_path / "missing")
    (tmp_path / "file.wav").write_bytes(b"x")
    with pytest.raises(FileNotFoundError, match=r"which is a file"):
        embed_music_folder(tmp_path / "file.wav")
    empty = tmp_path / "empty"
    (empty / "sub").mkdir(parents=True)
    (empty / "sub" / "readme.md").write_text("no audio")
    with pytest.raises(ValueError, match=r"folder must contain audio files .*none found"):
        embed_music_folder(empty)
    with pytest.raises(ValueError, match=r"none of the 1 audio files .*file.wav: LibsndfileError"):
        embed_music_folder(tmp_path, progressbar=False)
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    sf.write(corrupt / "nan.wav", np.full(SR, np.nan, np.float32), SR, subtype="FLOAT")
    with pytest.raises(ValueError, match=r"none of the 1 .*nan.wav: ValueError: the samples"):
        embed_music_folder(corrupt, progressbar=False)


def test_local_cluster_in_worker_processes(music_dir):
    """Same library as in-process; this process's environment is left as it was (dask's
    nanny sets OMP_NUM_THREADS=1 and more here for its workers to inherit)."""
    pytest.importorskip("distributed")
    root, _ = music_dir
    environ = dict(os.environ)
    reference = embed_music_folder(
        root, "acoustic", excerpt=3.0, progressbar=False, return_failures=True
    )
    local = embed_music_folder(
        root,
        "acoustic",
        scheduler="local",
        n_workers=1,
        excerpt=3.0,
        chunk_size=4,
        progressbar=False,
        return_failures=True,
    )
    np.testing.assert_array_equal(local[0].embeddings, reference[0].embeddings)
    assert local[1] == reference[1]
    assert dict(os.environ) == environ


def test_missing_dask_names_the_extra(music_dir, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed → ImportError
    with pytest.raises(
        ImportError, match=r"install the dask extra: pip install 'b2m-explorer\[dask\]'"
    ):
        embed_music_folder(music_dir[0], scheduler="local", progressbar=False)
    with pytest.raises(TypeError, match=r"scheduler must be None, 'local', .*received object"):
        embed_music_folder(music_dir[0], scheduler=object(), progressbar=False)


def test_resolve_feature_space_names_the_callers_parameter():
    from b2m.features import AcousticFeatures, resolve_feature_space

    space = AcousticFeatures()
    assert resolve_feature_space(space, modality="audio") is space
    assert resolve_feature_space("text-lsa", modality="text").name == "text-lsa"
    with pytest.raises(
        ValueError, match=r"--space must be one of \[.*'acoustic'.*\]; received 'x'"
    ):
        resolve_feature_space("x", param="--space")
    with pytest.raises(ValueError, match=r"library must embed text; received 'acoustic'"):
        resolve_feature_space("acoustic", modality="text", param="library")


def test_available_spaces_leaves_out_a_space_whose_extra_is_missing(monkeypatch):
    from b2m.features import _registry, available_spaces

    real = _registry.get_feature_space

    def without_torch(name, **params):
        if name.startswith("musicnn"):
            raise ImportError("needs the [musicnn] extra: pip install 'b2m-explorer[musicnn]'")
        return real(name, **params)

    monkeypatch.setattr(_registry, "get_feature_space", without_torch)
    said = []
    kept = available_spaces(["acoustic", "musicnn", "genre"], report=said.append)
    assert kept == ["acoustic", "genre"]
    assert len(said) == 1 and "'musicnn'" in said[0] and "[musicnn] extra" in said[0]
    with pytest.raises(ValueError, match="name must be one of"):
        available_spaces(["no-such-space"])  # not an ImportError: raised, not skipped
