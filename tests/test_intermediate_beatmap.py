import io
import json
import os
import zipfile

import numpy as np
import pandas as pd
import pytest

from beart.beatmaps import BeatmapError, IntermediateBeatmap, retrack


META = {"audio": "song.ogg", "difficulty": 0.5, "tracks": ["LEFT", "RIGHT"]}


def grid(**columns):
    steps = len(next(iter(columns.values())))
    return {"TIME": np.arange(steps) * 10, "TEMPO": np.full(steps, 120.0), **columns}


def objects(*rows):
    return pd.DataFrame(rows, columns=["track", "start", "end"])


def test_grid_from_objects_marks_hits_and_every_held_step():
    beatmap = IntermediateBeatmap.from_hit_objects(
        objects(("LEFT", 20, 20), ("RIGHT", 34, 71), ("LEFT", 52, 54), ("RIGHT", 50, 50)),
        META,
        tempo_changes=pd.DataFrame({"time": [0, 40], "bpm": [100.0, 150.0]}),
    )
    assert beatmap.data["LEFT"].tolist() == [0, 0, 1, 0, 0, 1, 0, 0]
    assert beatmap.data["RIGHT"].tolist() == [0, 0, 0, 2, 2, 2, 2, 2]
    assert beatmap.data["TEMPO"].tolist() == [100.0] * 4 + [150.0] * 4
    expected = objects(("LEFT", 20, 20), ("RIGHT", 30, 70), ("LEFT", 50, 50))
    pd.testing.assert_frame_equal(beatmap.hit_objects(), expected, check_dtype=False)


def test_hit_objects_and_grid_are_inverse():
    rng = np.random.default_rng(0)
    events = rng.choice([0, 0, 0, 1, 2], size=(400, 2)).astype(np.uint8)
    original = IntermediateBeatmap(grid(LEFT=events[:, 0], RIGHT=events[:, 1]), META)
    rebuilt = IntermediateBeatmap.from_hit_objects(original.hit_objects(), META)
    # A held run of one step is a hold of zero length, which the grid keeps as a hit.
    expected = original.events.copy()
    for track in range(2):
        held = np.pad(expected[:, track] == 2, 1)
        lonely = (held & ~np.roll(held, 1) & ~np.roll(held, -1))[1:-1]
        expected[lonely, track] = 1
    np.testing.assert_array_equal(rebuilt.events[: len(expected)], expected)


def test_save_and_load_round_trip_leaves_only_the_file(tmp_path):
    beatmap = IntermediateBeatmap.from_hit_objects(
        objects(("LEFT", 100, 100), ("RIGHT", 200, 450)),
        {**META, "title": "Ünïcödé ☆"},
        flag_spans={"EMPTY": pd.DataFrame({"start": [0], "end": [90]})},
    )
    path = beatmap.save(tmp_path / "maps" / "song.ibf")
    assert os.listdir(tmp_path / "maps") == ["song.ibf"]
    loaded = IntermediateBeatmap.load(path)
    assert loaded.meta == beatmap.meta
    pd.testing.assert_frame_equal(loaded.data, beatmap.data)


def test_loads_a_file_written_the_way_the_original_writes_it(tmp_path, fixtures_dir):
    data = pd.read_csv(fixtures_dir / "train_map_left.csv")
    data["METER"] = 4
    meta = json.loads((fixtures_dir / "train_map_left.json").read_text())
    table = io.BytesIO()
    data.to_parquet(table, engine="pyarrow")
    path = tmp_path / "original.ibf"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("meta.json", json.dumps(meta))
        archive.writestr("data.pq", table.getvalue())
    beatmap = IntermediateBeatmap.load(path)
    assert beatmap.tracks == ["LEFT"] and beatmap.audio == "click_120bpm.wav"
    assert len(beatmap.hit_objects()) == int((data["LEFT"] == 1).sum())
    assert beatmap.data["METER"].eq(4).all()


