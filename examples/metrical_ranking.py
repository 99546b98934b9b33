"""Which of a generated map's notes a human chart holds, told apart by the model's probability or by the place in the
song's metre: the ground for the order in which the `max_density` cap drops notes (docs/generation.md).

    python examples/metrical_ranking.py ../shared/corpus beart/default_model [--splits train dev]

Every chart of the split's songs is mapped with the model's decoding defaults but no cap, and each generated note is
marked as matched when a chart note lies within 50 ms. Per song and half of the difficulty range, the table gives the
share matched and the area under the ROC curve with which each ranking tells the matched notes first: the probability
that the note's step holds an object (what the cap read alone before), its metrical level
(`SongAnalysis.metrical_levels`, strongest first) and the two together (level first, then probability, as the cap
now reads them). 0.5 is chance.
"""

import argparse
import os
import sys

import numpy as np
import pandas as pd
from scipy.stats import rankdata

import beart.modeling.generation_beart as generation
from beart.beatmaps.formats import mode_of_beatmap
from beart.evaluation.evaluate import MODEL
from beart.evaluation.onset_metrics import onset_times


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from choose_on_dev import evaluator_for, load_songs  # noqa: E402


MATCHED_WITHIN_MS = 50.0


def generated_notes(corpus: str, model: str, splits: list) -> pd.DataFrame:
    """One row per generated note: song, chart difficulty, matched, object probability, metrical level."""
    scores = {}
    cap_notes = generation.cap_notes

    def keep_scores(beat_tokens, object_scores, *arguments):  # the scores the cap reads, kept
        scores["last"] = object_scores
        return cap_notes(beat_tokens, object_scores, *arguments)

    generation.cap_notes = keep_scores
    try:
        evaluator = evaluator_for(model, {"max_density": 1000.0}, None, None)  # a cap that never binds
        rows = []
        for split in splits:
            for name, _, waveform, charts, stems in load_songs(corpus, split):
                analysis = evaluator.analyse(waveform, stems)
                for chart in charts:
                    mode = mode_of_beatmap(chart)
                    beatmap = evaluator.generate(MODEL, analysis, chart.tracks, chart.difficulty, mode)
                    human, notes = onset_times(chart) * 1000.0, onset_times(beatmap) * 1000.0
                    nearest = np.abs(notes[:, None] - human[None, :]).min(axis=1)
                    steps = np.minimum((notes // 100).astype(int), len(scores["last"]) - 1)  # 100 ms beat tokens
                    rows.append(
                        pd.DataFrame(
                            {
                                "song": name[:24], "difficulty": chart.difficulty,
                                "matched": nearest <= MATCHED_WITHIN_MS, "probability": scores["last"][steps],
                                "level": analysis.metrical_levels(notes),
                            }
                        )
                    )  # fmt: skip
    finally:
        generation.cap_notes = cap_notes
    return pd.concat(rows, ignore_index=True)


def roc_auc(matched: np.ndarray, ranking: np.ndarray) -> float:
    """The chance that a matched note ranks above an unmatched one (ties count half): the Mann-Whitney form of the
    area under the ROC curve."""
    ranks = rankdata(ranking)
    positives = int(matched.sum())
    negatives = len(matched) - positives
    return float((ranks[matched].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", help="the shared corpus folder")
    parser.add_argument("model", help="the model folder")
    parser.add_argument("--splits", nargs="+", default=["train", "dev"], choices=["train", "dev", "test"])
    arguments = parser.parse_args()
    notes = generated_notes(arguments.corpus, arguments.model, arguments.splits)
    rankings = {
        "probability": lambda group: group["probability"],
        "level": lambda group: -group["level"],
        "level, then probability": lambda group: -group["level"] + 0.5 * group["probability"],
    }
    table, ranked = [], rankings.items()
    for (song, harder), group in notes.groupby(["song", notes["difficulty"] >= 0.5]):
        if group["matched"].nunique() == 2:
            table.append(
                {
                    "song": song, "difficulty": "0.5-1" if harder else "0-0.5", "notes": len(group),
                    "matched": group["matched"].mean(),
                    **{name: roc_auc(group["matched"].to_numpy(), rank(group).to_numpy()) for name, rank in ranked},
                }
            )  # fmt: skip
    table = pd.DataFrame(table)
    pd.set_option("display.width", 200)
    print(table.to_string(index=False, float_format="%.3f"))
    print("\nmean AUC:", {name: round(float(table[name].mean()), 3) for name in rankings})


if __name__ == "__main__":
    main()
