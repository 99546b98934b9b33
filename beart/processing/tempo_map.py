"""The song's tempo map: where a song changes tempo, the sections of steady tempo that the written file's timing
follows (one timing point, `#BPMS` entry, `#BPMCHANGE` or MIDI tempo event per section).

A song played at one tempo keeps its one steady grid (`audio_priors.beat_grid`), untouched. A song that changes
tempo (a bridge at another speed, a medley, a band that speeds up) is fitted by that one grid only where the grid's
tempo holds: elsewhere its beats slide across the music, every note snaps onto a wrong subdivision and the editor
shows a map of 1/16 notes. `tempo_sections` finds the sections:

1. the local beat period of overlapping windows of the flux (`local_beat_periods`: the autocorrelation of the
   window at the first four multiples of each period tried), taken to within half an octave of the song grid's beat;
2. consecutive windows whose periods lie within `MIN_TEMPO_CHANGE` of their group's median form a section, and
   sections shorter than `MIN_SECTION_S` join their nearer neighbour;
3. each section is analysed as a song of its own (`track_beats`, `fit_beat_grid`), its tempo taken at the octave
   nearest the section before's. A section takes the song grid where its own keeps the song grid's tempo (within
   `TEMPO_AGREEMENT`, at the same or another metrical level: x2, x3/2, ...), where its own beats land on less than
   `MIN_SECTION_PULSE` times its mean flux (no pulse to follow), or where the song grid lands on more than
   1/`SECTION_GAIN` of the flux its own beats do; neighbours within `MERGE_TOLERANCE` of one tempo merge and are
   analysed again. Where that leaves one section, the song grid stands as it was;
4. each change goes to the beat of the new section, in its phase or half a beat later (a short section's tracker
   may lock onto its off-beats), where the two grids together land on the most flux (`_changeover`); where that beat
   lies between two beats of the section before, one bridging beat carries that grid onto it (`_bridge`);
5. with the song's bass (`audio_priors.bass_level`), each section's beats, the first's and a steady song's included,
   go to the phase (the grid's or half a beat later) after whose beats the bass sounds louder (`bass_vote`), where it
   tells; the flux cannot tell the beats from off-beats that sound as loud;
6. with the bass, the map's first time moves forward by whole beats to a downbeat (`audio_priors.downbeat_phase`: the
   beat of every four after which the bass sounds loudest, counted on the written grid over the whole song), so that
   the measures written from it (`beat_grid.BeatGrid`) start where the song's do.
"""

import numpy as np
import pandas as pd
from scipy.ndimage import gaussian_filter1d, median_filter
from transformers.utils import logging

from ..beatmaps.beat_grid import BEATS_PER_MEASURE, SNAP_TOLERANCE_MS, BeatGrid
from ..beatmaps.intermediate import ROWS_PER_BEAT
from .audio_priors import (
    BEAT_TRACKER_TEMPO_PRIORS,
    COMB_SMOOTHING_FRAMES,
    FRAMES_PER_SECOND,
    HALF_BEAT_RATIO,
    THIRDS_SWITCH,
    bass_vote,
    downbeat_phase,
    fit_beat_grid,
    track_beats,
)


logger = logging.get_logger(__name__)

SECTION_WINDOW_S = 10.0
SECTION_HOP_S = 2.5
LOCAL_PERIOD_RANGE = (0.5, 2.0)  # of the song grid's beat, searched; then folded to within half an octave of it
LOCAL_PERIOD_STEPS = 555  # a quarter of a percent apart
COMB_MULTIPLES = 4
MIN_TEMPO_CHANGE = 0.03
MERGE_TOLERANCE = 0.01
PERIOD_MEDIAN_WINDOWS = 5
MIN_SECTION_S = 12.0
TEMPO_AGREEMENT = 0.001
METRICAL_RATIOS = (1.0, 2.0, 0.5, 1.5, 2.0 / 3.0, 3.0, 1.0 / 3.0, 4.0, 0.25)
SECTION_GAIN = 1.1
MIN_SECTION_PULSE = 1.2


