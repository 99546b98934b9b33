"""Generation on the accelerator against the CPU, same model, same song, same seed, same run.

For each mode, the map generated on the accelerator (transformers' default pipeline device) must equal the CPU's
object for object; then both devices time the `fast` strategy over the whole song, and the accelerator times `legacy`
over its first `--legacy-seconds` (the CPU takes minutes for it). Run it where there is a GPU; on a machine without
one both pipelines run on the CPU.

    python benchmarks/device_generation.py [SONG] [--model DIR_OR_ID] [--legacy-seconds 10]
"""

import argparse
import time
from pathlib import Path

import librosa
import numpy as np
from transformers import pipeline

import beart  # noqa: F401  (registers the pipeline)
from beart.generation.pipeline_beatmap_generation import default_model_path


EXAMPLE_SONG = Path(__file__).resolve().parents[1] / "examples" / "drums.ogg"
MODES = ("osu", "taiko", "catch", "mania", "stepmania")


def object_starts(beatmap) -> np.ndarray:
    return np.sort(beatmap.hit_objects()["start"].to_numpy())


def seconds_per_audio_minute(generator, song: str, audio_seconds: float, **options) -> float:
    started = time.perf_counter()
    generator(song, seed=0, progress=False, **options)
    return 60.0 * (time.perf_counter() - started) / audio_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("song", nargs="?", default=str(EXAMPLE_SONG), help="default: examples/drums.ogg")
    parser.add_argument("--model", default=None, help="a model id or folder (default: the bundled model)")
    parser.add_argument("--legacy-seconds", type=float, default=10.0, help="audio the legacy strategy maps")
    arguments = parser.parse_args()

    model = arguments.model or default_model_path()
    accelerator = pipeline("beatmap-generation", model=model)
    cpu = pipeline("beatmap-generation", model=model, device="cpu")
    print(f"accelerator pipeline on {accelerator.device}, reference on {cpu.device}")

    for mode in MODES:
        on_accelerator = object_starts(accelerator(arguments.song, mode=mode, seed=0, progress=False))
        on_cpu = object_starts(cpu(arguments.song, mode=mode, seed=0, progress=False))
        identical = np.array_equal(on_accelerator, on_cpu)
        print(f"{mode}: {len(on_accelerator)} objects against {len(on_cpu)}, identical: {identical}")

    audio_seconds = librosa.get_duration(path=arguments.song)
    mania = {"mode": "mania", "strategy": "fast"}
    fast_accelerator = seconds_per_audio_minute(accelerator, arguments.song, audio_seconds, **mania)
    fast_cpu = seconds_per_audio_minute(cpu, arguments.song, audio_seconds, **mania)
    legacy_seconds = min(arguments.legacy_seconds, audio_seconds)
    legacy_accelerator = seconds_per_audio_minute(
        accelerator, arguments.song, legacy_seconds, mode="mania", strategy="legacy", end=legacy_seconds
    )
    print(f"fast, 4 tracks, {audio_seconds:.0f} s of audio, seconds per audio minute:")
    ratio = fast_cpu / fast_accelerator
    print(f"  {accelerator.device}: {fast_accelerator:.2f}  cpu: {fast_cpu:.2f}  ratio: {ratio:.2f}x")
    print(f"legacy, 4 tracks, {legacy_seconds:.0f} s of audio, on {accelerator.device}: {legacy_accelerator:.1f}")


if __name__ == "__main__":
    main()
