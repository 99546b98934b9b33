"""Writing intermediate beatmaps as osu! beatmaps (`.osu` text, `.osz` archives) for all four game modes.

| mode  | hits                    | holds                               | holds on every track / `SPINNER` flag |
| ----- | ----------------------- | ----------------------------------- | ------------------------------------- |
| osu   | circles                 | sliders                             | spinners                              |
| catch | fruits                  | juice streams                       | banana showers                        |
| taiko | don (LEFT), kat (RIGHT) | drumrolls of the track's colour     | swells                                |
| mania | notes per column        | hold notes (type 128 with end time) | hold notes on every column            |

A beatmap with another track count is first folded or spread onto the mode's tracks (see `beart.beatmaps.tracks`).
Timing points come from the TEMPO column on the beat grid every writer shares (`beart.beatmaps.beat_grid`: one
uninherited point at every tempo change, the first where the map's tempo starts, on a 10 ms step, so that the map reads
back on the same grid; 120 BPM when the tempo is unknown). Every object's start and end lie on that grid (the coarsest
subdivision of the beat whose time, to the millisecond, reads back on the object's own 10 ms step), within a
millisecond, so the editor shows them snapped (where no subdivision does, the step's time is kept, so a map read and
written again keeps every object); objects of one track that snap onto one time are written once, and every slider's
pixel length is computed from its snapped duration at the beat length written for it. The difficulty name is the one
players know for the map's star rating (`rosu-pp-py`) in its mode (osu!'s ranking criteria: Easy below 2 stars, Normal,
Hard from 2.7, Insane from 4, Expert from 5.3, Expert+ from 6.5; taiko's Kantan ... Inner Oni, catch's Cup ... Deluge),
an osu!mania map's stars read on mania's own scale first (`STAR_SCALES`: mania rates a chart far lower), as beart reads
its difficulty back: a mania set made at difficulties 0.1 to 0.9 was named Easy, Easy 2, ... Easy 5.
osu!standard objects walk the 512x384 playfield with spacing proportional to the time between them (a beat's gap 100 px
times the slider multiplier, 1.0 for the easiest maps to 1.8 for the hardest: `slider_multiplier`), turning smoothly and
bouncing off the edges (seeded, so reproducible); long sliders repeat instead of leaving the playfield. osu!catch fruits
move the catcher across the playfield alone (only their horizontal position counts), the same spacing at catch's own
multipliers (0.75 to 3.0), zigzagging as human catch maps do (`_CatcherWalk`). New combos
start on the measures osu! draws from the first red line, which lies on a downbeat of the song where the map's tempo
says where one is (`_new_combos`). The metadata credits the map's maker (`beart.beatmaps.provenance`): a map beart
generated is `BEaRT`'s, its source and tags saying it is AI-generated and naming the model; a person's map keeps its
creator.
"""

import functools
import os
import re
import struct
import zipfile
import zlib

import numpy as np
import pandas as pd
from transformers.utils import logging

from ..audio import check_audio_file
from .errors import BeatmapError
from ..safety import check_writable
from .files import safe_filename, unique_filename, write_atomically
from .intermediate import QUANTUM_MS, IntermediateBeatmap
from .provenance import DEFAULT_MODEL_NAME, generated_by_beart, is_ai_generated
from .beat_grid import BEATS_PER_MEASURE, BeatGrid
from .osu_file import (
    HIT_CIRCLE, HIT_OBJECT_COLUMNS, LATEST_FORMAT_VERSION, MANIA_HOLD, NEW_COMBO, SLIDER, SPINNER, OsuFile, hit_object_row,
)  # fmt: skip
from .osu_reader import (
    DIFFICULTY_POINTS, GAME_MODES, NAMED_STAR_POINTS, difficulty_from_stars, star_rating,
)  # fmt: skip
from .tracks import retrack, tracks_for_mode


logger = logging.get_logger(__name__)

