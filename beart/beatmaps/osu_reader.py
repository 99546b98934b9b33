"""Reading osu! beatmaps (`.osu` files and `.osz` archives) into intermediate beatmaps, for all four game modes.

| mode          | tracks                  | hits                | holds                                       |
| ------------- | ----------------------- | ------------------- | ------------------------------------------- |
| osu!, catch   | LEFT                    | circles / fruits    | sliders / juice streams, spinners / bananas |
| taiko         | LEFT (don), RIGHT (kat) | notes, big ones too | drumrolls on their colour, swells on both   |
| mania         | LEFT, DOWN, UP, RIGHT   | notes               | hold notes; a spinner one hold (LEFT)       |

A note is a kat when its hitsound has whistle or clap, as in the game. Mania maps with K keys other than 4 are
folded onto 4 tracks by position: column `c` goes to the 4K column its centre falls in, `floor((c + 0.5) * 4 / K)`
(7K: 0 0 1 2 2 3 3); notes that then overlap merge, a hold winning over a hit. Spinners, swells and banana showers
are holds on every track with the `SPINNER` flag; the unmapped intro before the first object and the map's breaks
are flagged `EMPTY`; uninherited timing points give TEMPO.

Difficulty in [0, 1] comes from the star rating (`rosu-pp-py`), piecewise linear through the mode's star scale
(`STAR_SCALES`). osu!standard, taiko and catch: the boundaries of osu!'s difficulty names, so that BEaRT's four
difficulty tokens line up with them: 0 stars -> 0, Easy/Normal 2.0 -> 0.25, Normal/Hard 2.7 -> 0.5, Hard/Insane 4.0 ->
0.75, 8 stars and above -> 1. osu!mania rates the same chart far lower (a StepMania Challenge chart written as mania:
2.04 stars, which the names put at 0.26), so its scale is the stars where real charts of each difficulty sit, fitted on
the training songs' Frets on Fire charts (`examples/fit_star_scale.py`). Without `rosu-pp-py` (or when it cannot rate
the map) the original BeatLearning rule is used: `min(1, overall_difficulty / 7)`.
"""

import os
import zipfile

import numpy as np
import pandas as pd
from transformers.utils import logging

from ..safety import ZIP_READ_ERRORS, UnsafePathError, check_member_size, check_text_size, confined_name, limits
from .errors import BeatmapError, RobotsDisallowedError
from .beatmap_set import BeatmapSet, TimedChart, read_confined
from .intermediate import QUANTUM_MS, IntermediateBeatmap, song_preview_ms
from .provenance import ai_generated_mark
from .osu_file import HITSOUND_CLAP, HITSOUND_WHISTLE, MANIA_HOLD, NEW_COMBO, SLIDER, SPINNER, OsuFile, parse_osu
from .tracks import GAME_MODE_TRACKS
from .text_fields import one_line


logger = logging.get_logger(__name__)

GAME_MODES = ("osu", "taiko", "catch", "mania")
DIFFICULTY_POINTS = (0.0, 0.25, 0.5, 0.75, 1.0)
NAMED_STAR_POINTS = (0.0, 2.0, 2.7, 4.0, 8.0)  # osu!'s difficulty names change at 2.0, 2.7 and 4.0 stars
# The star ratings at which a map of each mode reads as each of `DIFFICULTY_POINTS` (0 below the first). mania: fitted
# by `python examples/fit_star_scale.py ../shared/corpus --check-split dev` on the training songs' 13 Frets on Fire
# charts; on the development songs' 12 charts (Goin' Under's, War of freedom's) the mean difference from their own
# difficulty falls from 0.240 to 0.121. Chosen by `python examples/choose_star_scale.py ../shared/corpus`: the songs'
# charts as `.osz` sets read 0.674 and 0.636 at +-50 ms against 0.496 and 0.617 on the names' scale. taiko keeps the
# names' scale: its fit (0.68, 1.19, 2.08, 3.63, 6.36) read the development song's TJA courses closer (0.052 against
# 0.108) but its `.osz` lower (0.742 against 0.766; docs/formats.md).
STAR_SCALES = {
    "osu": NAMED_STAR_POINTS,
    "catch": NAMED_STAR_POINTS,
    "taiko": NAMED_STAR_POINTS,
    "mania": (0.63, 1.04, 1.73, 2.88, 4.78),
}
MAX_MANIA_KEYS = 18
MAX_RATED_CONTROL_POINTS = 2000


