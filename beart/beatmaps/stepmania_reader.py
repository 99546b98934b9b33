"""Reading StepMania charts (`.sm`, `.ssc`) into intermediate beatmaps.

Every chart becomes a 4-track beatmap (LEFT, DOWN, UP, RIGHT, StepMania's panel order):

| steps type                                  | columns -> tracks                                                  |
| ------------------------------------------- | ------------------------------------------------------------------ |
| 4 panels (dance-single, ...)                | as they are                                                        |
| dance-double, dance-couple, dance-routine   | each pad's left, down, up, right onto LEFT, DOWN, UP, RIGHT         |
| any other width K (dance-solo, pump-single) | column c to track `floor((c + 0.5) * 4 / K)`, by position          |

Taps and lifts are hits; hold and roll heads are holds to their tails; mines, fakes, keysounds and notes that
cannot be hit (inside warps or `#FAKES`) are left out. Where folded columns overlap, a hold wins over a hit.
TEMPO comes from `#BPMS`; the intro before the first note is flagged `EMPTY`. Lights charts are refused.

Difficulty in [0, 1]: the slot gives a band inside BEaRT's difficulty tokens and the meter places the chart in it,
linearly over the meters the slot usually spans (`SLOT_RANGES`): Beginner 0-0.1 (meters 1-3), Easy 0.1-0.25 (1-6),
Medium 0.25-0.5 (3-9), Hard 0.5-0.75 (6-12), Challenge 0.75-1 (8-16). Edit charts go by meter alone (1 -> 0,
4 -> 0.25, 7 -> 0.5, 10 -> 0.75, 15 and above -> 1).
"""

import os

import numpy as np
import pandas as pd
from transformers.utils import logging

from .beatmap_set import ChartFileSet, TimedChart
from .difficulty_bands import difficulty_in_band
from .errors import BeatmapError
from .provenance import ai_generated_mark
from .intermediate import ROWS_PER_BEAT, IntermediateBeatmap, intro_span, preview_time_ms
from .stepmania_file import SimfileChart, StepManiaFile, parse_notes, parse_simfile
from .tracks import GAME_MODE_TRACKS


logger = logging.get_logger(__name__)

STEPMANIA_TRACKS = GAME_MODE_TRACKS["mania"]
STEPS_TYPE_COLUMNS = {
    "dance-single": 4,
    "dance-double": 8,
    "dance-couple": 8,
    "dance-routine": 8,
    "dance-solo": 6,
    "dance-threepanel": 3,
    "pump-single": 5,
    "pump-halfdouble": 6,
    "pump-double": 10,
    "pump-couple": 10,
    "pump-routine": 10,
    "kb7-single": 7,
    "techno-single4": 4,
    "techno-single5": 5,
    "techno-single8": 8,
    "techno-double4": 8,
    "para-single": 5,
    "ez2-single": 5,
    "ds3ddx-single": 8,
    "maniax-single": 4,
    "maniax-double": 8,
}
MAX_COLUMNS = 32
PAD_PAIR_STEPS_TYPES = ("dance-double", "dance-couple", "dance-routine")
SLOT_RANGES = {
    "Beginner": ((0.0, 0.1), (1, 3)),
    "Easy": ((0.1, 0.25), (1, 6)),
    "Medium": ((0.25, 0.5), (3, 9)),
    "Hard": ((0.5, 0.75), (6, 12)),
    "Challenge": ((0.75, 1.0), (8, 16)),
}
SLOT_ALIASES = {
    "beginner": "Beginner",
    "easy": "Easy",
    "basic": "Easy",
    "light": "Easy",
    "medium": "Medium",
    "another": "Medium",
    "trick": "Medium",
    "standard": "Medium",
    "hard": "Hard",
    "maniac": "Hard",
    "heavy": "Hard",
    "challenge": "Challenge",
    "smaniac": "Challenge",
    "oni": "Challenge",
    "expert": "Challenge",
}
EDIT_METERS = (1.0, 4.0, 7.0, 10.0, 15.0)
EDIT_DIFFICULTIES = (0.0, 0.25, 0.5, 0.75, 1.0)


def chart_difficulty(slot: str, meter: int) -> float:
    """Difficulty in [0, 1] from a chart's slot and meter (see the module docstring)."""
    slot = SLOT_ALIASES.get(slot.lower())
    if slot is None:
        return float(np.interp(meter, EDIT_METERS, EDIT_DIFFICULTIES))
    return difficulty_in_band(SLOT_RANGES, slot, meter)


