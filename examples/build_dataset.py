"""Build a BEaRT training corpus from beatmaps (the same as `beart dataset build`).

    python examples/build_dataset.py MAPS_FOLDER corpus/ [--test-size 0.1]

MAPS_FOLDER holds .osz archives, osu! song folders, StepMania songs (.sm/.ssc with their music) or .ibf files with
their audio. The corpus is a datasets.DatasetDict (train, test, maps, songs) saved with save_to_disk.
"""

import argparse

from datasets import load_from_disk

from beart.training import build_corpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", help="a beatmap file or a folder of them")
    parser.add_argument("output_dir", help="where the corpus goes")
    parser.add_argument("--test-size", type=float, default=0.1, help="share of songs held out")
    arguments = parser.parse_args()

    report = build_corpus(arguments.input, arguments.output_dir, test_size=arguments.test_size)
    print(report.summary())
    for item, reason in report.skipped[:10]:
        print(f"  skipped {item}: {reason}")
    if report.built:
        print(load_from_disk(arguments.output_dir))


if __name__ == "__main__":
    main()