def difficulty_from_stars(stars: float, mode: str = "osu") -> float:
    """A map's difficulty in [0, 1] from its star rating in its game mode (`STAR_SCALES`; see the module docstring)."""
    return float(np.interp(stars, STAR_SCALES[mode], DIFFICULTY_POINTS))


def star_rating(content: bytes) -> float | None:
    """Star rating of a map by `rosu-pp-py`, or `None` when it is not installed or cannot rate the map (a rating that
    is not a finite number of 0 or more among them, which would read as no difficulty at all)."""
    try:
        import rosu_pp_py
    except ImportError:
        return None
    try:
        stars = float(rosu_pp_py.Difficulty().calculate(rosu_pp_py.Beatmap(bytes=content)).stars)
    except (rosu_pp_py.ParseError, rosu_pp_py.ConvertError, ValueError) as error:
        logger.info(f"rosu-pp-py cannot rate the map ({error}); using its overall difficulty.")
        return None
    if not 0.0 <= stars < float("inf"):
        logger.info(f"rosu-pp-py rates the map {stars} stars; using its overall difficulty.")
        return None
    return stars


def check_robots(osu_file: OsuFile) -> None:
    """Raises `RobotsDisallowedError` for a map whose creator disallows machine use (`robots: disallow`)."""
    robots = " ".join(value for key, value in osu_file.sections["Metadata"].items() if key.lower() == "robots")
    if "disallow" in robots.lower():
        raise RobotsDisallowedError(f"{osu_file.name}: its creator disallows machine use ('robots: {robots}').")


def mania_columns(osu_file: OsuFile) -> tuple[np.ndarray, int]:
    """A mania map's key count (`CircleSize`) and each object's column in it (0 the leftmost; `x * keys / 512`, as
    the client reads it), of shape `(num_objects,)`. The client makes a mania spinner (it has no position) one hold
    note, other columns' notes kept under it; it draws the column with its seeded random generator, which is not
    replayed here: the first column."""
    keys = int(np.clip(round(osu_file.number("Difficulty", "CircleSize", 4)), 1, MAX_MANIA_KEYS))
    columns = np.clip(np.floor(osu_file.hit_objects["x"].to_numpy() * keys / 512), 0, keys - 1)
    is_spinner = (osu_file.hit_objects["type"].to_numpy() & SPINNER) > 0
    return np.where(is_spinner, 0, columns).astype(np.int64), keys


def _mania_tracks(osu_file: OsuFile) -> np.ndarray:
    columns, keys = mania_columns(osu_file)
    if keys != len(GAME_MODE_TRACKS["mania"]):
        logger.info(f"{osu_file.name}: {keys}K map folded onto 4 tracks.")
    return np.floor((columns + 0.5) * len(GAME_MODE_TRACKS["mania"]) / keys).astype(np.int64)


def _hit_object_frame(osu_file: OsuFile, mode: str) -> pd.DataFrame:
    """Objects as `track`, `start`, `end` (ms); spinners get one row per track."""
    objects = osu_file.hit_objects
    tracks = GAME_MODE_TRACKS[mode]
    object_types = objects["type"].to_numpy()
    starts = objects["time"].to_numpy()
    ends = osu_file.end_times()
    is_spinner = (object_types & SPINNER) > 0
    if mode == "mania":
        track_index = _mania_tracks(osu_file)  # a spinner one hold note (`mania_columns`)
        ends = np.where((object_types & (MANIA_HOLD | SPINNER)) > 0, ends, starts)
        is_spinner = np.zeros(len(objects), dtype=bool)
    elif mode == "taiko":
        is_kat = (objects["hitsound"].to_numpy() & (HITSOUND_WHISTLE | HITSOUND_CLAP)) > 0
        track_index = is_kat.astype(np.int64)
        ends = np.where((object_types & (SLIDER | SPINNER)) > 0, ends, starts)
    else:
        track_index = np.zeros(len(objects), dtype=np.int64)
        ends = np.where((object_types & (SLIDER | SPINNER)) > 0, ends, starts)
    names = np.asarray(tracks)
    frames = [
        pd.DataFrame(
            {"track": names[track_index[~is_spinner]], "start": starts[~is_spinner], "end": ends[~is_spinner]}
        )
    ]
    for name in tracks:
        frames.append(pd.DataFrame({"track": name, "start": starts[is_spinner], "end": ends[is_spinner]}))
    return pd.concat(frames, ignore_index=True)


