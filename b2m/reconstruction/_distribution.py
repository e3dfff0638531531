"""Distribution metrics of reconstructions: Fréchet distances and top-k identification.

Identification (:mod:`b2m.reconstruction._evaluate`) asks whether each reconstruction is
closer to its own stimulus than to the others. The Fréchet distance asks a different
question: do the reconstructions, as a *set*, look like the stimuli — the same spread, the
same centre — in an embedding space? It is the distance between two Gaussians fitted to the
two sets of embeddings (Heusel et al. 2017's FID, Kilgour et al. 2019's FAD)::

    FD = |mu_a - mu_b|^2 + tr(S_a) + tr(S_b) - 2 tr((S_a S_b)^(1/2))

Choices, documented here once:

- **Space.** The evaluation's feature space, standardised with the training clips'
  statistics (as identification is), then projected onto the first ``n_components``
  principal axes of the training clips (:class:`FrechetSpace`). With 60 test clips and
  129 (acoustic) or 200 (musicnn) dimensions, a sample covariance is singular; the training
  clips (480) fix a basis independent of the sets being compared, the same for every
  backend and reference, in which 60 clips give a full-rank covariance.
- **Covariance.** The sample covariance when there are more samples than dimensions;
  otherwise Ledoit–Wolf shrinkage (:func:`sklearn.covariance.ledoit_wolf`), which is well
  conditioned for any sample size (``shrinkage="auto"``).
- **Per clip.** One reconstruction is one point: its Gaussian is that of its
  *neighbourhood*, the point together with its ``n_neighbours`` nearest training clips
  (Euclidean, in the projected space; a training clip identical to the point counts once).
  The per-clip distance is the Fréchet distance between the reconstruction's neighbourhood
  and its stimulus's neighbourhood (:func:`local_frechet`): 0 for a perfect reconstruction,
  growing as the two neighbourhoods drift apart.
- **Intervals.** A bootstrap over clips, resampled in pairs (reconstruction and its stimulus
  together), :func:`bootstrap_frechet`; its percentiles are shifted by the resampling bias
  (resampling with replacement repeats clips, which inflates the distance as a smaller sample
  would), so the interval is the spread the clip sample causes around the estimate.
- **Reference.** Random training clips, the same number as the reconstructions, in place of
  the reconstructions (the evaluation's chance draws): their distance is what "unrelated but
  plausible music" scores. Note that the Fréchet distance of finite samples is biased upward
  (two samples of one distribution are not at 0), so compare backends with each other and
  with the reference at equal sizes, not with 0.

Top-k identification (the true clip among the ``k`` stimuli most correlated with the
reconstruction) reuses :func:`b2m.models.top_k_accuracy`, per row (:func:`top_k_rows`).
"""

from __future__ import annotations

import warnings

import numpy as np

from b2m._utils._validation import check_array
from b2m.models import top_k_accuracy

__all__ = [
    "FrechetSpace",
    "bootstrap_frechet",
    "frechet_distance",
    "gaussian_frechet",
    "local_frechet",
    "top_k_rows",
]

#: Largest imaginary part of the diagonal of the matrix square root accepted as rounding noise.
_IMAG_TOL = 1e-3


def _check_shrinkage(shrinkage):
    if shrinkage not in ("auto", True, False):
        raise ValueError(f"shrinkage must be 'auto', True or False; received {shrinkage!r}.")
    return shrinkage


