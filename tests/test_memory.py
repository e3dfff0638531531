"""Returning freed heap memory to the system (glibc ``malloc_trim``), or keeping it."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import numpy as np
import pytest

from b2m._utils import _memory
from b2m.features._base import check_waveforms

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


@pytest.mark.skipif(
    not GLIBC,
    reason="malloc_trim is glibc's; elsewhere release_freed_memory is a documented no-op",
)
def test_release_freed_memory_trims_a_fragmented_heap(monkeypatch):
    monkeypatch.setattr(_memory, "_retaining", False)  # the test session retains (conftest)
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


def test_release_freed_memory_is_a_no_op_while_retaining(monkeypatch):
    calls = []
    monkeypatch.setattr(_memory, "_malloc_trim", lambda: lambda pad: calls.append(pad) or 1)
    monkeypatch.setattr(_memory, "_retaining", True)
    assert _memory.release_freed_memory() is False
    assert calls == []


# In a fresh interpreter: resident memory (from /proc) after a 200-MB array is freed, and the
# process's GLIBC_TUNABLES, with or without retain_freed_memory() first.
_RSS_AFTER_FREE = """
import os, sys, numpy as np
from b2m._utils import _memory
if sys.argv[1] == "retain":
    assert _memory.retain_freed_memory() is True
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
before = rss()
a = np.ones(25_000_000)
del a
print(rss() - before, os.environ.get("GLIBC_TUNABLES", ""))
"""


def _rss_after_free(mode: str) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if k != "GLIBC_TUNABLES"}
    env["GLIBC_TUNABLES"] = "glibc.malloc.tcache_count=7"  # a user's tunable, to be kept
    out = subprocess.run(
        [sys.executable, "-c", _RSS_AFTER_FREE, mode], env=env, capture_output=True, text=True,
        check=True,
    ).stdout.split()  # fmt: skip
    return int(out[0]), out[1]


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's; elsewhere retain returns False")
def test_retain_freed_memory_keeps_a_freed_buffer_and_tells_child_processes():
    kept, tunables = _rss_after_free("retain")
    returned, untouched = _rss_after_free("default")
    assert returned < 20e6  # glibc unmaps a freed 200-MB buffer by default
    assert kept > 180e6  # retained: still resident, for the next buffer
    assert untouched == "glibc.malloc.tcache_count=7"
    assert tunables.split(":") == [
        "glibc.malloc.tcache_count=7",
        "glibc.malloc.mmap_max=0",
        f"glibc.malloc.trim_threshold={2**31 - 1}",
        "glibc.malloc.arena_max=1",
    ]


def test_merged_tunables_keep_a_value_the_user_set():
    merged = _memory._merged_tunables("glibc.malloc.arena_max=4")
    assert merged.split(":")[0] == "glibc.malloc.arena_max=4"
    assert merged.count("arena_max") == 1
    assert "glibc.malloc.mmap_max=0" in merged


def test_retain_freed_memory_changes_nothing_without_glibc(monkeypatch):
    monkeypatch.setattr(_memory, "_mallopt", lambda: None)
    monkeypatch.setattr(_memory, "_retaining", False)
    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    assert _memory.retain_freed_memory() is False
    assert "GLIBC_TUNABLES" not in os.environ
    assert _memory._retaining is False


def test_check_waveforms_keeps_float32_clips_without_a_copy_when_asked():
    clip = np.zeros(100, dtype=np.float32)
    kept = check_waveforms([clip, [1, 2, 3]], dtype=None)
    assert kept[0] is clip or np.shares_memory(kept[0], clip)
    assert kept[1].dtype == np.float64  # not floating: converted as before
    assert check_waveforms([clip])[0].dtype == np.float64  # the default is unchanged
    with pytest.raises(ValueError, match=r"waveforms\[1\] must be finite"):
        check_waveforms([clip, np.array([0.0, np.nan], dtype=np.float32)], dtype=None)
