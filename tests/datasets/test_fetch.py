"""The fetch path, end to end, against a local HTTP server on 127.0.0.1 (never the network)."""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from b2m.datasets import _fetch
from b2m.datasets._fetch import (
    MIRROR_ENV_VAR,
    ChecksumError,
    DownloadError,
    fetch_ds003720,
    fetch_file,
)
from b2m.datasets._manifest import FileEntry, load_manifest

EVENTS_DIR = Path(_fetch.__file__).resolve().parent / "data" / "ds003720_events"


# --------------------------------------------------------------------------------------------
# A small HTTP server with scripted answers
# --------------------------------------------------------------------------------------------
class _Routes:
    """What the server answers per URL path, and how many GETs each path received."""

    def __init__(self) -> None:
        self.answers: dict[str, tuple[str, int, bytes]] = {}
        self.requests: Counter[str] = Counter()
        self.base = ""

    def add(self, path: str, body: bytes = b"", *, mode: str = "ok", status: int = 200) -> str:
        """Serve ``body`` at ``path``; return its full URL.

        ``mode``: "ok"; "status" (answer ``status`` with no body); "drop" (announce the full
        length, send half, close); "drop-no-length" (no Content-Length, send half, close).
        """
        self.answers[path] = (mode, status, body)
        return self.base + path


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, format, *args):  # keep test output quiet
        pass

    def do_GET(self):
        routes: _Routes = self.server.routes
        routes.requests[self.path] += 1
        mode, status, body = routes.answers.get(self.path, ("status", 404, b""))
        if mode == "status":
            self.send_error(status)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if mode != "drop-no-length":
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if mode == "ok":
            self.wfile.write(body)
        else:  # send half, then hang up
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True


@pytest.fixture
def server(monkeypatch):
    """A threaded HTTP server on 127.0.0.1 at a random port; yields its routes."""
    for var in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.delenv(MIRROR_ENV_VAR, raising=False)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    routes = _Routes()
    routes.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.routes = routes
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield routes
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def data_home(tmp_path, monkeypatch) -> Path:
    """The data home of this test (B2M_DATA points at a temporary directory)."""
    home = tmp_path / "b2m_data"
    monkeypatch.setenv("B2M_DATA", str(home))
    return home


def _entry(urls, body: bytes, *, path="sub/file.bin", alg="sha256", size=None, digest=None):
    urls = (urls,) if isinstance(urls, str) else tuple(urls)
    digest = digest or f"{alg}:{hashlib.new(alg, body).hexdigest()}"
    return FileEntry(path=path, urls=urls, size=len(body) if size is None else size, hash=digest)


def _files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


BODY = bytes(range(256)) * 64  # 16 KiB


# --------------------------------------------------------------------------------------------
# fetch_file
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("alg", ["sha256", "md5"])
def test_good_file_is_downloaded_once(server, data_home, alg):
    entry = _entry(server.add("/data/file.bin", BODY), BODY, alg=alg)
    path = fetch_file(entry, dataset="tiny", progressbar=False)
    assert path == data_home / "tiny" / "sub" / "file.bin"
    assert path.read_bytes() == BODY
    assert server.requests["/data/file.bin"] == 1
    # Present and verified: no second request, the same path.
    assert fetch_file(entry, dataset="tiny", progressbar=False) == path
    assert server.requests["/data/file.bin"] == 1
    # Only the file and its verification stamp are in the data home (no temporary leftovers).
    leftovers = [p for p in _files_under(data_home) if p != path]
    assert all(".b2m_verified" in p.parts for p in leftovers) and len(leftovers) == 1


def test_present_file_without_stamp_is_hashed_not_downloaded(server, data_home):
    entry = _entry(server.add("/f.bin", BODY), BODY)
    target = data_home / "tiny" / entry.path
    target.parent.mkdir(parents=True)
    target.write_bytes(BODY)
    assert fetch_file(entry, dataset="tiny", progressbar=False) == target
    assert server.requests["/f.bin"] == 0


def test_explicit_data_home_argument(server, tmp_path):
    entry = _entry(server.add("/f.bin", BODY), BODY)
    home = tmp_path / "elsewhere"
    path = fetch_file(entry, data_home=home, dataset="tiny", progressbar=False)
    assert path == home / "tiny" / entry.path and path.read_bytes() == BODY


