"""The audio priors of the `fast` strategy: onset slots of the vocabulary, spectral flux, onset and beat evidence, bias,
decoding."""

import re

import numpy as np
import pandas as pd
import pytest
import torch
from transformers import pipeline

import beart  # noqa: F401  (registers the pipeline)
from beart import BeartConfig, BeartFeatureExtractor, BeartModel, BeartProcessor, BeartTokenizer
from beart.beatmaps import IntermediateBeatmap
from beart.processing.audio_priors import (
    MIN_TYPICAL_FLUX,
    audio_prior_bias,
    beat_evidence,
    beat_grid,
    comb_fit,
    onset_evidence,
    settle_metre,
    spectral_flux,
    subdivisions,
)
from beart.decoding_options import DecodingOptions
from beart.processing.song_analysis import SongAnalysis
from beart.training.synthesis import render_beatmap_audio


SAMPLING_RATE = 44100


def test_onset_slots_are_the_hits_and_hold_starts_the_token_names_give():
    tokenizer = BeartTokenizer()
    for token_id in range(tokenizer.vocab_size):
        name = tokenizer.convert_ids_to_tokens(token_id)
        expected = sorted(int(slot) for slot in re.findall(r"(?:hit|hold_start):(\d)", name))
        assert np.flatnonzero(tokenizer.onset_slots[token_id]).tolist() == expected, name
        assert tokenizer.object_start_mask[token_id] == bool(expected), name


def test_spectral_flux_sums_the_rises_of_the_bands():
    frames = np.zeros((20, 4))
    frames[5:, :2] = 0.5  # two bands rise by 0.5 at frame 5
    frames[12:, 3] = 0.25  # one band rises by 0.25 at frame 12
    frames[15:, 0] = 0.0  # a fall counts for nothing
    flux = spectral_flux(frames.reshape(2, 10, 4))
    expected = np.zeros(20)
    expected[5], expected[12] = 1.0, 0.25
    np.testing.assert_allclose(flux.reshape(-1), expected)


def test_spectral_flux_leaves_out_the_rises_of_a_band_masked_by_one_beneath():
    # Band 0 loud and steady; band 1 wobbles 52-56 dB below it (a deep tone's leakage): masked, no attack. Band 5,
    # whose three bands beneath are quiet, wobbles as much and counts; so does band 1 rising out of the masking.
    frames = np.zeros((30, 6))
    frames[:, 0] = 1.0
    frames[:, 1] = np.where(np.arange(30) % 2, 0.35, 0.3)
    frames[:20, 5] = np.where(np.arange(20) % 2, 0.35, 0.3)
    frames[20:, 5] = 0.3
    frames[25:, 1] = 0.9  # 8 dB below band 0: heard
    flux = spectral_flux(frames.reshape(3, 10, 6)).reshape(-1)
    expected = np.zeros(30)
    expected[1:20:2] = 0.05  # band 5 alone
    expected[25] = 0.9 - 0.3  # band 1 from its last masked level
    np.testing.assert_allclose(flux, expected, atol=1e-9)


def test_a_deep_tone_s_leakage_reads_as_no_attack():
    # 5 s of a 40 Hz sine: in the 46 ms window its peak meets its mirror image below 0 Hz, and the leakage in the
    # bands above it rises and falls 50-75 dB below it every 50 ms, a flux of 0.09 that read as the song's typical
    # attack (the beat tracker followed it; 20 s got 70-108 objects in mania). Masked, it stays below the least typical
    # attack.
    times = np.arange(5 * SAMPLING_RATE) / SAMPLING_RATE
    sine = (0.5 * np.sin(2 * np.pi * 40.0 * times)).astype(np.float32)
    flux = spectral_flux(BeartFeatureExtractor().mel_slices(sine, sampling_rate=SAMPLING_RATE)).reshape(-1)
    assert flux[20:480].max() < MIN_TYPICAL_FLUX / 2