def _column_tracks(steps_type: str, num_columns: int) -> np.ndarray:
    columns = np.arange(num_columns)
    if num_columns == len(STEPMANIA_TRACKS):
        return columns
    if steps_type in PAD_PAIR_STEPS_TYPES:
        return columns % len(STEPMANIA_TRACKS)
    return np.floor((columns + 0.5) * len(STEPMANIA_TRACKS) / num_columns).astype(np.int64)


def _chart_width(chart: SimfileChart, where: str) -> int:
    if chart.steps_type in STEPS_TYPE_COLUMNS:
        return STEPS_TYPE_COLUMNS[chart.steps_type]
    first_row = next((line.strip() for line in chart.notes.value.split("\n") if line.strip(" ,")), "")
    if not first_row:
        raise BeatmapError(f"{where}: unknown steps type {chart.steps_type!r} and no notes to tell its width.")
    width = len(first_row.strip(","))
    if width > MAX_COLUMNS:
        raise BeatmapError(
            f"{where}, line {chart.notes.line}: unknown steps type {chart.steps_type!r} with rows of {width} columns; "
            f"beart reads charts of at most {MAX_COLUMNS}."
        )
    logger.info(f"{where}: unknown steps type {chart.steps_type!r}; reading it as {width} columns.")
    return width


def _hit_objects(simfile: StepManiaFile, chart: SimfileChart, where: str) -> tuple[pd.DataFrame, object]:
    """The chart's playable objects (`track`, `start`, `end` in ms, the `column` of the pad they are on, and
    `start_beat`, `end_beat`: where they stand as written) and its timing."""
    timing = simfile.timing(chart)
    notes = parse_notes(chart.notes, _chart_width(chart, where), where)
    tracks = _column_tracks(chart.steps_type, notes.num_columns)
    playable = timing.hittable(notes.rows) & ~np.isin(notes.kinds, ["M", "F", "K"])
    milliseconds = timing.seconds_at(notes.rows) * 1000.0
    frames = []
    is_tap = np.isin(notes.kinds, ["1", "L"]) & playable
    beats = notes.rows / ROWS_PER_BEAT
    frames.append(
        pd.DataFrame({"column": notes.columns[is_tap], "start": milliseconds[is_tap], "end": milliseconds[is_tap],
                      "start_beat": beats[is_tap], "end_beat": beats[is_tap]})
    )  # fmt: skip
    # Each hold or roll head ends on the first tail after it in its column: one search over (column, row) keys.
    key = notes.columns * (int(notes.rows.max(initial=0)) + 1) + notes.rows
    heads = np.flatnonzero(np.isin(notes.kinds, ["2", "4"]))
    tails = np.flatnonzero(notes.kinds == "3")
    tails = tails[np.argsort(key[tails], kind="stable")]
    tail_index = np.minimum(np.searchsorted(key[tails], key[heads], side="right"), max(len(tails) - 1, 0))
    has_tail = np.zeros(len(heads), dtype=bool)
    if len(tails):
        has_tail = notes.columns[tails[tail_index]] == notes.columns[heads]
    if (~has_tail).any():
        logger.warning(f"{where}: {int((~has_tail).sum())} hold(s) never end; read as taps.")
    ends = np.where(has_tail, milliseconds[tails[tail_index]] if len(tails) else 0.0, milliseconds[heads])
    end_beats = np.where(has_tail, beats[tails[tail_index]] if len(tails) else 0.0, beats[heads])
    keep = playable[heads]
    frames.append(
        pd.DataFrame({"column": notes.columns[heads][keep], "start": milliseconds[heads][keep], "end": ends[keep],
                      "start_beat": beats[heads][keep], "end_beat": end_beats[keep]})
    )  # fmt: skip
    objects = pd.concat(frames, ignore_index=True)
    objects["track"] = np.asarray(STEPMANIA_TRACKS)[tracks[objects["column"].to_numpy(np.int64)]]
    return objects[["track", "start", "end", "column", "start_beat", "end_beat"]], timing


