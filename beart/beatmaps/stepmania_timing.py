"""StepMania's timing engine: a chart's `#OFFSET`, `#BPMS`, `#STOPS`, `#DELAYS`, `#WARPS` and `#FAKES` turned into the
time (seconds) of every beat row (48 per beat), and whether a note on a row can be hit.

A note at beat B sounds at
`seconds(B) = -OFFSET + (time of the beats before B at their #BPMS, warped beats counting 0)
+ (#STOPS before B) + (#DELAYS at or before B)`:
a stop pauses after the notes on its beat, a delay before them. Notes inside a warp (`#WARPS` beat=length, from its
start up to its end) or a fake segment (`#FAKES`) cannot be hit, unless a stop or delay sits on their beat.
"""

from dataclasses import dataclass

import numpy as np

from .beat_grid import ROWS_PER_BEAT
from .errors import BeatmapError


def _segments(entry, what: str, where: str) -> np.ndarray:
    """`beat=value` pairs of a timing entry as an array `(n, 2)`: beat rows and values."""
    if entry is None or not entry.value.strip():
        return np.zeros((0, 2))
    pairs = []
    for item in entry.value.split(","):
        if not item.strip():
            continue
        parts = item.split("=")
        try:
            beat, value = float(parts[0]), float(parts[1])
        except (ValueError, IndexError):
            raise BeatmapError(f"{where}, line {entry.line}: #{what} holds {item.strip()!r}, not beat=value.")
        row = beat * ROWS_PER_BEAT  # a beat near the float limit overflows here
        if not (np.isfinite(row) and np.isfinite(value)):
            raise BeatmapError(
                f"{where}, line {entry.line}: #{what} holds a non-finite or out-of-range number in {item.strip()!r}."
            )
        pairs.append((round(row), value))
    segments = np.array(pairs, dtype=np.float64).reshape(-1, 2)
    return segments[np.argsort(segments[:, 0], kind="stable")]


def _pauses_before(pauses: np.ndarray, rows: np.ndarray, side: str) -> np.ndarray:
    """Seconds of the pauses (`(n, 2)` rows and seconds, sorted) before each row (`side="left"`) or at or before it
    (`side="right"`)."""
    if not len(pauses):
        return np.zeros(len(rows))
    return np.concatenate(([0.0], np.cumsum(pauses[:, 1])))[np.searchsorted(pauses[:, 0], rows, side=side)]


