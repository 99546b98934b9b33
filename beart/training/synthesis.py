"""Rendering audio from a beatmap's own objects: training pairs for maps whose song is not at hand.

Every hit becomes a short drum sound, a different one per track (a low kick, a snare, a clap, a hi-hat), and every
hold a steady tone for its length, over quiet noise. A model trained on such pairs learns the rhythms real mappers
write against sound that carries them; it does not learn what in real music makes a mapper place a note.

`render_song_audio` renders one song for all the difficulties of a set, with unmapped hits besides: as in real music,
the song then holds more onsets than an easy map plays, so the model has to learn which ones a map of a given
difficulty keeps. It can also vary the drum sounds per song and lay the drums over a music bed (`music_bed`: chords,
bass and noise without sharp attacks), so that the model learns to find the mapped onsets inside dense sound, as in
real music, rather than against silence.
"""

import numpy as np
import pandas as pd
import scipy.signal

from ..beatmaps import IntermediateBeatmap
from ..beatmaps.intermediate import TRACK_NAMES


DRUMS = (
    {"pitch": 55.0, "noise": 0.15, "decay": 0.12},
    {"pitch": 190.0, "noise": 0.7, "decay": 0.09},
    {"pitch": 330.0, "noise": 0.85, "decay": 0.05},
    {"pitch": 2500.0, "noise": 0.95, "decay": 0.03},
)
HOLD_PITCHES = (220.0, 277.2, 329.6, 440.0)
MINOR_SCALE = np.array([0, 2, 3, 5, 7, 8, 10])
PAD_FADE_SECONDS = 0.08
BASS_ATTACK_SECONDS = 0.03


def _peak_normalised(signal: np.ndarray, peak: float = 1.0) -> np.ndarray:
    """`signal` scaled so that its largest magnitude is `peak` (a silent signal stays silent)."""
    return peak * signal / max(np.abs(signal).max(), 1e-9)


def _drum(pitch: float, noise: float, decay: float, sampling_rate: int, random: np.random.Generator) -> np.ndarray:
    time = np.arange(int(sampling_rate * decay * 5)) / sampling_rate
    envelope = np.exp(-time / decay)
    body = np.sin(2 * np.pi * pitch * time * (1 + 0.5 * np.exp(-time / 0.02)))
    return envelope * ((1 - noise) * body + noise * random.uniform(-1, 1, len(time)))


def render_beatmap_audio(
    beatmap: IntermediateBeatmap, sampling_rate: int = 44100, seed: int = 0, drums: tuple | None = None
) -> np.ndarray:
    """
    Audio for a beatmap: a drum on every hit, a tone over every hold, quiet noise beneath.

    Args:
        beatmap (`IntermediateBeatmap`): the map.
        sampling_rate (`int`, *optional*, defaults to 44100): of the returned waveform.
        seed (`int`, *optional*, defaults to 0): seed of the noise.
        drums (`tuple[dict]`, *optional*): the drum of each track (`pitch` Hz, `noise` share, `decay` seconds);
            `DRUMS` by default.

    Returns:
        `np.ndarray` of shape `(num_samples,)`, float32 in [-1, 1], as long as the map plus one second.
    """
    random = np.random.default_rng(seed)
    num_samples = int((beatmap.duration_ms / 1000 + 1.0) * sampling_rate)
    mix = 0.01 * random.standard_normal(num_samples)
    objects = beatmap.hit_objects()
    drum_set = drums or DRUMS
    for index, name in enumerate(beatmap.tracks):
        on_track = objects[objects["track"] == name]
        starts = np.round(on_track["start"].to_numpy() * sampling_rate / 1000).astype(np.int64)
        impulses = np.zeros(num_samples)
        np.add.at(impulses, starts[starts < num_samples], 1.0)
        sound = _drum(**drum_set[index % len(drum_set)], sampling_rate=sampling_rate, random=random)
        mix += scipy.signal.oaconvolve(impulses, sound)[:num_samples]
        holds = on_track[on_track["end"] > on_track["start"]]
        held = np.zeros(num_samples + 1)
        np.add.at(
            held, np.round(holds["start"].to_numpy() * sampling_rate / 1000).astype(np.int64).clip(0, num_samples), 1
        )
        np.add.at(
            held, np.round(holds["end"].to_numpy() * sampling_rate / 1000).astype(np.int64).clip(0, num_samples), -1
        )
        tone = np.sin(2 * np.pi * HOLD_PITCHES[index % len(HOLD_PITCHES)] * np.arange(num_samples) / sampling_rate)
        mix += 0.2 * (np.cumsum(held)[:num_samples] > 0) * tone
    return _peak_normalised(mix, 0.9).astype(np.float32)


