"""Maps a ranking reviewer accepts: generated maps snapped to the beat grid, no doubles, names players know; and
`beart check`, which must pass human charts and flag what the rules forbid."""

import zipfile

import numpy as np
import pandas as pd
import pytest
import soundfile
from transformers import pipeline

from beart.beatmaps import WRITE_MODES, IntermediateBeatmap, retrack, tracks_for_mode
from beart.beatmaps.batch_conversion import find_beatmap_sets, read_difficulties
from beart.beatmaps.formats import has_one_lane, has_two_hands, open_beatmap_set, tracks_of_mode, write_beatmaps
from beart.beatmaps.beat_grid import BeatGrid
from beart.beatmaps.intermediate import ROWS_PER_BEAT
from beart.beatmaps.osu_writer import difficulty_name, intermediate_to_osu
from beart.beatmaps.osu_file import parse_osu
from beart.beatmaps.osu_reader import timed_objects
from beart.beatmaps.playability import (
    BINARY_SUBDIVISIONS,
    PLAYABLE_SUBDIVISIONS,
    check_beatmap_set,
    check_objects,
    check_playability,
    hittable_gap_ms,
    make_playable,
)
from beart.processing import SongAnalysis
from shared_paths import CORPUS


def taiko_map(rows: list, bpm: float, first_beat: float = 0.0) -> IntermediateBeatmap:
    """A don/kat map of `(track, start, end)` rows at one tempo whose beats fall on `first_beat`."""
    meta = {"audio": "a.ogg", "difficulty": 0.9, "tracks": ["LEFT", "RIGHT"]}
    tempo = pd.DataFrame({"time": [first_beat], "bpm": [bpm]})
    return IntermediateBeatmap.from_hit_objects(pd.DataFrame(rows, columns=["track", "start", "end"]), meta,
                                                tempo_changes=tempo)  # fmt: skip


def sloppy_map(bpm=150.0, first_beat=400.0) -> IntermediateBeatmap:
    """A map as a model writes it: on the 10 ms grid, off the beat grid by up to 9 ms, with doubles 10 ms apart."""
    beat = 60000.0 / bpm
    rng = np.random.default_rng(0)
    times = first_beat + beat / 4 * np.sort(rng.choice(np.arange(8, 200), size=80, replace=False))
    times = np.round((times + rng.uniform(-9, 9, size=len(times))) / 10) * 10
    rows = [("LEFT" if index % 3 else "RIGHT", time, time) for index, time in enumerate(times)]
    rows += [("LEFT", times[5] + 10, times[5] + 10), ("RIGHT", times[20] + 20, times[20] + 20)]  # doubles
    rows += [("LEFT", times[40], times[40] + 500)]  # a hold
    tempo = pd.DataFrame({"time": [first_beat], "bpm": [bpm]})
    meta = {"audio": "a.ogg", "difficulty": 0.5, "tracks": ["LEFT", "DOWN", "UP", "RIGHT"]}  # mania: a lane per track
    beatmap = IntermediateBeatmap.from_hit_objects(pd.DataFrame(rows, columns=["track", "start", "end"]), meta,
                                                   tempo_changes=tempo)  # fmt: skip
    return with_pipeline_tempo(beatmap, bpm, first_beat)


def with_pipeline_tempo(beatmap: IntermediateBeatmap, bpm: float, first_beat: float) -> IntermediateBeatmap:
    """The map with the TEMPO column the pipeline writes: `bpm` from the first beat on, unknown (0) before it."""
    data = beatmap.data.copy()
    data["TEMPO"] = np.where(data["TIME"] >= first_beat, bpm, 0.0)
    return IntermediateBeatmap(data, beatmap.meta)


