"""The audio priors of the `fast` strategy: what the song's own audio says about where objects go, added to the
model's logits for the tokens that start objects.

A mapper places notes on audible attacks, and the loudest attacks are the likeliest to be mapped; on easy maps, a
mapper keeps the attacks on the beat. The model hears the audio too, but a small model trained on rendered drums ranks
the attacks of real music less well than their plain strength does, and does not find the beat (see the README's
`beart evaluate` section). The priors weigh these signals beside the model, as speech recognisers add a language
model's scores to an acoustic model's: every token that starts an object gets

    weight * (2 * evidence - 1)

added to its logit, `evidence` the mean of a per-frame signal in [0, 1] over the slots where the token starts objects
(`audio_prior_bias`); tokens that start nothing are left alone. Two signals, both read off the mel slices the model
hears, so no second pass over the audio is needed:

- `onset_evidence` (the `onset_prior`): a frame's spectral flux against the song's typical attack (0.5 for the
  strongest onset of a step of median strength, near 1 for one many times stronger, 0 in silence);
- `beat_evidence` (the `beat_prior`): 1 on the beats that librosa's beat tracker finds in that flux, 0.5 halfway
  between two beats, 0 elsewhere; for the easiest maps, 1 on the beats and 0 elsewhere, halfway included.

Beside the priors, a gate (the `silence_db` option): `sounding_frames` tells the frames where the song sounds from its
silence (an intro's or an outro's, a break) and from hiss (`hiss_frames`), and no object starts on the others, nor in
steady sound, a drone or a hum without attacks (`steady_frames`).

The same tracked beats give the steady beat grid (`beat_grid`) that the pipeline writes into playable files. Each
function computes what it needs from the mel slices, or takes it precomputed: a song's `SongAnalysis` computes
every piece once and shares it.
"""

import librosa
import numpy as np
import torch
from scipy.ndimage import gaussian_filter1d, uniform_filter1d


