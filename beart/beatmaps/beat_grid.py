"""The beat grid written files are timed on: times (ms) <-> rows of 48 per beat, for piecewise-constant tempos, with
each time snapped to the coarsest subdivision of the beat (1/1, 1/2, 1/3, 1/4, 1/6, 1/8, 1/12, 1/16, 1/24, 1/48, or
those a generated map names) within 5 ms, so that it reads back on its own 10 ms step. Tempos below 62.5 BPM are
written doubled, so that a 48th of a beat stays within 10 ms. The first tempo's time is a downbeat: row 0 is a measure
start (`BEATS_PER_MEASURE` beats, 4/4), so the measures every writer draws (StepMania's and TJA's measures, MIDI bars,
osu!'s bar lines and new combos) start where the first tempo does. The StepMania, TJA, Frets on Fire and osu!
writers share it."""

import numpy as np
import pandas as pd
from transformers.utils import logging

from .intermediate import QUANTUM_MS, ROWS_PER_BEAT, IntermediateBeatmap, snap_to_steps


logger = logging.get_logger(__name__)

DEFAULT_BPM = 120.0
MIN_WRITTEN_BPM = 62.5
BEAT_SUBDIVISIONS = (1, 2, 3, 4, 6, 8, 12, 16, 24, 48)
BEATS_PER_MEASURE = 4  # every written measure is 4/4
SNAP_TOLERANCE_MS = 5.0


def _candidates(exact_rows: np.ndarray, subdivisions: tuple, ms_per_row) -> tuple[np.ndarray, np.ndarray]:
    """Each exact row's nearest row on each of `subdivisions` (of a beat), and how far it lies in ms: both of shape
    `(num_rows, len(subdivisions))`."""
    steps = ROWS_PER_BEAT / np.array(subdivisions, dtype=np.float64)
    candidates = np.round(exact_rows[:, None] / steps[None, :]) * steps[None, :]
    distance = np.abs(candidates - exact_rows[:, None]) * np.reshape(ms_per_row, (-1, 1))
    return candidates.astype(np.int64), distance


def _coarsest(candidates: np.ndarray, distance: np.ndarray, tolerance_ms: float) -> np.ndarray:
    """Per row, the first (coarsest) candidate within `tolerance_ms`, else the nearest."""
    within = distance <= tolerance_ms + 1e-6  # a time exactly at the tolerance, float error and all
    choice = np.where(within.any(axis=1), np.argmax(within, axis=1), np.argmin(distance, axis=1))
    return candidates[np.arange(len(candidates)), choice]


def snapped_rows(exact_rows, subdivisions: tuple, ms_per_row, tolerance_ms: float = SNAP_TOLERANCE_MS) -> np.ndarray:
    """Each exact row (48 per beat, array-like of shape `(num_rows,)`) on the coarsest of `subdivisions` (of a beat)
    within `tolerance_ms`, else on the nearest row of any of them (int64); `ms_per_row` a length or one per row."""
    return _coarsest(*_candidates(np.asarray(exact_rows, dtype=np.float64), subdivisions, ms_per_row), tolerance_ms)


