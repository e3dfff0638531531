"""Array backends for the ridge engine: numpy (CPU) and torch (CPU or GPU).

A backend offers the handful of operations the engine's inner loop needs, on its own arrays
(``numpy.ndarray`` or ``torch.Tensor``), so the same algorithm runs on either. Torch is imported
lazily: ``b2m`` imports without it, and asking for it when it is missing raises an
:class:`ImportError` that names the ``b2m-explorer[torch]`` extra.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import warnings

import numpy as np

__all__ = ["BACKENDS", "NumpyBackend", "TorchBackend", "get_backend"]

#: Accepted values of ``backend``.
BACKENDS = ("auto", "numpy", "torch")


class NumpyBackend:
    """numpy arrays on the CPU (BLAS for products, in-place element-wise work).

    Parameters
    ----------
    dtype : {"float32", "float64"}
        Precision of the arrays the backend creates.
    """

    name = "numpy"
    device = "cpu"

    def __init__(self, dtype: str = "float32"):
        self.dtype = np.dtype(dtype)

    def asarray(self, x: np.ndarray):
        """Convert a numpy array to a backend array of the backend's dtype (no copy if possible)."""
        return np.asarray(x, dtype=self.dtype)

    def to_numpy(self, x) -> np.ndarray:
        """Return ``x`` as a numpy array."""
        return np.asarray(x)

    def empty(self, size: int):
        """Flat uninitialised buffer of ``size`` elements, reused through :meth:`view`."""
        return np.empty(size, dtype=self.dtype)

    def view(self, buffer, shape: tuple[int, int]):
        """Contiguous 2-D view on the start of a flat buffer."""
        return buffer[: shape[0] * shape[1]].reshape(shape)

    def take_rows(self, x, rows: np.ndarray, out=None):
        """Rows ``rows`` of a 2-D array, into ``out`` (contiguous) when given."""
        return np.take(x, rows, axis=0, out=out)

    def matmul(self, a, b, out=None):
        """Matrix product ``a @ b``, into ``out`` when given."""
        return np.matmul(a, b, out=out)

    def subtract(self, a, b, out):
        """``out = a - b`` (broadcasting)."""
        return np.subtract(a, b, out=out)

    def block_sq_err(self, pred, target, n_blocks: int):
        """Squared error of stacked predictions, summed within each block.

        Parameters
        ----------
        pred : array of shape (n_blocks * m, c)
            Overwritten.
        target : array of shape (m, c), or None
            ``None``: ``pred`` already holds residuals.

        Returns
        -------
        array of shape (n_blocks, c)
        """
        pred3 = pred.reshape(n_blocks, -1, pred.shape[1])
        if target is not None:
            np.subtract(pred3, target[None], out=pred3)
        np.multiply(pred, pred, out=pred)
        return pred3.sum(axis=1)

    def scale_columns_by_index(self, z, table, index: np.ndarray):
        """In place ``z[:, j] *= table[:, index[j]]``; ``z`` (r, c), ``table`` (r, n_alphas)."""
        z *= table[:, index]
        return z