FRAMES_PER_SECOND = 100  # the 10 ms frames of the mel slices
INTEGER_BPM_TOLERANCE = 0.15
# The refinement of the beat grid's tempo (`beat_grid`, `comb_fit`): +-1.5% around the tracked beats' tempo in 301
# steps, on the flux smoothed over 1.5 frames. On the 11 train and dev songs of examples/real_music_split.py with a
# steady chart tempo it lands within 0.01 BPM of the charts' tempo (or its double or 2/3) on every one, where the
# least-squares line through the tracked beats alone was 0.36-2.72 BPM off on 7 of them
# (`python examples/check_beat_grid.py ../shared/corpus`, docs/generation.md).
COMB_SPAN = 0.015
COMB_STEPS = 301
COMB_SMOOTHING_FRAMES = 1.5
# How the beats are tracked (`track_beats`), chosen by examples/choose_beat_tracker_tempo.py on the TJA and Frets on
# Fire songs of ../shared/corpus (see docs/generation.md for the table it chose from).
BEAT_TRACKER_TEMPO_PRIORS = (140.0,)
HALF_BEAT_RATIO = None
# Whether a tracked beat whose thirds are stronger than its halves is taken as three beats of a song at 3/2 its tempo
# (`track_beats`); see docs/generation.md for the songs it was checked on.
THIRDS_SWITCH = True
# librosa's tempo estimate (`mean_tempogram`): its window (librosa's `ac_size`, 8 s) and the frames of a block.
TEMPOGRAM_SECONDS = 8.0
TEMPOGRAM_BLOCK_FRAMES = 4096
# Which of two phases half a beat apart holds the beats (`bass_vote`): kick drums sound on the beats, and where the
# off-beats carry as much flux (hi-hats, guitars), the flux alone puts the written beats on them. The level of the
# lowest mel band (to about 100 Hz) `BASS_DELAY_FRAMES` after each beat, against that after each half beat, over the
# song and in each of `BASS_PARTS` parts of it, `BASS_AGREEMENT` of which must agree; see docs/generation.md ("On the
# beats") for the songs it was chosen on.
BASS_DELAY_FRAMES = 3
BASS_PARTS = 8
BASS_AGREEMENT = 0.75
# Where the song sounds (`depth_below_loud`, `sounding_frames`): a frame sounds where a frame from
# `SOUNDING_WINDOW_FRAMES[0]` before it to `SOUNDING_WINDOW_FRAMES[1]` after it (an object may stand a little before the
# attack it marks) is within `silence_db` of the song's loud level, the `LOUD_PERCENTILE`th percentile of the levels of
# its frames above the mel floor. Every note of the 32,239 of the human charts of the 14 real songs of
# examples/real_music_split.py lies within 15 dB of it (`python examples/note_loudness.py ../shared/corpus`).
# `SILENCE_DB` leaves 35 dB more for songs more dynamic than these: the bundled model's `silence_db` and what `beart
# check --audio` calls silence.
SOUNDING_WINDOW_FRAMES = (2, 5)
LOUD_PERCENTILE = 95.0
SILENCE_DB = 50.0
MEL_FLOOR_DB = -80.0  # a mel bin's level at 0 in the slices (`BeartFeatureExtractor`: 1 + dB / 80, clipped at 0)
# The least typical attack (`onset_evidence`), in the flux's units (the scaled mel bands' rises, summed): a song
# without attacks (a drone, a hum, a test tone) has a typical attack of 0 or of rounding noise, against which the
# smallest wobble would read as a strong attack and the onset prior would map it; against the floor, steady sound
# reads as no attack. The typical attacks of the 14 real songs of examples/real_music_split.py lie at 0.26-1.49, five
# times the floor or more, so it leaves every one of them as it was (`python examples/note_loudness.py
# ../shared/corpus`).
MIN_TYPICAL_FLUX = 0.05
# Masked bands (`spectral_flux`): a band more than `MASKING_DB` below one of the `MASKING_REACH_BANDS` bands beneath it
# is not heard (a loud low sound masks what lies just above it), and its rises are no attack. There the window's
# leakage of a loud deep tone wobbles: a steady sine of 30-120 Hz (a mains hum, a sub-bass drone) rises and falls 50-75
# dB below its own band every 20-50 ms, a flux of 0.05-0.27, which the beat tracker followed and the onset prior mapped
# (20 s of a 40 Hz sine: 106 objects in mania at 0.5). Masked, its flux is 0.04 at most, below `MIN_TYPICAL_FLUX`.
# The masking takes 0.00-0.34% of the flux of the 14 real songs of examples/real_music_split.py.
MASKING_DB = 40.0
MASKING_REACH_BANDS = 3
# Hiss (`hiss_frames`): white noise rises and falls at random in every mel band, and the flux reads those rises as
# attacks at any level; but its spectrum is flat, which no music's is. A frame is hiss where the mel spectrum of the
# `HISS_WINDOW_FRAMES` around it (power averaged), in the bands centred below `HISS_HIGHEST_HZ` (an MP3's or a 22 kHz
# file's lowpass leaves the bands above it empty), has a spectral flatness (geometric over arithmetic mean) above
# `HISS_FLATNESS`. White noise reads 0.98-1.00, lowpassed at 11 kHz too; no frame that sounds of the 14 real songs of
# examples/real_music_split.py reads above 0.71, nor any of their human notes above 0.66 (`python
# examples/note_loudness.py ../shared/corpus`), so no figure measured on them changes. Noise whose spectrum falls
# (pink noise 0.3-0.45, hiss lowpassed at 6 kHz 0.4-0.6) reads as music does and is not told apart.
HISS_FLATNESS = 0.9
HISS_WINDOW_FRAMES = 25
HISS_HIGHEST_HZ = 11000.0
# A lone click is as flat, but no hiss: a frame more than this many dB above the mean level of the frames around it is
# an attack (a click in silence stands 14 dB above it; noise beside silence, 3 dB at most).
HISS_TRANSIENT_DB = 6.0
# Steady sound (`steady_frames`): a drone, a hum, a chord held without attacks. Its bands rise and fall a little from
# frame to frame (the window's leakage of a deep tone, two partials beating in one band), and the flux, which measures
# each rise against the frame before, reads those wobbles as attacks, the beat tracker follows them and the model goes
# on with its pattern (20 s of a 50 Hz hum and its harmonics: 65-109 objects at 0.5 and 0.8 in mania, taiko and osu!).
# Measured against the loudest of the `STEADY_LOOKBACK_FRAMES` frames before, a band of steady sound never rises: a
# frame is steady where no frame from `STEADY_WINDOW_FRAMES[0]` before it to `STEADY_WINDOW_FRAMES[1]` after it rises
# so, summed over the bands, by `STEADY_RISE` or more. Hums and deep sines rise by 0.009 at most, noise by 0.14-0.19;
# 1 of the 26,072 notes of the human charts of the training and development songs of examples/real_music_split.py
# stands in steady sound (`python examples/note_loudness.py ../shared/corpus`).
STEADY_LOOKBACK_FRAMES = 5
STEADY_RISE = 0.02
STEADY_WINDOW_FRAMES = (5, 5)


