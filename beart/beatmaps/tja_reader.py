"""Reading TJA (Taiko) charts into intermediate beatmaps: every course of a `.tja` file a 2-track map, as osu!taiko.

| TJA                          | tracks                  | as                                                       |
| ---------------------------- | ----------------------- | -------------------------------------------------------- |
| don, big don (1, 3, A)       | LEFT                    | hits                                                     |
| ka, big ka (2, 4, B)         | RIGHT                   | hits                                                     |
| purple note (G, OpenTaiko)   | LEFT and RIGHT          | a hit on both tracks (don and ka at once)                |
| drumrolls (5, 6, H, I)       | LEFT                    | a hold to its `8` (a roll is played on either colour)    |
| balloon, kusudama, fuse roll | LEFT and RIGHT, SPINNER | a hold on both tracks to its `8`, as osu!taiko's swell   |
| (7, 9, D)                    |                         |                                                          |

Difficulty: the course picks the band of BEaRT's difficulty token and `LEVEL` places the chart in it, as a StepMania
chart's slot and meter do (Easy 0-0.25 over levels 1-5, Normal 0.25-0.5 over 1-7, Hard 0.5-0.75 over 1-8, Oni and
Edit 0.75-1 over 1-10). The audio is `WAVE`, which must lie in the chart's folder; `DEMOSTART` becomes the preview time.
TEMPO is the header's `BPM` and each `#BPMCHANGE` from where it stands (a `#DELAY`, which shifts the beats after it,
is not kept: the TEMPO column holds no phase).
"""

import os

import pandas as pd
from transformers.utils import logging

from .beatmap_set import ChartFileSet, TimedChart
from .difficulty_bands import difficulty_in_band
from .errors import BeatmapError
from .provenance import ai_generated_mark
from .intermediate import IntermediateBeatmap, intro_span, notes_in_song, preview_time_ms
from .tja_file import TjaCourse, TjaFile, parse_tja
from .tracks import GAME_MODE_TRACKS


logger = logging.get_logger(__name__)

TAIKO_TRACKS = GAME_MODE_TRACKS["taiko"]
NOTE_TRACKS = {"don": TAIKO_TRACKS[:1], "ka": TAIKO_TRACKS[1:], "kadon": TAIKO_TRACKS}  # the tracks a hit is on
COURSE_RANGES = {
    "Easy": ((0.0, 0.25), (1, 5)),
    "Normal": ((0.25, 0.5), (1, 7)),
    "Hard": ((0.5, 0.75), (1, 8)),
    "Oni": ((0.75, 1.0), (1, 10)),
    "Edit": ((0.75, 1.0), (1, 10)),
}


def course_designer(course) -> str:
    """Who charted a course: its own `NOTESDESIGNER<n>` (n the course's number, Easy 0 ... Edit 4, written in the
    course's block), `""` where it names none (the file's `MAKER` then credits it)."""
    return next((value.strip() for key, value in course.headers.items()
                 if key.startswith("NOTESDESIGNER") and value.strip()), "")  # fmt: skip


def course_difficulty(course: str, level: int) -> float:
    """Difficulty in [0, 1] from a course's name and `LEVEL` (see the module docstring)."""
    name = course.split()[0]  # "Hard 2", a second Hard course, is a Hard
    lowest, highest = COURSE_RANGES[name][1]
    return difficulty_in_band(COURSE_RANGES, name, level or (lowest + highest) / 2)  # no LEVEL: the band's middle


