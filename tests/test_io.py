import os

import numpy as np
import pytest

from b2m._utils._io import atomic_path, save_json, save_npz


def test_atomic_write_keeps_old_file_on_error(tmp_path):
    target = tmp_path / "x.json"
    save_json(target, {"a": 1})
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise KeyboardInterrupt
    assert target.read_text().strip().startswith("{")
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_atomic_files_get_umask_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        path = save_npz(tmp_path / "a.npz", x=np.arange(3))
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644
    assert np.load(path)["x"].tolist() == [0, 1, 2]


def test_numpy_blas_beside_torch_limits_openblas_not_torch_and_restores():
    import scipy.linalg  # noqa: F401  (loads SciPy's OpenBLAS too, where it has its own)
    from threadpoolctl import threadpool_info

    from b2m._utils._parallel import numpy_blas_beside_torch

    torch = pytest.importorskip("torch")

    def threads():
        return {(p["filepath"], p["internal_api"]): p["num_threads"] for p in threadpool_info()}

    before, torch_threads = threads(), torch.get_num_threads()
    openblas = [key for key in before if key[1] == "openblas"]
    assert openblas, "numpy should load an OpenBLAS here"
    with numpy_blas_beside_torch():
        inside = threads()
        assert torch.get_num_threads() == torch_threads  # torch keeps its cores
    assert all(inside[key] == 1 for key in openblas), inside
    assert threads() == before


def test_environ_restored_undoes_additions_changes_and_removals(monkeypatch):
    import os

    from b2m._utils._parallel import environ_restored

    monkeypatch.setenv("B2M_TEST_KEPT", "kept")
    monkeypatch.setenv("B2M_TEST_CHANGED", "before")
    monkeypatch.setenv("B2M_TEST_REMOVED", "here")
    monkeypatch.delenv("B2M_TEST_ADDED", raising=False)
    before = dict(os.environ)
    with pytest.raises(RuntimeError, match="inside"):  # restored on an error too
        with environ_restored():
            os.environ["B2M_TEST_ADDED"] = "new"
            os.environ["B2M_TEST_CHANGED"] = "after"
            del os.environ["B2M_TEST_REMOVED"]
            assert os.environ["B2M_TEST_CHANGED"] == "after"
            raise RuntimeError("inside")
    assert dict(os.environ) == before
    assert "B2M_TEST_ADDED" not in os.environ and os.environ["B2M_TEST_REMOVED"] == "here"


def test_thread_map_keeps_order_and_counts_items_only_when_asked(capsys, monkeypatch):
    import threading

    from b2m._utils._parallel import thread_map

    monkeypatch.setenv("B2M_PROGRESS", "1")
    items = list(range(7))
    ran = thread_map(lambda i: (i, threading.get_ident()), items, 2)
    assert [i for i, _ in ran] == items
    assert threading.get_ident() not in {t for _, t in ran}  # on the pool's threads
    assert capsys.readouterr().err == ""  # no desc: no bar
    assert thread_map(str, items, 2, desc="Counting") == [str(i) for i in items]
    assert "Counting" in capsys.readouterr().err
    assert thread_map(str, items, 1, desc="Counting", disable=True) == [str(i) for i in items]
    assert capsys.readouterr().err == ""


def test_process_map_keeps_order_and_silences_worker_bars():
    import os

    from b2m._utils._parallel import process_map

    items = list(range(7))
    # os.getpid shows the work ran elsewhere; B2M_PROGRESS shows the workers' bars are off
    here = process_map(_pid_and_progress_setting, items, 1, disable=True)
    there = process_map(_pid_and_progress_setting, items, 2, disable=True)
    assert [i for i, _, _ in there] == items == [i for i, _, _ in here]
    assert {pid for _, pid, _ in here} == {os.getpid()}
    assert os.getpid() not in {pid for _, pid, _ in there}
    assert {setting for _, _, setting in there} == {"0"}


def _pid_and_progress_setting(i):
    import os

    return i, os.getpid(), os.environ.get("B2M_PROGRESS")