DEFAULT_BPM = 120.0
SLIDER_MULTIPLIER = 1.4  # taiko's scroll speed, catch's and every mode's but osu!standard's
# The slider velocity of the modes whose objects move (and so their spacing, a beat's gap walking 100 px times it), from
# difficulty 0 to 1 (linear). osu!standard: spread over the slider multipliers of the Renatus set's Normal, Hard and
# Insane by one mapper (Gamu; ppy's test corpus, 182 BPM): 1.0, 1.4, 1.8. catch: the pair under which generated maps'
# stars read back nearest the difficulty asked for on the development songs (mean distance 0.101; spread over Deif's
# Salad, Platter and Rain of the same set, 1.5, 1.75, 2.0: 0.182), chosen by `python examples/star_ratings.py
# ../shared/corpus --modes catch --multipliers ...`.
SLIDER_MULTIPLIERS = {"osu": (1.0, 1.8), "catch": (0.75, 3.0)}
# How often the catcher turns back: a catch map's fruits zigzag, Deif's Salad, Platter and Rain turning at 76%, 61% and
# 61% of their moves.
CATCH_TURN_CHANCE = 0.65
PLAYFIELD = (512.0, 384.0)
PLAYFIELD_MARGIN = 24.0
MAX_SLIDER_SPAN = 260.0
SPACING_RANGE = (24.0, 220.0)
COMBO_LENGTH = 8
DEFAULT_HIT_SAMPLE = "0:0:0:0:"  # the hit sample the editor writes when none is set
KAT_HITSOUND = 2
BACKGROUND_SIZE = (640, 360)
MODE_NUMBERS = {name: number for number, name in enumerate(GAME_MODES)}
# A whole-ms time this far from its 10 ms step's reads back on it (halves round up); slider lengths are written a
# thousandth of a pixel long, so that the client's float arithmetic never ends one early.
SAME_STEP_MS = (-QUANTUM_MS / 2, QUANTUM_MS / 2 - 1.0)
SLIDER_LENGTH_MARGIN = 1e-3
STAR_BOUNDARIES = (2.0, 2.7, 4.0, 5.3, 6.5)  # the ranking criteria's difficulty names change at these star ratings
DIFFICULTY_NAMES = {
    "osu": ("Easy", "Normal", "Hard", "Insane", "Expert", "Expert+"),
    "taiko": ("Kantan", "Futsuu", "Muzukashii", "Oni", "Inner Oni", "Ura Oni"),
    "catch": ("Cup", "Salad", "Platter", "Rain", "Overdose", "Deluge"),
    "mania": ("Easy", "Normal", "Hard", "Insane", "Expert", "Expert+"),
}


def difficulty_name(stars: float, mode: str) -> str:
    """The name players know for a map of `stars` in `mode` (see the module docstring): osu!'s name for the stars that
    a map of its difficulty (`difficulty_from_stars`, on the mode's star scale) has on the names' scale."""
    named_stars = np.interp(difficulty_from_stars(stars, mode), DIFFICULTY_POINTS, NAMED_STAR_POINTS)
    return DIFFICULTY_NAMES[mode][int(np.searchsorted(STAR_BOUNDARIES, named_stars, side="right"))]


def default_mode(beatmap: IntermediateBeatmap) -> str:
    """The game mode a beatmap came from, else the one with its track count (1 osu, 2 taiko, 4 mania)."""
    source_mode = beatmap.meta.get("source", {}).get("mode")
    if source_mode in MODE_NUMBERS:
        return source_mode
    return {1: "osu", 2: "taiko", 4: "mania"}[len(beatmap.tracks)]


def _spinner_spans(beatmap: IntermediateBeatmap, objects: pd.DataFrame) -> pd.DataFrame:
    """Holds written as one spinner: those under the SPINNER flag (column `spinner`), and on multi-track maps holds on
    every track."""
    holds = objects["end"] > objects["start"]
    on_every_track = objects.groupby(["start", "end"])["track"].transform("nunique") == len(beatmap.tracks)
    on_every_track &= holds & (len(beatmap.tracks) > 1)
    spinners = objects[objects["spinner"].to_numpy() | on_every_track.to_numpy()]
    return spinners[["start", "end"]].drop_duplicates().reset_index(drop=True)