def spectral_flux(mel_slices: np.ndarray) -> np.ndarray:
    """
    Spectral flux of every 10 ms frame: the sum, over the mel bands, of how much each band rose since the frame
    before (the first frame: 0), as `librosa.onset.onset_strength` computes it from the frames themselves, less the
    rises of a band masked in both frames: more than `MASKING_DB` below one of the `MASKING_REACH_BANDS` bands beneath
    it (the leakage of a deep tone, which wobbles; see `MASKING_DB`).

    Args:
        mel_slices (`np.ndarray` of shape `(num_slices, groups, mel_bands)`): a song's mel slices (scaled decibels).

    Returns:
        `np.ndarray` of shape `(num_slices, groups)`.
    """
    num_slices, groups, mel_bands = mel_slices.shape
    frames = mel_slices.reshape(num_slices * groups, mel_bands).astype(np.float64)
    beneath = np.full_like(frames, -np.inf)
    for reach in range(1, min(MASKING_REACH_BANDS, mel_bands - 1) + 1):
        np.maximum(beneath[:, reach:], frames[:, :-reach], out=beneath[:, reach:])
    masked = (beneath - frames) * -MEL_FLOOR_DB > MASKING_DB  # the slices hold 1 + dB / 80
    rises = np.clip(np.diff(frames, axis=0), 0.0, None)
    rises[masked[1:] & masked[:-1]] = 0.0
    flux = np.concatenate([np.zeros(min(len(frames), 1)), rises.sum(axis=1)])
    return flux.reshape(num_slices, groups)


def onset_evidence(mel_slices: np.ndarray, flux: np.ndarray | None = None) -> np.ndarray:
    """
    The spectral flux of every frame against the song's typical attack, `flux / (flux + typical)`, in [0, 1), with
    `typical` the median over the song's steps of a step's strongest frame, and at least `MIN_TYPICAL_FLUX`: a step's
    strongest attack reads 0.5 in a step of median strength, near 1 where it is many times louder (a drum over a quiet
    bed), near 0 in silence and in steady sound.

    Args:
        mel_slices (`np.ndarray` of shape `(num_slices, groups, mel_bands)`): a song's mel slices.
        flux (`np.ndarray` of shape `(num_slices, groups)`, *optional*): their `spectral_flux`, if computed already.

    Returns:
        `np.ndarray` of shape `(num_slices, groups)`, float32.
    """
    flux = spectral_flux(mel_slices) if flux is None else flux
    typical = max(float(np.median(flux.max(axis=1))), MIN_TYPICAL_FLUX)
    return (flux / (flux + typical)).astype(np.float32)


def beat_strength(flux: np.ndarray, beats: np.ndarray) -> float:
    """How well beats explain a song's attacks: the mean of the strongest flux within 20 ms of each beat, against the
    song's mean flux."""
    if len(beats) == 0:
        return 0.0
    frames = np.clip(beats[:, None] + np.arange(-2, 3)[None, :], 0, len(flux) - 1)
    return float(flux[frames].max(axis=1).mean() / max(float(flux.mean()), 1e-12))


def subdivisions(beats: np.ndarray, fractions) -> np.ndarray:
    """The frames at `fractions` (each in [0, 1)) of the way from every beat to the next, in time order: the nearest
    frame, a point exactly between two frames taking the later one (so the halfway point of beats 3 frames apart is
    the second frame after the first beat). Every point between beats (the beat prior's half beats, the metre's
    halves and thirds) is found here.

    Args:
        beats (`np.ndarray` of shape `(num_beats,)`): frames of the beats.
        fractions (sequence of `float`): where in each beat.

    Returns:
        `np.ndarray` of int64, shape `((num_beats - 1) * len(fractions),)`.
    """
    fractions = np.asarray(fractions, dtype=np.float64)
    points = beats[:-1, None] + np.diff(beats)[:, None] * fractions[None, :]
    return np.floor(points + 0.5).astype(np.int64).reshape(-1)


def thirds_to_beats(flux: np.ndarray, beats: np.ndarray) -> np.ndarray:
    """
    Where a tracked beat spans three beats of the song's own pulse two by two (a 210 BPM song tracked at 140, so that
    the song's beats fall on the tracked beats' thirds): the beats of 3/2 the tracked tempo, every other third of the
    tracked beats, in the phase whose beats are stronger (`beat_strength`).

    Args:
        flux (`np.ndarray` of shape `(num_frames,)`): the spectral flux of 10 ms frames.
        beats (`np.ndarray` of shape `(num_beats,)`): the tracked beats, at least 2.

    Returns:
        `np.ndarray` of int64: the new beats.
    """
    thirds = np.append(subdivisions(beats, (0.0, 1.0 / 3.0, 2.0 / 3.0)), beats[-1])
    return max((thirds[0::2], thirds[1::2]), key=lambda run: beat_strength(flux, run))


