"""Make `examples/drums.ogg`, the example song of the README: 20 s of synthesised drums at 128 BPM.

    python examples/make_example_song.py

A kick on every beat, a snare on beats two and four, off-beat hi-hats, a held tone every other bar: every sound is
placed by a written-out rhythm (`beart.training.synthesis.render_beatmap_audio`), so the song is free to ship.
"""

import os

import numpy as np
import pandas as pd
import soundfile

from beart.beatmaps import IntermediateBeatmap
from beart.training.synthesis import render_beatmap_audio


BPM = 128.0
SECONDS = 20.0


def main() -> None:
    beat = 60000.0 / BPM
    beats = np.arange(4, int(SECONDS * 1000 / beat) - 1) * beat
    rows = [("LEFT", time, time) for time in beats]
    rows += [("DOWN", time, time) for index, time in enumerate(beats) if index % 2 == 1]
    rows += [("RIGHT", time + beat / 2, time + beat / 2) for time in beats]
    rows += [("UP", time, time + 2 * beat) for index, time in enumerate(beats) if index % 8 == 0]
    objects = pd.DataFrame(rows, columns=["track", "start", "end"])
    beatmap = IntermediateBeatmap.from_hit_objects(
        objects,
        {"audio": "drums.ogg", "difficulty": 0.5, "tracks": ["LEFT", "DOWN", "UP", "RIGHT"]},
        end_ms=SECONDS * 1000 - 1000,
    )
    audio = render_beatmap_audio(beatmap, seed=128)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "drums.ogg")
    soundfile.write(path, audio, 44100, format="OGG", subtype="VORBIS")
    print(f"wrote {path} ({len(audio) / 44100:.1f} s)")


if __name__ == "__main__":
    main()
