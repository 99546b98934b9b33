"""Songs that change tempo, made from the real songs of `examples/real_music_split.py`: each song's second half is
played about `--rate` times as fast (resampled, so its attacks stay sharp; the pitch rises too), exactly as much as
takes its tempo (the song's beat grid) to a whole BPM, as songs are produced at, and its charts' notes there are
moved alike. For every song it prints where the tempo map (`SongAnalysis.tempo_map`) puts the change and
its tempos, and the pooled onset F1 of the bundled model's maps (defaults) before and after the change, written on
the tempo map and on the one steady grid that beart wrote before (the song's `beat_grid` for the whole song), beside
the onset heuristic's. With `--rate 1` it checks that no steady song is split.

    python examples/check_tempo_changes.py ../shared/corpus beart/default_model [--split train|dev|test] [--rate 1.12]
"""

import argparse
import os
import sys

import librosa
import numpy as np
import pandas as pd

from beart.beatmaps.formats import mode_of_beatmap
from beart.evaluation.evaluate import HEURISTIC, MODEL, SAMPLING_RATE
from beart.evaluation.onset_metrics import match_counts, onset_times
from beart.processing import SongAnalysis


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from choose_on_dev import evaluator_for, load_songs  # noqa: E402


TOLERANCES_MS = (50, 20)


def played_faster(waveform: np.ndarray, cut_s: float, rate: float) -> np.ndarray:
    """The song with everything after `cut_s` played `rate` times as fast."""
    cut = int(cut_s * SAMPLING_RATE)
    faster = librosa.resample(waveform[cut:], orig_sr=SAMPLING_RATE * rate, target_sr=SAMPLING_RATE)
    return np.concatenate([waveform[:cut], faster]).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus")
    parser.add_argument("model")
    parser.add_argument("--split", default="train", choices=("train", "dev", "test"))
    parser.add_argument("--rate", type=float, default=1.12)
    arguments = parser.parse_args()

    evaluator = evaluator_for(arguments.model, {}, None, None, baselines=True)
    rows = []
    for name, _, waveform, references, _ in load_songs(arguments.corpus, arguments.split):
        cut_s = 0.5 * len(waveform) / SAMPLING_RATE
        bpm = evaluator.analyse(waveform).beat_grid[0]
        rate = round(bpm * arguments.rate) / bpm
        analysis = evaluator.analyse(played_faster(waveform, cut_s, rate))
        tempo_map = analysis.tempo_map
        print(f"{name}: {bpm:.2f} BPM, {bpm * rate:.2f} from {cut_s:.1f} s; tempo map " + ", ".join(
            f"{bpm:.2f} BPM from {time / 1000:.1f} s" for time, bpm in tempo_map[["time", "bpm"]].to_numpy()
        ))  # fmt: skip
        one_grid = SongAnalysis(analysis.mel_slices, analysis.waveform, analysis.sampling_rate)
        bpm, first_beat_ms = one_grid.beat_grid
        one_grid.tempo_map = pd.DataFrame({"time": [first_beat_ms], "bpm": [bpm]})  # what beart wrote before
        for system, song in (("tempo map", analysis), ("one grid", one_grid), (HEURISTIC, analysis)):
            counts = np.zeros((2, len(TOLERANCES_MS), 3))
            for reference in references:
                human = onset_times(reference)
                human = np.where(human > cut_s, cut_s + (human - cut_s) / rate, human)
                beatmap = evaluator.generate(
                    MODEL if system != HEURISTIC else HEURISTIC, song, reference.tracks, reference.difficulty,
                    mode_of_beatmap(reference),
                )  # fmt: skip
                generated = onset_times(beatmap)
                for part, (start, end) in enumerate(((0.0, cut_s), (cut_s + 1.0, np.inf))):
                    for index, tolerance in enumerate(TOLERANCES_MS):
                        inside = [times[(times >= start) & (times < end)] for times in (human, generated)]
                        matched = match_counts(*inside, tolerance)
                        counts[part, index] += [matched["matched"], matched["reference"], matched["estimated"]]
            f1 = 2 * counts[..., 0] / np.maximum(counts[..., 1] + counts[..., 2], 1)
            rows.append(
                {"song": name, "system": system, **{
                    f"{part} +-{tolerance}": f1[p, t] for p, part in enumerate(("before", "after"))
                    for t, tolerance in enumerate(TOLERANCES_MS)
                }}
            )  # fmt: skip
    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format="%.3f"))
    print(table.groupby("system", sort=False).mean(numeric_only=True).to_string(float_format="%.3f"))


if __name__ == "__main__":
    main()
