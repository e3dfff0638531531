"""English captions of the simulated clips (:func:`make_caption`)."""

from __future__ import annotations

import numpy as np

from b2m._utils._validation import check_choice
from b2m.datasets.simulation.music._constants import GENRES

_GENRE_WORDS = {
    "blues": ("blues",), "classical": ("classical",), "country": ("country",),
    "disco": ("disco",), "hiphop": ("hip-hop", "hip hop"), "jazz": ("jazz",),
    "metal": ("heavy metal", "metal"), "pop": ("pop",), "reggae": ("reggae",), "rock": ("rock",),
}  # fmt: skip
_GENRE_NOUNS = {
    "classical": ("piece", "composition", "orchestral piece"),
    "hiphop": ("beat", "instrumental", "track"),
    "jazz": ("tune", "number", "piece"),
}
_INSTRUMENT_WORDS = {
    "piano": "piano", "strings": "strings", "acoustic_guitar": "acoustic guitar",
    "electric_guitar": "electric guitar", "distorted_guitar": "distorted electric guitar",
    "bass": "bass", "synth": "synthesizer", "brass": "brass", "organ": "organ", "drums": "drums",
}  # fmt: skip
_LEAD_WORDS = {
    "brass": ("saxophone", "trumpet", "horn"), "strings": ("violin", "string"),
    "synth": ("synth", "synthesizer"), "distorted_guitar": ("shredding guitar",),
    "electric_guitar": ("electric guitar",), "piano": ("piano",), "organ": ("organ",),
}  # fmt: skip
_BASS_WORDS = {
    "walking": "a walking bass line", "boogie": "a boogie bass line",
    "sub_808": "deep 808 sub-bass", "octave": "an octave-jumping bass line",
    "reggae": "a heavy, syncopated bass line", "root_eighths": "a driving eighth-note bass",
    "pedal_16ths": "galloping sixteenth-note bass", "boom_chick": "a boom-chick bass",
    "half_notes": "low sustained bass notes", "pop_syncopated": "a syncopated bass line",
}  # fmt: skip
_DRUM_WORDS = {
    "backbeat": "a steady rock backbeat", "pop": "a punchy pop beat",
    "four_on_the_floor": "a four-on-the-floor kick with open hi-hats",
    "shuffle": "a shuffling drum groove", "swing_ride": "a swinging ride cymbal",
    "boom_bap": "a boom-bap drum break", "one_drop": "a one-drop drum beat",
    "steppers": "a steppers drum rhythm", "train_beat": "brushed train-beat drums",
    "double_kick": "pounding double-kick drums", "blast_beat": "relentless blast beats",
}  # fmt: skip
_COMP_WORDS = {
    "pad": "sustained {i}", "block": "{i} chords", "strum": "strummed {i}",
    "power_chug": "chugging power chords", "skank": "offbeat {i} skanks",
    "bubble": "a bubbling {i}", "arpeggio": "arpeggiated {i}", "comp": "{i} comping",
    "stabs": "{i} stabs", "chank": "choppy funk guitar", "loop": "a looped {i} figure",
}  # fmt: skip
_FEEL_WORDS = {
    "straight": "straight groove", "swing": "swinging feel",
    "offbeat_skank": "offbeat skank rhythm", "four_on_the_floor": "four-on-the-floor pulse",
    "backbeat": "steady backbeat", "breakbeat": "head-nodding breakbeat",
    "none": "free, flowing rhythm",
}  # fmt: skip
_MODE_WORDS = {
    "major": "a major key", "minor": "a minor key", "dorian": "the Dorian mode",
    "mixolydian": "the Mixolydian mode", "harmonic_minor": "harmonic minor",
    "phrygian": "the dark Phrygian mode", "blues": "the blues scale",
}  # fmt: skip
_MOODS = {
    (1, 1): ("joyful", "energetic", "euphoric", "exuberant"),
    (1, -1): ("peaceful", "warm", "serene", "gentle"),
    (1, 0): ("cheerful", "bright", "pleasant", "hopeful"),
    (-1, 1): ("aggressive", "tense", "angry", "menacing"),
    (-1, -1): ("melancholic", "sad", "somber", "brooding"),
    (-1, 0): ("moody", "bittersweet", "wistful", "gloomy"),
    (0, 1): ("lively", "driving", "exciting", "restless"),
    (0, -1): ("calm", "relaxed", "laid-back", "dreamy"),
    (0, 0): ("mellow", "easygoing", "steady", "understated"),
}