class _PlayfieldWalk:
    """Positions for osu!standard and catch objects: a smooth, seeded walk inside the playfield."""

    def __init__(self, seed: int):
        self.random = np.random.default_rng(seed)
        self.position = np.array(PLAYFIELD) / 2
        self.angle = self.random.uniform(0, 2 * np.pi)

    def _inside(self, point: np.ndarray) -> bool:
        return bool(
            PLAYFIELD_MARGIN <= point[0] <= PLAYFIELD[0] - PLAYFIELD_MARGIN
            and PLAYFIELD_MARGIN <= point[1] <= PLAYFIELD[1] - PLAYFIELD_MARGIN
        )

    def _step(self, distance: float) -> np.ndarray:
        """A point `distance` away, turning as little as possible to stay inside; updates the heading."""
        self.angle += self.random.normal(0.0, 0.5)
        for turn in np.radians([0, 45, -45, 90, -90, 135, -135, 180]):
            heading = self.angle + turn
            point = self.position + distance * np.array([np.cos(heading), np.sin(heading)])
            if self._inside(point):
                self.angle = heading
                return point
        corners = np.array(
            [[PLAYFIELD_MARGIN, PLAYFIELD_MARGIN], [PLAYFIELD[0] - PLAYFIELD_MARGIN, PLAYFIELD[1] - PLAYFIELD_MARGIN]]
        )
        farthest = np.array([corners[int(self.position[0] < 256), 0], corners[int(self.position[1] < 192), 1]])
        direction = (farthest - self.position) / np.linalg.norm(farthest - self.position)
        self.angle = float(np.arctan2(direction[1], direction[0]))
        return self.position + direction * min(distance, np.linalg.norm(farthest - self.position))

    def next_object(self, spacing: float) -> np.ndarray:
        self.position = self._step(spacing)
        return self.position.copy()


class _CatcherWalk:
    """Positions for osu!catch objects: a seeded walk across the playfield, where only the horizontal position counts
    (the fruits fall to the catcher); it turns back at `CATCH_TURN_CHANCE` of its moves and at the edges."""

    def __init__(self, seed: int):
        self.random = np.random.default_rng(seed)
        self.x = PLAYFIELD[0] / 2
        self.direction = self.random.choice((-1.0, 1.0))

    def next_object(self, spacing: float) -> np.ndarray:
        low, high = PLAYFIELD_MARGIN, PLAYFIELD[0] - PLAYFIELD_MARGIN
        if self.random.random() < CATCH_TURN_CHANCE:
            self.direction = -self.direction
        target = self.x + self.direction * spacing
        if not low <= target <= high:  # turn back from the edge, or stop at it where the way back is as short
            self.direction = -self.direction
            target = float(np.clip(self.x + self.direction * spacing, low, high))
        self.x = target
        return np.array([self.x, PLAYFIELD[1] / 2])


def slider_multiplier(difficulty: float, mode: str) -> float:
    """The `SliderMultiplier` of a map: in osu!standard and catch it grows with the difficulty (`SLIDER_MULTIPLIERS`),
    so that easy maps move slower and their objects lie nearer one another; elsewhere `SLIDER_MULTIPLIER`."""
    if mode not in SLIDER_MULTIPLIERS:
        return SLIDER_MULTIPLIER
    low, high = SLIDER_MULTIPLIERS[mode]
    return round(low + (high - low) * float(np.clip(difficulty, 0.0, 1.0)), 2)


def _difficulty_section(difficulty: float, mode: str, velocity: float) -> dict:
    overall = round(2.0 + 7.0 * difficulty, 1)
    circle_size = 4 if mode == "mania" else round(3.0 + 2.0 * difficulty, 1)
    return {
        "HPDrainRate": str(round(3.0 + 4.0 * difficulty, 1)),
        "CircleSize": str(circle_size),
        "OverallDifficulty": str(overall),
        "ApproachRate": str(round(3.0 + 6.5 * difficulty, 1)),
        "SliderMultiplier": str(velocity),
        "SliderTickRate": "1",
    }


def _first_line_ms(grid: BeatGrid, first_start: float) -> float:
    """Where the first timing point goes: where the map's tempo starts (a downbeat), moved back by whole measures to
    the last downbeat at or before the first object, so that every object lies after the first red line (an intro
    note before the first beat found was timed by a line extended backwards) and the bar lines osu! draws from it fall
    on the song's measures; it may lie before 0 ms."""
    measure_ms = BEATS_PER_MEASURE * 60000.0 / float(grid.bpms[0])
    measures_back = max(0.0, np.ceil((grid.anchor_ms - first_start) / measure_ms - 1e-9))
    return grid.anchor_ms - measures_back * measure_ms


