"""Track layouts of the supported games, and moving a beatmap between track counts.

| mode       | tracks                      | what a track is                                 | lanes |
| ---------- | --------------------------- | ----------------------------------------------- | ----- |
| `osu`      | LEFT                        | every circle, slider and spinner                | 1     |
| `catch`    | LEFT                        | every fruit, juice stream and banana shower     | 1     |
| `taiko`    | LEFT, RIGHT                 | don (centre), kat (rim)                         | 1     |
| `mania`    | LEFT, DOWN, UP, RIGHT       | the four columns, left to right                 | 4     |

A lane is what a player sees objects come down: taiko's don and kat share one, so a drumroll or swell on either track
fills it, and two objects of different tracks need the gap two of one track need (`ONE_LANE_MODES`). Taiko's drum is
hit with both hands in turn, so its lane takes notes an eighth of a beat apart where a key or a column takes a quarter
(`TWO_HAND_MODES`; `beart.beatmaps.playability`): the human Taiko charts of the shared corpus's training songs place
up to 48% of their Oni notes less than a quarter of a beat after the one before, and at most 3% less than an eighth.

Folding (more tracks onto fewer) sends track `i` of `n` to track `i * m // n` of `m`: 4 -> 2 puts the two left
columns on don and the two right ones on kat; anything -> 1 merges all. Where merged tracks overlap, a hold wins over
a hit and touching holds join.

Spreading (fewer tracks onto more) deals the objects of track `i` of `n`, in time order, over its `m // n` target
tracks, each object going to the target that has been free the longest (ties to the leftmost): 1 -> 2 alternates
don and kat, 1 -> 4 cycles the columns, and a long hold keeps its column out of the rotation until it ends.
Spinners (holds under the `SPINNER` flag) go on every track.
"""

import numpy as np
import pandas as pd

from .errors import BeatmapError
from .intermediate import IntermediateBeatmap


GAME_MODE_TRACKS = {
    "osu": ["LEFT"],
    "taiko": ["LEFT", "RIGHT"],
    "catch": ["LEFT"],
    "mania": ["LEFT", "DOWN", "UP", "RIGHT"],
}
MODE_FOR_TRACK_COUNT = {1: "osu", 2: "taiko", 4: "mania"}  # the osu! mode a map of each track count is by default
ONE_LANE_MODES = frozenset({"osu", "catch", "taiko"})
TWO_HAND_MODES = frozenset({"taiko"})  # a lane hit with alternating hands: notes an eighth of a beat apart are playable


def tracks_for_mode(mode: str) -> list[str]:
    """Track names of a game mode (`osu`, `taiko`, `catch` or `mania`)."""
    if mode not in GAME_MODE_TRACKS:
        raise BeatmapError(f"Unknown game mode {mode!r}; choose one of {list(GAME_MODE_TRACKS)}.")
    return list(GAME_MODE_TRACKS[mode])


def tracks_of_count(count: int) -> list[str]:
    """The track names of a map of `count` tracks (1, 2 or 4) where no game names them: its default osu! mode's."""
    return tracks_for_mode(MODE_FOR_TRACK_COUNT[count])


def _spread_track(objects: pd.DataFrame, targets: list[str]) -> list[str]:
    """Target track for each object (sorted by start) of one source track: the one free the longest."""
    free_since = np.full(len(targets), -np.inf)
    chosen = []
    for end in objects["end"].to_numpy():
        target = int(np.argmin(free_since))
        free_since[target] = end
        chosen.append(targets[target])
    return chosen


def retrack(beatmap: IntermediateBeatmap, tracks: list[str]) -> IntermediateBeatmap:
    """
    The same beatmap on another set of tracks (1, 2 or 4 names), folded or spread by the rules of this module.
    Flags and tempo are kept.
    """
    source = beatmap.tracks
    if len(tracks) == len(source):
        renamed = beatmap.data.rename(columns=dict(zip(source, tracks)))
        return IntermediateBeatmap(renamed, {**beatmap.meta, "tracks": list(tracks)})
    objects = beatmap.hit_objects()
    source_index = objects["track"].map({name: index for index, name in enumerate(source)}).to_numpy()
    if len(tracks) < len(source):
        objects["track"] = [tracks[index * len(tracks) // len(source)] for index in source_index]
    else:
        spinning = beatmap.in_spinner(objects)
        share = len(tracks) // len(source)
        for index, name in enumerate(source):
            on_track = (objects["track"] == name).to_numpy() & ~spinning
            objects.loc[on_track, "track"] = _spread_track(
                objects[on_track], tracks[index * share : (index + 1) * share]
            )
        spinners = objects[spinning].drop_duplicates(["start", "end"])
        copies = [spinners.assign(track=name) for name in tracks]
        objects = pd.concat([objects[~spinning], *copies], ignore_index=True)
    flags = {flag: beatmap.flag_spans(flag) for flag in ("EMPTY", "SPINNER") if flag in beatmap.data.columns}
    new_combo = None
    if "NEW_COMBO" in beatmap.data.columns:
        new_combo = beatmap.data["TIME"].to_numpy()[beatmap.data["NEW_COMBO"].to_numpy() == 1]
    return IntermediateBeatmap.from_hit_objects(
        objects,
        {**beatmap.meta, "tracks": list(tracks)},
        flag_spans=flags,
        new_combo_times=new_combo,
        end_ms=beatmap.duration_ms - 10,
    ).on_steps_of(beatmap)  # the tempo where the beats fall
