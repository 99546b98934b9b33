"""`beart check --audio`: maps against their songs (objects in silence, notes off their attacks), and the onset timing
it reads (`beart.processing.onset_alignment`)."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile

import beart

from beart.audio import load_audio
from beart.beatmaps import IntermediateBeatmap, write_osz
from beart.beatmaps.formats import open_beatmap_set
from beart.cli import main
from beart.evaluation.audio_check import SongCache, check_maps_with_audio
from beart.processing import SongAnalysis
from beart.processing.audio_priors import SILENCE_DB
from beart.processing.onset_alignment import (
    MAX_OFFSET_MS,
    MIN_TIMED_NOTES,
    ONSET_LEAD_MS,
    audio_onsets_ms,
    chart_timing,
)
from shared_paths import CORPUS


SAMPLING_RATE = 44100
GOIN_UNDER = CORPUS / "stepmania" / "Goin' Under"


def test_refined_onsets_lie_at_the_top_of_each_peak_of_the_flux():
    """Peaks of the flux shaped as parabolas whose tops lie between frames: librosa's onsets lie on a frame of their
    rising edge; refined, each is its peak's top."""
    tops = 20.0 + 30.0 * np.arange(10) + np.tile([-0.4, -0.2, 0.0, 0.2, 0.4], 2)
    frames = np.arange(330, dtype=np.float64)
    flux = np.clip(1.0 - 0.4 * (frames[:, None] - tops[None, :]) ** 2, 0.0, None).max(axis=1)
    flux = flux.reshape(-1, 10).astype(np.float32)
    on_frames = audio_onsets_ms(None, flux=flux)
    assert len(on_frames) == 10 and np.all(on_frames <= np.round(tops) * 10.0)
    np.testing.assert_allclose(on_frames % 10.0, 0.0, atol=1e-9)
    np.testing.assert_allclose(audio_onsets_ms(None, flux=flux, refine=True), tops * 10.0, atol=1e-3)


@pytest.mark.parametrize("lag", [-35.0, -25.0, 0.0, 8.0, 30.0])
def test_chart_timing_tells_how_far_the_notes_sit_off_the_onsets(lag):
    random = np.random.default_rng(int(lag) + 50)
    onsets = np.cumsum(random.uniform(150.0, 400.0, 300))
    notes = np.sort(random.choice(onsets, 150, replace=False)) + lag + random.uniform(-2.0, 2.0, 150)
    timing = chart_timing(np.repeat(notes, 2), onsets)  # a chord's notes count once
    assert timing.follows and timing.num_notes == 150
    assert timing.offset_ms == pytest.approx(lag - ONSET_LEAD_MS, abs=1.5)
    assert timing.matched_share > 0.95 and timing.chance_share < 0.5


def test_chart_timing_does_not_time_notes_that_do_not_follow_the_onsets():
    random = np.random.default_rng(1)
    onsets = np.cumsum(random.uniform(150.0, 400.0, 300))
    anywhere = random.uniform(0.0, onsets[-1], 150)
    timing = chart_timing(anywhere, onsets)
    assert not timing.follows and timing.offset_ms is None and timing.matched_share < 2 * timing.chance_share + 1e-9
    few = chart_timing(onsets[: MIN_TIMED_NOTES - 1], onsets)
    assert not few.follows and few.matched_share == 1.0
    assert chart_timing(np.zeros(0), onsets).offset_ms is None and chart_timing(onsets, np.zeros(0)).offset_ms is None


def reports_by_chart(output: str) -> dict:
    """`beart check --audio`'s audio line of each chart, by the chart's name in its report line."""
    lines = output.splitlines()
    return {
        line.split(" [", 1)[1].split("]:", 1)[0]: next(after for after in lines[index + 1 :] if "against " in after)
        for index, line in enumerate(lines)
        if " objects, " in line and "]:" in line
    }


def test_human_charts_on_their_song_pass(capsys):
    """Goin' Under's nine charts, timed by a StepMania author, sit within 10 ms of its attacks (the lead taken off
    was measured on other charts as well)."""
    assert main(["check", "--audio", str(GOIN_UNDER / "Goin' Under.ssc")]) == 0
    audio_lines = reports_by_chart(capsys.readouterr().out)
    assert len(audio_lines) == 9
    for line in audio_lines.values():
        assert "0 objects in silence" in line and "off:" not in line
        assert "(0 ms)" in line or int(line.split(" ms ")[0].split()[-1]) < 10


