"""Fine-tune BEaRT on the real songs of the training split (`examples/real_music_split.py`): real music with human
charts, each chart moved onto its audio's onsets first (`beart dataset build --align-to-onsets`).

    python examples/train_real_music.py ../shared/corpus OUTPUT_DIR [--from beart/default_model] [--max-steps 600]
        [--save-steps 150] [--batch-size 32] [--learning-rate 5e-4] [--mel-tilt 0.1] [--mel-band-shift 1]
        [--time-stretch 0.1] [--mel-noise N] [--mel-scaling LOW HIGH] [--stem-mixes 2] [--token-dropout T]
        [--train-history-steps 64] [--foresight-label-rate R] [--holds-as-hits] [--onset-input] [--work-dir DIR]
        [--model-size HIDDEN INTERMEDIATE LAYERS] [--max-minutes M --timed-saves N] [--dataloader-workers W]
        [--splits train|train,dev] [--leave-out SONG ...] [--folded-tracks 1]

Training augments every batch as the original does (random gain, noise, 10 ms time offsets, token dropout) and, for
real recordings, with a random equaliser tilt, a pitch shift of up to `--mel-band-shift` mel bands and a time stretch
of up to `--time-stretch` (the song and its chart alike); with `--stem-mixes N` each Frets on Fire song is heard in N
more mixes of its stems at random levels. With `--train-history-steps N` each track hears only its last N past beat
tokens (or, as `1:64,2:64,4:16`, a number per track count), the layout decoding with `history_steps` N reads (which
then leaves the rest out: fewer positions). With `--holds-as-hits` the history's holds are shown as hits at their
starts, as decoding with `hold_threshold` shows the model its own map. A checkpoint is kept every `--save-steps` steps
(`OUTPUT_DIR/checkpoint-N`): `examples/choose_on_dev.py` picks the training length among them on the development
songs. With `--model-size` a fresh Quaver of that size (with the difficulty embedding) learns from the real songs
alone instead of continuing `--from`. With `--max-minutes` the run stops after that time (on a lent GPU, whose speed
is not known ahead) and `--timed-saves N` keeps N checkpoints evenly spread over it instead of one every
`--save-steps`. No development song is read here unless `--splits train,dev` asks for them (the final model, once
every setting is chosen on them); a test song never is. `--leave-out SONG ...` trains without those training songs
(folder names), a check of what more songs are worth, scored on the development songs. `--folded-tracks 1` also
learns every chart folded onto one track (`build_corpus(folded_tracks=...)`), the osu!standard and catch layout that no
real chart has.
"""

import argparse
import contextlib
import os
import re
import sys
import tempfile
import time

