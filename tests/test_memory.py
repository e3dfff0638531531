"""Returning freed heap memory to the system (glibc ``malloc_trim``)."""

from __future__ import annotations

import platform

import numpy as np
import pytest

from b2m._utils import _memory
from b2m.features._base import check_waveforms


@pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
    reason="malloc_trim is glibc's; elsewhere release_freed_memory is a documented no-op",
)
def test_release_freed_memory_trims_a_fragmented_heap():
    assert _memory._malloc_trim() is not None
    # raise glibc's mmap threshold (a freed 8-MB mmap does), then fill the heap with 2-MB
    # buffers and free every one but the last, which pins the heap's top
    big = np.ones(1_000_000)
    del big
    blocks = [np.ones(250_000) for _ in range(40)]
    keep = blocks[-1]
    del blocks
    assert _memory.release_freed_memory() is True
    assert keep.sum() == 250_000


def test_release_freed_memory_is_a_no_op_without_malloc_trim(monkeypatch):
    monkeypatch.setattr(_memory, "_malloc_trim", lambda: None)
    assert _memory.release_freed_memory() is False


def test_check_waveforms_keeps_float32_clips_without_a_copy_when_asked():
    clip = np.zeros(100, dtype=np.float32)
    kept = check_waveforms([clip, [1, 2, 3]], dtype=None)
    assert kept[0] is clip or np.shares_memory(kept[0], clip)
    assert kept[1].dtype == np.float64  # not floating: converted as before
    assert check_waveforms([clip])[0].dtype == np.float64  # the default is unchanged
    with pytest.raises(ValueError, match=r"waveforms\[1\] must be finite"):
        check_waveforms([clip, np.array([0.0, np.nan], dtype=np.float32)], dtype=None)