def _an(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _sign(x: float) -> int:
    return 1 if x > 0.25 else (-1 if x < -0.25 else 0)


def make_caption(attributes: dict, rng: np.random.Generator) -> str:
    """Write an English caption (about 25–50 words) describing a clip.

    The caption names the genre, the tempo feel, the instruments and their roles, the mood
    (from valence and arousal) and the caption-only imagery words, with phrasing drawn from
    several templates, like the Brain2Music captions of the ds003720 clips.

    Parameters
    ----------
    attributes : dict
        As returned by :func:`sample_clip_attributes`.
    rng : numpy.random.Generator
        Chooses among templates and synonyms.

    Returns
    -------
    str
        The caption.
    """
    if not isinstance(attributes, dict):
        raise TypeError(f"attributes must be a dict; received {type(attributes).__name__}.")
    missing = [k for k in ("genre", "tempo", "mode", "feel", "valence", "arousal", "imagery")
               if k not in attributes]  # fmt: skip
    if missing:
        raise ValueError(f"attributes is missing key(s) {missing}.")
    check_choice(attributes["genre"], "attributes['genre']", GENRES)
    a = attributes

    def pick(options):
        return options[int(rng.integers(len(options)))]

    genre = pick(_GENRE_WORDS[a["genre"]])
    noun = pick(_GENRE_NOUNS.get(a["genre"], ("track", "song", "tune")))
    bpm = a["tempo"]
    tempo = pick(
        ("slow", "unhurried") if bpm < 80 else ("mid-tempo", "laid-back") if bpm < 105
        else ("upbeat", "brisk") if bpm < 135 else ("fast", "high-energy", "breakneck")
    )  # fmt: skip
    moods = list(rng.choice(_MOODS[(_sign(a["valence"]), _sign(a["arousal"]))], 2, replace=False))

    opening = pick([
        f"{_an(tempo).capitalize()} {tempo} {genre} {noun} in {_MODE_WORDS[a['mode']]}.",
        f"This is {_an(tempo)} {tempo} {genre} {noun} at about {round(bpm)} BPM.",
        f"{_an(moods[0]).capitalize()} {moods[0]}, {tempo} {genre} {noun}.",
        f"{_an(genre).capitalize()} {genre} {noun} with {_an(tempo)} {tempo} "
        f"{_FEEL_WORDS[a['feel']]}.",
    ])  # fmt: skip

    parts = []
    if a.get("lead"):
        density = a.get("note_density", 2.0)
        busy = "busy" if density > 2.5 else "sparse" if density < 1.2 else "lyrical"
        parts.append(f"{_an(busy)} {busy} {pick(_LEAD_WORDS[a['lead']])} melody")
    for instrument, style in a.get("comping", []):
        parts.append(_COMP_WORDS[style].format(i=_INSTRUMENT_WORDS[instrument]))
    if a.get("bass_style") and "bass" in a.get("instruments", []):
        parts.append(_BASS_WORDS[a["bass_style"]])
    if a.get("drums"):
        parts.append(_DRUM_WORDS.get(a.get("drum_pattern"), "drums"))
    parts = parts[:4]
    body = _join(parts)
    arrangement = pick([
        f"It features {body}.", f"The arrangement has {body}.", f"You can hear {body}.",
        f"{body[:1].upper()}{body[1:]} fill the mix.",
    ]) if parts else "It is a sparse, minimal arrangement."  # fmt: skip
    if not a.get("drums") and parts:
        arrangement = arrangement[:-1] + ", with no percussion."

    imagery = _join(list(a["imagery"]))
    mood = pick([
        f"The mood is {moods[0]} and {moods[1]}, evoking {imagery}.",
        f"It feels {moods[0]} and {moods[1]}, bringing to mind {imagery}.",
        f"{_an(moods[1]).capitalize()} {moods[1]} atmosphere that suggests {imagery}.",
    ])  # fmt: skip

    sound = []
    b = a.get("brightness", 0.5)
    sound.append("bright" if b > 0.65 else "dark and muted" if b < 0.3 else "warm")
    if a.get("distortion", 0) > 0.6:
        sound.append("heavily distorted")
    elif a.get("distortion", 0) > 0.2:
        sound.append("gritty")
    if a.get("reverb", 0) > 0.5:
        sound.append("drenched in reverb")
    if a.get("dynamics", 0) > 0.5:
        sound.append("with sweeping dynamic swells")
    timbre = f"The sound is {_join(sound)}."
    sentences = [opening, arrangement, mood]
    if len(" ".join(sentences).split()) + len(timbre.split()) <= 50:
        sentences.insert(2, timbre)
    return " ".join(sentences)
