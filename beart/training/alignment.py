"""Lining human charts up with their audio before training: a chart can sit tens of milliseconds off its song (a
chart's offset, a game's latency), and a model trained on it would learn the lag.

A chart's shift (`beart.processing.onset_alignment.chart_shift_ms`) is the whole number of 10 ms steps, within
`MAX_SHIFT_MS` either way, that puts the most of its note starts within `TOLERANCE_MS` of an onset of the audio (peaks
of its spectral flux); among equally good shifts, the one whose close notes lie nearest their onsets. `beart dataset
build --align-to-onsets` moves every map by its shift (`shifted`) and lists the shifts in the corpus's
`beart_corpus.json`; with `--align-on attacks`, by the nearest 10 ms to its offset on the attacks charters mark instead
(`alignment_shift_ms`, `ALIGN_ON`).
"""

import numpy as np

from ..beatmaps.intermediate import QUANTUM_MS, IntermediateBeatmap
from ..processing.onset_alignment import MAX_SHIFT_MS, TOLERANCE_MS, audio_onsets_ms, chart_shift_ms, chart_timing


__all__ = [
    "ALIGN_ON", "MAX_SHIFT_MS", "TOLERANCE_MS", "alignment_shift_ms", "audio_onsets_ms", "chart_shift_ms", "shifted",
]  # fmt: skip

# What a chart is lined up on: "frames", the flux's 10 ms frames (`chart_shift_ms`; every model so far was trained
# so), or "attacks", the attacks charters mark (`chart_timing`'s offset, lead and all, to the nearest 10 ms; where the
# chart does not follow its onsets closely enough to tell, the frames' shift). The flux's frames lead the attacks by a
# few ms, so "frames" moves most charts timed on their audio 10 ms earlier (docs/training.md).
ALIGN_ON = ("frames", "attacks")


def alignment_shift_ms(
    note_starts_ms: np.ndarray, onsets_ms: np.ndarray, attacks_ms: np.ndarray | None = None
) -> float:
    """
    The shift (ms, a multiple of 10) `--align-to-onsets` moves a chart by.

    Args:
        note_starts_ms (`np.ndarray` of shape `(num_notes,)`): the chart's note starts.
        onsets_ms (`np.ndarray` of shape `(num_onsets,)`): its audio's onsets on their frames (`audio_onsets_ms`).
        attacks_ms (`np.ndarray` of shape `(num_onsets,)`, *optional*): the same at the tops of their peaks
            (`audio_onsets_ms(..., refine=True)`), to line the chart up on the attacks; `None` for the frames.
    """
    if attacks_ms is not None:
        offset_ms = chart_timing(note_starts_ms, attacks_ms, parts=1).offset_ms
        if offset_ms is not None:
            return float(-QUANTUM_MS * np.round(offset_ms / QUANTUM_MS)) + 0.0
    return chart_shift_ms(note_starts_ms, onsets_ms)


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