from beart.beatmaps.intermediate import TRACK_COUNTS
from beart.decoding_options import read_history_steps
from beart.training import BeartTrainingArguments, TimeBudgetCallback, build_corpus, train_beart
from beart.safety import check_writable_folder
from beart.training.alignment import ALIGN_ON


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from real_music_split import songs  # noqa: E402
from train_default_model import add_model_size_argument, model_size_overrides  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", help="the shared corpus folder")
    parser.add_argument("output_dir", help="where the checkpoints and the final model go")
    parser.add_argument("--from", dest="start_model", default="beart/default_model", help="the model to continue")
    parser.add_argument("--max-steps", type=int, default=600)
    parser.add_argument("--save-steps", type=int, default=150)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=5e-4)
    parser.add_argument("--lr-decay-gamma", type=float, default=0.98, help="learning-rate factor per epoch")
    add_model_size_argument(
        parser, "train a fresh model of this size (hidden size, feed-forward size, layers) instead of continuing --from"
    )
    parser.add_argument("--max-minutes", type=float, help="stop training after this many minutes, if sooner")
    parser.add_argument("--timed-saves", type=int, default=0, help="checkpoints spread evenly over --max-minutes")
    parser.add_argument("--dataloader-workers", type=int, default=0, help="processes building training batches")
    parser.add_argument("--mel-tilt", type=float, default=0.1, help="largest equaliser slope (config field)")
    parser.add_argument("--mel-band-shift", type=int, default=1, help="largest pitch shift in mel bands (config field)")
    parser.add_argument("--time-stretch", type=float, default=0.0, help="largest relative tempo change (config field)")
    parser.add_argument("--mel-noise", type=float, help="Gaussian noise added to the mel slices (config field)")
    parser.add_argument(
        "--mel-scaling", type=float, nargs=2, metavar=("LOW", "HIGH"), help="range of the random mel gain (config field)"
    )
    parser.add_argument("--stem-mixes", type=int, default=0, help="more mixes of each song's stems, at random levels")
    parser.add_argument("--token-dropout", type=float, help="share of history tokens masked (default: the model's)")
    parser.add_argument(
        "--train-history-steps", type=read_history_steps, default=0,
        help="past beat tokens each track hears: N, or TRACKS:N pairs such as 1:64,2:64,4:16 (config field; 0: all)",
    )
    parser.add_argument(
        "--foresight-label-rate", type=float, default=1.0,
        help="share of rows whose foresight positions are scored too (config field; the rest score the current token)",
    )  # fmt: skip
    parser.add_argument(
        "--holds-as-hits", action="store_true", help="show the history's holds as hits at their starts (config field)"
    )
    parser.add_argument(
        "--onset-input", action="store_true", help="hear the onset strength beside the mel slices (config field)"
    )
    parser.add_argument(
        "--splits", type=lambda text: text.split(","), default=["train"], choices=[["train"], ["train", "dev"]],
        metavar="train|train,dev", help="the songs trained on: train, or train,dev once every setting is chosen on dev",
    )  # fmt: skip
    parser.add_argument(
        "--folded-tracks", type=int, nargs="*", default=[], choices=TRACK_COUNTS, metavar="N",
        help="also learn every chart folded onto N tracks (1: the osu!standard and catch layout no real chart has)",
    )  # fmt: skip
    parser.add_argument("--leave-out", nargs="*", default=[], metavar="SONG", help="songs (folder names) left out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--align-on", choices=ALIGN_ON, default="frames", help="what the charts are lined up on")
    parser.add_argument("--work-dir", help="keep the corpus here, reusing one already there")
    parser.add_argument("--overwrite", action="store_true", help="train into an OUTPUT_DIR that holds files")
    arguments = parser.parse_args()
    check_writable_folder(arguments.output_dir, arguments.overwrite, "train into it anyway")  # before the corpus

    with contextlib.ExitStack() as stack:
        folder = arguments.work_dir or stack.enter_context(tempfile.TemporaryDirectory())
        mixes = f"_{arguments.stem_mixes}_stem_mixes" if arguments.stem_mixes else ""
        mixes += "".join(f"_folded_{count}" for count in arguments.folded_tracks)
        mixes += "_on_attacks" if arguments.align_on == "attacks" else ""  # a corpus lined up otherwise is not reused
        folders = [song for split in arguments.splits for song in songs(arguments.corpus, split)]
        unknown = set(arguments.leave_out) - {os.path.basename(song) for song in folders}
        if unknown:
            parser.error(f"--leave-out: not among the songs trained on: {sorted(unknown)}")
        folders = [song for song in folders if os.path.basename(song) not in arguments.leave_out]
        left_out = sorted(re.sub(r"[^a-z]", "", song.lower())[:10] for song in arguments.leave_out)
        without = "".join(f"_without_{song}" for song in left_out)
        corpus = os.path.join(folder, "real_" + "_".join(arguments.splits) + without + mixes)
        if os.path.isdir(corpus):
            print(f"reusing the corpus in {corpus}")
        else:
            print(f"training songs: {', '.join(os.path.basename(song) for song in folders)}")
            report = build_corpus(
                folders,
                corpus,
                test_size=0.0,
                align_to_onsets=True,
                align_on=arguments.align_on,
                stem_mixes=arguments.stem_mixes,
                folded_tracks=tuple(arguments.folded_tracks),
            )
            print(report.summary())
        training = BeartTrainingArguments(
            output_dir=arguments.output_dir,
            max_steps=arguments.max_steps,
            per_device_train_batch_size=arguments.batch_size,
            learning_rate=arguments.learning_rate,
            lr_decay_gamma=arguments.lr_decay_gamma,
            warmup_steps=10,
            eval_strategy="no",
            save_strategy="no" if arguments.timed_saves else "steps",
            save_steps=arguments.save_steps,
            dataloader_num_workers=arguments.dataloader_workers,
            dataloader_persistent_workers=arguments.dataloader_workers > 0,
            logging_steps=25,
            report_to="none",
            seed=arguments.seed,
            label_masked_tracks=True,
        )
        overrides = {
            "mel_tilt": arguments.mel_tilt,
            "mel_band_shift": arguments.mel_band_shift,
            "time_stretch": arguments.time_stretch,
            "train_history_steps": arguments.train_history_steps,
            "foresight_label_rate": arguments.foresight_label_rate,
            "train_holds_as_hits": arguments.holds_as_hits,
        }
        if arguments.onset_input:
            overrides["onset_input"] = True
        for name in ("token_dropout", "mel_noise", "mel_scaling"):
            if getattr(arguments, name) is not None:
                overrides[name] = getattr(arguments, name)
        if arguments.timed_saves and not arguments.max_minutes:
            parser.error("--timed-saves needs --max-minutes")
        callbacks = [TimeBudgetCallback(arguments.max_minutes, arguments.timed_saves)] if arguments.max_minutes else []
        if arguments.model_size:
            overrides.update(model_size_overrides(arguments.model_size))
            overrides.update(initializer_range=0.02, difficulty_embedding=True)
            start = {"preset": "quaver"}
        else:
            start = {"model_name_or_path": arguments.start_model}
        started = time.monotonic()
        trainer = train_beart(
            corpus, training, config_overrides=overrides, callbacks=callbacks, overwrite=arguments.overwrite, **start
        )
        print(f"trained {trainer.state.global_step} steps in {(time.monotonic() - started) / 60:.1f} min")
        trainer.save_model(arguments.output_dir)
        trainer.processing_class.save_pretrained(arguments.output_dir)


if __name__ == "__main__":
    main()