def gaussian_fit(x, name: str = "x", *, shrinkage="auto") -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of the rows of ``x``.

    Parameters
    ----------
    x : array of shape (n, d)
        ``n >= 2`` finite samples.
    name : str
        Parameter name used in error messages.
    shrinkage : {"auto", True, False}, default "auto"
        ``True``: Ledoit–Wolf shrinkage; ``False``: the sample covariance (``ddof=1``);
        ``"auto"``: shrinkage when ``n <= d`` (where the sample covariance is singular).

    Returns
    -------
    mean : ndarray of shape (d,)
    cov : ndarray of shape (d, d)
    """
    from sklearn import config_context
    from sklearn.covariance import ledoit_wolf

    x = check_array(x, name, ndim=2, min_samples=2)
    _check_shrinkage(shrinkage)
    shrink = shrinkage is True or (shrinkage == "auto" and len(x) <= x.shape[1])
    mean = x.mean(0)
    if shrink:
        with config_context(skip_parameter_validation=True):  # x is checked above
            cov = ledoit_wolf(x)[0]
    else:
        cov = np.atleast_2d(np.cov(x, rowvar=False, ddof=1))
    return mean, cov


def gaussian_frechet(mean_a, cov_a, mean_b, cov_b, *, eps: float = 1e-6) -> float:
    """Fréchet (2-Wasserstein squared) distance between two Gaussians, in closed form.

    ``|mean_a - mean_b|² + tr(cov_a) + tr(cov_b) - 2 tr((cov_a cov_b)^(1/2))``, the square
    root by :func:`scipy.linalg.sqrtm` with the usual care: when the product is too singular
    for a finite root, ``eps`` is added to both diagonals; an imaginary part left by rounding
    is dropped (a large one is an error); a tiny negative result is clipped to 0.

    Parameters
    ----------
    mean_a, mean_b : array of shape (d,)
    cov_a, cov_b : array of shape (d, d)
        Symmetric positive semi-definite covariances.
    eps : float, default 1e-6
        Diagonal offset used only when the plain square root is not finite.

    Returns
    -------
    float
        >= 0; symmetric in its two Gaussians.
    """
    from scipy.linalg import sqrtm

    mean_a = check_array(mean_a, "mean_a", ndim=1)
    mean_b = check_array(mean_b, "mean_b", shape=(len(mean_a),))
    d = len(mean_a)
    cov_a = check_array(cov_a, "cov_a", shape=(d, d))
    cov_b = check_array(cov_b, "cov_b", shape=(d, d))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # singular products: handled below
        root = sqrtm(cov_a @ cov_b)
        if not np.isfinite(root).all():
            offset = np.eye(d) * eps
            root = sqrtm((cov_a + offset) @ (cov_b + offset))
    if np.iscomplexobj(root):
        if np.abs(np.diagonal(root).imag).max() > _IMAG_TOL:
            raise ValueError(
                "cov_a and cov_b must be positive semi-definite; the square root of their "
                f"product has an imaginary part of {np.abs(np.diagonal(root).imag).max():.3g}."
            )
        root = root.real
    diff = mean_a - mean_b
    value = diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2.0 * np.trace(root)
    return float(max(value, 0.0))


def _check_pair(a, b, min_samples: int = 2):
    a = check_array(a, "a", ndim=2, min_samples=min_samples)
    b = check_array(b, "b", ndim=2, min_samples=min_samples)
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"a and b must have the same number of columns; received {a.shape[1]} and {b.shape[1]}."
        )
    return a, b


def frechet_distance(a, b, *, shrinkage="auto") -> float:
    """Fréchet distance between Gaussians fitted to two sets of embeddings.

    Parameters
    ----------
    a : array of shape (n_a, d)
        E.g. embeddings of reconstructions; ``n_a >= 2``.
    b : array of shape (n_b, d)
        E.g. embeddings of the stimuli; ``n_b >= 2``.
    shrinkage : {"auto", True, False}, default "auto"
        Covariance estimate of each set (see :func:`gaussian_fit`): Ledoit–Wolf shrinkage
        where a set has no more samples than dimensions.

    Returns
    -------
    float
        0 for identical sets; ``|mu_a - mu_b|²`` for two sets that differ by a shift.
    """
    a, b = _check_pair(a, b)
    return gaussian_frechet(
        *gaussian_fit(a, "a", shrinkage=shrinkage), *gaussian_fit(b, "b", shrinkage=shrinkage)
    )


def bootstrap_frechet(
    a, b, *, n_boot: int = 200, level: float = 0.95, seed: int = 0, shrinkage="auto"
) -> tuple[float, float, float]:
    """Fréchet distance of two paired sets and its bias-shifted bootstrap interval.

    Rows are resampled in pairs (row ``i`` of ``a`` with row ``i`` of ``b``: a
    reconstruction with its stimulus), so the interval reflects which clips happened to be
    tested. A resample repeats some clips and leaves others out, and the Fréchet distance of
    fewer distinct samples is larger (its finite-sample bias): a plain percentile interval
    can lie entirely above the estimate (measured: 8.3 against [12.3, …] for random
    training clips on the simulated study). The bootstrap distances are therefore shifted by
    the excess of their mean over the estimate before taking percentiles (the low bound
    clipped at 0): the interval shows the spread, centred on the estimate.

    Parameters
    ----------
    a, b : array of shape (n, d)
        Paired sets, ``n >= 2``.
    n_boot : int, default 200
        Bootstrap resamples (0: no interval, both bounds NaN).
    level : float, default 0.95
        Coverage of the interval, in (0, 1).
    seed : int, default 0
    shrinkage : {"auto", True, False}, default "auto"
        See :func:`frechet_distance`.

    Returns
    -------
    (distance, low, high) : tuple of float
    """
    a, b = _check_pair(a, b)
    if len(a) != len(b):
        raise ValueError(
            f"a and b must be paired (the same number of rows); received {len(a)} and {len(b)}."
        )
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 0:
        raise ValueError(f"n_boot must be an integer >= 0; received {n_boot!r}.")
    if not isinstance(level, (int, float)) or not 0 < level < 1:
        raise ValueError(f"level must be a number in (0, 1); received {level!r}.")
    point = frechet_distance(a, b, shrinkage=shrinkage)
    if n_boot == 0:
        return point, float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    values = np.empty(int(n_boot))
    for j in range(int(n_boot)):
        rows = rng.integers(len(a), size=len(a))
        values[j] = frechet_distance(a[rows], b[rows], shrinkage=shrinkage)
    values -= values.mean() - point  # the resampling bias, estimated by the bootstrap itself
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(values, [tail, 100 - tail])
    return point, float(max(low, 0.0)), float(high)


def _neighbourhoods(points, pool, n_neighbours: int) -> np.ndarray:
    """Rows of ``pool`` forming each point's neighbourhood, shape (n_points, n_neighbours)."""
    d2 = (points**2).sum(1)[:, None] - 2 * points @ pool.T + (pool**2).sum(1)[None, :]
    scale = np.maximum((points**2).sum(1), 1.0)[:, None]
    d2 = np.where(d2 <= 1e-12 * scale, np.inf, d2)  # the point itself, if it is in the pool
    return np.argsort(d2, axis=1, kind="stable")[:, :n_neighbours]


