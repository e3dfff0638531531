"""Clip captions: the Brain2Music caption release (or a user's own table) as one Series.

The release (Kaggle dataset ``nishimotolab/music-caption-brain2music``, see the
``brain2music_captions`` entry of the data manifest) needs a Kaggle account, so b2m never
downloads it and cannot check its schema offline. :func:`load_captions` therefore accepts
CSV, TSV, JSON and JSON Lines files, finds the clip and caption columns by name (or takes
them as arguments) and validates the result.

The simulated study's captions stand in for that release, and so are written the way people
write them (:func:`annotate_attributes`): an annotator describes what they *perceive*, not
the generator's attributes. Brain2Music's captions were written by raters listening to the
clips, not by the clips' makers; a caption that restated every latent of the planted brain
model verbatim (genre, instruments, mood, imagery) was a more faithful description of the
brain's inputs than any audio feature could be, and made caption spaces identify clips better
than music spaces — the opposite of the paper. So the simulated annotator sometimes names a
neighbouring genre (rock/metal, disco/pop…), judges mood, tempo and timbre with some error,
leaves instruments out or names a similar-sounding one, and writes their *own* associations
(imagery), which agree only in part with the listener's — the text-only component of the
planted brain model (:mod:`b2m.datasets.simulation._planted`) stays the listener's. The error rates are in
:data:`ANNOTATOR_ERRORS`.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from b2m._utils._validation import check_choice
from b2m.config import get_data_home
from b2m.datasets._events import clip_id as make_clip_id
from b2m.datasets._manifest import load_manifest
from b2m.datasets.simulation.music._constants import GENRES, IMAGERY, INSTRUMENTS

__all__ = ["ANNOTATOR_ERRORS", "CaptionError", "annotate_attributes", "load_captions"]

#: How often (probabilities) and how much (SDs) the simulated annotators err; see
#: :func:`annotate_attributes`.
ANNOTATOR_ERRORS: dict[str, float] = {
    "genre": 0.15,  # names a neighbouring genre
    "mood_sd": 0.4,  # error of the valence and arousal judgements (scale -1..1)
    "tempo_sd": 0.1,  # log-ratio error of the tempo estimate
    "timbre_sd": 0.15,  # error of brightness, distortion, reverb, dynamics (scale 0..1)
    "omit_instrument": 0.25,  # leaves an instrument out
    "confuse_instrument": 0.15,  # names a similar-sounding instrument
    "own_imagery": 0.3,  # writes an own association instead of the listener's imagery word
}
_GENRE_CONFUSIONS = {
    "blues": ("jazz", "rock", "country"), "classical": ("jazz",),
    "country": ("rock", "blues", "pop"), "disco": ("pop", "hiphop"),
    "hiphop": ("reggae", "pop", "disco"), "jazz": ("blues", "classical"), "metal": ("rock",),
    "pop": ("disco", "rock", "country"), "reggae": ("pop", "hiphop"),
    "rock": ("metal", "pop", "blues", "country"),
}  # fmt: skip
_TIMBRE_CONFUSIONS = {
    "organ": ("synth", "piano"), "synth": ("organ", "strings"), "strings": ("synth", "brass"),
    "brass": ("synth", "strings"), "piano": ("organ", "acoustic_guitar"),
    "acoustic_guitar": ("electric_guitar", "piano"),
    "electric_guitar": ("distorted_guitar", "acoustic_guitar"),
    "distorted_guitar": ("electric_guitar",), "bass": ("bass",),
}  # fmt: skip
#: Instruments the caption writer can name as a melody's lead.
_LEADS = ("brass", "strings", "synth", "distorted_guitar", "electric_guitar", "piano", "organ")

_SUFFIXES = (".csv", ".tsv", ".tab", ".txt", ".json", ".jsonl", ".ndjson")
_ID_NAMES = (
    "clip_id", "clipid", "clip", "id", "name", "file", "filename", "file_name", "fname",
    "audio", "audio_file", "path", "music_id", "stimulus",
)  # fmt: skip
_GENRE_NAMES = ("genre", "genre_name", "category", "label")
_TRACK_NAMES = ("track", "track_id", "track_number", "number", "index", "idx", "num")
_CAPTION_NAMES = {
    "en": (
        "caption_en", "en_caption", "caption_english", "english_caption", "english",
        "text_en", "en_text", "description_en", "en", "caption", "captions", "text",
        "description", "translation", "translated_caption",
    ),
    "ja": (
        "caption_ja", "ja_caption", "caption_jp", "jp_caption", "caption_japanese",
        "japanese_caption", "japanese", "text_ja", "ja_text", "description_ja", "ja", "jp",
    ),
}  # fmt: skip
_ID_RE = re.compile(
    r"^(?:.*[/\\])?(?P<genre>[a-z][a-z-]*)[._ -]?(?P<track>\d+)"
    r"(?:\.(?:wav|au|mp3|flac|ogg))?$"
)
_MISSING_TEXT = {"nan", "none", "null", "na", "n/a"}


class CaptionError(ValueError):
    """A caption table is malformed or lacks captions; the message says which and where."""


def _norm(name) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def _parse_clip_id(value) -> str | None:
    if not isinstance(value, str):
        return None
    match = _ID_RE.match(value.strip().lower())
    if match is None:
        return None
    genre = match.group("genre").replace("-", "")
    return make_clip_id(genre, int(match.group("track"))) if genre in GENRES else None


def default_location(data_home=None) -> tuple[Path, str]:
    """The manifest's caption folder under the data home, and where to get the captions."""
    entry = load_manifest().dataset("brain2music_captions")
    folder = get_data_home(data_home, create=False) / (entry.default_dir or "brain2music_captions")
    return folder, entry.homepage


