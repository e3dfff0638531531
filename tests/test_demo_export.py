"""The demo's executed notebooks are light and their HTML opens offline."""

import json
import os
import re

import nbformat
import pytest

from b2m._utils._parallel import n_cores
from b2m.demo import THREAD_VARIABLES, execute_notebook, kernel_environment

pytestmark = pytest.mark.notebook  # starts a kernel (marked slow by the conftest hook)


def test_executed_copy_has_no_widget_state_and_html_no_cdn(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("A slider, and some maths: $r^2$."),
        nbformat.v4.new_code_cell("import ipywidgets\nipywidgets.IntSlider(3)"),
    ]
    src = tmp_path / "nb" / "t.ipynb"
    src.parent.mkdir()
    nbformat.write(nb, src)
    out = execute_notebook(src, tmp_path / "out", timeout=120)
    executed = json.loads(out.read_text())
    assert "widgets" not in executed["metadata"]  # no stored state: no manager could draw it
    outputs = executed["cells"][1]["outputs"]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    html = out.with_suffix(".html").read_text()
    # Nothing loaded from a CDN (nbconvert's Mermaid loader imports only when a diagram exists)
    sources = re.findall(r"<script[^>]*\bsrc=\"([^\"]*)\"", html)
    assert sources and not [s for s in sources if s.startswith(("http:", "https:", "//"))]
    assert "unpkg.com" not in html  # the widget HTML manager
    assert not list((tmp_path / "out").glob(".*part*"))  # atomic writes left no temporary


def test_kernel_environment_caps_threads_unless_the_user_set_them(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    for name in THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    env = kernel_environment(1)
    assert "MPLBACKEND" not in env and env["PATH"] == os.environ["PATH"]
    assert all(env[name] == "1" for name in THREAD_VARIABLES)
    assert not set(THREAD_VARIABLES) & set(kernel_environment())  # no cap asked for
    monkeypatch.setenv("OMP_NUM_THREADS", "3")  # the user's choice stands, for every pool
    env = kernel_environment(1)
    assert env["OMP_NUM_THREADS"] == "3" and not {"OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"} & set(
        env
    )


def _notebook(path, source):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def test_notebooks_run_two_at_a_time_and_errors_surface(tmp_path, monkeypatch):
    from b2m.demo import execute_notebooks

    # Each kernel writes when it starts and stops; two at a time, the intervals overlap.
    log = tmp_path / "log"
    source = (
        "import os, time\n"
        "with open({log!r}, 'a') as f: f.write(f'start {name} {{time.time()}}\\n')\n"
        "time.sleep(1.5)\n"
        "with open({log!r}, 'a') as f: f.write(f'stop {name} {{time.time()}}\\n')\n"
        "import numpy\n"
        "from threadpoolctl import threadpool_info\n"
        "blas = max(p['num_threads'] for p in threadpool_info() if p['user_api'] == 'blas')\n"
        "print('{name}', os.environ.get('MPLBACKEND'), os.environ.get('OMP_NUM_THREADS'), blas)"
    )
    paths = [
        _notebook(tmp_path / "nb" / f"{n}.ipynb", source.format(log=str(log), name=n))
        for n in ("a", "b")
    ]
    monkeypatch.setenv("MPLBACKEND", "Agg")
    for name in THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    times = execute_notebooks(paths, tmp_path / "out", workers=2, timeout=120)
    assert set(times) == {"a.ipynb", "b.ipynb"} and all(t >= 1.5 for t in times.values())
    events = {}
    for line in log.read_text().splitlines():
        kind, name, stamp = line.split()
        events[(kind, name)] = float(stamp)
    assert events[("start", "b")] < events[("stop", "a")]  # ran at the same time
    for name in ("a", "b"):
        executed = nbformat.read(tmp_path / "out" / f"{name}.ipynb", as_version=4)
        text = executed.cells[0].outputs[0]["text"]
        assert text.startswith(f"{name} ") and "Agg" not in text  # figures drawn inline
        # Two kernels share the cores: each BLAS (and OpenMP) pool gets half of them.
        threads = max(1, n_cores() // 2)
        assert text.split()[2:] == [str(threads), str(threads)]
    assert os.environ["MPLBACKEND"] == "Agg"  # restored
    # A failing notebook raises its error, after the others finished.
    bad = _notebook(tmp_path / "nb" / "bad.ipynb", "1 / 0")
    with pytest.raises(Exception, match="ZeroDivisionError"):
        execute_notebooks([bad, paths[0]], tmp_path / "out2", workers=2, timeout=120)
    assert (tmp_path / "out2" / "a.ipynb").is_file()
    with pytest.raises(ValueError, match="workers must be a positive integer"):
        execute_notebooks(paths, tmp_path / "out", workers=0)