def _new_combos(starts: np.ndarray, timing_times: np.ndarray, beat_lengths: np.ndarray) -> np.ndarray:
    """
    Which objects start a new combo: the first object of each measure (osu! counts `BEATS_PER_MEASURE` beats from
    each red line), as human mappers start them (on ppy's 22 osu!standard test maps, 80% of the objects on a
    downbeat start a combo, and half of all combos last 4 beats), and the first object of its second half where a
    measure holds more than `COMBO_LENGTH` objects (a human combo holds up to 8 objects nine times in ten).

    Args:
        starts (`np.ndarray` of shape `(num_objects,)`): the objects' times (ms), in time order.
        timing_times, beat_lengths (`np.ndarray` of shape `(num_timing_points,)`): the red lines' times and beat
            lengths (ms), in time order.

    Returns:
        `np.ndarray` of shape `(num_objects,)`, bool.
    """
    segment = np.maximum(np.searchsorted(timing_times, starts, side="right") - 1, 0)
    measures = (starts - timing_times[segment]) / (BEATS_PER_MEASURE * beat_lengths[segment])

    def first_of(parts: np.ndarray) -> np.ndarray:  # the first object of each red line's measure (or half measure)
        return np.r_[True, (np.diff(segment) != 0) | (np.diff(parts) != 0)]

    new_measure = first_of(np.floor(measures + 1e-6))
    measure_index = np.cumsum(new_measure)
    crowded = np.bincount(measure_index)[measure_index] > COMBO_LENGTH
    return new_measure | (crowded & first_of(np.floor(2.0 * measures + 1e-6)))