def _hit_objects(course: TjaCourse, where: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The course's objects (`track`, `start`, `end` in ms, and `start_beat`, `end_beat`: where they stand as written)
    and its balloon spans (`start`, `end`)."""
    rows, balloons, open_roll = [], [], None
    for note in course.notes:
        if note.kind in NOTE_TRACKS:
            if open_roll is None:
                hit = (note.time_ms, note.time_ms, note.beat, note.beat)
                rows.extend((track, *hit) for track in NOTE_TRACKS[note.kind])
            continue
        if note.kind in ("roll", "balloon"):
            if open_roll is None:
                open_roll = note
            continue
        if open_roll is None:  # an `8` with nothing to end
            logger.warning(f"{where}, line {note.line}: an end of roll (8) without a roll; left out.")
            continue
        span = (open_roll.time_ms, note.time_ms, open_roll.beat, note.beat)
        if open_roll.kind == "roll":
            rows.append((TAIKO_TRACKS[0], *span))
        else:
            balloons.append((open_roll.time_ms, note.time_ms))
            rows.extend((track, *span) for track in TAIKO_TRACKS)
        open_roll = None
    if open_roll is not None:
        logger.warning(f"{where}, line {open_roll.line}: a {open_roll.kind} that never ends; read as a hit.")
        rows.append((TAIKO_TRACKS[0], open_roll.time_ms, open_roll.time_ms, open_roll.beat, open_roll.beat))
    objects = pd.DataFrame(rows, columns=["track", "start", "end", "start_beat", "end_beat"])
    return objects, pd.DataFrame(balloons, columns=["start", "end"])


def _course_objects(course: TjaCourse, where: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The course's objects in the song and its balloon spans (see `_hit_objects`); refuses a course without notes."""
    objects, balloons = _hit_objects(course, where)
    if objects.empty:
        raise BeatmapError(f"{where}: the course has no note.")
    return notes_in_song(objects, where, "OFFSET"), balloons


def course_to_intermediate(tja: TjaFile, course: TjaCourse, *, for_training: bool = True) -> IntermediateBeatmap:
    """
    Turns one course of a parsed TJA file into a 2-track intermediate beatmap (see the module docstring).

    Raises:
        `BeatmapError`: the course has no note, or its notes lie before the song or past the longest song.
        `AIGeneratedError`: the file's maker or notes designer says it is AI-generated.
    """
    where = f"{tja.name} [{course.name}]"
    credits = " ".join([tja.value("MAKER"), *(value for key, value in course.headers.items() if "DESIGNER" in key)])
    ai_generated = ai_generated_mark(credits, where, for_training)
    objects, balloons = _course_objects(course, where)
    meta = {
        "audio": tja.value("WAVE"),
        "difficulty": course_difficulty(course.name, course.level),
        "tracks": list(TAIKO_TRACKS),
        "title": tja.value("TITLE"),
        "artist": tja.value("SUBTITLE").lstrip("-"),
        "creator": course_designer(course) or tja.value("MAKER"),
        "version": f"{course.name} {course.level}".strip(),
        "preview_time": preview_time_ms(tja.value("DEMOSTART"), where),
        "source": {
            "format": "tja",
            "file": tja.name,
            "mode": "taiko",
            "course": course.name,
            "level": course.level,
            "branched": course.branched,
        },
        **ai_generated,
    }
    tempo = pd.DataFrame(course.tempo, columns=["time", "bpm"])
    return IntermediateBeatmap.from_hit_objects(
        objects, meta, tempo_changes=tempo, flag_spans={"EMPTY": intro_span(objects), "SPINNER": balloons}
    )


class TjaSong(ChartFileSet):
    """
    The courses of one `.tja` file, with the song's files in its folder.

    Args:
        path (`str` or `os.PathLike`): the `.tja` file.

    Raises:
        `FileNotFoundError`: no such file. `BeatmapError`: the file holds no course.
    """

    def __init__(self, path):
        self.tja = parse_tja(self._read_chart_file(path, "TJA file"), os.path.basename(os.fspath(path)))
        self.courses = {course.name: course for course in self.tja.courses}
        self.difficulty_names = list(self.courses)

    def read(self, difficulty_name: str, *, for_training: bool = True) -> IntermediateBeatmap:
        """One course (see `course_to_intermediate`)."""
        return course_to_intermediate(self.tja, self.courses[difficulty_name], for_training=for_training)

    def timed(self, difficulty_name: str) -> TimedChart:
        """One course's notes at their times in the song and where they stand as written (their beats), with its
        tempos from `-OFFSET` on."""
        course = self.courses[difficulty_name]
        objects, _ = _course_objects(course, f"{self.tja.name} [{course.name}]")
        return TimedChart(objects, pd.DataFrame(course.tempo, columns=["time", "bpm"]), "taiko")


def read_tja(path, *, for_training: bool = True) -> list[IntermediateBeatmap]:
    """Every course of a `.tja` file as an intermediate beatmap; a course that cannot be read raises its error."""
    return TjaSong(path).read_all(for_training=for_training)
