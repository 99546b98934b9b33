"""What a map asks of a player: density over drain time, share of holds, and the osu! star rating."""

import numpy as np

from ..beatmaps import BeatmapError, IntermediateBeatmap, intermediate_to_osu
from ..beatmaps.osu_reader import star_rating
from ..beatmaps.tracks import MODE_FOR_TRACK_COUNT


def drain_time_ms(beatmap: IntermediateBeatmap) -> float:
    """
    Drain time as osu! counts it: from the first object's start to the last object's end, less the breaks (the map's
    `EMPTY` spans) in between. 0 for a map without objects.
    """
    objects = beatmap.hit_objects()
    if objects.empty:
        return 0.0
    first, last = float(objects["start"].min()), float(objects["end"].max())
    breaks = beatmap.flag_spans("EMPTY")
    inside_start = breaks["start"].to_numpy(dtype=np.float64).clip(first, last)
    inside_end = (breaks["end"].to_numpy(dtype=np.float64) + 10.0).clip(first, last)
    return last - first - float(np.sum(inside_end - inside_start))


def map_statistics(beatmap: IntermediateBeatmap, mode: str | None = None) -> dict:
    """
    Density, holds and difficulty of a map.

    Args:
        beatmap (`IntermediateBeatmap`): the map.
        mode (`str`, *optional*): the osu! mode it is rated in (`osu`, `taiko`, `catch`, `mania`); by its track count
            (1 osu, 2 taiko, 4 mania) when not given.

    Returns:
        `dict`: `objects`, `drain_seconds`, `notes_per_second` (objects per second of drain time), `hold_share`
        (holds among the objects) and `star_rating` (`rosu-pp-py`, `None` for a map without objects).
    """
    objects = beatmap.hit_objects()
    drain_seconds = drain_time_ms(beatmap) / 1000.0
    statistics = {
        "objects": len(objects),
        "drain_seconds": drain_seconds,
        "notes_per_second": len(objects) / drain_seconds if drain_seconds > 0 else 0.0,
        "hold_share": float((objects["end"] > objects["start"]).mean()) if len(objects) else 0.0,
        "star_rating": None,
    }
    if len(objects):
        mode = mode or MODE_FOR_TRACK_COUNT[len(beatmap.tracks)]
        try:
            statistics["star_rating"] = star_rating(intermediate_to_osu(beatmap, mode=mode).encode("utf-8"))
        except BeatmapError:
            statistics["star_rating"] = None
    return statistics
