"""How many notes sit on the triplets of the beat (1/3, 1/6, 1/12) in the human charts of the real songs of
`examples/real_music_split.py` (each on its own timing) and in the bundled model's maps of them (the defaults, each
chart's tracks and difficulty, on the written timing), beside the song's `triplet_feel`, which decides whether its
generated maps may take the triplets (`SongAnalysis.subdivisions`, docs/generation.md).

    python examples/triplet_snaps.py ../shared/corpus beart/default_model [--split train dev] [--always-triplets]

With `--always-triplets` every song's maps may take the triplets, as generated maps did before `triplet_feel`.
"""

import argparse
import os
import sys

import numpy as np
import pandas as pd

from beart.beatmaps.beat_grid import ROWS_PER_BEAT, BeatGrid
from beart.beatmaps.formats import mode_of_beatmap
from beart.beatmaps.playability import BINARY_SUBDIVISIONS, PLAYABLE_SUBDIVISIONS
from beart.evaluation.evaluate import MODEL
from beart.evaluation.onset_metrics import onset_times


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from choose_on_dev import evaluator_for, load_songs  # noqa: E402


TRIPLETS = tuple(divisor for divisor in PLAYABLE_SUBDIVISIONS if divisor not in BINARY_SUBDIVISIONS)
WITHIN_MS = 4.0


def triplet_count(beatmap) -> tuple[int, int]:
    """`(notes on a triplet, notes)` of a map, on its own timing. A generated map's notes (its metadata names the
    subdivisions it was snapped to) count on the rows the writers put them (`BeatGrid.rows_at`): on a 1/3, 1/6 or
    1/12 of the beat and on no 1/16. A human chart's count where they lie within `WITHIN_MS` of a triplet and farther
    from every 1/1-1/16 (its 10 ms steps do not say which subdivision its file wrote)."""
    grid = BeatGrid.of(beatmap)
    times = 1000.0 * onset_times(beatmap)
    if beatmap.meta.get("subdivisions"):
        rows = grid.rows_at(times)
        on_triplet = (rows % (ROWS_PER_BEAT // max(TRIPLETS)) == 0) & (rows % (ROWS_PER_BEAT // 16) != 0)
        return int(np.sum(on_triplet)), len(times)
    binary = grid.candidate_rows(times, BINARY_SUBDIVISIONS)[1].min(axis=1)
    triplet = grid.candidate_rows(times, TRIPLETS)[1].min(axis=1)
    return int(np.sum((triplet <= WITHIN_MS) & (binary > WITHIN_MS))), len(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus")
    parser.add_argument("model")
    parser.add_argument("--split", nargs="+", default=["train", "dev"], choices=["train", "dev", "test"])
    parser.add_argument("--always-triplets", action="store_true", help="let every song's maps take the triplets")
    arguments = parser.parse_args()
    evaluator = evaluator_for(arguments.model, {}, None, None)
    rows = []
    for split in arguments.split:
        for name, _, waveform, references, _ in load_songs(arguments.corpus, split):
            analysis = evaluator.analyse(waveform)
            feel, takes = analysis.triplet_feel, analysis.subdivisions == PLAYABLE_SUBDIVISIONS
            if arguments.always_triplets:
                analysis.subdivisions = PLAYABLE_SUBDIVISIONS
            counts = np.zeros((2, 2), dtype=np.int64)  # (charts, generated) x (on triplets, notes)
            for reference in references:
                generated = evaluator.generate(
                    MODEL, analysis, reference.tracks, reference.difficulty, mode_of_beatmap(reference)
                )  # fmt: skip
                counts += [triplet_count(reference), triplet_count(generated)]
            rows.append(
                {
                    "split": split, "song": name, "triplet feel": feel,
                    "takes triplets": takes,
                    "charts on triplets": counts[0, 0] / max(counts[0, 1], 1),
                    "maps on triplets": counts[1, 0] / max(counts[1, 1], 1),
                }
            )  # fmt: skip
            print(rows[-1], flush=True)
    print(pd.DataFrame(rows).to_string(index=False, float_format="%.3f"))


if __name__ == "__main__":
    main()