def mean_tempogram(flux: np.ndarray, frames_per_second: float = FRAMES_PER_SECOND) -> np.ndarray:
    """
    The tempogram that librosa's tempo estimate reads (`librosa.feature.tempogram` of the flux, windows of
    `TEMPOGRAM_SECONDS`, centred), averaged over the song's frames, computed `TEMPOGRAM_BLOCK_FRAMES` frames at a
    time: whole, the tempogram of half an hour and its autocorrelation took 4.6 GB.

    Args:
        flux (`np.ndarray` of shape `(num_frames,)`): the spectral flux (or any onset strength) of the song's frames.
        frames_per_second (`float`, *optional*, defaults to 100): its frame rate (`sr / hop_length`).

    Returns:
        `np.ndarray` of shape `(window_frames, 1)`, for `librosa.feature.tempo(tg=..., sr=frames_per_second,
        hop_length=1)`.
    """
    window = int(TEMPOGRAM_SECONDS * frames_per_second)  # librosa's `time_to_frames(ac_size)`
    half = window // 2
    padded = np.pad(flux, half, mode="linear_ramp", end_values=0)  # as librosa centres its windows
    total = np.zeros(window)
    for start in range(0, len(flux), TEMPOGRAM_BLOCK_FRAMES):
        stop = min(start + TEMPOGRAM_BLOCK_FRAMES, len(flux))
        block = librosa.feature.tempogram(
            onset_envelope=padded[start : stop + window - 1], sr=frames_per_second, hop_length=1, win_length=window,
            center=False,
        )  # fmt: skip
        total += block.sum(axis=1)
    return (total / max(len(flux), 1))[:, None]


def track_beats(
    flux: np.ndarray, tempo_priors: tuple, half_beat_ratio: float | None, thirds_switch: bool = False
) -> np.ndarray:
    """
    The beats of a song's flux: librosa's beat tracker run with its tempo prior centred at each of `tempo_priors`,
    the run whose beats best explain the attacks (`beat_strength`) kept. Then:

    - with `thirds_switch`, where the points a third and two thirds into each beat are together stronger than the
      points halfway and than the song's mean flux (the attacks group in threes, not twos, within the tracked beat;
      `beat_strength` above 1), the tempo is taken as 3/2 the
      tracked one (`thirds_to_beats`): librosa's tracker can lock onto two beats out of three of a fast song (140 BPM
      in a 210 BPM song), which no power of two puts right;
    - the beats are doubled (the points halfway between them added) where those halfway points are nearly as strong,
      at least `half_beat_ratio` of the beats' strength: a tracker that locks onto every other beat of a fast song
      (105 BPM in a 210 BPM song) then gives the song's own tempo.

    Args:
        flux (`np.ndarray` of shape `(num_frames,)`): the spectral flux of 10 ms frames.
        tempo_priors (`tuple[float, ...]`): the centres of the tracker's prior tried.
        half_beat_ratio (`float` or `None`): `None` never doubles.
        thirds_switch (`bool`, *optional*, defaults to `False`): see above.

    Returns:
        `np.ndarray` of int64, shape `(num_beats,)`: frames of the beats.
    """
    tempogram = mean_tempogram(flux)
    runs = []
    for start_bpm in tempo_priors:  # librosa's tempo estimate and tracker, the tempogram computed once and in blocks
        bpm = librosa.feature.tempo(tg=tempogram, sr=FRAMES_PER_SECOND, hop_length=1, start_bpm=start_bpm)
        _, beats = librosa.beat.beat_track(
            onset_envelope=flux, sr=FRAMES_PER_SECOND, hop_length=1, start_bpm=start_bpm, bpm=bpm
        )
        runs.append(beats.astype(np.int64))
    beats = max(runs, key=lambda run: beat_strength(flux, run))
    return settle_metre(flux, beats, half_beat_ratio, thirds_switch)


def settle_metre(
    flux: np.ndarray, beats: np.ndarray, half_beat_ratio: float | None, thirds_switch: bool
) -> np.ndarray:
    """The tracked beats put on the song's own pulse: the thirds switch, then the doubling (see `track_beats`).

    Args:
        flux (`np.ndarray` of shape `(num_frames,)`): the spectral flux of 10 ms frames.
        beats (`np.ndarray` of shape `(num_beats,)`): frames of the tracked beats.
        half_beat_ratio (`float` or `None`), thirds_switch (`bool`): see `track_beats`.

    Returns:
        `np.ndarray` of int64: frames of the beats.
    """
    if thirds_switch and len(beats) > 2:
        halves = beat_strength(flux, subdivisions(beats, (0.5,)))
        thirds = beat_strength(flux, subdivisions(beats, (1.0 / 3.0, 2.0 / 3.0)))
        if thirds > max(halves, 1.0):  # and above the song's mean flux: attacks, not the tails of the beats' drums
            beats = thirds_to_beats(flux, beats)
    if half_beat_ratio is not None and len(beats) > 1:
        halfway = subdivisions(beats, (0.5,))
        if beat_strength(flux, halfway) >= half_beat_ratio * beat_strength(flux, beats):
            beats = np.sort(np.concatenate([beats, halfway]))
    return beats


