"""Train the model bundled with the package (`beart/default_model/`), as it was trained.

    python examples/train_default_model.py ../shared/corpus OUTPUT_DIR [--max-steps 500]

The shared corpus holds real maps without their songs, so every osu! map (all four modes, at least 100 objects)
gets audio rendered from its own objects (`beart.training.synthesis`): the model learns real mappers' rhythms
against sound that carries them. StepMania songs with real music are left out of training and kept for evaluation.
"""

import argparse
import os
import tempfile

import soundfile

from beart.beatmaps import BeatmapError, BeatmapRefusedError
from beart.beatmaps.batch_conversion import find_beatmap_sets, open_beatmap_set
from beart.training import BeartTrainingArguments, build_corpus, train_beart
from beart.training.synthesis import render_beatmap_audio


def render_maps(corpus_dir: str, folder: str, min_objects: int) -> int:
    count = 0
    sources = [source for source in find_beatmap_sets(corpus_dir) if not source.lower().endswith((".sm", ".ssc"))]
    for source in sources:
        try:
            beatmap_set = open_beatmap_set(source)
        except (BeatmapError, OSError):
            continue
        for name in beatmap_set.difficulty_names:
            try:
                beatmap = beatmap_set.read(name)
            except (BeatmapError, BeatmapRefusedError, OSError):
                continue
            if len(beatmap.hit_objects()) < min_objects:
                continue
            song = os.path.join(folder, f"map{count:03d}")
            os.makedirs(song)
            soundfile.write(os.path.join(song, "audio.wav"), render_beatmap_audio(beatmap, seed=count), 44100)
            beatmap.meta["audio"] = "audio.wav"
            beatmap.save(os.path.join(song, "map.ibf"))
            count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", help="the shared corpus folder")
    parser.add_argument("output_dir", help="where the trained model goes")
    parser.add_argument("--max-steps", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--min-objects", type=int, default=100)
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        songs = os.path.join(folder, "songs")
        print(f"rendered {render_maps(arguments.corpus, songs, arguments.min_objects)} maps")
        report = build_corpus(songs, os.path.join(folder, "corpus"), test_size=0.1, seed=0)
        print(report.summary())
        training = BeartTrainingArguments(
            output_dir=os.path.join(folder, "run"),
            max_steps=arguments.max_steps,
            per_device_train_batch_size=arguments.batch_size,
            per_device_eval_batch_size=64,
            learning_rate=1e-3,
            warmup_steps=20,
            eval_strategy="steps",
            eval_steps=max(1, arguments.max_steps // 5),
            save_strategy="no",
            logging_steps=10,
            report_to="none",
            use_cpu=True,
            seed=0,
        )
        trainer = train_beart(
            os.path.join(folder, "corpus"), training, preset="quaver", config_overrides={"initializer_range": 0.02}
        )
        trainer.save_model(arguments.output_dir)
        trainer.processing_class.save_pretrained(arguments.output_dir)
        print(trainer.evaluate())


if __name__ == "__main__":
    main()
