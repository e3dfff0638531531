"""The real ds003720 stimuli, cut from the user's own copy of GTZAN.

GTZAN is not redistributable, so b2m never downloads it (see the ``gtzan`` entry of the data
manifest). :class:`GTZANStimuli` finds a local copy in either of the layouts in circulation,
cuts each clip's ``[start, end)`` excerpt, makes it mono, resamples it and applies the
ds003720 stimulus treatment (2 s linear fades, RMS normalisation) with the same function the
simulated study uses (:func:`b2m.datasets.simulation.music.apply_fades_and_rms`).
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from b2m._utils._audio import resample
from b2m._utils._progress import progress
from b2m._utils._validation import check_choice
from b2m.config import get_data_home
from b2m.datasets._events import FADE_SECONDS, GENRES, SAMPLE_RATE
from b2m.datasets._events import clip_id as make_clip_id
from b2m.datasets._manifest import load_manifest
from b2m.datasets.simulation.music._render import apply_fades_and_rms

__all__ = ["GTZAN_ENV_VAR", "GTZANFileError", "GTZANFileNotFoundError", "GTZANStimuli"]

#: Environment variable naming the folder of the user's GTZAN copy.
GTZAN_ENV_VAR = "B2M_GTZAN"

_LAYOUTS = ("genres", "genres_original")
_EXTENSIONS = (".wav", ".au")
_ROW_KEYS = ("genre", "track", "start", "end")
_PROBLEM_COLUMNS = ["clip_id", "genre", "track", "start", "end", "path", "problem", "detail"]


class GTZANFileError(OSError):
    """A GTZAN file cannot give a clip: missing, unreadable, too short or silent.

    The message names the file, what is wrong and every clip that needs the file.

    Attributes
    ----------
    path : pathlib.Path
        The file at fault.
    clip_ids : tuple of str
        The clips that need it.
    problem : {"missing", "unreadable", "too short", "silent"}
        What is wrong.
    """

    def __init__(self, problem: str, path, clip_ids, detail: str) -> None:
        self.path, self.clip_ids, self.problem = Path(path), tuple(clip_ids), problem
        super().__init__(
            f"GTZAN file {str(path)!r} {detail}; needed by clip(s) {', '.join(self.clip_ids)}."
        )


class GTZANFileNotFoundError(GTZANFileError, FileNotFoundError):
    """The GTZAN file a clip needs does not exist (also a :class:`FileNotFoundError`)."""


def _default_root() -> tuple[Path, str]:
    env = os.environ.get(GTZAN_ENV_VAR) or None
    if env is not None:
        return Path(env).expanduser(), f"from the {GTZAN_ENV_VAR} environment variable"
    default_dir = load_manifest().dataset("gtzan").default_dir or "gtzan"
    home = get_data_home(create=False)
    return home / default_dir, "the default <data home>/" + default_dir


def _has_genre_dirs(folder: Path) -> bool:
    return folder.is_dir() and any((folder / g).is_dir() for g in GENRES)


def _get(row, key):
    if isinstance(row, (Mapping, pd.Series)):
        return row[key] if key in row else None
    return getattr(row, key, None)


def _check_track(track, name: str = "track") -> int:
    number = isinstance(track, (int, float, np.number)) and not isinstance(track, (bool, np.bool_))
    if not (number and math.isfinite(track) and float(track).is_integer() and track >= 0):
        raise ValueError(
            f"{name} must be a non-negative integer (the GTZAN file number); received "
            f"{track!r} ({type(track).__name__})."
        )
    return int(track)


def _check_genre(genre, name: str = "genre") -> str:
    if not isinstance(genre, str):
        raise TypeError(f"{name} must be a GTZAN genre name; received {type(genre).__name__}.")
    return check_choice(genre.strip().strip("'\"").strip().lower(), name, GENRES)


class GTZANStimuli:
    """The ds003720 stimuli, cut from a local copy of GTZAN.

    Parameters
    ----------
    root : str or path-like, optional
        The GTZAN folder, in any of these forms: ``root/genres/<genre>/<genre>.000NN.wav`` (the
        original archive; ``.au`` files are accepted too), ``root/genres_original/<genre>/...``
        (the Kaggle variant), or ``root`` being the folder that holds the genre folders.
        Default: the ``B2M_GTZAN`` environment variable, else ``<data home>/gtzan``.
    sample_rate : int, default 22050
        Sampling rate (Hz) of the returned clips; files at another rate are resampled
        (polyphase, :func:`scipy.signal.resample_poly`).
    fade : float, default 2.0
        Linear fade-in and fade-out (s) applied to each clip, as in ds003720; 0 disables it.
    on_error : {"raise", "skip"}, default "raise"
        What :meth:`load_clips` does when a clip's file is missing, unreadable, too short or
        silent: raise a :class:`GTZANFileError`, or skip the clip, warn, and list it in
        :attr:`skipped`. :meth:`load_clip` (one clip) always raises.
    target_rms : float, default 0.1
        RMS of every returned clip (after the fades).
    tolerance : float, default 0.05
        Seconds by which a track may fall short of a clip's ``end``; those last samples (inside
        the fade-out) are padded with zeros. A track shorter than ``end - tolerance`` is an
        error.

    Attributes
    ----------
    root : pathlib.Path
        The folder given (or found by default).
    genres_dir : pathlib.Path
        The folder holding the genre folders.
    layout : {"genres", "genres_original", "flat"}
        Which layout was found.
    skipped : pandas.DataFrame
        Clips the last :meth:`load_clips` call skipped (columns ``clip_id genre track start end
        path problem detail``); empty when none.

    Raises
    ------
    FileNotFoundError
        If ``root`` does not exist or holds no GTZAN genre folder in a known layout.
    ValueError
        If ``sample_rate``, ``fade``, ``target_rms``, ``tolerance`` or ``on_error`` is invalid.
    """

    def __init__(
        self,
        root: str | os.PathLike | None = None,
        *,
        sample_rate: int = SAMPLE_RATE,
        fade: float = FADE_SECONDS,
        on_error: str = "raise",
        target_rms: float = 0.1,
        tolerance: float = 0.05,
    ) -> None:
        for name, value, want in (
            ("sample_rate", sample_rate, "a positive integer (Hz)"),
            ("fade", fade, "a non-negative number (s)"),
            ("target_rms", target_rms, "a positive number"),
            ("tolerance", tolerance, "a non-negative number (s)"),
        ):
            kinds = (int, np.integer) if name == "sample_rate" else (int, float, np.number)
            ok = isinstance(value, kinds) and not isinstance(value, (bool, np.bool_))
            if not (ok and math.isfinite(value) and (value >= 0 if "non" in want else value > 0)):
                raise ValueError(f"{name} must be {want}; received {value!r}.")
        check_choice(on_error, "on_error", ("raise", "skip"))
        self.sample_rate, self.fade, self.on_error = int(sample_rate), float(fade), on_error
        self.target_rms, self.tolerance = float(target_rms), float(tolerance)
        self.skipped = pd.DataFrame(columns=_PROBLEM_COLUMNS)
        path, origin = _default_root() if root is None else (Path(root).expanduser(), "as given")
        self.root = path
        if not path.is_dir():
            raise FileNotFoundError(
                f"root must be the folder of your GTZAN copy; received {str(path)!r} ({origin}), "
                f"which {'is not a folder' if path.exists() else 'does not exist'}. "
                "b2m never downloads GTZAN (it is not redistributable): get a copy yourself "
                f"(see {load_manifest().dataset('gtzan').homepage}) and pass root=..., set "
                f"{GTZAN_ENV_VAR}, or place it at <data home>/gtzan/."
            )
        for layout in (*_LAYOUTS, "flat"):
            folder = path if layout == "flat" else path / layout
            if _has_genre_dirs(folder):
                self.genres_dir, self.layout = folder, layout
                break
        else:
            found = sorted(p.name for p in path.iterdir())[:10]
            raise FileNotFoundError(
                f"root must hold GTZAN as genres/<genre>/<genre>.000NN.wav, "
                f"genres_original/<genre>/... or <genre>/... (genres: {', '.join(GENRES)}); "
                f"received {str(path)!r} ({origin}), which contains {found or 'nothing'}."
            )

    def __repr__(self) -> str:
        return (
            f"GTZANStimuli(root={str(self.root)!r}, layout={self.layout!r}, "
            f"sample_rate={self.sample_rate}, fade={self.fade}, on_error={self.on_error!r})"
        )

    # -- files ---------------------------------------------------------------------------
    def path(self, genre: str, track: int) -> Path:
        """Return the file of one GTZAN track.

        Parameters
        ----------
        genre : str
            One of the ten GTZAN genres (surrounding quotes, as in ds003720's events, go).
        track : int
            The file number, 0–99.

        Returns
        -------
        pathlib.Path
            ``<genres_dir>/<genre>/<genre>.000NN.wav``, or the ``.au`` file when only that
            exists. The path is returned even when the file is missing (then the ``.wav``).
        """
        genre = _check_genre(genre)
        stem = make_clip_id(genre, _check_track(track))
        folder = self.genres_dir / genre
        for ext in _EXTENSIONS:
            candidate = folder / f"{stem}{ext}"
            if candidate.is_file():
                return candidate
        return folder / f"{stem}{_EXTENSIONS[0]}"

    # -- clips ---------------------------------------------------------------------------
    def _clip_spec(self, row, name: str = "clip_row") -> dict:
        missing = [k for k in _ROW_KEYS if _get(row, k) is None]
        if missing:
            keys = list(row.keys()) if isinstance(row, (Mapping, pd.Series)) else type(row).__name__
            raise ValueError(
                f"{name} must have {list(_ROW_KEYS)} (a row of load_schedule()); missing "
                f"{missing}, received {keys}."
            )
        genre = _check_genre(_get(row, "genre"), f"{name}['genre']")
        track = _check_track(_get(row, "track"), f"{name}['track']")
        cid = _get(row, "clip_id")
        cid = str(cid) if cid is not None else make_clip_id(genre, track)
        times = pd.to_numeric(pd.Series([_get(row, "start"), _get(row, "end")]), errors="coerce")
        for key, value in zip(("start", "end"), times, strict=True):
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(
                    f"{name}[{key!r}] must be a non-negative number of seconds (clip {cid}); "
                    f"received {_get(row, key)!r}."
                )
        start, end = float(times[0]), float(times[1])
        if end - start <= 2 * self.fade:
            raise ValueError(
                f"{name} must span more than two fades (2 x {self.fade} s); clip {cid} has "
                f"start={start} and end={end}."
            )
        return {"clip_id": cid, "genre": genre, "track": track, "start": start, "end": end}

    def _read(self, spec: dict, clip_ids) -> tuple[np.ndarray, int]:
        """Read the excerpt as (n_samples, n_channels) float32 at the file's rate."""
        import soundfile as sf

        path = self.path(spec["genre"], spec["track"])
        if not path.is_file():
            where = f"the copy at {str(self.root)!r} (layout {self.layout!r})"
            raise GTZANFileNotFoundError("missing", path, clip_ids, f"not found in {where}")
        try:
            info = sf.info(str(path))
            sr = int(info.samplerate)
            i0, i1 = round(spec["start"] * sr), round(spec["end"] * sr)
            stop = max(i0, min(i1, info.frames))
            data = sf.read(str(path), start=i0, stop=stop, dtype="float32", always_2d=True)[0]
        except (RuntimeError, OSError, ValueError, TypeError) as exc:
            detail = f"cannot be read ({exc}); replace it with a good copy"
            raise GTZANFileError("unreadable", path, clip_ids, detail) from None
        if not np.isfinite(data).all():
            raise GTZANFileError("unreadable", path, clip_ids, "decodes to NaN or inf samples")
        short = (i1 - i0) - data.shape[0]
        if short > round(self.tolerance * sr):
            detail = (
                f"is too short: it ends at {min(info.frames, i0 + data.shape[0]) / sr:.3f} s but the clip needs "
                f"[{spec['start']}, {spec['end']}) s"
            )
            raise GTZANFileError("too short", path, clip_ids, detail)
        if short > 0:
            data = np.concatenate([data, np.zeros((short, data.shape[1]), np.float32)])
        if not np.any(data):
            detail = f"is silent over [{spec['start']}, {spec['end']}) s (cannot normalise RMS)"
            raise GTZANFileError("silent", path, clip_ids, detail)
        return data, sr

    def _process(self, data: np.ndarray, sr: int, spec: dict) -> np.ndarray:
        mono = resample(data.astype(np.float64).mean(axis=1), sr, self.sample_rate)
        n_out = round((spec["end"] - spec["start"]) * self.sample_rate)
        if mono.size < n_out:
            mono = np.concatenate([mono, np.zeros(n_out - mono.size)])
        mono = mono[:n_out]
        return apply_fades_and_rms(
            mono, self.sample_rate, fade_seconds=self.fade, target_rms=self.target_rms
        )

    def load_clip(self, clip_row) -> tuple[np.ndarray, int]:
        """Load one stimulus clip.

        Parameters
        ----------
        clip_row : pandas.Series, mapping or namedtuple
            A row of :func:`~b2m.datasets.load_schedule` (or of a study's clip table): needs
            ``genre``, ``track``, ``start`` and ``end`` (seconds in the GTZAN file); an optional
            ``clip_id`` names the clip in errors.

        Returns
        -------
        waveform : ndarray of shape (round((end - start) * sample_rate),), float32
            Mono, resampled to :attr:`sample_rate`, faded in and out over :attr:`fade` s and
            scaled to RMS :attr:`target_rms`.
        sr : int
            :attr:`sample_rate`.

        Raises
        ------
        GTZANFileNotFoundError
            If the file is missing (the message names the file and the clip).
        GTZANFileError
            If the file cannot be decoded, is shorter than ``end`` or silent over the excerpt.
        ValueError, TypeError
            If ``clip_row`` lacks a field or has an invalid value.
        """
        spec = self._clip_spec(clip_row)
        data, sr = self._read(spec, (spec["clip_id"],))
        return self._process(data, sr, spec), self.sample_rate

    def _unique_specs(self, clips) -> list[dict]:
        if isinstance(clips, pd.DataFrame):
            rows = [row for _, row in clips.iterrows()]
        elif isinstance(clips, (Mapping, pd.Series, str)) or not hasattr(clips, "__iter__"):
            raise TypeError(
                "clips must be a DataFrame of clip rows (genre, track, start, end) or a list "
                f"of such rows; received {type(clips).__name__}."
            )
        else:
            rows = list(clips)
        specs: dict[str, dict] = {}
        for i, row in enumerate(rows):
            spec = self._clip_spec(row, f"clips[{i}]")
            seen = specs.setdefault(spec["clip_id"], spec)
            if seen != spec:
                raise ValueError(
                    f"clips must give each clip_id one excerpt; {spec['clip_id']} appears as "
                    f"{make_clip_id(seen['genre'], seen['track'])} [{seen['start']}, "
                    f"{seen['end']}) s and as {make_clip_id(spec['genre'], spec['track'])} "
                    f"[{spec['start']}, {spec['end']}) s."
                )
        return list(specs.values())

    def _each(self, clips, load: bool, progressbar: bool):
        """Read (and process if ``load``) every unique clip; return results and problems."""
        specs = self._unique_specs(clips)
        users: dict[tuple, list[str]] = {}
        for s in specs:
            users.setdefault((s["genre"], s["track"]), []).append(s["clip_id"])
        out: dict[str, np.ndarray] = {}
        problems = []
        disable = True if not progressbar else None
        for spec in progress(specs, desc="Loading GTZAN clips", disable=disable):
            try:
                data, sr = self._read(spec, users[(spec["genre"], spec["track"])])
                if load:
                    out[spec["clip_id"]] = self._process(data, sr, spec)
            except GTZANFileError as err:
                if load and self.on_error == "raise":
                    raise
                problems.append(
                    {**spec, "path": str(err.path), "problem": err.problem, "detail": str(err)}
                )
        return out, pd.DataFrame(problems, columns=_PROBLEM_COLUMNS), len(specs)

    def load_clips(self, clips, progressbar: bool = True) -> dict[str, np.ndarray]:
        """Load many clips (each unique clip once).

        Parameters
        ----------
        clips : pandas.DataFrame or sequence of rows
            Rows as for :meth:`load_clip`, e.g. the whole schedule (repeats are loaded once)
            or a study's clip table.
        progressbar : bool, default True
            Show a progress bar.

        Returns
        -------
        dict of str to ndarray of shape (n_samples,), float32
            Waveform per ``clip_id`` (at :attr:`sample_rate`), in order of first appearance.
            With ``on_error="skip"`` the clips that failed are absent, listed in
            :attr:`skipped` and in a warning.

        Raises
        ------
        GTZANFileError
            With ``on_error="raise"``, at the first bad file; the message names the file and
            every clip of ``clips`` that needs it.
        ValueError, TypeError
            If a row is invalid or one ``clip_id`` is given two different excerpts.
        """
        out, self.skipped, n_clips = self._each(clips, True, progressbar)
        if len(self.skipped):
            rows = self.skipped.head(10).itertuples()
            listed = "; ".join(f"{r.clip_id} ({r.problem}: {r.path})" for r in rows)
            more = f"; and {len(self.skipped) - 10} more" if len(self.skipped) > 10 else ""
            warnings.warn(
                f"Skipped {len(self.skipped)} of {n_clips} clip(s) whose GTZAN audio could not "
                f"be loaded: {listed}{more}. See GTZANStimuli.skipped.",
                UserWarning,
                stacklevel=2,
            )
        return out

    def check(self, clips, progressbar: bool = False) -> pd.DataFrame:
        """List the clips whose GTZAN file is missing, unreadable, too short or silent.

        Reads each excerpt without processing it; never raises for a bad file.

        Parameters
        ----------
        clips : pandas.DataFrame or sequence of rows
            As for :meth:`load_clips`.
        progressbar : bool, default False
            Show a progress bar.

        Returns
        -------
        pandas.DataFrame
            One row per bad clip: ``clip_id genre track start end path problem detail``
            (``problem`` is ``"missing"``, ``"unreadable"``, ``"too short"`` or
            ``"silent"``); empty when every clip can be loaded.
        """
        return self._each(clips, False, progressbar)[1]
