"""The model alone (priors, guidance and silence gate 0) and the priors alone (an untrained model with the model's
decoding defaults), each at its own `hit_threshold` chosen on the development songs (whole songs, printing the table it
chose from), then both on the test songs at those thresholds, where nothing is chosen. Asks whether the model alone
reads below the priors alone only because both decode at the threshold chosen for the two together.

    python examples/alone_at_own_threshold.py ../shared/corpus beart/default_model [--thresholds 0.3,0.5,0.7]
"""

import argparse
import os
import sys

import pandas as pd

from beart.evaluation.evaluate import MODEL, UNTRAINED


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from choose_on_dev import MODEL_ALONE, current_defaults, evaluator_for, load_songs, number_list  # noqa: E402
from choose_on_dev import per_song_columns, score_system, selection_score  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", help="the shared corpus folder")
    parser.add_argument("model", help="the model folder")
    parser.add_argument("--thresholds", type=number_list(float), default=[0.3, 0.5, 0.7])
    arguments = parser.parse_args()
    pd.set_option("display.width", 250)
    current = current_defaults(arguments.model)  # hold_threshold and the rest come from the model's own defaults
    systems = {"model alone": ({**current, **MODEL_ALONE}, MODEL), "priors alone": (current, UNTRAINED)}
    dev, test = load_songs(arguments.corpus, "dev"), load_songs(arguments.corpus, "test")
    chosen = {}
    for label, (settings, system) in systems.items():
        rows = []
        for threshold in arguments.thresholds:
            trial = {**settings, "hit_threshold": threshold}
            evaluator = evaluator_for(arguments.model, trial, None, None, baselines=system == UNTRAINED)
            table = score_system(evaluator, system, dev, None, None)
            rows.append({"hit_threshold": threshold, "score": selection_score(table), **per_song_columns(table)})
        rows = pd.DataFrame(rows)
        chosen[label] = float(rows.iloc[int(rows["score"].argmax())]["hit_threshold"])
        print(f"\n{label}, development songs:\n{rows.to_string(index=False, float_format='%.4f')}\nchosen: {chosen[label]}")
    for label, (settings, system) in systems.items():
        trial = {**settings, "hit_threshold": chosen[label]}
        evaluator = evaluator_for(arguments.model, trial, None, None, baselines=system == UNTRAINED)
        table = score_system(evaluator, system, test, None, None)
        print(f"\n{label} at {chosen[label]}, test songs (nothing chosen here):")
        print(table.to_string(index=False, float_format="%.3f"))


if __name__ == "__main__":
    main()
