"""Parsing TJA files, the chart format of Taiko simulators (OpenTaiko, TJAPlayer3, taiko-web), with their timing.

A TJA file is header lines (`TITLE:`, `BPM:`, `OFFSET:` in seconds, `WAVE:` the audio, `DEMOSTART:`), then per course
its own headers (`COURSE:`, `LEVEL:`, `BALLOON:`) and a chart between `#START` and `#END`: measures of note digits,
each ending with `,`, with commands (`#BPMCHANGE`, `#MEASURE`, `#DELAY`, `#SCROLL`, `#GOGOSTART`, `#BARLINEOFF`,
`#BRANCHSTART`...) on lines of their own, also inside a measure. `//` starts a comment.

Timing, as the simulators compute it:
- chart time 0 is song time `-OFFSET` (the `tja` package leaves `OFFSET` out of its timestamps: the time in the song is
  its timestamp minus `OFFSET`);
- a measure lasts `4 * num / den` beats (`#MEASURE num/den`, 4/4 by default) and its N notes divide it evenly: a note
  slot lasts `4 * num / den / N` beats at the BPM in effect at that slot; an empty measure (`,` alone) still lasts its
  full length;
- `#BPMCHANGE` and `#DELAY` (seconds) act where they stand, also between two lines of one measure;
- `#SCROLL`, `#GOGOSTART`/`#GOGOEND`, `#BARLINEON`/`#BARLINEOFF` and other display commands do not change timing;
- of a branched section (`#BRANCHSTART` ... `#N`/`#E`/`#M` ... `#BRANCHEND`) the master branch (`#M`) is read, as
  the other branches are only alternatives of it.

Notes: 1 don, 2 ka, 3 big don, 4 big ka, 5 drumroll, 6 big drumroll, 7 balloon, 8 end of a roll or balloon,
9 kusudama. OpenTaiko's letters (its `NotesManager`): A and B (big don and ka hit with both hands) read as big don and
big ka, G (the purple note, hit with don and ka together) as a `kadon`, D (OutFox's fuse roll) as a balloon, H and I
(Taiko big and small rolls) as drumrolls; C (a mine, not to be hit) and F (an ad-lib note, hidden and optional) are
not notes a player must hit and are left out (one line in the log per course). Any other letter is left out with a
warning. The `tja` package knows none of OpenTaiko's letters, so each course keeps the measures that hold them
(`TjaCourse.measures_with_extension_notes`).
"""

import math
from dataclasses import dataclass, field

import numpy as np
from transformers.utils import logging

from .difficulty_bands import read_number
from .errors import BeatmapError
from ..safety import check_note_count
from .skipped_lines import SkippedLines
from .tracks import GAME_MODE_TRACKS
from .text_decoding import decode_text
from .text_fields import one_line


logger = logging.get_logger(__name__)

COURSE_NAMES = ("Easy", "Normal", "Hard", "Oni", "Edit")
COURSE_ALIASES = {
    **{name.lower(): name for name in COURSE_NAMES},
    **{str(index): name for index, name in enumerate(COURSE_NAMES)},
    "ura": "Edit",
}
NOTE_KINDS = {
    "1": "don", "2": "ka", "3": "don", "4": "ka", "A": "don", "B": "ka", "G": "kadon",
    "5": "roll", "6": "roll", "H": "roll", "I": "roll", "7": "balloon", "9": "balloon", "D": "balloon", "8": "end",
}  # fmt: skip
BIG_NOTES = frozenset("346ABH")
NOT_TO_HIT = {"C": "mine", "F": "ad-lib note"}  # OpenTaiko letters that are no note a player must hit
EXTENSION_LETTERS = frozenset("ABCDEFGHI")  # OpenTaiko's letters, which the `tja` package does not read


@dataclass
class TjaNote:
    """One note of a chart: its time in the song (ms), kind (`don`, `ka`, `kadon`: both at once, `roll`, `balloon`,
    `end`), whether it is big, the line it stands on, its measure (counted from 0), the letter written and its beat
    (beats of the chart before it, counted from the chart's start: where it stands as written)."""

    time_ms: float
    kind: str
    big: bool
    line: int
    measure: int
    letter: str = ""
    beat: float = 0.0


