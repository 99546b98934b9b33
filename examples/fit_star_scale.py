"""Fits the star scale of osu!mania maps (`STAR_SCALES` in `beart/beatmaps/osu_reader.py`), and the one osu!taiko
would take: the star ratings at which a map reads as difficulty 0, 0.25, 0.5, 0.75 and 1.

beart's difficulty on real music is the charts' own (a TJA course, a Frets on Fire or StepMania difficulty), and the
model's note density follows it (`TYPICAL_NOTES_PER_BEAT`). An osu! map's difficulty comes from its star rating, and
mania rates the same chart far lower than osu!'s difficulty names assume: Goin' Under's Challenge chart (StepMania 10)
written as osu!mania is rated 2.04 stars, which the names put at difficulty 0.26, so `beart evaluate` asked the model
for an easy map against it. Here every real chart of a split with the mode's track count (2 for taiko, 4 for mania) is
written in the mode (`intermediate_to_osu`, as `beart convert` writes it), rated by `rosu-pp-py`, and `difficulty = a +
b * log(stars)` is fitted by least squares; the scale's points are the stars where the fit reaches each difficulty. It
prints the mean absolute difference from the charts' own difficulty of the fit, of the reader's scale and of osu!'s
names' scale; `--check-split` prints them on another split's charts, fitting nothing there. (taiko keeps the names'
scale: on the development song's `.osz` its fit scored lower; docs/formats.md.)

    python examples/fit_star_scale.py ../shared/corpus [--split train] [--check-split dev]
"""

import argparse
import os
import sys

import numpy as np
import pandas as pd

from beart.beatmaps import intermediate_to_osu
from beart.beatmaps.osu_reader import DIFFICULTY_POINTS, NAMED_STAR_POINTS, difficulty_from_stars, star_rating
from beart.evaluation.evaluate import find_reference_songs


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from real_music_split import game, songs  # noqa: E402


MODE_TRACKS = {"taiko": 2, "mania": 4}  # the charts a mode's scale is fitted on: those of its track count


def chart_rows(corpus: str, split: str) -> pd.DataFrame:
    """One row per chart of the split's songs and osu! mode of its track count: its difficulty and star rating."""
    rows = []
    for folder in songs(corpus, split):
        for song in find_reference_songs(folder, []):
            for chart in song.maps:
                for mode, tracks in MODE_TRACKS.items():
                    if len(chart.tracks) != tracks:
                        continue
                    text = intermediate_to_osu(chart, mode=mode, audio_filename="audio.ogg")
                    rows.append(
                        {
                            "mode": mode, "game": game(folder), "song": os.path.basename(folder)[:24],
                            "chart": chart.meta["name"].rsplit("[", 1)[-1].rstrip("]"),
                            "difficulty": chart.difficulty, "stars": star_rating(text.encode("utf-8")),
                        }
                    )  # fmt: skip
    return pd.DataFrame(rows)


def fit(rows: pd.DataFrame) -> tuple[float, float]:
    """`(a, b)` of `difficulty = a + b * log(stars)`, fitted by least squares on `rows`."""
    slope, intercept = np.polyfit(np.log(rows["stars"]), rows["difficulty"], 1)
    return float(intercept), float(slope)


def scale_points(intercept: float, slope: float) -> tuple[float, ...]:
    """The stars at which the fit reaches each of the reader's `DIFFICULTY_POINTS` (a `STAR_SCALES` entry)."""
    return tuple(round(float(np.exp((difficulty - intercept) / slope)), 2) for difficulty in DIFFICULTY_POINTS)


def fitted_difficulty(stars, intercept: float, slope: float) -> np.ndarray:
    return np.clip(intercept + slope * np.log(stars), 0.0, 1.0)


def mean_errors(rows: pd.DataFrame, mode: str, intercept: float, slope: float) -> str:
    """The mean absolute difference from the charts' own difficulty of the fit, of the reader's scale for the mode and
    of osu!'s difficulty names' scale (the one osu!standard keeps)."""
    scales = {
        "the fit": fitted_difficulty(rows["stars"], intercept, slope),
        "the reader's scale": rows["stars"].map(lambda stars: difficulty_from_stars(stars, mode)),
        "the names' scale": np.interp(rows["stars"], NAMED_STAR_POINTS, DIFFICULTY_POINTS),
    }
    return ", ".join(f"{name} {np.mean(np.abs(values - rows['difficulty'])):.3f}" for name, values in scales.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", help="the shared corpus folder")
    parser.add_argument("--split", default="train", choices=["train", "dev", "test"])
    parser.add_argument("--check-split", choices=["train", "dev", "test"], help="score the fit on this split too")
    arguments = parser.parse_args()
    rows = chart_rows(arguments.corpus, arguments.split)
    checked = chart_rows(arguments.corpus, arguments.check_split) if arguments.check_split else None
    pd.set_option("display.width", 200)
    for mode in MODE_TRACKS:
        part = rows[rows["mode"] == mode]
        intercept, slope = fit(part)
        print(part.drop(columns="mode").to_string(index=False, float_format="%.3f"))
        points = scale_points(intercept, slope)
        print(
            f"\n{mode}: {len(part)} {arguments.split} charts; difficulty = {intercept:.3f} + {slope:.3f} * log(stars); "
            f"stars at difficulty 0, 0.25, 0.5, 0.75, 1: {points}; "
            f"mean |error| of {mean_errors(part, mode, intercept, slope)}"
        )
        if checked is not None:
            other = checked[checked["mode"] == mode]
            print(f"{mode}: {len(other)} {arguments.check_split} charts; mean |error| of "
                  f"{mean_errors(other, mode, intercept, slope)}")  # fmt: skip
        print()


if __name__ == "__main__":
    main()
