"""The osu! reader against the osu! client's own conversion results and against the `slider` library."""

import json
import re
import warnings
import zipfile

import numpy as np
import pandas as pd
import pytest

from beart.beatmaps import (
    AIGeneratedError,
    BeatmapError,
    OsuArchive,
    RobotsDisallowedError,
    difficulty_from_stars,
    intermediate_to_osu,
    parse_osu,
    read_osu,
    read_simfile,
)
from beart.beatmaps.osu_file import SLIDER
from beart.beatmaps.osu_reader import osu_to_intermediate
from beart.beatmaps.slider_paths import slider_path_length

from shared_paths import CORPUS


TESTS = CORPUS / "ppy-osu-tests"
CONVERSION_CASES = sorted(
    path
    for path in TESTS.glob("conversion/*/*.osu")
    if path.with_name(f"{path.stem}-expected-conversion.json").exists()
)
# The client's conversion cases were produced without the +24 ms it adds to every time in maps older than format v5.
EARLY_VERSION_OFFSET = {"old-stacking.osu": 24.0}
LEGACY_TAIL_OFFSET = 36.0
RICH_MAP = "decoder/Soleily - Renatus (Gamu) [Insane].osu"


def expected_conversion(path):
    text = path.with_name(f"{path.stem}-expected-conversion.json").read_text(encoding="utf-8-sig")
    # The client's test files allow trailing commas, which strict JSON does not.
    return json.loads(re.sub(r",(\s*[}\]])", r"\1", text))["Mappings"]


def expected_end(ruleset: str, native: bool, mapping: dict, object_type: int) -> float | None:
    """End time of the original object, where the client's conversion output pins it down."""
    nested = mapping["Objects"]
    if ruleset == "osu":
        if len(nested) == 1:
            return nested[0]["EndTime"]
        # The legacy slider tail sits 36 ms before the end, or halfway for sliders shorter than 72 ms.
        tail, start = nested[-1]["StartTime"], mapping["StartTime"]
        return tail + LEGACY_TAIL_OFFSET if tail - start >= LEGACY_TAIL_OFFSET else start + 2 * (tail - start)
    if native and ruleset in ("taiko", "mania") and len(nested) == 1:
        return nested[0]["EndTime"]
    if ruleset == "catch" and object_type & SLIDER:
        return nested[-1]["StartTime"]
    return None