def tracked_beats(mel_slices: np.ndarray, flux: np.ndarray | None = None) -> np.ndarray:
    """
    The frames (10 ms each, from the song's start) of the song's beats (`track_beats` on its spectral flux); empty
    where the audio never rises.

    Args:
        mel_slices (`np.ndarray` of shape `(num_slices, groups, mel_bands)`): a song's mel slices.
        flux (`np.ndarray` of shape `(num_slices, groups)`, *optional*): their `spectral_flux`, if computed already.

    Returns:
        `np.ndarray` of int64, shape `(num_beats,)`.
    """
    flux = (spectral_flux(mel_slices) if flux is None else flux).reshape(-1)
    if not flux.any():
        return np.zeros(0, np.int64)
    return track_beats(flux, BEAT_TRACKER_TEMPO_PRIORS, HALF_BEAT_RATIO, THIRDS_SWITCH)


def comb_fit(flux: np.ndarray, bpms: np.ndarray) -> tuple[float, float]:
    """
    The steady grid among tempos `bpms` whose beats land on the most flux: for every tempo and every phase (half a
    frame apart), the mean of the smoothed flux (a Gaussian of `COMB_SMOOTHING_FRAMES`) read at the grid's beats over
    the whole song.

    Args:
        flux (`np.ndarray` of shape `(num_frames,)`): the song's spectral flux, one value per 10 ms frame.
        bpms (`np.ndarray` of shape `(num_tempos,)`): the tempos to try.

    Returns:
        `(bpm, phase_ms)`: the best tempo and the time (within its first beat) of its beats.
    """
    smoothed = gaussian_filter1d(flux.astype(np.float64), COMB_SMOOTHING_FRAMES)
    last = len(smoothed) - 1
    best_score, best_bpm, best_phase = -np.inf, float(bpms[0]), 0.0
    for bpm in bpms:
        period = 60.0 * FRAMES_PER_SECOND / bpm
        phases = np.arange(0.0, period, 0.5)
        positions = phases[:, None] + period * np.arange(max(1, int(last / period)))[None, :]
        inside = positions < last
        below = np.floor(np.minimum(positions, last - 1)).astype(np.int64)
        fraction = np.minimum(positions, last - 1) - below
        values = (smoothed[below] * (1.0 - fraction) + smoothed[below + 1] * fraction) * inside
        scores = values.sum(axis=1) / np.maximum(inside.sum(axis=1), 1)
        phase = int(np.argmax(scores))
        if scores[phase] > best_score:
            best_score, best_bpm, best_phase = scores[phase], float(bpm), 1000.0 * phases[phase] / FRAMES_PER_SECOND
    return best_bpm, best_phase


def beat_grid(
    mel_slices: np.ndarray, beats: np.ndarray | None = None, flux: np.ndarray | None = None
) -> tuple[float, float] | None:
    """
    The song's steady beat grid (`fit_beat_grid` on its tracked beats and flux).

    Args:
        mel_slices (`np.ndarray` of shape `(num_slices, groups, mel_bands)`): a song's mel slices.
        beats (`np.ndarray` of shape `(num_beats,)`, *optional*): their `tracked_beats`, if tracked already.
        flux (`np.ndarray` of shape `(num_slices, groups)`, *optional*): their `spectral_flux`, if computed already.

    Returns:
        `(bpm, first_beat_ms)`, or `None` when fewer than 4 beats were found.
    """
    flux = (spectral_flux(mel_slices) if flux is None else flux).reshape(-1)
    beats = tracked_beats(mel_slices, flux=flux) if beats is None else beats
    return fit_beat_grid(flux, beats)


def fit_beat_grid(flux: np.ndarray, beats: np.ndarray) -> tuple[float, float] | None:
    """
    The steady grid of tracked beats. A line fitted by least squares through the beats gives a first tempo; a beat the
    tracker skipped or added shifts the count of every later one and tilts that line, so the tempo is then refined by
    `comb_fit` within `COMB_SPAN` of it (steps of a hundredth of a percent), which reads the flux over the whole span
    and counts no beats. A tempo within `INTEGER_BPM_TOLERANCE` of a whole BPM, as most songs are produced at, is
    taken as that whole BPM, and its phase found again. The first beat is the grid's beat nearest the first tracked
    beat.

    Args:
        flux (`np.ndarray` of shape `(num_frames,)`): the spectral flux of 10 ms frames.
        beats (`np.ndarray` of shape `(num_beats,)`): frames of the beats tracked in it.

    Returns:
        `(bpm, first_beat_ms)`, or `None` with fewer than 4 beats.
    """
    if len(beats) < 4:
        return None
    indices, times_ms = np.arange(len(beats)), 1000.0 * beats / FRAMES_PER_SECOND
    beat_ms, _ = np.polyfit(indices, times_ms, 1)
    fitted = 60000.0 / beat_ms
    bpm, phase_ms = comb_fit(flux, fitted * (1.0 + np.linspace(-COMB_SPAN, COMB_SPAN, COMB_STEPS)))
    if abs(bpm - round(bpm)) <= INTEGER_BPM_TOLERANCE:
        bpm, phase_ms = comb_fit(flux, np.array([float(round(bpm))]))
    beat_ms = 60000.0 / bpm
    first_beat_ms = phase_ms + beat_ms * round((times_ms[0] - phase_ms) / beat_ms)
    return float(bpm), float(first_beat_ms)


