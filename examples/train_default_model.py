"""Train the model bundled with the package (`beart/default_model/`), as it was trained.

    python examples/train_default_model.py ../shared/corpus OUTPUT_DIR [--max-steps 500] [--max-minutes M]
        [--from MODEL_DIR | --model-size HIDDEN INTERMEDIATE LAYERS] [--variants 1] [--batch-size 32]
        [--prediction-steps 6] [--difficulty-embedding] [--token-dropout 0.2] [--learning-rate 1e-3]
        [--lr-decay-gamma 0.98] [--dataloader-workers 0] [--work-dir DIR]

The shared corpus holds real maps without their songs, so every map whose song is missing (osu! maps of all four
modes and StepMania charts, at least 100 objects) gets audio rendered from its objects (`beart.training.synthesis`):
one song per set (or `--variants` renderings of it), in which every difficulty's objects sound, plus unmapped hits, so
that the model learns real mappers' rhythms and which onsets a map of each difficulty keeps; each rendering gets its
own drum sounds and, most of them, a music bed (chords, bass, noise) beneath, so that the onsets sit in dense sound as
in real music. All renderings of a set go to the same corpus split. Songs whose real music is at hand are held out of
training and kept for `beart evaluate`. Training runs on the GPU when there is one."""

import argparse
import contextlib
import multiprocessing
import os
import tempfile

import numpy as np
import soundfile

from beart.beatmaps import BeatmapError, BeatmapRefusedError
from beart.beatmaps.batch_conversion import find_beatmap_sets
from beart.beatmaps.formats import open_beatmap_set
from beart.evaluation.dataset_metrics import dataset_metrics
from beart.safety import check_writable_folder
from beart.training import BeartTrainingArguments, TimeBudgetCallback, build_corpus, train_beart
from beart.training.synthesis import render_song_audio


def render_set(job: tuple) -> int:
    """Renders one beatmap set's song (its rendering number `variant`, with sounds of its own) into the set's folder
    and stores every difficulty beside it; returns the number of maps stored. `job` is `(source, folder, variant,
    min_objects, unmapped_share, background)`."""
    source, folder, variant, min_objects, unmapped_share, background = job
    try:
        beatmap_set = open_beatmap_set(source)
    except (BeatmapError, OSError):
        return 0
    beatmaps = []
    for name in beatmap_set.difficulty_names:
        try:
            beatmap = beatmap_set.read(name)
        except (BeatmapError, BeatmapRefusedError, OSError):
            continue
        if beatmap_set.find(beatmap.audio) is not None:
            if variant == 0:
                print(f"held out (real music): {source} [{name}]")
            continue
        if len(beatmap.hit_objects()) >= min_objects:
            beatmaps.append(beatmap)
    if not beatmaps:
        return 0
    os.makedirs(folder, exist_ok=True)
    set_index = int(os.path.basename(folder).removeprefix("set"))
    random = np.random.default_rng([variant, set_index])
    level = 0.0 if random.random() < 0.2 else random.uniform(0.2, background)
    audio = render_song_audio(
        beatmaps, seed=set_index + 1000 * variant, unmapped_share=unmapped_share, background=level, vary_drums=True
    )
    audio_name = f"audio{variant:02d}.wav"
    soundfile.write(os.path.join(folder, audio_name), audio, 44100)
    for index, beatmap in enumerate(beatmaps):
        beatmap.meta["audio"] = audio_name
        beatmap.save(os.path.join(folder, f"map{index:02d}_{variant:02d}.ibf"))
    return len(beatmaps)


def render_maps(
    corpus_dir: str,
    folder: str,
    variants: int,
    workers: int,
    min_objects: int,
    unmapped_share: float,
    background: float,
) -> int:
    """Renders every beatmap set of the corpus `variants` times (`render_set`), `workers` songs at a time; returns
    the number of maps stored."""
    jobs = [
        (source, os.path.join(folder, f"set{index:03d}"), variant, min_objects, unmapped_share, background)
        for index, source in enumerate(find_beatmap_sets(corpus_dir))
        for variant in range(variants)
    ]
    with multiprocessing.Pool(workers) as pool:
        return sum(pool.imap_unordered(render_set, jobs))



def add_model_size_argument(parser: argparse.ArgumentParser, help: str) -> None:
    """`--model-size HIDDEN INTERMEDIATE LAYERS`, the size of a fresh model (both training scripts take it)."""
    parser.add_argument("--model-size", nargs=3, type=int, metavar=("HIDDEN", "INTERMEDIATE", "LAYERS"), help=help)


