"""Shared fixtures: every test runs offline with its data home in a temporary directory."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("B2M_PROGRESS", "0")


def pytest_configure(config):
    """The suite is a batch run: keep freed memory for reuse in pytest and in the kernels and
    workers it starts (see :func:`b2m._utils._memory.retain_freed_memory`)."""
    from b2m._utils._memory import retain_freed_memory

    retain_freed_memory()


def pytest_terminal_summary(terminalreporter):
    """Report the test process's peak resident memory (retention keeps what it frees)."""
    try:
        import resource
    except ImportError:  # not on Windows
        return
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux, bytes on macOS
    gb = peak / 1e9 if sys.platform == "darwin" else peak / 1e6
    terminalreporter.write_line(f"peak resident memory of the test process: {gb:.2f} GB")


#: Session fixtures that build a study (the simulated one; the fake "real" data home of the
#: integration tests). Every test that uses one, directly or through another fixture, is
#: marked ``slow`` (see :func:`pytest_collection_modifyitems`), so ``-m "not slow"`` builds
#: none. Named by the builders, not by ``study``: a module may define its own light ``study``.
STUDY_FIXTURES = frozenset({"study_home", "real_setup"})


def pytest_collection_modifyitems(config, items):
    """Mark tests honestly: study users and notebook runs ``slow``, tests/browser ``browser``."""
    browser_dir = Path(__file__).parent / "browser"
    for item in items:
        uses_study = not STUDY_FIXTURES.isdisjoint(getattr(item, "fixturenames", ()))
        if (uses_study or item.get_closest_marker("notebook")) and not item.get_closest_marker(
            "slow"
        ):
            item.add_marker(pytest.mark.slow)
        if browser_dir in Path(str(item.path)).parents and not item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(autouse=True)
def _isolated_data_home(tmp_path, monkeypatch):
    """Point B2M_DATA at a per-test temporary directory (never the user's home)."""
    home = tmp_path / "b2m_data"
    monkeypatch.setenv("B2M_DATA", str(home))
    return home


@pytest.fixture(scope="session")
def study_home(tmp_path_factory):
    """A data home holding the default simulated study for sub-001 (built once per session)."""
    from b2m.datasets import make_simulated_study

    home = tmp_path_factory.mktemp("study_home")
    make_simulated_study(home, subjects=["sub-001"], progressbar=False)
    return home


@pytest.fixture(scope="session")
def study(study_home):
    """The default simulated study, subject sub-001."""
    from b2m.datasets import load_study

    return load_study("simulated", "sub-001", data_home=study_home)


#: The folder of fetched Debian music the ``realmusic`` tests read (never write).
MUSIC_ENV_VAR = "B2M_TEST_MUSIC"


@pytest.fixture(scope="session")
def real_music_root() -> Path:
    """The folder of real Debian music named by ``B2M_TEST_MUSIC`` (to read, never to write).

    Unset or empty: the test is skipped, with how to fetch the music; but when ``CI`` is
    ``true`` it fails instead, so that CI cannot pass without having run it. Set to a folder
    without ``tracks.csv``: the test fails.
    """
    value = os.environ.get(MUSIC_ENV_VAR, "").strip()
    if not value:
        how = (
            f"{MUSIC_ENV_VAR} is not set: fetch the Debian music once with `make music` (or "
            f"`b2m fetch-music --dest DIR`) and set {MUSIC_ENV_VAR}=DIR"
        )
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(f"{how} (CI=true: the real-music tests must run in CI).", pytrace=False)
        pytest.skip(how)
    root = Path(value).expanduser()
    if not (root / "tracks.csv").is_file():
        pytest.fail(
            f"{MUSIC_ENV_VAR}={value!r} holds no tracks.csv; fill it with "
            f"`b2m fetch-music --dest {value}` (or `make music`).",
            pytrace=False,
        )
    return root
