"""load_captions: formats, column detection, clip selection and every error."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from b2m.datasets import CaptionError, load_captions, load_schedule

UNICODE = "Ein ruhiges Stück — café jazz, ピアノが優しく響く 🎹"


def write_csv(path, header, rows, sep=","):
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(rows, columns=header)
    frame.to_csv(path, sep=sep, index=False, encoding="utf-8")
    return path


def test_csv_with_clip_id(tmp_path):
    path = write_csv(
        tmp_path / "captions.csv",
        ["clip_id", "caption"],
        [
            ["blues.00017", "  A slow blues with a crying guitar.  "],
            ["jazz.00003.wav", "Brushed drums, walking bass, a sax."],
            ["genres_original/rock/rock.00099.wav", "Loud, distorted, fast."],
        ],
    )
    captions = load_captions(path)
    assert captions.index.name == "clip_id" and captions.name == "caption"
    assert captions.index.tolist() == ["blues.00017", "jazz.00003", "rock.00099"]
    assert captions["blues.00017"] == "A slow blues with a crying guitar."
    assert captions["rock.00099"] == "Loud, distorted, fast."  # commas inside a quoted field


def test_csv_with_genre_and_track_columns(tmp_path):
    # a numeric "id" column is not a clip id: genre and track are used instead
    path = write_csv(
        tmp_path / "c.csv",
        ["id", "Genre", "Track", "Caption_EN"],
        [[0, "'disco'", "9", "Four on the floor."], [1, "hiphop", "53", "Boom-bap beat."]],
    )
    captions = load_captions(path)
    assert captions.to_dict() == {
        "disco.00009": "Four on the floor.",
        "hiphop.00053": "Boom-bap beat.",
    }
    explicit = load_captions(
        path, genre_column="Genre", track_column="Track", caption_column="Caption_EN"
    )
    pd.testing.assert_series_equal(explicit, captions)


def test_jsonl_unicode_and_language(tmp_path):
    path = tmp_path / "captions.jsonl"
    records = [
        {"name": "classical.00081", "caption_ja": "静かなピアノ曲。", "caption_en": UNICODE},
        {"name": "country.00079", "caption_ja": "明るいフィドル。", "caption_en": "A fiddle."},
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n\n", "utf-8")
    en = load_captions(path)
    assert en["classical.00081"] == UNICODE
    ja = load_captions(path, language="ja")
    assert ja.tolist() == ["静かなピアノ曲。", "明るいフィドル。"]
    # a language-specific column wins over a generic one
    both = tmp_path / "both.jsonl"
    both.write_text(json.dumps({"clip_id": "pop.00001", "caption": "原文。", "english": "Text."}))
    assert load_captions(both).tolist() == ["Text."]


def test_json_mapping_and_records(tmp_path):
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"pop.00085": "Bright synths.", "reggae.00042": UNICODE}))
    assert load_captions(mapping).to_dict() == {
        "pop.00085": "Bright synths.",
        "reggae.00042": UNICODE,
    }
    records = tmp_path / "records.json"
    records.write_text(json.dumps({"captions": [{"file": "pop.00085.wav", "text": "Bright."}]}))
    assert load_captions(records).to_dict() == {"pop.00085": "Bright."}


def test_tsv_is_detected(tmp_path):
    path = write_csv(
        tmp_path / "c.tsv",
        ["clip_id", "text"],
        [["metal.00005", "Riffs, screams, and blasts."]],
        "\t",
    )
    assert load_captions(path)["metal.00005"] == "Riffs, screams, and blasts."


def test_clips_selects_and_orders(tmp_path):
    schedule = load_schedule()
    ids = list(dict.fromkeys(schedule["clip_id"]))
    rows = [[c, f"Caption of {c}."] for c in reversed(ids)]
    path = write_csv(tmp_path / "all.csv", ["clip_id", "caption"], rows)
    captions = load_captions(path, schedule)  # 738 presentations -> 540 unique clips
    assert captions.index.tolist() == ids and len(captions) == 540
    assert captions[ids[5]] == f"Caption of {ids[5]}."
    by_genre_track = load_captions(path, schedule[["genre", "track"]].iloc[:3])
    assert by_genre_track.index.tolist() == ids[:3]
    picked = [ids[7], ids[2], ids[7]]
    assert load_captions(path, picked).index.tolist() == [ids[7], ids[2]]


def test_missing_clips_are_listed(tmp_path):
    path = write_csv(tmp_path / "c.csv", ["clip_id", "caption"], [["blues.00001", "x."]])
    wanted = ["blues.00001"] + [f"jazz.{i:05d}" for i in range(11)]
    with pytest.raises(
        CaptionError, match=r"no caption for 11 of the 12 clip\(s\): jazz\.00000"
    ) as info:
        load_captions(path, wanted)
    assert "jazz.00009, ... (11 in all)" in str(info.value)
    assert "jazz.00010" not in str(info.value)


def test_duplicates(tmp_path):
    path = write_csv(
        tmp_path / "c.csv",
        ["clip_id", "caption"],
        [
            ["blues.00001", "a."],
            ["blues.00001.wav", "b."],
            ["pop.00002", "c."],
            ["pop.00002", "c."],
        ],
    )
    with pytest.raises(CaptionError, match=r"duplicated clip id\(s\) blues\.00001, pop\.00002\."):
        load_captions(path)


def test_empty_and_nan_captions(tmp_path):
    path = write_csv(
        tmp_path / "c.csv", ["clip_id", "caption"], [["blues.00001", "ok."], ["pop.00002", "   "]]
    )
    with pytest.raises(CaptionError, match=r"empty or missing \(NaN\) caption .* pop\.00002"):
        load_captions(path)
    nan = tmp_path / "n.jsonl"
    nan.write_text('{"id": "rock.00003", "caption": null}\n{"id": "rock.00004", "caption": NaN}\n')
    with pytest.raises(CaptionError, match=r"clip\(s\) rock\.00003, rock\.00004\."):
        load_captions(nan)


def test_bad_columns_list_what_was_found(tmp_path):
    path = write_csv(tmp_path / "c.csv", ["song", "words"], [["blues.00001", "x."]])
    with pytest.raises(
        CaptionError,
        match=r"found no caption column .* and no clip id column .*\['song', 'words'\]",
    ):
        load_captions(path)
    assert load_captions(path, id_column="song", caption_column="words").to_dict() == {
        "blues.00001": "x."
    }
    with pytest.raises(
        CaptionError, match=r"caption_column must be a column of c\.csv; received 'txt'"
    ):
        load_captions(path, id_column="song", caption_column="txt")
    ja_only = write_csv(tmp_path / "e.csv", ["clip_id", "caption"], [["blues.00001", "x."]])
    with pytest.raises(CaptionError, match=r"caption column \(language='ja'\)"):
        load_captions(ja_only, language="ja")


def test_unreadable_ids(tmp_path):
    path = write_csv(
        tmp_path / "c.csv",
        ["clip_id", "caption"],
        [["blues.00001", "x."], ["polka.00002", "y."], ["", "z."]],
    )
    with pytest.raises(
        CaptionError, match=r"2 row\(s\) of column 'clip_id' cannot be read .*'polka\.00002', ''"
    ):
        load_captions(path)


def test_missing_file_says_where_to_get_it(tmp_path, _isolated_data_home):
    with pytest.raises(FileNotFoundError, match=r"nishimotolab/music-caption-brain2music") as info:
        load_captions(tmp_path / "nope.csv")
    assert "nope.csv" in str(info.value) and "brain2music_captions" in str(info.value)
    with pytest.raises(FileNotFoundError, match=r"nothing was given and .*brain2music_captions"):
        load_captions()
    with pytest.raises(FileNotFoundError, match=r"received the URL 'https://x\.org/c\.csv'"):
        load_captions("https://x.org/c.csv")
    # the default location, once filled, is used
    write_csv(
        _isolated_data_home / "brain2music_captions" / "caption.csv",
        ["clip_id", "caption"],
        [["pop.00001", "a."]],
    )
    assert load_captions().to_dict() == {"pop.00001": "a."}


def test_folder_with_several_files(tmp_path):
    folder = tmp_path / "kaggle"
    write_csv(folder / "captions_en.csv", ["clip_id", "caption"], [["pop.00001", "English."]])
    write_csv(folder / "captions_ja.csv", ["clip_id", "caption_ja"], [["pop.00001", "日本語。"]])
    assert load_captions(folder)["pop.00001"] == "English."
    assert load_captions(folder, language="ja")["pop.00001"] == "日本語。"
    write_csv(folder / "extra.csv", ["clip_id", "caption"], [["pop.00002", "x."]])
    write_csv(folder / "more_en.csv", ["clip_id", "caption"], [["pop.00002", "x."]])
    with pytest.raises(CaptionError, match=r"holds 4 candidates"):
        load_captions(folder)


def test_bad_arguments(tmp_path):
    path = write_csv(tmp_path / "c.csv", ["clip_id", "caption"], [["pop.00001", "a."]])
    with pytest.raises(ValueError, match=r"language must be one of \['en', 'ja'\]; received 'fr'"):
        load_captions(path, language="fr")
    with pytest.raises(TypeError, match="clips must be a DataFrame of clips or an iterable"):
        load_captions(path, clips="pop.00001")
    with pytest.raises(TypeError, match=r"clips must have a 'clip_id' column .*\['x'\]"):
        load_captions(path, clips=pd.DataFrame({"x": [1]}))
    empty = tmp_path / "empty.csv"
    empty.write_text("clip_id,caption\n")
    with pytest.raises(CaptionError, match="holds no caption rows"):
        load_captions(empty)
