"""Generate beatmaps for a song with the bundled model (or any BEaRT model): one per difficulty, each written as a
playable file, with what it holds.

    python examples/generate.py SONG OUT_DIR [--mode mania] [--difficulties 0.1 0.5 0.9] [--model DIR_OR_ID]
        [--seed 0] [--beat-prior 8] [--onset-prior 8] [--difficulty-guidance 5]

Every difficulty goes through the `beatmap-generation` pipeline with the model's decoding defaults unless a prior or the
guidance is given; osu! modes are written as `OUT_DIR/<song> [<difficulty>].osz`, the song-folder modes (`stepmania`,
`tja`, `fretsonfire`) as song folders `OUT_DIR/<song> [<difficulty>]/`. The table printed at the end gives each map's
objects, notes per second of drain time, hold share and star rating (`beart.evaluation.map_statistics`), so you can see
the difficulty setting at work.
"""

import argparse
import os

import beart
from beart.beatmaps.formats import WRITE_MODES, format_for_mode
from beart.evaluation.map_statistics import map_statistics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("song", help="a wav, ogg, mp3 or flac file")
    parser.add_argument("output_dir", help="where the maps go")
    parser.add_argument("--mode", default="osu", choices=WRITE_MODES)
    parser.add_argument("--difficulties", type=float, nargs="+", default=[0.1, 0.5, 0.9])
    parser.add_argument("--model", help="a model id or folder (default: the bundled model)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--beat-prior", type=float, help="weight of the beats on easy maps (default: the model's)")
    parser.add_argument("--onset-prior", type=float, help="weight of the audio's attacks (default: the model's)")
    parser.add_argument("--difficulty-guidance", type=float, help="(default: the model's)")
    arguments = parser.parse_args()

    generator = beart.load_generator(arguments.model)  # the bundled model unless --model
    chosen = {
        "beat_prior": arguments.beat_prior,
        "onset_prior": arguments.onset_prior,
        "difficulty_guidance": arguments.difficulty_guidance,
    }
    options = {name: value for name, value in chosen.items() if value is not None}
    stem = os.path.splitext(os.path.basename(arguments.song))[0]
    archive = format_for_mode(arguments.mode).archive  # ".osz", or "" for a song folder
    os.makedirs(arguments.output_dir, exist_ok=True)
    print(f"{'difficulty':>10} {'objects':>8} {'notes/s':>8} {'holds':>6} {'stars':>6}  file")
    for difficulty in arguments.difficulties:
        name = f"{stem} [{difficulty:.2f}]"
        output = os.path.join(arguments.output_dir, name + archive)
        beatmap = generator(
            arguments.song,
            mode=arguments.mode,
            difficulty=difficulty,
            seed=arguments.seed,
            output_path=output,
            version=f"BEaRT {difficulty:.2f}",
            progress=False,
            **options,
        )
        statistics = map_statistics(beatmap, mode=arguments.mode if archive else None)  # rated as osu! rates it
        stars = statistics["star_rating"]
        print(
            f"{difficulty:>10.2f} {statistics['objects']:>8} {statistics['notes_per_second']:>8.2f} "
            f"{statistics['hold_share']:>6.0%} {'-' if stars is None else f'{stars:.2f}':>6}  "
            f"{beatmap.meta['output_path']}"
        )


if __name__ == "__main__":
    main()
