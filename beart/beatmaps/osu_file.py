"""Parsing `.osu` files (format versions 3 to 14 and lazer's 128) and the timing rules of the osu! client.

The rules follow the osu! client's legacy decoder:
- times in files older than format 5 are shifted 24 ms later;
- an uninherited timing point sets the beat length (clamped to 6-60000 ms) from its time on, and the first one
  also holds before it (a map without one has 60 BPM); every timing point sets the slider velocity:
  `100 / -beat_length` (clamped to 0.1-10) for an inherited one (negative beat length), 1 for an uninherited one;
  at one time an inherited point wins;
- a slider lasts `pixel_length * slides / (100 * slider_multiplier * slider_velocity) * beat_length`; without a
  pixel length the length of its drawn path is used;
- a spinner or a mania hold ends at its end time, never before its start;
- a line that cannot be parsed is skipped with a warning naming the file and the line, as the client does (the first
  10 of a file; the rest are counted in one warning, `skipped_lines.SkippedLines`).

`OsuFile.text` writes the file back in its own format version (the client stacks objects and converts maps by it), times
as written (a file older than v5 without the 24 ms its reading adds): every section, timing point and hit object that
was read, with each object's path, length, sounds and samples as written; comments and lines that were skipped are not
kept.
"""

import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from transformers.utils import logging

from ..safety import limits
from .errors import BeatmapError
from .numbers import finite_number
from .slider_paths import slider_path_length
from .skipped_lines import SkippedLines
from .text_decoding import decode_text
from .text_fields import one_line


logger = logging.get_logger(__name__)

LATEST_FORMAT_VERSION = 14
EARLY_VERSION_OFFSET_MS = 24
KEY_VALUE_SECTIONS = ("General", "Editor", "Metadata", "Difficulty")
HIT_CIRCLE, SLIDER, NEW_COMBO, SPINNER, MANIA_HOLD = 1, 2, 4, 8, 128
HITSOUND_WHISTLE, HITSOUND_FINISH, HITSOUND_CLAP = 2, 4, 8
BASE_SCORING_DISTANCE = 100.0
DEFAULT_BEAT_LENGTH = 1000.0
BEAT_LENGTH_RANGE = (6.0, 60000.0)
SLIDER_VELOCITY_RANGE = (0.1, 10.0)
SLIDER_MULTIPLIER_RANGE = (0.4, 3.6)

HIT_OBJECT_COLUMNS = (
    "x", "y", "time", "type", "hitsound", "end_time", "curve_type", "slides", "pixel_length", "written_length",
    "curve_points", "extras",
)  # fmt: skip
TIMING_POINT_COLUMNS = ("time", "beat_length", "meter", "sample_set", "sample_index", "volume", "uninherited", "effects")
SECTION_ORDER = ("General", "Editor", "Metadata", "Difficulty", "Events", "TimingPoints", "HitObjects")
SPACED_SECTIONS = ("General", "Editor")  # written 'key: value'; the others 'key:value'



