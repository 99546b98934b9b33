"""The osu! writer: written maps parse in rosu-pp-py and slider, and real maps survive a round trip."""

import os
import re
import warnings
import zipfile

import numpy as np
import pandas as pd
import pytest

from beart.beatmaps import (
    AIGeneratedError,
    BeatmapError,
    IntermediateBeatmap,
    OsuArchive,
    intermediate_to_osu,
    parse_osu,
    read_osu,
    retrack,
    write_osz,
)
from beart.beatmaps.osu_reader import osu_to_intermediate
from beart.beatmaps.osu_writer import difficulty_name

from shared_paths import CORPUS


TESTS = CORPUS / "ppy-osu-tests"
MODES = ("osu", "taiko", "catch", "mania")
REAL_MAPS = sorted(
    path
    for path in list(TESTS.glob("conversion/*/*.osu")) + list(TESTS.glob("decoder/Soleily*.osu"))
    if path.stem not in ("old-stacking",)
)


def read_back(text: str) -> IntermediateBeatmap:
    content = text.encode("utf-8")
    return osu_to_intermediate(parse_osu(content, "written.osu"), content, for_training=False)


def hit_object_lines(text: str) -> list[str]:
    return text.split("[HitObjects]")[1].strip().splitlines()


@pytest.mark.parametrize("path", REAL_MAPS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_real_map_round_trip_keeps_every_hit_and_hold(path):
    beatmap = read_osu(path)
    written = read_back(intermediate_to_osu(beatmap))
    pd.testing.assert_frame_equal(written.hit_objects(), beatmap.hit_objects())
    steps = len(beatmap)
    np.testing.assert_array_equal(written.data["EMPTY"].to_numpy()[:steps], beatmap.data["EMPTY"].to_numpy())


@pytest.mark.parametrize("mode", MODES)
def test_every_mode_parses_in_rosu_with_one_object_per_line(mode):
    rosu = pytest.importorskip("rosu_pp_py")
    archive = OsuArchive(TESTS / "archives/241526 Soleily - Renatus_virtual.osz")
    for name in archive.difficulty_names[::3]:
        text = intermediate_to_osu(archive.read(name), mode=mode)
        parsed = rosu.Beatmap(content=text)
        attributes = rosu.Difficulty().calculate(parsed)
        assert parsed.mode == getattr(
            rosu.GameMode, {"osu": "Osu", "taiko": "Taiko", "catch": "Catch", "mania": "Mania"}[mode]
        )
        assert parsed.n_objects == len(hit_object_lines(text))
        assert attributes.stars > 0


def test_osu_standard_maps_parse_in_slider_with_the_same_times():
    slider = pytest.importorskip("slider")
    beatmap = read_osu(TESTS / "decoder/Soleily - Renatus (Gamu) [Insane].osu")
    text = intermediate_to_osu(beatmap, mode="osu", title="Renatus", artist="Soleily")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = slider.Beatmap.parse(text)
        hit_objects = parsed.hit_objects(stacking=False)
    objects = beatmap.hit_objects().drop_duplicates(["start", "end"])
    starts = [hit_object.time.total_seconds() * 1000 for hit_object in hit_objects]
    ends = [getattr(hit_object, "end_time", hit_object.time).total_seconds() * 1000 for hit_object in hit_objects]
    np.testing.assert_allclose(starts, objects["start"], atol=5.0)  # moved onto the beat grid, on their own step
    np.testing.assert_allclose(ends, objects["end"], atol=5.0)
    positions = np.array([[hit_object.position.x, hit_object.position.y] for hit_object in hit_objects])
    assert positions.min() >= 0 and (positions <= [512, 384]).all()
    spacing = np.linalg.norm(np.diff(positions, axis=0), axis=1)
    assert np.median(spacing) > 20


def test_timing_points_follow_the_tempo_column_and_sliders_end_on_time():
    times = np.arange(400) * 10
    tempo = np.where(times < 2000, 150.0, 96.0)
    left = np.zeros(400, dtype=np.uint8)
    left[[50, 80, 210, 290]] = 1
    left[100:151] = 2
    left[300:381] = 2
    beatmap = IntermediateBeatmap(
        {"TIME": times, "TEMPO": tempo, "LEFT": left},
        {"audio": "a.ogg", "difficulty": 0.6, "tracks": ["LEFT"], "source": {"format": "beart"}},  # beart's own
    )
    text = intermediate_to_osu(beatmap, mode="osu")
    timing = text.split("[TimingPoints]")[1].split("[HitObjects]")[0].split()
    assert timing == ["0,400,4,1,0,70,1,0", "2000,625,4,1,0,70,1,0"]
    sliders = [line.split(",") for line in hit_object_lines(text) if int(line.split(",")[3]) & 2]
    starts = np.array([int(parts[2]) for parts in sliders])
    multiplier = float(re.search(r"^SliderMultiplier:(.*?)\r?$", text, re.M).group(1))  # as the client reads it
    durations = [float(parts[7]) * int(parts[6]) / (100 * multiplier) * beat for parts, beat in zip(sliders, (400, 625))]
    np.testing.assert_allclose(starts, [1000, 3000], atol=4)
    np.testing.assert_allclose(starts + durations, [1500, 3800], atol=4)
    # every start and end lies on a 48th of the written beat (0 ms at 400 ms, 2000 ms at 625 ms), to within 0.5 ms
    row_ms = np.array([400 / 48, 625 / 48])
    rows = np.array([(starts - [0, 2000]) / row_ms, (starts + durations - [0, 2000]) / row_ms])
    np.testing.assert_allclose(rows * row_ms, np.round(rows) * row_ms, atol=0.5)
    assert "ai-generated" in text and "beart" in text.split("Tags:")[1].splitlines()[0]
    with pytest.raises(AIGeneratedError):
        osu_to_intermediate(parse_osu(text.encode()), text.encode())


def test_new_combos_start_on_the_measures_from_a_first_red_line_on_the_downbeat():
    # 120 BPM from a downbeat at 1,000 ms (TEMPO unknown before it); an intro note at 300 ms, a note on every beat
    # from 1,000 ms to 8,500 ms, then a measure of 16 sixteenths from 9,000 ms and a last note at 11,000 ms
    starts = np.r_[300, np.arange(1000, 9000, 500), np.arange(9000, 11000, 125), 11000]
    times = np.arange(1200) * 10
    left = np.zeros(1200, dtype=np.uint8)
    left[starts // 10] = 1
    beatmap = IntermediateBeatmap(
        {"TIME": times, "TEMPO": np.where(times < 1000, 0.0, 120.0), "LEFT": left},
        {"audio": "a.ogg", "difficulty": 0.9, "tracks": ["LEFT"]},
    )
    text = intermediate_to_osu(beatmap, mode="osu")
    (red_line,) = text.split("[TimingPoints]")[1].split("[HitObjects]")[0].split()
    assert red_line.split(",")[:3] == ["-1000", "500", "4"]  # a whole measure before the downbeat, 4/4
    objects = [line.split(",") for line in hit_object_lines(text)]
    written = np.array([int(parts[2]) for parts in objects])
    np.testing.assert_allclose(written, starts, atol=5)  # on the grid, on their own 10 ms steps
    new_combo = np.array([int(parts[3]) & 4 != 0 for parts in objects])
    # osu! draws a bar line every 2,000 ms from -1,000 ms: each measure's first object starts a combo, and the measure
    # of 16 sixteenths (more than 8 objects) a second one halfway
    expected = np.isin(starts, [300, 1000, 3000, 5000, 7000, 9000, 10000, 11000])
    np.testing.assert_array_equal(new_combo, expected)
    # a map read from an osu! file keeps its mapper's combos
    renatus = read_osu(TESTS / "decoder/Soleily - Renatus (Gamu) [Insane].osu")
    rewritten = [int(line.split(",")[3]) & 4 != 0 for line in hit_object_lines(intermediate_to_osu(renatus, mode="osu"))]
    combos = renatus.data.loc[renatus.data["NEW_COMBO"] == 1, "TIME"]
    assert sum(rewritten) == pytest.approx(len(combos), rel=0.05)


def test_easier_osu_standard_maps_move_slower_and_read_fewer_stars():
    import rosu_pp_py as rosu

    times = np.arange(3000) * 10  # 30 s at 120 BPM, a circle every beat
    left = np.where(times % 500 == 0, 1, 0).astype(np.uint8)
    left[200:226] = 2  # one slider, a half beat long
    texts, stars = {}, {}
    for difficulty in (0.1, 0.9):
        meta = {"audio": "a.ogg", "difficulty": difficulty, "tracks": ["LEFT"]}
        beatmap = IntermediateBeatmap({"TIME": times, "TEMPO": np.full(3000, 120.0), "LEFT": left}, meta)
        texts[difficulty] = text = intermediate_to_osu(beatmap, mode="osu")
        stars[difficulty] = rosu.Difficulty().calculate(rosu.Beatmap(content=text)).stars
        multiplier = float(re.search(r"^SliderMultiplier:(.*?)\r?$", text, re.M).group(1))
        circles = np.array([line.split(",")[:3] for line in hit_object_lines(text)], dtype=float)
        one_beat = np.diff(circles[:, 2]) == 500
        spacing = np.hypot(*np.diff(circles[:, :2], axis=0).T)[one_beat]
        assert np.median(spacing) == pytest.approx(100 * multiplier, abs=1.5)  # a beat's gap: 100 px times it
        assert read_back(text).hit_objects().equals(beatmap.hit_objects())  # the slider still ends on its step
    assert [float(re.search(r"SliderMultiplier:(.*)", texts[d]).group(1)) for d in (0.1, 0.9)] == [1.08, 1.72]
    assert stars[0.1] < stars[0.9]
    # the other modes keep one velocity: it is taiko's scroll speed
    assert "SliderMultiplier:1.4" in intermediate_to_osu(beatmap, mode="taiko")


def test_catch_fruits_zigzag_across_the_playfield_further_on_harder_maps():
    import rosu_pp_py as rosu

    times = np.arange(6000) * 10  # 60 s at 120 BPM, a fruit every half beat
    left = np.where(times % 250 == 0, 1, 0).astype(np.uint8)
    stars, names = {}, {}
    for difficulty in (0.1, 0.9):
        meta = {"audio": "a.ogg", "difficulty": difficulty, "tracks": ["LEFT"]}
        beatmap = IntermediateBeatmap({"TIME": times, "TEMPO": np.full(6000, 120.0), "LEFT": left}, meta)
        text = intermediate_to_osu(beatmap, mode="catch")
        stars[difficulty] = rosu.Difficulty().calculate(rosu.Beatmap(content=text)).stars
        names[difficulty] = re.search(r"^Version:(.*?)\r?$", text, re.M).group(1)
        multiplier = float(re.search(r"^SliderMultiplier:(.*?)\r?$", text, re.M).group(1))
        fruits = np.array([line.split(",")[:3] for line in hit_object_lines(text)], dtype=float)
        moves = np.diff(fruits[:, 0])
        # only the horizontal position counts in catch: a half beat's gap moves the catcher 50 px times the multiplier
        assert np.median(np.abs(moves)) == pytest.approx(50 * multiplier, abs=1.0)
        assert np.all((fruits[:, 0] >= 24) & (fruits[:, 0] <= 488))
        turns = np.mean(np.sign(moves[1:]) != np.sign(moves[:-1]))
        assert 0.5 < turns < 0.85  # human catch maps zigzag: Deif's Renatus maps turn at 61-76% of their moves
    # harder maps move further: a Cup at 0.1, past Salad at 0.9 (osu!'s names by the stars; 2.1-2.5 stars, every one
    # a Salad, when the fruits walked the playfield as osu!standard's circles do)
    assert names[0.1] == "Cup" and names[0.9] in ("Platter", "Rain", "Overdose")
    assert stars[0.9] > 2 * stars[0.1]


def test_taiko_and_mania_objects_are_written_as_the_game_expects():
    beatmap = IntermediateBeatmap.from_hit_objects(
        pd.DataFrame(
            [("LEFT", 0, 0), ("RIGHT", 100, 100), ("LEFT", 200, 600), ("LEFT", 800, 1200), ("RIGHT", 800, 1200)],
            columns=["track", "start", "end"],
        ),
        {"audio": "a.ogg", "difficulty": 0.3, "tracks": ["LEFT", "RIGHT"]},
        tempo_changes=pd.DataFrame({"time": [0], "bpm": [120.0]}),
    )
    taiko = hit_object_lines(intermediate_to_osu(beatmap, mode="taiko"))
    kinds = [(int(line.split(",")[3]) & 11, int(line.split(",")[4])) for line in taiko]
    assert kinds == [(1, 0), (1, 2), (2, 0), (8, 0)]
    mania = hit_object_lines(intermediate_to_osu(beatmap, mode="mania"))
    holds = [line for line in mania if line.split(",")[3] == "128"]
    ends = np.array([int(line.split(",")[5].split(":")[0]) for line in holds])
    assert len(ends) == 3 and np.abs(ends - np.where(ends < 900, 600, 1200)).max() <= 4
    columns = {int(line.split(",")[0]) * 4 // 512 for line in mania}
    assert columns <= {0, 1, 2, 3} and len(columns) > 1


def test_write_osz_holds_map_audio_and_background(tmp_path):
    audio = TESTS / "audio/test-sample.ogg"
    beatmap = read_osu(TESTS / "conversion/taiko/basic.osu")
    path = write_osz(
        beatmap, tmp_path / "out" / "song.osz", audio, mode="taiko", title="Basic", model_name="beart-test"
    )
    assert os.listdir(tmp_path / "out") == ["song.osz"]
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        osu_name = next(name for name in names if name.endswith(".osu"))
        text = archive.read(osu_name).decode("utf-8")
        assert archive.read("test-sample.ogg") == audio.read_bytes()
        assert archive.read("background.png").startswith(b"\x89PNG\r\n\x1a\n")
    assert re.search(r"AudioFilename: test-sample.ogg", text) and '"background.png"' in text
    # a person's map keeps its maker (the file names none) and says nothing of a model
    assert "beart-test" not in text and osu_name.startswith("Unknown Artist - Basic (Unknown Creator)")
    assert re.search(r"^Tags:\r?$", text, re.M) and re.search(r"^Source:\r?$", text, re.M)
    expected = retrack(beatmap, ["LEFT", "RIGHT"]).hit_objects()
    pd.testing.assert_frame_equal(read_back(text).hit_objects(), expected)


def test_a_long_title_keeps_each_difficultys_own_file_in_the_archive(tmp_path):
    audio = TESTS / "audio/test-sample.ogg"
    beatmap = read_osu(TESTS / "conversion/taiko/basic.osu")
    title = "i dont want to see the people i love see me in pain so i sometimes just wanna be left alone " * 3
    path = write_osz([beatmap] * 3, tmp_path / "set.osz", audio, mode="taiko", title=title, version="Oni")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # zipfile warns of a duplicate member name
        with zipfile.ZipFile(path) as archive:
            names = [name for name in archive.namelist() if name.endswith(".osu")]
            versions = [re.search(r"^Version:(.*?)\r?$", archive.read(name).decode(), re.M).group(1) for name in names]
    assert versions == ["Oni", "Oni 2", "Oni 3"] and len(set(names)) == 3
    for name, version in zip(names, versions):
        assert name.startswith("Unknown Artist - i dont want") and name.endswith(f" [{version}].osu")
        assert len(name) <= 120 + len(".osu")
    assert len(OsuArchive(path).difficulty_names) == 3


def test_difficulty_names_follow_the_stars_on_the_modes_own_scale():
    # osu!'s ranking criteria name osu!standard, taiko and catch maps by their stars as they are
    names = [difficulty_name(stars, "osu") for stars in (1.99, 2.01, 2.71, 4.01, 5.31, 6.51, 12.0)]
    assert names == ["Easy", "Normal", "Hard", "Insane", "Expert", "Expert+", "Expert+"]
    assert [difficulty_name(stars, "taiko") for stars in (1.5, 3.0, 4.5)] == ["Kantan", "Muzukashii", "Oni"]
    # mania rates maps far lower: a mania set made at difficulties 0.1 to 0.9 was named Easy, Easy 2, ... Easy 5
    names = [difficulty_name(stars, "mania") for stars in (0.74, 1.23, 1.87, 3.0, 4.0, 5.0)]
    assert names == ["Easy", "Normal", "Hard", "Insane", "Expert", "Expert+"]


def test_failed_writes_leave_nothing_behind(tmp_path):
    empty = IntermediateBeatmap(
        {"TIME": [0, 10], "TEMPO": [0, 0], "LEFT": [0, 0]}, {"audio": "a.ogg", "difficulty": 0.5, "tracks": ["LEFT"]}
    )
    with pytest.raises(BeatmapError, match="nothing to write"):
        write_osz(empty, tmp_path / "song.osz", TESTS / "audio/test-sample.ogg")
    with pytest.raises(FileNotFoundError, match="Audio file not found"):
        write_osz(empty, tmp_path / "song.osz", tmp_path / "missing.ogg")
    assert os.listdir(tmp_path) == []


def test_a_grid_time_just_before_the_next_step_is_written_on_the_grid_and_reads_back_on_its_step():
    # 128 BPM from 0 ms: the 1/12 beat point 2304.69 ms lies in the 2300 ms step, but its nearest whole ms, 2305,
    # would read back on the 2310 ms step; 2304 is written (0.69 ms off the grid), and reads back at 2300
    objects = pd.DataFrame({"track": ["LEFT"] * 3, "start": [0.0, 470.0, 2300.0], "end": [0.0, 470.0, 2300.0]})
    meta = {"audio": "a.ogg", "difficulty": 0.5, "tracks": ["LEFT"]}
    beatmap = IntermediateBeatmap.from_hit_objects(
        objects, meta, tempo_changes=pd.DataFrame({"time": [0.0], "bpm": [128.0]}), end_ms=6000.0
    )
    text = intermediate_to_osu(beatmap, mode="osu", version="Test")
    times = [int(line.split(",")[2]) for line in text.split("[HitObjects]")[1].split() if line]
    assert times == [0, 469, 2304]
    read_back = osu_to_intermediate(parse_osu(text), text.encode(), for_training=False)
    assert read_back.hit_objects()["start"].tolist() == [0, 470, 2300]
