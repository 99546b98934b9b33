"""Where a chart's notes sit against its audio's onsets: how far it is shifted off its song (a chart's offset, a game's
latency), and whether it follows the song's onsets at all.

The onsets are the peaks of the spectral flux of the song's 10 ms frames (`librosa.onset.onset_detect`), where asked
placed at the tops of the peaks, between two frames. A chart's shift (`chart_shift_ms`) is the whole number of 10 ms
steps, within `MAX_SHIFT_MS` either way, that puts the most of its note starts within `TOLERANCE_MS` of an onset;
among equally good shifts, the one whose close notes lie nearest their onsets. `beart dataset build --align-to-onsets`
moves every map by its shift before training.

A chart's offset (`chart_timing`, what `beart check --audio` reports) is finer: the median distance, note minus onset,
of the notes close to an onset at that shift (the onsets at the tops of their peaks), less the lead of those tops on
the attacks a charter hears (`ONSET_LEAD_MS`); each third of its notes is timed alone too (`TIMED_PARTS`), so that a
tempo that drifts shows. At `MAX_OFFSET_MS` or more, as a whole or in a third, or with thirds as far apart, a chart
is off its song (`ChartTiming.off`). An offset is told only where the chart follows its onsets: at its shift, at least
`MIN_PEAK_RATIO` times the share of its notes close to an onset that a shift of the chart typically finds (the median
over the shifts), so that notes on a grid the audio does not mark, or on attacks the flux misses, are not said to be
off.
"""

from dataclasses import dataclass

import librosa
import numpy as np

from .audio_priors import FRAMES_PER_SECOND, spectral_flux


MAX_SHIFT_MS = 60.0
TOLERANCE_MS = 20.0
SHIFT_STEP_MS = 1000.0 / FRAMES_PER_SECOND
# The tops of the flux's peaks lie a few ms before the attacks charters mark: the median offset (note minus refined
# onset) of the Taiko and StepMania charts of the training and development songs of examples/real_music_split.py, games
# whose charts are timed to the millisecond, is +3.4 ms (33 charts, -2.2 to +6.2 ms each; `python
# examples/chart_offsets.py ../shared/corpus --split train dev`).
ONSET_LEAD_MS = 3.4
MIN_PEAK_RATIO = 2.0
MAX_OFFSET_MS = 20.0  # a chart this far or farther off its song's attacks is off (`beart check --audio` fails it)
PEAK_SEARCH_FRAMES = 2
MIN_TIMED_NOTES = 20
# A chart is timed in thirds of its notes too: a wrong tempo drifts off the song though its whole reads near 0. Per
# third, the human charts of the 14 real songs of examples/real_music_split.py lie within 8 ms of one another, but for
# armygeddon's two easiest (12-13 ms; `python examples/chart_offsets.py ../shared/corpus`).
TIMED_PARTS = 3


def audio_onsets_ms(mel_slices: np.ndarray, flux: np.ndarray | None = None, refine: bool = False) -> np.ndarray:
    """
    The onsets of a song, sorted.

    Args:
        mel_slices (`np.ndarray` of shape `(num_slices, groups, mel_bands)`): the song's mel slices.
        flux (`np.ndarray` of shape `(num_slices, groups)`, *optional*): their `spectral_flux`, if computed already.
        refine (`bool`, *optional*, defaults to `False`): place each onset at the top of its peak of the flux (the
            largest frame from the onset's to `PEAK_SEARCH_FRAMES` after it), between frames: the top of a parabola
            through that frame's flux and its neighbours'. Librosa's onsets lie on the rising edge of a peak, where
            it first passes its surroundings; the peak's top is a point of the attack whatever its rise.

    Returns:
        `np.ndarray` of shape `(num_onsets,)`: times in ms, float64.
    """
    flux = (spectral_flux(mel_slices) if flux is None else flux).reshape(-1).astype(np.float64)
    if not flux.any():
        return np.zeros(0)
    frames = librosa.onset.onset_detect(onset_envelope=flux, sr=FRAMES_PER_SECOND, hop_length=1).astype(np.int64)
    position = frames.astype(np.float64)
    if refine and len(flux) >= 3:
        ahead = np.clip(frames[:, None] + np.arange(PEAK_SEARCH_FRAMES + 1)[None, :], 0, len(flux) - 1)
        top = np.clip(ahead[np.arange(len(frames)), np.argmax(flux[ahead], axis=1)], 1, len(flux) - 2)
        before, peak, after = flux[top - 1], flux[top], flux[top + 1]
        curvature = before - 2.0 * peak + after
        peaked = (curvature < 0) & (peak >= before) & (peak >= after)
        step = np.where(peaked, 0.5 * (before - after) / np.where(peaked, curvature, -1.0), 0.0)
        position = top + step
    return position * SHIFT_STEP_MS


def nearest_onset_distance(times_ms: np.ndarray, onsets_ms: np.ndarray) -> np.ndarray:
    """
    How far each time lies from its nearest onset, onset minus time (ms).

    Args:
        times_ms (`np.ndarray` of any shape): the times.
        onsets_ms (`np.ndarray` of shape `(num_onsets,)`): sorted onsets, at least one.

    Returns:
        `np.ndarray` of the shape of `times_ms`.
    """
    if len(onsets_ms) == 1:
        return onsets_ms[0] - times_ms
    index = np.clip(np.searchsorted(onsets_ms, times_ms), 1, len(onsets_ms) - 1)
    before, after = onsets_ms[index - 1] - times_ms, onsets_ms[index] - times_ms
    return np.where(np.abs(before) <= np.abs(after), before, after)