def test_checksum_mismatch_is_a_clear_error_and_keeps_nothing(server, data_home):
    bad = bytes(reversed(BODY))  # same size, other content
    entry = _entry(server.add("/f.bin", bad), BODY)
    with pytest.raises(ChecksumError) as info:
        fetch_file(entry, dataset="tiny", progressbar=False)
    message = str(info.value)
    received = "sha256:" + hashlib.sha256(bad).hexdigest()
    assert "Checksum mismatch for 'sub/file.bin' (dataset 'tiny')" in message
    assert entry.hash in message and received in message and server.base + "/f.bin" in message
    assert info.value.expected == entry.hash and info.value.received == received
    assert isinstance(info.value, ValueError)
    assert _files_under(data_home) == []


def test_size_mismatch_is_a_clear_error_and_keeps_nothing(server, data_home):
    entry = _entry(server.add("/f.bin", BODY), BODY, size=len(BODY) + 1)
    with pytest.raises(
        ChecksumError, match=rf"expected {len(BODY) + 1} bytes .*received {len(BODY)}"
    ):
        fetch_file(entry, dataset="tiny", progressbar=False)
    assert _files_under(data_home) == []


@pytest.mark.parametrize(("status", "reason"), [(404, "Not Found"), (500, "Internal Server Error")])
def test_http_error_names_url_and_status(server, data_home, status, reason):
    url = server.add("/missing.bin", mode="status", status=status)
    entry = _entry(url, BODY)
    with pytest.raises(DownloadError) as info:
        fetch_file(entry, dataset="tiny", progressbar=False)
    assert f"HTTP {status} {reason} from {url}" in str(info.value)
    assert "'sub/file.bin' (dataset 'tiny')" in str(info.value)
    assert info.value.status == status and info.value.url == url
    assert isinstance(info.value, OSError)
    assert _files_under(data_home) == []


def test_connection_dropped_mid_file_leaves_nothing(server, data_home):
    url = server.add("/f.bin", BODY, mode="drop")
    with pytest.raises(DownloadError, match=r"connection failed or broke off") as info:
        fetch_file(_entry(url, BODY), dataset="tiny", progressbar=False)
    assert url in str(info.value)
    assert _files_under(data_home) == []


def test_truncated_file_without_length_leaves_nothing(server, data_home):
    url = server.add("/f.bin", BODY, mode="drop-no-length")
    with pytest.raises(
        ChecksumError, match=rf"expected {len(BODY)} bytes .*received {len(BODY) // 2}"
    ):
        fetch_file(_entry(url, BODY), dataset="tiny", progressbar=False)
    assert _files_under(data_home) == []


def test_refused_connection_is_a_download_error(server, data_home):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/f.bin"
    with pytest.raises(DownloadError, match=rf"from {url}: the connection failed"):
        fetch_file(_entry(url, BODY), dataset="tiny", progressbar=False)
    assert _files_under(data_home) == []


def test_interrupted_download_leaves_nothing(server, data_home):
    """Ctrl-C in the middle of a download: no half file, not even a temporary one."""
    seen = {}

    def interrupted(url, output_file, pooch_obj):
        Path(output_file).write_bytes(BODY[:100])
        seen["tmp"] = Path(output_file)
        raise KeyboardInterrupt

    entry = _entry(server.add("/f.bin", BODY), BODY)
    with pytest.raises(KeyboardInterrupt):
        fetch_file(entry, dataset="tiny", progressbar=False, downloader=interrupted)
    assert seen["tmp"].parent == data_home / "tiny" / "sub"  # pooch writes beside the target
    assert seen["tmp"].name != "file.bin"
    assert _files_under(data_home) == []


def test_custom_downloader_is_verified_too(server, data_home):
    def fake(url, output_file, pooch_obj):
        Path(output_file).write_bytes(b"x" * len(BODY))

    entry = _entry("http://127.0.0.1:1/never", BODY)
    with pytest.raises(ChecksumError, match="Checksum mismatch"):
        fetch_file(entry, dataset="tiny", progressbar=False, downloader=fake)
    assert _files_under(data_home) == []