def _check_neighbours(n_neighbours, pool_size: int) -> int:
    bad = isinstance(n_neighbours, bool) or not isinstance(n_neighbours, (int, np.integer))
    if bad or not 1 <= n_neighbours < pool_size:
        raise ValueError(
            f"n_neighbours must be an integer in [1, {pool_size}) (fewer than the pool's "
            f"{pool_size} rows); received {n_neighbours!r}."
        )
    return int(n_neighbours)


def local_frechet(
    a, b, pool, *, n_neighbours: int = 10, shrinkage="auto", cache: dict | None = None
) -> np.ndarray:
    """Per-pair Fréchet distance between the neighbourhoods of ``a[i]`` and ``b[i]``.

    The neighbourhood of a point is the point itself with its ``n_neighbours`` nearest rows of
    ``pool`` (Euclidean; a pool row identical to the point counts once), fitted by a
    Gaussian (Ledoit–Wolf shrinkage where it has no more points than dimensions).

    Parameters
    ----------
    a : array of shape (n, d)
        E.g. reconstructions.
    b : array of shape (n, d)
        E.g. the stimulus each reconstruction should match, row for row.
    pool : array of shape (n_pool, d)
        The clips neighbourhoods are drawn from (the training clips), ``n_pool > n_neighbours``.
    n_neighbours : int, default 10
    shrinkage : {"auto", True, False}, default "auto"
    cache : dict, optional
        Neighbourhood fits keyed by the point's bytes, filled and reused: pass the same dict
        to calls with the same ``pool``, ``n_neighbours`` and ``shrinkage`` (e.g. many draws
        of training clips) to fit each neighbourhood once.

    Returns
    -------
    ndarray of shape (n,)
        0 where ``a[i]`` equals ``b[i]``.
    """
    a, b = _check_pair(a, b, min_samples=1)
    if len(a) != len(b):
        raise ValueError(
            f"a and b must be paired (the same number of rows); received {len(a)} and {len(b)}."
        )
    pool = check_array(pool, "pool", ndim=2, min_samples=2)
    if pool.shape[1] != a.shape[1]:
        raise ValueError(
            f"pool must have {a.shape[1]} columns, like a and b; received {pool.shape[1]}."
        )
    k = _check_neighbours(n_neighbours, len(pool))
    _check_shrinkage(shrinkage)
    cache = {} if cache is None else cache

    def fit(point, rows):
        key = point.tobytes()
        if key not in cache:
            cache[key] = gaussian_fit(np.vstack([point, pool[rows]]), shrinkage=shrinkage)
        return cache[key]

    na, nb = _neighbourhoods(a, pool, k), _neighbourhoods(b, pool, k)
    return np.array([gaussian_frechet(*fit(a[i], na[i]), *fit(b[i], nb[i])) for i in range(len(a))])