def _not_found(path: Path, why: str, data_home=None) -> FileNotFoundError:
    folder, homepage = default_location(data_home)
    return FileNotFoundError(
        f"path must be the Brain2Music caption file (CSV, TSV, JSON or JSON Lines); {why}. "
        f"b2m does not download it (Kaggle needs an account): get it from {homepage} "
        "(or `kaggle datasets download -d nishimotolab/music-caption-brain2music`), unpack it "
        f"and pass path=..., or put it at the default location {str(folder)!r} "
        "(<data home>/" + folder.name + "/, as the data manifest says)."
    )


def _resolve(path, language: str, data_home=None) -> Path:
    if path is None:
        folder, _ = default_location(data_home)
        if not folder.exists():
            raise _not_found(
                folder, f"nothing was given and {str(folder)!r} does not exist", data_home
            )
        path = folder
    elif isinstance(path, str) and re.match(r"^[a-z]+://", path):
        raise _not_found(Path(path), f"received the URL {path!r}; give a local file", data_home)
    path = Path(path).expanduser()
    if path.is_file():
        return path
    if not path.exists():
        raise _not_found(path, f"received {str(path)!r}, which does not exist", data_home)
    found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in _SUFFIXES)
    if len(found) > 1:
        token = {"en": ("en", "english"), "ja": ("ja", "jp", "japanese")}[language]
        tagged = [p for p in found if set(re.split(r"[^a-z]+", p.stem.lower())) & set(token)]
        found = tagged if len(tagged) == 1 else found
    if not found:
        raise _not_found(
            path, f"the folder {str(path)!r} holds no {'/'.join(_SUFFIXES)} file", data_home
        )
    if len(found) > 1:
        names = [str(p.relative_to(path)) for p in found[:10]]
        raise CaptionError(
            f"path must name one caption file; the folder {str(path)!r} holds {len(found)} "
            f"candidates: {names}. Pass the file itself."
        )
    return found[0]


