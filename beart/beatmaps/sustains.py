"""Sustains into rests: guitar charts hold a note across the rest that follows it.

In the Frets on Fire charts of the shared corpus's training songs, a note (or chord) followed by at least three quarters
of a beat without notes is a sustain 86-100% of the time at every difficulty, after half a beat 42-50%, after less
13-77%; a sustain ends a short release before the next note (a median of 0.05-0.25 beat; `python
examples/fit_sustains.py ../shared/corpus`). The model cannot tell from the audio where a charter holds
(`examples/diagnose_holds.py`), so for formats whose charts hold across rests (`BeatmapFormat.sustain_rest_beats` in the
format registry: Frets on Fire, half a beat, chosen on the development songs by hold F1 with `examples/choose_on_dev.py
--sustains`) the generated map's hits before such rests become holds, released a quarter of a beat before the next note.
Dance charts hold far fewer of their notes before rests (9% of Goin' Under's notes are holds, against about half of a
guitar chart's), so StepMania maps hold only before rests of a beat and a half or more: chosen on the development dance
song by hold F1 with the bundled model's maps (stage 7; `--sustains 1,1.5,2,3,4 --sustain-modes stepmania`: 0.067
without the rule, 0.100 at 1 beat, 0.145 at 1.5, 0.075 at 2), its maps then holding 9.1% of their notes against the
charts' 9.2%. The training songs' Taiko charts hold 0-10% of their notes before rests of up to 4 beats, so Taiko maps
keep the holds the model draws, as osu!taiko and osu!mania maps do. osu!standard maps make most objects before a rest of
more than half a beat sliders (84-96% of them in 22 human maps, 16% before half a beat), half the rest long (the
median; `python examples/fit_sliders.py ../shared/corpus`), and osu!catch plays the same files: their generated maps
slide from every object before more than half a beat (`sustain_rest_beats` 0.6) for half the rest (`share`).
"""

import numpy as np

from .beat_grid import ROWS_PER_BEAT, BeatGrid
from .intermediate import IntermediateBeatmap
from .playability import hittable_gap_ms, rebuilt_with_objects


RELEASE_ROWS = ROWS_PER_BEAT // 4  # a sustain ends a quarter of a beat before the next note


def sustain_into_rests(
    beatmap: IntermediateBeatmap, rest_beats: float, share: float = 0.0, silences_ms: np.ndarray | None = None
) -> IntermediateBeatmap:
    """
    Turns every hit followed by a rest of at least `rest_beats` beats (no object of any track starting sooner, nor
    the map's end or a silence of the song, taken down to a quarter beat) into a hold that ends a quarter of a beat
    before the next object starts, or with `share` that lasts that share of the rest (to the nearest quarter beat, and
    ending a quarter beat before the next object at the latest), on the beat grid of the map's TEMPO column; holds stay
    as they are, and a hold shorter than a hittable gap (a quarter beat, 50-100 ms) is not made. Every hit of a chord
    is held alike. A charter holds a note while it sounds: a rest ends where the song falls silent as at an object.

    Args:
        beatmap (`IntermediateBeatmap`): a playable map (`make_playable`), with its TEMPO grid set.
        rest_beats (`float`): the shortest rest, in beats, a note is held across (0 or less: the map is returned).
        share (`float`, *optional*, defaults to 0): the share of the rest a hold lasts (osu! sliders: 0.5); 0: until
            a quarter beat before the next object.
        silences_ms (`np.ndarray` of shape `(num_silences,)`, *optional*): the times (ms) where the song falls silent
            (`silence_starts_ms`).

    Returns:
        `IntermediateBeatmap`: the map with its sustains.
    """
    objects = beatmap.hit_objects()
    if rest_beats <= 0 or objects.empty or beatmap.tempo_changes().empty:
        return beatmap
    grid = BeatGrid.of(beatmap)
    starts = np.unique(objects["start"].to_numpy(np.float64))
    following = np.append(starts[1:], float(beatmap.duration_ms))
    start_rows, next_rows = grid.rows_at(starts), grid.rows_at(following)
    next_rows[-1] -= next_rows[-1] % RELEASE_ROWS  # the map's end, down to a quarter beat
    next_rows = np.minimum(next_rows, silence_rows(grid, next_silence_ms(starts, silences_ms)))
    rest_rows = next_rows - start_rows
    rest_held = rest_rows >= rest_beats * ROWS_PER_BEAT
    release_rows = next_rows - RELEASE_ROWS
    if share > 0:
        held_rows = np.floor(share * rest_rows / RELEASE_ROWS + 0.5).astype(np.int64) * RELEASE_ROWS
        release_rows = np.minimum(start_rows + held_rows, release_rows)
    release_at = grid.times_at(release_rows)
    long_enough = release_at - starts >= hittable_gap_ms(grid.beat_ms_at(starts)) - 1e-6
    sustain_end = np.where(rest_held & long_enough, release_at, starts)
    chord = np.searchsorted(starts, objects["start"].to_numpy(np.float64))
    is_hit = (objects["end"] == objects["start"]).to_numpy()
    objects["end"] = np.where(is_hit, sustain_end[chord], objects["end"].to_numpy(np.float64))
    return rebuilt_with_objects(beatmap, objects)