@pytest.mark.parametrize("path", CONVERSION_CASES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_object_times_match_the_osu_client(path):
    ruleset = path.parent.name
    osu_file = parse_osu(path.read_bytes(), path.name)
    native = osu_file.mode == ("osu", "taiko", "catch", "mania").index(ruleset)
    mappings = expected_conversion(path)
    starts = osu_file.hit_objects["time"].to_numpy() - EARLY_VERSION_OFFSET.get(path.name, 0.0)
    ends = osu_file.end_times() - EARLY_VERSION_OFFSET.get(path.name, 0.0)
    if ruleset == "mania" and not native:
        # Converting to mania adds and drops notes; the mapping start times are still original objects.
        assert set(np.round([mapping["StartTime"] for mapping in mappings])) <= set(np.round(starts))
        return
    assert len(mappings) == len(starts)
    np.testing.assert_allclose([mapping["StartTime"] for mapping in mappings], starts, atol=9.999)
    expected = [
        expected_end(ruleset, native, mapping, object_type)
        for mapping, object_type in zip(mappings, osu_file.hit_objects["type"])
    ]
    known = np.array([value is not None for value in expected])
    assert np.abs(np.array(expected, dtype=float)[known] - ends[known]).max(initial=0.0) < 10


SLIDER_STUBS = {
    "General": "AudioFilename: a.mp3\nAudioLeadIn: 0\nPreviewTime: -1\nCountdown: 0\nSampleSet: Normal\n"
    "StackLeniency: 0.7\nMode: 0\nLetterboxInBreaks: 0\nWidescreenStoryboard: 0",
    "Editor": "DistanceSpacing: 1\nBeatDivisor: 4\nGridSize: 4\nTimelineZoom: 1",
    "Metadata": "Title:t\nTitleUnicode:t\nArtist:a\nArtistUnicode:a\nCreator:c\nVersion:v\nSource:\nTags:\n"
    "BeatmapID:0\nBeatmapSetID:-1",
    "Difficulty": "HPDrainRate:5\nCircleSize:4\nOverallDifficulty:5\nApproachRate:5\nSliderMultiplier:1.4\n"
    "SliderTickRate:1",
}


def with_required_sections(text: str) -> str:
    """`slider` insists on every section and key; add the missing ones with neutral values."""
    for section, stub in SLIDER_STUBS.items():
        match = re.search(rf"^\[{section}\]\s*$", text, flags=re.MULTILINE)
        present = set(re.findall(r"^(\w+)\s*:", text, flags=re.MULTILINE))
        missing = "\n".join(line for line in stub.splitlines() if line.split(":")[0] not in present)
        if match:
            text = text[: match.end()] + "\n" + missing + text[match.end() :]
        else:
            header = re.search(r"^.*osu file format v\d+.*$", text, flags=re.MULTILINE)
            position = header.end() if header else 0
            text = text[:position] + f"\n\n[{section}]\n{missing}\n" + text[position:]
    if not re.search(r"osu file format v\d+", text):
        text = "osu file format v14\n" + text
    if not re.search(r"^\[TimingPoints\]", text, flags=re.MULTILINE):
        text = text.replace("[HitObjects]", "[TimingPoints]\n0,1000,4,1,0,100,1,0\n\n[HitObjects]")
    return text


SLIDER_CASES = [
    path
    for path in sorted(TESTS.glob("conversion/*/*.osu")) + sorted(TESTS.glob("decoder/*.osu"))
    if "[HitObjects]" in path.read_text(encoding="utf-8-sig", errors="replace")
    # slider takes a zero pixel length literally where the client measures the drawn path (tested below);
    # it cannot read mania hold ends with samples, NaN control points, lazer's mixed-type paths, or v3 timing.
    and path.name not in {"zero-length-sliders.osu", "nan-slider.osu", "old-stacking.osu", "multi-segment-slider.osu"}
    and "128," not in path.read_text(encoding="utf-8-sig", errors="replace").split("[HitObjects]")[1]
]


@pytest.mark.parametrize("path", SLIDER_CASES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_object_times_match_the_slider_library(path):
    slider = pytest.importorskip("slider")
    text = path.read_text(encoding="utf-8-sig")
    osu_file = parse_osu(text, path.name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hit_objects = slider.Beatmap.parse(with_required_sections(text)).hit_objects(stacking=False)
    starts = np.array([hit_object.time.total_seconds() * 1000 for hit_object in hit_objects])
    ends = np.array(
        [getattr(hit_object, "end_time", hit_object.time).total_seconds() * 1000 for hit_object in hit_objects]
    )
    order = np.argsort(starts, kind="stable")
    assert len(starts) == len(osu_file.hit_objects)
    np.testing.assert_allclose(starts[order], osu_file.hit_objects["time"], atol=9.999)
    np.testing.assert_allclose(ends[order], osu_file.end_times(), atol=9.999)


def test_zero_length_sliders_use_the_drawn_path():
    osu_file = parse_osu((TESTS / "conversion/osu/zero-length-sliders.osu").read_bytes())
    linear = osu_file.hit_objects.iloc[0]
    assert linear["curve_type"] == "L" and linear["pixel_length"] == pytest.approx(330 - 78)
    # One timing point (beat length 260.869565217391 ms), slider multiplier 0.799999999999999, no inherited points.
    beat_length, velocity = 260.869565217391, 100 * 0.799999999999999
    assert osu_file.end_times()[0] == pytest.approx(linear["time"] + 252 / velocity * beat_length)


def test_slider_path_lengths_follow_geometry():
    assert slider_path_length("L", [(0, 0), (30, 40), (30, 100)]) == pytest.approx(110)
    assert slider_path_length("P", [(0, 0), (100, 100), (200, 0)]) == pytest.approx(100 * np.pi)
    assert slider_path_length("P", [(0, 0), (50, 0), (100, 0)]) == pytest.approx(100)
    assert slider_path_length("B", [(0, 0), (50, 0), (50, 0), (50, 80)]) == pytest.approx(130)
    # B(t) = (100 t, 200 t (1 - t)): the integral of |B'(t)| is sqrt(50000) / 2 + 25 asinh(2).
    quadratic = slider_path_length("B", [(0, 0), (50, 100), (100, 0)])
    assert quadratic == pytest.approx(np.sqrt(50000) / 2 + 25 * np.arcsinh(2), rel=1e-4)


def test_taiko_colours_and_mania_columns_match_the_client():
    taiko = TESTS / "conversion/taiko/sample-to-type-conversions.osu"
    beatmap = read_osu(taiko)
    hits = beatmap.hit_objects()
    rims = [
        (mapping["StartTime"], obj["IsRim"])
        for mapping in expected_conversion(taiko)
        for obj in mapping["Objects"]
        if not obj["IsDrumRoll"] and not obj["IsSwell"]
    ]
    for time, is_rim in rims:
        track = hits.loc[(hits["start"] - time).abs() < 10, "track"]
        assert track.tolist() == ["RIGHT" if is_rim else "LEFT"]

    mania = TESTS / "conversion/mania/4K.osu"
    objects = read_osu(mania).hit_objects()
    columns = [
        (obj["StartTime"], obj["Column"]) for mapping in expected_conversion(mania) for obj in mapping["Objects"]
    ]
    tracks = ["LEFT", "DOWN", "UP", "RIGHT"]
    for time, column in columns:
        assert tracks[column] in objects.loc[(objects["start"] - time).abs() < 10, "track"].tolist()


def test_a_native_mania_spinner_is_one_hold_note_as_the_client_makes_it():
    path = TESTS / "conversion/mania/mania-specific-spinner.osu"
    objects = read_osu(path).hit_objects()
    expected = [obj for mapping in expected_conversion(path) for obj in mapping["Objects"]]
    # The client makes each spinner one hold note; it draws the column with its seeded random generator (here 0, 0,
    # 1, 3), which beart does not replay: it takes the first column.
    assert len(objects) == len(expected) and objects["track"].tolist() == ["LEFT"] * len(expected)
    np.testing.assert_allclose(objects["start"], [obj["StartTime"] for obj in expected], atol=5)
    np.testing.assert_allclose(objects["end"], [obj["EndTime"] for obj in expected], atol=5)
    # Another column's note under the spinner stays; nothing is flagged as a spinner.
    text = path.read_text(encoding="utf-8-sig").replace("[HitObjects]\n", "[HitObjects]\n448,192,12000,1,0,0:0:0:0:\n")
    beatmap = osu_to_intermediate(parse_osu(text, "spinner.osu"), text.encode(), for_training=False)
    objects = beatmap.hit_objects()
    assert ((objects["track"] == "RIGHT") & (objects["start"] == 12000)).sum() == 1
    assert "SPINNER" not in beatmap.data or not beatmap.data["SPINNER"].any()


def test_every_mode_and_key_count_gives_its_tracks():
    archive = OsuArchive(TESTS / "archives/241526 Soleily - Renatus_virtual.osz")
    modes = {}
    for name in archive.difficulty_names:
        beatmap = archive.read(name)
        modes.setdefault(beatmap.meta["source"]["mode"], []).append((beatmap.difficulty, name, beatmap.tracks))
    assert {mode: entries[0][2] for mode, entries in modes.items()} == {
        "osu": ["LEFT"],
        "catch": ["LEFT"],
        "taiko": ["LEFT", "RIGHT"],
        "mania": ["LEFT", "DOWN", "UP", "RIGHT"],
    }
    ordered = [name for _, name, _ in sorted(modes["osu"])]
    assert ordered == [name for name in archive.difficulty_names if "Gamu" in name and "Normal" in name] + [
        name for name in archive.difficulty_names if "Gamu" in name and "Hard" in name
    ] + [name for name in archive.difficulty_names if "Gamu" in name and "Insane" in name]
    seven_keys = read_osu(TESTS / "conversion/mania/7K.osu")
    assert seven_keys.tracks == ["LEFT", "DOWN", "UP", "RIGHT"] and seven_keys.meta["source"]["key_count"] == 7


def test_reader_flags_breaks_intro_spinners_and_tempo():
    beatmap = read_osu(TESTS / "decoder/Soleily - Renatus (Gamu) [Insane].osu")
    osu_file = parse_osu((TESTS / "decoder/Soleily - Renatus (Gamu) [Insane].osu").read_bytes())
    first = osu_file.hit_objects["time"].min()
    empty = beatmap.flag_spans("EMPTY")
    assert empty.iloc[0]["start"] == 0 and empty.iloc[0]["end"] == round(first / 10) * 10 - 10
    for start, end in osu_file.breaks.itertuples(index=False):
        assert ((empty["start"] - start).abs() <= 5).any() and ((empty["end"] - end).abs() <= 5).any()
    tempo = osu_file.timing_points[osu_file.timing_points["uninherited"]]
    step = int(round(tempo["time"].iloc[0] / 10))
    assert beatmap.data["TEMPO"].iloc[step] == pytest.approx(60000 / tempo["beat_length"].iloc[0])
    spinners = osu_file.hit_objects[osu_file.hit_objects["type"] & 8 > 0]
    assert len(beatmap.flag_spans("SPINNER")) == len(spinners)


def test_difficulty_bands_follow_osu_difficulty_names():
    assert difficulty_from_stars(1.0) < 0.25 <= difficulty_from_stars(2.3) < 0.5 <= difficulty_from_stars(3.0)
    assert difficulty_from_stars(3.9) < 0.75 <= difficulty_from_stars(4.5) < difficulty_from_stars(12) == 1.0


@pytest.mark.parametrize("stars", [float("nan"), float("inf"), -1.0])
def test_a_rating_that_is_no_number_of_stars_reads_the_maps_overall_difficulty(monkeypatch, stars):
    rosu = pytest.importorskip("rosu_pp_py")
    path = TESTS / "conversion/osu/zero-length-sliders.osu"

    class Rated:  # what a rosu-pp-py that rated the map so would give
        def calculate(self, beatmap):
            return type("Attributes", (), {"stars": stars})()

    monkeypatch.setattr(rosu, "Difficulty", Rated)
    overall = float(re.search(r"OverallDifficulty:\s*([\d.]+)", path.read_text()).group(1))
    beatmap = read_osu(path)
    assert beatmap.difficulty == pytest.approx(overall / 7.0)


def test_mania_maps_read_at_the_difficulty_of_the_real_charts_written_in_them():
    # rosu-pp-py rates osu!mania far below osu!standard: Goin' Under's Challenge chart (StepMania 10) written as mania
    # is 2.04 stars, which osu!'s difficulty names put at 0.26, and `beart evaluate` asked the model for an easy map
    # against it (the song's .osz scored 0.496 at +-50 ms, its .ssc 0.731)
    own, written = [], []
    for chart in read_simfile(CORPUS / "stepmania" / "Goin' Under" / "Goin' Under.ssc"):
        text = intermediate_to_osu(chart, mode="mania", audio_filename="audio.ogg").encode("utf-8")
        own.append(chart.difficulty)
        written.append(osu_to_intermediate(parse_osu(text), text).difficulty)
    own, written = np.array(own), np.array(written)
    assert len(own) == 9 and np.mean(np.abs(written - own)) < 0.15  # 0.275 on the names' scale
    assert pd.Series(written).corr(pd.Series(own), method="spearman") >= 0.9


def mutated_map(tmp_path, find, replace, name="mutated.osu"):
    source = (TESTS / RICH_MAP).read_text(encoding="utf-8-sig")
    assert find in source
    path = tmp_path / name
    path.write_text(source.replace(find, replace, 1), encoding="utf-8")
    return path


def test_maps_not_for_training_are_refused_with_their_own_errors(tmp_path):
    robots = mutated_map(tmp_path, "[Metadata]", "[Metadata]\nrobots: disallow")
    with pytest.raises(RobotsDisallowedError, match="disallow"):
        read_osu(robots)
    generated = mutated_map(tmp_path, "Tags:", "Tags:ai-generated beart ")
    with pytest.raises(AIGeneratedError, match="AI-generated"):
        read_osu(generated)
    assert len(read_osu(generated, for_training=False).hit_objects()) > 0


def test_crlf_unicode_and_garbled_lines(tmp_path, caplog):
    source = (TESTS / RICH_MAP).read_text(encoding="utf-8-sig")
    reference = read_osu(TESTS / RICH_MAP)
    crlf = tmp_path / "crlf.osu"
    crlf.write_bytes(
        ("\ufeff" + source.replace("[Metadata]", "[Metadata]\nTitleUnicode:夜に駆ける")).replace("\n", "\r\n").encode()
    )
    assert read_osu(crlf).hit_objects().equals(reference.hit_objects())
    garbled = mutated_map(tmp_path, "[HitObjects]\n", "[HitObjects]\n12,abc,,\n12,34\n")
    with caplog.at_level("WARNING"):
        beatmap = read_osu(garbled)
    assert beatmap.meta["source"]["skipped_lines"] == 2
    assert beatmap.hit_objects().equals(reference.hit_objects())
    assert "skipped '12,34' (too few fields)" in caplog.text and "index" not in caplog.text


def test_unreadable_maps_and_archives_get_clear_errors(tmp_path):
    with pytest.raises(BeatmapError, match="no \\[HitObjects\\]"):
        read_osu(TESTS / "decoder/comments.osu")
    with pytest.raises(BeatmapError, match="unknown game mode '7'"):
        read_osu(mutated_map(tmp_path, "Mode: 0", "Mode: 7"))
    with pytest.raises(BeatmapError, match="unknown game mode '1e300'; osu! modes are 0-3") as error:
        read_osu(mutated_map(tmp_path, "Mode: 0", "Mode: 1e300"))  # named as written, not as a 301-digit number
    assert len(str(error.value)) < 200
    with pytest.raises(FileNotFoundError):
        read_osu(tmp_path / "missing.osu")
    corrupt = tmp_path / "corrupt.osz"
    corrupt.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(BeatmapError, match="not a readable .osz"):
        OsuArchive(corrupt)
    empty = tmp_path / "empty.osz"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("song.mp3", b"")
        archive.writestr("__MACOSX/._map.osu", b"junk")
    with pytest.raises(BeatmapError, match="no .osu difficulty"):
        OsuArchive(empty)


ALL_SHARED_OSU_FILES = sorted(TESTS.rglob("*.osu"))


@pytest.mark.parametrize("path", ALL_SHARED_OSU_FILES, ids=lambda path: path.name)
def test_the_file_model_writes_every_shared_map_back_as_the_client_reads_it(path):
    import rosu_pp_py

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            original = parse_osu(path.read_bytes(), path.name)
        except BeatmapError:
            pytest.skip("not a playable map (the decoder tests' broken files)")
        again = parse_osu(original.text, path.name)
    assert again.version == original.version
    for name in ("hit_objects", "timing_points", "breaks"):
        pd.testing.assert_frame_equal(getattr(again, name), getattr(original, name))
    assert again.sections == original.sections and again.events == original.events
    assert again.other_sections == original.other_sections
    np.testing.assert_allclose(again.end_times(), original.end_times(), atol=1e-6)
    # the osu! client's difficulty calculation (rosu-pp) rates both the same: same objects, paths, stacking, timing
    try:
        expected = rosu_pp_py.Difficulty().calculate(rosu_pp_py.Beatmap(bytes=path.read_bytes())).stars
    except Exception:  # rosu-pp refuses some of the decoder tests' edge cases
        return
    written = rosu_pp_py.Difficulty().calculate(rosu_pp_py.Beatmap(content=original.text)).stars
    assert written == pytest.approx(expected, rel=1e-9, abs=1e-9)
