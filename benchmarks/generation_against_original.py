"""Generation speed of beart against the real original BeatLearning package (`../shared/original`, imported, never
copied), same song, same run: seconds to generate `--seconds` of audio for one track with the original's
`BEaRT.generate` (its defaults: beam search, temperature 0.5) and with beart's pipeline (`fast`, the bundled model's
decoding defaults, priors and guidance on, `make_playable`), for 1 and 4 tracks (timed in turn within each repeat); the
ratios printed at the end. One track is timed twice: with the defaults (the bundled model decodes a one-track map with
four tracks and folds it, `decode_tracks`) and decoded with its own track (`decode_tracks=0`).

    python benchmarks/generation_against_original.py [--seconds 30] [--repeats 2]
        [--history-steps 0 64 1:64,2:64,4:16 ...]

Both use the author's checkpoint converted for beart where beart runs the original's model (`--model original`), or
the bundled model (`--model bundled`, the default): the speed of decoding, not of one network, is what is compared.
"""

import argparse
import os
import sys
import tempfile
import warnings
from functools import partial
from pathlib import Path

import numpy as np
import soundfile
import torch
from transformers import pipeline

import beart
from beart.audio import load_audio
from beart.decoding_options import read_history_steps

from timing import best_time, interleaved_best_times


SHARED = Path(os.environ.get("BEART_SHARED", Path(__file__).resolve().parents[2] / "shared"))
CHECKPOINT = SHARED / "fixtures" / "original" / "original_quaver_checkpoint.pt"
SONG = Path(__file__).resolve().parents[1] / "examples" / "drums.ogg"
# (label, mode, decoding options) of each timed generation
LAYOUTS = (
    ("1 track", "osu", {}),
    ("1 track decoded with its own track", "osu", {"decode_tracks": 0}),
    ("4 tracks", "mania", {}),
)


def original_model():
    sys.path.insert(0, str(SHARED / "original"))
    from beatlearning.configs import QuaverBEaRT
    from beatlearning.models import BEaRT
    from beatlearning.tokenizers import BEaRTTokenizer

    model = BEaRT(BEaRTTokenizer(QuaverBEaRT()))
    model.load(str(CHECKPOINT), weights_only=False)
    return model.eval()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--model", choices=["bundled", "original"], default="bundled")
    parser.add_argument(
        "--history-steps", nargs="*", default=[None],
        help="beart's history_steps to time, each in turn: N or TRACKS:N pairs (default: the model's own; 0: the whole "
        "context)",
    )  # fmt: skip
    arguments = parser.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    folder = tempfile.mkdtemp()
    song = os.path.join(folder, "song.wav")  # the first `--seconds` of the example song, looped if it is shorter
    waveform = load_audio(str(SONG), target_sampling_rate=44100)
    samples = int(arguments.seconds * 44100)
    waveform = np.tile(waveform, int(np.ceil(samples / len(waveform))))[:samples]
    soundfile.write(song, waveform, 44100)

    original = original_model()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        original_seconds = best_time(
            lambda: original.generate(song, use_tracks=["LEFT"], random_seed=1), arguments.repeats
        )

    if arguments.model == "original":
        model = beart.load_model(str(CHECKPOINT))
        processor = beart.load_processor(None, model.config)
        generator = pipeline("beatmap-generation", model=model, processor=processor)
    else:
        generator = pipeline("beatmap-generation")
    results = {}
    for history_steps in arguments.history_steps:
        options = {} if history_steps is None else {"history_steps": read_history_steps(history_steps)}
        timed = interleaved_best_times(
            {
                layout: partial(generator, song, mode=mode, seed=1, progress=False, **options, **decoding)
                for layout, mode, decoding in LAYOUTS
            },
            arguments.repeats,
        )  # the layouts in turn, so the machine's drift weighs on all alike
        results.update({(history_steps, layout): seconds for layout, seconds in timed.items()})
    print(f"{arguments.seconds:g} s of audio, best of {arguments.repeats}, {torch.get_num_threads()} threads")
    print(f"original BEaRT.generate, 1 track: {original_seconds:.2f} s")
    for history_steps in arguments.history_steps:
        history = "the model's history_steps" if history_steps is None else f"history_steps {history_steps}"
        for layout, _, _ in LAYOUTS:
            seconds = results[history_steps, layout]
            print(f"beart pipeline ({arguments.model} model, {history}), {layout}: {seconds:.2f} s "
                  f"({original_seconds / seconds:.2f}x the original's speed)")  # fmt: skip
        one, four = results[history_steps, LAYOUTS[0][0]], results[history_steps, LAYOUTS[-1][0]]
        print(f"  4 tracks against 1: {four / one:.2f}x the time")


if __name__ == "__main__":
    main()
