"""Train the model bundled with the package (`beart/default_model/`), as it was trained.

    python examples/train_default_model.py ../shared/corpus OUTPUT_DIR [--max-steps 500] [--from MODEL_DIR]
        [--prediction-steps 6] [--difficulty-embedding] [--token-dropout 0.2] [--learning-rate 1e-3] [--work-dir DIR]

The shared corpus holds real maps without their songs, so every map whose song is missing (osu! maps of all four
modes and StepMania charts, at least 100 objects) gets audio rendered from its objects (`beart.training.synthesis`):
one song per set, in which every difficulty's objects sound, plus unmapped hits, so that the model learns real
mappers' rhythms and which onsets a map of each difficulty keeps; each set gets its own drum sounds and, most of
them, a music bed (chords, bass, noise) beneath, so that the onsets sit in dense sound as in real music. Songs whose
real music is at hand are held out of training and kept for `beart evaluate`.
"""

import argparse
import contextlib
import os
import tempfile

import numpy as np
import soundfile

from beart.beatmaps import BeatmapError, BeatmapRefusedError
from beart.beatmaps.batch_conversion import find_beatmap_sets, open_beatmap_set
from beart.training import BeartTrainingArguments, build_corpus, train_beart
from beart.training.synthesis import render_song_audio


def render_maps(corpus_dir: str, folder: str, min_objects: int, unmapped_share: float, background: float) -> int:
    """Renders one song per beatmap set (all its difficulties sound, plus unmapped hits, with its own drum sounds,
    over a music bed as loud as up to `background` times the drums, none for a fifth of the sets) and stores every
    difficulty beside it; returns the number of maps stored."""
    count = 0
    random = np.random.default_rng(0)
    for set_index, source in enumerate(find_beatmap_sets(corpus_dir)):
        try:
            beatmap_set = open_beatmap_set(source)
        except (BeatmapError, OSError):
            continue
        beatmaps = []
        for name in beatmap_set.difficulty_names:
            try:
                beatmap = beatmap_set.read(name)
            except (BeatmapError, BeatmapRefusedError, OSError):
                continue
            if beatmap_set.find(beatmap.audio) is not None:
                print(f"held out (real music): {source} [{name}]")
                continue
            if len(beatmap.hit_objects()) >= min_objects:
                beatmaps.append(beatmap)
        if not beatmaps:
            continue
        song = os.path.join(folder, f"song{set_index:03d}")
        os.makedirs(song)
        level = 0.0 if random.random() < 0.2 else random.uniform(0.2, background)
        audio = render_song_audio(
            beatmaps, seed=set_index, unmapped_share=unmapped_share, background=level, vary_drums=True
        )
        soundfile.write(os.path.join(song, "audio.wav"), audio, 44100)
        for index, beatmap in enumerate(beatmaps):
            beatmap.meta["audio"] = "audio.wav"
            beatmap.save(os.path.join(song, f"map{index:02d}.ibf"))
        count += len(beatmaps)
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", help="the shared corpus folder")
    parser.add_argument("output_dir", help="where the trained model goes")
    parser.add_argument("--max-steps", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--min-objects", type=int, default=100)
    parser.add_argument("--from", dest="start_model", help="continue from this model instead of a fresh Quaver")
    parser.add_argument("--unmapped-share", type=float, default=0.3, help="unmapped hits in the rendered songs")
    parser.add_argument(
        "--background", type=float, default=1.5, help="loudest music bed under the drums, relative to them"
    )
    parser.add_argument(
        "--evaluations", type=int, default=5, help="held-out evaluations spread over training (at least 1)"
    )
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument(
        "--prediction-steps", type=int, default=6, help="steps per track one forward pass predicts (config field)"
    )
    parser.add_argument(
        "--difficulty-embedding",
        action="store_true",
        help="add the difficulty band's embedding to every position (config field; new weights start at zero)",
    )
    parser.add_argument(
        "--token-dropout",
        type=float,
        help="share of history tokens masked in training (config field; default: the start model's, 0.2 for a new one)",
    )
    parser.add_argument(
        "--work-dir",
        help="keep the rendered songs, the corpus and checkpoints here, reusing a corpus already there "
        "(default: a temporary folder)",
    )
    arguments = parser.parse_args()

    with contextlib.ExitStack() as stack:
        folder = arguments.work_dir or stack.enter_context(tempfile.TemporaryDirectory())
        songs, corpus = os.path.join(folder, "songs"), os.path.join(folder, "corpus")
        if os.path.isdir(corpus):
            print(f"reusing the corpus in {corpus}")
        else:
            rendered = render_maps(
                arguments.corpus, songs, arguments.min_objects, arguments.unmapped_share, arguments.background
            )
            print(f"rendered {rendered} maps")
            print(build_corpus(songs, corpus, test_size=0.1, seed=0).summary())
        training = BeartTrainingArguments(
            output_dir=os.path.join(folder, "run"),
            max_steps=arguments.max_steps,
            per_device_train_batch_size=arguments.batch_size,
            per_device_eval_batch_size=64,
            learning_rate=arguments.learning_rate,
            warmup_steps=20,
            eval_strategy="steps",
            eval_steps=max(1, arguments.max_steps // max(1, arguments.evaluations)),
            save_strategy="steps",
            save_steps=100,
            save_total_limit=2,
            logging_steps=10,
            report_to="none",
            use_cpu=True,
            seed=0,
            label_masked_tracks=True,
        )
        overrides = {"prediction_steps": arguments.prediction_steps}
        if arguments.difficulty_embedding:
            overrides["difficulty_embedding"] = True
        if arguments.token_dropout is not None:
            overrides["token_dropout"] = arguments.token_dropout
        if arguments.start_model:
            trainer = train_beart(
                corpus,
                training,
                model_name_or_path=arguments.start_model,
                config_overrides=overrides,
            )
        else:
            trainer = train_beart(
                corpus,
                training,
                preset="quaver",
                config_overrides={"initializer_range": 0.02, **overrides},
            )
        trainer.save_model(arguments.output_dir)
        trainer.processing_class.save_pretrained(arguments.output_dir)
        evaluations = [entry for entry in trainer.state.log_history if "eval_loss" in entry]
        print(evaluations[-1] if evaluations else trainer.evaluate())


if __name__ == "__main__":
    main()
