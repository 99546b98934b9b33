"""Objects a map places in a song's silence, with and without the `silence_db` gate (docs/generation.md, "silence_db"):
the example drums (`examples/drums.ogg`, whose first 1.9 s are the quiet noise beneath them: hiss) alone, with 6 s
of digital silence before them, in their middle and after them, and after 30 s of silence, one click in 10 s of
silence, 20 s of a steady buzz (a 100 Hz pulse train: sound without an attack after its start, which the gate leaves
to the onset prior), 20 s of a 40 Hz sine and of a 50 Hz mains hum with five harmonics (steady sound, faded out over
its last 0.5 s: the gate's steady sound), the drums after 6 s of white noise (hiss) 30 and 50 dB below their peak,
and the drums over such hiss 30 dB down all through (none of it silence); each in mania, taiko and osu! at
difficulties 0.2 and 0.8, with the model's defaults without the gate, with them (the gate at its default), and the
model alone (priors, guidance and gate off). A cell is "objects in the silence / objects" (an object counts as in
the silence from 20 ms after a sound to 50 ms before the next, where the gate reads no sound; in the buzz, the sine
and the hum, from 100 ms on to their fade; in the hiss, up to 50 ms before the drums), or "no map" where the
pipeline placed no object at all.

    python examples/silent_stretches.py [--model beart/default_model]
"""

import argparse
import os

import numpy as np

import beart
from beart import BeartFeatureExtractor
from beart.audio import load_audio
from beart.beatmaps import BeatmapError
from beart.processing import SongAnalysis


SAMPLING_RATE = 44100
EXAMPLE_SONG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "drums.ogg")
FIRST_KICK_MS = 1875  # four beats at 128 BPM (examples/make_example_song.py): before it, the noise beneath the drums
SYSTEMS = {
    "defaults without the gate": {"silence_db": 0.0},
    "defaults": {},
    "model alone": {"onset_prior": 0.0, "beat_prior": 0.0, "difficulty_guidance": 0.0, "silence_db": 0.0},
}
LAYOUTS = [(mode, difficulty) for mode in ("mania", "taiko", "osu") for difficulty in (0.2, 0.8)]


def songs() -> dict:
    """Per case, the samples and the silent stretches (start and end, ms)."""
    drums = load_audio(EXAMPLE_SONG, target_sampling_rate=SAMPLING_RATE)
    silence, half = np.zeros(6 * SAMPLING_RATE, np.float32), 10 * SAMPLING_RATE
    broken = np.concatenate([silence, drums[:half], silence, drums[half:], silence])
    second_part_ends = 22000 + 1000 * (len(drums) - half) // SAMPLING_RATE
    late = np.concatenate([np.zeros(30 * SAMPLING_RATE, np.float32), drums])
    click = np.zeros(10 * SAMPLING_RATE, np.float32)
    click[3 * SAMPLING_RATE] = 1.0
    buzz = np.zeros(20 * SAMPLING_RATE, np.float32)
    buzz[:: SAMPLING_RATE // 100] = 0.5
    times = np.arange(20 * SAMPLING_RATE) / SAMPLING_RATE
    fade_out = np.minimum(1.0, (20.0 - times) / 0.5)  # a sound cut off clicks
    sine = (0.5 * np.sin(2 * np.pi * 40.0 * times) * fade_out).astype(np.float32)
    hum = sum(0.5**k * np.sin(2 * np.pi * 50.0 * (k + 1) * times) for k in range(6)) * fade_out
    hum = (0.5 * hum / np.abs(hum).max()).astype(np.float32)
    noise = np.random.default_rng(0).standard_normal(len(drums)).astype(np.float32)
    noise *= np.abs(drums).max() / np.abs(noise).max()

    def hiss(seconds: float, below_db: float) -> np.ndarray:
        return noise[: int(seconds * SAMPLING_RATE)] * np.float32(10 ** (-below_db / 20))

    return {
        "the drums alone": (drums, [(0, FIRST_KICK_MS)]),  # they open on the quiet noise beneath them
        "drums, 6 s silences": (
            broken, [(0, 6000), (16000, 22000), (second_part_ends, 1000 * len(broken) // SAMPLING_RATE)]
        ),
        "drums after 30 s of silence": (late, [(0, 30000)]),
        "one click in 10 s": (click, [(0, 3000), (3000, 10000)]),
        "a steady buzz, 20 s": (buzz, [(80, 20000)]),
        "a 40 Hz sine, 20 s": (sine, [(100, 19500)]),
        "a 50 Hz hum and five harmonics, 20 s": (hum, [(100, 19500)]),
        "the drums after 6 s of hiss 30 dB down": (np.concatenate([hiss(6, 30), drums]), [(0, 6000)]),
        "the drums after 6 s of hiss 50 dB down": (np.concatenate([hiss(6, 50), drums]), [(0, 6000)]),
        "the drums over hiss 30 dB down": (drums + hiss(len(drums) / SAMPLING_RATE, 30), []),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="a model folder or id (default: the bundled model)")
    arguments = parser.parse_args()
    generator = beart.load_generator(arguments.model)  # the bundled model unless --model
    header = " | ".join(f"{mode} {difficulty:g}" for mode, difficulty in LAYOUTS)
    print(f"| song | system | {header} |\n| --- | --- |{' --- |' * len(LAYOUTS)}")
    for name, (samples, silent_ms) in songs().items():
        analysis = SongAnalysis.from_audio(samples, BeartFeatureExtractor(), sampling_rate=SAMPLING_RATE)
        for label, settings in SYSTEMS.items():
            cells = []
            for mode, difficulty in LAYOUTS:
                try:
                    beatmap = generator(analysis, mode=mode, difficulty=difficulty, seed=1, progress=False, **settings)
                except BeatmapError:  # not one object
                    cells.append("no map")
                    continue
                starts = beatmap.hit_objects()["start"].to_numpy()
                inside = sum(int(((starts > begin + 20) & (starts < end - 50)).sum()) for begin, end in silent_ms)
                cells.append(f"{inside} / {len(starts)}")
            print(f"| {name} | {label} | {' | '.join(cells)} |", flush=True)


if __name__ == "__main__":
    main()