def _read_table(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CaptionError(f"{str(path)!r} is not UTF-8 text ({exc}).") from None
    if suffix in (".jsonl", ".ndjson"):
        records = []
        for i, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise CaptionError(f"{path.name}: line {i} is not valid JSON ({exc}).") from None
            if not isinstance(records[-1], dict):
                raise CaptionError(f"{path.name}: line {i} must be a JSON object.")
        return pd.DataFrame.from_records(records)
    if suffix == ".json":
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CaptionError(f"{path.name} is not valid JSON ({exc}).") from None
        if isinstance(obj, dict) and len(obj) == 1 and isinstance(next(iter(obj.values())), list):
            obj = next(iter(obj.values()))  # {"captions": [...]}
        if isinstance(obj, dict) and all(isinstance(v, str) or v is None for v in obj.values()):
            return pd.DataFrame({"clip_id": list(obj), "caption": list(obj.values())})
        if isinstance(obj, list) and all(isinstance(r, dict) for r in obj):
            return pd.DataFrame.from_records(obj)
        if isinstance(obj, dict):
            try:
                return pd.DataFrame(obj)
            except ValueError:
                pass
        raise CaptionError(
            f"{path.name} must hold a list of records, a mapping clip id -> caption, or a "
            f"mapping of columns; received a JSON {type(obj).__name__} of another shape."
        )
    header = text.split("\n", 1)[0]
    sep = max(("\t", ",", ";", "|"), key=header.count)
    if not header.count(sep):
        sep = "\t" if suffix in (".tsv", ".tab") else ","
    try:
        return pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except pd.errors.ParserError as exc:
        raise CaptionError(f"{path.name} cannot be parsed as a table ({exc}).") from None


def _pick(columns: dict[str, str], given, names, what: str, path: Path):
    if given is not None:
        if given not in columns.values() and _norm(given) in columns:
            return columns[_norm(given)]
        if given not in columns.values():
            raise CaptionError(
                f"{what} must be a column of {path.name}; received {given!r}, columns found: "
                f"{list(columns.values())}."
            )
        return given
    return next((columns[n] for n in names if n in columns), None)


def _as_text(value) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return None if text.lower() in _MISSING_TEXT else text


def _listing(items: list[str], limit: int = 10) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f", ... ({len(items)} in all)" if len(items) > limit else "")


def _clip_ids_of(clips) -> list[str]:
    if isinstance(clips, pd.DataFrame):
        if "clip_id" in clips.columns:
            ids = [str(c) for c in clips["clip_id"]]
        elif {"genre", "track"} <= set(clips.columns):
            ids = [
                make_clip_id(str(g).strip().strip("'\"").lower(), t)
                for g, t in zip(clips["genre"], clips["track"], strict=True)
            ]
        else:
            raise TypeError(
                "clips must have a 'clip_id' column or 'genre' and 'track' columns; received "
                f"columns {list(clips.columns)}."
            )
    elif isinstance(clips, str) or not isinstance(clips, Iterable):
        raise TypeError(
            "clips must be a DataFrame of clips or an iterable of clip ids; received "
            f"{type(clips).__name__}."
        )
    else:
        ids = [str(c) for c in clips]
    return list(dict.fromkeys(ids))