def test_corrupt_local_file_is_replaced(server, data_home):
    entry = _entry(server.add("/f.bin", BODY), BODY)
    target = data_home / "tiny" / entry.path
    target.parent.mkdir(parents=True)
    target.write_bytes(b"\0" * len(BODY))
    with pytest.warns(UserWarning, match=r"does not match the manifest: its hash is sha256:"):
        fetch_file(entry, dataset="tiny", progressbar=False)
    assert target.read_bytes() == BODY
    assert server.requests["/f.bin"] == 1


def test_modified_file_after_verification_is_checked_again(server, data_home):
    entry = _entry(server.add("/f.bin", BODY), BODY)
    path = fetch_file(entry, dataset="tiny", progressbar=False)
    path.write_bytes(BODY[:-1])  # truncated behind our back
    with pytest.warns(UserWarning, match=rf"its size is {len(BODY) - 1} bytes"):
        fetch_file(entry, dataset="tiny", progressbar=False)
    assert path.read_bytes() == BODY
    assert server.requests["/f.bin"] == 2


def test_urls_are_tried_in_order(server, data_home):
    bad = server.add("/a.bin", mode="status", status=503)
    good = server.add("/b.bin", BODY)
    path = fetch_file(_entry([bad, good], BODY), dataset="tiny", progressbar=False)
    assert path.read_bytes() == BODY
    assert server.requests["/a.bin"] == 1 and server.requests["/b.bin"] == 1


def test_all_urls_failing_lists_each(server, data_home):
    a = server.add("/a.bin", mode="status", status=404)
    b = server.add("/b.bin", bytes(len(BODY)))
    with pytest.raises(DownloadError) as info:
        fetch_file(_entry([a, b], BODY), dataset="tiny", progressbar=False)
    message = str(info.value)
    assert "from any of its URLs" in message and f"{a}: " in message and f"{b}: " in message
    assert "HTTP 404" in message and "Checksum mismatch" in message
    assert _files_under(data_home) == []


def test_mirror_env_var_replaces_the_url_prefix(server, data_home, monkeypatch):
    server.add("/mirror/tiny/sub/file.bin", BODY)
    monkeypatch.setenv(MIRROR_ENV_VAR, server.base + "/mirror/")
    entry = _entry("https://example.invalid/never/used.bin", BODY)
    assert fetch_file(entry, dataset="tiny", progressbar=False).read_bytes() == BODY
    assert server.requests["/mirror/tiny/sub/file.bin"] == 1


def test_bad_mirror_env_var(data_home, monkeypatch):
    monkeypatch.setenv(MIRROR_ENV_VAR, "ftp://mirror.example")
    with pytest.raises(ValueError, match=r"B2M_MIRROR_URL must be an http:// or https:// URL"):
        fetch_file(_entry("https://example.invalid/x", BODY), dataset="tiny", progressbar=False)


def test_bad_arguments(data_home):
    with pytest.raises(TypeError, match="entry must be a FileEntry"):
        fetch_file("sub/file.bin")
    with pytest.raises(ValueError, match=r"dataset must be a folder name .*'a/b'"):
        fetch_file(_entry("https://example.invalid/x", BODY), dataset="a/b")


def test_progressbar_is_shown(server, data_home, monkeypatch, capfd):
    monkeypatch.setenv("B2M_PROGRESS", "1")
    entry = _entry(server.add("/f.bin", BODY), BODY, path="sub/progress-me.bin")
    fetch_file(entry, dataset="tiny", progressbar=True)
    assert "progress-me.bin" in capfd.readouterr().err


# --------------------------------------------------------------------------------------------
# fetch_ds003720 (with a tiny stand-in manifest and a mirror on 127.0.0.1)
# --------------------------------------------------------------------------------------------
@pytest.fixture
def tiny_ds003720(server, tmp_path, monkeypatch):
    """A stand-in ds003720 manifest of tiny files, served by the local server as a mirror."""
    paths = [
        f"sub-00{s}/{p}"
        for s in (1, 2)
        for p in (
            f"anat/sub-00{s}_T1w.nii",
            f"func/sub-00{s}_task-Test_run-01_bold.nii",
            f"func/sub-00{s}_task-Training_run-01_bold.nii",
            f"func/sub-00{s}_task-Training_run-02_bold.nii",
        )
    ]
    files = []
    for i, path in enumerate(paths):
        body = f"fake image {i} {path}\n".encode() * 10
        server.add(f"/mirror/ds003720/{path}", body)
        files.append(
            {
                "path": path,
                "url": f"https://example.invalid/ds003720/{path}",
                "size": len(body),
                "hash": "md5:" + hashlib.md5(body).hexdigest(),
                "kind": path.split("/")[1],
            }
        )
    real = load_manifest().dataset("ds003720")
    doc = {
        "version": 1,
        "datasets": {
            "ds003720": {
                "title": real.title,
                "description": real.description,
                "licence": real.licence,
                "redistributable": True,
                "authors": list(real.authors),
                "citation": real.citation,
                "doi": real.doi,
                "provenance": "A stand-in for tests.",
                "homepage": real.homepage,
                "files": files,
            }
        },
    }
    path = tmp_path / "tiny_manifest.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    manifest = load_manifest(path)
    monkeypatch.setattr(_fetch, "load_manifest", lambda: manifest)
    monkeypatch.setenv(MIRROR_ENV_VAR, server.base + "/mirror")
    return server


