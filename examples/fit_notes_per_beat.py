"""Fits the notes per beat of human charts against their difficulty, `log(notes per beat) = a + b * difficulty`, on the
training songs of `examples/real_music_split.py`, and prints every chart it fitted on with the constants
(`TYPICAL_NOTES_PER_BEAT` in `beart/decoding_options.py`, which the `max_density` cap reads). A chart's beats are the time
from its first note to its last over the median time between the song's tracked beats (`SongAnalysis.beat_period`), as
the cap counts them.

    python examples/fit_notes_per_beat.py ../shared/corpus [--split train]
"""

import argparse
import os
import sys

import numpy as np
import pandas as pd

from beart.evaluation.evaluate import SAMPLING_RATE, find_reference_songs
from beart.evaluation.onset_metrics import onset_times
from beart.processing import BeartFeatureExtractor, SongAnalysis


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from real_music_split import game, songs  # noqa: E402


def chart_rows(corpus: str, split: str) -> pd.DataFrame:
    """One row per chart of the split's songs: its difficulty, notes, and the beats its notes span."""
    feature_extractor = BeartFeatureExtractor()
    rows = []
    for folder in songs(corpus, split):
        for song in find_reference_songs(folder, []):
            analysis = SongAnalysis.from_audio(song.audio, feature_extractor)
            beat_seconds = analysis.beat_period * feature_extractor.hop_length / SAMPLING_RATE
            for chart in song.maps:
                notes = onset_times(chart)
                beats = (notes[-1] - notes[0]) / beat_seconds
                rows.append(
                    {
                        "game": game(folder), "song": os.path.basename(folder)[:24],
                        "chart": chart.meta["name"].rsplit("[", 1)[-1].rstrip("]"), "difficulty": chart.difficulty,
                        "notes": len(notes), "beats": round(beats), "notes/beat": len(notes) / max(beats, 1),
                    }
                )  # fmt: skip
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", help="the shared corpus folder")
    parser.add_argument("--split", default="train", choices=["train", "dev", "test"])
    arguments = parser.parse_args()
    rows = chart_rows(arguments.corpus, arguments.split)
    slope, intercept = np.polyfit(rows["difficulty"], np.log(rows["notes/beat"]), 1)
    rows["fitted"] = np.exp(intercept + slope * rows["difficulty"])
    pd.set_option("display.width", 200)
    print(rows.to_string(index=False, float_format="%.3f"))
    spread = np.exp(np.std(np.log(rows["notes/beat"] / rows["fitted"])))
    print(f"\n{arguments.split} charts: {len(rows)}; TYPICAL_NOTES_PER_BEAT = ({intercept:.3f}, {slope:.3f})"
          f"  # a, b; a chart's notes/beat over the fit: geometric spread x{spread:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
