"""The widgets of :class:`b2m_widgets.ClipExplorer` and their layout (no behaviour here).

Top row: the embedding scatter and the surface viewer with its measured/predicted toggle.
Bottom row: the A/B players (stimulus, reconstruction) and the two lists (retrieved clips,
reconstructions). The error ``Output`` comes last. Both rows wrap on narrow screens.
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from b2m.surface import N_VERTICES
from b2m_widgets._cliplist import ClipList
from b2m_widgets.audio import AudioPlayer
from b2m_widgets.scatter import EmbeddingScatter
from b2m_widgets.surface import SurfaceViewer

__all__ = ["RESPONSE_KINDS", "build_parts"]

#: What the surface can show for the selected clip.
RESPONSE_KINDS = ("measured", "predicted")


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
    explorer.scatter = EmbeddingScatter(
        explorer.embeddings,
        explorer.genres,
        explorer.clip_ids,
        method=method,
        title=title,
        height=height,
    )
    options = [("(select a clip)", -1)] + [
        (f"{c} ({g})", i)
        for i, (c, g) in enumerate(zip(explorer.clip_ids, explorer.genres, strict=True))
    ]
    explorer.dropdown = widgets.Dropdown(options=options, value=-1, description="clip")
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
    explorer.surface = SurfaceViewer(cmap="RdBu_r", view="lateral", height=height)
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
    if explorer.reconstructions is None:  # nothing to compare the stimulus with
        explorer.reconstruction_player.layout.display = "none"
        explorer.reconstruction_list.layout.display = "none"
    half = widgets.Layout(flex="1 1 48%", min_width="340px")
    explorer.scatter.layout = half
    brain = widgets.VBox([explorer.response_toggle, explorer.surface, note], layout=half)
    players = widgets.VBox(
        [explorer.stimulus_player, explorer.reconstruction_player],
        layout=widgets.Layout(flex="0 1 380px"),
    )
    lists = widgets.VBox(
        [explorer.retrieval_list, explorer.reconstruction_list],
        layout=widgets.Layout(flex="1 1 300px", padding="0 0 0 12px"),
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
        widgets.HBox([explorer.scatter, brain], layout=wrap),
        widgets.HBox([players, lists], layout=wrap),
        explorer.output,
    ]