def bass_level(mel_slices: np.ndarray) -> np.ndarray:
    """
    The level of the lowest mel band in every 10 ms frame (scaled decibels, as the mel slices hold it), smoothed over
    about a frame (a Gaussian of 1 frame): where the kick drums sound.

    Args:
        mel_slices (`np.ndarray` of shape `(num_slices, groups, mel_bands)`): a song's mel slices.

    Returns:
        `np.ndarray` of shape `(num_slices * groups,)`, float64.
    """
    return gaussian_filter1d(np.asarray(mel_slices[..., 0], dtype=np.float64).reshape(-1), 1.0)


def bass_vote(bass: np.ndarray, beats: np.ndarray) -> int:
    """
    Whether a grid's beats are the song's beats or its off-beats, by the bass: the level `BASS_DELAY_FRAMES` after
    each beat against that after the half beat that follows it, their difference averaged over the song and over each
    of `BASS_PARTS` parts of it.

    Args:
        bass (`np.ndarray` of shape `(num_frames,)`): the song's `bass_level`.
        beats (`np.ndarray` of shape `(num_beats,)`): the grid's beats in (fractional) frames, in time order.

    Returns:
        `int`: 1 where the bass is louder after the beats over the song and in at least `BASS_AGREEMENT` of its
        parts, -1 where it is so after the half beats (the grid is half a beat off), 0 where it does not tell (too
        few beats, no kick drum, a bass as loud on both).
    """
    if len(beats) <= 2 * BASS_PARTS:
        return 0
    frames = np.arange(len(bass))
    halves = 0.5 * (beats[:-1] + beats[1:])
    after_beats = np.interp(beats[:-1] + BASS_DELAY_FRAMES, frames, bass)
    louder = after_beats - np.interp(halves + BASS_DELAY_FRAMES, frames, bass)
    parts = np.array([part.mean() for part in np.array_split(louder, BASS_PARTS)])
    for sign in (1, -1):
        if sign * louder.mean() > 0 and np.mean(sign * parts > 0) >= BASS_AGREEMENT:
            return sign
    return 0


def downbeat_phase(bass: np.ndarray, beats: np.ndarray, beats_per_measure: int = 4) -> int:
    """
    Which beat of every `beats_per_measure` starts the measures, by the bass: kick drums land hardest on the
    downbeats. The level `BASS_DELAY_FRAMES` after each beat (the cue `bass_vote` reads), averaged over the beats of
    each place in the measure: the loudest place, where it is the loudest in at least `BASS_AGREEMENT` of `BASS_PARTS`
    parts of the song too. Chosen on the 8 training and development songs of `examples/real_music_split.py` whose
    charts write their measures (the three TJA charts that change metre left out): right on all 8; docs/generation.md
    ("Measures") has the table.

    Args:
        bass (`np.ndarray` of shape `(num_frames,)`): the song's `bass_level`.
        beats (`np.ndarray` of shape `(num_beats,)`): consecutive beats in (fractional) frames, in time order, the
            first of them the first beat of a measure as far as is known.

    Returns:
        `int`: the index (0 to `beats_per_measure - 1`) of the first downbeat among `beats`; 0 where the bass does not
        tell (fewer than two measures per part, no place the loudest through the song).
    """
    beats = np.asarray(beats, dtype=np.float64)
    usable = len(beats) - len(beats) % beats_per_measure
    if usable < 2 * beats_per_measure * BASS_PARTS:
        return 0
    level = np.interp(beats[:usable] + BASS_DELAY_FRAMES, np.arange(len(bass)), bass)
    measures = level.reshape(-1, beats_per_measure)
    loudest = int(np.argmax(measures.mean(axis=0)))
    parts = [int(np.argmax(part.mean(axis=0))) for part in np.array_split(measures, BASS_PARTS)]
    return loudest if np.mean(np.array(parts) == loudest) >= BASS_AGREEMENT else 0


