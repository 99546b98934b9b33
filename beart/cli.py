"""The `beart` command line: parses arguments and calls the library."""

import argparse
import logging
import sys

from transformers.utils import logging as transformers_logging

from .beatmaps.export import EXPORT_MODES


def _convert_checkpoint(arguments: argparse.Namespace) -> int:
    from .conversion import convert_original_checkpoint

    overrides = {}
    if arguments.audio_foresight is not None:
        overrides["audio_foresight"] = arguments.audio_foresight
    output_dir = convert_original_checkpoint(
        arguments.checkpoint, arguments.output_dir, trust_pickle=arguments.trust_pickle, **overrides
    )
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
    )
    print(f"beart convert: {report.summary()} -> {arguments.output_dir}")
    return 0 if report.converted else 1


def _export_beatmap(arguments: argparse.Namespace) -> int:
    from .beatmaps import IntermediateBeatmap, export_intermediate

    metadata = {
        key: getattr(arguments, key) for key in ("title", "artist", "creator", "version") if getattr(arguments, key)
    }
    written = export_intermediate(
        arguments.input, arguments.output, mode=arguments.mode, audio=arguments.audio, seed=arguments.seed, **metadata
    )
    objects = IntermediateBeatmap.load(arguments.input).hit_objects()
    print(f"beart export: wrote {', '.join(written)} ({len(objects)} hits and holds from {arguments.input})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="beart", description="BEaRT: rhythm-game beatmaps from audio.")
    parser.add_argument("--verbose", action="store_true", help="log progress details")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    convert = commands.add_parser(
        "convert-checkpoint",
        help="turn an original BeatLearning checkpoint (.pt) into a transformers directory",
        description="Turn a checkpoint written by the original BeatLearning trainer (e.g. quaver_beart_v1.pt) into "
        "a transformers directory: config.json, model.safetensors, tokenizer and preprocessor files.",
    )
    convert.add_argument("checkpoint", help="the original .pt file")
    convert.add_argument("output_dir", help="folder to write (created if missing)")
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
        help="turn beatmaps (.osz, .osu, StepMania .sm/.ssc, or a folder of them) into intermediate .ibf files",
        description="Turn every difficulty (osu!) or chart (StepMania) under INPUT into OUTPUT_DIR/<set>/<name>.ibf "
        "plus the set's audio. Unreadable, refused (robots: disallow, AI-generated) and audio-less difficulties are "
        "skipped with their reason; the exit status is 1 only when nothing was converted.",
    )
    beatmaps.add_argument("input", help="an .osz, .osu, .sm or .ssc file, or a folder searched recursively")
    beatmaps.add_argument("output_dir", help="folder to write (created if missing)")
    beatmaps.add_argument("--allow-missing-audio", action="store_true", help="convert maps whose audio is missing")
    beatmaps.add_argument(
        "--include-refused", action="store_true", help="also convert maps refused for training (not for datasets)"
    )
    beatmaps.add_argument("--no-progress", action="store_true", help="no progress bar")
    beatmaps.set_defaults(handler=_convert_beatmaps)

    export = commands.add_parser(
        "export",
        help="write an intermediate .ibf beatmap as a playable .osz (any osu! mode) or StepMania song",
        description="Write INPUT.ibf as a playable .osz (the .osu, the audio and a background) or, with --mode "
        "stepmania, as .sm + .ssc simfiles with the audio (OUTPUT is then a folder or a .sm path). A map with "
        "another track count than the mode's is folded or spread onto its tracks (see the README).",
    )
    export.add_argument("input", help="the .ibf file")
    export.add_argument("output", help="the .osz to write (stepmania: a folder or a .sm path)")
    export.add_argument("--mode", choices=EXPORT_MODES, help="game mode (default: the map's own osu! mode)")
    export.add_argument("--audio", help="the song (default: the audio file the .ibf names, beside it)")
    export.add_argument("--title", help="song title (default: the map's)")
    export.add_argument("--artist", help="song artist (default: the map's)")
    export.add_argument("--creator", help="map creator (default: BEaRT)")
    export.add_argument("--version", help="difficulty name")
    export.add_argument("--seed", type=int, default=0, help="seed of the osu!standard object placement")
    export.set_defaults(handler=_export_beatmap)
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if arguments.verbose else logging.WARNING, format="%(message)s")
    if arguments.verbose:
        transformers_logging.set_verbosity_info()
    else:
        transformers_logging.set_verbosity_error()
    try:
        return arguments.handler(arguments)
    except (OSError, ValueError) as error:
        print(f"beart {arguments.command}: error: {error}", file=sys.stderr)
        return 1
