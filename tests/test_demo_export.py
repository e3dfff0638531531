"""The demo's executed notebooks are light and their HTML opens offline."""

import json
import re

import nbformat
import pytest

from b2m.demo import execute_notebook

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
    assert "widgets" not in executed["metadata"]  # no stored state (plotly.js would be ~5 MB each)
    outputs = executed["cells"][1]["outputs"]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    html = out.with_suffix(".html").read_text()
    # Nothing loaded from a CDN (nbconvert's Mermaid loader imports only when a diagram exists)
    sources = re.findall(r"<script[^>]*\bsrc=\"([^\"]*)\"", html)
    assert sources and not [s for s in sources if s.startswith(("http:", "https:", "//"))]
    assert "unpkg.com" not in html  # the widget HTML manager
    assert not list((tmp_path / "out").glob(".*part*"))  # atomic writes left no temporary
