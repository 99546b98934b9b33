"""The star ratings of generated osu! maps: for each real song of a split (`examples/real_music_split.py`) and each osu!
mode, a map at each difficulty (seed 1, the bundled model's defaults), its stars (`rosu-pp-py`), the name the writer
gave it, the difficulty its stars read back as (`difficulty_from_stars`, on the mode's star scale) and, per song and
mode, the Spearman correlation of the stars with the difficulty asked for and the mean distance of the difficulty read
back from it.

    python examples/star_ratings.py ../shared/corpus [--split dev] [--modes catch] [--difficulties 0.1 0.3 0.5 0.7 0.9]
        [--multipliers 1.5,2 0.73,2.34]

`--multipliers` writes the same maps of the modes whose objects move (osu!standard, catch) with each pair of slider
multipliers at difficulty 0 and 1 in turn (`SLIDER_MULTIPLIERS` in `beart/beatmaps/osu_writer.py`), and prints the
mean distance per pair: the pair whose maps' stars read back nearest the difficulty asked for.
"""

import argparse
import os
import sys

import numpy as np
import pandas as pd
from scipy import stats

import beart
from beart.beatmaps.osu_reader import GAME_MODES, difficulty_from_stars, star_rating
from beart.beatmaps import osu_writer
from beart.beatmaps.osu_writer import difficulty_name, intermediate_to_osu
from beart.evaluation.evaluate import find_reference_songs


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from real_music_split import songs  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", help="the shared corpus folder")
    parser.add_argument("--split", default="dev", choices=["train", "dev", "test"])
    parser.add_argument("--modes", nargs="+", choices=GAME_MODES, default=list(GAME_MODES))
    parser.add_argument("--difficulties", nargs="+", type=float, default=[0.1, 0.3, 0.5, 0.7, 0.9])
    parser.add_argument("--model", default=None, help="a model folder (default: the bundled model)")
    parser.add_argument("--multipliers", nargs="+", default=None, help="slider multiplier pairs LOW,HIGH to compare")
    arguments = parser.parse_args()
    generator = beart.load_generator(arguments.model)
    rows, summary = [], []
    difficulties = sorted(arguments.difficulties)
    for folder in songs(arguments.corpus, arguments.split):
        audio = find_reference_songs(folder, [])[0].audio
        title = os.path.basename(folder)[:24]
        for mode in arguments.modes:
            beatmaps = generator(audio, mode=mode, difficulty=difficulties, seed=1, progress=False)
            pairs = arguments.multipliers if arguments.multipliers and mode in osu_writer.SLIDER_MULTIPLIERS else [None]
            for pair in pairs:
                if pair is not None:
                    osu_writer.SLIDER_MULTIPLIERS[mode] = tuple(float(value) for value in pair.split(","))
                osu_texts = [intermediate_to_osu(beatmap, mode=mode).encode() for beatmap in beatmaps]
                stars = np.array([star_rating(text) for text in osu_texts])
                read_back = np.array([difficulty_from_stars(value, mode) for value in stars])
                names = [difficulty_name(value, mode) for value in stars]
                multipliers = osu_writer.SLIDER_MULTIPLIERS.get(mode)
                rows += [{"song": title, "mode": mode, "multipliers": multipliers, "difficulty": difficulty,
                          "stars": value, "name": name, "read back": back}
                         for difficulty, value, name, back in zip(difficulties, stars, names, read_back)]
                summary.append({
                    "song": title, "mode": mode, "multipliers": multipliers,
                    "stars": f"{stars.min():.2f}-{stars.max():.2f}", "names": ", ".join(names),
                    "spearman": float(stats.spearmanr(difficulties, stars).statistic),
                    "mean |read back - asked|": float(np.mean(np.abs(read_back - difficulties))),
                })  # fmt: skip
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_colwidth", 80):
        print(pd.DataFrame(rows).round(3).to_string(index=False))
        print()
        summary = pd.DataFrame(summary)
        print(summary.round(3).to_string(index=False))
        print()
        by_pair = summary.groupby(["mode", summary["multipliers"].astype(str)])["mean |read back - asked|"].mean()
        print(by_pair.round(3).to_string())


if __name__ == "__main__":
    main()
