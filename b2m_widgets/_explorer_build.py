"""The widgets of :class:`b2m_widgets.ClipExplorer` and their layout (no behaviour here).

Top row: the embedding scatter (test clips with reconstructions ringed), then the A/B players
(stimulus, reconstruction) above the two lists (retrieved clips, reconstructions). Second row: the
surface viewer with its measured/predicted toggle and the vertex panel (what a picked vertex
responds to). The error ``Output`` comes last. Figures have fixed widths and the rows wrap, so
nothing is clipped at a 968-px notebook width, nor at 1400.
"""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np

from b2m.surface import N_VERTICES
from b2m_widgets._cliplist import ClipList
from b2m_widgets._clippicker import ClipPicker
from b2m_widgets._vertex_panel import VertexPanel
from b2m_widgets.audio import AudioPlayer
from b2m_widgets.scatter import EmbeddingScatter
from b2m_widgets.surface import SurfaceViewer

__all__ = ["RESPONSE_KINDS", "build_parts", "clip_groups"]

#: What the surface can show for the selected clip.
RESPONSE_KINDS = ("measured", "predicted")
_SCATTER_W, _SURFACE_W = 440, 600


def clip_groups(explorer) -> tuple[list[dict], np.ndarray, str]:
    """The picker's options (grouped, test clips with reconstructions first) and the rows to ring.

    Parameters
    ----------
    explorer : ClipExplorer
        Holds ``clip_ids``, ``genres``, ``responses`` and ``reconstructions``.

    Returns
    -------
    options : list of dict
        ``value`` (row), ``label``, ``group``, ``title``, in display order.
    marked : ndarray of int
        Rows ringed in the scatter.
    marked_label : str
    """
    recons = explorer.reconstructions
    keyed = recons is not None and not callable(recons)
    rows = []
    for i, (clip, genre) in enumerate(zip(explorer.clip_ids, explorer.genres, strict=True)):
        split = explorer.responses.rows.get(str(clip), (None,))[0]
        has = keyed and bool(recons.get(str(clip)))
        if has:
            rank, group = (
                0,
                "test clips with reconstructions" if split == "test" else "with reconstructions",
            )
        elif split == "test":
            rank, group = 1, "test clips"
        elif split == "train":
            rank, group = 2, "training clips"
        else:
            rank, group = 3, "clips"
        rows.append((rank, str(genre), str(clip), i, group, has, split))
    rows.sort()
    options = [
        {
            "value": i,
            "label": f"{clip} ({genre})",
            "group": f"{group} · {genre}",
            "title": f"{clip} · {genre} · {group}",
        }
        for _rank, genre, clip, i, group, _has, _split in rows
    ]
    with_recons = np.array(sorted(r[3] for r in rows if r[5]), dtype=int)
    if with_recons.size:
        return options, with_recons, "has reconstructions"
    tests = np.array(sorted(r[3] for r in rows if r[6] == "test"), dtype=int)
    if tests.size and tests.size < len(rows):
        return options, tests, "test clip"
    return options, np.array([], dtype=int), ""


