"""What a ranking reviewer checks in a map, as rules: every object on the beat grid of the written timing, no two
objects of one track closer than a hittable gap, no burst far denser than the rest of the map. `make_playable` applies
the rules to a generated map before it is written; `check_playability` lists where a map breaks them
(`beart check`).

- **Snapped**: each object's start (and a hold's end) lies on a subdivision of the beat of the map's TEMPO grid
  (`beart.beatmaps.beat_grid`): 1/1, 1/2, 1/3, 1/4, 1/6, 1/8, 1/12 or 1/16, the divisors of the osu! editor and of
  StepMania's and TJA's measures. `beart check` reads an osu! file on its own times and timing points (each red
  line starting its beats where it stands; a mania map on its own columns), and a StepMania, TJA or Frets on Fire
  file where it writes its notes (`BeatmapSet.timed`: rows of a measure, MIDI ticks, whatever stops and delays its
  timing holds), each within 2 ms of a subdivision, as the editors show them. Other maps are checked on their
  intermediate 10 ms grid: a time is snapped when it lies within half a step (plus 1 ms) of a subdivision, and as
  the TEMPO column does not keep where the beats fall, the check takes the phase that suits the map best. A
  guitar's sustain (Frets on Fire, Clone Hero: `TimedChart.legato`) runs until the next note of its fret, where the
  game lets it go, and charts end it a few ticks before the grid: its end is not checked for snapping, and the next
  note is close when it starts close to the sustain's start.
  `make_playable` snaps a generated map to the subdivisions its metadata names (`subdivisions`: the pipeline's
  `SongAnalysis.subdivisions`, triplets only where the song swings in threes), else to all of these.
- **Hold length**: `make_playable` turns a hold shorter than the hittable gap below (a quarter beat, 50-100 ms) into
  a hit; `check_playability` reports holds shorter than an eighth of a beat (30-50 ms), which a player cannot tell
  from a hit. Of the 9,949 holds in the shared corpus's real charts (StepMania, TJA, Frets on Fire) 0.2% are shorter
  than a quarter beat and none shorter than an eighth.
- **Hittable gap**: `make_playable` keeps a quarter of a beat at the local tempo, between 50 ms and 100 ms (a 16th
  note at 150-300 BPM), between an object and the end of the previous one of its track (a hold ends when it is
  released); on one-track modes (osu!standard, catch) that also keeps a slider from starting on top of a circle, and
  on taiko, whose don and kat share one lane, the gap is kept across the two tracks (`one_lane`). Taiko's drum is hit
  with alternating hands (`two_hands`), where Oni charts run sextuplets and 32nds: there the gap is an eighth of a
  beat, 30-50 ms, the near-duplicate gap below (`beart.beatmaps.tracks.TWO_HAND_MODES`).
  `check_playability` reports as near-duplicates only objects closer than an eighth of a beat, between 30 ms and 50 ms
  (doubles no player can hit apart; human charts hold 16th and sextuplet streams, and guitar trills folded onto one
  track, above it), measured where the objects lie on the grid (a run of 32nds read on the 10 ms grid falls 40 and
  50 ms apart in turn).
- **Density spike**: a second of the map holding more than three times the map's median density of busy seconds and
  more than 8 objects.
- **In the song**: `check_playability` reports objects that start before the song does (before 0 ms, where a chart's
  offset, a Frets on Fire `delay` or a `.chart`'s `Offset`, can put them), which no game plays against the song and
  beart's readers leave out.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from transformers.utils import logging

from .beat_grid import BeatGrid, snapped_rows
from .beatmap_set import BeatmapSet
from .intermediate import FLAG_COLUMNS, QUANTUM_MS, ROWS_PER_BEAT, IntermediateBeatmap
from .tracks import ONE_LANE_MODES, tracks_for_mode


logger = logging.get_logger(__name__)

PLAYABLE_SUBDIVISIONS = (1, 2, 3, 4, 6, 8, 12, 16)
BINARY_SUBDIVISIONS = (1, 2, 4, 8, 16)  # without the triplets
SNAPPED_WITHIN_MS = QUANTUM_MS / 2 + 1.0
FILE_SNAPPED_WITHIN_MS = 2.0
HITTABLE_GAP_MS = (50.0, 100.0)
NEAR_DUPLICATE_MS = (30.0, 50.0)
SPIKE_WINDOW_MS = 1000.0
SPIKE_FACTOR = 3.0
SPIKE_MIN_OBJECTS = 8


def hittable_gap_ms(beat_ms, two_hands: bool = False) -> np.ndarray:
    """The gap (ms) `make_playable` keeps between two objects of one track at a tempo whose beat lasts `beat_ms`: a
    quarter of a beat, or with `two_hands` (a drum hit with alternating hands) the near-duplicate gap."""
    if two_hands:
        return near_duplicate_ms(beat_ms)
    return np.clip(np.asarray(beat_ms, dtype=np.float64) / 4.0, *HITTABLE_GAP_MS)


def near_duplicate_ms(beat_ms) -> np.ndarray:
    """Two objects of one track closer than this (ms) are a near-duplicate, at a beat of `beat_ms`."""
    return np.clip(np.asarray(beat_ms, dtype=np.float64) / 8.0, *NEAR_DUPLICATE_MS)


def rebuilt_with_objects(beatmap: IntermediateBeatmap, objects: pd.DataFrame) -> IntermediateBeatmap:
    """The beatmap with other objects on the same steps (a generated map may start mid-song); its TEMPO column (where
    the grid's phase lies) and flags kept."""
    flags = {flag: beatmap.flag_spans(flag) for flag in FLAG_COLUMNS if flag in beatmap.data.columns}
    rebuilt = IntermediateBeatmap.from_hit_objects(
        objects[["track", "start", "end"]],
        dict(beatmap.meta),
        flag_spans={flag: spans for flag, spans in flags.items() if len(spans)},
        end_ms=float(beatmap.duration_ms),
    )
    return rebuilt.on_steps_of(beatmap)


def _spaced(objects: pd.DataFrame, gaps: np.ndarray, one_lane: bool = False) -> np.ndarray:
    """Which objects (sorted by start) to keep so that each starts at least its gap after the previous kept object
    of its track (with `one_lane`, of any track) ends; the earlier object wins."""
    keep = np.ones(len(objects), dtype=bool)
    free_at = {}
    lanes = np.zeros(len(objects), dtype=np.int64) if one_lane else objects["track"].to_numpy()
    for index, (lane, start, end) in enumerate(zip(lanes, objects["start"], objects["end"])):
        if start < free_at.get(lane, -np.inf) - 1e-6:
            keep[index] = False
            continue
        free_at[lane] = end + gaps[index]
    return keep


def make_playable(
    beatmap: IntermediateBeatmap, subdivisions: tuple | None = None, one_lane: bool = False, two_hands: bool = False
) -> IntermediateBeatmap:
    """
    Moves every object to the nearest subdivision of its beat (the coarsest within half a 10 ms step), turns holds
    shorter than a hittable gap into hits, and leaves out objects closer than a hittable gap to the previous object of
    their track (see the module docstring). A map of unknown tempo is returned as it is.

    Args:
        beatmap (`IntermediateBeatmap`): a generated map, with its TEMPO grid set.
        subdivisions (`tuple[int, ...]`, *optional*): the beat divisors objects may take, coarsest first; by default
            the map's own (`meta["subdivisions"]`), else `PLAYABLE_SUBDIVISIONS`.
        one_lane (`bool`, *optional*, defaults to `False`): the tracks share one lane (taiko's don and kat, see
            `beart.beatmaps.tracks`): the gap is kept across tracks, so no note starts under or just after a drumroll
            of the other track, nor a hit of one track just after one of the other.
        two_hands (`bool`, *optional*, defaults to `False`): the lane is hit with alternating hands (taiko): objects
            keep the near-duplicate gap (an eighth of a beat) instead of a quarter; holds still last a quarter.

    Returns:
        `IntermediateBeatmap`: the playable map.
    """
    if beatmap.tempo_changes().empty:
        logger.warning("The map's tempo is unknown; its objects are not snapped.")
        return beatmap
    grid = BeatGrid.of(beatmap)
    objects = beatmap.hit_objects()
    if objects.empty:
        return beatmap
    subdivisions = subdivisions or (grid.subdivisions if beatmap.meta.get("subdivisions") else PLAYABLE_SUBDIVISIONS)
    is_hold = (objects["end"] > objects["start"]).to_numpy()
    start = grid.times_at(grid.rows_at(objects["start"], subdivisions, SNAPPED_WITHIN_MS))
    end = grid.times_at(grid.rows_at(objects["end"], subdivisions, SNAPPED_WITHIN_MS))
    beat_ms = grid.beat_ms_at(start)
    end = np.where(is_hold & (end - start >= hittable_gap_ms(beat_ms) - 1e-6), end, start)
    objects = pd.DataFrame({"track": objects["track"].to_numpy(), "start": start, "end": end})
    objects = objects.sort_values(["start", "end"], ascending=[True, False], kind="stable").reset_index(drop=True)
    # spaced where the writers will put them, on the 10 ms steps: a 32nd's step may read back on a finer subdivision
    written = objects.assign(start=grid.written_at(objects["start"]), end=grid.written_at(objects["end"]))
    gaps = hittable_gap_ms(grid.beat_ms_at(objects["start"]), two_hands)
    return rebuilt_with_objects(beatmap, objects[_spaced(written, gaps, one_lane)])


@dataclass
class PlayabilityReport:
    """
    Where a map breaks the rules of this module.

    Args:
        name (`str`): the map.
        num_objects (`int`): its objects.
        unsnapped (`list[float]`): start or end times (ms) on no playable subdivision.
        near_duplicates (`list[tuple[str, float, float]]`): `(track, previous end, start)` of objects starting less
            than an eighth of a beat (30-50 ms) after the previous one of their track.
        density_spikes (`list[tuple[float, int]]`): `(window start, objects)` of the too-dense seconds.
        short_holds (`list[tuple[str, float, float]]`): `(track, start, end)` of holds shorter than an eighth of a
            beat (30-50 ms).
        before_song (`list[float]`): start times (ms) before the song starts (before 0 ms, where a chart's offset
            can put notes), which no game plays against the song (beart's readers leave them out).
    """

    name: str
    num_objects: int
    unsnapped: list
    near_duplicates: list
    density_spikes: list
    short_holds: list
    before_song: list = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not (
            self.unsnapped or self.near_duplicates or self.density_spikes or self.short_holds or self.before_song
        )

    def summary(self) -> str:
        line = (
            f"{self.name}: {self.num_objects} objects, {len(self.unsnapped)} unsnapped, "
            f"{len(self.near_duplicates)} near-duplicates, {len(self.density_spikes)} density spikes, "
            f"{len(self.short_holds)} short holds, {len(self.before_song)} before the song"
        )
        details = [f"  unsnapped at {time:.0f} ms" for time in self.unsnapped[:10]]
        details += [f"  {track}: {start:.0f} ms, {start - end:.0f} ms after {end:.0f} ms"
                    for track, end, start in self.near_duplicates[:10]]  # fmt: skip
        details += [f"  {count} objects in the second from {start:.0f} ms" for start, count in self.density_spikes[:10]]
        details += [f"  {track}: a hold of {end - start:.0f} ms at {start:.0f} ms"
                    for track, start, end in self.short_holds[:10]]  # fmt: skip
        if self.before_song:
            details.append(f"  {len(self.before_song)} object(s) before the song starts, the first at "
                           f"{self.before_song[0]:.0f} ms")  # fmt: skip
        return "\n".join([line + (" - ok" if self.passed else ""), *details])


def _snapped_on_timing_points(tempo: pd.DataFrame, times: np.ndarray, tolerance_ms: float):
    """`times` on the playable subdivisions (each the coarsest within `tolerance_ms`, else the nearest) of a file's own
    timing points, each of which starts its beats where it stands, as an osu! red line does (times before the first
    are timed back from it), and the times off them by more than `tolerance_ms` (unsnapped)."""
    start = tempo["time"].to_numpy(np.float64)[_tempo_in_effect(tempo, times)]
    ms_per_row = _beat_ms_at(tempo, times) / ROWS_PER_BEAT
    rows = snapped_rows((times - start) / ms_per_row, PLAYABLE_SUBDIVISIONS, ms_per_row, tolerance_ms)
    snapped = start + rows * ms_per_row
    return snapped, sorted(times[np.abs(snapped - times) > tolerance_ms].tolist())


def _snapped(tempo: pd.DataFrame, times: np.ndarray, tolerance_ms: float):
    """The grid of an intermediate map's `tempo`, `times` on its playable subdivisions (each the coarsest within
    `tolerance_ms`, else the nearest), and the times off them by more than `tolerance_ms` (unsnapped). The grid is
    shifted by the whole ms (within one beat) that leaves the fewest times unsnapped, and among those puts them on the
    coarsest subdivisions: an intermediate map keeps its tempo but not where its beats fall (its first tempo holds
    from the start), so the check takes the phase that suits the map best; a map snapped to its file's timing passes,
    one snapped to no grid does not. (With the triplets, a subdivision lies within 6 ms of most 10 ms steps at a fast
    tempo, so phases off the beat by some 48ths leave nothing unsnapped either; they read a 32nd pair as closer than
    it is.)"""
    phases = np.arange(0.0, 60000.0 / float(tempo["bpm"].iloc[0]), 1.0)
    steps = np.array([ROWS_PER_BEAT // divisor for divisor in PLAYABLE_SUBDIVISIONS])
    best, best_key = None, None
    for phase in phases:
        # only the first tempo's beats are unknown: each later tempo starts where its change lies, on the grid before it
        grid = BeatGrid(tempo.assign(time=tempo["time"] + np.where(np.arange(len(tempo)) == 0, phase, 0.0)))
        rows = grid.rows_at(times, PLAYABLE_SUBDIVISIONS, tolerance_ms)
        snapped = grid.times_at(rows)
        distance = np.abs(snapped - times)
        on_subdivision = rows[:, None] % steps[None, :] == 0
        fineness = np.where(on_subdivision.any(axis=1), np.argmax(on_subdivision, axis=1), len(steps))  # 0 on a beat
        key = (int(np.sum(distance > tolerance_ms)), int(np.sum(fineness)))
        if best_key is None or key < best_key:
            best, best_key = (grid, snapped, times[distance > tolerance_ms]), key
    grid, snapped, unsnapped = best
    return grid, snapped, sorted(unsnapped.tolist())


def beats_off_subdivisions(beats: np.ndarray, subdivisions: tuple = PLAYABLE_SUBDIVISIONS) -> np.ndarray:
    """How far (in beats) each position (in beats, as a file writes it) lies from the nearest of `subdivisions` of its
    beat."""
    divisors = np.array(subdivisions, dtype=np.float64)[None, :]
    scaled = np.asarray(beats, dtype=np.float64)[:, None] * divisors
    return (np.abs(scaled - np.round(scaled)) / divisors).min(axis=1, initial=np.inf)


def _beat_ms_at(tempo: pd.DataFrame, times_ms: np.ndarray) -> np.ndarray:
    """The length of a beat (ms) of the tempo in effect at each time (the first tempo before it); 500 ms (120 BPM)
    without a tempo."""
    if tempo.empty:
        return np.full(len(times_ms), 500.0)
    return 60000.0 / tempo["bpm"].to_numpy(np.float64)[_tempo_in_effect(tempo, times_ms)]


def _tempo_in_effect(tempo: pd.DataFrame, times_ms: np.ndarray) -> np.ndarray:
    """The row of `tempo` in effect at each time: the last at or before it, the first before the first."""
    return np.maximum(np.searchsorted(tempo["time"].to_numpy(np.float64), times_ms, side="right") - 1, 0)


def check_objects(
    objects: pd.DataFrame,
    tempo: pd.DataFrame,
    name: str,
    *,
    tolerance_ms: float = SNAPPED_WITHIN_MS,
    find_phase: bool = True,
    one_lane: bool = False,
    legato: bool = False,
) -> PlayabilityReport:
    """
    Lists where timed objects break the rules of this module.

    Args:
        objects (`pd.DataFrame`): columns `track`, `start`, `end` (ms); with `start_beat` and `end_beat` (where a
            file writes them, see `TimedChart`) those decide what is snapped, and the times, pauses and all, what is
            close.
        tempo (`pd.DataFrame`): columns `time` (ms) and `bpm`, the map's timing; empty when unknown (no snap check).
        name (`str`): names the map in the report.
        tolerance_ms (`float`, *optional*): how far from a subdivision a snapped time may lie.
        find_phase (`bool`, *optional*, defaults to `True`): take the phase that suits the map (for `tempo` read off
            an intermediate map); `False` when `tempo` holds the file's own timing points.
        one_lane (`bool`, *optional*, defaults to `False`): the tracks share one lane (taiko): near-duplicates are
            looked for across tracks, an object on several tracks at once (a swell, a spinner) counted once.
        legato (`bool`, *optional*, defaults to `False`): the game lets go of a hold where the next object of its
            track starts, and the player presses each object afresh (a guitar's sustain, see `TimedChart`): objects
            are close when they start close, and a hold's end, where the player may let go anywhere near, is not
            checked for snapping.
    """
    if one_lane:
        objects = objects.drop_duplicates(["start", "end"]).assign(track="lane")
    objects = objects.sort_values("start", kind="stable").reset_index(drop=True)
    if objects.empty:
        return PlayabilityReport(name, 0, [], [], [], [])
    written_beats = "start_beat" in objects.columns
    columns = ["track", "start", "end", *(["start_beat", "end_beat"] if written_beats else [])]
    objects = objects[columns].astype({"start": np.float64, "end": np.float64})
    on_grid, unsnapped = objects, []  # where the objects lie on the map's grid
    is_hold = (objects["end"] > objects["start"]).to_numpy()
    snap_ends = is_hold & (not legato)
    if written_beats:  # where the file writes them: exact, whatever pauses the file's timing holds
        beats = np.concatenate([objects["start_beat"], objects["end_beat"][snap_ends]]).astype(np.float64)
        times = np.concatenate([objects["start"], objects["end"][snap_ends]])
        off_beats = beats_off_subdivisions(beats)
        # on a subdivision to 1e-6 of a beat (sums of a measure's slots carry float error), or as near as editors show
        unsnapped = sorted(times[(off_beats > 1e-6) & (off_beats * _beat_ms_at(tempo, times) > tolerance_ms)].tolist())
        gaps = near_duplicate_ms(_beat_ms_at(tempo, objects["start"].to_numpy()))
    elif len(tempo):
        times = np.concatenate([objects["start"], objects["end"][snap_ends]])
        if find_phase:
            grid, snapped, unsnapped = _snapped(tempo, times, tolerance_ms)
            beat_ms = grid.beat_ms_at(snapped[: len(objects)])
        else:
            snapped, unsnapped = _snapped_on_timing_points(tempo, times, tolerance_ms)
            beat_ms = _beat_ms_at(tempo, snapped[: len(objects)])
        # gaps are measured on the grid too: read on a 10 ms grid (or in whole ms), a run of 32nds falls alternately
        # above and below its eighth of a beat
        start = snapped[: len(objects)]
        end = objects["end"].to_numpy(np.float64) - objects["start"].to_numpy(np.float64) + start
        end[snap_ends] = snapped[len(objects) :]
        on_grid = objects.assign(start=start, end=end)
        gaps = near_duplicate_ms(beat_ms)
    else:
        gaps = np.full(len(objects), NEAR_DUPLICATE_MS[0])
    length = (on_grid["end"] - on_grid["start"]).to_numpy()
    short = is_hold & (length < gaps - 1e-6)
    short_holds = list(zip(objects["track"][short], objects["start"][short], objects["end"][short]))
    near = []
    lanes = on_grid.assign(gap=gaps, read_start=objects["start"], read_end=objects["end"]).groupby("track", sort=False)
    for track, rows in lanes:
        pressed = ("start", "read_start") if legato else ("end", "read_end")  # what the next object comes after
        previous_end = rows[pressed[0]].cummax().shift(1).to_numpy()  # a hold may outlast later objects
        read_end = rows[pressed[1]].cummax().shift(1).to_numpy()  # reported as the file has them
        gap = rows["gap"].to_numpy() - 1e-6
        # close both on the grid and as read: a 10 ms step can lie nearer a triplet than the 16th it was written on
        close = (rows["start"].to_numpy() - previous_end < gap) & (rows["read_start"].to_numpy() - read_end < gap)
        near += [(track, end, start) for end, start in zip(read_end[close], rows["read_start"].to_numpy()[close])]
    starts = np.sort(objects["start"].drop_duplicates().to_numpy(np.float64))
    counts = np.searchsorted(starts, starts + SPIKE_WINDOW_MS, side="left") - np.arange(len(starts))
    busy = np.median(counts) if len(counts) else 0
    spiky = (counts > SPIKE_FACTOR * busy) & (counts > SPIKE_MIN_OBJECTS)
    spikes, last = [], -np.inf
    for start, count in zip(starts[spiky], counts[spiky]):
        if start >= last + SPIKE_WINDOW_MS:  # one report per second
            spikes.append((float(start), int(count)))
            last = start
    read_starts = objects["start"].to_numpy(np.float64)  # in time order (sorted above)
    before_song = read_starts[read_starts < -QUANTUM_MS / 2].tolist()  # as the readers tell notes before the song
    return PlayabilityReport(
        name, len(objects), unsnapped, sorted(near, key=lambda row: row[2]), spikes, short_holds, before_song
    )


def check_playability(beatmap: IntermediateBeatmap, name: str = "") -> PlayabilityReport:
    """
    Lists where an intermediate map breaks the rules of this module, on its 10 ms grid (see `check_objects`).

    Args:
        beatmap (`IntermediateBeatmap`): the map.
        name (`str`, *optional*): names it in the report; defaults to its version.
    """
    name = name or str(beatmap.meta.get("version") or "map")
    one_lane = any(beatmap.tracks == tracks_for_mode(mode) for mode in ONE_LANE_MODES)
    return check_objects(beatmap.hit_objects(), beatmap.tempo_changes(), name, one_lane=one_lane)


def check_beatmap_set(beatmap_set: BeatmapSet, source: str, skipped: list) -> list[PlayabilityReport]:
    """
    Checks every difficulty of a set: on its file's own times and timing where the format keeps them exactly (osu!,
    StepMania, TJA, Frets on Fire: `BeatmapSet.timed`), within `FILE_SNAPPED_WITHIN_MS` as the editors show them,
    else on its intermediate map. Difficulties that cannot be read are added to `skipped` as `(item, reason)`.
    """
    reports = []
    for member in beatmap_set.difficulty_names:
        item = f"{source} [{member}]"
        try:
            timed = beatmap_set.timed(member)
            if timed is None:
                reports.append(check_playability(beatmap_set.read(member, for_training=False), item))
                continue
            one_lane = timed.layout in ONE_LANE_MODES
            reports.append(check_objects(timed.objects, timed.tempo, item, tolerance_ms=FILE_SNAPPED_WITHIN_MS,
                                         find_phase=False, one_lane=one_lane, legato=timed.legato))  # fmt: skip
        except Exception as error:  # an untrusted file: whatever it raises, the other difficulties are checked
            skipped.append((item, str(error) or type(error).__name__))
    return reports
