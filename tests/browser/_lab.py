"""Helpers of the browser test: a private JupyterLab server and the system's Chromium.

Only Debian's Chromium is driven (``/usr/bin/chromium`` through Playwright's
``executable_path``); Playwright's own browser downloads are never used.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from b2m.demo import kernel_environment

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("B2M_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
INSTALL_HINT = (
    "The browser test needs Debian's Chromium and Playwright for Python: "
    "`apt-get install -y --no-install-recommends chromium` (as root; `make install` does it) and "
    "`pip install -e .[browser]`. Never `playwright install`. To run without it, deselect the "
    "test: pytest -m 'not browser'."
)


def require_browser() -> None:
    """Fail (never skip) when Chromium or Playwright is missing, saying how to install them."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"No Chromium at {CHROMIUM}. {INSTALL_HINT}", pytrace=False)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.fail(f"Playwright is not installed. {INSTALL_HINT}", pytrace=False)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _jupyter() -> list[str]:
    exe = Path(sys.executable).with_name("jupyter")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "jupyter"]


class JupyterLab:
    """A JupyterLab server on 127.0.0.1 with a token, its own settings and a notebook copy.

    Parameters
    ----------
    workdir : pathlib.Path
        Empty directory: receives ``notebooks/`` (copied), ``settings/``, ``config/``,
        ``data/``, ``runtime/``, ``ipython/`` (nothing is written to the user's home) and the
        server log ``server.log``.
    data_home : pathlib.Path
        Exported as ``B2M_DATA`` to the server and its kernels.
    """

    def __init__(self, workdir: Path, data_home: Path):
        self.workdir = Path(workdir)
        self.data_home = Path(data_home)
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.notebook_dir = self.workdir / "notebooks"
        self.log_path = self.workdir / "server.log"
        self.process: subprocess.Popen | None = None

    def _prepare(self) -> dict:
        shutil.copytree(ROOT / "notebooks", self.notebook_dir, ignore=shutil.ignore_patterns(".*"))
        settings = self.workdir / "settings"
        notification = settings / "@jupyterlab" / "apputils-extension"
        notification.mkdir(parents=True)
        # No news pop-up and no update check: nothing asks the network, nothing covers the page.
        (notification / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False})
        )
        env = kernel_environment()  # no MPLBACKEND: figures inline, as for a user
        for name in ("config", "data", "runtime", "ipython"):
            (self.workdir / name).mkdir()
        env.update(
            B2M_DATA=str(self.data_home),
            HF_HUB_OFFLINE="1",
            TRANSFORMERS_OFFLINE="1",
            B2M_PROGRESS="0",
            JUPYTER_CONFIG_DIR=str(self.workdir / "config"),
            JUPYTER_DATA_DIR=str(self.workdir / "data"),
            JUPYTER_RUNTIME_DIR=str(self.workdir / "runtime"),
            IPYTHONDIR=str(self.workdir / "ipython"),
        )
        return env

    def start(self, timeout: float = 90.0) -> JupyterLab:
        """Start the server and wait until its API answers."""
        env = self._prepare()
        cmd = [
            *_jupyter(),
            "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.allow_root=True",  # CI containers run as root
            "--ServerApp.terminals_enabled=False",
            "--LabApp.extension_manager=readonly",  # never asks PyPI
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.notebook_dir}",
            f"--LabApp.user_settings_dir={self.workdir / 'settings'}",
            f"--LabApp.workspaces_dir={self.workdir / 'workspaces'}",
        ]
        log = open(self.log_path, "wb")
        self.process = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited early:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.api("status"), timeout=2) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"JupyterLab did not answer within {timeout} s:\n{self.log_tail()}")

    def api(self, path: str) -> str:
        """URL of a server API endpoint, with the token."""
        return f"{self.base_url}/api/{path}?token={self.token}"

    def lab_url(self, notebook: str, workspace: str) -> str:
        """URL that opens ``notebook`` (a path under ``notebooks/``) in a fresh workspace.

        A workspace of its own keeps JupyterLab from reopening the notebooks of earlier pages.
        """
        return f"{self.base_url}/lab/workspaces/{workspace}/tree/{notebook}?token={self.token}"

    def session(self, notebook: str) -> dict | None:
        """The server's session of ``notebook`` (its ``kernel`` has ``execution_state``)."""
        with urllib.request.urlopen(self.api("sessions"), timeout=5) as response:
            sessions = json.loads(response.read())
        return next((s for s in sessions if s.get("path") == notebook), None)

    def kernel_state(self, notebook: str) -> str | None:
        """``"idle"``, ``"busy"``, ``"starting"``… of the notebook's kernel; None before it starts."""
        session = self.session(notebook)
        return (session.get("kernel") or {}).get("execution_state") if session else None

    def close_session(self, notebook: str) -> None:
        """Shut the notebook's kernel down (frees memory before the next notebook)."""
        session = self.session(notebook)
        if session is not None:
            request = urllib.request.Request(self.api(f"sessions/{session['id']}"), method="DELETE")
            urllib.request.urlopen(request, timeout=30).close()

    def log_tail(self, n_chars: int = 4000) -> str:
        """The end of the server log."""
        return (
            self.log_path.read_text(errors="replace")[-n_chars:] if self.log_path.exists() else ""
        )

    def stop(self) -> None:
        """Shut the server (and so its kernels) down; kill it only if it does not stop."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            request = urllib.request.Request(self.api("shutdown"), method="POST")
            urllib.request.urlopen(request, timeout=10).close()
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def lab_with_notebook(workdir: Path, data_home: Path, name: str, cells: list[str]) -> JupyterLab:
    """Start a :class:`JupyterLab` whose notebook folder also holds a notebook made of ``cells``.

    Parameters
    ----------
    workdir, data_home : pathlib.Path
        See :class:`JupyterLab`.
    name : str
        File name of the generated notebook (e.g. ``"cortex.ipynb"``).
    cells : list of str
        Source of each code cell.

    Returns
    -------
    JupyterLab
        Started; stop it with :meth:`JupyterLab.stop`.
    """
    import nbformat

    require_browser()
    server = JupyterLab(workdir, data_home).start()
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, server.notebook_dir / name)
    return server


def notebook_lab_fixture(name: str, cells: list[str]):
    """A module-scoped ``lab`` fixture: :func:`lab_with_notebook` with an empty data home.

    Use as ``lab = notebook_lab_fixture("x.ipynb", CELLS)`` at a test module's top level.
    """
    import pytest

    @pytest.fixture(scope="module")
    def lab(tmp_path_factory):
        server = lab_with_notebook(
            tmp_path_factory.mktemp("jupyterlab"),
            tmp_path_factory.mktemp("empty_home"),
            name,
            cells,
        )
        yield server
        server.stop()

    return lab


_LOCAL = re.compile(r"(data|blob):|https?://(127\.0\.0\.1|localhost)[:/]")


def wait_until(predicate, timeout: float, what: str, interval: float = 0.5):
    """``predicate()``'s first truthy value, polled every ``interval`` seconds.

    Raises ``TimeoutError`` naming ``what`` after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout} s waiting for {what}")


def watch_page(page, benign=()) -> tuple[list[str], list[str]]:
    """Collect what must not happen on a page: errors, and requests that leave the machine.

    Parameters
    ----------
    page : playwright.sync_api.Page
    benign : sequence of re.Pattern
        Console errors that are not failures of this project.

    Returns
    -------
    problems : list of str
        Console errors (except ``benign``) and uncaught page errors, filled as they happen.
    outside : list of str
        URLs requested outside 127.0.0.1/localhost (no CDN, no cloud), filled as they happen.
    """
    problems: list[str] = []
    outside: list[str] = []
    page.on(
        "console",
        lambda m: (
            m.type == "error"
            and not any(p.search(m.text) for p in benign)
            and problems.append(f"console.error: {m.text}")
        ),
    )
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("request", lambda r: _LOCAL.match(r.url) is None and outside.append(r.url))
    return problems, outside