def intermediate_to_osu(
    beatmap: IntermediateBeatmap,
    *,
    mode: str | None = None,
    audio_filename: str | None = None,
    title: str | None = None,
    artist: str | None = None,
    creator: str | None = None,
    version: str | None = None,
    model_name: str = DEFAULT_MODEL_NAME,
    background_filename: str | None = None,
    seed: int = 0,
) -> str:
    """
    The `.osu` text (format v14) of an intermediate beatmap.

    Args:
        beatmap (`IntermediateBeatmap`): the map; folded or spread onto the mode's tracks when their counts differ.
        mode (`str`, *optional*): `osu`, `taiko`, `catch` or `mania`; defaults to `default_mode(beatmap)`.
        audio_filename (`str`, *optional*): the audio's name inside the archive; defaults to `meta["audio"]`.
        title, artist (`str`, *optional*): metadata; default to the beatmap's, else "Untitled" / "Unknown Artist".
        creator (`str`, *optional*): the map's creator; defaults to `"BEaRT"` for a map beart generated, else to the
            map's own (`"Unknown Creator"` where it names none).
        version (`str`, *optional*): the difficulty name; defaults to one from the difficulty and the mode.
        model_name (`str`, *optional*, defaults to `"beart"`): the model that generated the map, put in the source
            and tags of a map beart generated (`beart.beatmaps.provenance`): those of an AI-generated map say so, a
            person's map gets neither, so it reads back as theirs.
        background_filename (`str`, *optional*): a background image inside the archive.
        seed (`int`, *optional*, defaults to 0): seed of the playfield walk.
    """
    mode = mode or default_mode(beatmap)
    beatmap = retrack(beatmap, tracks_for_mode(mode))
    objects = beatmap.hit_objects()
    if objects.empty:
        raise BeatmapError("The beatmap has no hits or holds, so there is nothing to write.")
    grid = BeatGrid.of(beatmap)
    objects = _snapped(objects.assign(spinner=beatmap.in_spinner(objects), step=objects["start"]), grid)
    timing_times = np.concatenate([[_first_line_ms(grid, objects["start"].min())], grid.starts[1:]])

    def beat_length_at(time: float) -> float:
        return float(grid.beat_ms_at([time])[0])

    spinners = _spinner_spans(beatmap, objects)
    spinner_keys = set(zip(spinners["start"], spinners["end"]))
    timing_points = pd.DataFrame(
        {  # six decimals, as the editor writes them
            "time": np.round(timing_times.astype(np.float64), 6),
            "beat_length": np.round(60000.0 / np.asarray(grid.bpms, dtype=np.float64), 6),
        }
    ).assign(meter=4, sample_set=1, sample_index=0, volume=70, uninherited=True, effects=0, kiai=False)
    velocity = slider_multiplier(beatmap.difficulty, mode)
    hit_objects = _hit_object_rows(
        beatmap, objects, spinner_keys, spinners, mode, beat_length_at, velocity, seed, timing_points
    )

    meta = beatmap.meta
    difficulty = beatmap.difficulty
    generated = generated_by_beart(meta)
    tags = ["ai-generated", "generated-by-ai"] if is_ai_generated(meta) else []
    tags = " ".join(tags + ["beart", model_name] if generated else tags).strip()
    title = title or meta.get("title") or "Untitled"
    artist = artist or meta.get("artist") or "Unknown Artist"
    events = [f'0,0,"{background_filename}",0,0'] if background_filename else []
    first_start, last_end = objects["start"].min(), objects["end"].max()
    for start, end in beatmap.flag_spans("EMPTY").itertuples(index=False):
        if start > first_start and end < last_end:
            events.append(f"2,{start},{end}")
    sections = {
        "General": {
            "AudioFilename": audio_filename or meta["audio"],
            "AudioLeadIn": "0",
            "PreviewTime": str(int(meta.get("preview_time", -1))),
            "Countdown": "0",
            "SampleSet": "Normal",
            "StackLeniency": "0.7",
            "Mode": str(MODE_NUMBERS[mode]),
            "LetterboxInBreaks": "0",
        },
        "Metadata": {
            "Title": title,
            "TitleUnicode": title,
            "Artist": artist,
            "ArtistUnicode": artist,
            "Creator": creator or ("BEaRT" if generated else meta.get("creator")) or "Unknown Creator",
            "Version": version or meta.get("version") or "",
            "Source": f"generated by {model_name}" if generated else "",
            "Tags": tags,
            "BeatmapID": "0",
            "BeatmapSetID": "-1",
        },
        "Difficulty": _difficulty_section(difficulty, mode, velocity),
    }
    osu_file = OsuFile(
        name=sections["Metadata"]["Version"] or "generated map",
        version=LATEST_FORMAT_VERSION,
        sections=sections,
        timing_points=timing_points,
        hit_objects=hit_objects,
        breaks=pd.DataFrame(columns=["start", "end"]),
        events=events,
    )
    if not sections["Metadata"]["Version"]:
        stars = star_rating(osu_file.text.encode("utf-8"))
        sections["Metadata"]["Version"] = (
            difficulty_name(stars, mode) if stars is not None else f"BEaRT {mode} {difficulty:.2f}"
        )
    return osu_file.text


def _snapped(objects: pd.DataFrame, grid: BeatGrid) -> pd.DataFrame:
    """Objects with start and end on the beat grid in whole ms: the coarsest subdivision (`BEAT_SUBDIVISIONS`) whose
    nearest time, else the whole ms on its other side (within a millisecond), lies within `SAME_STEP_MS` of the
    object's own 10 ms step, so that it reads back on it (else the step's time); those of a track that meet on one
    time are written once."""

    def on_grid(times: pd.Series) -> np.ndarray:
        times = times.to_numpy(np.float64)
        exact = grid.times_at(grid.candidate_rows(times)[0])  # (num_times, subdivisions), coarsest first
        # per subdivision, coarsest first (a 1/3 exactly 5 ms away reads back on the next step): the whole ms nearest
        # the grid, else the one on its other side (a grid time 4.5-5 ms after a step rounds to a time that reads back
        # on the next step; the ms below it is still within a millisecond of the grid)
        nearest = np.round(exact)
        other = np.where(nearest > exact, np.floor(exact), np.ceil(exact))
        options = np.stack([nearest, other], axis=2).reshape(len(times), 2 * exact.shape[1])
        moved = options - times[:, None]
        fits = (moved >= SAME_STEP_MS[0]) & (moved <= SAME_STEP_MS[1])
        first_fit = options[np.arange(len(times)), np.argmax(fits, axis=1)]
        return np.where(fits.any(axis=1), first_fit, times).astype(np.int64)

    start, end = on_grid(objects["start"]), on_grid(objects["end"])
    end = np.where((objects["end"] > objects["start"]).to_numpy(), np.maximum(end, start), start)
    return objects.assign(start=start, end=end).drop_duplicates(["track", "start"]).reset_index(drop=True)


