"""Where the demo finds its notebooks (no study needed)."""

from pathlib import Path

import pytest


def test_find_notebooks_without_the_package_path(tmp_path, monkeypatch):
    """The demo finds the notebooks from the working directory or an explicit folder, so a
    non-editable install works from a checkout; elsewhere the error says what to do."""
    import shutil

    from b2m.demo import NOTEBOOKS, find_notebooks, main

    repo_notebooks = Path(__file__).resolve().parents[1] / "notebooks"
    copy = tmp_path / "nbs"
    copy.mkdir()
    for name in NOTEBOOKS:
        shutil.copy(repo_notebooks / name, copy / name)
    assert find_notebooks(copy) == copy
    monkeypatch.setenv("B2M_NOTEBOOKS", str(copy))
    assert find_notebooks() == copy
    monkeypatch.delenv("B2M_NOTEBOOKS")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notebooks").symlink_to(copy)
    assert find_notebooks() == tmp_path / "notebooks"
    (copy / NOTEBOOKS[-1]).unlink()
    with pytest.raises(FileNotFoundError, match=r"notebooks_dir: no folder .*--notebooks-dir"):
        find_notebooks(copy)
    with pytest.raises(FileNotFoundError, match="--no-notebooks"):
        main(["--out", str(tmp_path / "out"), "--notebooks-dir", str(copy)])
    assert not (tmp_path / "out").exists()  # failed before any computation