def _timed_chart(simfile: StepManiaFile, chart: SimfileChart, where: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The chart's playable objects (`track`, `start`, `end` in ms, `column`) and its tempos (`time` in ms from beat 0,
    `bpm`); refuses lights charts and charts without a playable note."""
    if chart.steps_type.startswith("lights"):
        raise BeatmapError(f"{where}: a lights chart drives cabinet lamps, it is not played.")
    if chart.notes is None:
        raise BeatmapError(f"{where}: the chart has no #NOTES.")
    objects, timing = _hit_objects(simfile, chart, where)
    if objects.empty:
        raise BeatmapError(f"{where}: the chart has no playable note.")
    bpm_rows = timing.bpms[:, 0].copy()
    bpm_rows[0] = 0.0
    return objects, pd.DataFrame({"time": timing.seconds_at(bpm_rows) * 1000.0, "bpm": timing.bpms[:, 1]})


def chart_to_intermediate(
    simfile: StepManiaFile, chart: SimfileChart, *, for_training: bool = True
) -> IntermediateBeatmap:
    """
    Turns one chart of a parsed simfile into an intermediate beatmap.

    Args:
        simfile (`StepManiaFile`): the parsed simfile.
        chart (`SimfileChart`): one of its charts.
        for_training (`bool`, *optional*, defaults to `True`): refuse charts credited as AI-generated.

    Raises:
        `BeatmapError`: naming the chart (and line) for missing notes, bad measures or timing, lights charts.
        `AIGeneratedError`: the chart's credit or description says it is AI-generated.
    """
    where = f"{simfile.name} [{chart.name}]"
    credits = " ".join([chart.credit, chart.description, simfile.value("CREDIT")])
    ai_generated = ai_generated_mark(credits, where, for_training)
    objects, tempo = _timed_chart(simfile, chart, where)
    meta = {
        "audio": simfile.value("MUSIC"),
        "difficulty": chart_difficulty(chart.slot, chart.meter),
        "tracks": list(STEPMANIA_TRACKS),
        "title": simfile.value("TITLE"),
        "artist": simfile.value("ARTIST"),
        "creator": chart.credit or chart.description or simfile.value("CREDIT"),
        "version": f"{chart.slot} {chart.meter}".strip(),
        "preview_time": preview_time_ms(simfile.value("SAMPLESTART"), where),
        "source": {
            "format": "stepmania",
            "file": simfile.name,
            "mode": "stepmania",
            "steps_type": chart.steps_type,
            "slot": chart.slot,
            "meter": chart.meter,
            "description": chart.description,
        },
        **ai_generated,
    }
    return IntermediateBeatmap.from_hit_objects(
        objects, meta, tempo_changes=tempo, flag_spans={"EMPTY": intro_span(objects)}
    )


class StepManiaSimfile(ChartFileSet):
    """
    The charts of one `.sm` or `.ssc` simfile, with the song's files in its folder.

    Args:
        path (`str` or `os.PathLike`): the simfile.

    Raises:
        `FileNotFoundError`: no such file. `BeatmapError`: the file holds no chart.
    """

    def __init__(self, path):
        self.simfile = parse_simfile(self._read_chart_file(path, "Simfile"), os.path.basename(os.fspath(path)))
        self.charts = {}
        for chart in self.simfile.charts:
            name = chart.name
            while name in self.charts:
                name += "+"
            self.charts[name] = chart
        self.difficulty_names = list(self.charts)

    def read(self, difficulty_name: str, *, for_training: bool = True) -> IntermediateBeatmap:
        """One chart (see `chart_to_intermediate`)."""
        return chart_to_intermediate(self.simfile, self.charts[difficulty_name], for_training=for_training)

    def timed(self, difficulty_name: str) -> TimedChart:
        """One chart's notes at their times in the song (stops, delays and all) and where they stand as written (their
        rows, as beats), with its `#BPMS` from beat 0 on."""
        chart = self.charts[difficulty_name]
        objects, tempo = _timed_chart(self.simfile, chart, f"{self.simfile.name} [{chart.name}]")
        columns = objects.assign(track="column " + (objects["column"] + 1).astype(str))  # doubles: each pad's own
        return TimedChart(columns[["track", "start", "end", "start_beat", "end_beat"]], tempo, "mania")


def read_simfile(path, *, for_training: bool = True) -> list[IntermediateBeatmap]:
    """Every chart of a simfile as an intermediate beatmap; a chart that cannot be read raises its error."""
    return StepManiaSimfile(path).read_all(for_training=for_training)
