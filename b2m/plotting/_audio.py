"""A clip's waveform and spectrogram, and a run of brain activity against its schedule.

matplotlib, scipy and nilearn are imported lazily, inside the functions."""

from __future__ import annotations

import numpy as np

from b2m._utils._validation import check_array
from b2m.plotting._embeddings import genre_colors

__all__ = ["plot_clip", "plot_run"]


def plot_clip(waveform, sr: int, *, title: str | None = None, axes=None):
    """Plot a clip's waveform above its spectrogram.

    Static twin of :func:`b2m_widgets.view_audio` (and, once per waveform, of
    :func:`b2m_widgets.view_ab`).

    Parameters
    ----------
    waveform : array-like of shape (n_samples,)
        Mono audio samples (finite).
    sr : int
        Sampling rate in Hz.
    title : str, optional
        Title above the waveform.
    axes : pair of matplotlib.axes.Axes, optional
        Axes for the waveform and the spectrogram; a new figure when omitted.

    Returns
    -------
    matplotlib.figure.Figure
        The figure with (at least) two axes: waveform, spectrogram.
    """
    x = check_array(waveform, "waveform", ndim=1, min_samples=2)
    if isinstance(sr, bool) or not isinstance(sr, (int, np.integer)) or sr <= 0:
        raise ValueError(f"sr must be a positive integer (Hz); received {sr!r}.")
    import matplotlib.pyplot as plt
    from scipy.signal import spectrogram

    if axes is None:
        _, axes = plt.subplots(2, 1, figsize=(7, 4.5), sharex=True, layout="constrained")
    if len(axes) != 2:
        raise ValueError(f"axes must be a pair of Axes; received {len(axes)} axes.")
    ax_wave, ax_spec = axes
    t = np.arange(len(x)) / sr
    ax_wave.plot(t, x, lw=0.5, color="#333333")
    ax_wave.set_ylabel("amplitude")
    ax_wave.set_xlim(0, t[-1])
    nperseg = int(min(1024, len(x)))
    freqs, times, power = spectrogram(x, fs=sr, nperseg=nperseg, noverlap=nperseg // 2)
    db = 10 * np.log10(power + 1e-12)
    ax_spec.pcolormesh(times, freqs, db, shading="auto", cmap="magma", vmin=db.max() - 80)
    ax_spec.set_ylabel("frequency (Hz)")
    ax_spec.set_xlabel("time (s)")
    if title:
        ax_wave.set_title(title)
    return ax_wave.figure


def plot_run(events, timeseries, *, tr: float = 1.5, delay: float = 3.0, title=None, ax=None):
    """A run's time series against its clips: one shaded band per clip, coloured by genre.

    Parameters
    ----------
    events : pandas.DataFrame
        The run's events (``onset``, ``duration``, ``genre``; ``is_lead_in`` optional).
    timeseries : array of shape (n_volumes,) or (n_volumes, n_series)
        Signals sampled every ``tr`` seconds (e.g. a few vertices, or a region's mean).
    tr : float, default 1.5
    delay : float, default 3.0
        Haemodynamic delay: bands are drawn over each clip's response window.
    title : str, optional
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    y = check_array(timeseries, "timeseries", ndim=(1, 2))
    y = y[:, None] if y.ndim == 1 else y
    missing = {"onset", "duration", "genre"} - set(events.columns)
    if missing:
        raise ValueError(
            f"events must have columns onset, duration, genre; missing {sorted(missing)}."
        )
    if ax is None:
        fig, ax = plt.subplots(figsize=(10, 3))
    else:
        fig = ax.figure
    colors = genre_colors()
    for onset, duration, genre in zip(
        events["onset"], events["duration"], events["genre"], strict=True
    ):
        ax.axvspan(
            onset + delay,
            onset + delay + duration,
            color=colors.get(genre, "0.8"),
            alpha=0.18,
            lw=0,
        )
    t = np.arange(len(y)) * tr
    ax.plot(t, y, lw=0.8)
    ax.set_xlim(0, t[-1])
    ax.set_xlabel("time (s)")
    ax.set_ylabel("BOLD (z)")
    present = list(dict.fromkeys(events["genre"]))
    ax.legend(
        handles=[Patch(color=colors.get(g, "0.8"), alpha=0.4, label=g) for g in present],
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        fontsize=8,
        frameon=False,
    )
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