class FrechetSpace:
    """The space Fréchet distances are measured in: training clips' principal axes.

    Parameters
    ----------
    train : array of shape (n_train, d)
        Training clips' embeddings, already standardised as the evaluation standardises.
    n_components : int, default 16
        Principal axes kept (at most ``min(d, n_train - 1)``).

    Attributes
    ----------
    n_components : int
    explained_variance_ratio : float
        Share of the training clips' variance the kept axes hold.
    """

    def __init__(self, train, n_components: int = 16) -> None:
        train = check_array(train, "train", ndim=2, min_samples=3)
        most = min(train.shape[1], len(train) - 1)
        bad = isinstance(n_components, bool) or not isinstance(n_components, (int, np.integer))
        if bad or not 1 <= n_components <= most:
            raise ValueError(
                f"n_components must be an integer in [1, {most}] (the training clips' rank at "
                f"most); received {n_components!r}."
            )
        self.n_components = int(n_components)
        self.mean_ = train.mean(0)
        _, s, vt = np.linalg.svd(train - self.mean_, full_matrices=False)
        self.components_ = vt[: self.n_components]
        var = s**2
        self.explained_variance_ratio = float(var[: self.n_components].sum() / var.sum())
        self.train_ = self.transform(train)

    def transform(self, x) -> np.ndarray:
        """Project rows of shape (n, d) onto the kept axes: shape (n, n_components)."""
        x = check_array(x, "x", ndim=2)
        return (x - self.mean_) @ self.components_.T


def top_k_rows(embeddings, stimuli, target_index, k=(1, 5, 10)) -> dict[int, np.ndarray]:
    """Per row, whether its target is among the ``k`` stimuli most correlated with it.

    :func:`b2m.models.top_k_accuracy` row by row (ties broken at random in expectation, so a
    value may lie between 0 and 1).

    Parameters
    ----------
    embeddings : array of shape (n, d)
    stimuli : array of shape (n_stimuli, d)
    target_index : array of int of shape (n,)
    k : int or tuple of int, default (1, 5, 10)
        Each at most ``n_stimuli``.

    Returns
    -------
    dict of int to ndarray of shape (n,)
    """
    x = check_array(embeddings, "embeddings", ndim=2)
    s = check_array(stimuli, "stimuli", ndim=2, min_samples=2)
    t = np.asarray(target_index)
    if t.shape != (len(x),) or t.dtype.kind not in "iu" or (t < 0).any() or (t >= len(s)).any():
        raise ValueError(
            f"target_index must be {len(x)} integers in [0, {len(s)}); received {t!r}."
        )
    ks = (k,) if np.isscalar(k) else tuple(k)
    for kk in ks:
        if isinstance(kk, bool) or not isinstance(kk, (int, np.integer)) or not 1 <= kk <= len(s):
            raise ValueError(f"k must be integers in [1, {len(s)}]; received {kk!r}.")
    out = {int(kk): np.empty(len(x)) for kk in ks}
    for i in range(len(x)):
        row = top_k_accuracy(x[i : i + 1], s, t[i : i + 1], k=ks)
        for kk, value in row.items():
            out[kk][i] = value
    return out