def model_size_overrides(model_size: list | None) -> dict:
    """The config fields `--model-size` sets (none when it is not given)."""
    if not model_size:
        return {}
    return dict(zip(("hidden_size", "intermediate_size", "num_hidden_layers"), model_size))

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", help="the shared corpus folder")
    parser.add_argument("output_dir", help="where the trained model goes")
    parser.add_argument("--max-steps", type=int, default=500)
    parser.add_argument("--max-minutes", type=float, help="stop training after this many minutes, if sooner")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--min-objects", type=int, default=100)
    parser.add_argument("--from", dest="start_model", help="continue from this model instead of a fresh Quaver")
    parser.add_argument("--variants", type=int, default=1, help="renderings of each set's song, each its own sounds")
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="sets rendered at a time")
    parser.add_argument("--dataloader-workers", type=int, default=0, help="processes building training batches")
    parser.add_argument("--unmapped-share", type=float, default=0.3, help="unmapped hits in the rendered songs")
    parser.add_argument(
        "--background", type=float, default=1.5, help="loudest music bed under the drums, relative to them"
    )
    parser.add_argument(
        "--evaluations", type=int, default=5, help="held-out evaluations spread over training (0: none)"
    )
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--lr-decay-gamma", type=float, default=0.98, help="learning-rate factor per epoch")
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
    add_model_size_argument(
        parser, "a fresh model's hidden size, feed-forward size and layer count (default: Quaver's 32 64 8)"
    )
    parser.add_argument(
        "--work-dir",
        help="keep the rendered songs, the corpus and checkpoints here, reusing a corpus already there "
        "(default: a temporary folder)",
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="replace the model in OUTPUT_DIR, and the checkpoints in --work-dir"
    )
    arguments = parser.parse_args()
    check_writable_folder(arguments.output_dir, arguments.overwrite, "replace the model it holds")  # before rendering

    with contextlib.ExitStack() as stack:
        folder = arguments.work_dir or stack.enter_context(tempfile.TemporaryDirectory())
        songs, corpus = os.path.join(folder, "songs"), os.path.join(folder, "corpus")
        if os.path.isdir(corpus):
            print(f"reusing the corpus in {corpus}")
        else:
            rendered = render_maps(
                arguments.corpus,
                songs,
                arguments.variants,
                arguments.workers,
                arguments.min_objects,
                arguments.unmapped_share,
                arguments.background,
            )
            print(f"rendered {rendered} maps")
            print(build_corpus(songs, corpus, test_size=0.1, seed=0).summary())
        training = BeartTrainingArguments(
            output_dir=os.path.join(folder, "run"),
            max_steps=arguments.max_steps,
            per_device_train_batch_size=arguments.batch_size,
            per_device_eval_batch_size=64,
            learning_rate=arguments.learning_rate,
            lr_decay_gamma=arguments.lr_decay_gamma,
            warmup_steps=20,
            eval_strategy="steps" if arguments.evaluations else "no",
            eval_steps=max(1, arguments.max_steps // max(1, arguments.evaluations)),
            save_strategy="steps",
            save_steps=100,
            save_total_limit=2,
            logging_steps=10,
            dataloader_num_workers=arguments.dataloader_workers,
            report_to="none",
            seed=0,
            label_masked_tracks=True,
        )
        overrides = {"prediction_steps": arguments.prediction_steps}
        if arguments.difficulty_embedding:
            overrides["difficulty_embedding"] = True
        if arguments.token_dropout is not None:
            overrides["token_dropout"] = arguments.token_dropout
        callbacks = [TimeBudgetCallback(arguments.max_minutes)] if arguments.max_minutes else []
        if arguments.start_model:
            trainer = train_beart(
                corpus,
                training,
                model_name_or_path=arguments.start_model,
                config_overrides=overrides,
                callbacks=callbacks,
                overwrite=arguments.overwrite,
            )
        else:
            overrides.update(model_size_overrides(arguments.model_size))
            trainer = train_beart(
                corpus,
                training,
                preset="quaver",
                config_overrides={"initializer_range": 0.02, **overrides},
                callbacks=callbacks,
                overwrite=arguments.overwrite,
            )
        trainer.save_model(arguments.output_dir)
        trainer.processing_class.save_pretrained(arguments.output_dir)
        print(dataset_metrics(trainer.model, corpus, max_examples=4000))


if __name__ == "__main__":
    main()