def load_captions(
    path: str | os.PathLike | None = None,
    clips=None,
    *,
    language: str = "en",
    id_column: str | None = None,
    genre_column: str | None = None,
    track_column: str | None = None,
    caption_column: str | None = None,
    data_home: str | os.PathLike | None = None,
) -> pd.Series:
    """Read clip captions (the Brain2Music release or a user's own table).

    Parameters
    ----------
    path : str or path-like, optional
        A ``.csv``, ``.tsv``, ``.json`` or ``.jsonl`` file, or a folder holding exactly one
        such file (or one whose name says ``language``). Default: the manifest's location,
        ``<data home>/brain2music_captions/``.
    clips : pandas.DataFrame or iterable of str, optional
        The clips that need a caption: a clip table or schedule (``clip_id`` column, or
        ``genre`` and ``track``) or clip ids like ``"blues.00017"``. When given, the result
        holds exactly these clips, in order of first appearance.
    language : {"en", "ja"}, default "en"
        Which caption column to look for when ``caption_column`` is not given.
    id_column : str, optional
        Column of clip ids (``blues.00017``, ``blues.00017.wav``, ``genres/blues/blues.00017.wav``
        are all read as ``blues.00017``). Default: the first of ``clip_id``, ``id``, ``name``,
        ``file``, ... present (names compared case-insensitively); else ``genre_column`` and
        ``track_column`` are used.
    genre_column, track_column : str, optional
        Columns giving the genre and the track number, used when there is no id column.
        Default: ``genre`` and ``track`` (or ``track_id``, ``number``, ...).
    caption_column : str, optional
        Column of captions. Default for ``"en"``: the first of ``caption_en``, ``english``,
        ..., ``caption``, ``text``, ``description`` present; for ``"ja"``: ``caption_ja``,
        ``japanese``, ...
    data_home : str or path-like, optional
        Where the default location is (:func:`b2m.get_data_home`).

    Returns
    -------
    pandas.Series of str
        Captions (whitespace-stripped), indexed by ``clip_id``, named ``"caption"``; of length
        ``n_clips`` when ``clips`` is given, else one entry per row of the file.

    Raises
    ------
    FileNotFoundError
        If the file (or the default folder) does not exist; the message says where to get
        the captions and where they are looked for by default.
    CaptionError
        (a ``ValueError``) If no id or caption column is found (the message lists the columns
        found), an id cannot be read as a GTZAN clip, a clip id is duplicated, a caption is
        empty or missing (NaN), or a clip of ``clips`` has no caption (up to 10 listed, with
        the count).
    TypeError
        If ``clips`` is neither a clip table nor an iterable of ids.
    """
    check_choice(language, "language", tuple(_CAPTION_NAMES))
    file = _resolve(path, language, data_home)
    table = _read_table(file)
    columns = {_norm(c): c for c in table.columns}
    caption_col = _pick(columns, caption_column, _CAPTION_NAMES[language], "caption_column", file)
    id_col = genre_col = track_col = None
    if id_column is not None or (genre_column is None and track_column is None):
        id_col = _pick(columns, id_column, _ID_NAMES, "id_column", file)
    if id_column is None:
        genre_col = _pick(columns, genre_column, _GENRE_NAMES, "genre_column", file)
        track_col = _pick(columns, track_column, _TRACK_NAMES, "track_column", file)
        pair = genre_col is not None and track_col is not None
        if id_col is not None and pair and not all(map(_parse_clip_id, table[id_col])):
            id_col = None  # an auto-detected id column of other ids (row numbers...)
        if genre_column is not None or track_column is not None:
            id_col = None
    if caption_col is None or (id_col is None and (genre_col is None or track_col is None)):
        need = [] if caption_col is not None else [f"caption column (language={language!r})"]
        if id_col is None and (genre_col is None or track_col is None):
            need.append("clip id column (or genre and track columns)")
        raise CaptionError(
            f"{file.name}: found no {' and no '.join(need)} among the columns "
            f"{list(table.columns)}; name them with id_column= (or genre_column= and "
            "track_column=) and caption_column=."
        )
    if len(table) == 0:
        raise CaptionError(f"{file.name} holds no caption rows.")

    if id_col is not None:
        raw = table[id_col].tolist()
        ids = [_parse_clip_id(v) for v in raw]
        bad = [repr(v) for v, i in zip(raw, ids, strict=True) if i is None]
        where = f"column {id_col!r}"
    else:
        ids, bad = [], []
        for g, t in zip(table[genre_col], table[track_col], strict=True):
            genre = str(g).strip().strip("'\"").strip().lower().replace("-", "")
            track = pd.to_numeric(str(t).strip(), errors="coerce")
            ok = genre in GENRES and not pd.isna(track) and float(track).is_integer() and track >= 0
            ids.append(make_clip_id(genre, int(track)) if ok else None)
            if not ok:
                bad.append(f"({g!r}, {t!r})")
        where = f"columns {genre_col!r} and {track_col!r}"
    if bad:
        raise CaptionError(
            f"{file.name}: {len(bad)} row(s) of {where} cannot be read as a GTZAN clip "
            f"('genre.000TT' with genre in {list(GENRES)}): {_listing(bad, 5)}."
        )
    dup = sorted(i for i, n in Counter(ids).items() if n > 1)
    if dup:
        raise CaptionError(f"{file.name}: duplicated clip id(s) {_listing(dup)}.")
    texts = [_as_text(v) for v in table[caption_col]]
    empty = [i for i, t in zip(ids, texts, strict=True) if not t]
    if empty:
        raise CaptionError(
            f"{file.name}: empty or missing (NaN) caption in column {caption_col!r} for "
            f"clip(s) {_listing(empty)}."
        )
    captions = pd.Series(texts, index=pd.Index(ids, name="clip_id"), name="caption", dtype=object)
    if clips is None:
        return captions
    wanted = _clip_ids_of(clips)
    missing = [c for c in wanted if c not in captions.index]
    if missing:
        raise CaptionError(
            f"{file.name} has no caption for {len(missing)} of the {len(wanted)} clip(s): "
            f"{_listing(missing)}."
        )
    return captions.loc[wanted]