class DistributionMetrics:
    """Top-k and Fréchet columns of a reconstruction evaluation, in one standardised space.

    Parameters
    ----------
    train : array of shape (n_train, d)
        Training clips' embeddings, standardised (the Fréchet space's axes and the
        neighbourhood pool).
    stimuli : array of shape (n_test, d)
        The test stimuli's embeddings, standardised the same way (the top-k candidates).
    n_components : int, default 16
        Principal axes kept (:class:`FrechetSpace`; reduced to ``min(d, n_train - 1)`` when
        larger).
    n_neighbours : int, default 10
        Neighbourhood size of the per-clip distance (:func:`local_frechet`).
    n_boot : int, default 200
        Bootstrap resamples of the set-level interval (:func:`bootstrap_frechet`).
    seed : int, default 0
        Seeds the bootstrap.
    k : tuple of int, default (1, 5, 10)
        The top-k columns.
    """

    def __init__(
        self,
        train,
        stimuli,
        *,
        n_components: int = 16,
        n_neighbours: int = 10,
        n_boot: int = 200,
        seed: int = 0,
        k=(1, 5, 10),
    ) -> None:
        train = check_array(train, "train", ndim=2, min_samples=3)
        bad = isinstance(n_components, bool) or not isinstance(n_components, (int, np.integer))
        if bad or n_components < 1:
            raise ValueError(f"n_components must be a positive integer; received {n_components!r}.")
        self.space = FrechetSpace(train, min(int(n_components), train.shape[1], len(train) - 1))
        self.stimuli = check_array(stimuli, "stimuli", shape=(None, train.shape[1]))
        self.stimuli_p = self.space.transform(self.stimuli)
        self.n_neighbours = _check_neighbours(n_neighbours, len(train))
        self.n_boot, self.seed, self.k = n_boot, seed, tuple(k)
        self.sets: dict[str, dict] = {}
        self._fits: dict = {}  # neighbourhood Gaussians, shared by every call

    def _rows(self, embeddings, t) -> tuple[dict, np.ndarray]:
        projected = self.space.transform(embeddings)
        cols = {f"top{k}": v for k, v in top_k_rows(embeddings, self.stimuli, t, self.k).items()}
        cols["frechet_clip"] = local_frechet(
            projected,
            self.stimuli_p[t],
            self.space.train_,
            n_neighbours=self.n_neighbours,
            cache=self._fits,
        )
        return cols, projected

    def score(self, name: str, embeddings, target_index) -> dict[str, np.ndarray]:
        """Per-row columns of one backend; its set-level distance is kept under ``name``.

        Parameters
        ----------
        name : str
            Backend (row of :meth:`frame`).
        embeddings : array of shape (n, d)
            Standardised embeddings of its items.
        target_index : array of int of shape (n,)
            Row of ``stimuli`` each item targets.

        Returns
        -------
        dict of str to ndarray of shape (n,)
            ``top<k>`` per k, and ``frechet_clip``.
        """
        t = np.asarray(target_index)
        cols, projected = self._rows(embeddings, t)
        fd = (np.nan, np.nan, np.nan)
        if len(projected) >= 2:
            fd = bootstrap_frechet(projected, self.stimuli_p[t], n_boot=self.n_boot, seed=self.seed)
        self.sets[name] = dict(zip(("frechet", "frechet_low", "frechet_high"), fd, strict=True))
        return cols

    def score_reference(self, name: str, draws, target_index) -> dict[str, np.ndarray]:
        """Per-row columns averaged over draws (e.g. random training clips).

        The set-level distance kept under ``name`` is the mean over draws, its interval the
        2.5th and 97.5th percentiles of the draws' distances.

        Parameters
        ----------
        name : str
        draws : sequence of array of shape (n, d)
            Standardised embeddings of each draw, rows targeting ``target_index``.
        target_index : array of int of shape (n,)

        Returns
        -------
        dict of str to ndarray of shape (n,)
        """
        t = np.asarray(target_index)
        parts = [self._rows(d, t) for d in draws]
        if not parts:
            raise ValueError("draws must hold at least one draw; received 0.")
        cols = {c: np.mean([p[0][c] for p in parts], 0) for c in parts[0][0]}
        fd = (np.nan, np.nan, np.nan)
        if len(t) >= 2:
            fds = [frechet_distance(p[1], self.stimuli_p[t]) for p in parts]
            low, high = np.percentile(fds, [2.5, 97.5]) if len(fds) > 1 else (np.nan, np.nan)
            fd = (float(np.mean(fds)), float(low), float(high))
        self.sets[name] = dict(zip(("frechet", "frechet_low", "frechet_high"), fd, strict=True))
        return cols

    def frame(self):
        """Set-level distances, one row per scored name (index), with ``frechet_components``."""
        import pandas as pd

        frame = pd.DataFrame.from_dict(self.sets, orient="index")
        return frame.assign(frechet_components=self.space.n_components)