def test_fetch_ds003720_builds_a_bids_tree(tiny_ds003720, data_home):
    root = fetch_ds003720(subjects=["sub-001"], tasks="Training", progressbar=False)
    assert root == data_home / "ds003720"
    fetched = {
        str(p.relative_to(root)) for p in _files_under(root) if ".b2m_verified" not in p.parts
    }
    assert fetched == {
        "dataset_description.json",
        "task-Training_bold.json",
        "sub-001/anat/sub-001_T1w.nii",
        "sub-001/func/sub-001_task-Training_run-01_bold.nii",
        "sub-001/func/sub-001_task-Training_run-02_bold.nii",
        "sub-001/func/sub-001_task-Training_run-01_events.tsv",
        "sub-001/func/sub-001_task-Training_run-02_events.tsv",
    }
    events = root / "sub-001/func/sub-001_task-Training_run-02_events.tsv"
    assert events.read_bytes() == (EVENTS_DIR / "task-Training_run-02_events.tsv").read_bytes()
    import json

    description = json.loads((root / "dataset_description.json").read_text())
    assert description["Name"] == "Music Genre fMRI Dataset"
    assert description["BIDSVersion"] and description["License"] == "CC0-1.0"
    assert description["DatasetDOI"] == "10.18112/openneuro.ds003720.v1.0.0"
    sidecar = json.loads((root / "task-Training_bold.json").read_text())
    assert sidecar == {"TaskName": "Training", "RepetitionTime": 1.5}
    n_requests = sum(tiny_ds003720.requests.values())
    assert n_requests == 3
    fetch_ds003720(subjects=1, tasks="Training", progressbar=False)  # all present: no request
    assert sum(tiny_ds003720.requests.values()) == n_requests


def test_fetch_ds003720_filters(tiny_ds003720, data_home):
    root = fetch_ds003720(subjects=2, tasks="Test", runs=1, include_anat=False, progressbar=False)
    images = sorted(str(p.relative_to(root)) for p in root.rglob("*.nii"))
    assert images == ["sub-002/func/sub-002_task-Test_run-01_bold.nii"]
    assert (root / "sub-002/func/sub-002_task-Test_run-01_events.tsv").is_file()


def test_fetch_ds003720_all_with_progress(tiny_ds003720, data_home, monkeypatch):
    monkeypatch.setenv("B2M_PROGRESS", "1")
    root = fetch_ds003720()
    assert len(list(root.rglob("*.nii"))) == 8


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"subjects": "sub-007"}, ValueError, r"subjects must be among \['sub-001', 'sub-002'\]"),
        ({"tasks": "Rest"}, ValueError, r"tasks must be among \['Test', 'Training'\]"),
        ({"runs": 7}, ValueError, r"runs must be among \['01', '02'\]"),
        ({"tasks": "Test", "runs": 2, "include_anat": False}, ValueError, r"No ds003720 file"),
        ({"include_anat": "yes"}, TypeError, r"include_anat must be True or False"),
    ],
)
def test_fetch_ds003720_rejects_bad_selections(tiny_ds003720, data_home, kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        fetch_ds003720(progressbar=False, **kwargs)
    assert sum(tiny_ds003720.requests.values()) == 0


def test_fetch_ds003720_unknown_subject_with_real_manifest(data_home):
    with pytest.raises(ValueError, match=r"subjects must be among \['sub-001', .*'sub-005'\]"):
        fetch_ds003720(subjects=6, progressbar=False)
    assert not (data_home / "ds003720").exists()