def test_a_chart_off_its_song_and_objects_in_its_silence_fail(tmp_path, capsys):
    """The same song with 4 s made digitally silent and the charts moved 30 ms earlier (`#OFFSET` 0.030: beat 0 at
    -30 ms): every chart reads about 30 ms early, and the objects in the silence are listed, as many as start
    there; `--silence-db 0` leaves the silence unchecked."""
    waveform = load_audio(GOIN_UNDER / "Goin' Under.ogg", target_sampling_rate=SAMPLING_RATE)
    silent_ms = (60000.0, 64000.0)
    waveform[int(silent_ms[0] * SAMPLING_RATE / 1000) : int(silent_ms[1] * SAMPLING_RATE / 1000)] = 0.0
    soundfile.write(tmp_path / "song.wav", waveform, SAMPLING_RATE)
    text = (GOIN_UNDER / "Goin' Under.ssc").read_text(encoding="utf-8")
    assert "#OFFSET:0.000000;" in text and "#MUSIC:Goin' Under.ogg;" in text
    text = text.replace("#OFFSET:0.000000;", "#OFFSET:0.030000;").replace("#MUSIC:Goin' Under.ogg;", "#MUSIC:song.wav;")
    chart = tmp_path / "moved.ssc"
    chart.write_text(text, encoding="utf-8")
    chart_set = open_beatmap_set(str(chart))
    assert main(["check", "--audio", str(chart)]) == 1
    audio_lines = reports_by_chart(capsys.readouterr().out)
    assert len(audio_lines) == 9
    for name, line in audio_lines.items():
        assert "ms early" in line and "off: 20 ms or more early, late or apart)" in line
        assert int(line.split(" ms early")[0].split()[-1]) == pytest.approx(30, abs=8)
        # the gate reads silence more than 20 ms after the last sound and 50 ms before the next
        starts = chart_set.timed(name).objects["start"].to_numpy()
        inside = np.sum((starts >= silent_ms[0] + 30) & (starts < silent_ms[1] - 60))
        near = np.sum((starts >= silent_ms[0]) & (starts < silent_ms[1]))
        listed = int(line.split(" objects in silence")[0].split()[-1])
        assert inside >= 2 and inside <= listed <= near
    assert main(["check", "--audio", "--silence-db", "0", str(chart)]) == 1
    assert all("0 objects in silence" in line for line in reports_by_chart(capsys.readouterr().out).values())


def test_an_intermediate_map_is_checked_against_the_song_beside_it(tmp_path, capsys, fixture_song):
    """The fixture's click loop and its map on the clicks: sharp clicks in silence peak the flux earlier than real
    music's attacks do, yet the map reads within the 20 ms; a map that names a song outside its folder is read and
    checked without it, and said so."""
    fixture_song(tmp_path / "song")
    assert main(["check", "--audio", str(tmp_path / "song" / "left.ibf")]) == 0
    out = capsys.readouterr().out
    assert "against click_120bpm.wav: 0 objects in silence, its notes sit" in out
    # the same map written as an osu!mania set: read on the file's own times, against the song in the archive
    clicks = IntermediateBeatmap.load(tmp_path / "song" / "left.ibf")
    write_osz(clicks, tmp_path / "left.osz", tmp_path / "song" / "click_120bpm.wav", mode="mania")
    assert main(["check", "--audio", "--no-progress", str(tmp_path / "left.osz")]) == 0
    archive_lines = list(reports_by_chart(capsys.readouterr().out).values())
    assert len(archive_lines) == 1 and "0 objects in silence, its notes sit" in archive_lines[0]
    offsets = [float(line.split("its notes sit ")[1].split(" ms late")[0]) for line in (out, archive_lines[0])]
    assert offsets[0] < 20.0 and offsets[1] == pytest.approx(offsets[0], abs=2.0)  # 10 ms steps against exact times
    beatmap = IntermediateBeatmap.load(tmp_path / "song" / "left.ibf")
    (tmp_path / "outside").mkdir()
    IntermediateBeatmap(beatmap.data, {**beatmap.meta, "audio": "../song/click_120bpm.wav"}).save(
        tmp_path / "outside" / "left.ibf"
    )
    assert main(["check", "--audio", str(tmp_path / "outside" / "left.ibf")]) == 0
    captured = capsys.readouterr()
    assert "against " not in captured.out and "not checked against its audio" in captured.err