def _hit_object_rows(
    beatmap, objects, spinner_keys, spinners, mode, beat_length_at, velocity, seed, timing_points
) -> pd.DataFrame:  # fmt: skip
    """The `OsuFile` hit objects: one per object (spinners once, not once per track), sorted by time; `velocity` is
    the map's slider multiplier, 100 px per beat times it between objects and along sliders. New combos start where
    the map's own NEW_COMBO column says (a map read from an osu! file), else on the measures of `timing_points`
    (`_new_combos`), and after a spinner."""
    tracks = beatmap.tracks
    walk = _CatcherWalk(seed) if mode == "catch" else _PlayfieldWalk(seed)
    new_combo_steps = set()
    if "NEW_COMBO" in beatmap.data.columns:
        new_combo_steps = set(beatmap.data["TIME"].to_numpy()[beatmap.data["NEW_COMBO"].to_numpy() == 1])
    rows = (
        [(start, "spinner", None, end, None) for start, end in spinners.itertuples(index=False)]
        if mode != "mania"
        else []
    )
    for track, start, end, step in objects[["track", "start", "end", "step"]].itertuples(index=False):
        if mode != "mania" and (start, end) in spinner_keys and end > start:
            continue
        rows.append((start, "hold" if end > start else "hit", track, end, step))
    rows.sort(key=lambda row: (row[0], tracks.index(row[2]) if row[2] else -1))
    on_measures = _new_combos(
        np.array([row[0] for row in rows], dtype=np.float64), timing_points["time"].to_numpy(np.float64),
        timing_points["beat_length"].to_numpy(np.float64),
    )  # fmt: skip

    hit_objects, previous_end, force_combo = [], None, True

    row = functools.partial(hit_object_row, extras=DEFAULT_HIT_SAMPLE)

    for (start, kind, track, end, step), on_measure in zip(rows, on_measures):
        beat_length = beat_length_at(start)
        gap = start - previous_end if previous_end is not None else np.inf
        new_combo = force_combo or (step in new_combo_steps if new_combo_steps else on_measure)
        combo_bit = NEW_COMBO if new_combo and mode in ("osu", "catch") else 0
        force_combo = kind == "spinner"
        previous_end = end
        if kind == "spinner":
            hit_objects.append(row(256, 192, start, SPINNER | NEW_COMBO, end_time=end))
            continue
        if mode == "mania":
            column = tracks.index(track)
            x = int((column + 0.5) * PLAYFIELD[0] / len(tracks))
            if kind == "hold":
                hit_objects.append(row(x, 192, start, MANIA_HOLD, end_time=end))
            else:
                hit_objects.append(row(x, 192, start, HIT_CIRCLE))
            continue
        hitsound = KAT_HITSOUND if mode == "taiko" and tracks.index(track) == 1 else 0
        spacing = np.clip(min(gap, 4 * beat_length) / beat_length * 100.0 * velocity, *SPACING_RANGE)
        x, y = walk.next_object(spacing) if mode != "taiko" else (256, 192)
        if kind == "hit":
            hit_objects.append(row(int(round(x)), int(round(y)), start, HIT_CIRCLE | combo_bit, hitsound))
            continue
        pixel_length = (end - start) / beat_length * 100.0 * velocity + SLIDER_LENGTH_MARGIN
        slides = max(1, int(np.ceil(pixel_length / MAX_SLIDER_SPAN)))
        span_length = round(pixel_length / slides, 6)
        if mode == "taiko":
            end_x, end_y = x + span_length, y
        else:
            end_x, end_y = walk.next_object(span_length)
        hit_objects.append(
            row(
                int(round(x)), int(round(y)), start, SLIDER | combo_bit, hitsound, extras="",
                curve_type="L", curve_points=f"{int(round(end_x))}:{int(round(end_y))}", slides=slides,
                pixel_length=span_length, written_length=span_length,
            )
        )  # fmt: skip
    return pd.DataFrame(hit_objects, columns=list(HIT_OBJECT_COLUMNS))