@dataclass
class OsuFile:
    """
    The parsed content of one `.osu` file.

    Args:
        name (`str`): where it came from, for messages.
        version (`int`): the format version.
        sections (`dict[str, dict[str, str]]`): the key-value sections (General, Editor, Metadata, Difficulty).
        timing_points (`pd.DataFrame`): `time`, `beat_length`, `meter`, `sample_set`, `sample_index`, `volume`,
            `uninherited`, `effects` (bit 0 kiai) and `kiai`, in file order.
        hit_objects (`pd.DataFrame`): one row per object: `x`, `y`, `time`, `type`, `hitsound`, `end_time`
            (spinners and holds), `curve_type`, `slides`, `pixel_length` (sliders; the path length when the file
            gives none), `written_length` (a slider's length field as written, NaN when absent), `curve_points` (a
            slider's path after its curve type, `x:y|x:y...`) and `extras` (the fields after those, as written: edge
            sounds and the hit sample).
        breaks (`pd.DataFrame`): `start` and `end` of each break.
        events (`list[str]`, *optional*): the `[Events]` lines (backgrounds, videos, breaks, storyboard), as written.
        other_sections (`dict[str, list[str]]`, *optional*): lines of the sections this module does not read
            (`[Colours]`, ...), as written.
        skipped_lines (`int`): lines that could not be parsed.
        most_control_points (`int`): the most control points of one slider.
    """

    name: str
    version: int
    sections: dict
    timing_points: pd.DataFrame
    hit_objects: pd.DataFrame
    breaks: pd.DataFrame
    skipped_lines: int = 0
    most_control_points: int = 0
    events: list = field(default_factory=list)
    other_sections: dict = field(default_factory=dict)

    def value(self, section: str, key: str, default=None):
        return self.sections.get(section, {}).get(key, default)

    def number(self, section: str, key: str, default: float) -> float:
        number = finite_number(self.value(section, key))
        return default if number is None else number

    @property
    def mode(self) -> int:
        return int(self.number("General", "Mode", 0))

    @property
    def slider_multiplier(self) -> float:
        return float(np.clip(self.number("Difficulty", "SliderMultiplier", 1.4), *SLIDER_MULTIPLIER_RANGE))

    def beat_length_at(self, times) -> np.ndarray:
        """Beat length (ms) of the uninherited timing point in effect at each time (1000 ms when there is none)."""
        points = self.timing_points[self.timing_points["uninherited"]]
        points = points.drop_duplicates("time", keep="first").sort_values("time", kind="stable")
        if points.empty:
            return np.full(np.shape(times), DEFAULT_BEAT_LENGTH)
        beat_lengths = np.clip(points["beat_length"].to_numpy(), *BEAT_LENGTH_RANGE)
        index = np.searchsorted(points["time"].to_numpy(), np.asarray(times, dtype=np.float64), side="right") - 1
        return beat_lengths[np.maximum(index, 0)]

    def slider_velocity_at(self, times) -> np.ndarray:
        """Slider velocity multiplier in effect at each time (1 before the first timing point)."""
        points = self.timing_points
        if points.empty:
            return np.ones(np.shape(times))
        beat_length = points["beat_length"].to_numpy()
        inherited = ~points["uninherited"].to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            velocity = np.where(inherited & (beat_length < 0), 100.0 / -beat_length, 1.0)
        velocity = np.clip(np.nan_to_num(velocity, nan=1.0), *SLIDER_VELOCITY_RANGE)
        order = np.lexsort((np.arange(len(points)), inherited, points["time"].to_numpy()))
        index = np.searchsorted(points["time"].to_numpy()[order], np.asarray(times, dtype=np.float64), "right") - 1
        return np.where(index >= 0, velocity[order][np.maximum(index, 0)], 1.0)

    def end_times(self) -> np.ndarray:
        """End time (ms) of every hit object: its start for circles, by the rules above for the others."""
        objects = self.hit_objects
        times = objects["time"].to_numpy(dtype=np.float64)
        ends = np.maximum(objects["end_time"].to_numpy(dtype=np.float64), times)
        is_slider = (objects["type"].to_numpy() & SLIDER) > 0
        if is_slider.any():
            slider_times = times[is_slider]
            spans = np.maximum(objects["slides"].to_numpy()[is_slider], 1)
            velocity = BASE_SCORING_DISTANCE * self.slider_multiplier * self.slider_velocity_at(slider_times)
            duration = objects["pixel_length"].to_numpy()[is_slider] * spans / velocity
            ends[is_slider] = slider_times + duration * self.beat_length_at(slider_times)
        return np.where(np.isnan(ends), times, ends)

    @property
    def text(self) -> str:
        """The file as `.osu` text (its format version, CRLF line ends), every section in the client's order."""
        offset = EARLY_VERSION_OFFSET_MS if self.version < 5 else 0
        lines = [f"osu file format v{self.version}"]
        for section in SECTION_ORDER + tuple(self.other_sections):
            if section in KEY_VALUE_SECTIONS:
                if not self.sections.get(section):
                    continue
                separator = ": " if section in SPACED_SECTIONS else ":"
                body = [f"{key}{separator}{one_line(value)}" for key, value in self.sections[section].items()]
            elif section == "Events":
                body = list(self.events)
            elif section == "TimingPoints":
                timing_points = self.timing_points.assign(time=self.timing_points["time"] - offset)
                body = [_timing_point_line(row) for row in timing_points.to_dict("records")]
            elif section == "HitObjects":
                objects = self.hit_objects.assign(
                    time=self.hit_objects["time"] - offset, end_time=self.hit_objects["end_time"] - offset
                )
                body = [_hit_object_line(row) for row in objects.to_dict("records")]
            else:
                body = list(self.other_sections[section])
            lines += ["", f"[{section}]", *body]
        return "\r\n".join(lines) + "\r\n"


