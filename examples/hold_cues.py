"""Which cue says where human charters hold: for every note of the real songs' charts (`examples/real_music_split.py`),
the rest after it (beats until the chart's next note, at most 8) and how far the sound it starts decays (the mean
level, in dB, of the 8 mel bands that rose most at the note, from its peak to half a beat and to a beat later); per
song, the area under the ROC curve of each for held against hit notes (decay: the less, the likelier held).

    python examples/hold_cues.py ../shared/corpus beart/default_model [--splits train dev]
"""

import argparse
import os
import sys

import numpy as np
from sklearn.metrics import roc_auc_score

from beart.beatmaps.beat_grid import BeatGrid
from beart.beatmaps.intermediate import QUANTUM_MS
from beart.loading import load_model
from beart.processing import BeartProcessor, SongAnalysis


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from choose_on_dev import load_songs  # noqa: E402


ATTACK_BANDS = 8
DECIBELS = 80.0  # the mel slices hold 1 + dB / 80


def note_cues(frames_db: np.ndarray, beatmap) -> dict:
    """Per note start of a chart: `rest` (beats), `decay_half` and `decay_beat` (dB), `held`."""
    objects = beatmap.hit_objects().sort_values("start").drop_duplicates("start")
    starts = objects["start"].to_numpy(np.float64)
    held = (objects["end"] > objects["start"]).to_numpy()
    beat_ms = BeatGrid.of(beatmap).beat_ms_at(starts)
    rest = np.minimum(np.diff(starts, append=np.inf), 8 * beat_ms) / beat_ms
    frame = (starts // QUANTUM_MS).astype(int)
    later = frame + (beat_ms // QUANTUM_MS).astype(int)
    inside = (frame >= 3) & (later < len(frames_db))
    cues = {"rest": [], "decay_half": [], "decay_beat": [], "held": []}
    for index in np.flatnonzero(inside):
        at = frame[index]
        rise = frames_db[at + 1 : at + 4].max(axis=0) - frames_db[at - 3 : at - 1].mean(axis=0)
        bands = np.argsort(rise)[-ATTACK_BANDS:]
        peak = frames_db[at : at + 6, bands].max(axis=0).mean()
        half = at + int(beat_ms[index] / (2 * QUANTUM_MS))
        cues["decay_half"].append(peak - frames_db[half, bands].mean())
        cues["decay_beat"].append(peak - frames_db[later[index], bands].mean())
        cues["rest"].append(rest[index])
        cues["held"].append(held[index])
    return cues


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", help="the shared corpus folder")
    parser.add_argument("model", help="the model folder whose mel slices to read")
    parser.add_argument("--splits", nargs="+", default=["train", "dev"], choices=["train", "dev", "test"])
    arguments = parser.parse_args()
    feature_extractor = BeartProcessor.from_model_config(load_model(arguments.model).config).feature_extractor
    print("| split | game | song | notes | held | rest AUC | decay to 1/2 beat AUC | decay to 1 beat AUC |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for split in arguments.splits:
        for name, game, waveform, references, _ in load_songs(arguments.corpus, split):
            analysis = SongAnalysis.from_audio(waveform, feature_extractor, feature_extractor.sampling_rate)
            frames_db = analysis.mel_slices.reshape(-1, analysis.mel_slices.shape[-1]) * DECIBELS
            cues = {key: [] for key in ("rest", "decay_half", "decay_beat", "held")}
            for reference in references:
                for key, values in note_cues(frames_db, reference).items():
                    cues[key] += values
            held = np.array(cues["held"], dtype=bool)
            if held.sum() < 5 or (~held).sum() < 5:
                print(f"| {split} | {game} | {name} | {len(held)} | {int(held.sum())} | | | |")
                continue
            auc = [roc_auc_score(held, cues["rest"])]
            auc += [roc_auc_score(held, -np.array(cues[key])) for key in ("decay_half", "decay_beat")]
            print(f"| {split} | {game} | {name} | {len(held)} | {held.mean():.2f} | "
                  + " | ".join(f"{value:.3f}" for value in auc) + " |")  # fmt: skip


if __name__ == "__main__":
    main()
