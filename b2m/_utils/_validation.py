"""Input validation with errors that name the parameter, the expectation and what was received."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

__all__ = [
    "NotAvailableError",
    "UnknownNameError",
    "check_array",
    "check_choice",
    "check_consistent_length",
]


class UnknownNameError(KeyError, ValueError):
    """A name that is not among the known ones (a clip id, a dataset, a column): bad input.

    A ``KeyError`` for code that looks names up, and a ``ValueError`` because the caller's
    input is wrong, so the ``b2m`` command reports it in one line while a bare ``KeyError``
    (a bug) keeps its traceback. The message prints without the quotes ``KeyError`` adds.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class NotAvailableError(NotImplementedError, ValueError):
    """An operation this object does not offer for the caller's input (e.g. a text
    embedding from an audio-only feature space): bad input rather than a missing method."""


def check_array(
    x,
    name: str,
    *,
    ndim: int | tuple[int, ...] | None = None,
    shape: tuple[int | None, ...] | None = None,
    dtype=np.float64,
    allow_nan: bool = False,
    min_samples: int = 1,
) -> np.ndarray:
    """Convert ``x`` to an array and validate it.

    Parameters
    ----------
    x : array-like
        The input.
    name : str
        Parameter name used in error messages.
    ndim : int or tuple of int, optional
        Accepted number(s) of dimensions.
    shape : tuple, optional
        Expected shape; ``None`` entries match any size.
    dtype : dtype or None, default float64
        Target dtype (``None`` keeps the input's).
    allow_nan : bool, default False
        Whether NaN/inf values are accepted (numeric arrays only).
    min_samples : int, default 1
        Minimum size of the first axis.

    Returns
    -------
    numpy.ndarray
    """
    try:
        arr = np.asarray(x, dtype=dtype) if dtype is not None else np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{name} must be numeric array-like; received {type(x).__name__}: {exc}"
        ) from None
    if ndim is not None:
        ndims = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in ndims:
            want = " or ".join(f"{d}-D" for d in ndims)
            raise ValueError(f"{name} must be a {want} array; received shape {arr.shape}.")
    if shape is not None:
        ok = arr.ndim == len(shape) and all(
            s is None or s == a for s, a in zip(shape, arr.shape, strict=True)
        )
        if not ok:
            want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
            raise ValueError(f"{name} must have shape {want}; received shape {arr.shape}.")
    if arr.ndim >= 1 and arr.shape[0] < min_samples:
        raise ValueError(
            f"{name} needs at least {min_samples} sample(s) along axis 0; received shape {arr.shape}."
        )
    if not allow_nan and arr.dtype.kind in "fc" and not np.isfinite(arr).all():
        n_bad = int((~np.isfinite(arr)).sum())
        raise ValueError(f"{name} must be finite; received {n_bad} NaN or infinite value(s).")
    return arr


def check_consistent_length(**arrays) -> int:
    """Check that all arrays share their first dimension; return it."""
    lengths = {k: len(v) for k, v in arrays.items()}
    if len(set(lengths.values())) > 1:
        desc = ", ".join(f"{k} has {n}" for k, n in lengths.items())
        raise ValueError(f"Inconsistent numbers of samples: {desc}.")
    return next(iter(lengths.values()))


def check_choice(value, name: str, choices: Iterable):
    """Check that ``value`` is one of ``choices``."""
    choices = list(choices)
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}; received {value!r}.")
    return value