def _number(value: float) -> str:
    """A number as the client writes it: whole numbers without a decimal point."""
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def _timing_point_line(row: dict) -> str:
    fields = ("time", "beat_length", "meter", "sample_set", "sample_index", "volume")
    return ",".join([*(_number(row[name]) for name in fields), str(int(row["uninherited"])), str(int(row["effects"]))])


def _hit_object_line(row: dict) -> str:
    fields = [_number(row["x"]), _number(row["y"]), _number(row["time"]), str(int(row["type"])), str(int(row["hitsound"]))]
    extras = [row["extras"]] if row["extras"] else []
    if row["type"] & SLIDER:
        path = f"{row['curve_type']}|{row['curve_points']}" if row["curve_points"] else row["curve_type"]
        length = [] if np.isnan(row["written_length"]) else [_number(row["written_length"])]
        fields += [path, str(int(row["slides"])), *(length or (["0"] if extras else [])), *extras]
    elif row["type"] & SPINNER:
        fields += [_number(row["end_time"]), *extras]
    elif row["type"] & MANIA_HOLD:
        fields.append(f"{_number(row['end_time'])}:{row['extras']}")
    else:
        fields += extras
    return ",".join(fields)


def _time(text: str, offset: float) -> float:
    """A time (ms) of the file: refused (the line is skipped) when not finite or past the longest song."""
    time = float(text) + offset
    if not math.isfinite(time) or abs(time) > limits.max_song_ms:
        raise ValueError(f"the time {text.strip()} ms is not within the longest song, {limits.describe_song_limit()}")
    return time


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text.strip()} is not a finite number")
    return number


def _format_version(first_line: str, name: str) -> int:
    match = re.search(r"osu file format v(\d+)", first_line)
    if match is None:
        logger.warning(f"{name}: no 'osu file format' header; reading it as format v{LATEST_FORMAT_VERSION}.")
        return LATEST_FORMAT_VERSION
    return int(match.group(1))


def _timing_point(parts: list[str], offset: float) -> dict:
    beat_length = float(parts[1])
    uninherited = parts[6].strip() == "1" if len(parts) > 6 else beat_length >= 0
    if uninherited and not np.isfinite(beat_length):
        raise ValueError("an uninherited timing point needs a finite beat length")
    effects = int(parts[7]) if len(parts) > 7 and parts[7].strip() else 0
    return {
        "time": _time(parts[0], offset),
        "beat_length": beat_length,
        "meter": int(parts[2]) if len(parts) > 2 and parts[2].strip() else 4,
        "sample_set": int(parts[3]) if len(parts) > 3 and parts[3].strip() else 0,
        "sample_index": int(parts[4]) if len(parts) > 4 and parts[4].strip() else 0,
        "volume": int(parts[5]) if len(parts) > 5 and parts[5].strip() else 100,
        "uninherited": uninherited,
        "effects": effects,
        "kiai": bool(effects & 1),
    }


def hit_object_row(x, y, time, object_type: int, hitsound: int = 0, *, end_time=np.nan, extras="", **slider) -> dict:
    """One row of `OsuFile.hit_objects` (see its columns); `slider` sets the slider columns (`curve_type`, `slides`,
    `pixel_length`, `written_length`, `curve_points`), which default to those of an object that is no slider."""
    row = {"x": x, "y": y, "time": time, "type": object_type, "hitsound": hitsound, "end_time": end_time}
    row.update(curve_type="", slides=1, pixel_length=0.0, written_length=np.nan, curve_points="", extras=extras)
    row.update(slider)
    return row