class BeatGrid:
    """Times (ms) <-> rows (48 per beat) for piecewise-constant tempos. The first tempo's beats fall on its first time
    (a downbeat: where a measure of the song starts, say) and every beat length before it: beat 0 is the last
    downbeat (every `BEATS_PER_MEASURE` beats from the first time) at or before the start of the audio, `offset_ms`
    (0 or less) its time, so that rows 0, 192, 384, ... start the measures. Each later tempo starts on a row of the one
    before, the coarsest subdivision within `SNAP_TOLERANCE_MS` (a change on its 10 ms step reads back on the beat it
    was meant for).

    Args:
        tempo (`pd.DataFrame`): `time` (ms) and `bpm` of each tempo, in time order.
        subdivisions (`tuple[int, ...]`, *optional*, defaults to `BEAT_SUBDIVISIONS`): the divisors of the beat that
            times snap to (`rows_at`, `candidate_rows`); kept coarsest first.
    """

    def __init__(self, tempo: pd.DataFrame, subdivisions: tuple = BEAT_SUBDIVISIONS):
        self.subdivisions = tuple(sorted(subdivisions))
        times, bpms = tempo["time"].to_numpy(np.float64), tempo["bpm"].to_numpy(np.float64)
        bpms = bpms * 2.0 ** np.ceil(np.log2(np.maximum(MIN_WRITTEN_BPM / bpms, 1.0)))
        first_measure_ms = BEATS_PER_MEASURE * 60000.0 / bpms[0]
        self.anchor_ms = float(times[0])  # a downbeat: where the first tempo was given
        self.offset_ms = times[0] - np.ceil(times[0] / first_measure_ms) * first_measure_ms
        rows, starts, kept_bpms = [0], [self.offset_ms], [bpms[0]]
        for time, bpm in zip(times[1:], bpms[1:]):
            ms_per_row = 60000.0 / kept_bpms[-1] / ROWS_PER_BEAT
            exact = rows[-1] + (time - starts[-1]) / ms_per_row
            row = int(snapped_rows([exact], BEAT_SUBDIVISIONS, ms_per_row)[0])
            if row == rows[-1]:
                kept_bpms[-1] = bpm
                continue
            if bpm == kept_bpms[-1]:
                continue
            starts.append(starts[-1] + (row - rows[-1]) * ms_per_row)
            rows.append(row)
            kept_bpms.append(bpm)
        self.rows = np.array(rows, dtype=np.float64)
        self.starts = np.array(starts)
        self.bpms = np.array(kept_bpms)

    @classmethod
    def of(cls, beatmap: IntermediateBeatmap) -> "BeatGrid":
        """The grid of a beatmap's TEMPO column (120 BPM from 0 when the tempo is unknown), snapping to the map's own
        `subdivisions` where its metadata names them (a generated map's: a 10 ms step then reads back on the
        subdivision it was snapped to, not on a triplet a few ms away), else to `BEAT_SUBDIVISIONS`."""
        tempo = beatmap.tempo_changes()
        if tempo.empty:
            logger.warning(f"The beatmap's tempo is unknown; writing {DEFAULT_BPM:g} BPM.")
            tempo = pd.DataFrame({"time": [0.0], "bpm": [DEFAULT_BPM]})
        return cls(tempo, beatmap.meta.get("subdivisions") or BEAT_SUBDIVISIONS)

    def _segment(self, times: np.ndarray) -> np.ndarray:
        return np.maximum(np.searchsorted(self.starts, times, side="right") - 1, 0)

    def candidate_rows(self, times_ms, subdivisions: tuple | None = None) -> tuple[np.ndarray, np.ndarray]:
        """
        Each time's nearest row on each of `subdivisions` (of a beat), and how far it lies.

        Args:
            times_ms (array-like of shape `(num_times,)`): times in ms.
            subdivisions (`tuple[int, ...]`, *optional*): divisors of 48; by default the grid's own.

        Returns:
            `(rows, distance_ms)`, both of shape `(num_times, len(subdivisions))`: the rows (int64, 48 per beat) and
            their distance from the time in ms.
        """
        times = np.asarray(times_ms, dtype=np.float64)
        segment = self._segment(times)
        ms_per_row = self._ms_per_row(segment)
        subdivisions = self.subdivisions if subdivisions is None else subdivisions
        return _candidates(self.rows[segment] + (times - self.starts[segment]) / ms_per_row, subdivisions, ms_per_row)

    def rows_at(
        self, times_ms, subdivisions: tuple | None = None, tolerance_ms: float = SNAP_TOLERANCE_MS
    ) -> np.ndarray:
        """
        Each time snapped to the coarsest of `subdivisions` (of a beat) within `tolerance_ms`, else to the nearest
        row of any of them (with `BEAT_SUBDIVISIONS`, the 48th).

        Args:
            times_ms (array-like of shape `(num_times,)`): times in ms.
            subdivisions (`tuple[int, ...]`, *optional*): divisors of 48, coarsest first; by default the grid's own.
            tolerance_ms (`float`, *optional*, defaults to 5): how far a coarser subdivision may lie.

        Returns:
            `np.ndarray` of shape `(num_times,)`, int64: rows (48 per beat). A time in the song stays in it: one that
            would snap before 0 ms (a note on the song's first step, the beat just before the song) takes the first
            row at or after 0 ms of the coarsest subdivision within `tolerance_ms`, else of the nearest.
        """
        times = np.asarray(times_ms, dtype=np.float64)
        rows = _coarsest(*self.candidate_rows(times, subdivisions), tolerance_ms)
        early = (self.times_at(rows) < 0.0) & (times >= 0.0)
        if early.any():
            steps = ROWS_PER_BEAT // np.array(subdivisions or self.subdivisions, dtype=np.int64)
            row_at_zero = self.rows[0] - self.starts[0] / self._ms_per_row(0)
            first_rows = np.ceil(row_at_zero / steps).astype(np.int64) * steps
            distance = np.abs(self.times_at(first_rows)[None, :] - times[early, None])
            rows[early] = _coarsest(np.broadcast_to(first_rows, distance.shape), distance, tolerance_ms)
        return rows

    def _ms_per_row(self, segment):
        """The length of a row (ms) in each segment (an index or an array of them)."""
        return 60000.0 / self.bpms[segment] / ROWS_PER_BEAT

    def written_at(self, times_ms) -> np.ndarray:
        """Where a writer puts times of an intermediate map (ms): each on its 10 ms step (`snap_to_steps`), then on the
        coarsest subdivision within `SNAP_TOLERANCE_MS` (`rows_at`), as the StepMania, TJA and Frets on Fire writers
        do and, to the millisecond, the osu! writer."""
        return self.times_at(self.rows_at(snap_to_steps(times_ms) * QUANTUM_MS))

    def times_at(self, rows) -> np.ndarray:
        """The time (ms) of each row."""
        rows = np.asarray(rows, dtype=np.float64)
        segment = np.maximum(np.searchsorted(self.rows, rows, side="right") - 1, 0)
        return self.starts[segment] + (rows - self.rows[segment]) * 60000.0 / self.bpms[segment] / ROWS_PER_BEAT

    def beat_ms_at(self, times_ms) -> np.ndarray:
        """The length of a beat (ms) at each time."""
        return 60000.0 / self.bpms[self._segment(np.asarray(times_ms, dtype=np.float64))]


def strictly_increasing(rows: np.ndarray) -> np.ndarray:
    """Rows nudged later where needed so that each is after the one before (notes of one column never share a row)."""
    index = np.arange(len(rows))
    return np.maximum.accumulate(rows - index) + index
