"""Generation speed and onset quality of the `fast` and `legacy` strategies, same model, same songs, same run.

Speed: seconds of compute per minute of audio for 1, 2 and 4 tracks. Quality: onset F1 (`mir_eval`, +-50 ms) of the
generated objects' start times (all tracks together) against the known onsets of the songs: the reference fixture's
click loop (its onset list) and songs rendered from synthetic rhythms (their hit times). `fast` runs once per
`--prediction-steps` value (steps taken from one forward pass; by default 1 and the model's `prediction_steps`).

    python benchmarks/generation_speed.py [--model DIR_OR_ID] [--seconds 30] [--songs 2] [--first-seed 0]
        [--prediction-steps 1 6]
"""

import argparse
import json
import os
import time
from pathlib import Path

import mir_eval
import numpy as np
import pandas as pd
import torch
from transformers import pipeline

import beart  # noqa: F401  (registers the pipeline)
from beart.beatmaps import IntermediateBeatmap
from beart.generation.pipeline_beatmap_generation import default_model_path
from beart.training.synthesis import render_beatmap_audio


SHARED = Path(os.environ.get("BEART_SHARED", Path(__file__).resolve().parents[2] / "shared"))
FIXTURES = SHARED / "fixtures" / "original"
SAMPLING_RATE = 44100


def synthetic_song(seed: int, seconds: float) -> tuple[np.ndarray, np.ndarray]:
    """A rendered rhythm: a random tempo, eighth and sixteenth notes on two drums; returns audio and onsets (s)."""
    random = np.random.default_rng(seed)
    beat = 60000.0 / random.uniform(110, 170)
    grid = np.arange(1000, seconds * 1000 - 500, beat / 4)
    keep = random.random(len(grid)) < np.where(np.arange(len(grid)) % 2 == 0, 0.8, 0.3)
    starts = np.round(grid[keep])
    tracks = np.where(np.arange(len(starts)) % 4 == 2, "RIGHT", "LEFT")
    objects = pd.DataFrame({"track": tracks, "start": starts, "end": starts})
    beatmap = IntermediateBeatmap.from_hit_objects(
        objects, {"audio": "song.wav", "difficulty": 0.5, "tracks": ["LEFT", "RIGHT"]}, end_ms=seconds * 1000
    )
    return render_beatmap_audio(beatmap, SAMPLING_RATE, seed=seed)[: int(seconds * SAMPLING_RATE)], starts / 1000


def onset_f1(beatmap, onsets: np.ndarray) -> float:
    starts = np.unique(beatmap.hit_objects()["start"].to_numpy() / 1000.0)
    return mir_eval.onset.f_measure(onsets, starts, window=0.05)[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model id or folder (default: the bundled model)")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--songs", type=int, default=2, help="synthetic songs besides the fixture's")
    parser.add_argument("--first-seed", type=int, default=0, help="seed of the first synthetic song")
    parser.add_argument("--prediction-steps", type=int, nargs="+", help="fast: steps per forward pass to compare")
    arguments = parser.parse_args()
    torch.set_flush_denormal(True)
    generator = pipeline("beatmap-generation", model=arguments.model or default_model_path())
    prediction_steps = arguments.prediction_steps or sorted({1, generator.model.config.prediction_steps})
    systems = [("legacy", None)] + [("fast", steps) for steps in prediction_steps]

    import soundfile

    click, rate = soundfile.read(FIXTURES / "click_120bpm.wav", dtype="float32")
    songs = [(click[: int(arguments.seconds * rate)], np.loadtxt(FIXTURES / "click_120bpm.onsets.txt"))]
    seeds = range(arguments.first_seed, arguments.first_seed + arguments.songs)
    songs += [synthetic_song(seed, arguments.seconds) for seed in seeds]
    minutes = sum(len(audio) / SAMPLING_RATE for audio, _ in songs) / 60

    rows = []
    for num_tracks, mode in ((1, "osu"), (2, "taiko"), (4, "mania")):
        for strategy, steps in systems:
            options = {} if steps is None else {"prediction_steps": steps}
            scores, start = [], time.perf_counter()
            for seed, (audio, onsets) in enumerate(songs):
                beatmap = generator(
                    audio, sampling_rate=SAMPLING_RATE, mode=mode, strategy=strategy, seed=seed, progress=False,
                    **options,
                )  # fmt: skip
                scores.append(onset_f1(beatmap, onsets[onsets < len(audio) / SAMPLING_RATE]))
            seconds = time.perf_counter() - start
            rows.append(
                {
                    "tracks": num_tracks,
                    "strategy": strategy,
                    "prediction_steps": steps,
                    "seconds_per_audio_minute": round(seconds / minutes, 2),
                    "onset_f1_50ms": round(float(np.mean(scores)), 3),
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    by_key = {
        (row["tracks"], row["strategy"], row["prediction_steps"]): row["seconds_per_audio_minute"] for row in rows
    }
    ratios = {"legacy_4_tracks_vs_1_track": round(by_key[(4, "legacy", None)] / by_key[(1, "legacy", None)], 2)}
    for steps in prediction_steps:
        ratios[f"fast_{steps}_speed_up_1_track"] = round(by_key[(1, "legacy", None)] / by_key[(1, "fast", steps)], 2)
        ratios[f"fast_{steps}_4_tracks_vs_1_track"] = round(by_key[(4, "fast", steps)] / by_key[(1, "fast", steps)], 2)
    print(json.dumps(ratios))


if __name__ == "__main__":
    main()