def _hit_object(parts: list[str], offset: float) -> dict:
    object_type = int(parts[3])
    hitsound = int(parts[4]) if len(parts) > 4 and parts[4].strip() else 0
    row = hit_object_row(
        _finite(parts[0]), _finite(parts[1]), _time(parts[2], offset), object_type, hitsound, extras=",".join(parts[5:])
    )
    row["control_points"] = 0
    if object_type & SLIDER:
        curve = parts[5].split("|")
        slides = int(parts[6])
        if not 0 <= slides <= 9000:
            raise ValueError(f"a slider repeats {slides} times")
        written_length = _finite(parts[7]) if len(parts) > 7 and parts[7].strip() else np.nan
        pixel_length = max(0.0, written_length) if np.isfinite(written_length) else 0.0
        if not pixel_length > 0:
            control = [(row["x"], row["y"])] + [tuple(map(float, point.split(":"))) for point in curve[1:]]
            pixel_length = slider_path_length(curve[0], control)
        row.update(
            curve_type=curve[0],
            slides=slides,
            pixel_length=pixel_length,
            written_length=written_length,
            curve_points="|".join(curve[1:]),
            extras=",".join(parts[8:]),
            control_points=len(curve) - 1,
        )
    elif object_type & SPINNER:
        row.update(end_time=_time(parts[5], offset), extras=",".join(parts[6:]))
    elif object_type & MANIA_HOLD:
        end_time, _, sample = parts[5].partition(":")
        row.update(end_time=_time(end_time, offset), extras=",".join([sample, *parts[6:]]))
    return row


def parse_osu(content: bytes | str, name: str = "<osu file>") -> OsuFile:
    """
    Parses the text of an `.osu` file.

    Args:
        content (`bytes` or `str`): the file's bytes (UTF-8 with or without BOM, or Windows-1252) or text.
        name (`str`, *optional*): the file's name for messages.

    Raises:
        `BeatmapError`: the text has no `[HitObjects]` section or no readable hit object.
    """
    text = decode_text(content, name)[0] if isinstance(content, bytes) else content.lstrip("\ufeff")
    lines = text.splitlines()
    first_line = next((line for line in lines if line.strip()), "")
    version = _format_version(first_line, name)
    offset = EARLY_VERSION_OFFSET_MS if version < 5 else 0

    sections = {section: {} for section in KEY_VALUE_SECTIONS}
    timing_points, hit_objects, breaks, events, other_sections = [], [], [], [], {}
    section, skipped, seen_sections = None, SkippedLines(name, logger), set()
    for number, raw_line in enumerate(lines, start=1):
        line = raw_line.strip()
        if not line or line.startswith("//"):
            continue
        header = re.fullmatch(r"\[(\w+)\]", line)
        if header:
            section = header.group(1)
            seen_sections.add(section)
            if section not in SECTION_ORDER:
                other_sections.setdefault(section, [])
            continue
        try:
            if section in KEY_VALUE_SECTIONS:
                key, separator, value = line.partition(":")
                if not separator:
                    raise ValueError("expected 'key: value'")
                sections[section][key.strip()] = value.strip()
            elif section == "TimingPoints":
                timing_points.append(_timing_point(line.split(","), offset))
            elif section == "HitObjects":
                hit_objects.append(_hit_object(line.split(","), offset))
            elif section == "Events":
                parts = line.split(",")
                if parts[0].strip() in ("2", "Break"):
                    breaks.append({"start": _time(parts[1], offset), "end": _time(parts[2], offset)})
                events.append(raw_line.rstrip())
            elif section in other_sections:
                other_sections[section].append(line)
        except (ValueError, IndexError) as error:
            reason = "too few fields" if isinstance(error, IndexError) else error
            skipped.warn(f"{name}, line {number}: skipped {line[:60]!r} ({reason}).")
    skipped.close()

    if "HitObjects" not in seen_sections:
        raise BeatmapError(f"{name}: no [HitObjects] section, so there is nothing to play.")
    if not hit_objects:
        raise BeatmapError(f"{name}: the [HitObjects] section holds no readable hit object.")
    timing_frame = pd.DataFrame(timing_points, columns=[*TIMING_POINT_COLUMNS, "kiai"])
    timing_frame["uninherited"] = timing_frame["uninherited"].astype(bool)
    object_frame = pd.DataFrame(hit_objects, columns=list(HIT_OBJECT_COLUMNS))
    object_frame = object_frame.sort_values("time", kind="stable", ignore_index=True)
    return OsuFile(
        name=name,
        version=version,
        sections=sections,
        timing_points=timing_frame,
        hit_objects=object_frame,
        breaks=pd.DataFrame(breaks, columns=["start", "end"]),
        skipped_lines=skipped.count,
        most_control_points=max((row.pop("control_points") for row in hit_objects), default=0),
        events=events,
        other_sections=other_sections,
    )