def _inside_spans(spans: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Whether each row lies in one of the merged `(n, 2)` spans, from a start up to (not including) its end."""
    if not len(spans):
        return np.zeros(len(rows), dtype=bool)
    index = np.searchsorted(spans[:, 0], rows, side="right") - 1
    return (index >= 0) & (rows < spans[np.maximum(index, 0), 1])


@dataclass
class StepManiaTiming:
    """
    The timing of one chart, with every beat as a row (48 per beat).

    Args:
        offset (`float`): `#OFFSET` in seconds.
        bpms (`np.ndarray`): `(n, 2)` rows and BPMs; the first applies from row 0 (and before it), wherever it is
            written.
        stops, delays (`np.ndarray`): `(n, 2)` rows and pause lengths in seconds.
        warps, fakes (`np.ndarray`): `(n, 2)` rows and lengths in beats.
    """

    offset: float
    bpms: np.ndarray
    stops: np.ndarray
    delays: np.ndarray
    warps: np.ndarray
    fakes: np.ndarray

    @classmethod
    def from_entries(cls, entries: dict, where: str) -> "StepManiaTiming":
        offset_entry = entries.get("OFFSET")
        try:
            offset = float(offset_entry.value) if offset_entry and offset_entry.value.strip() else 0.0
        except ValueError:
            raise BeatmapError(f"{where}, line {offset_entry.line}: #OFFSET {offset_entry.value!r} is not a number.")
        if not np.isfinite(offset):
            raise BeatmapError(f"{where}, line {offset_entry.line}: #OFFSET {offset_entry.value!r} is not finite.")
        bpms = _segments(entries.get("BPMS"), "BPMS", where)
        if not len(bpms):
            raise BeatmapError(f"{where}: no #BPMS, so the notes cannot be timed.")
        if (bpms[:, 1] <= 0).any():
            line = entries["BPMS"].line
            raise BeatmapError(
                f"{where}, line {line}: #BPMS holds a BPM of {bpms[bpms[:, 1] <= 0][0, 1]:g}; negative and zero BPMs "
                "(an old way of writing warps) are not supported, use #WARPS."
            )
        stops = _segments(entries.get("STOPS"), "STOPS", where)
        delays = _segments(entries.get("DELAYS"), "DELAYS", where)
        for name, pauses in (("STOPS", stops), ("DELAYS", delays)):
            if (pauses[:, 1] < 0).any():
                raise BeatmapError(f"{where}, line {entries[name].line}: #{name} holds a negative pause.")
        return cls(
            offset=offset,
            bpms=bpms,
            stops=stops,
            delays=delays,
            warps=_segments(entries.get("WARPS"), "WARPS", where),
            fakes=_segments(entries.get("FAKES"), "FAKES", where),
        )

    def _bpm_seconds(self, rows: np.ndarray) -> np.ndarray:
        """Seconds from row 0 to each row at the BPMs alone (negative before row 0)."""
        starts = self.bpms[:, 0].copy()
        starts[0] = 0.0
        seconds_per_row = 60.0 / self.bpms[:, 1] / ROWS_PER_BEAT
        start_seconds = np.concatenate(([0.0], np.cumsum(np.diff(starts) * seconds_per_row[:-1])))
        segment = np.maximum(np.searchsorted(starts, rows, side="right") - 1, 0)
        return start_seconds[segment] + (rows - starts[segment]) * seconds_per_row[segment]

    def _spans(self, segments: np.ndarray) -> np.ndarray:
        """`(n, 2)` start and end rows of segments given as (row, length in beats), overlapping ones merged."""
        if not len(segments):
            return np.zeros((0, 2))
        spans = np.stack([segments[:, 0], segments[:, 0] + np.round(segments[:, 1] * ROWS_PER_BEAT)], axis=1)
        spans = spans[np.argsort(spans[:, 0], kind="stable")]
        reach = np.maximum.accumulate(spans[:, 1])
        starts_new = np.concatenate(([True], spans[1:, 0] > reach[:-1]))
        group = np.cumsum(starts_new) - 1
        merged_starts = spans[starts_new, 0]
        merged_ends = np.zeros(len(merged_starts))
        np.maximum.at(merged_ends, group, spans[:, 1])
        return np.stack([merged_starts, merged_ends], axis=1)

    def seconds_at(self, rows) -> np.ndarray:
        """The time (seconds of audio) at which a note on each row is hit (time linear in notes plus segments)."""
        rows = np.asarray(rows, dtype=np.float64)
        seconds = self._bpm_seconds(rows)
        warps = self._spans(self.warps)
        if len(warps):
            warped_seconds = self._bpm_seconds(warps[:, 1]) - self._bpm_seconds(warps[:, 0])
            passed = np.searchsorted(warps[:, 1], rows, side="right")  # warps ended at or before each row
            seconds -= np.concatenate(([0.0], np.cumsum(warped_seconds)))[passed]
            inside = passed < len(warps)
            start = warps[np.minimum(passed, len(warps) - 1), 0]
            inside &= rows > start
            seconds -= np.where(inside, self._bpm_seconds(rows) - self._bpm_seconds(start), 0.0)
        seconds += _pauses_before(self.stops, rows, side="left")  # a stop pauses after the notes on its beat
        seconds += _pauses_before(self.delays, rows, side="right")  # a delay before them
        return seconds - self.offset

    def hittable(self, rows) -> np.ndarray:
        """Whether a note on each row can be hit: not inside a warp or fake segment, unless a pause sits on it."""
        rows = np.asarray(rows, dtype=np.float64)
        paused = np.isin(rows, np.concatenate((self.stops[:, 0], self.delays[:, 0])))
        warped = _inside_spans(self._spans(self.warps), rows) & ~paused
        return ~(warped | _inside_spans(self._spans(self.fakes), rows))