def test_onset_evidence_sets_each_frame_against_the_median_step():
    # Five steps whose strongest rises are 1, 2, 3, 4 and 12 (the median step's: 3), one band rising each time.
    frames = np.zeros((50, 2))
    level = 0.0
    for frame, rise in zip((4, 13, 25, 31, 47), (1.0, 2.0, 3.0, 4.0, 12.0)):
        level += rise
        frames[frame:, 1] = level
    frames[28:, 0] = 0.5  # a smaller rise inside the third step, in the band beneath (a band above would be masked)
    evidence = onset_evidence(frames.reshape(5, 10, 2))
    expected = np.zeros(50)
    for frame, rise in zip((4, 13, 25, 28, 31, 47), (1.0, 2.0, 3.0, 0.5, 4.0, 12.0)):
        expected[frame] = rise / (rise + 3.0)
    assert evidence.dtype == np.float32
    np.testing.assert_allclose(evidence.reshape(-1), expected, rtol=1e-6)
    # The features are decibels, so a gain shifts them and leaves the evidence alone; silence holds no attack.
    np.testing.assert_allclose(onset_evidence(frames.reshape(5, 10, 2) - 0.3), evidence, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(onset_evidence(np.zeros((3, 10, 2))), np.zeros((3, 10)), atol=1e-7)


def test_steady_sound_holds_no_attack_against_its_own_wobble():
    # A drone: every band steady but for rounding noise, whose median rise (about 1e-7) would make the noise itself
    # read as strong attacks; against the least typical attack (MIN_TYPICAL_FLUX) it reads as none.
    frames = 0.7 + 1e-7 * np.random.default_rng(0).standard_normal((200, 32))
    frames[100:, 3] += 0.1  # one band rises 8 dB once: an attack, though the song's median step holds none
    evidence = onset_evidence(frames.reshape(20, 10, 32)).reshape(-1)
    assert evidence[np.arange(200) != 100].max() < 1e-4
    assert evidence[100] == pytest.approx(0.1 / (0.1 + MIN_TYPICAL_FLUX), rel=1e-4)


def test_a_song_without_attacks_gets_no_pattern_of_the_model_s():
    # 20 s of a steady buzz (a 100 Hz pulse train): nothing to map but its start. The bundled model alone maps it all
    # through; its defaults, the onset prior reading steady sound as no attack, keep to the start. (Its harmonics, all
    # as loud, make its spectrum flat: the silence gate, off here, takes it for hiss and maps none of it.)
    buzz = np.zeros(20 * SAMPLING_RATE, np.float32)
    buzz[:: SAMPLING_RATE // 100] = 0.5
    generator = pipeline("beatmap-generation")
    settings = {"sampling_rate": SAMPLING_RATE, "mode": "mania", "difficulty": 0.7, "seed": 1, "progress": False}
    alone = generator(buzz, onset_prior=0.0, beat_prior=0.0, silence_db=0.0, **settings)
    assert len(alone.hit_objects()) > 100
    assert len(generator(buzz, silence_db=0.0, **settings).hit_objects()) <= 3


def test_audio_prior_bias_weighs_each_token_by_the_evidence_at_its_onsets():
    tokenizer = BeartTokenizer()
    evidence = torch.zeros(1, 2, 10)
    evidence[0, 0, 3], evidence[0, 0, 8] = 1.0, 0.5
    bias = audio_prior_bias(evidence, torch.from_numpy(tokenizer.onset_slots), 2.0)
    assert bias.shape == (1, 2, tokenizer.vocab_size)
    token = tokenizer.convert_tokens_to_ids
    assert bias[0, 0, token("[hit:3]")] == pytest.approx(2.0)
    assert bias[0, 0, token("[hit:4]")] == pytest.approx(-2.0)
    assert bias[0, 0, token("[hit:3|hit:8]")] == pytest.approx(1.0)  # the mean of 1 and 0.5: 0.75
    assert bias[0, 0, token("[hold_end:2|hit:8]")] == pytest.approx(0.0)
    assert bias[0, 0, token("[hit:3|hold_start:8]")] == pytest.approx(1.0)
    # Tokens that start nothing are left alone.
    for name in ("[none]", "[hold]", "[hold_end:3]", "[MASK]"):
        assert bias[0, :, token(name)].tolist() == [0.0, 0.0]


@pytest.fixture(scope="module")
def untrained_generator():
    torch.manual_seed(0)
    model = BeartModel(BeartConfig(num_hidden_layers=2)).eval()
    return pipeline("beatmap-generation", model=model, processor=BeartProcessor.from_model_config(model.config))


def _drum_song(starts_ms, end_ms=6000.0):
    objects = pd.DataFrame({"track": "LEFT", "start": starts_ms, "end": starts_ms})
    meta = {"audio": "audio.wav", "difficulty": 0.5, "tracks": ["LEFT"]}
    beatmap = IntermediateBeatmap.from_hit_objects(objects, meta, end_ms=end_ms)
    return render_beatmap_audio(beatmap, sampling_rate=SAMPLING_RATE, seed=0)


def test_an_onset_prior_of_zero_is_the_model_alone(untrained_generator):
    song = _drum_song(np.array([730.0, 2050.0, 3330.0]))
    settings = {"sampling_rate": SAMPLING_RATE, "hit_threshold": 0.5, "seed": 0, "progress": False}
    alone = untrained_generator(song, **settings)
    pd.testing.assert_frame_equal(untrained_generator(song, onset_prior=0.0, **settings).data, alone.data)
    guided = untrained_generator(song, onset_prior=3.0, **settings)
    assert guided.meta["source"]["onset_prior"] == 3.0
    assert not guided.data.equals(alone.data)


@pytest.fixture(scope="module")
def neutral_generator():
    """A model without an opinion: every beat token equally likely but the ten plain hits (logit +1 through
    `logit_bias`, which breaks the ties between tokens with the same onset slots), so that the object-starting tokens
    hold 0.87, and a threshold of 0.99 is passed only where a prior adds about ln(12 * 99 / 82) = 2.7 to them.
    Returns the pipeline and the settings that make it so."""
    torch.manual_seed(0)
    model = BeartModel(BeartConfig(num_hidden_layers=2)).eval()
    torch.nn.init.zeros_(model.token_head.weight)
    processor = BeartProcessor.from_model_config(model.config)
    generator = pipeline("beatmap-generation", model=model, processor=processor)
    plain_hits = {processor.tokenizer.convert_tokens_to_ids(f"[hit:{slot}]"): 1.0 for slot in range(10)}
    settings = {"sampling_rate": SAMPLING_RATE, "hit_threshold": 0.99, "logit_bias": plain_hits, "seed": 0}
    return generator, settings


def test_a_strong_onset_prior_puts_one_object_on_every_drum(neutral_generator):
    # The prior passes the threshold at a drum (evidence above 0.9, +8) and not in the steps of noise alone (evidence
    # about 0.6 at most, +2).
    generator, settings = neutral_generator
    drums = np.array([730.0, 1450.0, 2040.0, 2960.0, 3320.0, 4450.0, 5130.0])
    beatmap = generator(_drum_song(drums), onset_prior=10.0, progress=False, **settings)
    starts = np.sort(beatmap.hit_objects()["start"].to_numpy())
    # The noise bed sets in at 0 s out of silence, an attack too; past it, one object per drum, each within 20 ms (the
    # flux peaks as the drum enters the 46 ms FFT window).
    assert starts[0] < 50.0
    starts = starts[1:]
    assert len(starts) == len(drums)
    assert np.abs(starts - drums).max() <= 20.0


def test_songs_generated_together_each_hear_their_own_attacks(untrained_generator):
    # Songs of different lengths share every forward pass; each must read its own evidence, neutral past its end.
    songs = [_drum_song(np.array([730.0, 2050.0])), _drum_song(np.array([410.0, 1530.0, 2980.0]))[: 3 * SAMPLING_RATE]]
    settings = {"sampling_rate": SAMPLING_RATE, "hit_threshold": 0.5, "onset_prior": 4.0, "seed": 0, "progress": False}
    together = untrained_generator(songs, **settings)
    for song, beatmap in zip(songs, together):
        pd.testing.assert_frame_equal(beatmap.data, untrained_generator(song, **settings).data)


def test_onset_prior_must_be_a_weight_and_is_a_fast_option(untrained_generator, caplog):
    song = _drum_song(np.array([500.0]))
    with pytest.raises(ValueError, match="onset_prior must be a weight from 0 to 1000, got -1"):
        untrained_generator(song, sampling_rate=SAMPLING_RATE, onset_prior=-1.0, progress=False)
    with caplog.at_level("WARNING"):
        untrained_generator(
            song, sampling_rate=SAMPLING_RATE, strategy="legacy", onset_prior=1.0, end=1.0, seed=0, progress=False
        )
    assert "The legacy strategy ignores ['onset_prior']: they are fast options." in caplog.text


def _marked_frames(evidence: np.ndarray, strength: float) -> np.ndarray:
    """The times (ms) of the frames marked `strength`."""
    return 10.0 * np.flatnonzero(evidence.reshape(-1) == strength)


def test_beat_evidence_marks_the_beats_of_a_steady_drum_loop_and_the_points_between():
    drums = np.arange(500.0, 9500.0, 500.0)  # 120 BPM
    slices = BeartFeatureExtractor().mel_slices(_drum_song(drums, end_ms=10000.0), sampling_rate=SAMPLING_RATE)
    evidence = beat_evidence(slices)
    assert evidence.shape == slices.shape[:2] and evidence.dtype == np.float32
    assert set(np.unique(evidence).tolist()) == {0.0, 0.5, 1.0}
    beats, halfway = _marked_frames(evidence, 1.0), _marked_frames(evidence, 0.5)
    # Every beat the tracker keeps is on a drum (the flux peaks up to 20 ms into it), nearly all drums are beats, and
    # the half marks sit between two drums.
    assert np.abs(beats[:, None] - drums[None, :]).min(axis=1).max() <= 20.0
    assert len(beats) >= len(drums) - 3
    assert np.abs(halfway[:, None] - (drums[None, :] + 250.0)).min(axis=1).max() <= 20.0
    assert np.all(np.diff(beats) >= 400.0), "one frame per beat"
    # Audio without a single rise has no beat to follow: no opinion.
    np.testing.assert_array_equal(beat_evidence(np.zeros((30, 10, 4))), np.full((30, 10), 0.5, dtype=np.float32))


def test_every_point_between_beats_is_the_nearest_frame_a_tie_taking_the_later():
    beats = np.array([0, 3, 7, 10])
    np.testing.assert_array_equal(subdivisions(beats, (0.5,)), [2, 5, 9])  # 1.5 -> 2, 5.0, 8.5 -> 9
    np.testing.assert_array_equal(subdivisions(beats, (0.0, 1.0 / 3.0, 2.0 / 3.0)), [0, 1, 2, 3, 4, 6, 7, 8, 9])
    # The beat prior's half marks and the metre's doubling take the same frames.
    marks = beat_evidence(np.zeros((2, 10, 4)), beats=beats).reshape(-1)
    np.testing.assert_array_equal(np.flatnonzero(marks == 0.5), [2, 5, 9])
    flux = np.zeros(12)
    flux[[0, 2, 3, 5, 7, 9, 10]] = 1.0
    np.testing.assert_array_equal(settle_metre(flux, beats, 0.8, thirds_switch=False), [0, 2, 3, 5, 7, 9, 10])


def test_beat_prior_weight_fades_out_by_the_hard_band():
    weights = [DecodingOptions(beat_prior=8.0, difficulty=d).beat_prior_weight() for d in (0.0, 0.25, 0.5, 0.9)]
    assert weights == [8.0, 4.0, 0.0, 0.0]
    assert DecodingOptions(difficulty=0.0).beat_prior_weight() == 0.0


def test_a_strong_beat_prior_puts_easy_objects_on_the_beats_only(neutral_generator):
    # The beat prior alone, at difficulty 0, adds +10 on the beats and -10 elsewhere (halfway too), so only the beats
    # pass the threshold of 0.99, though every eighth note has a drum.
    generator, settings = neutral_generator[0], dict(neutral_generator[1])
    song = _drum_song(np.arange(500.0, 9500.0, 250.0), end_ms=10000.0)
    easy = generator(song, difficulty=0.0, beat_prior=10.0, progress=False, **settings)
    mel_slices = generator.processor.feature_extractor.mel_slices(song, SAMPLING_RATE)
    beats = _marked_frames(beat_evidence(mel_slices), 1.0)
    starts = np.sort(easy.hit_objects()["start"].to_numpy())
    assert len(starts) == len(beats)
    assert np.abs(starts - beats).max() <= 10.0
    assert easy.meta["source"]["beat_prior"] == 10.0
    # From the hard band on the prior weighs nothing: the map is the model's alone (an object on every step).
    settings["hit_threshold"] = 0.5
    hard = generator(song, difficulty=0.5, beat_prior=10.0, progress=False, **settings)
    pd.testing.assert_frame_equal(hard.data, generator(song, difficulty=0.5, progress=False, **settings).data)
    assert len(hard.hit_objects()) > 2 * len(starts)
    with pytest.raises(ValueError, match="beat_prior must be a weight from 0 to 1000, got -2"):
        generator(song, beat_prior=-2.0, progress=False, **settings)


def test_the_easiest_maps_read_the_beats_without_the_half_beats(neutral_generator, monkeypatch):
    beats = np.array([10, 60, 110, 160])
    with_halves = beat_evidence(np.zeros((20, 10, 4)), beats=beats).reshape(-1)
    whole = beat_evidence(np.zeros((20, 10, 4)), beats=beats, halves=False).reshape(-1)
    np.testing.assert_array_equal(np.flatnonzero(with_halves == 0.5), [35, 85, 135])
    np.testing.assert_array_equal(np.flatnonzero(whole), beats)
    np.testing.assert_array_equal(whole[beats], 1.0)
    # Decoding reads the whole beats below difficulty 0.25 and the beats with their halves from there on.
    read = []
    for name in ("beat_evidence", "whole_beat_evidence"):
        signal = getattr(SongAnalysis, name)
        monkeypatch.setattr(
            SongAnalysis, name, property(lambda self, name=name, signal=signal: read.append(name) or signal.func(self))
        )
    generator, settings = neutral_generator
    song = _drum_song(np.arange(500.0, 2500.0, 250.0), end_ms=3000.0)
    for difficulty, signal in ((0.0, "whole_beat_evidence"), (0.2, "whole_beat_evidence"), (0.3, "beat_evidence")):
        read.clear()
        generator(song, difficulty=difficulty, beat_prior=10.0, progress=False, **settings)
        assert set(read) == {signal}, difficulty


def test_track_beats_keeps_the_strongest_run_and_doubles_where_halfway_points_are_as_strong():
    from beart.processing.audio_priors import beat_strength, track_beats

    flux = np.zeros(3000)
    flux[50::50] = 1.0  # a pulse every 500 ms: 120 BPM
    beats = track_beats(flux, (120.0,), None)
    assert np.median(np.diff(beats)) == pytest.approx(50, abs=1)
    assert beat_strength(flux, beats) > beat_strength(flux, beats + 25)  # on the pulses, not between them
    flux[75::50] = 1.0  # as strong halfway: the song runs at 240 BPM
    assert np.median(np.diff(track_beats(flux, (120.0,), 0.8))) == pytest.approx(25, abs=1)
    flux[75::50] = 0.2  # weak halfway points (off-beat hats): no doubling
    assert np.median(np.diff(track_beats(flux, (120.0,), 0.8))) == pytest.approx(50, abs=1)


def test_the_tempogram_computed_in_blocks_gives_librosas_tempo_and_beats(monkeypatch):
    # librosa's beat tracker estimates the tempo from a tempogram of the whole song (4.6 GB for half an hour); beart
    # averages it a block of frames at a time and hands the tracker the tempo: the same tempo and beats as librosa's.
    import librosa

    import beart.processing.audio_priors as audio_priors

    flux = np.random.default_rng(0).random(2500) * 0.2
    flux[37::46] += 1.0  # about 130 BPM, with noise between
    flux[60::46] += 0.5
    whole = librosa.feature.tempogram(onset_envelope=flux, sr=100, hop_length=1, win_length=800).mean(axis=1)
    monkeypatch.setattr(audio_priors, "TEMPOGRAM_BLOCK_FRAMES", 333)
    np.testing.assert_allclose(audio_priors.mean_tempogram(flux)[:, 0], whole, rtol=1e-9, atol=1e-12)
    for start_bpm in (70.0, 140.0, 200.0):
        _, beats = librosa.beat.beat_track(onset_envelope=flux, sr=100, hop_length=1, start_bpm=start_bpm)
        np.testing.assert_array_equal(audio_priors.track_beats(flux, (start_bpm,), None), beats)


def test_a_long_song_is_analysed_in_bounded_memory(run_bounded, long_click_track):
    # 20 minutes of clicks: the whole STFT (1.5 GB) and tempogram (3 GB) no longer fit; 210 MB of samples must
    result = run_bounded(
        long_click_track(
            """
            from beart import BeartFeatureExtractor
            from beart.processing.song_analysis import SongAnalysis

            analysis = SongAnalysis.from_audio(waveform, BeartFeatureExtractor(), sampling_rate=rate)
            print(round(60 / np.median(np.diff(analysis.beats)) * 100), analysis.tempo_map is not None)
            """
        ),
        memory_gib=0.75, seconds=240,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["120", "True"]


def _pulse_flux(num_frames: int, beat_frames: int, first: int = 20) -> np.ndarray:
    """Flux with strong attacks every `beat_frames` and weaker ones halfway (running eighths)."""
    flux = np.zeros(num_frames)
    flux[first::beat_frames] = 1.0
    flux[first + beat_frames // 2 :: beat_frames] = 0.6
    return flux


def test_a_beat_tracked_at_two_thirds_of_the_tempo_is_put_on_the_songs_pulse():
    # 210 BPM (beats every 28.57 frames; here 28) with eighths, tracked at 140 (every 42 frames, three eighths)
    flux = _pulse_flux(3000, 28)
    tracked = np.arange(20, 2900, 42)
    settled = settle_metre(flux, tracked, None, thirds_switch=True)
    assert np.median(np.diff(settled)) == 28
    assert np.all(flux[settled] == 1.0)  # the phase of the strong beats, not of the eighths
    np.testing.assert_array_equal(settle_metre(flux, tracked, None, thirds_switch=False), tracked)


def test_a_beat_tracked_at_the_songs_tempo_or_half_stays():
    flux = _pulse_flux(3000, 28)
    on_tempo = np.arange(20, 2900, 28)
    np.testing.assert_array_equal(settle_metre(flux, on_tempo, None, thirds_switch=True), on_tempo)
    # tracked at half the tempo, the halves are strong: no switch; doubling (when asked) restores the tempo
    half_tempo = np.arange(20, 2900, 56)
    np.testing.assert_array_equal(settle_metre(flux, half_tempo, None, thirds_switch=True), half_tempo)
    assert np.median(np.diff(settle_metre(flux, half_tempo, 0.8, thirds_switch=True))) == 28


def test_the_beat_grid_reads_the_tempo_off_the_whole_song_though_the_tracker_skips_beats():
    # 133.7 BPM (a beat every 44.88 frames of 10 ms) for 3 minutes, phase 250 ms, with eighths and noise
    rng = np.random.default_rng(0)
    frames, period = 18000, 6000.0 / 133.7
    flux = rng.random(frames) * 0.2
    beat_positions = 25.0 + period * np.arange(int((frames - 30) / period))
    for position, strength in ((beat_positions, 1.0), (beat_positions + period / 2, 0.5)):
        below = np.floor(position).astype(int)
        flux[below] += strength * (1.0 - (position - below))
        flux[below + 1] += strength * (position - below)
    bpm, phase_ms = comb_fit(flux, 133.7 * (1.0 + np.linspace(-0.015, 0.015, 301)))
    assert bpm == pytest.approx(133.7, abs=0.03) and phase_ms == pytest.approx(250.0, abs=5.0)

    # Tracked beats that skip two beats: the line through them counts every later beat one or two short
    tracked = np.delete(np.round(beat_positions).astype(np.int64), [130, 260])
    slices = flux.reshape(-1, 10, 1)
    fitted_bpm, first_beat_ms = beat_grid(slices, beats=tracked, flux=flux.reshape(-1, 10))
    line_bpm = 60000.0 / np.polyfit(np.arange(len(tracked)), 10.0 * tracked, 1)[0]
    assert abs(line_bpm - 133.7) > 0.3
    assert fitted_bpm == pytest.approx(133.7, abs=0.03) and first_beat_ms == pytest.approx(250.0, abs=5.0)