def timed_objects(osu_file: OsuFile) -> tuple[pd.DataFrame, pd.DataFrame]:
    """
    A map's objects and timing as the file states them, before they are put on the 10 ms grid.

    Returns:
        `(objects, tempo)`: objects as `track`, `start`, `end` (ms; spinners once per track), and the uninherited
        timing points as `time` (ms) and `bpm`.
    """
    mode_number = osu_file.mode
    if mode_number not in range(len(GAME_MODES)):
        written = one_line(osu_file.value("General", "Mode"))[:40]
        raise BeatmapError(f"{osu_file.name}: unknown game mode {written!r}; osu! modes are 0-3 ({GAME_MODES}).")
    uninherited = osu_file.timing_points[osu_file.timing_points["uninherited"]]
    tempo = pd.DataFrame({"time": uninherited["time"], "bpm": 60000.0 / uninherited["beat_length"].clip(6, 60000)})
    return _hit_object_frame(osu_file, GAME_MODES[mode_number]), tempo.reset_index(drop=True)


def osu_to_intermediate(osu_file: OsuFile, content: bytes, *, for_training: bool = True) -> IntermediateBeatmap:
    """
    Turns a parsed `.osu` file into an intermediate beatmap.

    Args:
        osu_file (`OsuFile`): the parsed map.
        content (`bytes`): the file's bytes, for the star rating.
        for_training (`bool`, *optional*, defaults to `True`):
            Refuse maps that must not be used for training (`RobotsDisallowedError`, `AIGeneratedError`).
    """
    if for_training:
        check_robots(osu_file)
    credits = " ".join(osu_file.value("Metadata", key, "") for key in ("Tags", "Source"))
    ai_generated = ai_generated_mark(credits, osu_file.name, for_training)  # beart's maps say so in both
    objects, tempo = timed_objects(osu_file)  # refuses an unknown game mode first
    mode = GAME_MODES[osu_file.mode]
    stars = None
    if osu_file.most_control_points <= MAX_RATED_CONTROL_POINTS:
        stars = star_rating(content)
    else:  # rosu-pp-py takes time quadratic in a slider's control points
        logger.warning(
            f"{osu_file.name}: a slider has {osu_file.most_control_points} control points; the map is not star-rated."
        )
    overall_difficulty = osu_file.number("Difficulty", "OverallDifficulty", 5.0)
    if stars is None:
        difficulty = min(1.0, max(0.0, overall_difficulty / 7.0))
    else:
        difficulty = difficulty_from_stars(stars, mode)

    ends = objects["end"].to_numpy(np.float64)
    too_long = ~np.isfinite(ends) | (ends > limits.max_song_ms)
    if too_long.any():
        logger.warning(
            f"{osu_file.name}: skipped {int(too_long.sum())} object(s) ending past the longest song "
            f"({limits.describe_song_limit()})."
        )
        objects = objects[~too_long]
        if objects.empty:
            raise BeatmapError(f"{osu_file.name}: no object ends within the longest song.")
    first_start = float(objects["start"].min())
    empty = pd.concat(
        [osu_file.breaks, pd.DataFrame({"start": [0.0], "end": [first_start - QUANTUM_MS]})], ignore_index=True
    )
    empty = empty[empty["end"] >= empty["start"]]
    spinners = osu_file.hit_objects[(osu_file.hit_objects["type"] & SPINNER) > 0]
    new_combo = osu_file.hit_objects["time"][(osu_file.hit_objects["type"] & NEW_COMBO) > 0]
    meta = {
        "audio": osu_file.value("General", "AudioFilename", ""),
        "difficulty": difficulty,
        "tracks": list(GAME_MODE_TRACKS[mode]),
        "title": osu_file.value("Metadata", "Title", ""),
        "artist": osu_file.value("Metadata", "Artist", ""),
        "creator": osu_file.value("Metadata", "Creator", ""),
        "version": osu_file.value("Metadata", "Version", ""),
        "preview_time": song_preview_ms(
            osu_file.number("General", "PreviewTime", -1), osu_file.value("General", "PreviewTime", ""), osu_file.name
        ),
        "source": {
            "format": "osu",
            "file": osu_file.name,
            "format_version": osu_file.version,
            "mode": mode,
            "stars": stars,
            "overall_difficulty": overall_difficulty,
            "difficulty_from": "overall_difficulty" if stars is None else "stars",
            "key_count": int(round(osu_file.number("Difficulty", "CircleSize", 4))) if mode == "mania" else None,
            "beatmap_id": osu_file.value("Metadata", "BeatmapID"),
            "beatmapset_id": osu_file.value("Metadata", "BeatmapSetID"),
            "skipped_lines": osu_file.skipped_lines,
        },
        **ai_generated,
    }
    return IntermediateBeatmap.from_hit_objects(
        objects,
        meta,
        tempo_changes=tempo,
        flag_spans={"EMPTY": empty, "SPINNER": spinners.assign(start=spinners["time"], end=spinners["end_time"])}
        if mode != "mania"
        else {"EMPTY": empty},
        new_combo_times=new_combo if mode in ("osu", "catch") else None,
    )


