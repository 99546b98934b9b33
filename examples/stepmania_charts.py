"""Read a StepMania song, show its charts, and write them back as .sm/.ssc and as an osu!mania .osz.

    python examples/stepmania_charts.py "SONG/Song.ssc" OUT_DIR

Every chart becomes a 4-track intermediate beatmap; the dance-single charts are written back as a new StepMania
song in OUT_DIR/stepmania/ and the hardest one as OUT_DIR/<title> (mania).osz, both with the song's music.
"""

import argparse
import os

from beart.beatmaps import BeatmapError, BeatmapRefusedError, StepManiaSimfile, write_osz, write_stepmania


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("simfile", help="a .sm or .ssc file, with its music beside it")
    parser.add_argument("output_dir", help="where the written song and .osz go")
    arguments = parser.parse_args()

    song = StepManiaSimfile(arguments.simfile)
    singles = []
    for name in song.difficulty_names:
        try:
            beatmap = song.read(name)
        except (BeatmapError, BeatmapRefusedError) as error:
            print(f"skipped {name}: {error}")
            continue
        objects = beatmap.hit_objects()
        holds = (objects["end"] > objects["start"]).mean()
        print(f"{name}: difficulty {beatmap.difficulty:.2f}, {len(objects)} notes, {holds:.0%} holds")
        if beatmap.meta["source"]["steps_type"] == "dance-single":
            singles.append(beatmap)
    if not singles:
        raise SystemExit("No dance-single chart could be read.")

    music = song.find(singles[0].audio)
    if music is None:
        raise SystemExit(f"The music file {singles[0].audio!r} is not beside the simfile.")
    audio = os.path.join(song.folder, music)
    written = write_stepmania(singles, os.path.join(arguments.output_dir, "stepmania"), audio)
    hardest = max(singles, key=lambda beatmap: beatmap.difficulty)
    title = hardest.meta["title"] or "song"
    osz = write_osz(hardest, os.path.join(arguments.output_dir, f"{title} (mania).osz"), audio, mode="mania")
    print("wrote", ", ".join(written + [osz]))


if __name__ == "__main__":
    main()
