"""Figures of an evaluation report, saved as PNG: piano rolls of maps and onset F1 by difficulty."""

import io

import numpy as np
import pandas as pd

from ..beatmaps import retrack
from ..beatmaps.files import write_atomically
from .dependencies import require


def load_pyplot():
    """matplotlib's pyplot on the Agg backend (no screen needed)."""
    matplotlib = require("matplotlib")
    matplotlib.use("Agg")
    return require("matplotlib.pyplot")


def save_figure(figure, path) -> str:
    """Writes a matplotlib figure as a PNG (atomically) and closes it."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    load_pyplot().close(figure)
    return write_atomically(path, buffer.getvalue())


def plot_piano_roll(maps: dict, path, start: float = 0.0, seconds: float = 20.0, title: str = "") -> str:
    """
    A piano roll of one or more maps of a song: one lane per track (those of the first map; the others are laid onto
    them), one row of marks per map in each lane, hits as ticks and holds as bars, over `seconds` from `start`.

    Args:
        maps (`dict[str, IntermediateBeatmap]`): the maps by name, e.g. `{"reference": human, "model": generated}`.
        path (`str`): the PNG to write.
        start (`float`, *optional*, defaults to 0.0): first second shown.
        seconds (`float`, *optional*, defaults to 20.0): length of the window shown.
        title (`str`, *optional*): the figure's title.

    Returns:
        `str`: the path written.
    """
    pyplot = load_pyplot()
    tracks = list(next(iter(maps.values())).tracks)
    maps = {
        name: beatmap if list(beatmap.tracks) == tracks else retrack(beatmap, tracks) for name, beatmap in maps.items()
    }
    figure, axis = pyplot.subplots(figsize=(12, 1.0 + 0.35 * len(tracks) * len(maps)))
    colours = pyplot.get_cmap("tab10")
    lane_height = len(maps) + 1
    for map_index, (name, beatmap) in enumerate(maps.items()):
        objects = beatmap.hit_objects()
        for track_index, track in enumerate(tracks):
            on_track = objects[objects["track"] == track]
            starts = on_track["start"].to_numpy() / 1000.0
            ends = on_track["end"].to_numpy() / 1000.0
            shown = (ends >= start) & (starts <= start + seconds)
            row = track_index * lane_height + (len(maps) - 1 - map_index)
            colour = colours(map_index)
            holds = shown & (ends > starts)
            axis.hlines(np.full(holds.sum(), row), starts[holds], ends[holds], colors=[colour], linewidth=4)
            axis.vlines(starts[shown], row - 0.4, row + 0.4, colors=[colour], linewidth=1.2)
    axis.set_yticks([index * lane_height + (len(maps) - 1) / 2 for index in range(len(tracks))], tracks)
    axis.set_xlim(start, start + seconds)
    axis.set_xlabel("time (s)")
    handles = [pyplot.Line2D([0], [0], color=colours(index), linewidth=3) for index in range(len(maps))]
    axis.legend(handles, list(maps), loc="upper right", fontsize="small", ncol=len(maps))
    axis.set_title(title)
    return save_figure(figure, path)


def plot_f1_by_difficulty(per_map: pd.DataFrame, path, tolerance_ms: float = 50) -> str:
    """
    Onset F1 (all tracks pooled) of every system against the reference maps, by the reference map's difficulty.

    Args:
        per_map (`pd.DataFrame`): one row per system and map with `system`, `difficulty`, `track`, `tolerance_ms` and
            `f1` (the per-map rows of an evaluation report).
        path (`str`): the PNG to write.
        tolerance_ms (`float`, *optional*, defaults to 50): the tolerance shown.
    """
    pyplot = load_pyplot()
    rows = per_map[(per_map["track"] == "all") & (per_map["tolerance_ms"] == tolerance_ms)]
    figure, axis = pyplot.subplots(figsize=(7, 4.5))
    for system, scores in rows.groupby("system", sort=False):
        mean = scores.groupby("difficulty")["f1"].mean()
        axis.plot(mean.index, mean.to_numpy(), marker="o", label=system)
    axis.set_xlabel("difficulty of the reference map")
    axis.set_ylabel(f"onset F1 (+-{tolerance_ms:g} ms, tracks pooled)")
    axis.set_ylim(0, 1)
    axis.set_xlim(0, 1)
    axis.grid(alpha=0.3)
    axis.legend()
    return save_figure(figure, path)


def plot_stars_by_difficulty(sweep: pd.DataFrame, path) -> str:
    """
    Star rating of generated maps against the difficulty they were asked for, one line per system.

    Args:
        sweep (`pd.DataFrame`): rows with `system`, `difficulty` and `star_rating`.
        path (`str`): the PNG to write.
    """
    pyplot = load_pyplot()
    figure, axis = pyplot.subplots(figsize=(7, 4.5))
    for system, rows in sweep.dropna(subset=["star_rating"]).groupby("system", sort=False):
        mean = rows.groupby("difficulty")["star_rating"].mean()
        axis.plot(mean.index, mean.to_numpy(), marker="o", label=system)
    axis.set_xlabel("requested difficulty")
    axis.set_ylabel("star rating (rosu-pp)")
    axis.grid(alpha=0.3)
    axis.legend()
    return save_figure(figure, path)
