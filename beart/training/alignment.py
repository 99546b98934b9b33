"""Lining human charts up with their audio before training: a chart can sit tens of milliseconds off its song (a
chart's offset, a game's latency), and a model trained on it would learn the lag.

A chart's shift is the whole number of 10 ms steps, within `MAX_SHIFT_MS` either way, that puts the most of its note
starts within `TOLERANCE_MS` of an onset of the audio (peaks of its spectral flux, `librosa.onset.onset_detect`); among
equally good shifts, the one whose close notes lie nearest their onsets. `beart dataset build --align-to-onsets` moves
every map by its shift and lists the shifts in the corpus's `beart_corpus.json`.
"""

import librosa
import numpy as np

from ..beatmaps.intermediate import QUANTUM_MS, IntermediateBeatmap
from ..processing.audio_priors import FRAMES_PER_SECOND, spectral_flux


MAX_SHIFT_MS = 60.0
TOLERANCE_MS = 20.0


def audio_onsets_ms(mel_slices: np.ndarray) -> np.ndarray:
    """The onsets (ms) of a song, from its mel slices `(num_slices, groups, mel_bands)`."""
    flux = spectral_flux(mel_slices).reshape(-1)
    if not flux.any():
        return np.zeros(0)
    frames = librosa.onset.onset_detect(onset_envelope=flux, sr=FRAMES_PER_SECOND, hop_length=1)
    return frames.astype(np.float64) * 1000.0 / FRAMES_PER_SECOND


def chart_shift_ms(note_starts_ms: np.ndarray, onsets_ms: np.ndarray, max_shift_ms: float = MAX_SHIFT_MS) -> float:
    """
    The shift (ms, a multiple of 10) that lines the notes up with the onsets best (see the module docstring); 0 when
    either is empty.

    Args:
        note_starts_ms (`np.ndarray` of shape `(num_notes,)`): the chart's note starts.
        onsets_ms (`np.ndarray` of shape `(num_onsets,)`): the audio's onsets, sorted.
        max_shift_ms (`float`, *optional*): the largest shift either way.
    """
    if len(note_starts_ms) == 0 or len(onsets_ms) == 0:
        return 0.0
    shifts = np.arange(-max_shift_ms, max_shift_ms + 1, QUANTUM_MS)
    moved = note_starts_ms[None, :] + shifts[:, None]
    index = np.clip(np.searchsorted(onsets_ms, moved), 1, len(onsets_ms) - 1)
    nearest = np.minimum(np.abs(moved - onsets_ms[index - 1]), np.abs(moved - onsets_ms[index]))
    close = nearest <= TOLERANCE_MS
    hits = close.sum(axis=1)
    distance = np.where(close, nearest, 0.0).sum(axis=1) / np.maximum(hits, 1)
    best = np.flatnonzero(hits == hits.max())
    return float(shifts[best[np.argmin(distance[best])]])


def shifted(beatmap: IntermediateBeatmap, shift_ms: float) -> IntermediateBeatmap:
    """The map with every row (events, tempo, flags) moved by `shift_ms` (a multiple of 10 ms); rows moved before the
    song's start are dropped, rows moved in at the start are empty with the first row's tempo."""
    steps = int(round(shift_ms / QUANTUM_MS))
    if steps == 0:
        return beatmap
    data = beatmap.data.copy()
    columns = [column for column in data.columns if column != "TIME"]
    values = data[columns].to_numpy()
    moved = np.zeros_like(values)
    if steps > 0:
        moved[steps:] = values[:-steps]
        moved[:steps, columns.index("TEMPO")] = values[0, columns.index("TEMPO")]
    else:
        moved[:steps] = values[-steps:]
    data[columns] = moved.astype(values.dtype)
    for column in columns:
        data[column] = data[column].astype(beatmap.data[column].dtype)
    return IntermediateBeatmap(data, beatmap.meta)