@dataclass
class TjaCourse:
    """
    One course (difficulty) of a TJA file.

    Args:
        name (`str`): Easy, Normal, Hard, Oni or Edit.
        level (`int`): its `LEVEL` (stars, 1-10), 0 when absent.
        headers (`dict[str, str]`): the course's own header lines.
        notes (`list[TjaNote]`): its notes in order.
        branched (`bool`): it has branches (only the master branch was read).
        line (`int`): the line of its `#START`.
        measures_with_extension_notes (`set[int]`): measures holding OpenTaiko's letters (A-I: read or left out), which
            the `tja` package does not read.
        tempo (`list[tuple[float, float]]`): `(time in the song in ms, BPM)` of each tempo in order: the header's `BPM`
            from the chart's start (`-OFFSET`), then each `#BPMCHANGE` where it stands.
        chart (`list[str]`): the lines between `#START` and `#END` as written (comments left out), which `TjaFile.text`
            writes back.
    """

    name: str
    level: int
    headers: dict
    notes: list = field(default_factory=list)
    branched: bool = False
    line: int = 0
    measures_with_extension_notes: set = field(default_factory=set)
    tempo: list = field(default_factory=list)
    chart: list = field(default_factory=list)


@dataclass
class TjaFile:
    """
    The parsed content of a `.tja` file.

    Args:
        name (`str`): where it came from, for messages.
        headers (`dict[str, str]`): the song's header lines (`TITLE`, `WAVE`, `OFFSET`, ...).
        courses (`list[TjaCourse]`): the courses in file order.
    """

    name: str
    headers: dict
    courses: list

    def value(self, key: str, default: str = "") -> str:
        return self.headers.get(key, default).strip()

    def text(self, comments: tuple = ()) -> str:
        """
        The file's text: `// comments`, the song's headers, then each course's headers (`COURSE` first) and chart
        between `#START` and `#END`. `parse_tja` reads it back with the same notes.

        Args:
            comments (`tuple[str, ...]`, *optional*): comment lines written first.
        """
        lines = [f"// {one_line(comment)}" for comment in comments]
        lines += [f"{key}:{one_line(value)}" for key, value in self.headers.items()]
        for course in self.courses:
            headers = {"COURSE": course.name.split()[0], **course.headers}
            lines += ["", *(f"{key}:{one_line(value)}" for key, value in headers.items()), "", "#START", *course.chart]
            lines.append("#END")
        return "\n".join(lines) + "\n"


