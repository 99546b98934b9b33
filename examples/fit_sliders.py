"""How often human osu!standard maps make an object a slider, by the rest that follows it, and how long the slider is:
the table behind the osu! modes' `sustain_rest_beats` and `sustain_share` in the format registry
(`beart/beatmaps/formats.py`). Reads every osu!standard map of at least 100 objects in the shared corpus's copy of the
osu! client's test maps (`ppy-osu-tests`: the conversion tests' maps, the decoder's real maps and the Renatus set);
timing only, so no audio is needed. Spinners are left out; a rest is the time from an object's start to the next
object's, in beats of the map's own timing.

    python examples/fit_sliders.py ../shared/corpus
"""

import argparse
import glob
import logging
import os
import re
import warnings
import zipfile

import numpy as np
import pandas as pd

from beart.beatmaps import BeatmapError, parse_osu
from beart.beatmaps.beat_grid import BeatGrid
from beart.beatmaps.osu_reader import osu_to_intermediate, star_rating


REST_BINS = (0.0, 0.3, 0.55, 0.8, 1.05, 1.55, 2.05, np.inf)
MIN_OBJECTS = 100


def standard_maps(corpus: str) -> dict:
    """The bytes of every osu!standard map (`Mode: 0`, or no mode) of `ppy-osu-tests`, by file name."""
    tests = os.path.join(corpus, "ppy-osu-tests")
    files = sorted(
        glob.glob(os.path.join(tests, "conversion", "*", "*.osu")) + glob.glob(os.path.join(tests, "decoder", "*.osu"))
    )
    maps = {os.path.basename(path): open(path, "rb").read() for path in files}
    for archive in sorted(glob.glob(os.path.join(tests, "archives", "*.osz"))):
        with zipfile.ZipFile(archive) as members:
            maps.update(
                {
                    f"{os.path.basename(archive)}/{name}": members.read(name)
                    for name in members.namelist()
                    if name.endswith(".osu") and not name.startswith("__MACOSX/")  # macOS's resource forks
                }
            )
    unique = {}  # a map in two places (the decoder's Renatus, a short copy of a set) counts once, its longest copy
    for name, content in maps.items():
        base = name.rsplit("/", 1)[-1]
        if len(content) > len(unique.get(base, b"")):
            unique[base] = content
    return {name: content for name, content in unique.items() if not re.search(rb"^Mode:\s*[123]", content, re.M)}


def object_rows(name: str, content: bytes) -> pd.DataFrame:
    """One row per object but the last: the rest after it and, for a slider, its length and release (beats)."""
    beatmap = osu_to_intermediate(parse_osu(content, name), content, for_training=False)
    objects = beatmap.hit_objects()
    objects = objects[~beatmap.in_spinner(objects)]
    if len(objects) < MIN_OBJECTS:
        return pd.DataFrame()
    starts, ends = objects["start"].to_numpy(np.float64), objects["end"].to_numpy(np.float64)
    beat_ms = BeatGrid.of(beatmap).beat_ms_at(starts)[:-1]
    rest = np.diff(starts) / beat_ms
    return pd.DataFrame(
        {
            "map": name[:44], "stars": star_rating(content), "rest": rest, "slider": (ends > starts)[:-1],
            "length": (ends - starts)[:-1] / beat_ms, "release": (starts[1:] - ends[:-1]) / beat_ms,
        }
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", help="the shared corpus folder")
    arguments = parser.parse_args()
    logging.getLogger("beart").setLevel(logging.ERROR)  # the decoder's edge cases warn of what they test
    tables = []
    for name, content in standard_maps(arguments.corpus).items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                tables.append(object_rows(name, content))
            except BeatmapError:
                continue
    rows = pd.concat(tables, ignore_index=True)
    pd.set_option("display.width", 200)
    per_map = rows.groupby("map").agg(stars=("stars", "first"), objects=("slider", "size"), sliders=("slider", "mean"))
    print(per_map.sort_values("stars").to_string(float_format="%.2f"))
    rows["rest (beats)"] = pd.cut(rows["rest"], REST_BINS)
    sliders = rows[rows["slider"]]
    by_rest = rows.groupby("rest (beats)", observed=True).agg(objects=("slider", "size"), sliders=("slider", "mean"))
    by_rest["slider length"] = sliders.groupby("rest (beats)", observed=True)["length"].median()
    by_rest["release"] = sliders.groupby("rest (beats)", observed=True)["release"].median()
    print(f"\n{len(per_map)} maps, {len(rows)} objects; by the rest after an object (median length and release of its "
          "sliders, beats):")  # fmt: skip
    print(by_rest.to_string(float_format="%.2f"))
    share = (sliders["length"] / sliders["rest"]).quantile([0.1, 0.25, 0.5, 0.75, 0.9])
    print(f"\na slider's length over its rest, deciles 1, 3, 5, 7, 9 (quartiles in between): {share.round(2).tolist()}")


if __name__ == "__main__":
    main()