def build_parts(explorer, method: str, title: str | None, height: int = 400) -> list:
    """Create the explorer's widgets as its attributes and return its children.

    Parameters
    ----------
    explorer : ClipExplorer
        Holds ``embeddings``, ``genres``, ``clip_ids``, ``responses`` and
        ``reconstructions`` (None hides the B player and its list); receives ``output``,
        ``scatter``, ``dropdown``, ``response_toggle``, ``stimulus_player``,
        ``reconstruction_player``, ``retrieval_list``, ``reconstruction_list``, ``surface``,
        ``text_box`` (hidden unless the explorer has a ``text_search``) and ``has_surface``.
    method : {"pca", "tsne"}
        Projection of the scatter.
    title : str or None
        Scatter title.
    height : int, default 400
        Height of the scatter and of the surface, in pixels.

    Returns
    -------
    list of ipywidgets.Widget
        The children of the explorer's ``VBox``.
    """
    explorer.output = widgets.Output(layout=widgets.Layout(max_height="240px", overflow="auto"))
    options, marked, marked_label = clip_groups(explorer)
    explorer.scatter = EmbeddingScatter(
        explorer.embeddings,
        explorer.genres,
        explorer.clip_ids,
        method=method,
        title=title,
        height=height,
        width=_SCATTER_W,
        marked=marked if marked.size else None,
        marked_label=marked_label,
    )
    explorer.dropdown = ClipPicker(options, description="clip")
    kinds = RESPONSE_KINDS if explorer.responses.encoder is not None else RESPONSE_KINDS[:1]
    explorer.response_toggle = widgets.ToggleButtons(
        options=kinds, value="measured", description="response", tooltips=list(kinds)
    )
    explorer.stimulus_player = AudioPlayer(title="stimulus: select a clip")
    explorer.stimulus_player.add_class("b2m-stimulus-player")
    explorer.reconstruction_player = AudioPlayer(title="reconstruction")
    explorer.reconstruction_player.add_class("b2m-reconstruction-player")
    explorer.retrieval_list = ClipList(title="retrieved clips", output=explorer.output)
    explorer.retrieval_list.add_class("b2m-retrieval-list")
    explorer.reconstruction_list = ClipList(
        title="reconstructions", empty_text="none for this clip", output=explorer.output
    )
    explorer.reconstruction_list.add_class("b2m-reconstruction-list")
    explorer.has_surface = explorer.responses.n_values == N_VERTICES
    explorer.surface = SurfaceViewer(
        cmap="RdBu_r", view="lateral", height=height - 80, width=_SURFACE_W
    )
    explorer.vertex_panel = VertexPanel(output=explorer.output, k=explorer.k)
    note = widgets.HTML()
    if explorer.responses.responses is None:
        note.value = "<i>no brain responses for these clips</i>"
    elif not explorer.has_surface:
        note.value = html.escape(
            f"responses have {explorer.responses.n_values} values per clip; the surface viewer "
            f"needs fsaverage5's {N_VERTICES} vertices"
        )
    if not explorer.has_surface:
        explorer.surface.layout.display = "none"
        explorer.response_toggle.layout.display = "none"
        explorer.vertex_panel.layout.display = "none"
    if explorer.reconstructions is None:  # nothing to compare the stimulus with
        explorer.reconstruction_player.layout.display = "none"
        explorer.reconstruction_list.layout.display = "none"
    explorer.scatter.layout = widgets.Layout(
        flex=f"0 0 {_SCATTER_W + 4}px", width=f"{_SCATTER_W + 4}px", overflow="hidden"
    )
    brain = widgets.VBox(
        [explorer.response_toggle, explorer.surface, note],
        layout=widgets.Layout(flex=f"0 0 {_SURFACE_W + 4}px", overflow="hidden"),
    )
    explorer.vertex_panel.layout = widgets.Layout(
        flex="1 1 300px", min_width="300px", padding="0 0 0 12px"
    )
    side = widgets.VBox(
        [
            explorer.stimulus_player,
            explorer.reconstruction_player,
            explorer.retrieval_list,
            explorer.reconstruction_list,
        ],
        layout=widgets.Layout(flex="1 1 360px", min_width="340px", padding="0 0 0 12px"),
    )
    explorer.text_box = widgets.Text(
        placeholder="describe the music, e.g. distorted guitar, fast drums (Enter)",
        description="search",
        continuous_update=False,
        layout=widgets.Layout(width="100%", max_width="640px"),
    )
    explorer.text_box.add_class("b2m-text-search")
    if explorer.text_search is None:
        explorer.text_box.layout.display = "none"
    wrap = widgets.Layout(flex_flow="row wrap", width="100%")
    return [
        explorer.dropdown,
        explorer.text_box,
        widgets.HBox([explorer.scatter, side], layout=wrap),
        widgets.HBox([brain, explorer.vertex_panel], layout=wrap),
        explorer.output,
    ]
