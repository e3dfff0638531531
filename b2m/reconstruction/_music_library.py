"""A retrieval library of real recordings: the freely licensed Debian music (``make music``).

Brain2Music retrieved from the Free Music Archive, a library disjoint from its stimuli. Here the
same role is played by the ~101 tracks that ``b2m fetch-music`` takes from Debian's game-music
packages (orchestral, electronic, techno, metal; GPL-2+, CC BY-SA 3.0 and MIT-style: each
track's licence is in the metadata). One excerpt per track (by default the middle 15 s, like a
stimulus) is embedded in the decoded space and cached under the data home.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from b2m._utils._progress import progress
from b2m.features import cached_features, get_feature_space
from b2m.models import LibraryIndex

__all__ = ["MusicLibrary", "debian_music_library"]

#: Every excerpt is read at this rate (the feature spaces resample as they need).
_RATE = 22050


@dataclass
class MusicLibrary:
    """Embedded excerpts of real recordings, with their metadata and audio.

    Attributes
    ----------
    space : str
        The feature space of :attr:`embeddings`.
    embeddings : ndarray of shape (n_tracks, n_dims)
        Raw (not standardised) embeddings of each track's excerpt.
    metadata : pandas.DataFrame
        ``clip_id`` (the track's path without suffix), ``genre`` (the package's style),
        ``title``, ``package``, ``licence``, ``path``, ``start``, ``end`` (s).
    """

    space: str
    embeddings: np.ndarray = field(repr=False)
    metadata: pd.DataFrame = field(repr=False)

    def __len__(self) -> int:
        return len(self.metadata)

    def load_audio(self, clip_id: str) -> tuple[np.ndarray, int]:
        """The excerpt of one track: ``(mono float32 waveform, sample rate)``."""
        # lazy: b2m.datasets pulls pooch, yaml and platformdirs into `import b2m.reconstruction`
        from b2m.datasets import load_debian_track

        rows = self.metadata.index[self.metadata["clip_id"] == str(clip_id)]
        if len(rows) == 0:
            raise ValueError(
                f"clip_id must be a track of this library (e.g. "
                f"{self.metadata['clip_id'].iloc[0]!r}); received {clip_id!r}."
            )
        row = self.metadata.loc[rows[0]]
        return load_debian_track(
            row["path"],
            sr=_RATE,
            seconds=float(row["end"] - row["start"]),
            offset=float(row["start"]),
        )

    def index(self, transform=None):
        """A :class:`b2m.models.LibraryIndex` of the (optionally transformed) embeddings.

        Parameters
        ----------
        transform : callable, optional
            E.g. ``decoding.decoder.transform_embeddings``, to search in a decoder's
            standardised space.
        """
        emb = self.embeddings if transform is None else transform(self.embeddings)
        return LibraryIndex(np.asarray(emb, dtype=np.float32), self.metadata)


def debian_music_library(
    space: str = "musicnn",
    *,
    root: str | os.PathLike | None = None,
    excerpt: float = 15.0,
    styles=None,
    data_home: str | os.PathLike | None = None,
    progressbar: bool = True,
) -> MusicLibrary:
    """Embed the fetched Debian music (one excerpt per track) for retrieval, cached on disk.

    Parameters
    ----------
    space : str, default "musicnn"
        An audio feature space (:func:`b2m.features.get_feature_space`).
    root : path-like, optional
        The folder ``b2m fetch-music`` filled; default :func:`b2m.datasets.debian_music_root`
        (``$B2M_MUSIC``, else ``<data home>/debian_music``).
    excerpt : float, default 15.0
        Seconds taken from the middle of each track (the stimuli's length).
    styles : sequence of str, optional
        Keep only these styles (``"orchestral"``, ``"electronic"``, ``"techno"``,
        ``"metal"``).
    data_home : path-like, optional
        Where the embedding cache goes (see :func:`b2m.config.get_data_home`).
    progressbar : bool, default True

    Returns
    -------
    MusicLibrary

    Raises
    ------
    FileNotFoundError
        If the music has not been fetched (the message says how: ``make music``).
    ValueError
        If ``space`` is not an audio space or ``excerpt`` is not positive.
    """
    # lazy: b2m.datasets pulls pooch, yaml and platformdirs into `import b2m.reconstruction`
    from b2m.datasets import debian_music_root, load_debian_music, load_debian_track

    fs = get_feature_space(space)
    if fs.modality != "audio":
        raise ValueError(
            f"space must be an audio feature space; received {space!r} (modality {fs.modality!r})."
        )
    if not (np.isscalar(excerpt) and np.isfinite(excerpt) and excerpt > 0):
        raise ValueError(f"excerpt must be a positive number of seconds; received {excerpt!r}.")
    if root is None:
        root = debian_music_root(data_home)
    tracks = load_debian_music(root, styles=styles).reset_index(drop=True)
    starts = np.maximum(0.0, (tracks["duration_s"].to_numpy() - float(excerpt)) / 2)
    ends = np.minimum(tracks["duration_s"].to_numpy(), starts + float(excerpt))
    metadata = pd.DataFrame(
        {
            "clip_id": [
                os.path.splitext(os.path.relpath(str(p), str(root)))[0] for p in tracks["path"]
            ],
            "genre": tracks["style"].astype(str),
            "title": tracks["title"].astype(str),
            "package": tracks["package"].astype(str),
            "licence": tracks["licence"].astype(str),
            "path": tracks["path"].astype(str),
            "start": starts,
            "end": ends,
        }
    )

    def compute():
        rows = progress(
            metadata.itertuples(),
            total=len(metadata),
            desc="Embedding Debian music",
            disable=None if progressbar else True,
        )
        waves = [
            load_debian_track(r.path, sr=_RATE, seconds=r.end - r.start, offset=r.start)[0]
            for r in rows
        ]
        return fs.embed_audio(waves, _RATE)

    embeddings = cached_features(
        fs,
        dataset_key=f"debian-music-{_digest(metadata)}",
        clip_ids=metadata["clip_id"].tolist(),
        compute=compute,
        data_home=data_home,
    )
    return MusicLibrary(space=fs.name, embeddings=np.asarray(embeddings), metadata=metadata)


def _digest(metadata: pd.DataFrame) -> str:
    """Names the library's cache: a hash of which excerpts of which files it embeds."""
    import hashlib

    cols = metadata[["path", "start", "end"]].astype(str).agg("|".join, axis=1)
    return hashlib.sha256("\n".join(cols).encode()).hexdigest()[:12]