def beat_evidence(mel_slices: np.ndarray, beats: np.ndarray | None = None, halves: bool = True) -> np.ndarray:
    """
    Where the song's beats fall: 1 on the frames of the tracked beats (`tracked_beats`), 0.5 on the frames halfway
    between two beats (0 without `halves`: the grid of the easiest maps, which keep off the half beats), 0 elsewhere.
    Each mark is one 10 ms frame wide, so that a beat near the edge of a step never draws an object in both steps.
    Where the tracker finds no beat (no rise in the audio), every frame reads 0.5: no opinion.

    Args:
        mel_slices (`np.ndarray` of shape `(num_slices, groups, mel_bands)`): a song's mel slices.
        beats (`np.ndarray` of shape `(num_beats,)`, *optional*): their `tracked_beats`, if tracked already.
        halves (`bool`, *optional*, defaults to `True`): mark the points halfway between beats 0.5.

    Returns:
        `np.ndarray` of shape `(num_slices, groups)`, float32.
    """
    num_slices, groups, _ = mel_slices.shape
    beats = tracked_beats(mel_slices) if beats is None else beats
    if len(beats) == 0:
        return np.full((num_slices, groups), 0.5, dtype=np.float32)
    marks = np.zeros(num_slices * groups, dtype=np.float32)
    if halves:
        marks[subdivisions(beats, (0.5,))] = 0.5
    marks[beats] = 1.0
    return marks.reshape(num_slices, groups)


def frame_levels(mel_slices: np.ndarray) -> np.ndarray:
    """
    The level of every 10 ms frame, in dB against the song's loudest mel bin: the power of its mel bands summed (the
    slices hold `1 + dB / 80` per band, so an all-floor frame, digital silence, reads `-80 + 10 * log10(mel_bands)`).

    Args:
        mel_slices (`np.ndarray` of shape `(num_slices, groups, mel_bands)`): a song's mel slices.

    Returns:
        `np.ndarray` of shape `(num_slices, groups)`, float64.
    """
    return 10.0 * np.log10(np.sum(band_power(mel_slices), axis=-1))


def band_power(mel_slices: np.ndarray) -> np.ndarray:
    """The power of every mel band of every frame against the song's loudest mel bin (the slices hold `1 + dB / 80`),
    float64, of the slices' shape."""
    return 10.0 ** (-MEL_FLOOR_DB * (mel_slices.astype(np.float64) - 1.0) / 10.0)


def depth_below_loud(mel_slices: np.ndarray) -> np.ndarray:
    """
    How far below the song's loud level every frame sounds, in dB: the loud level, the 95th percentile of the
    `frame_levels` of the song's frames above the mel floor (`LOUD_PERCENTILE`; a song mostly silent keeps the level of
    what it plays), less the loudest level from 20 ms before the frame to 50 ms after it (`SOUNDING_WINDOW_FRAMES`: an
    object may stand a little before the attack it marks). A frame whose window holds only the mel floor (80 dB below
    the loudest bin: digital silence) reads `inf`.

    Args:
        mel_slices (`np.ndarray` of shape `(num_slices, groups, mel_bands)`): a song's mel slices.

    Returns:
        `np.ndarray` of shape `(num_slices, groups)`, float64.
    """
    num_slices, groups, mel_bands = mel_slices.shape
    flat = frame_levels(mel_slices).reshape(-1)
    above_floor = flat > MEL_FLOOR_DB + 10.0 * np.log10(mel_bands) + 1e-6
    if not above_floor.any():
        return np.full((num_slices, groups), np.inf)
    before, after = SOUNDING_WINDOW_FRAMES
    padded = np.concatenate([np.full(before, -np.inf), np.where(above_floor, flat, -np.inf), np.full(after, -np.inf)])
    nearby = np.lib.stride_tricks.sliding_window_view(padded, before + after + 1).max(axis=1)
    return (np.percentile(flat[above_floor], LOUD_PERCENTILE) - nearby).reshape(num_slices, groups)


def spectral_flatness(mel_slices: np.ndarray, sampling_rate: int | None = None) -> np.ndarray:
    """
    How flat the song's spectrum is around every frame: the spectral flatness (geometric over arithmetic mean, 1 for
    white noise) of the power-averaged mel spectrum of the `HISS_WINDOW_FRAMES` around it, in the bands centred below
    `HISS_HIGHEST_HZ`. Digital silence reads 1 (every band at the mel floor).

    Args:
        mel_slices (`np.ndarray` of shape `(num_slices, groups, mel_bands)`): a song's mel slices (levels, not
            `mel_gradient`).
        sampling_rate (`int`, *optional*): the rate the slices were computed at, whose half is the top of the mel
            bands; `None`: the feature extractor's default, 44.1 kHz.

    Returns:
        `np.ndarray` of shape `(num_slices, groups)`, float64.
    """
    num_slices, groups, mel_bands = mel_slices.shape
    centres = librosa.mel_frequencies(mel_bands + 2, fmax=(sampling_rate or 44100) / 2)[1:-1]
    bands = max(int(np.sum(centres < HISS_HIGHEST_HZ)), 2)
    power = band_power(mel_slices.reshape(num_slices * groups, mel_bands)[:, :bands])
    power = uniform_filter1d(power, HISS_WINDOW_FRAMES, axis=0, mode="nearest")
    return (np.exp(np.log(power).mean(axis=1)) / power.mean(axis=1)).reshape(num_slices, groups)


