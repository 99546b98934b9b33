"""Read an osu! beatmap set, show what each difficulty holds, and write one difficulty back in another mode.

    python examples/osu_beatmaps.py SET.osz OUT_DIR [--mode mania]

Every difficulty becomes an intermediate beatmap (10 ms grids per track); the hardest one is written to
OUT_DIR as a playable .osz in the chosen mode (folded or spread onto its tracks), with the set's audio.
"""

import argparse
import os
import tempfile

from beart.beatmaps import BeatmapError, BeatmapRefusedError, OsuArchive, write_osz
from beart.beatmaps.formats import format_for_mode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archive", help="an .osz beatmap set")
    parser.add_argument("output_dir", help="where the re-written .osz goes")
    parser.add_argument("--mode", default="mania", choices=list(format_for_mode("osu").modes))
    arguments = parser.parse_args()

    archive = OsuArchive(arguments.archive)
    beatmaps = []
    for name in archive.difficulty_names:
        try:
            beatmap = archive.read(name)
        except (BeatmapError, BeatmapRefusedError) as error:
            print(f"skipped {name}: {error}")
            continue
        objects = beatmap.hit_objects()
        holds = (objects["end"] > objects["start"]).mean()
        print(
            f"{name}: {beatmap.meta['source']['mode']}, tracks {beatmap.tracks}, difficulty {beatmap.difficulty:.2f} "
            f"({beatmap.meta['source']['difficulty_from']}), {len(objects)} objects, {holds:.0%} holds, "
            f"{beatmap.duration_ms / 1000:.1f} s"
        )
        beatmaps.append(beatmap)
    if not beatmaps:
        raise SystemExit("No difficulty could be read.")

    hardest = max(beatmaps, key=lambda beatmap: beatmap.difficulty)
    audio_member = archive.find(hardest.audio)
    if audio_member is None:
        raise SystemExit(f"The set has no audio file {hardest.audio!r}, so it cannot be written back playable.")
    with tempfile.TemporaryDirectory() as folder:
        audio = os.path.join(folder, os.path.basename(audio_member))
        with open(audio, "wb") as file:
            file.write(archive.read_bytes(audio_member))
        output = os.path.join(arguments.output_dir, f"{hardest.meta['title'] or 'beatmap'} ({arguments.mode}).osz")
        write_osz(hardest, output, audio, mode=arguments.mode)
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