class TorchBackend:
    """torch tensors on a CPU or CUDA device.

    Parameters
    ----------
    dtype : {"float32", "float64"}
        Precision of the tensors the backend creates.
    device : str or torch.device, optional
        ``None`` picks CUDA when available, else the CPU. A CUDA device on a machine without one
        falls back to the CPU with a :class:`UserWarning`.
    """

    name = "torch"

    def __init__(self, dtype: str = "float32", device=None):
        self.torch = _import_torch()
        torch = self.torch
        self.dtype = {"float32": torch.float32, "float64": torch.float64}[str(np.dtype(dtype))]
        if device is None:
            device = "cuda" if torch.cuda.is_available() else "cpu"
        device = torch.device(device)
        if device.type == "cuda" and not torch.cuda.is_available():
            warnings.warn(
                f"device={str(device)!r} was requested but torch sees no CUDA device; "
                "falling back to the CPU.",
                UserWarning,
                stacklevel=3,
            )
            device = torch.device("cpu")
        self.device = device

    def asarray(self, x: np.ndarray):
        """Move a numpy array to the device with the backend's dtype (shares memory on CPU)."""
        x = np.asarray(x)
        if x.ndim == 2 and (x.strides[0] < 0 or x.strides[1] < 0):
            x = np.ascontiguousarray(x)
        if not x.flags.writeable:  # a shared decomposition: torch would warn, and could write
            x = x.copy()
        return self.torch.as_tensor(x).to(device=self.device, dtype=self.dtype)

    def to_numpy(self, x) -> np.ndarray:
        """Copy a tensor back to a numpy array."""
        return x.detach().cpu().numpy()

    def empty(self, size: int):
        """Flat uninitialised buffer of ``size`` elements, reused through :meth:`view`."""
        return self.torch.empty(size, dtype=self.dtype, device=self.device)

    def view(self, buffer, shape: tuple[int, int]):
        """Contiguous 2-D view on the start of a flat buffer."""
        return buffer[: shape[0] * shape[1]].view(shape)

    def take_rows(self, x, rows: np.ndarray, out=None):
        """Rows ``rows`` of a 2-D tensor, into ``out`` when given."""
        idx = self.torch.as_tensor(rows, device=x.device)
        return self.torch.index_select(x, 0, idx, out=out)

    def matmul(self, a, b, out=None):
        """Matrix product ``a @ b``, into ``out`` when given."""
        return self.torch.matmul(a, b, out=out)

    def subtract(self, a, b, out):
        """``out = a - b`` (broadcasting)."""
        return self.torch.sub(a, b, out=out)

    def block_sq_err(self, pred, target, n_blocks: int):
        """Squared error of stacked predictions, summed within each block (see numpy's)."""
        pred3 = pred.view(n_blocks, -1, pred.shape[1])
        if target is not None:
            pred3.sub_(target.unsqueeze(0))
        pred3.mul_(pred3)
        return pred3.sum(dim=1)

    def scale_columns_by_index(self, z, table, index: np.ndarray):
        """In place ``z[:, j] *= table[:, index[j]]``; ``z`` (r, c), ``table`` (r, n_alphas)."""
        idx = self.torch.as_tensor(index, device=z.device)
        z.mul_(self.torch.index_select(table, 1, idx))
        return z


def _import_torch():
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "backend='torch' needs PyTorch, which is not installed; install the extra with "
            "`pip install 'b2m-explorer[torch]'` (or a torch build that matches your machine)."
        ) from exc
    return torch


def _cuda_may_exist() -> bool:
    """Cheap check, without importing torch, that an NVIDIA driver is present."""
    return os.path.exists("/proc/driver/nvidia/version") or os.path.exists("/dev/nvidia0")


def get_backend(backend: str = "auto", device=None, dtype: str = "float32"):
    """Return the array backend to run the ridge engine on.

    Parameters
    ----------
    backend : {"auto", "numpy", "torch"}, default "auto"
        ``"auto"`` uses torch on a CUDA GPU when torch is installed and a GPU is present, else
        numpy. It imports torch only when torch is already imported or an NVIDIA driver is seen,
        so CPU-only runs do not pay torch's import time.
    device : str or torch.device, optional
        Torch device (``"cpu"``, ``"cuda"``, ``"cuda:1"``…). ``None``: CUDA if available. Must be
        ``None`` or ``"cpu"`` with the numpy backend.
    dtype : {"float32", "float64"}, default "float32"

    Returns
    -------
    NumpyBackend or TorchBackend
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}; received {backend!r}.")
    if str(np.dtype(dtype)) not in ("float32", "float64"):
        raise ValueError(f"dtype must be 'float32' or 'float64'; received {dtype!r}.")
    if backend == "auto":
        if device is not None and str(device) != "cpu":
            backend = "torch"
        elif device is None and _torch_cuda_available():
            backend = "torch"
        else:
            backend = "numpy"
    if backend == "numpy":
        if device is not None and str(device) != "cpu":
            raise ValueError(
                f"device must be None or 'cpu' with backend='numpy'; received {device!r}."
            )
        return NumpyBackend(dtype)
    return TorchBackend(dtype, device)


def _torch_cuda_available() -> bool:
    if "torch" not in sys.modules:
        if not _cuda_may_exist() or importlib.util.find_spec("torch") is None:
            return False
    try:
        import torch
    except ImportError:  # pragma: no cover - depends on the environment
        return False
    return bool(torch.cuda.is_available())
