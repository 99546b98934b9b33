"""Fits the notes per beat of human charts against their difficulty, `log(notes per beat) = a + b * difficulty`, on the
training songs of `examples/real_music_split.py`, and prints every chart it fitted on with the constants
(`TYPICAL_NOTES_PER_BEAT` in `beart/decoding_options.py`, which the `max_density` cap reads). A chart's beats are the time
from its first note to its last over the median time between the song's tracked beats (`SongAnalysis.beat_period`), as
the cap counts them.

    python examples/fit_notes_per_beat.py ../shared/corpus [--split train] [--check-split dev]
        [--count-by beat|second|folded-beat --fold-bpm 70]

`--check-split` scores the fit on another split's charts (the geometric spread of their notes over the fit, and the
share within 20% of it), fitting nothing there. `--count-by` asks whether another count of a chart's span fits
human charts better than the tracked beats: seconds (a cap in notes per second), or beats at the tracked tempo folded
into [`--fold-bpm`, twice that) (a cap that a tempo octave does not double).
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
                        "seconds": notes[-1] - notes[0], "bpm": 60.0 / beat_seconds,
                    }
                )  # fmt: skip
    return pd.DataFrame(rows)


def folded(bpm: float, low: float) -> float:
    """`bpm` halved or doubled into [low, 2 * low)."""
    return bpm * 2.0 ** -np.floor(np.log2(bpm / low))


def notes_per_unit(rows: pd.DataFrame, count_by: str, fold_bpm: float) -> pd.Series:
    """Each chart's notes per unit of its span: per tracked beat, per second, or per beat at the folded tempo."""
    if count_by == "beat":
        return rows["notes/beat"]
    if count_by == "second":
        return rows["notes"] / rows["seconds"]
    beats = rows["seconds"] * rows["bpm"].map(lambda bpm: folded(bpm, fold_bpm)) / 60.0
    return rows["notes"] / beats


def spread(density: pd.Series, fitted: pd.Series) -> tuple[float, float]:
    """The geometric spread of `density` over `fitted` (the root mean square of the log ratio), and the share of
    charts within 20% of it."""
    residual = np.log(density / fitted)
    return float(np.exp(np.sqrt(np.mean(residual**2)))), float(np.mean(np.abs(residual) < np.log(1.2)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", help="the shared corpus folder")
    parser.add_argument("--split", default="train", choices=["train", "dev", "test"])
    parser.add_argument("--check-split", choices=["train", "dev", "test"], help="score the fit on this split too")
    parser.add_argument("--count-by", default="beat", choices=["beat", "second", "folded-beat"])
    parser.add_argument("--fold-bpm", type=float, default=70.0, help="with folded-beat: the lowest tempo of the fold")
    arguments = parser.parse_args()
    rows = chart_rows(arguments.corpus, arguments.split)
    density = notes_per_unit(rows, arguments.count_by, arguments.fold_bpm)
    slope, intercept = np.polyfit(rows["difficulty"], np.log(density), 1)
    rows["fitted"] = np.exp(intercept + slope * rows["difficulty"])
    pd.set_option("display.width", 200)
    print(rows.drop(columns=["seconds", "bpm"]).to_string(index=False, float_format="%.3f"))
    deviation, _ = spread(density, rows["fitted"])  # the fit's residuals average 0: their spread is their std
    unit = {"beat": "beat", "second": "second", "folded-beat": f"beat folded into [{arguments.fold_bpm:g}, x2) BPM"}
    constants = f"notes per {unit[arguments.count_by]} = exp({intercept:.3f} + {slope:.3f} * difficulty)"
    if arguments.count_by == "beat":
        constants = f"TYPICAL_NOTES_PER_BEAT = ({intercept:.3f}, {slope:.3f})  # a, b"
    print(f"\n{arguments.split} charts: {len(rows)}; {constants}; geometric spread x{deviation:.2f}")
    if arguments.check_split:
        checked = chart_rows(arguments.corpus, arguments.check_split)
        fitted = np.exp(intercept + slope * checked["difficulty"])
        root_mean_square, within = spread(notes_per_unit(checked, arguments.count_by, arguments.fold_bpm), fitted)
        print(f"{arguments.check_split} charts: {len(checked)}; over the fit: geometric spread "
              f"x{root_mean_square:.2f}, {within:.0%} within 20%")  # fmt: skip


if __name__ == "__main__":
    main()