def _number(text: str, what: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise BeatmapError(f"{where}: {what} {text.strip()!r} is not a number.") from None
    if not math.isfinite(value):
        raise BeatmapError(f"{where}: {what} {text.strip()!r} is not finite.")
    return value


def _measure_beats(text: str, where: str) -> float:
    numerator, separator, denominator = text.partition("/")
    numerator = _number(numerator, "#MEASURE", where)
    denominator = _number(denominator, "#MEASURE", where) if separator else 4.0
    if not (numerator > 0 and denominator > 0):
        raise BeatmapError(f"{where}: #MEASURE {text.strip()!r} is not a positive fraction.")
    return 4.0 * numerator / denominator


def _chart_lines(lines: list[tuple[int, str]], where: str) -> tuple[list[tuple[int, str]], bool]:
    """The lines of a chart with its branches resolved to the master branch (`#M`); whether it had branches."""
    kept, branch, branched = [], None, False
    for number, line in lines:
        command = line.split()[0].upper() if line.startswith("#") else ""
        if command == "#BRANCHSTART":
            branched, branch = True, "N"
            continue
        if command in ("#N", "#E", "#M"):
            branch = command[1]
            continue
        if command == "#BRANCHEND":
            branch = None
            continue
        if branch in ("N", "E"):
            continue
        kept.append((number, line))
    if branched:
        logger.info(f"{where}: branched chart; the master branch (#M) is read.")
    return kept, branched


class _CourseTiming:
    """
    Times the notes of one chart measure by measure: the time and BPM reached, the measure's length and number, the
    notes timed so far, the tempos met (`tempo`: `(ms, BPM)`), the measures holding OpenTaiko's letters (`extended`)
    and the counts of the letters that are no note to hit (`left_out`).
    """

    def __init__(self, bpm: float, offset: float, where: str):
        self.seconds, self.bpm, self.beats_per_measure, self.measure, self.beat = -offset, bpm, 4.0, 0, 0.0
        self.notes, self.extended, self.left_out = [], set(), {}
        self.tempo = [(self.seconds * 1000.0, bpm)]
        self.where = where
        self.unknown_notes = SkippedLines(where, logger, "unknown notes left out")

    def close_measure(self, items: list[tuple]) -> None:
        """Times the notes of one measure (`items`: its note strings and timing commands in order, each
        `(kind, value, line number)`) and moves on to the next."""
        slots = sum(len(text) for kind, text, _ in items if kind == "notes")
        slot_beats = self.beats_per_measure / slots if slots else 0.0
        for kind, value, number in items:
            if kind == "bpm":
                if not value > 0:
                    raise BeatmapError(f"{self.where}, line {number}: #BPMCHANGE {value:g} is not a positive BPM.")
                self.bpm = value
                self.tempo.append((self.seconds * 1000.0, value))
            elif kind == "delay":
                self.seconds += value
            else:
                for character in value:
                    self._note(character, number)
                    self.seconds += slot_beats * 60.0 / self.bpm
                    self.beat += slot_beats
        if not slots:
            self.seconds += self.beats_per_measure * 60.0 / self.bpm
            self.beat += self.beats_per_measure
        self.measure += 1

    def _note(self, character: str, number: int) -> None:
        letter = character.upper()
        if letter in EXTENSION_LETTERS:
            self.extended.add(self.measure)
        note_kind = NOTE_KINDS.get(letter)
        if note_kind is not None:
            check_note_count(len(self.notes) + 1, len(GAME_MODE_TRACKS["taiko"]), f"{self.where}, line {number}")
            self.notes.append(
                TjaNote(self.seconds * 1000.0, note_kind, letter in BIG_NOTES, number, self.measure, letter, self.beat)
            )
        elif letter in NOT_TO_HIT:
            self.left_out[NOT_TO_HIT[letter]] = self.left_out.get(NOT_TO_HIT[letter], 0) + 1
        elif character != "0":
            self.extended.add(self.measure)
            self.unknown_notes.warn(
                f"{self.where}, line {number}: note {character!r} is not a don, ka or roll; left out."
            )


def _course_notes(lines: list[tuple[int, str]], bpm: float, offset: float, where: str) -> _CourseTiming:
    """Times every note of a chart's lines (see the module docstring); returns the timing reached at its end (its
    notes, tempos and the measures holding OpenTaiko's letters)."""
    timing = _CourseTiming(bpm, offset, where)
    pending = []  # the current measure: note strings and timing commands in order
    for number, line in lines:
        if line.startswith("#"):
            command, _, argument = line.partition(" ")
            command = command.upper()
            if command == "#MEASURE":
                if any(kind == "notes" and text for kind, text, _ in pending):
                    logger.warning(f"{where}, line {number}: #MEASURE inside a measure applies from the next one.")
                timing.beats_per_measure = _measure_beats(argument, f"{where}, line {number}")
            elif command == "#BPMCHANGE":
                pending.append(("bpm", _number(argument, "#BPMCHANGE", f"{where}, line {number}"), number))
            elif command == "#DELAY":
                pending.append(("delay", _number(argument, "#DELAY", f"{where}, line {number}"), number))
            continue
        while line:
            text, comma, line = line.partition(",")
            pending.append(("notes", text.strip(), number))
            if not comma:
                break
            timing.close_measure(pending)
            pending = []
    if any(kind == "notes" and text for kind, text, _ in pending):
        logger.warning(f"{where}: the last measure has no closing ','; it is read as a full measure.")
        timing.close_measure(pending)
    timing.unknown_notes.close()
    if timing.left_out:
        counts = ", ".join(f"{count} {name}{'s' if count > 1 else ''}" for name, count in timing.left_out.items())
        logger.info(f"{where}: {counts} left out (no note a player must hit).")
    return timing


def parse_tja(content: bytes | str, name: str = "<tja file>") -> TjaFile:
    """
    Parses a `.tja` file and times every note of every course.

    Args:
        content (`bytes` or `str`): the file (UTF-8 with or without BOM, or Shift-JIS / Windows-1252 for old files).
        name (`str`, *optional*): the file's name for messages.

    Raises:
        `BeatmapError`: the file has no course (`#START` ... `#END`), or a number, BPM or measure it needs is not one;
        the message names the file and the line. A course whose `#END` is lost is read to the next `#START` or to the
        end of the file, with a warning.
    """
    if isinstance(content, bytes):
        content, _ = decode_text(content, name, ("utf-8-sig", "shift_jis", "cp1252"))
    song, course_headers, courses = {}, {}, []
    chart_lines, start_line, names_seen, open_headers = None, 0, {}, {}
    for number, raw_line in enumerate(content.lstrip("\ufeff").splitlines(), start=1):
        line = raw_line.split("//", 1)[0].strip()
        if not line:
            continue
        key, separator, value = line.partition(":")
        key = key.strip().upper()
        course_header = bool(separator) and not line.startswith("#") and _is_course_header(key)
        upper = line.upper()
        if chart_lines is not None:
            if upper.startswith("#START"):  # the course before it lost its #END: it ends here
                logger.warning(f"{name}, line {number}: #START inside the course begun at line {abs(start_line)}, "
                               "which has no #END; that course ends here.")  # fmt: skip
            if upper.startswith(("#END", "#START")):
                courses.append(_course(song, open_headers, chart_lines, start_line, name, names_seen))
                chart_lines = None
            elif not course_header:  # a course's header met before the #END it lost is the next course's
                chart_lines.append((number, line))
                continue
            if upper.startswith("#END"):
                continue
        if upper.startswith("#START"):
            open_headers = dict(course_headers)
            if "P2" in upper:
                chart_lines = []  # the second player's chart of a double-play course: read, then dropped
                start_line = -number
                continue
            chart_lines, start_line = [], number
            continue
        if course_header:
            if key == "COURSE":
                course_headers = {}
            course_headers[key] = value.strip()
        elif separator and not line.startswith("#"):
            song[key] = value.strip()
    if chart_lines is not None:  # as the players and the tja parser read a file cut short: to its end
        logger.warning(
            f"{name}, line {abs(start_line)}: #START without #END; the course is read to the end of the file."
        )
        courses.append(_course(song, open_headers, chart_lines, start_line, name, names_seen))
    courses = [course for course in courses if course is not None]
    if not courses:
        raise BeatmapError(f"{name}: no course (#START ... #END) in the file.")
    return TjaFile(name=name, headers=song, courses=courses)


def _is_course_header(key: str) -> bool:
    """Whether a header line's key belongs to the course that follows it (the rest are the song's)."""
    return key in ("COURSE", "LEVEL", "BALLOON", "SCOREINIT", "SCOREDIFF", "STYLE") or key.startswith("NOTESDESIGNER")


def _course(song: dict, headers: dict, lines: list, start_line: int, name: str, names_seen: dict):
    if start_line < 0:
        return None
    course = COURSE_ALIASES.get(headers.get("COURSE", "Oni").strip().lower())
    if course is None:
        logger.warning(f"{name}, line {start_line}: unknown COURSE {headers.get('COURSE')!r}; read as Oni.")
        course = "Oni"
    where = f"{name} [{course}]"
    bpm = _number(song.get("BPM", "120") or "120", "BPM", name)
    if not bpm > 0:
        raise BeatmapError(f"{name}: BPM {bpm:g} is not a positive BPM.")
    offset = _number(song.get("OFFSET", "0") or "0", "OFFSET", name)
    kept, branched = _chart_lines(lines, where)
    level = read_number(headers.get("LEVEL", "0"))
    names_seen[course] = names_seen.get(course, 0) + 1
    if names_seen[course] > 1:  # a file naming a course twice: the later ones keep their order, numbered
        logger.warning(f"{name}, line {start_line}: a second {course} course; read as '{course} {names_seen[course]}'.")
    timing = _course_notes(kept, bpm, offset, where)
    return TjaCourse(
        name=course if names_seen[course] == 1 else f"{course} {names_seen[course]}",
        level=int(np.clip(level, 0, 99)),
        headers=dict(headers),
        notes=timing.notes,
        branched=branched,
        line=start_line,
        measures_with_extension_notes=timing.extended,
        tempo=timing.tempo,
        chart=[line for _, line in lines],
    )