def local_beat_periods(smoothed: np.ndarray, beat_frames: float) -> tuple[np.ndarray, np.ndarray]:
    """
    The beat period of overlapping windows of a song's smoothed flux (`SECTION_WINDOW_S` long, every
    `SECTION_HOP_S`): the period, within `LOCAL_PERIOD_RANGE` of `beat_frames`, whose first `COMB_MULTIPLES`
    multiples the window's autocorrelation peaks at most, halved or doubled to within half an octave of `beat_frames`
    (a window heard at another metrical level reads the same).

    Args:
        smoothed (`np.ndarray` of shape `(num_frames,)`): the song's spectral flux, one value per 10 ms frame,
            smoothed over `COMB_SMOOTHING_FRAMES` (as `comb_fit` reads it).
        beat_frames (`float`): the beat of the song's steady grid, in frames.

    Returns:
        `(starts, periods)`: the first frame of every window (int64) and its beat period in frames (float64), both of
        shape `(num_windows,)`; empty when the song is shorter than two windows.
    """
    window, hop = int(SECTION_WINDOW_S * FRAMES_PER_SECOND), int(SECTION_HOP_S * FRAMES_PER_SECOND)
    if len(smoothed) < 2 * window:
        return np.zeros(0, np.int64), np.zeros(0)
    starts = np.arange(0, len(smoothed) - window + 1, hop)
    windows = smoothed[starts[:, None] + np.arange(window)[None, :]]
    windows = windows - windows.mean(axis=1, keepdims=True)
    spectrum = np.fft.rfft(windows, n=2 * window, axis=1)
    autocorrelation = np.fft.irfft(np.abs(spectrum) ** 2, axis=1)[:, :window]
    autocorrelation /= window - np.arange(window)[None, :]  # unbiased: each lag's mean product
    periods = beat_frames * np.geomspace(*LOCAL_PERIOD_RANGE, LOCAL_PERIOD_STEPS)
    lags = np.minimum(periods[:, None] * np.arange(1, COMB_MULTIPLES + 1)[None, :], window - 2)
    below = np.floor(lags).astype(np.int64)
    fraction = lags - below
    values = autocorrelation[:, below] * (1.0 - fraction) + autocorrelation[:, below + 1] * fraction
    best = periods[np.argmax(values.sum(axis=2), axis=1)]
    return starts, best * 2.0 ** np.round(np.log2(beat_frames / best))


def _groups(periods: np.ndarray, min_windows: int) -> list[list[int]]:
    """Consecutive windows whose periods lie within `MIN_TEMPO_CHANGE` of their group's median, groups shorter than
    `min_windows` joined to the neighbour of the nearer period, neighbours within `MIN_TEMPO_CHANGE` merged."""
    groups = [[0]]
    for index in range(1, len(periods)):
        median = np.median(periods[groups[-1]])
        if abs(np.log(periods[index] / median)) <= np.log1p(MIN_TEMPO_CHANGE):
            groups[-1].append(index)
        else:
            groups.append([index])
    while len(groups) > 1:
        shortest = min(range(len(groups)), key=lambda g: len(groups[g]))
        if len(groups[shortest]) >= min_windows:
            break
        median = np.median(periods[groups[shortest]])
        neighbours = [g for g in (shortest - 1, shortest + 1) if 0 <= g < len(groups)]
        into = min(neighbours, key=lambda g: abs(np.log(np.median(periods[groups[g]]) / median)))
        groups[into] = sorted(groups[into] + groups[shortest])
        del groups[shortest]
    merged = [groups[0]]
    for group in groups[1:]:
        if abs(np.log(np.median(periods[group]) / np.median(periods[merged[-1]]))) <= np.log1p(MIN_TEMPO_CHANGE):
            merged[-1] = merged[-1] + group
        else:
            merged.append(group)
    return merged


def _beat_frames(grid: tuple, start: int, end: int, num_frames: int) -> np.ndarray:
    """The beats (fractional frames) of a grid `(bpm, a beat's time in ms)` between frames `start` and `end`, within
    the song's `num_frames` frames (the last one excluded, so that a value can be interpolated at each)."""
    bpm, phase_ms = grid
    period, phase = 60.0 * FRAMES_PER_SECOND / bpm, phase_ms * FRAMES_PER_SECOND / 1000.0
    positions = phase + period * np.arange(np.ceil((start - phase) / period), np.floor((end - 1 - phase) / period) + 1)
    return positions[(positions >= 0) & (positions < num_frames - 1)]


