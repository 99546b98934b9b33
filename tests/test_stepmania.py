"""StepMania charts both ways, checked against the `simfile` timing engine and StepMania's own radar counts."""

import os
import shutil
import warnings

import numpy as np
import pytest

from beart.beatmaps import (
    BeatmapError,
    IntermediateBeatmap,
    StepManiaSimfile,
    chart_difficulty,
    parse_simfile,
    retrack,
    simfile_text,
    write_stepmania,
)
from beart.beatmaps.stepmania_file import ROWS_PER_BEAT, SimfileEntry, parse_notes
from beart.beatmaps.stepmania_reader import STEPS_TYPE_COLUMNS, chart_to_intermediate
from beart.cli import main

from shared_paths import CORPUS


SONG = CORPUS / "stepmania" / "Goin' Under"
SIMFILES = [SONG / "Goin' Under.sm", SONG / "Goin' Under.ssc", CORPUS / "stepmania" / "Springtime.ssc"]

simfile = pytest.importorskip("simfile")
from simfile.notes import NoteData  # noqa: E402
from simfile.timing import TimingData  # noqa: E402
from simfile.timing.engine import TimingEngine  # noqa: E402


MEASURE_5_NOTES = {0: "1000", 1: "0F00", 2: "0010", 4: "2000", 5: "0400", 7: "3000", 8: "0300", 16: "0001", 40: "0010"}
MEASURE_5 = "\n".join(MEASURE_5_NOTES.get(row, "0000") for row in range(63)) + "\n0001"
TIMING_TORTURE = """#VERSION:0.83;
#TITLE:Timing torture;
#ARTIST:beart tests;
#MUSIC:song.ogg;
#OFFSET:-0.137;
#BPMS:0.000=150.000,8.000=90.5,13.250=240.000,20.000=75.000;
#STOPS:4.000=0.250,10.500=0.120;
#DELAYS:6.000=0.300,13.250=0.050;
#WARPS:17.000=1.500;
#NOTEDATA:;
#STEPSTYPE:dance-single;
#DESCRIPTION:song timing;
#DIFFICULTY:Hard;
#METER:9;
#CREDIT:tester;
#NOTES:
1000
0100
0010
0001
,
1000
0000
0100
0000
0010
0000
0001
0000
0000
0000
0000
0000
,
M001
0020
0000
0000
0000
0000
0030
0000
0L00
0000
0000
0000
0000
0000
0000
0000
0000
0000
0000
0000
0000
0000
0000
0001
,
1000
0100
0010
0001
0000
0000
0000
0000
0000
0000
0000
0000
0000
0000
0000
1111
,
{measure_5}
,
1001
;
#NOTEDATA:;
#STEPSTYPE:dance-single;
#DIFFICULTY:Challenge;
#METER:11;
#OFFSET:0.020;
#BPMS:0.000=180.000,7.000=120.000;
#STOPS:2.500=0.400;
#DELAYS:;
#WARPS:3.000=1.000;
#NOTES:
1000
0100
0010
0001
,
1100
0011
0110
1001
;
""".replace("{measure_5}", MEASURE_5)


def engine_times(sim, chart):
    engine = TimingEngine(TimingData(sim, chart))
    notes = list(NoteData(chart))
    beats = [note.beat for note in notes]
    return (
        notes,
        np.array([float(engine.time_at(beat)) for beat in beats]),
        np.array([engine.hittable(b) for b in beats]),
    )


def our_times(parsed, chart):
    timing = parsed.timing(chart)
    notes = parse_notes(chart.notes, STEPS_TYPE_COLUMNS[chart.steps_type], chart.name)
    return notes, timing.seconds_at(notes.rows), timing.hittable(notes.rows)


