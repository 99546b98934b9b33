"""Chooses the star scale of osu!taiko and osu!mania maps (`STAR_SCALES` in `beart/beatmaps/osu_reader.py`) on the
development songs, and prints the table it chose from: osu!'s names' scale, or the one `examples/fit_star_scale.py`
fits on the training songs.

    python examples/choose_star_scale.py ../shared/corpus [--model beart/default_model] [--split dev] [--margin 0.005]

For each mode, every song of the split whose charts have the mode's track count (2 for taiko, 4 for mania) is written
as an `.osz` of the mode (`convert_beatmaps`, as `beart convert SONG sets/ --mode MODE` writes it) and scored by
`BeatmapEvaluator` with `beart evaluate`'s defaults (charts off their songs lined up; no baselines), once with the
reader on each scale: an osu! map's difficulty, which the model is asked for, comes from its star rating on its mode's
scale. A scale's score is the mean over the songs of the mean of the model's pooled F1 at +-50 and +-20 ms; the fitted
scale replaces the names' where it scores more than `--margin` above it (a few songs cannot tell smaller differences
apart). The difficulties the model was asked for and its maps' notes per chart note are printed beside. `--split
test` reports the test songs, choosing nothing there.
"""

import argparse
import contextlib
import os
import sys
import tempfile

import pandas as pd

from beart import BeartModel
from beart.beatmaps import convert_beatmaps, osu_reader
from beart.evaluation import BeatmapEvaluator, summary_table
from beart.evaluation.evaluate import find_reference_songs
from beart.generation.pipeline_beatmap_generation import default_model_path


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fit_star_scale import MODE_TRACKS, chart_rows, fit, scale_points  # noqa: E402
from real_music_split import songs  # noqa: E402


@contextlib.contextmanager
def star_scale(mode: str, points: tuple[float, ...]):
    """The reader reads `mode`'s maps on `points` inside the block."""
    kept = osu_reader.STAR_SCALES[mode]
    osu_reader.STAR_SCALES[mode] = points
    try:
        yield
    finally:
        osu_reader.STAR_SCALES[mode] = kept


def song_sets(corpus: str, split: str, mode: str, folder: str) -> list[str]:
    """The split's songs whose charts have `mode`'s track count, each written as an `.osz` of `mode` into `folder`."""
    written = []
    for song in songs(corpus, split):
        charts = [chart for reference in find_reference_songs(song, []) for chart in reference.maps]
        if not charts or len(charts[0].tracks) != MODE_TRACKS[mode]:
            continue
        report = convert_beatmaps(song, os.path.join(folder, mode), progress=False, mode=mode)
        written += sorted(set(report.converted))
    return written


def scored(evaluator: BeatmapEvaluator, osz: str, folder: str) -> dict:
    """The model's pooled F1 at +-50 and +-20 ms on the set's charts, the difficulties asked for, and its maps' notes
    per chart note."""
    report = evaluator.evaluate(osz, folder, progress=False)
    table = summary_table(report).set_index("system")
    statistics = pd.DataFrame(report["map_statistics"])
    objects = statistics.groupby("system")["objects"].sum()
    asked = statistics.loc[statistics["system"] == "model", "requested"]
    return {
        "f1_50ms": float(table.loc["model", "f1_50ms"]), "f1_20ms": float(table.loc["model", "f1_20ms"]),
        "difficulties": " ".join(f"{value:.2f}" for value in sorted(asked)),
        "notes per chart note": float(objects["model"] / objects["reference"]),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", help="the shared corpus folder")
    parser.add_argument("--model", default=None, help="a model folder or id (default: the bundled model)")
    parser.add_argument("--split", default="dev", choices=["dev", "test"])
    parser.add_argument("--margin", type=float, default=0.005)
    arguments = parser.parse_args()
    model = BeartModel.from_pretrained(arguments.model or default_model_path())
    evaluator = BeatmapEvaluator(model, baselines=False, sweep_difficulties=())
    training_charts = chart_rows(arguments.corpus, "train")
    pd.set_option("display.width", 200)
    with tempfile.TemporaryDirectory() as folder:
        for mode in MODE_TRACKS:
            scales = {"names": osu_reader.NAMED_STAR_POINTS}
            scales["fitted"] = scale_points(*fit(training_charts[training_charts["mode"] == mode]))
            rows = []
            for osz in song_sets(arguments.corpus, arguments.split, mode, folder):
                for name, points in scales.items():
                    with star_scale(mode, points):
                        report_folder = os.path.join(folder, "reports", mode, name, os.path.basename(osz))
                        scores = scored(evaluator, osz, report_folder)
                    rows.append({"song": os.path.basename(osz)[:28], "scale": name, **scores})
            if not rows:
                print(f"{mode}: no {arguments.split} song has charts of {MODE_TRACKS[mode]} tracks\n")
                continue
            table = pd.DataFrame(rows)
            table["score"] = (table["f1_50ms"] + table["f1_20ms"]) / 2
            print(f"{mode} ({arguments.split} songs), the fitted scale: {scales['fitted']}")
            print(table.to_string(index=False, float_format="%.3f"))
            means = table.groupby("scale")["score"].mean()
            chosen = "fitted" if means["fitted"] > means["names"] + arguments.margin else "names"
            verdict = f"chosen: {chosen}" if arguments.split == "dev" else "(test songs: nothing chosen)"
            print(f"{mode}: score names {means['names']:.4f}, fitted {means['fitted']:.4f}; {verdict}\n")


if __name__ == "__main__":
    main()
