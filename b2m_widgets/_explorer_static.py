"""The static twin of :class:`b2m_widgets.ClipExplorer`: one matplotlib figure of its state.

Composed only of :mod:`b2m.plotting` twins (map, surface, clip, neighbours), so that exported
notebooks (PDF, or HTML without widget state) show what the explorer showed.
"""

from __future__ import annotations

import base64
import io

import numpy as np

__all__ = ["explorer_figure", "figure_png"]


def explorer_figure(explorer):
    """Draw the explorer's current state.

    Parameters
    ----------
    explorer : ClipExplorer

    Returns
    -------
    matplotlib.figure.Figure
        Top: the embedding map (selected clip circled) and the surface map shown, if any.
        Bottom: the stimulus (waveform, spectrogram) and the retrieved clips.
    """
    import matplotlib.pyplot as plt

    from b2m.plotting import plot_clip, plot_embeddings, plot_neighbours, plot_surface

    index = explorer.selected
    fig = plt.figure(figsize=(14, 9))
    (map_fig, brain_fig), (clip_fig, list_fig) = fig.subfigures(2, 2)
    plot_embeddings(
        explorer.scatter.coordinates,
        explorer.genres,
        highlight=None if index < 0 else index,
        title="clips" if index < 0 else f"selected: {explorer.clip_ids[index]}",
        ax=map_fig.subplots(),
    )
    values = explorer.surface.values if explorer.has_surface else None
    if values is not None and index >= 0:
        title = explorer.surface.title
        plot_surface(
            values,
            cmap="RdBu_r",
            title=title,
            figure=brain_fig,
            label=explorer.surface.label,
        )
    else:
        ax = brain_fig.subplots()
        ax.axis("off")
        ax.text(0.5, 0.5, "no brain map", ha="center", va="center", color="#777777")
    player = explorer.stimulus_player
    if player.wav_bytes:
        import soundfile as sf

        waveform, sr = sf.read(io.BytesIO(player.wav_bytes), dtype="float32")
        axes = clip_fig.subplots(2, 1, sharex=True)
        clip_fig.subplots_adjust(left=0.12, right=0.95)
        plot_clip(waveform, sr, title=player.title, axes=axes)
    items = explorer._retrieved if index >= 0 else []
    if items:
        plot_neighbours(
            str(explorer.clip_ids[index]),
            [it["clip_id"] for it in items],
            np.array([it["score"] for it in items]),
            genres=[it["genre"] for it in items],
            title=explorer.retrieval_list.title,
            ax=list_fig.add_axes((0.36, 0.1, 0.56, 0.8)),
        )
    return fig


def figure_png(fig, dpi: int = 72) -> str:
    """Render a matplotlib figure to a base64-encoded PNG (for display data) and close it.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    dpi : int, default 72

    Returns
    -------
    str
        The PNG file, base64-encoded (ASCII).
    """
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=dpi)
    finally:
        plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")