def _grid_beats(smoothed: np.ndarray, grid: tuple, start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
    """The beats (fractional frames, `_beat_frames`) of a grid between frames `start` and `end`, and the smoothed
    flux at each (linearly interpolated)."""
    positions = _beat_frames(grid, start, end, len(smoothed))
    return positions, np.interp(positions, np.arange(len(smoothed)), smoothed)


def _mean_flux(smoothed: np.ndarray, grid: tuple, start: int, end: int) -> float:
    """The mean smoothed flux at a grid's beats between frames `start` and `end` (0 without beats there)."""
    flux_at_beats = _grid_beats(smoothed, grid, start, end)[1]
    return float(flux_at_beats.mean()) if len(flux_at_beats) else 0.0


def _section_grid(flux: np.ndarray, start: int, end: int) -> tuple[float, float] | None:
    """The steady grid of frames `start`-`end` analysed as a song of its own (`track_beats`, `fit_beat_grid`), its
    beat's time on the song's time line; `None` where it has too few beats."""
    section = flux[start:end]
    if not section.any():
        return None
    grid = fit_beat_grid(section, track_beats(section, BEAT_TRACKER_TEMPO_PRIORS, HALF_BEAT_RATIO, THIRDS_SWITCH))
    return None if grid is None else (grid[0], grid[1] + 1000.0 * start / FRAMES_PER_SECOND)


def _keeps_song_grid(smoothed: np.ndarray, own: tuple | None, song: tuple, start: int, end: int) -> bool:
    """Whether a section (frames `start`-`end`, its own grid `own`) follows the song grid `song`: its tempo is the
    song grid's at some metrical level (`METRICAL_RATIOS`) within `TEMPO_AGREEMENT`; or its own beats land on less
    than `MIN_SECTION_PULSE` times the section's mean flux (no pulse to follow); or the song grid, as it is or at the
    level nearest the section's tempo, lands on no less than 1/`SECTION_GAIN` of the flux its own beats land on."""
    if own is None:
        return True
    distance = np.abs(np.log(own[0] / (song[0] * np.array(METRICAL_RATIOS))))
    if distance.min() <= np.log1p(TEMPO_AGREEMENT):
        return True
    level = (song[0] * METRICAL_RATIOS[int(np.argmin(distance))], song[1])
    own_flux = _mean_flux(smoothed, own, start, end)
    if own_flux < MIN_SECTION_PULSE * smoothed[start:end].mean():
        return True
    song_flux = max(_mean_flux(smoothed, song, start, end), _mean_flux(smoothed, level, start, end))
    return own_flux < SECTION_GAIN * song_flux


def _changeover(smoothed: np.ndarray, before: tuple, after: tuple, lo: int, hi: int) -> tuple[float, float]:
    """
    Where between frames `lo` and `hi` the song leaves grid `before` for grid `after`: the beat of `after` that
    maximises the flux above the stretch's mean at `before`'s beats before it plus at `after`'s beats from it on.

    Returns:
        `(time_ms, score)`: the change, and the flux it gathers; `(hi in ms, -inf)` where `after` has no beat there.
    """
    mean = smoothed[lo:hi].mean()
    old, old_flux = _grid_beats(smoothed, before, lo, hi)
    new, new_flux = _grid_beats(smoothed, after, lo, hi)
    if not len(new):
        return 1000.0 * hi / FRAMES_PER_SECOND, -np.inf
    scores = np.concatenate(([0.0], np.cumsum(old_flux - mean)))[np.searchsorted(old, new)]
    scores += np.cumsum((new_flux - mean)[::-1])[::-1]
    best = int(np.argmax(scores))
    return 1000.0 * new[best] / FRAMES_PER_SECOND, float(scores[best])


def _bass_phases(bass: np.ndarray | None, grid: tuple, start: int, end: int) -> list[tuple[float, float]]:
    """The phases that frames `start`-`end` of a grid `(bpm, a beat's time in ms)` may take: the grid, or the grid
    half a beat later, where the bass tells which (`bass_vote`); both where it does not, or without `bass`."""
    half_beat_later = (grid[0], grid[1] + 30000.0 / grid[0])
    if bass is None:
        return [grid, half_beat_later]
    vote = bass_vote(bass, _beat_frames(grid, start, end, len(bass)))
    return {1: [grid], -1: [half_beat_later], 0: [grid, half_beat_later]}[vote]


def _steady_map(song: tuple, bass: np.ndarray | None, num_frames: int) -> pd.DataFrame:
    """The tempo map of a song of `num_frames` frames that keeps its grid `song` throughout: one row, in the phase
    the song's bass says (`_bass_phases`)."""
    on_the_beat = _bass_phases(bass, song, 0, num_frames)[0]
    return pd.DataFrame({"time": [on_the_beat[1]], "bpm": [song[0]]})


def on_downbeat(tempo: pd.DataFrame, bass: np.ndarray) -> pd.DataFrame:
    """
    The tempo map with its first time moved forward by whole beats onto the song's first downbeat from it (step 6 of
    the module docstring): the written grid's beats over the song, counted in measures from the first time, and the
    place in the measure after which the bass sounds loudest (`downbeat_phase`). Unchanged where the move would pass
    the next tempo.

    Args:
        tempo (`pd.DataFrame`): `time` (ms) and `bpm` of each section, in time order.
        bass (`np.ndarray` of shape `(num_frames,)`): the song's `bass_level`.
    """
    grid = BeatGrid(tempo)
    last_row = grid.rows_at([1000.0 * len(bass) / FRAMES_PER_SECOND], (1,))[0]
    beat_frames = grid.times_at(np.arange(0, last_row, ROWS_PER_BEAT)) * FRAMES_PER_SECOND / 1000.0
    first_measure = -(-int(np.searchsorted(beat_frames, 0.0)) // BEATS_PER_MEASURE) * BEATS_PER_MEASURE  # in the song
    phase = downbeat_phase(bass, beat_frames[first_measure:], BEATS_PER_MEASURE)
    moved = tempo["time"].iloc[0] + phase * 60000.0 / grid.bpms[0]  # the written beat (a slow tempo's doubled)
    if phase == 0 or (len(tempo) > 1 and moved >= tempo["time"].iloc[1]):
        return tempo
    logger.debug(f"The song's measures start {phase} beat(s) after its first beat: at {moved / 1000:.2f} s.")
    return tempo.assign(time=np.r_[moved, tempo["time"].to_numpy()[1:]])


def tempo_sections(
    flux: np.ndarray, grid: tuple[float, float], bass: np.ndarray | None = None, downbeat: bool = True
) -> pd.DataFrame:  # fmt: skip
    """
    The song's tempo map: one row per section of steady tempo; `grid` alone where the song keeps one tempo (see the
    module docstring), its first time on a downbeat where `bass` tells one (`on_downbeat`).

    Args:
        flux (`np.ndarray` of shape `(num_frames,)`): the song's spectral flux, one value per 10 ms frame.
        grid (`tuple[float, float]`): `(bpm, first_beat_ms)` of the song's steady grid (`audio_priors.beat_grid`).
        bass (`np.ndarray` of shape `(num_frames,)`, *optional*): the song's `bass_level`; with it each section's
            beats go where the bass says the song's beats are (its first beat then may move by half a beat), and the
            first time to a downbeat.
        downbeat (`bool`, *optional*, defaults to `True`): with `bass`, move the first time to a downbeat.

    Returns:
        `pd.DataFrame` with columns `time` (ms: a beat of the section; the first section's beat nearest `grid`'s first
        beat, or with `bass` the downbeat up to 3 beats after it) and `bpm`, one row per section in time order.
    """
    tempo = _sections(flux, grid, bass)
    return on_downbeat(tempo, bass) if bass is not None and downbeat else tempo


def _sections(flux: np.ndarray, grid: tuple[float, float], bass: np.ndarray | None) -> pd.DataFrame:
    """`tempo_sections` before its first time goes to a downbeat."""
    song = (float(grid[0]), float(grid[1]))
    flux = np.asarray(flux, dtype=np.float64).reshape(-1)
    smoothed = gaussian_filter1d(flux, COMB_SMOOTHING_FRAMES)
    starts, periods = local_beat_periods(smoothed, 60.0 * FRAMES_PER_SECOND / song[0])
    if len(starts) < 2:
        return _steady_map(song, bass, len(flux))
    periods = np.exp(median_filter(np.log(periods), size=PERIOD_MEDIAN_WINDOWS, mode="nearest"))
    groups = _groups(periods, int(np.ceil(MIN_SECTION_S / SECTION_HOP_S)))
    if len(groups) == 1:
        return _steady_map(song, bass, len(flux))
    window = int(SECTION_WINDOW_S * FRAMES_PER_SECOND)
    bounds = [0] + [int(starts[group[0]]) + window // 2 for group in groups[1:]] + [len(flux)]
    sections = [[start, end] for start, end in zip(bounds[:-1], bounds[1:])]
    analysed = {}  # (start, end) -> the section's own grid: a merge re-analyses only the merged section
    while True:
        grids = []
        for start, end in sections:
            if (start, end) not in analysed:
                analysed[start, end] = _section_grid(flux, start, end)
            own = analysed[start, end]
            if own is not None and grids:  # the metrical level nearest the section before's
                own = (own[0] * 2.0 ** np.round(np.log2(grids[-1][0] / own[0])), own[1])
            grids.append(song if _keeps_song_grid(smoothed, own, song, start, end) else own)
        same = [
            index for index in range(1, len(sections))
            if abs(np.log(grids[index][0] / grids[index - 1][0])) <= np.log1p(MERGE_TOLERANCE)
        ]  # fmt: skip
        if not same:
            break
        sections[same[0] - 1][1] = sections[same[0]][1]
        del sections[same[0]]
    if len(sections) == 1:
        return _steady_map(song, bass, len(flux))
    rows = []  # (time, bpm)
    for index, ((start, end), own) in enumerate(zip(sections, grids)):
        phases = _bass_phases(bass, own, start, end)  # a section's own phase may lock onto its off-beats
        if index == 0:
            beat_ms = 60000.0 / own[0]
            rows.append((phases[0][1] + beat_ms * round((song[1] - phases[0][1]) / beat_ms), own[0]))
            grids[0] = phases[0]
            continue
        lo, hi = max(start - window, sections[index - 1][0]), min(start + window // 2, end)
        changes = [_changeover(smoothed, grids[index - 1], phase, lo, hi) for phase in phases]
        change_ms = max(changes, key=lambda change: change[1])[0]
        rows += [row for row in _bridge(change_ms, grids[index - 1]) if row[0] > rows[-1][0]]
        rows.append((max(change_ms, rows[-1][0] + 1.0), own[0]))
        grids[index] = (own[0], change_ms)  # its beats as written, in the phase taken: the next change follows them
    changes = ", ".join(f"{bpm:.2f} BPM from {time / 1000:.1f} s" for time, bpm in rows)
    logger.info(f"The song changes tempo: {changes}.")
    return pd.DataFrame(rows, columns=["time", "bpm"]).astype(np.float64)


def _bridge(change_ms: float, before: tuple) -> list[tuple[float, float]]:
    """
    The one beat that carries the grid `before` onto a new section's first beat at `change_ms`: a written file counts
    beats across a change of tempo (StepMania's and TJA's rows, MIDI's ticks), so a section that starts between two
    beats of the one before would have its beats drawn off its music. Where `change_ms` lies within
    `SNAP_TOLERANCE_MS` of a beat of `before`, none is needed (the change goes to that beat); else one beat, from the
    beat of `before` half a beat to a beat and a half before `change_ms`, at the tempo that ends it there.

    Returns:
        `[(time_ms, bpm)]` of the bridging beat, or `[]`.
    """
    beat_ms = 60000.0 / before[0]
    beats_in = (change_ms - before[1]) / beat_ms
    if abs(beats_in - round(beats_in)) * beat_ms <= SNAP_TOLERANCE_MS:
        return []
    start_ms = before[1] + np.floor(beats_in - 0.5) * beat_ms
    return [(float(start_ms), 60000.0 / (change_ms - start_ms))]