def varied_drums(random: np.random.Generator) -> tuple:
    """The drums of `DRUMS` with pitch (x0.7 to x1.4), decay (x0.6 to x1.6) and noise share (+-0.1) drawn anew."""
    return tuple(
        {
            "pitch": drum["pitch"] * random.uniform(0.7, 1.4),
            "noise": float(np.clip(drum["noise"] + random.uniform(-0.1, 0.1), 0.0, 1.0)),
            "decay": drum["decay"] * random.uniform(0.6, 1.6),
        }
        for drum in DRUMS
    )


def _phase(frequencies: np.ndarray, sampling_rate: int) -> np.ndarray:
    """The running phase (radians) of a tone whose frequency (Hz, one per sample) may change from sample to sample."""
    return 2 * np.pi * np.cumsum(frequencies) / sampling_rate


def music_bed(num_samples: int, bpm: float, sampling_rate: int = 44100, seed: int = 0) -> np.ndarray:
    """
    A backing track without sharp attacks, for rendered drums to sit in: a chord pad (root, third and fifth of a
    random minor-scale chord per bar, four harmonics each) fading in and out over 80 ms at every bar line, a bass
    note on every beat with a 30 ms attack, and low-passed noise.

    Args:
        num_samples (`int`): length of the bed.
        bpm (`float`): the tempo its bars and beats follow.
        sampling_rate (`int`, *optional*, defaults to 44100): of the returned waveform.
        seed (`int`, *optional*, defaults to 0): seed of the chords, the mix and the noise.

    Returns:
        `np.ndarray` of shape `(num_samples,)`, float64 with peak 1.
    """
    random = np.random.default_rng(seed)
    time = np.arange(num_samples) / sampling_rate
    beat = 60.0 / bpm
    bar_index = (time // (4 * beat)).astype(np.int64)
    num_bars = int(bar_index[-1]) + 1
    roots = MINOR_SCALE[random.integers(0, len(MINOR_SCALE), num_bars)]
    thirds = random.choice([3, 4], size=num_bars)
    since_bar = time - bar_index * 4 * beat
    pad = np.zeros(num_samples)
    for interval in (np.zeros(num_bars), thirds, np.full(num_bars, 7)):
        phase = _phase(220.0 * 2.0 ** ((roots + interval)[bar_index] / 12), sampling_rate)
        for harmonic in range(1, 5):
            pad += np.sin(harmonic * phase) / harmonic
    pad *= np.clip(np.minimum(since_bar, 4 * beat - since_bar) / PAD_FADE_SECONDS, 0.0, 1.0)
    since_beat = time % beat
    bass_phase = _phase(55.0 * 2.0 ** (roots[bar_index] / 12), sampling_rate)
    bass_envelope = np.minimum(1.0, since_beat / BASS_ATTACK_SECONDS) * np.exp(-since_beat / (0.6 * beat))
    bass = np.sin(bass_phase) * bass_envelope
    frequencies = np.fft.rfftfreq(num_samples, 1.0 / sampling_rate)
    white = np.fft.rfft(random.standard_normal(num_samples))
    noise = np.fft.irfft(white / np.sqrt(1.0 + frequencies / 200.0), n=num_samples)
    layers = [(pad, 1.0), (bass, random.uniform(0.3, 0.8)), (noise, random.uniform(0.05, 0.3))]
    return _peak_normalised(sum(level * _peak_normalised(layer) for layer, level in layers))


def _first_bpm(tempo: pd.DataFrame) -> float:
    """The first tempo of a map's tempo changes, 120 BPM when it has none."""
    return float(tempo["bpm"].iloc[0]) if len(tempo) else 120.0


def _unmapped_hits(objects: pd.DataFrame, tempo: pd.DataFrame, share: float, tracks: list, random) -> pd.DataFrame:
    """Hits on the quarter-beat grid of the map's first tempo, away (> 40 ms) from every object, `share` as many
    as there are objects, each on a random track."""
    bpm = _first_bpm(tempo)
    first, last = float(objects["start"].min()), float(objects["end"].max())
    grid = np.arange(first, last, 60000.0 / bpm / 4)
    starts = np.sort(objects["start"].to_numpy(dtype=np.float64))
    neighbours = np.concatenate(([-np.inf], starts, [np.inf]))
    following = np.searchsorted(starts, grid)
    distance = np.minimum(grid - neighbours[following], neighbours[following + 1] - grid)
    free = grid[distance > 40.0]
    count = min(len(free), int(round(share * len(objects))))
    chosen = np.round(np.sort(random.choice(free, size=count, replace=False)))
    return pd.DataFrame({"track": random.choice(tracks, size=count), "start": chosen, "end": chosen})


def render_song_audio(
    beatmaps: list,
    sampling_rate: int = 44100,
    seed: int = 0,
    unmapped_share: float = 0.3,
    background: float = 0.0,
    vary_drums: bool = False,
) -> np.ndarray:
    """
    One song's audio for all the difficulties of a set: every object of every map sounds, plus unmapped hits at half
    the loudness, so that easier maps play a subset of the song's onsets.

    Args:
        beatmaps (`list[IntermediateBeatmap]`): the difficulties of one song.
        sampling_rate (`int`, *optional*, defaults to 44100): of the returned waveform.
        seed (`int`, *optional*, defaults to 0): seed of the noise, the unmapped hits, the drums and the bed.
        unmapped_share (`float`, *optional*, defaults to 0.3): unmapped hits, as a share of the song's objects.
        background (`float`, *optional*, defaults to 0.0): peak of a `music_bed` (at the map's first tempo) under
            the drums, relative to theirs; 0 for none.
        vary_drums (`bool`, *optional*, defaults to `False`): draw the song's drum sounds with `varied_drums`.

    Returns:
        `np.ndarray` of shape `(num_samples,)`, float32 in [-1, 1], as long as the longest map plus one second.
    """
    random = np.random.default_rng(seed)
    tracks = [name for name in TRACK_NAMES if any(name in beatmap.tracks for beatmap in beatmaps)]
    objects = pd.concat([beatmap.hit_objects() for beatmap in beatmaps], ignore_index=True)
    meta = {"audio": "audio.wav", "difficulty": 1.0, "tracks": tracks}
    end_ms = max(beatmap.duration_ms for beatmap in beatmaps)
    song = IntermediateBeatmap.from_hit_objects(objects, meta, end_ms=end_ms)
    drums = varied_drums(random) if vary_drums else None
    mix = render_beatmap_audio(song, sampling_rate, seed=seed, drums=drums)
    tempo = beatmaps[0].tempo_changes()
    unmapped = _unmapped_hits(objects, tempo, unmapped_share, tracks, random)
    if len(unmapped):
        extra = IntermediateBeatmap.from_hit_objects(unmapped, meta, end_ms=end_ms)
        mix = mix + 0.5 * render_beatmap_audio(extra, sampling_rate, seed=seed + 1, drums=drums)
    if background:
        bed = music_bed(len(mix), _first_bpm(tempo), sampling_rate, seed + 2)
        mix = _peak_normalised(mix) + background * bed
    return _peak_normalised(mix, 0.9).astype(np.float32)
