"""Lining human charts up with their audio before training: a chart can sit tens of milliseconds off its song (a
chart's offset, a game's latency), and a model trained on it would learn the lag.

A chart's shift (`beart.processing.onset_alignment.chart_shift_ms`) is the whole number of 10 ms steps, within
`MAX_SHIFT_MS` either way, that puts the most of its note starts within `TOLERANCE_MS` of an onset of the audio (peaks
of its spectral flux); among equally good shifts, the one whose close notes lie nearest their onsets. `beart dataset
build --align-to-onsets` moves every map by its shift (`shifted`) and lists the shifts in the corpus's
`beart_corpus.json`.
"""

import numpy as np

from ..beatmaps.intermediate import QUANTUM_MS, IntermediateBeatmap
from ..processing.onset_alignment import MAX_SHIFT_MS, TOLERANCE_MS, audio_onsets_ms, chart_shift_ms


__all__ = ["MAX_SHIFT_MS", "TOLERANCE_MS", "audio_onsets_ms", "chart_shift_ms", "shifted"]


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
