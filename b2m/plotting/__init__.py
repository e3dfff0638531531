"""Static figures (matplotlib and nilearn): the ``plot_*`` twins of the ``b2m_widgets`` views.

Every interactive ``b2m_widgets.view_*`` has a static twin here, so that exported HTML, PDFs
and headless runs show the same content. matplotlib, scipy and nilearn are imported lazily,
inside the functions; this module never imports plotly, ipywidgets or anywidget.

The helpers shared with the widgets (:func:`embedding_map`, :func:`genre_colors`,
:func:`surface_style`) live here so that the static and interactive views place and colour
clips and maps identically. Modules: ``_embeddings`` (clip maps), ``_surface`` (cortex),
``_audio`` (clips and runs), ``_volume`` (native-space maps), ``_tags`` (decoded tags),
``_listening`` (listening-test scores).
"""

from __future__ import annotations

from b2m.plotting._audio import plot_clip, plot_run
from b2m.plotting._embeddings import (
    EMBEDDING_METHODS,
    embedding_map,
    genre_colors,
    plot_embeddings,
    plot_neighbours,
)
from b2m.plotting._listening import plot_listening_scores
from b2m.plotting._surface import (
    SurfaceStyle,
    color_limits,
    load_sulcal_depth,
    plot_surface,
    surface_style,
)
from b2m.plotting._tags import plot_decoded_tags, plot_tag_scores
from b2m.plotting._volume import plot_volume_map, values_to_volume

__all__ = [
    "EMBEDDING_METHODS",
    "SurfaceStyle",
    "color_limits",
    "embedding_map",
    "genre_colors",
    "load_sulcal_depth",
    "plot_clip",
    "plot_decoded_tags",
    "plot_embeddings",
    "plot_listening_scores",
    "plot_neighbours",
    "plot_run",
    "plot_surface",
    "plot_tag_scores",
    "plot_volume_map",
    "surface_style",
    "values_to_volume",
]
