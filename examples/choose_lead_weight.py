"""Chooses `lead_weight`, the share of the onset prior that a chart hears from the stem it follows (the guitar stem of
a Frets on Fire song, `lead_stem`), on the songs of `examples/real_music_split.py` that come with that stem, printing
every table it chose from; nothing is chosen on the test songs.

    python examples/choose_lead_weight.py ../shared/corpus beart/default_model [--weights 0,0.25,0.5,0.75,1]
        [--margin 0.005] [--test]

Every weight is scored on the development songs and, as a second check, on the training songs (the model trained on
their mixes, so they never choose alone): a song's score is the mean of its pooled onset F1 at +-50 and +-20 ms over
all its charts, whole songs, charts off their songs lined up on the attacks (`examples/choose_on_dev.py`). The rule:
among the weights whose training songs' mean score lies within `--margin` of the whole song's alone (weight 0), so that
a weight that helps the development song at the training songs' cost is not taken, the one whose development score is
highest; the current default stays unless that one scores more than `--margin` above it. With `--test`, the chosen
weight is reported on the test songs beside weight 0.
"""

import argparse
import os
import sys

import pandas as pd

from beart.beatmaps.formats import FORMATS
from beart.evaluation.evaluate import MODEL
from beart.loading import load_model


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from choose_on_dev import current_defaults, evaluator_for, load_songs, number_list, score_system  # noqa: E402


LEAD_STEMS = {beatmap_format.lead_stem for beatmap_format in FORMATS if beatmap_format.lead_stem}


def with_lead_stem(loaded: list) -> list:
    """The songs of `loaded` (see `load_songs`) that hold a stem some format's charts follow."""
    return [song for song in loaded if LEAD_STEMS & set(song[4])]


def split_scores(model: str, settings: dict, loaded: list, weights: list) -> pd.DataFrame:
    """One row per song and weight: its F1 at +-50, +-20 and +-10 ms, its score and its notes per chart note."""
    rows = []
    for weight in weights:
        table = score_system(evaluator_for(model, {**settings, "lead_weight": weight}, None, None), MODEL, loaded,
                             None, None)  # fmt: skip
        table["weight"] = weight
        table["score"] = (table["f1@50"] + table["f1@20"]) / 2.0
        rows.append(table)
    return pd.concat(rows, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", help="the shared corpus folder")
    parser.add_argument("model", help="the model folder")
    parser.add_argument("--weights", type=number_list(float), default=[0.0, 0.25, 0.5, 0.75, 1.0])
    parser.add_argument("--margin", type=float, default=0.005)
    parser.add_argument("--test", action="store_true", help="report the chosen weight on the test songs")
    arguments = parser.parse_args()
    settings = current_defaults(arguments.model)
    current = float(getattr(load_model(arguments.model).generation_config, "lead_weight", None) or 0.0)
    weights = sorted({0.0, current, *arguments.weights})
    columns = ["weight", "song", "f1@50", "f1@20", "f1@10", "score", "density"]
    means = {}
    for split in ("dev", "train"):
        table = split_scores(arguments.model, settings, with_lead_stem(load_songs(arguments.corpus, split, True)),
                             weights)  # fmt: skip
        print(f"\n{split} songs with a lead stem:\n{table[columns].to_string(index=False, float_format='%.4f')}")
        means[split] = table.groupby("weight")["score"].mean()
    summary = pd.DataFrame({"dev score": means["dev"], "train score (check)": means["train"]})
    summary["kept on train"] = summary["train score (check)"] >= means["train"][0.0] - arguments.margin
    print(f"\n{summary.to_string(float_format='%.4f')}")
    kept = summary[summary["kept on train"]]
    best = float(kept["dev score"].idxmax())
    chosen = best if kept.loc[best, "dev score"] > summary.loc[current, "dev score"] + arguments.margin else current
    print(f"\nchosen lead_weight: {chosen:g} (current {current:g}; best kept on the training songs {best:g})")
    if arguments.test:
        table = split_scores(arguments.model, settings, with_lead_stem(load_songs(arguments.corpus, "test", True)),
                             sorted({0.0, chosen}))  # fmt: skip
        print(f"\ntest songs (nothing chosen here):\n{table[columns].to_string(index=False, float_format='%.4f')}")


if __name__ == "__main__":
    main()