def _shift_scores(note_starts_ms: np.ndarray, onsets_ms: np.ndarray, max_shift_ms: float):
    """The shifts tried, and for each the notes' distances to their nearest onsets `(num_shifts, num_notes)`."""
    shifts = np.arange(-max_shift_ms, max_shift_ms + 1, SHIFT_STEP_MS)
    return shifts, nearest_onset_distance(note_starts_ms[None, :] + shifts[:, None], onsets_ms)


def _best_shift(distance: np.ndarray) -> int:
    """The index of the shift with the most notes within `TOLERANCE_MS` of an onset, the nearest of them among
    equals (`distance` as `_shift_scores` gives it)."""
    nearest = np.abs(distance)
    close = nearest <= TOLERANCE_MS
    hits = close.sum(axis=1)
    mean_distance = np.where(close, nearest, 0.0).sum(axis=1) / np.maximum(hits, 1)
    best = np.flatnonzero(hits == hits.max())
    return int(best[np.argmin(mean_distance[best])])


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
    shifts, distance = _shift_scores(np.asarray(note_starts_ms, np.float64), onsets_ms, max_shift_ms)
    return float(shifts[_best_shift(distance)])


@dataclass
class ChartTiming:
    """
    Where a chart's notes sit against its audio's onsets (`chart_timing`).

    Args:
        offset_ms (`float` or `None`): the median time of its notes less that of the attacks they mark (negative:
            early); `None` where the chart does not follow the onsets closely enough to tell (see `follows`).
        matched_share (`float`): the share of its distinct note starts within `TOLERANCE_MS` of an onset at its best
            shift.
        chance_share (`float`): the same share, the median over the shifts tried: what notes placed without the
            audio would find.
        num_notes (`int`): its distinct note starts.
        part_offsets_ms (`tuple[float | None, ...]`): the offset of each of `TIMED_PARTS` parts of its note starts in
            time order (as many notes each), timed alone; empty for a part's own timing.
    """

    offset_ms: float | None
    matched_share: float
    chance_share: float
    num_notes: int
    part_offsets_ms: tuple = ()

    @property
    def follows(self) -> bool:
        """Whether the offset could be told: enough notes, and many more close to onsets at the shift than by
        chance."""
        return self.offset_ms is not None

    @property
    def drift_ms(self) -> float | None:
        """How far apart the parts that could be timed lie (the latest less the earliest offset); `None` under two."""
        told = [offset for offset in self.part_offsets_ms if offset is not None]
        return max(told) - min(told) if len(told) >= 2 else None

    @property
    def off(self) -> bool:
        """Whether the chart sits off its song: as a whole, or in a part, `MAX_OFFSET_MS` or more early or late, or
        its parts as far apart (a tempo that drifts)."""
        offsets = [offset for offset in (self.offset_ms, *self.part_offsets_ms) if offset is not None]
        drift = self.drift_ms
        return any(abs(offset) >= MAX_OFFSET_MS for offset in offsets) or (drift is not None and drift >= MAX_OFFSET_MS)


def chart_timing(
    note_starts_ms: np.ndarray, onsets_ms: np.ndarray, max_shift_ms: float = MAX_SHIFT_MS, parts: int = TIMED_PARTS
) -> ChartTiming:
    """
    How far a chart sits off its audio (see the module docstring).

    Args:
        note_starts_ms (`np.ndarray` of shape `(num_notes,)`): the chart's note starts, in any order; a chord's notes
            count once.
        onsets_ms (`np.ndarray` of shape `(num_onsets,)`): the audio's onsets, sorted (`audio_onsets_ms` with
            `refine=True`).
        max_shift_ms (`float`, *optional*): the largest shift looked at either way.
        parts (`int`, *optional*, defaults to `TIMED_PARTS`): the parts of the notes timed alone as well; 1 for none.

    Returns:
        `ChartTiming`.
    """
    starts = np.unique(np.asarray(note_starts_ms, dtype=np.float64))
    if len(starts) == 0 or len(onsets_ms) == 0:
        return ChartTiming(None, 0.0, 0.0, len(starts))
    shifts, distance = _shift_scores(starts, onsets_ms, max_shift_ms)
    shares = (np.abs(distance) <= TOLERANCE_MS).mean(axis=1)
    best = _best_shift(distance)
    shift, at_shift = shifts[best], distance[best]
    close = np.abs(at_shift) <= TOLERANCE_MS
    matched, chance = float(close.mean()), float(np.median(shares))
    follows = len(starts) >= MIN_TIMED_NOTES and matched >= MIN_PEAK_RATIO * chance and close.any()
    offset = -(float(shift) + float(np.median(at_shift[close]))) - ONSET_LEAD_MS if follows else None
    part_offsets = tuple(
        chart_timing(part, onsets_ms, max_shift_ms, parts=1).offset_ms for part in np.array_split(starts, parts)
    ) if parts > 1 else ()  # fmt: skip
    return ChartTiming(offset, matched, chance, len(starts), part_offsets)
