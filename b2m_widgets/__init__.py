"""b2m_widgets: the interactive views of b2m-explorer (JupyterLab).

Brain-surface viewer, embedding scatter, audio player, retrieval list and the explorers that
link them. This package imports :mod:`b2m`, never the reverse. Every ``view_*`` has a static
twin ``b2m.plotting.plot_*`` for exported HTML and headless runs. Nothing is loaded from a CDN.
"""

from b2m_widgets._cliplist import ClipList
from b2m_widgets.audio import AudioPlayer, encode_wav, view_ab, view_audio
from b2m_widgets.explorer import ClipExplorer, view_clip_explorer
from b2m_widgets.listening import ListeningWidget, view_listening_test
from b2m_widgets.retrieval import NeighbourList, check_neighbours, view_neighbours
from b2m_widgets.scatter import EmbeddingScatter, view_embeddings
from b2m_widgets.surface import SurfaceViewer, view_surface
from b2m_widgets.volume import view_volume

__all__ = [
    "AudioPlayer",
    "ClipExplorer",
    "ClipList",
    "EmbeddingScatter",
    "ListeningWidget",
    "NeighbourList",
    "SurfaceViewer",
    "check_neighbours",
    "encode_wav",
    "view_ab",
    "view_audio",
    "view_clip_explorer",
    "view_embeddings",
    "view_listening_test",
    "view_neighbours",
    "view_surface",
    "view_volume",
]