def annotate_attributes(
    attributes: dict, rng: np.random.Generator, errors: dict[str, float] | None = None
) -> dict:
    """What an imperfect annotator perceives of a simulated clip (the input of its caption).

    Returns a copy of ``attributes`` as a person listening to the clip would describe it: with
    probability ``errors["genre"]`` a neighbouring genre; valence and arousal off by a Gaussian
    error (SD ``errors["mood_sd"]``), tempo by a log-normal one (``errors["tempo_sd"]``),
    brightness, distortion, reverb and dynamics by ``errors["timbre_sd"]``; each melodic
    instrument left out with probability ``errors["omit_instrument"]`` or named as a
    similar-sounding one with probability ``errors["confuse_instrument"]``; each imagery word
    replaced by an own association with probability ``errors["own_imagery"]``. The caption is
    then written from this copy (:func:`b2m.datasets.simulation.music.make_caption`); the clip's audio and
    the planted brain model use the true attributes. The same number of random draws is made
    whatever the outcomes, so one generator state gives one description.

    Parameters
    ----------
    attributes : dict
        As returned by :func:`b2m.datasets.simulation.music.sample_clip_attributes`.
    rng : numpy.random.Generator
        The annotator's randomness.
    errors : dict of str to float, optional
        Overrides of :data:`ANNOTATOR_ERRORS` (missing keys keep the default); all zero gives
        back the attributes unchanged.

    Returns
    -------
    dict
        The perceived attributes (same keys).
    """
    if not isinstance(attributes, dict):
        raise TypeError(f"attributes must be a dict; received {type(attributes).__name__}.")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator; received {type(rng).__name__}.")
    unknown = set(errors or {}) - set(ANNOTATOR_ERRORS)
    if unknown:
        raise ValueError(
            f"errors must have keys among {list(ANNOTATOR_ERRORS)}; received {sorted(unknown)}."
        )
    e = {**ANNOTATOR_ERRORS, **(errors or {})}
    missing = [
        k for k in ("genre", "tempo", "valence", "arousal", "imagery") if k not in attributes
    ]
    if missing:
        raise ValueError(f"attributes is missing key(s) {missing}.")
    a = json.loads(json.dumps(attributes))  # a deep copy of plain JSON values

    def pick(options):
        return options[int(rng.integers(len(options)))]

    def perceive(name: str, options) -> str | None:
        """Omitted (None), confused with a similar one, or heard right."""
        u, alt = rng.random(), pick(options)
        if u < e["omit_instrument"]:
            return None
        return alt if u < e["omit_instrument"] + e["confuse_instrument"] else name

    wrong, other = rng.random() < e["genre"], pick(_GENRE_CONFUSIONS[a["genre"]])
    a["genre"] = other if wrong else a["genre"]
    for key in ("valence", "arousal"):
        a[key] = round(float(np.clip(a[key] + rng.normal(0.0, e["mood_sd"]), -1, 1)), 3)
    a["tempo"] = round(float(a["tempo"] * np.exp(rng.normal(0.0, e["tempo_sd"]))), 1)
    for key in ("brightness", "distortion", "reverb", "dynamics"):
        noise = rng.normal(0.0, e["timbre_sd"])
        if key in a:
            a[key] = round(float(np.clip(a[key] + noise, 0, 1)), 3)
    if a.get("lead"):
        lead = perceive(a["lead"], [x for x in _TIMBRE_CONFUSIONS[a["lead"]] if x in _LEADS])
        a["lead"] = lead
    comping = []
    for name, style in a.get("comping", []):
        heard = perceive(name, _TIMBRE_CONFUSIONS.get(name, (name,)))
        if heard is not None:
            comping.append([heard, style])
    a["comping"] = comping
    if "bass" in a.get("instruments", []) and rng.random() < e["omit_instrument"]:
        a["instruments"] = [x for x in a["instruments"] if x != "bass"]
    heard = {x for x in a.get("instruments", []) if x in ("drums", "bass")}
    heard |= {x for x, _ in comping} | ({a["lead"]} if a.get("lead") else set())
    a["instruments"] = [x for x in INSTRUMENTS if x in heard]
    imagery = []
    for word in a["imagery"]:
        own = pick([w for w in IMAGERY if w not in a["imagery"]])
        imagery.append(own if rng.random() < e["own_imagery"] else word)
    a["imagery"] = sorted(set(imagery), key=IMAGERY.index)
    return a