def hiss_frames(mel_slices: np.ndarray, sampling_rate: int | None = None) -> np.ndarray:
    """
    The frames that are hiss: their `spectral_flatness` above `HISS_FLATNESS` (see there), and their level no more
    than `HISS_TRANSIENT_DB` above the mean level of the `HISS_WINDOW_FRAMES` around them. Noise holds its level; a
    lone click stands far above the silence around it, and its spectrum is as flat as white noise's: it is an attack.

    Args:
        mel_slices (`np.ndarray` of shape `(num_slices, groups, mel_bands)`): a song's mel slices.
        sampling_rate (`int`, *optional*): the rate they were computed at (`spectral_flatness`).

    Returns:
        `np.ndarray` of shape `(num_slices, groups)`, bool.
    """
    levels = frame_levels(mel_slices)
    power = 10.0 ** (levels.reshape(-1) / 10.0)
    around = 10.0 * np.log10(uniform_filter1d(power, HISS_WINDOW_FRAMES, mode="nearest")).reshape(levels.shape)
    steady = levels <= around + HISS_TRANSIENT_DB
    return (spectral_flatness(mel_slices, sampling_rate) > HISS_FLATNESS) & steady


def steady_frames(mel_slices: np.ndarray) -> np.ndarray:
    """
    The frames of steady sound, where no object starts (see `STEADY_RISE`): no frame from `STEADY_WINDOW_FRAMES[0]`
    before them to `STEADY_WINDOW_FRAMES[1]` after them has its mel bands rise, against the loudest of the
    `STEADY_LOOKBACK_FRAMES` frames before (the song opening on silence), by `STEADY_RISE` or more, summed.

    Args:
        mel_slices (`np.ndarray` of shape `(num_slices, groups, mel_bands)`): a song's mel slices.

    Returns:
        `np.ndarray` of shape `(num_slices, groups)`, bool.
    """
    num_slices, groups, mel_bands = mel_slices.shape
    frames = mel_slices.reshape(num_slices * groups, mel_bands).astype(np.float64)
    padded = np.concatenate([np.zeros((STEADY_LOOKBACK_FRAMES, mel_bands)), frames])  # 0: the mel floor
    before = np.lib.stride_tricks.sliding_window_view(padded[:-1], STEADY_LOOKBACK_FRAMES, axis=0).max(axis=-1)
    rises = np.clip(frames - before, 0.0, None).sum(axis=1)
    earlier, later = STEADY_WINDOW_FRAMES
    attacked = np.concatenate([np.zeros(earlier), rises >= STEADY_RISE, np.zeros(later)])
    near_attack = np.lib.stride_tricks.sliding_window_view(attacked, earlier + later + 1).max(axis=1)
    return (near_attack == 0).reshape(num_slices, groups)


def sounding_frames(
    mel_slices: np.ndarray, silence_db: float, depth: np.ndarray | None = None, hiss: np.ndarray | None = None
) -> np.ndarray:
    """
    The frames where the song sounds: `depth_below_loud` at most `silence_db`, and no hiss (`hiss_frames`).

    Args:
        mel_slices (`np.ndarray` of shape `(num_slices, groups, mel_bands)`): a song's mel slices.
        silence_db (`float`): how far below the loud level a frame still sounds, in dB.
        depth (`np.ndarray` of shape `(num_slices, groups)`, *optional*): their `depth_below_loud`, if computed already.
        hiss (`np.ndarray` of shape `(num_slices, groups)`, *optional*): their `hiss_frames`, if computed already.

    Returns:
        `np.ndarray` of shape `(num_slices, groups)`, bool.
    """
    depth = depth_below_loud(mel_slices) if depth is None else depth
    return (depth <= silence_db) & ~(hiss_frames(mel_slices) if hiss is None else hiss)


def audio_prior_bias(evidence: torch.Tensor, onset_slots: torch.Tensor, weight: float) -> torch.Tensor:
    """
    The logit bias of every beat token at every step (see the module docstring).

    Args:
        evidence (`torch.Tensor` of shape `(batch_size, steps, groups)`): the steps' slots' `onset_evidence` or
            `beat_evidence`.
        onset_slots (`torch.Tensor` of shape `(vocab_size, groups)`): bool, where each token starts objects (see
            `BeartTokenizer.onset_slots`).
        weight (`float`): the prior's weight; 0 leaves the logits as they are.

    Returns:
        `torch.Tensor` of shape `(batch_size, steps, vocab_size)`: 0 for the tokens that start nothing.
    """
    slots = onset_slots.to(evidence.dtype)
    counts = slots.sum(dim=-1)
    mean_evidence = torch.einsum("bsg,vg->bsv", evidence, slots) / counts.clamp_min(1.0)
    return torch.where(counts > 0, weight * (2.0 * mean_evidence - 1.0), torch.zeros_like(mean_evidence))