def background_png(seed: int = 0) -> bytes:
    """A plain dark gradient background as PNG bytes (written with zlib, no imaging library needed)."""
    width, height = BACKGROUND_SIZE
    hue = np.random.default_rng(seed).uniform(0.2, 1.0, size=3)
    shade = np.linspace(0.15, 0.45, height)[:, None, None] * hue[None, None, :]
    pixels = np.broadcast_to((shade * 255).astype(np.uint8), (height, width, 3))
    raw = b"".join(b"\x00" + row.tobytes() for row in pixels)

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def write_osz(
    beatmaps: IntermediateBeatmap | list,
    output_path,
    audio,
    *,
    mode: str | None = None,
    background: bytes | str | os.PathLike | None = None,
    overwrite: bool = False,
    **metadata,
) -> str:
    """
    Writes a playable `.osz`: an `.osu` difficulty per map (a mapset), the audio and a background image.

    The archive is written to a temporary file beside `output_path` and moved into place, so a failure leaves no
    partial file.

    Args:
        beatmaps (`IntermediateBeatmap` or a list of them): the maps, one difficulty each. Difficulties whose names
            (by star rating, or `version`) meet get a number: `Insane`, `Insane 2`.
        output_path (`str` or `os.PathLike`): the `.osz` to write.
        audio (`str` or `os.PathLike`): the song's audio file, stored in the archive under its own name.
        mode (`str`, *optional*): the game mode (see `intermediate_to_osu`).
        background (`bytes` or path, *optional*): a background image; a generated gradient PNG when not given.
        overwrite (`bool`, *optional*, defaults to `False`): replace an existing file at `output_path`; without it an
            existing file raises `FileExistsError` before anything is done.
        **metadata: `title`, `artist`, `creator`, `version`, `model_name`, `seed` for `intermediate_to_osu`.

    Returns:
        `str`: the path written.
    """
    audio = os.fspath(audio)
    check_audio_file(audio)
    check_writable(output_path, overwrite)
    if background is None:
        background_name, background_bytes = "background.png", background_png(metadata.get("seed", 0))
    elif isinstance(background, bytes):
        background_name, background_bytes = "background.png", background
    else:
        with open(background, "rb") as file:
            background_name, background_bytes = os.path.basename(os.fspath(background)), file.read()
    audio_name = os.path.basename(audio)
    beatmaps = [beatmaps] if isinstance(beatmaps, IntermediateBeatmap) else list(beatmaps)
    if not beatmaps:
        raise BeatmapError("No beatmap to write.")
    named, versions, taken = [], {}, {audio_name.lower(), background_name.lower()}
    for beatmap in beatmaps:
        text = intermediate_to_osu(
            beatmap, mode=mode, audio_filename=audio_name, background_filename=background_name, **metadata
        )
        header = dict(re.findall(r"^(Artist|Title|Creator|Version):(.*?)\r?$", text, flags=re.MULTILINE))
        version = header["Version"]
        versions[version] = versions.get(version, 0) + 1
        if versions[version] > 1:  # a mapset's difficulties need names of their own
            header["Version"] = f"{version} {versions[version]}"
            text = text.replace(f"\nVersion:{version}\r", f"\nVersion:{header['Version']}\r", 1)
        # a long title is shortened before the difficulty's name, and no two difficulties share a file
        name = safe_filename(f"{header['Artist']} - {header['Title']} ({header['Creator']})", f" [{header['Version']}]")
        named.append((unique_filename(f"{name}.osu", taken), text))

    def write_archive(file) -> None:  # streamed into the output: the song is not held in memory
        with zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in named:
                archive.writestr(name, text.encode("utf-8"))
            archive.write(audio, audio_name, compress_type=zipfile.ZIP_STORED)
            archive.writestr(background_name, background_bytes)

    return write_atomically(output_path, write_archive, overwrite=overwrite)