def test_make_playable_snaps_to_the_beat_and_keeps_a_hittable_gap():
    sloppy = sloppy_map()
    report = check_playability(sloppy)
    assert report.near_duplicates and not report.passed
    exact = check_objects(sloppy.hit_objects(), sloppy.tempo_changes(), "sloppy", tolerance_ms=2, find_phase=False)
    assert len(exact.unsnapped) > 20  # most of its times are off the beat by more than the editor allows
    playable = make_playable(sloppy)
    objects = playable.hit_objects()
    grid = BeatGrid.of(playable)
    assert grid.anchor_ms == 400.0  # the phase of the map's tempo is kept
    for column in ("start", "end"):
        times = objects[column].to_numpy(np.float64)
        on_grid = grid.times_at(grid.rows_at(times, PLAYABLE_SUBDIVISIONS, 0.0))  # the nearest 1/16 or 1/12 only
        assert np.abs(on_grid - times).max() <= 5.0  # within half a 10 ms step of a playable subdivision
    for _, track in objects.groupby("track"):
        gaps = track["start"].to_numpy()[1:] - track["end"].to_numpy()[:-1]
        assert gaps.min() >= hittable_gap_ms(400.0) - 10  # a quarter beat at 150 BPM, to one 10 ms step
    assert len(objects) < len(sloppy.hit_objects()) and (objects["end"] > objects["start"]).sum() == 1
    assert check_playability(playable).passed
    for mode in ("osu", "taiko", "mania"):  # written, every object lies on the file's own timing within 2 ms
        in_mode = make_playable(retrack(sloppy, tracks_for_mode(mode)))
        osu_file = parse_osu(intermediate_to_osu(in_mode, mode=mode).encode())
        written = check_objects(*timed_objects(osu_file), mode, tolerance_ms=2, find_phase=False)
        assert written.passed and written.num_objects == len(in_mode.hit_objects()), written.summary()


