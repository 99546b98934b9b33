"""Reports a model on the real songs of `examples/real_music_split.py` (whole songs, the model's own decoding
defaults), as a markdown table: per song, the model with its defaults, the model alone (priors, guidance and silence
gate 0), the priors alone (an untrained model with the same defaults) and the onset heuristic, at +-50, +-20 and +-10
ms, with the generated notes per human note. Nothing is chosen here. With `--tracks N` every map is generated with its
chart's first N tracks (F1 pools the tracks either way); `--tracks 1` is the layout of osu!standard and osu!catch,
which no real chart here has. Every system is scored against each chart that sits 20 ms or more off its song's attacks
moved onto them, as `beart evaluate` scores by default (Sectoid's Frets on Fire charts); `--charts-as-written` scores
every chart as written.

    python examples/report_real_music.py ../shared/corpus beart/default_model [--splits dev test] [--tracks 1]
        [--charts-as-written]
"""

import argparse
import os
import sys

from beart.beatmaps.intermediate import TRACK_COUNTS
from beart.cli import add_chart_sync_arguments
from beart.evaluation.evaluate import HEURISTIC, MODEL, UNTRAINED
from beart.loading import load_model


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from choose_on_dev import MODEL_ALONE, TOLERANCES_MS, evaluator_for, load_songs, score_system  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", help="the shared corpus folder")
    parser.add_argument("model", help="the model folder")
    parser.add_argument("--splits", nargs="+", default=["dev", "test"], choices=["train", "dev", "test"])
    parser.add_argument(
        "--tracks", type=int, choices=TRACK_COUNTS, help="generate every map with its chart's first N tracks"
    )
    add_chart_sync_arguments(parser)
    arguments = parser.parse_args()
    defaults = load_model(arguments.model).generation_config.to_diff_dict()
    defaults.pop("transformers_version", None)
    # the untrained model decodes with the model's defaults too (`untrained_model`): the priors alone
    evaluator = evaluator_for(arguments.model, {}, None, None, baselines=True)
    alone = evaluator_for(arguments.model, MODEL_ALONE, None, None)
    systems = {
        "model, defaults": (evaluator, MODEL),
        "model alone": (alone, MODEL),
        "priors alone": (evaluator, UNTRAINED),
        "onset heuristic": (evaluator, HEURISTIC),
    }
    layout = f", every map with at most {arguments.tracks} track(s)" if arguments.tracks else ""
    layout += ", charts off their songs lined up on the attacks" if arguments.line_up_charts else ", charts as written"
    print(f"{arguments.model}, decoding defaults {defaults}{layout}\n")
    print("| split | game | song | system | F1 +-50 ms | +-20 ms | +-10 ms | notes / human notes |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for split in arguments.splits:
        songs = load_songs(arguments.corpus, split, arguments.line_up_charts)
        tables = {
            label: score_system(which, system, songs, None, None, num_tracks=arguments.tracks)
            for label, (which, system) in systems.items()
        }
        for index, song in enumerate(songs):
            for label, table in tables.items():
                row = table.iloc[index]
                f1 = " | ".join(f"{row[f'f1@{tolerance}']:.3f}" for tolerance in TOLERANCES_MS)
                print(f"| {split} | {row['game']} | {row['song']} | {label} | {f1} | {row['density']:.2f} |")


if __name__ == "__main__":
    main()