def read_osu(path, *, for_training: bool = True) -> IntermediateBeatmap:
    """Reads one `.osu` file (see `osu_to_intermediate`)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Beatmap not found: {path}")
    check_text_size(os.path.getsize(path), path)
    with open(path, "rb") as file:
        content = file.read()
    name = os.path.basename(path)
    return osu_to_intermediate(parse_osu(content, name), content, for_training=for_training)


class OsuSet(BeatmapSet):
    """The difficulties of an osu! set, each an `.osu` member; `OsuArchive` and `OsuFolder` say where they lie."""

    def read(self, member: str, *, for_training: bool = True) -> IntermediateBeatmap:
        """Reads one difficulty (see `osu_to_intermediate`)."""
        content = self.read_bytes(member)
        return osu_to_intermediate(parse_osu(content, member), content, for_training=for_training)

    def timed(self, member: str) -> TimedChart:
        """One difficulty's objects and timing points as the file has them (see `timed_objects`), a mania map's on its
        own columns (a 7K map's seven, not the four tracks it is read onto; a spinner on the first)."""
        osu_file = parse_osu(self.read_bytes(member), member)
        objects, tempo = timed_objects(osu_file)
        if GAME_MODES[osu_file.mode] == "mania":  # one object per row of the file: no spinner is repeated per track
            objects = objects.assign(track=[f"column {column + 1}" for column in mania_columns(osu_file)[0]])
        return TimedChart(objects, tempo, GAME_MODES[osu_file.mode])


class OsuArchive(OsuSet):
    """
    A beatmap set in an `.osz` archive: several difficulties (`.osu` files) sharing audio and images.

    Args:
        path (`str` or `os.PathLike`): the archive.

    Raises:
        `FileNotFoundError`: no such file. `BeatmapError`: not a zip archive, or it holds no `.osu` file.
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        if not os.path.isfile(self.path):
            raise FileNotFoundError(f"Beatmap archive not found: {self.path}")
        try:
            with zipfile.ZipFile(self.path) as archive:
                infos = [info for info in archive.infolist() if not self._is_hidden(info.filename)]
        except ZIP_READ_ERRORS as error:
            raise BeatmapError(f"{self.path} is not a readable .osz (zip) archive: {error}")
        self.infos = {}
        for info in infos:
            try:
                confined_name(info.filename, self.path)
            except UnsafePathError as error:
                logger.warning(f"{error} (member left out)")
                continue
            if info.filename in self.infos:
                logger.warning(f"{self.path}: the member {info.filename!r} appears twice; the first is read.")
                continue
            self.infos[info.filename] = info
        self.members = list(self.infos)
        self.difficulty_names = sorted(name for name in self.members if name.lower().endswith(".osu"))
        if not self.difficulty_names:
            raise BeatmapError(f"{self.path} holds no .osu difficulty.")

    @staticmethod
    def _is_hidden(name: str) -> bool:
        return name.endswith("/") or any(part.startswith(("__MACOSX", "._")) for part in name.split("/"))

    def read_bytes(self, member: str) -> bytes:
        info = self.infos.get(member)
        if info is not None:
            check_member_size(info.file_size, info.compress_size, member, self.path)
        try:
            with zipfile.ZipFile(self.path) as archive:
                return archive.read(self.infos[member])
        except (*ZIP_READ_ERRORS, KeyError) as error:
            raise BeatmapError(f"{self.path}: cannot read {member}: {error}")


class OsuFolder(OsuSet):
    """
    A beatmap set as an extracted song folder: its `.osu` files and the audio beside them. Same interface as
    `OsuArchive`.

    Args:
        path (`str` or `os.PathLike`): the folder.
        difficulty_names (`list[str]`, *optional*): the `.osu` files to read; all in the folder when not given.
    """

    def __init__(self, path, difficulty_names: list[str] | None = None):
        self.path = os.fspath(path)
        if not os.path.isdir(self.path):
            raise FileNotFoundError(f"Beatmap folder not found: {self.path}")
        self.members = sorted(os.listdir(self.path))
        self.difficulty_names = difficulty_names or [name for name in self.members if name.lower().endswith(".osu")]
        if not self.difficulty_names:
            raise BeatmapError(f"{self.path} holds no .osu difficulty.")

    def read_bytes(self, member: str) -> bytes:
        return read_confined(self.path, member)
