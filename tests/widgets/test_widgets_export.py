"""Exports show the figures offline: each surface view carries its static twin as a PNG.

A notebook executed headless without saving widget state (``store_widget_state=False``), then
exported by nbconvert, shows the PNG where the widget was: no widget manager, no CDN, nothing
to fetch. With widget state saved, every plotly figure would carry all of plotly.js (~5 MB)
and the export would need a CDN to draw anything.
"""

from __future__ import annotations

import base64
import re

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.slow

_SOURCE = """\
import numpy as np
from b2m_widgets import view_surface
values = np.random.default_rng(0).standard_normal(20484)
view_surface(np.where(np.abs(values) > 2, values, 0.0), label="test r", title="a map")
"""


@pytest.fixture(scope="module")
def executed():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(_SOURCE)]
    NotebookClient(nb, timeout=300, kernel_name="python3", store_widget_state=False).execute()
    return nb


def test_the_saved_notebook_is_small_and_holds_the_static_twin(executed):
    outputs = executed.cells[0].outputs
    assert len(outputs) == 1 and not [o for o in outputs if o.output_type == "error"]
    data = outputs[0]["data"]
    assert "application/vnd.jupyter.widget-view+json" in data
    assert base64.b64decode(data["image/png"]).startswith(b"\x89PNG")
    assert len(nbformat.writes(executed)) < 1_000_000  # one figure, no plotly.js inside


def test_the_html_export_shows_the_figure_without_any_network(executed):
    from nbconvert import HTMLExporter

    html, _ = HTMLExporter(mathjax_url="", require_js_url="").from_notebook_node(executed)
    assert re.search(r'<img[^>]* src="data:image/png;base64,[A-Za-z0-9+/]{1000}', html)
    assert "widget-view+json" not in html  # no widget to load, hence no widget manager
    remote = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="(https?:[^"]*)"', html)
    assert remote == []


def test_every_figure_view_carries_a_png_for_exports():
    import numpy as np

    from b2m_widgets import view_embeddings

    rng = np.random.default_rng(0)
    genres = ["blues", "jazz"] * 10
    scatter = view_embeddings(rng.normal(size=(20, 4)), genres, [f"c{i}" for i in range(20)])
    data, _metadata = scatter._repr_mimebundle_()  # an anywidget: (data, metadata)
    png = base64.b64decode(data["image/png"])
    assert png.startswith(b"\x89PNG")
    assert "application/vnd.jupyter.widget-view+json" in data
    bare = type(scatter)(rng.normal(size=(20, 4)), genres, [f"c{i}" for i in range(20)])
    assert "image/png" not in bare._repr_mimebundle_()[0]


def test_scatter_rings_marked_clips_and_validates_them():
    import numpy as np

    from b2m_widgets import EmbeddingScatter

    rng = np.random.default_rng(0)
    ids = [f"c{i}" for i in range(20)]
    scatter = EmbeddingScatter(
        rng.normal(size=(20, 4)), ["a", "b"] * 10, ids, marked=[3, 7], marked_label="test clip"
    )
    assert scatter.marked_label == "test clip" and list(scatter.marked) == [3, 7]
    assert list(np.frombuffer(scatter._marked, "<u4")) == [3, 7]
    with pytest.raises(ValueError, match=r"marked must hold rows in \[0, 20\)"):
        EmbeddingScatter(rng.normal(size=(20, 4)), ["a"] * 20, ids, marked=[25])
