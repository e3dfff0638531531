"""Shared fixtures: every test runs offline with its data home in a temporary directory."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("B2M_PROGRESS", "0")


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
