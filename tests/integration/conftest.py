"""Fixtures of the integration tests: a fake "real" setup in a data home's default locations."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def real_setup(tmp_path_factory):
    """A data home holding ds003720 (raw + fMRIPrep fsaverage5), GTZAN and captions.

    Built once per session (about a minute; see ``_real_setup.build_real_setup``), with the
    acoustic features already in the feature cache.
    """
    from _real_setup import build_real_setup

    setup = build_real_setup(tmp_path_factory.mktemp("real_home"))
    print("real setup built:", {k: round(v, 1) for k, v in setup.seconds.items()})
    return setup


@pytest.fixture
def real_home(real_setup, monkeypatch):
    """``B2M_DATA`` pointed at the fake real setup; nothing else tells the loaders where to look."""
    monkeypatch.setenv("B2M_DATA", str(real_setup.home))
    monkeypatch.delenv("B2M_GTZAN", raising=False)
    return real_setup.home
