"""Static figures (the plot_* twins of the widgets) and their shared helpers."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure
from threadpoolctl import threadpool_limits

from b2m.constants import GENRES
from b2m.plotting import (
    color_limits,
    embedding_map,
    genre_colors,
    load_sulcal_depth,
    plot_clip,
    plot_embeddings,
    plot_neighbours,
    plot_surface,
)
from b2m.surface import N_VERTICES


@pytest.fixture(autouse=True)
def plt():
    """pyplot on the non-interactive Agg backend; figures closed after each test."""
    import matplotlib.pyplot as pyplot

    pyplot.switch_backend("Agg")
    yield pyplot
    pyplot.close("all")


@pytest.fixture
def clips():
    rng = np.random.default_rng(0)
    embeddings = rng.standard_normal((30, 7))
    genres = [GENRES[i % 4] for i in range(30)]
    return embeddings, genres


def test_plot_surface_draws_four_views_and_a_colorbar():
    values = np.random.default_rng(0).standard_normal(N_VERTICES)
    fig = plot_surface(values, threshold=1.5, title="random map", percentile=None)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 5
    assert [ax.name for ax in fig.axes[:4]] == ["3d"] * 4
    assert [ax.get_title() for ax in fig.axes[:4]] == [
        "left lateral",
        "right lateral",
        "left medial",
        "right medial",
    ]
    lo, hi = fig.axes[4].get_ylim()
    assert lo == pytest.approx(-np.abs(values).max()) and hi == pytest.approx(-lo)


def test_plot_surface_validates_inputs():
    with pytest.raises(ValueError, match=r"values must have shape \(20484\)"):
        plot_surface(np.zeros(10242))
    with pytest.raises(ValueError, match="mesh must be one of"):
        plot_surface(np.zeros(N_VERTICES), mesh="flat")
    with pytest.raises(ValueError, match="threshold must be a finite number >= 0"):
        plot_surface(np.zeros(N_VERTICES), threshold=-1)
    with pytest.raises(ValueError, match="cmap must be a matplotlib colormap"):
        plot_surface(np.zeros(N_VERTICES), cmap="Nope")


def test_plot_embeddings_colours_by_genre(clips, plt):
    embeddings, genres = clips
    fig = plot_embeddings(embeddings, genres, highlight=3, title="clips")
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == sorted(set(genres))
    assert len(ax.collections) == 4 + 1  # one per genre + the highlight
    colors = genre_colors()
    first = matplotlib.colors.to_hex(ax.collections[0].get_facecolor()[0])
    assert first == colors[labels[0]]
    _, ax2 = plt.subplots()
    assert plot_embeddings(embeddings[:, :2], genres, ax=ax2) is ax2.figure


def test_plot_embeddings_validates_inputs(clips):
    embeddings, genres = clips
    with pytest.raises(ValueError, match="genres has 29"):
        plot_embeddings(embeddings, genres[:-1])
    with pytest.raises(ValueError, match=r"highlight must be an index in \[0, 30\)"):
        plot_embeddings(embeddings, genres, highlight=30)
    with pytest.raises(ValueError, match="embeddings must be a 2-D array"):
        plot_embeddings(embeddings[0], genres)


def test_plot_clip_shows_waveform_and_spectrogram():
    sr = 8000
    waveform = np.sin(2 * np.pi * 440 * np.arange(sr) / sr)
    fig = plot_clip(waveform, sr, title="tone")
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert fig.axes[0].get_title() == "tone"
    assert fig.axes[1].get_ylabel() == "frequency (Hz)"
    with pytest.raises(ValueError, match="waveform must be a 1-D array"):
        plot_clip(np.zeros((2, 100)), sr)
    with pytest.raises(ValueError, match="sr must be a positive integer"):
        plot_clip(waveform, -1)


def test_plot_neighbours_bars():
    fig = plot_neighbours("<q>", ["a", "b", "c"], [0.9, 0.5, 0.1], genres=["pop", "rock", "pop"])
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    assert len(ax.patches) == 3
    assert ax.get_title() == "neighbours of <q>"
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "1. a (pop)",
        "2. b (rock)",
        "3. c (pop)",
    ]
    with pytest.raises(ValueError, match="neighbour_ids has 3, scores has 2"):
        plot_neighbours("q", ["a", "b", "c"], [0.9, 0.5])
    with pytest.raises(ValueError, match="neighbour_ids has 1, genres has 2"):
        plot_neighbours("q", ["a"], [0.9], genres=["pop", "rock"])


def test_embedding_map(clips):
    embeddings, _ = clips
    xy = embedding_map(embeddings)
    assert xy.shape == (30, 2)
    np.testing.assert_allclose(xy, embedding_map(embeddings))  # deterministic
    assert xy[:, 0].var() >= xy[:, 1].var()  # first principal component first
    np.testing.assert_array_equal(embedding_map(embeddings[:, :2]), embeddings[:, :2])
    with threadpool_limits(1):  # t-SNE's OpenMP threads crawl on a busy 2-core machine
        assert embedding_map(embeddings, method="tsne").shape == (30, 2)
    with pytest.raises(ValueError, match="embeddings must have at least 2 columns"):
        embedding_map(embeddings[:, :1])
    with pytest.raises(ValueError, match="method must be one of"):
        embedding_map(embeddings, method="umap")


def test_genre_colors_are_fixed_and_distinct():
    colors = genre_colors()
    assert tuple(colors) == GENRES
    assert len(set(colors.values())) == 10
    assert all(c.startswith("#") and len(c) == 7 for c in colors.values())
    extended = genre_colors(["rock", "speech", "ambient"])
    assert extended["rock"] == colors["rock"]
    assert {"speech", "ambient"} <= set(extended) and extended["speech"] != extended["ambient"]


def test_color_limits_and_sulcal_depth():
    assert color_limits(np.array([-1.0, 3.0])) == (-3.0, 3.0)
    assert color_limits(np.array([1.0, 3.0])) == (1.0, 3.0)
    assert color_limits(np.array([2.0, 2.0])) == (1.5, 2.5)
    assert color_limits(np.array([1.0, 3.0]), vmin=0.0) == (0.0, 3.0)
    with pytest.raises(ValueError, match="vmin must be below vmax"):
        color_limits(np.array([1.0, 3.0]), vmin=4.0)
    sulc = load_sulcal_depth()
    assert sulc.shape == (N_VERTICES,) and np.isfinite(sulc).all()


def test_embedding_map_standardises_units():
    from b2m.plotting import embedding_map

    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 5))
    x[:, 0] *= 1e4  # a dimension in large units (e.g. BPM) must not own the first axis
    coords = embedding_map(x)
    r = abs(np.corrcoef(coords[:, 0], x[:, 0])[0, 1])
    assert r < 0.9
    raw = embedding_map(x, standardize=False)
    assert abs(np.corrcoef(raw[:, 0], x[:, 0])[0, 1]) > 0.99


def test_plot_run_bands_and_errors():
    import pandas as pd

    from b2m.datasets import load_schedule
    from b2m.plotting import plot_run

    s = load_schedule()
    events = s[(s.task == "Training") & (s.run == 1)]
    fig = plot_run(events, np.random.default_rng(0).standard_normal(410), title="run 1")
    ax = fig.axes[0]
    assert len(ax.patches) == 41 and ax.get_title() == "run 1"
    with pytest.raises(ValueError, match="events must have columns"):
        plot_run(pd.DataFrame({"onset": [0]}), np.zeros(10))
    with pytest.raises(ValueError, match="timeseries must be finite"):
        plot_run(events, np.full(410, np.nan))