@pytest.mark.parametrize(
    "data, meta, message",
    [
        ({"TIME": [0, 10], "LEFT": [0, 1]}, {**META, "tracks": ["LEFT"]}, "TEMPO"),
        (grid(LEFT=[0, 1]), META, "RIGHT"),
        ({"TIME": [0, 10, 25], "TEMPO": [0, 0, 0], "LEFT": [0, 1, 0]}, {**META, "tracks": ["LEFT"]}, "quantised"),
        (grid(LEFT=[0, 3], RIGHT=[0, 0]), META, "allowed values"),
        (grid(LEFT=[0, 1], RIGHT=[0, 0], EMPTY=[0, 2]), META, "EMPTY"),
        (grid(LEFT=[0, 1], MIDDLE=[0, 0]), {**META, "tracks": ["LEFT", "MIDDLE"]}, "Unknown track"),
        (grid(LEFT=[0, 1], RIGHT=[0, 0]), {**META, "difficulty": 1.5}, "difficulty"),
        (grid(LEFT=[0, 1], UP=[0, 0], RIGHT=[0, 0]), {**META, "tracks": ["LEFT", "UP", "RIGHT"]}, "1, 2 or 4"),
        ({**grid(LEFT=[0, 1], RIGHT=[0, 0]), "TEMPO": [-5, 0]}, META, "TEMPO"),
    ],
)
def test_malformed_beatmaps_are_refused_with_the_reason(data, meta, message):
    with pytest.raises(BeatmapError, match=message):
        IntermediateBeatmap(data, meta)


def test_loading_something_else_names_the_file(tmp_path):
    path = tmp_path / "broken.ibf"
    path.write_bytes(b"not a zip at all")
    with pytest.raises(BeatmapError, match="broken.ibf"):
        IntermediateBeatmap.load(path)
    with pytest.raises(FileNotFoundError):
        IntermediateBeatmap.load(tmp_path / "missing.ibf")


def test_folding_four_tracks_merges_pairs_and_holds_win():
    beatmap = IntermediateBeatmap.from_hit_objects(
        objects(("LEFT", 0, 0), ("DOWN", 100, 300), ("UP", 200, 200), ("RIGHT", 400, 400), ("UP", 500, 500)),
        {**META, "tracks": ["LEFT", "DOWN", "UP", "RIGHT"]},
    )
    folded = retrack(beatmap, ["LEFT", "RIGHT"])
    expected = objects(
        ("LEFT", 0, 0), ("LEFT", 100, 300), ("RIGHT", 200, 200), ("RIGHT", 400, 400), ("RIGHT", 500, 500)
    )
    pd.testing.assert_frame_equal(folded.hit_objects(), expected, check_dtype=False)
    single = retrack(beatmap, ["LEFT"]).hit_objects()
    assert single[["start", "end"]].values.tolist() == [[0, 0], [100, 300], [400, 400], [500, 500]]


def test_spreading_one_track_deals_objects_to_the_longest_free_track():
    beatmap = IntermediateBeatmap.from_hit_objects(
        objects(("LEFT", 0, 0), ("LEFT", 100, 600), ("LEFT", 700, 700), ("LEFT", 800, 800), ("LEFT", 900, 900)),
        {**META, "tracks": ["LEFT"]},
    )
    spread = retrack(beatmap, ["LEFT", "DOWN", "UP", "RIGHT"]).hit_objects()
    assert spread["track"].tolist() == ["LEFT", "DOWN", "UP", "RIGHT", "LEFT"]
    taiko = retrack(beatmap, ["LEFT", "RIGHT"]).hit_objects()
    assert taiko["track"].tolist() == ["LEFT", "RIGHT", "LEFT", "RIGHT", "LEFT"]
    assert taiko[["start", "end"]].values.tolist() == beatmap.hit_objects()[["start", "end"]].values.tolist()
