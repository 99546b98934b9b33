"""The `beart` command line: parses arguments and calls the library."""

import argparse
import logging
import sys

from transformers.utils import logging as transformers_logging


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
