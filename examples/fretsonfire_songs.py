"""Read a Frets on Fire / Clone Hero song folder, show its guitar difficulties, and write them back as a song folder
(and the hardest as a StepMania song), with the stems mixed once.

    python examples/fretsonfire_songs.py "songs/Metal madness" OUT_DIR

Every difficulty becomes a 4-track intermediate beatmap (the two rightmost frets share the right track). The stems
(`song.ogg`, `guitar.ogg`, ...) are mixed as the games play them into OUT_DIR/mix.ogg, which both written songs use.
"""

import argparse
import os

from beart.beatmaps import BeatmapError, BeatmapRefusedError, FretsOnFireSong, write_beatmaps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("song_folder", help="a folder with notes.mid, song.ini and the song's stems")
    parser.add_argument("output_dir", help="where the written songs go")
    arguments = parser.parse_args()

    song = FretsOnFireSong(arguments.song_folder)
    print(f"{song.name}: part {song.part.name or '(unnamed)'}, stems {', '.join(song.stems)}")
    beatmaps = []
    for name in song.difficulty_names:
        try:
            beatmap = song.read(name)
        except (BeatmapError, BeatmapRefusedError) as error:
            print(f"skipped {name}: {error}")
            continue
        objects = beatmap.hit_objects()
        holds = (objects["end"] > objects["start"]).mean()
        print(f"{name}: difficulty {beatmap.difficulty:.2f}, {len(objects)} notes, {holds:.0%} holds")
        beatmaps.append(beatmap)
    if not beatmaps:
        raise SystemExit("No difficulty could be read.")

    os.makedirs(arguments.output_dir, exist_ok=True)
    mix = os.path.join(arguments.output_dir, "mix.ogg")
    with open(mix, "wb") as file:
        file.write(song.read_bytes(song.audio_member))
    written = write_beatmaps(beatmaps, os.path.join(arguments.output_dir, "fretsonfire"), mix, mode="fretsonfire")
    hardest = max(beatmaps, key=lambda beatmap: beatmap.difficulty)
    written += write_beatmaps(hardest, os.path.join(arguments.output_dir, "stepmania"), mix, mode="stepmania")
    print("wrote", ", ".join(written))


if __name__ == "__main__":
    main()
