"""How often human charts hold a note, by the rest that follows it: the table behind `sustain_rest_beats` in the
format registry (`beart.beatmaps.sustains`). Per game and difficulty band, the share of notes (chords count once) that
are holds, for rests (beats to the next note of any track) in bins, and how long before the next note a hold ends.

    python examples/fit_sustains.py ../shared/corpus [--split train]
"""

import argparse
import os
import sys

import numpy as np
import pandas as pd

from beart.beatmaps.beat_grid import BeatGrid
from beart.evaluation.evaluate import find_reference_songs


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from real_music_split import game, songs  # noqa: E402


REST_BINS = (0.0, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, np.inf)
BANDS = {"easy": (0.0, 0.4), "medium": (0.4, 0.7), "hard": (0.7, 1.01)}


def chord_rows(chart) -> pd.DataFrame:
    """One row per chord of a chart (the objects starting together): whether one is held, the rest after it in beats
    and, for a held chord, the release (beats from its end to the next chord)."""
    objects = chart.hit_objects()
    chords = (
        objects.assign(held=objects["end"] > objects["start"])
        .groupby("start", as_index=False)
        .agg(held=("held", "any"), end=("end", "max"))
    )
    starts = chords["start"].to_numpy(np.float64)
    beat_ms = BeatGrid.of(chart).beat_ms_at(starts)
    following = np.append(starts[1:], np.nan)
    return pd.DataFrame(
        {
            "held": chords["held"].to_numpy(),
            "rest": (following - starts) / beat_ms,
            "release": (following - chords["end"].to_numpy(np.float64)) / beat_ms,
        }
    ).dropna()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", help="the shared corpus folder")
    parser.add_argument("--split", default="train", choices=["train", "dev", "test"])
    arguments = parser.parse_args()
    rows = []
    for folder in songs(arguments.corpus, arguments.split):
        for song in find_reference_songs(folder, []):
            for chart in song.maps:
                band = next(name for name, (low, high) in BANDS.items() if low <= chart.difficulty < high)
                rows.append(chord_rows(chart).assign(game=game(folder), band=band))
    table = pd.concat(rows, ignore_index=True)
    table["rest bin"] = pd.cut(table["rest"], REST_BINS, right=False)
    by_bin = {"index": ["game", "band"], "columns": "rest bin", "values": "held", "observed": False}
    shares, counts = table.pivot_table(aggfunc="mean", **by_bin), table.pivot_table(aggfunc="size", **by_bin)
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 20)
    print(f"Share of notes held, by the rest after them (beats), {arguments.split} songs:\n{shares.round(2)}\n")
    print(f"Notes:\n{counts}\n")
    releases = table[table["held"]].groupby(["game", "band"])["release"].quantile([0.25, 0.5, 0.75]).unstack()
    print(f"Release before the next note (beats), quartiles of the held notes:\n{releases.round(2)}")


if __name__ == "__main__":
    main()