def test_check_calls_silence_what_the_bundled_model_gates():
    config = json.loads((Path(beart.__file__).parent / "default_model" / "generation_config.json").read_text())
    assert config["silence_db"] == SILENCE_DB


def test_a_song_that_does_not_decode_is_tried_once_for_all_its_maps(tmp_path, capsys):
    """A simfile of nine charts whose song is not audio: each chart is read and checked on its own, and said to be
    unchecked against its song, which is decoded (and fails) once."""
    (tmp_path / "song.ogg").write_bytes(b"OggS" + bytes(200))
    text = (GOIN_UNDER / "Goin' Under.ssc").read_text(encoding="utf-8")
    text = text.replace("#MUSIC:Goin' Under.ogg;", "#MUSIC:song.ogg;")
    (tmp_path / "broken.ssc").write_text(text, encoding="utf-8")
    songs = SongCache()
    calls = []
    original = SongAnalysis.from_audio
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SongAnalysis, "from_audio", lambda *args, **kwargs: calls.append(1) or original(*args, **kwargs))
        skipped = []
        checked = check_maps_with_audio(str(tmp_path / "broken.ssc"), skipped, songs=songs)
    assert len(checked) == 9 and all(heard is None for _, heard in checked)
    assert len(calls) == 1 and len(skipped) == 9
    assert all("not checked against its audio" in reason for _, reason in skipped)
    assert main(["check", "--audio", "--no-progress", str(tmp_path / "broken.ssc")]) == 0  # the charts still pass
    assert capsys.readouterr().err.count("not checked against its audio") == 9


def test_a_chart_whose_tempo_drifts_is_off_though_its_middle_is_on_time():
    """Notes 20 ms early at the start, on time in the middle, 20 ms late at the end (a tempo 0.04% slow over 100 s):
    the whole reads near 0, its thirds about 13 ms apart either side, 27 ms apart together: off. The same notes 8 ms
    late throughout are not."""
    random = np.random.default_rng(3)
    onsets = np.cumsum(random.uniform(150.0, 400.0, 400))
    picked = np.sort(random.choice(onsets, 240, replace=False))
    drifting = picked + np.interp(picked, [picked[0], picked[-1]], [-20.0, 20.0]) + ONSET_LEAD_MS
    timing = chart_timing(drifting, onsets)
    assert abs(timing.offset_ms) < 5.0 and len(timing.part_offsets_ms) == 3
    first, middle, last = timing.part_offsets_ms
    assert first < -8.0 and abs(middle) < 5.0 and last > 8.0 and timing.drift_ms > MAX_OFFSET_MS and timing.off
    steady = chart_timing(picked + 8.0 + ONSET_LEAD_MS, onsets)
    assert steady.drift_ms < 2.0 and not steady.off and steady.offset_ms == pytest.approx(8.0, abs=1.0)
    assert chart_timing(picked, onsets, parts=1).part_offsets_ms == ()


def test_a_human_chart_written_at_a_tempo_slightly_off_drifts_off_its_song(tmp_path, capsys):
    """Goin' Under's charts with their 210 BPM written 209.95: each beat 0.07 ms late, the notes drift to about 25 ms
    late by the end of the song while the whole reads under 20 ms: every chart fails on its last third."""
    text = (GOIN_UNDER / "Goin' Under.ssc").read_text(encoding="utf-8")
    assert text.count("#BPMS:0.000=210.000;") == 1 and "#BPMS:" not in text.replace("#BPMS:0.000=210.000;", "")
    shutil.copy(GOIN_UNDER / "Goin' Under.ogg", tmp_path / "Goin' Under.ogg")
    (tmp_path / "slow.ssc").write_text(text.replace("#BPMS:0.000=210.000;", "#BPMS:0.000=209.950;"), encoding="utf-8")
    assert main(["check", "--audio", "--no-progress", str(tmp_path / "slow.ssc")]) == 1
    audio_lines = reports_by_chart(capsys.readouterr().out)
    assert len(audio_lines) == 9
    for line in audio_lines.values():
        whole = float(line.split(" ms late on")[0].split()[-1])
        first, middle, last = (float(third) for third in line.split("by thirds: ")[1].split(" ms;")[0].split(", "))
        assert whole < 20.0 and first < middle < last and last >= 20.0 and last - first > 10.0
        apart = float(line.split("they lie ")[1].split(" ms apart; off: 20 ms or more early, late or apart)")[0])
        assert apart == pytest.approx(last - first, abs=1.0)