@pytest.mark.parametrize("mode", ["tja", "stepmania", "mania"])
def test_a_note_on_the_songs_first_step_is_written_in_the_song(tmp_path, mode):
    # beats at -260 ms + k * 500 ms (120 BPM): the note on the step of 0 ms lies 10 ms after the half beat at -10 ms,
    # which a TJA reader drops as before the song; it goes to the first 1/16 after 0 ms instead (21.25 ms)
    meta = {"audio": "a.ogg", "difficulty": 0.5, "tracks": ["LEFT"], "subdivisions": list(BINARY_SUBDIVISIONS)}
    objects = pd.DataFrame({"track": "LEFT", "start": [0.0, 740.0, 1240.0]})
    beatmap = IntermediateBeatmap.from_hit_objects(objects.assign(end=objects["start"]), meta)
    playable = make_playable(with_pipeline_tempo(beatmap, 120.0, 1240.0))
    assert playable.hit_objects()["start"].tolist() == [20, 740, 1240]
    grid = BeatGrid.of(playable)
    rows = grid.rows_at([0.0, 5.0])
    assert rows[0] == rows[1] and rows[0] % (ROWS_PER_BEAT // 16) == 0  # one 1/16 ...
    np.testing.assert_allclose(grid.times_at(rows), 21.25, atol=1e-6)  # ... the first after 0 ms
    soundfile.write(tmp_path / "a.wav", np.zeros(44100 * 2, dtype=np.float32), 44100)
    output = tmp_path / ("set.osz" if mode == "mania" else "set")
    write_beatmaps(retrack(playable, tracks_of_mode(mode)), output, tmp_path / "a.wav", mode=mode)
    (source,) = find_beatmap_sets(output)
    (written,) = open_beatmap_set(source).read_all(for_training=False)
    assert len(written.hit_objects()) == 3 and written.hit_objects()["start"].min() == 20


def test_the_first_red_line_comes_before_the_first_object():
    # the pipeline's tempo starts on the first beat found (5640 ms, 170 BPM); an intro note on the step of 40 ms lies
    # on the 1/8 after the beat 16 beats earlier (-7.06 ms), which is where the first timing point goes
    meta = {"audio": "a.ogg", "difficulty": 0.5, "tracks": ["LEFT"]}
    objects = pd.DataFrame({"track": "LEFT", "start": [40.0, 5640.0, 6000.0]})
    beatmap = IntermediateBeatmap.from_hit_objects(objects.assign(end=objects["start"]), meta)
    playable = make_playable(with_pipeline_tempo(beatmap, 170.0, 5640.0))
    for mode in ("osu", "mania"):
        osu_file = parse_osu(intermediate_to_osu(playable, mode=mode).encode())
        written, written_tempo = timed_objects(osu_file)
        assert written_tempo["time"].tolist() == pytest.approx([5640.0 - 16 * 60000.0 / 170.0])
        assert written["start"].min() == 37 and check_objects(written, written_tempo, mode, find_phase=False).passed


def test_a_step_whose_coarsest_subdivision_reads_back_on_the_next_step_is_written_on_a_finer_one():
    # 160 BPM from 20260 ms: the step at 21130 ms holds the 1/16 at 21127.19 ms (where make_playable puts a hit at
    # 21120 ms), but the 1/3 at 21135 ms, exactly 5 ms away, reads back on the step of 21140 ms. The writer takes the
    # 1/16 (it kept the step's unsnapped 21130 before); a 1/3 read back on its own step (21885 ms on the step of
    # 21890 ms) is written as the 1/3. Written as mania, the one track is spread onto four columns first (`retrack`),
    # which kept the tempo but not where the beats fall (the grid ran from 0 ms: 20258, 21125, 21891 ms).
    meta = {"audio": "a.ogg", "difficulty": 0.5, "tracks": ["LEFT"]}
    objects = pd.DataFrame({"track": "LEFT", "start": [20260.0, 21120.0, 21890.0]})
    beatmap = IntermediateBeatmap.from_hit_objects(objects.assign(end=objects["start"]), meta)
    playable = make_playable(with_pipeline_tempo(beatmap, 160.0, 20260.0))
    assert playable.hit_objects()["start"].tolist() == [20260, 21130, 21890]
    osu_file = parse_osu(intermediate_to_osu(playable, mode="mania").encode())
    written, written_tempo = timed_objects(osu_file)
    assert written["start"].tolist() == [20260, 21127, 21885]
    assert check_objects(written, written_tempo, "written", tolerance_ms=2, find_phase=False).passed


def test_human_charts_pass_the_check():
    for source in find_beatmap_sets(CORPUS / "stepmania" / "Goin' Under"):
        for item, _, _, beatmap in read_difficulties(source, [], for_training=False):
            report = check_playability(beatmap, item)
            assert report.passed, report.summary()


def test_human_charts_pass_across_their_tempo_changes():
    # brokenHeart's Normal and Hard courses switch between 202 and 101 BPM 17 times, each change up to 5 ms from its
    # 10 ms step, and their first beat lies at 77 ms: the check must keep each change where it lies on the grid before
    # it, not move it with the first beat
    (source,) = find_beatmap_sets(CORPUS / "opentaiko" / "S05 - brokenHeart resurrection ~estelle~")
    read = read_difficulties(source, [], for_training=False)
    beatmaps = {beatmap.meta["source"]["course"]: beatmap for *_, beatmap in read}
    for course in ("Normal", "Hard"):
        assert len(beatmaps[course].tempo_changes()) == 17
        report = check_playability(beatmaps[course], course)
        assert report.passed, report.summary()


def test_density_spikes_are_found():
    times = np.concatenate([np.arange(0, 20000, 500), 8000 + np.arange(12) * 60])
    objects = pd.DataFrame({"track": "LEFT", "start": times, "end": times})
    beatmap = IntermediateBeatmap.from_hit_objects(objects, {"audio": "a", "difficulty": 0.5, "tracks": ["LEFT"]})
    (spike,) = check_playability(beatmap).density_spikes
    assert 7000 <= spike[0] <= 8000 and spike[1] >= 10


def test_difficulty_names_follow_the_star_rating():
    assert [difficulty_name(stars, "osu") for stars in (1.0, 2.0, 3.0, 4.5, 6.0, 7.0)] == [
        "Easy", "Normal", "Hard", "Insane", "Expert", "Expert+",
    ]  # fmt: skip
    assert difficulty_name(4.2, "taiko") == "Oni" and difficulty_name(2.1, "catch") == "Salad"
    rosu = pytest.importorskip("rosu_pp_py")
    beatmap = make_playable(sloppy_map())
    for mode in ("osu", "taiko", "catch", "mania"):
        text = intermediate_to_osu(beatmap, mode=mode)
        stars = rosu.Difficulty().calculate(rosu.Beatmap(content=text)).stars
        assert f"Version:{difficulty_name(stars, mode)}\r\n" in text
    assert "Version:My Hard\r\n" in intermediate_to_osu(beatmap, mode="osu", version="My Hard")


@pytest.fixture(scope="module")
def bundled():
    return pipeline("beatmap-generation")


@pytest.mark.parametrize("mode", WRITE_MODES)
def test_every_generated_map_passes_the_check(bundled, example_song, tmp_path, mode):
    output = tmp_path / ("song.osz" if mode in ("osu", "taiko", "catch", "mania") else "song")
    generated = bundled(example_song, mode=mode, seed=0, end=10.0, output_path=str(output), progress=False)
    assert check_playability(generated).passed, check_playability(generated).summary()
    (written_set,) = find_beatmap_sets(output)
    skipped = []
    (report,) = check_beatmap_set(open_beatmap_set(written_set), written_set, skipped)  # osu!: on the file's times
    assert not skipped and report.passed and report.num_objects > 10, report.summary()


def test_the_raw_model_output_is_what_the_check_flags(bundled, example_song):
    raw = bundled(example_song, mode="mania", seed=0, end=10.0, playable=False, progress=False)
    steady = bundled.on_written_grid(raw, bundled.preprocess(example_song)["analysis"])
    assert check_playability(steady).unsnapped
    assert len(make_playable(steady).hit_objects()) <= len(steady.hit_objects())


def test_holds_shorter_than_a_player_can_hold_are_flagged_and_made_hits():
    bpm, beat = 150.0, 400.0
    rows = [("LEFT", 0.0, 30.0), ("LEFT", beat, beat + 70.0), ("RIGHT", beat, beat + 100.0)]
    rows += [("RIGHT", 3 * beat, 4 * beat)]
    meta = {"audio": "a.ogg", "difficulty": 0.5, "tracks": ["LEFT", "DOWN", "UP", "RIGHT"]}
    tempo = pd.DataFrame({"time": [0.0], "bpm": [bpm]})
    objects = pd.DataFrame(rows, columns=["track", "start", "end"])
    beatmap = IntermediateBeatmap.from_hit_objects(objects, meta, tempo_changes=tempo)
    report = check_playability(beatmap)
    assert [(track, start) for track, start, _ in report.short_holds] == [("LEFT", 0.0)] and not report.passed
    assert "1 short holds" in report.summary()
    playable = make_playable(beatmap).hit_objects().sort_values(["start", "track"]).reset_index(drop=True)
    # a quarter beat at 150 BPM is 100 ms: the 30 ms and 70 ms (snapped: 75 ms) holds become hits, the longer stay
    np.testing.assert_allclose(playable["end"] - playable["start"], [0.0, 0.0, 100.0, 400.0], atol=1e-6)  # ms
    assert check_playability(make_playable(beatmap)).passed


def test_on_one_lane_no_note_starts_under_or_just_after_the_other_tracks_drumroll():
    # taiko at 150 BPM: a kat drumroll to 1000 ms, a don 40 ms after it ends, a don under it, a kat a beat later
    rows = [("RIGHT", 400.0, 1000.0), ("LEFT", 600.0, 600.0), ("LEFT", 1040.0, 1040.0), ("RIGHT", 1400.0, 1400.0)]
    beatmap = taiko_map(rows, bpm=150.0)
    per_track = make_playable(beatmap).hit_objects()
    assert len(per_track) == 4  # each track on its own: nothing too close
    one_lane = make_playable(beatmap, one_lane=True).hit_objects().sort_values("start")
    assert one_lane[["track", "start", "end"]].values.tolist() == [["RIGHT", 400, 1000], ["RIGHT", 1400, 1400]]
    # beart check reads a LEFT/RIGHT map as taiko: one lane
    near = check_playability(make_playable(beatmap)).near_duplicates
    assert [start for _, _, start in near] == [600, 1030]  # under the drumroll, and 30 ms after it (snapped)
    assert check_playability(make_playable(beatmap, one_lane=True)).passed
    assert has_one_lane("taiko") and has_one_lane("tja") and has_one_lane("osu")
    assert not has_one_lane("mania") and not has_one_lane("stepmania") and not has_one_lane("fretsonfire")


def test_a_drum_hit_with_both_hands_takes_the_sextuplets_and_32nds_of_human_taiko_charts():
    # taiko at 150 BPM (a beat of 400 ms): a don-kat run of sextuplets (67 ms apart), then 32nds (50 ms), a double 20 ms
    # apart, and a drumroll an eighth of a beat long
    starts = [0.0, 66.67, 133.33, 200.0, 400.0, 450.0, 500.0, 550.0, 800.0, 820.0]
    rows = [("LEFT" if index % 2 else "RIGHT", start, start) for index, start in enumerate(starts)]
    rows.append(("LEFT", 1200.0, 1250.0))
    beatmap = taiko_map(rows, bpm=150.0)
    two_hands = make_playable(beatmap, one_lane=True, two_hands=True)
    objects = two_hands.hit_objects().sort_values("start")
    np.testing.assert_allclose(objects["start"], [0, 70, 130, 200, 400, 450, 500, 550, 800, 1200], atol=5)
    assert (objects["end"] == objects["start"]).all()  # the drumroll shorter than a quarter beat is a hit
    assert check_playability(two_hands).passed
    one_hand = make_playable(beatmap, one_lane=True).hit_objects()["start"]
    np.testing.assert_allclose(one_hand, [0, 133.33, 400, 500, 800, 1200], atol=5)
    assert has_two_hands("taiko") and has_two_hands("tja")
    assert not any(has_two_hands(mode) for mode in ("osu", "catch", "mania", "stepmania", "fretsonfire"))


def test_human_taiko_charts_keep_their_notes_when_made_playable_with_both_hands():
    (source,) = find_beatmap_sets(CORPUS / "opentaiko" / "S05 - brokenHeart resurrection ~estelle~")
    oni = next(beatmap for _, _, name, beatmap in read_difficulties(source, [], for_training=False) if name == "Oni")
    # at its music's tempo: the course's #BPMCHANGE to 101 are a scroll trick, its notes run on at 202 BPM
    oni = IntermediateBeatmap(oni.data.assign(TEMPO=np.where(oni.data["TEMPO"] > 0, 202.0, 0.0)), oni.meta)
    notes = len(oni.hit_objects())  # 1,252, half of them a sextuplet or less after the one before
    assert len(make_playable(oni, one_lane=True, two_hands=True).hit_objects()) >= 0.96 * notes
    assert len(make_playable(oni, one_lane=True).hit_objects()) < 0.9 * notes  # a quarter beat loses its streams


def test_a_run_of_32nds_read_on_the_10_ms_grid_is_no_near_duplicate_and_a_double_is():
    # 160 BPM: a 32nd lasts 46.875 ms, read back on the 10 ms grid as 40 or 50 ms apart; then a double a 64th apart
    beats = np.append(np.arange(16) / 8, [3.0, 3.0 + 1 / 16])
    starts = 1000.0 + np.round(beats * 375.0 / 10.0) * 10.0
    objects = pd.DataFrame({"track": "LEFT", "start": starts, "end": starts})
    tempo = pd.DataFrame({"time": [1000.0], "bpm": [160.0]})
    report = check_objects(objects, tempo, "32nds", one_lane=True)
    assert not report.unsnapped
    assert [(end, start) for _, end, start in report.near_duplicates] == [(2120.0, 2150.0)]  # as the file has them



def test_the_check_finds_the_phase_that_puts_a_map_on_its_beats_not_one_a_few_48ths_off():
    # a TJA course at 180 BPM (OFFSET 3.3 ms: beats at -3.3 ms + k * 333.3 ms), half of its 32nd slots filled, read on
    # the 10 ms grid with its tempo from 0: at a phase some 48ths off the beat every step still lies within 6 ms of a
    # 1/12 or 1/16, and a 32nd pair read 40 ms apart then snapped closer than an eighth of a beat (41.7 ms)
    slots = np.flatnonzero(np.random.default_rng(0).random(8 * 200) < 0.5)
    starts = np.round((-10.0 / 3.0 + slots * 1000.0 / 24.0) / 10.0) * 10.0
    objects = pd.DataFrame({"track": "LEFT", "start": starts, "end": starts})
    report = check_objects(objects, pd.DataFrame({"time": [0.0], "bpm": [180.0]}), "Oni", one_lane=True)
    assert not report.unsnapped and not report.near_duplicates, report.summary()


def test_a_16th_pair_whose_step_lies_nearer_a_triplet_is_no_near_duplicate():
    # 150 BPM, beats at 230 ms + k * 400 ms: a pair on a beat's 5/16 and 7/16 (125 and 175 ms in, 50 ms apart, an
    # eighth of a beat) is written on the steps 130 and 180 ms in, and the first lies 3.3 ms from the beat's 1/3
    beats = 230.0 + 400.0 * np.arange(40)
    pairs = np.floor((beats[5::5, None] + [125.0, 175.0]) / 10.0 + 0.5).reshape(-1) * 10.0
    starts = np.sort(np.concatenate([beats, pairs]))
    objects = pd.DataFrame({"track": "LEFT", "start": starts, "end": starts})
    report = check_objects(objects, pd.DataFrame({"time": [0.0], "bpm": [150.0]}), "Oni", one_lane=True)
    assert not report.unsnapped and not report.near_duplicates, report.summary()

GENERATED_ONI = (
    "BPM:170\nOFFSET:0.007059\nWAVE:song.ogg\n\nCOURSE:Oni\nLEVEL:9\n#START\n" + "0,\n" * 16
    + "1000200010001000020000002000100002000000100010002000020002000100,\n"
    + "0200000020000201000020001000100001000000100020020000000000000000,\n#END\n"
)  # two measures of a course generated for armygeddon (170 BPM)


def test_a_tja_file_is_checked_on_its_own_times_not_on_its_10_ms_steps(tmp_path):
    # the second measure's pair on a beat's 13/16 and 15/16, an eighth of a beat (44.1 ms) apart, lies on the 10 ms
    # steps 24280 and 24320 ms, and the second step lies 3.5 ms from the 15/16 and 3.8 ms from the coarser 11/12: read
    # on the steps, with the phase fitted there, the pair is closer than an eighth of a beat
    (tmp_path / "song.tja").write_text(GENERATED_ONI)
    (tmp_path / "song.ogg").write_bytes(b"OggS")
    beatmap_set = open_beatmap_set(str(tmp_path / "song.tja"))
    (report,) = check_beatmap_set(beatmap_set, "song.tja", [])
    assert report.num_objects == 25 and report.passed, report.summary()
    assert len(check_playability(beatmap_set.read("Oni", for_training=False)).near_duplicates) == 1


PAUSED_SIMFILE = (
    "#TITLE:Paused;\n#MUSIC:song.ogg;\n#OFFSET:0;\n#BPMS:0=120;\n#STOPS:4=0.110;\n#NOTES:\n     dance-single:\n     :\n"
    "     Hard:\n     8:\n     0,0,0,0,0:\n" + ",\n".join(["1000\n0100\n0010\n0001"] * 3) + "\n;\n"
)
PAUSED_TJA = "BPM:120\nWAVE:song.ogg\n\nCOURSE:Oni\n#START\n1020,\n#DELAY 0.110\n1020,\n1122,\n#END\n"


@pytest.mark.parametrize(
    "name, text, notes, after", [("paused.sm", PAUSED_SIMFILE, 12, 7), ("paused.tja", PAUSED_TJA, 8, 6)]
)
def test_a_chart_is_checked_where_it_writes_its_notes_across_its_pauses(tmp_path, name, text, notes, after):
    # a stop (StepMania: after the note on its beat) or a #DELAY (TJA: before the next measure) of 110 ms at beat 4
    # moves every later note 110 ms off the beats that the tempo alone gives; the notes stand on whole and half beats
    (tmp_path / name).write_text(text)
    beatmap_set = open_beatmap_set(str(tmp_path / name))
    (report,) = check_beatmap_set(beatmap_set, name, [])
    assert report.passed and report.num_objects == notes, report.summary()
    timed = beatmap_set.timed(beatmap_set.difficulty_names[0])
    by_time = check_objects(timed.objects[["track", "start", "end"]], timed.tempo, name, tolerance_ms=2,
                            find_phase=False)  # fmt: skip
    assert len(by_time.unsnapped) == after  # the notes after the pause, on the tempo's beats alone


def test_a_note_off_every_playable_subdivision_is_unsnapped_as_written(tmp_path):
    # a 20-slot measure puts notes on fifths of a beat, which no subdivision of the check holds
    (tmp_path / "fifths.tja").write_text("BPM:120\nWAVE:song.ogg\n\nCOURSE:Oni\n#START\n" + "10000" * 4 + ",\n#END\n")
    (report,) = check_beatmap_set(open_beatmap_set(str(tmp_path / "fifths.tja")), "fifths.tja", [])
    assert report.num_objects == 4 and report.unsnapped == []  # on the beats: 0, 5, 10, 15 of 20 slots
    (tmp_path / "fifths.tja").write_text("BPM:120\nWAVE:song.ogg\n\nCOURSE:Oni\n#START\n" + "01000" * 4 + ",\n#END\n")
    (report,) = check_beatmap_set(open_beatmap_set(str(tmp_path / "fifths.tja")), "fifths.tja", [])
    assert report.unsnapped == pytest.approx([100.0, 600.0, 1100.0, 1600.0])  # a fifth of a beat after each


def test_each_timing_point_of_a_file_starts_its_beats_where_it_stands():
    # 120 BPM from 0, then 180 BPM from 10004 ms, 4 ms after a beat of the first tempo (as an osu! red line may lie):
    # the objects after it lie on its own beats, in whole ms as osu! stores them
    beats = np.array([0.0, 0.25, 0.75, 1.0, 2.0, 0.3])
    starts = np.concatenate([[9000.0, 9500.0], np.round(10004.0 + beats * 1000.0 / 3.0)])
    objects = pd.DataFrame({"track": "LEFT", "start": starts, "end": starts})
    tempo = pd.DataFrame({"time": [0.0, 10004.0], "bpm": [120.0, 180.0]})
    report = check_objects(objects, tempo, "red lines", tolerance_ms=2.0, find_phase=False)
    assert report.unsnapped == [10104.0]  # 0.3 of a beat: neither a third nor a quarter


def test_a_ranked_osu_set_passes_the_check_in_osu_taiko_and_mania():
    # Renatus: ranked maps hold no object off their timing points; the 7K mania maps are checked on their own seven
    # columns, not on the four tracks they are read onto (where a hold of one column covers its neighbour's notes)
    beatmap_set = open_beatmap_set(str(CORPUS / "ppy-osu-tests" / "archives" / "241526 Soleily - Renatus_virtual.osz"))
    names = [name for name in beatmap_set.difficulty_names if "(Deif)" not in name]  # catch aside
    reports = check_beatmap_set(beatmap_set, "Renatus", skipped := [])
    checked = [report for report in reports if "(Deif)" not in report.name]
    assert not skipped and len(checked) == len(names) == 9
    assert all(report.passed for report in checked), [report.summary() for report in checked if not report.passed]
    mania = next(name for name in names if name.endswith("[Another].osu"))
    assert beatmap_set.timed(mania).objects["track"].nunique() == 7


def test_a_note_written_within_2_ms_of_a_subdivision_is_snapped_as_the_editors_show_it():
    # 120 BPM (a beat of 500 ms): 1/480 of a beat off (1.04 ms, a MIDI tick) passes, 1/200 (2.5 ms) and 1/5 do not
    beats = np.array([0.0, 1.0 + 1 / 480, 2.0 - 1 / 200, 3.2, 4.0 + 1 / 3])
    objects = pd.DataFrame({"track": "LEFT", "start": beats * 500.0, "end": beats * 500.0, "start_beat": beats,
                            "end_beat": beats})  # fmt: skip
    tempo = pd.DataFrame({"time": [0.0], "bpm": [120.0]})
    report = check_objects(objects, tempo, "written", tolerance_ms=2.0, find_phase=False)
    assert report.unsnapped == pytest.approx([997.5, 1600.0])


def test_notes_are_spaced_where_the_writers_will_put_them():
    # 180 BPM (a beat of 333 ms): notes 20 and 70 ms into a beat snap to its 1/16 and 3/16 (20.8, 62.5 ms), 32nds, but
    # fall on the 10 ms steps 20 and 60 ms in, which the writers put on the 1/16 and the 1/6 (55.6 ms): 35 ms apart.
    # 32nds on the next beat and its 1/8 stay
    beat = 1000.0 / 3.0
    starts = [1020.0, 1070.0, 1000.0 + beat, 1000.0 + beat + beat / 8]
    rows = [("LEFT" if index % 2 else "RIGHT", start, start) for index, start in enumerate(starts)]
    beatmap = taiko_map(rows, bpm=180.0, first_beat=1000.0)
    grid = BeatGrid.of(beatmap)
    np.testing.assert_allclose(grid.written_at([1020.0, 1060.0]), [1000 + beat / 16, 1000 + beat / 6])
    playable = make_playable(beatmap, one_lane=True, two_hands=True)
    np.testing.assert_allclose(playable.hit_objects()["start"], [1020, 1330, 1380])
    assert check_playability(playable).passed


def test_a_map_of_binary_subdivisions_reads_back_on_its_16ths_not_on_the_triplets_nearby():
    # the notes of the test above, on a map whose metadata names the binary subdivisions (a generated map of a
    # straight song): the steps 20 and 60 ms into a beat are written on its 1/16 and 3/16, 32nds a player reads as such
    beat = 1000.0 / 3.0
    starts = [1020.0, 1070.0, 1000.0 + beat, 1000.0 + beat + beat / 8]
    rows = [("LEFT" if index % 2 else "RIGHT", start, start) for index, start in enumerate(starts)]
    beatmap = taiko_map(rows, bpm=180.0, first_beat=1000.0)
    beatmap.meta["subdivisions"] = list(BINARY_SUBDIVISIONS)
    grid = BeatGrid.of(beatmap)
    reversed_tuple = IntermediateBeatmap(beatmap.data, {**beatmap.meta, "subdivisions": (16, 8, 4, 2, 1)})
    assert BeatGrid.of(reversed_tuple).subdivisions == BINARY_SUBDIVISIONS  # a tuple too, in any order
    np.testing.assert_allclose(grid.written_at([1020.0, 1060.0]), [1000 + beat / 16, 1000 + 3 * beat / 16])
    playable = make_playable(beatmap, one_lane=True, two_hands=True)
    np.testing.assert_allclose(playable.hit_objects()["start"], [1020, 1060, 1330, 1380])
    assert playable.meta["subdivisions"] == list(BINARY_SUBDIVISIONS)
    osu_file = parse_osu(intermediate_to_osu(playable, mode="taiko").encode())
    written, written_tempo = timed_objects(osu_file)
    np.testing.assert_allclose(written["start"], np.round(1000 + beat * np.array([1 / 16, 3 / 16, 1, 1 + 1 / 8])))
    assert check_objects(written, written_tempo, "written", tolerance_ms=2, find_phase=False).passed


@pytest.mark.parametrize(
    "pattern, subdivisions",
    [
        ({0: 1.0, 1 / 2: 0.6}, BINARY_SUBDIVISIONS),  # eighths
        ({0: 1.0, 1 / 4: 0.4, 1 / 2: 0.6, 3 / 4: 0.4}, BINARY_SUBDIVISIONS),  # sixteenths
        ({0: 1.0, 2 / 3: 0.6}, PLAYABLE_SUBDIVISIONS),  # a shuffle
        ({0: 1.0, 1 / 3: 0.5, 2 / 3: 0.5}, PLAYABLE_SUBDIVISIONS),  # triplets
    ],
)
def test_a_song_takes_the_triplets_only_where_the_thirds_of_its_beats_sound_more_than_the_halves(
    pattern, subdivisions
):
    rng = np.random.default_rng(0)
    flux = rng.uniform(0.0, 0.05, 3000)  # 30 s of 10 ms frames, a beat every 50 (120 BPM)
    for fraction, strength in pattern.items():
        flux[np.round(50 * (np.arange(59) + fraction)).astype(int)] += strength
    analysis = SongAnalysis(np.zeros((300, 10, 32), dtype=np.float32))
    analysis.flux = flux.reshape(300, 10)
    analysis.tempo_map = pd.DataFrame({"time": [0.0], "bpm": [120.0]})
    assert analysis.subdivisions == subdivisions


@pytest.mark.parametrize("finest", [4, 2])
def test_a_generated_map_keeps_to_the_finest_subdivision_asked_for(bundled, example_song, tmp_path, finest):
    analysis = bundled.preprocess(example_song)["analysis"]
    options = {"mode": "mania", "seed": 0, "end": 20.0, "difficulty": 1.0, "progress": False}
    every = bundled(analysis, finest_subdivision=0, **options)
    assert every.meta["subdivisions"] == list(BINARY_SUBDIVISIONS)
    output = tmp_path / "song.osz"
    coarse = bundled(analysis, finest_subdivision=finest, output_path=str(output), **options)
    kept = [subdivision for subdivision in BINARY_SUBDIVISIONS if subdivision <= finest]
    assert coarse.meta["subdivisions"] == kept and coarse.meta["source"]["finest_subdivision"] == finest
    grid = BeatGrid(coarse.tempo_changes())
    _, every_distance = grid.candidate_rows(every.hit_objects()["start"], kept)
    assert (every_distance.min(axis=1) > 6).any()  # the example drums draw notes between the coarse subdivisions
    with zipfile.ZipFile(output) as archive:
        (osu_name,) = [name for name in archive.namelist() if name.endswith(".osu")]
        written, written_tempo = timed_objects(parse_osu(archive.read(osu_name)))
    for times, tempo, within_ms in (
        (coarse.hit_objects()["start"], coarse.tempo_changes(), 5.0),  # the map's 10 ms steps
        (written["start"], written_tempo, 1.0),  # the written file, to the ms
    ):
        _, distance = BeatGrid(tempo).candidate_rows(np.asarray(times, dtype=np.float64), kept)
        assert distance.min(axis=1).max() <= within_ms + 1e-6
    assert len(coarse.hit_objects()) > 50


@pytest.mark.parametrize("finest", [-1, 2.5, True, "4"])
def test_a_finest_subdivision_that_is_no_count_per_beat_is_refused(bundled, example_song, finest):
    with pytest.raises(ValueError, match="finest_subdivision"):
        bundled(example_song, mode="mania", end=2.0, finest_subdivision=finest, progress=False)


def test_a_generated_map_of_a_straight_song_is_written_on_its_16ths(bundled, example_song):
    analysis = bundled.preprocess(example_song)["analysis"]
    assert analysis.subdivisions == BINARY_SUBDIVISIONS  # the example song is played in straight time
    generated = bundled(analysis, mode="mania", seed=0, end=20.0, difficulty=1.0, finest_subdivision=0, progress=False)
    assert generated.meta["subdivisions"] == list(BINARY_SUBDIVISIONS)
    written, written_tempo = timed_objects(parse_osu(intermediate_to_osu(generated, mode="mania").encode()))
    grid = BeatGrid(written_tempo)
    for column in ("start", "end"):
        times = written[column].to_numpy(np.float64)
        _, distance = grid.candidate_rows(times, BINARY_SUBDIVISIONS)
        assert distance.min(axis=1).max() <= 1.0  # every start and end on a 1/1-1/16 of the beat, to the ms