def silence_starts_ms(sounding: np.ndarray, frame_ms: float) -> np.ndarray:
    """
    The times where a song falls silent: the first frame of every silent stretch after a sounding one.

    Args:
        sounding (`np.ndarray` of shape `(num_frames,)`): bool, the frames where the song sounds.
        frame_ms (`float`): a frame's length.

    Returns:
        `np.ndarray` of shape `(num_silences,)`, float64, ascending.
    """
    sounding = np.asarray(sounding, dtype=bool).reshape(-1)
    return frame_ms * (np.flatnonzero(sounding[:-1] & ~sounding[1:]) + 1.0)


def next_silence_ms(times_ms: np.ndarray, silences_ms: np.ndarray | None) -> np.ndarray:
    """For each time, the first of `silences_ms` after it (`inf` where none follows, or without silences)."""
    times_ms = np.asarray(times_ms, dtype=np.float64)
    if silences_ms is None or not len(silences_ms):
        return np.full(times_ms.shape, np.inf)
    later = np.append(np.asarray(silences_ms, dtype=np.float64), np.inf)
    return later[np.searchsorted(later[:-1], times_ms, side="right")]


def silence_rows(grid: BeatGrid, silences_ms: np.ndarray) -> np.ndarray:
    """The grid's rows of silences (times in ms, `inf` for none), each taken down to a quarter beat (none: the largest
    row there is)."""
    rows = np.full(silences_ms.shape, np.iinfo(np.int64).max, dtype=np.int64)
    finite = np.isfinite(silences_ms)
    if finite.any():
        rows[finite] = grid.rows_at(silences_ms[finite])
        rows[finite] -= rows[finite] % RELEASE_ROWS
    return rows


def release_before_silences(beatmap: IntermediateBeatmap, silences_ms: np.ndarray | None) -> IntermediateBeatmap:
    """
    Ends every hold that runs into a silence of the song a quarter of a beat before the silence starts (its start taken
    down to a quarter beat, on the beat grid of the map's TEMPO column), or makes it a hit where less than a hittable
    gap would be left: a charter holds a note while it sounds.

    Args:
        beatmap (`IntermediateBeatmap`): a playable map (`make_playable`), with its TEMPO grid set.
        silences_ms (`np.ndarray` of shape `(num_silences,)`, *optional*): the times (ms) where the song falls silent
            (`silence_starts_ms`).

    Returns:
        `IntermediateBeatmap`: the map, its holds released before the song's silences.
    """
    objects = beatmap.hit_objects()
    if objects.empty or beatmap.tempo_changes().empty:
        return beatmap
    starts, ends = objects["start"].to_numpy(np.float64), objects["end"].to_numpy(np.float64)
    silence = next_silence_ms(starts, silences_ms)
    cut = (ends > starts) & (ends > silence)
    if not cut.any():
        return beatmap
    grid = BeatGrid.of(beatmap)
    release_at = grid.times_at(silence_rows(grid, silence[cut]) - RELEASE_ROWS)
    long_enough = release_at - starts[cut] >= hittable_gap_ms(grid.beat_ms_at(starts[cut])) - 1e-6
    ends[cut] = np.where(long_enough, release_at, starts[cut])
    objects["end"] = ends
    return rebuilt_with_objects(beatmap, objects)


__all__ = ["release_before_silences", "silence_starts_ms", "sustain_into_rests"]