@pytest.mark.parametrize("path", SIMFILES, ids=lambda path: path.name)
def test_every_note_time_matches_the_simfile_timing_engine(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = simfile.open(str(path))
    parsed = parse_simfile(path.read_bytes(), path.name)
    assert len(parsed.charts) == len(reference.charts)
    for chart, reference_chart in zip(parsed.charts, reference.charts):
        _, expected, _ = engine_times(reference, reference_chart)
        _, seconds, _ = our_times(parsed, chart)
        np.testing.assert_allclose(seconds, expected, atol=1e-6)


def test_bpm_changes_stops_delays_warps_and_chart_timing_match_the_engine():
    reference = simfile.loads(TIMING_TORTURE)
    parsed = parse_simfile(TIMING_TORTURE, "torture.ssc")
    for chart, reference_chart in zip(parsed.charts, reference.charts):
        reference_notes, expected, expected_hittable = engine_times(reference, reference_chart)
        notes, seconds, hittable = our_times(parsed, chart)
        expected_rows = [round(float(note.beat) * ROWS_PER_BEAT) for note in reference_notes]
        assert notes.rows.tolist() == expected_rows
        np.testing.assert_allclose(seconds, expected, atol=1e-6)
        assert hittable.tolist() == expected_hittable.tolist()


def test_a_measure_of_any_line_count_reads_as_stepmania_and_simfile_place_it():
    # StepMania plays measures of any number of lines, each at its share of the measure on the nearest of 48 rows a
    # beat; a reader that refused 5, 7 or 20 lines would refuse whole charts the game plays.
    measures = [
        "1000\n0100\n0010\n0001\n1000",  # 5 lines
        "\n".join(["1001"] + ["0110"] * 6),  # 7
        "\n".join(["1000", "0100", "0010", "0001"] * 5),  # 20
        "\n".join(["2000"] + ["0000"] * 4 + ["3000"] + ["0100"] * 3),  # 9, a hold across it
    ]
    text = SONG_HEADER + "#NOTEDATA:;\n#STEPSTYPE:dance-single;\n#DIFFICULTY:Hard;\n#METER:8;\n#NOTES:\n"
    text += "\n,\n".join(measures) + "\n;\n"
    (chart,) = parse_simfile(text, "odd.ssc").charts
    notes = parse_notes(chart.notes, 4, "odd.ssc")
    reference = list(NoteData(simfile.loads(text).charts[0]))
    assert notes.rows.tolist() == [round(float(note.beat) * ROWS_PER_BEAT) for note in reference]
    assert notes.columns.tolist() == [note.column for note in reference]
    assert "".join(notes.kinds) == "".join(note.note_type.value for note in reference)


def test_lines_of_a_measure_past_192_that_share_a_row_keep_the_later_note():
    # 384 lines: lines 0 and 1 fall on row 0 (0.5 rounds to the even 0), line 2 on row 1, line 3 on row 2 (1.5 to 2)
    lines = ["2000", "1100", "0010", "1000"] + ["0000"] * 380
    notes = parse_notes(SimfileEntry("\n".join(lines), 7), 4, "dense.sm")
    assert notes.rows.tolist() == [0, 0, 1, 2]
    assert notes.columns.tolist() == [0, 1, 2, 0]
    assert notes.kinds.tolist() == ["1", "1", "1", "1"]  # the hold head of line 0 gave way to line 1's tap


def test_reader_counts_match_stepmanias_radar_values():
    sm = SONG / "Goin' Under.sm"
    parsed = parse_simfile(sm.read_bytes(), sm.name)
    reader = StepManiaSimfile(sm)
    for name, chart in zip(reader.difficulty_names, parsed.charts):
        if chart.steps_type != "dance-single":
            continue
        objects = reader.read(name).hit_objects()
        radar = [float(value) for value in parse_radar(sm, chart)]
        # StepMania's radar values: [5] notes (taps, lifts and hold heads, per panel), [8] holds and rolls.
        assert len(objects) == radar[5], name
        assert int((objects["end"] > objects["start"]).sum()) == radar[8], name


def parse_radar(path, chart):
    text = path.read_text()
    block = text.split(f"     {chart.slot}:\n     {chart.meter}:\n", 1)[1]
    return block.split(":", 1)[0].strip().split(",")


def test_torture_chart_objects_skip_mines_fakes_and_warped_notes():
    parsed = parse_simfile(TIMING_TORTURE, "torture.ssc")
    beatmap = chart_to_intermediate(parsed, parsed.charts[0])
    objects = beatmap.hit_objects()
    notes, seconds, hittable = our_times(parsed, parsed.charts[0])
    playable = hittable & ~np.isin(notes.kinds, ["M", "F", "3"])
    assert len(objects) == int(playable.sum())
    holds = objects[objects["end"] > objects["start"]]
    assert len(holds) == 3  # the hold of measure 3, the hold and the roll of measure 5
    # The warp skips beats 17 to 18.5: the note on beat 17 is warped over, the one on 18.5 (same time) is played.
    warp_time = seconds[(notes.rows == 17 * ROWS_PER_BEAT)][0] * 1000
    assert warp_time == pytest.approx(seconds[(notes.rows == 18.5 * ROWS_PER_BEAT)][0] * 1000)
    assert int((np.abs(objects["start"] - warp_time) <= 5).sum()) == 1
    lifted = seconds[notes.kinds == "L"][0] * 1000
    assert (np.abs(objects["start"] - lifted) <= 5).any()
    assert beatmap.tracks == ["LEFT", "DOWN", "UP", "RIGHT"]
    assert beatmap.meta["difficulty"] == pytest.approx(chart_difficulty("Hard", 9))


def test_difficulty_follows_slot_then_meter():
    ordered = [
        ("Beginner", 1),
        ("Easy", 3),
        ("Easy", 5),
        ("Medium", 6),
        ("Hard", 8),
        ("Challenge", 10),
        ("Challenge", 14),
    ]
    values = [chart_difficulty(slot, meter) for slot, meter in ordered]
    assert values == sorted(values) and values[0] == 0.0 and values[-1] < 1.0
    assert [int(value * 4) for value in values] == [0, 0, 0, 1, 2, 3, 3]
    assert chart_difficulty("Edit", 7) == pytest.approx(0.5)


def test_other_step_types_fold_onto_four_tracks():
    reader = StepManiaSimfile(SONG / "Goin' Under.ssc")
    double = next(name for name in reader.difficulty_names if name.startswith("dance-double Hard"))
    single = next(name for name in reader.difficulty_names if name.startswith("dance-single Hard"))
    assert reader.read(double).tracks == ["LEFT", "DOWN", "UP", "RIGHT"]
    assert len(reader.read(double).hit_objects()) <= 2 * len(reader.read(single).hit_objects())
    pump = StepManiaSimfile(CORPUS / "stepmania" / "Springtime.ssc")
    pump_chart = pump.read(next(name for name in pump.difficulty_names if name.startswith("pump-single")))
    assert set(pump_chart.hit_objects()["track"]) == {"LEFT", "DOWN", "UP", "RIGHT"}


@pytest.mark.parametrize("ssc", [False, True], ids=["sm", "ssc"])
def test_round_trip_keeps_every_note_within_one_step_and_parses_in_simfile(ssc):
    for path in (SONG / "Goin' Under.ssc", CORPUS / "stepmania" / "Springtime.ssc"):
        reader = StepManiaSimfile(path)
        beatmaps = [reader.read(name) for name in reader.difficulty_names]
        text = simfile_text(beatmaps, ssc=ssc, model_name="beart-test")
        written = parse_simfile(text, "written.ssc" if ssc else "written.sm")
        assert len(written.charts) == len(beatmaps)
        for original, chart in zip(beatmaps, written.charts):
            read_back = chart_to_intermediate(written, chart, for_training=False).hit_objects()
            expected = retrack(original, ["LEFT", "DOWN", "UP", "RIGHT"]).hit_objects()
            assert read_back["track"].tolist() == expected["track"].tolist()
            assert np.abs(read_back[["start", "end"]].to_numpy() - expected[["start", "end"]].to_numpy()).max() <= 10
        reference = simfile.loads(text)
        for chart, reference_chart in zip(written.charts, reference.charts):
            _, expected_times, _ = engine_times(reference, reference_chart)
            np.testing.assert_allclose(our_times(written, chart)[1], expected_times, atol=1e-6)
        slots = [chart.slot for chart in written.charts]
        assert len(set(slot for slot in slots if slot != "Edit")) == len([slot for slot in slots if slot != "Edit"])
        # the charters keep their credit (the song's names them all; a chart crediting nobody reads it), and the
        # charts read back as theirs, for training too
        assert "AI-generated" not in text and "beart-test" not in text
        credits = list(dict.fromkeys(original.meta["creator"] for original in beatmaps if original.meta["creator"]))
        assert written.value("CREDIT") == ", ".join(credits) and credits
        for original, chart in zip(beatmaps, written.charts):
            creator = chart_to_intermediate(written, chart).meta["creator"]
            assert creator == (original.meta["creator"] or ", ".join(credits))


def test_written_tempo_changes_and_slow_songs_stay_on_time():
    times = np.arange(1000) * 10
    tempo = np.where(times < 4000, 55.0, 173.0)
    events = np.zeros((1000, 4), dtype=np.uint8)
    events[[100, 230, 470, 610, 777, 901], [0, 1, 2, 3, 0, 1]] = 1
    events[500:541, 2] = 2
    beatmap = IntermediateBeatmap(
        {
            "TIME": times,
            "TEMPO": tempo,
            **{name: events[:, index] for index, name in enumerate(["LEFT", "DOWN", "UP", "RIGHT"])},
        },
        {"audio": "a.ogg", "difficulty": 0.4, "tracks": ["LEFT", "DOWN", "UP", "RIGHT"]},
    )
    written = parse_simfile(simfile_text([beatmap]), "slow.sm")
    assert written.entries["BPMS"].value.startswith("0.000000=110.000000")
    read_back = chart_to_intermediate(written, written.charts[0], for_training=False).hit_objects()
    expected = beatmap.hit_objects()
    assert np.abs(read_back[["start", "end"]].to_numpy() - expected[["start", "end"]].to_numpy()).max() <= 10


def test_a_tempo_known_from_the_first_beat_keeps_its_phase():
    # 125 BPM (480 ms beats) from a beat at 1,230 ms; TEMPO is 0 (unknown) before it. The notes on the beats must be
    # written as whole beats, so beat 0 goes 3 beats earlier, 210 ms before the audio starts.
    times = np.arange(1200) * 10
    beats = (1230 + 480 * np.arange(20)) // 10
    events = np.zeros((1200, 4), dtype=np.uint8)
    events[beats, np.arange(20) % 4] = 1
    beatmap = IntermediateBeatmap(
        {
            "TIME": times,
            "TEMPO": np.where(times < 1230, 0.0, 125.0),
            **{name: events[:, index] for index, name in enumerate(["LEFT", "DOWN", "UP", "RIGHT"])},
        },
        {"audio": "a.ogg", "difficulty": 0.2, "tracks": ["LEFT", "DOWN", "UP", "RIGHT"]},
    )
    written = parse_simfile(simfile_text([beatmap]), "phase.sm")
    assert float(written.entries["OFFSET"].value) == pytest.approx(0.69)
    notes = parse_notes(written.charts[0].notes, 4, "phase.sm")
    assert np.all(notes.rows % ROWS_PER_BEAT == 0), "every note on a whole beat"
    assert (notes.rows // ROWS_PER_BEAT).tolist() == list(range(4, 24))  # the first on measure 1's first beat
    read_back = chart_to_intermediate(written, written.charts[0], for_training=False).hit_objects()
    assert np.abs(np.sort(read_back["start"].to_numpy()) - 10 * beats).max() <= 10


BAD_CHARTS = {
    "no notes": ("#NOTEDATA:;\n#STEPSTYPE:dance-single;\n#DIFFICULTY:Easy;\n#METER:2;\n", "no #NOTES"),
    "character": (
        "#NOTEDATA:;\n#STEPSTYPE:dance-single;\n#DIFFICULTY:Easy;\n#METER:2;\n#NOTES:\n1000\n0X00\n0010\n0001\n;\n",
        "line 12: unknown note character 'X'",
    ),
    "width": (
        "#NOTEDATA:;\n#STEPSTYPE:dance-single;\n#DIFFICULTY:Easy;\n#METER:2;\n#NOTES:\n1000\n01000\n0010\n0001\n;\n",
        "line 12: the row '01000' has 5 columns",
    ),
    "negative bpm": (
        "#NOTEDATA:;\n#STEPSTYPE:dance-single;\n#DIFFICULTY:Easy;\n#METER:2;\n#BPMS:0=120,4=-60;\n#NOTES:\n1000\n0100\n0010\n0001\n;\n",
        "line 10: #BPMS holds a BPM of -60",
    ),
}
GOOD_CHART = (
    "#NOTEDATA:;\n#STEPSTYPE:dance-single;\n#DIFFICULTY:Hard;\n#METER:8;\n#NOTES:\n1000\n0100\n0010\n0001\n;\n"
)
SONG_HEADER = "#VERSION:0.83;\n#TITLE:Bad;\n#MUSIC:song.ogg;\n#OFFSET:0;\n#BPMS:0=120;\n"


@pytest.mark.parametrize("problem", list(BAD_CHARTS))
def test_bad_charts_name_chart_and_line_and_the_others_still_convert(tmp_path, problem):
    chart, message = BAD_CHARTS[problem]
    path = tmp_path / "bad.ssc"
    path.write_text(SONG_HEADER + chart + GOOD_CHART)
    reader = StepManiaSimfile(path)
    bad_name, good_name = reader.difficulty_names
    with pytest.raises(BeatmapError, match=f"bad.ssc \\[dance-single Easy 2\\].*{message}"):
        reader.read(bad_name)
    assert len(reader.read(good_name).hit_objects()) == 4


def test_convert_and_export_stepmania_songs(tmp_path, capsys):
    songs = tmp_path / "songs"
    shutil.copytree(SONG, songs / "Goin' Under")
    (songs / "Lonely").mkdir()
    (songs / "Lonely" / "lonely.sm").write_text(
        SONG_HEADER.replace("0.83", "0.5") + "#NOTES:dance-single::Easy:2::\n1000\n;\n"
    )
    assert main(["convert", str(songs), str(tmp_path / "ibf"), "--no-progress"]) == 0
    output = capsys.readouterr().out
    assert "converted 9 difficulties, skipped 1 (1 no audio)" in output
    converted = sorted(os.listdir(tmp_path / "ibf" / "Goin' Under"))
    assert "Goin' Under.ogg" in converted and len([name for name in converted if name.endswith(".ibf")]) == 9
    source = tmp_path / "ibf" / "Goin' Under" / "dance-single Challenge 10.ibf"
    assert main(["export", str(source), str(tmp_path / "out" / "challenge.sm"), "--mode", "stepmania"]) == 0
    assert sorted(os.listdir(tmp_path / "out")) == ["Goin' Under.ogg", "challenge.sm", "challenge.ssc"]
    reference = simfile.open(str(tmp_path / "out" / "challenge.ssc"))
    assert reference.charts[0].stepstype == "dance-single" and reference.music == "Goin' Under.ogg"


def test_write_stepmania_without_notes_leaves_nothing(tmp_path):
    empty = IntermediateBeatmap(
        {"TIME": [0, 10], "TEMPO": [120, 120], "LEFT": [0, 0]},
        {"audio": "a.ogg", "difficulty": 0.5, "tracks": ["LEFT"]},
    )
    with pytest.raises(BeatmapError, match="nothing to write"):
        write_stepmania(empty, tmp_path / "song", SONG / "Goin' Under.ogg")
    assert not (tmp_path / "song").exists()


def test_an_interrupted_song_folder_write_leaves_nothing_and_a_second_run_writes_it(tmp_path, monkeypatch):
    # the song and the .sm were written one by one before the .ssc: interrupted there, the folder held them, and a
    # second run was refused ("song.sm already exists")
    from beart.beatmaps import files

    write_atomically = files.write_atomically

    def interrupted(path, *arguments, **kwargs):
        if str(path).endswith(".ssc"):
            raise KeyboardInterrupt
        return write_atomically(path, *arguments, **kwargs)

    reader = StepManiaSimfile(SONG / "Goin' Under.ssc")
    chart = reader.read(reader.difficulty_names[0])
    monkeypatch.setattr(files, "write_atomically", interrupted)
    for folder in (tmp_path / "new", tmp_path / "mine"):
        (tmp_path / "mine").mkdir(exist_ok=True)
        (tmp_path / "mine" / "notes.txt").write_text("mine")
        with pytest.raises(KeyboardInterrupt):
            write_stepmania(chart, folder / "song.sm", SONG / "Goin' Under.ogg")
    assert not (tmp_path / "new").exists() and os.listdir(tmp_path / "mine") == ["notes.txt"]
    monkeypatch.setattr(files, "write_atomically", write_atomically)
    write_stepmania(chart, tmp_path / "mine" / "song.sm", SONG / "Goin' Under.ogg")
    assert sorted(os.listdir(tmp_path / "mine")) == ["Goin' Under.ogg", "notes.txt", "song.sm", "song.ssc"]
    assert len(simfile.open(str(tmp_path / "mine" / "song.ssc")).charts) == 1


def test_dataset_build_takes_stepmania_songs(tmp_path, capsys):
    from beart.training import load_corpus

    shutil.copytree(SONG, tmp_path / "songs" / "Goin' Under")
    assert main(["dataset", "build", str(tmp_path / "songs"), str(tmp_path / "corpus"), "--no-progress"]) == 0
    assert "train: 1 songs, 9 maps" in capsys.readouterr().out
    maps = load_corpus(tmp_path / "corpus")["maps"]
    assert set(maps["num_tracks"]) == {4} and len(maps) == 9


@pytest.mark.parametrize(
    "path", sorted(path for path in (CORPUS / "stepmania").rglob("*") if path.suffix in (".sm", ".ssc")),
    ids=lambda path: path.name,
)  # fmt: skip
def test_the_file_model_writes_back_what_it_read(path, tmp_path):
    """`StepManiaFile.text` (what the writer serializes through) reads back with every chart unchanged."""
    import pandas as pd

    from beart.beatmaps.stepmania_file import parse_simfile
    from beart.beatmaps.stepmania_reader import read_simfile

    written = tmp_path / path.name
    written.write_text(parse_simfile(path.read_bytes(), path.name).text(), encoding="utf-8")
    originals, rereads = read_simfile(path, for_training=False), read_simfile(written, for_training=False)
    assert [beatmap.meta["version"] for beatmap in rereads] == [beatmap.meta["version"] for beatmap in originals]
    for original, reread in zip(originals, rereads):
        pd.testing.assert_frame_equal(reread.hit_objects(), original.hit_objects())


def test_a_tag_without_its_closing_semicolon_is_named_with_its_file_and_line(caplog):
    text = "#TITLE:Song\n#BPMS:0.000=120.000\n#OFFSET:0;\n#NOTES:dance-single::Easy:1::\n1000\n0000\n0000\n0000\n;\n"
    with caplog.at_level("WARNING"):
        parsed = parse_simfile(text, "songs/open.sm")
    assert "songs/open.sm, line 2: #BPMS has no closing ';'; it ends where line 3 starts" in caplog.text
    assert parsed.value("BPMS") == "0.000=120.000"
