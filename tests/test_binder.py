"""Binder (repo2docker) set-up: root environment.yml, postBuild and start that work.

repo2docker reads configuration from a ``binder/`` (or ``.binder/``) folder when one exists and
then ignores the root; the project keeps everything at the root so that the one
``environment.yml`` (checked against pyproject by ``test_packaging``) is what Binder installs.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from b2m.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ("postBuild", "start")


def _b2m_commands(text: str) -> list[list[str]]:
    return [shlex.split(line)[1:] for line in text.splitlines() if line.startswith("b2m ")]


def test_configuration_lives_at_the_root_beside_environment_yml():
    assert (ROOT / "environment.yml").is_file()
    for folder in ("binder", ".binder"):
        assert not (ROOT / folder).exists(), (
            f"{folder}/ exists: repo2docker would ignore the root environment.yml and postBuild"
        )
    assert not (ROOT / "Dockerfile").exists(), "a Dockerfile makes repo2docker ignore the rest"


@pytest.mark.parametrize("name", SCRIPTS)
def test_scripts_are_executable_bash_that_parses(name):
    path = ROOT / name
    text = path.read_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    assert os.access(path, os.X_OK), f"{name} is not executable (chmod +x {name})"
    subprocess.run(["bash", "-n", str(path)], check=True)
    if shutil.which("git") and (ROOT / ".git").exists():
        staged = subprocess.run(
            ["git", "ls-files", "-s", name], cwd=ROOT, capture_output=True, text=True
        ).stdout.split()
        if staged:  # once committed, git must record the executable bit too
            assert staged[0] == "100755", f"{name} is committed without its executable bit"


def test_start_hands_over_to_the_server():
    lines = [ln for ln in (ROOT / "start").read_text().splitlines() if ln.strip()]
    assert lines[-1] == 'exec "$@"'


def test_postbuild_runs_existing_commands_on_a_real_notebook():
    text = (ROOT / "postBuild").read_text()
    assert "set -euo pipefail" in text
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["b2m"] == "b2m.cli:main"
    commands = _b2m_commands(text)
    assert [c[0] for c in commands] == ["simulate", "features", "features"]
    parser = build_parser()
    for argv in commands:
        parser.parse_args(argv)  # SystemExit on an unknown command or option
    assert "--subjects" in commands[0] and "sub-001" in commands[0]
    url = re.search(r'"default_url":\s*"/lab/tree/([^"]+)"', text)
    assert url, "postBuild sets no JupyterLab default_url"
    notebook = ROOT / url.group(1)
    assert notebook.is_file() and notebook.suffix == ".ipynb", notebook


def test_postbuild_writes_the_server_config(tmp_path):
    """Run postBuild with ``b2m`` and ``python`` stubbed: the right calls, a valid config."""
    stubs, prefix, log = tmp_path / "bin", tmp_path / "prefix", tmp_path / "calls.log"
    stubs.mkdir()
    (stubs / "b2m").write_text(f'#!/bin/sh\necho "$@" >> "{log}"\n')
    (stubs / "python").write_text(f'#!/bin/sh\necho "{prefix}"\n')
    for stub in stubs.iterdir():
        stub.chmod(0o755)
    env = {**os.environ, "PATH": f"{stubs}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run(["bash", str(ROOT / "postBuild")], cwd=tmp_path, env=env, check=True)
    calls = [shlex.split(line) for line in log.read_text().splitlines()]
    assert calls == _b2m_commands((ROOT / "postBuild").read_text())
    config = prefix / "etc" / "jupyter" / "jupyter_server_config.d" / "b2m-explorer.json"
    url = json.loads(config.read_text())["ServerApp"]["default_url"]
    assert (ROOT / url.removeprefix("/lab/tree/")).is_file()
