"""Packaging facts: environment.yml mirrors pyproject.toml; the README's commands exist."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _norm(req: str) -> str:
    return re.sub(r"\s+", "", req).lower()


def test_environment_yml_matches_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    listed = {_norm(r) for r in pip_section if not r.startswith("-e")}
    project = _pyproject()["project"]
    wanted = {
        _norm(r) for r in project["dependencies"] + project["optional-dependencies"]["notebook"]
    }
    assert listed == wanted, {
        "only in environment.yml": listed - wanted,
        "only in pyproject": wanted - listed,
    }
    assert any(r.startswith("-e .") for r in pip_section)
    # The learned music model of the default path (musicnn) needs torch: conda-forge's CPU build.
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    (torch_floor,) = [r.split("torch")[1] for r in project["optional-dependencies"]["musicnn"]]
    assert f"pytorch-cpu{torch_floor}" in conda


def test_readme_set_up_commands_are_make_targets():
    readme = (ROOT / "README.md").read_text()
    makefile = (ROOT / "Makefile").read_text()
    for target in ("demo", "test", "lab"):
        assert f"make {target}" in readme
        assert re.search(rf"^{target}:", makefile, re.M), target
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_manifest_symlink_points_into_the_package():
    link = ROOT / "data_manifest.yaml"
    assert link.resolve() == (ROOT / "b2m" / "data" / "data_manifest.yaml").resolve()
