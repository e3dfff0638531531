"""The real study (ds003720) as a :class:`b2m.datasets.Study`: responses, clips, audio, captions.

Audio is GTZAN, which b2m cannot redistribute: point to a local copy with ``gtzan_dir`` or the
``B2M_GTZAN`` environment variable (``<data home>/gtzan`` is used when it exists). Captions
(Brain2Music's, one per clip) come from a file given as ``captions`` (the data manifest's
default folder, ``<data home>/brain2music_captions``, is used when it exists). Both are
optional: without them the study loads, captions are empty strings and
:meth:`Study.load_audio` says how to point to GTZAN.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pandas as pd

from b2m.config import get_data_home
from b2m.datasets._events import SAMPLE_RATE, clips_from_schedule
from b2m.datasets._study import Study

__all__ = ["load_real_study"]

_GTZAN_ENV = "B2M_GTZAN"


def gtzan_key(stimuli) -> str:
    """Suffix of the study key naming the GTZAN copy (audio features are cached by key)."""
    import hashlib

    where = f"{Path(stimuli.root).resolve()}|{getattr(stimuli, 'layout', '')}"
    return f"-gtzan-{hashlib.sha256(where.encode()).hexdigest()[:8]}"


def _attach_captions(clips: pd.DataFrame, captions) -> str:
    """Fill ``clips["caption"]`` from a captions file; return a short hash of the captions."""
    from b2m.datasets._captions import load_captions

    series = load_captions(captions, clips)
    if not isinstance(series, pd.Series):
        raise TypeError(
            f"load_captions must return a pandas.Series; received {type(series).__name__}."
        )
    clips["caption"] = series.reindex(clips["clip_id"]).fillna("").astype(str).to_numpy()
    text = "\x1f".join(clips["caption"])
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def load_real_study(
    subject: str,
    *,
    bids_root=None,
    derivatives: str = "raw",
    window=None,
    confounds=None,
    mask_img=None,
    gtzan_dir=None,
    captions=None,
    data_home=None,
    progressbar: bool = True,
    high_pass=None,
):
    """Build the :class:`~b2m.datasets.Study` of one ds003720 subject (see ``load_study``)."""
    from b2m.datasets.bids._load import load_ds003720_responses

    home = get_data_home(data_home)
    loaded = load_ds003720_responses(
        bids_root,
        subject,
        derivatives=derivatives,
        window=window,
        confounds=confounds,
        mask_img=mask_img,
        data_home=home,
        progressbar=progressbar,
        high_pass=high_pass,
    )
    clips = clips_from_schedule(loaded.schedule)
    if captions is None:
        from b2m.datasets._captions import default_location

        folder = default_location(home)[0]
        captions = folder if folder.is_dir() else None
    key = "ds003720"
    if captions is not None:
        key += f"-captions-{_attach_captions(clips, captions)}"
    if gtzan_dir is None:
        gtzan_dir = os.environ.get(_GTZAN_ENV) or None
    if gtzan_dir is None and (home / "gtzan").is_dir():
        gtzan_dir = home / "gtzan"
    stimuli = None
    if gtzan_dir is not None:
        from b2m.datasets._gtzan import GTZANStimuli

        stimuli = GTZANStimuli(Path(gtzan_dir).expanduser())
        key += gtzan_key(stimuli)
    return Study(
        dataset="ds003720",
        subject=loaded.subject,
        clips=clips,
        responses=loaded.responses,
        space=loaded.space,
        root=Path(loaded.info.get("bids_root", "")),
        key=key,
        sample_rate=SAMPLE_RATE,
        mask_img=loaded.mask_img,
        data_home=home,
        stimuli=stimuli,
        source={
            "bids_root": loaded.info.get("bids_root"),
            "derivatives": derivatives,
            "confounds": confounds,
            "high_pass": high_pass,
            "mask_img": loaded.mask_img,
            "cache_path": str(loaded.cache_path),
        },
    )
