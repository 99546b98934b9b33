"""Parsing StepMania simfiles (`.sm`, `.ssc`); their timing is `stepmania_timing.StepManiaTiming`.

A simfile is a list of `#TAG:value;` entries (a value may span lines; a `#` starting a line also ends a value whose
`;` is missing, as in StepMania; `//` starts a comment). A `.sm` chart is one `#NOTES` entry of six `:`-separated
fields (steps type, description, difficulty slot, meter, radar values, notes); an `.ssc` chart is the block of
entries from one `#NOTEDATA` to the next, and carries its own timing when it has any timing entry (format 0.7 on).

Notes come in measures separated by `,`; a measure of N rows puts row r at beat `4 * (measure + r / N)`. StepMania
keeps 48 rows per beat, so N must divide 192 (4ths to 192nds). Every beat here is an integer row (48 per beat).

"""

import re
from dataclasses import dataclass, field

import numpy as np
from transformers.utils import logging

from .beat_grid import ROWS_PER_BEAT
from .difficulty_bands import read_number
from .errors import BeatmapError
from .stepmania_timing import StepManiaTiming
from .text_decoding import decode_text
from .text_fields import one_line


logger = logging.get_logger(__name__)

ROWS_PER_MEASURE = 4 * ROWS_PER_BEAT
# The line counts whose lines fall on StepMania's rows (48 a beat) exactly; StepMania reads a measure of any count,
# each line at its share of the measure rounded to the nearest row.
MEASURE_ROW_COUNTS = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 192)
TIMING_TAGS = ("OFFSET", "BPMS", "STOPS", "DELAYS", "WARPS", "FAKES")
SSC_CHART_TIMING_TAGS = ("BPMS", "STOPS", "DELAYS", "WARPS", "FAKES", "TIMESIGNATURES", "TICKCOUNTS", "SPEEDS")
FREE_TEXT_TAGS = frozenset(
    ("TITLE", "SUBTITLE", "ARTIST", "TITLETRANSLIT", "SUBTITLETRANSLIT", "ARTISTTRANSLIT", "GENRE", "ORIGIN", "CREDIT",
     "CHARTNAME", "DESCRIPTION", "CHARTSTYLE")
)  # fmt: skip
SYNTAX_CHARACTERS = {";": ",", ":": "-"}  # a `;` ends a value, a `:` separates StepMania's parameters
NOTE_CHARACTERS = "01234MLFK"
NOTE_DECORATIONS = re.compile(r"\[[^\]]*\]|\{[^}]*\}")


@dataclass
class SimfileEntry:
    """One `#TAG:value;` entry: its value and the line it starts on."""

    value: str
    line: int


@dataclass
class SimfileChart:
    """
    One chart of a simfile.

    Args:
        steps_type (`str`): e.g. `dance-single`, `dance-double`, `pump-single`.
        description (`str`): the chart's description (often the step author).
        slot (`str`): the difficulty slot: Beginner, Easy, Medium, Hard, Challenge or Edit.
        meter (`int`): the difficulty number.
        credit (`str`): the chart's author where given.
        notes (`SimfileEntry`): the note data and the line it starts on.
        entries (`dict[str, SimfileEntry]`): the chart's own entries (`.ssc`).
    """

    steps_type: str
    description: str
    slot: str
    meter: int
    credit: str
    notes: SimfileEntry | None
    entries: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.steps_type} {self.slot} {self.meter}".strip()


@dataclass
class StepManiaFile:
    """
    The parsed content of a `.sm` or `.ssc` file.

    Args:
        name (`str`): where it came from, for messages.
        is_ssc (`bool`): the `.ssc` format.
        entries (`dict[str, SimfileEntry]`): the song's entries (title, music, timing...).
        charts (`list[SimfileChart]`): the charts in file order.
    """

    name: str
    is_ssc: bool
    entries: dict
    charts: list

    def value(self, tag: str, default: str = "") -> str:
        entry = self.entries.get(tag)
        return entry.value.strip() if entry else default

    def text(self) -> str:
        """
        The simfile's text in its format (`is_ssc`): the song's entries, then each chart, a `.ssc` chart as its own
        entries from `#NOTEDATA` (made from the chart's fields when it has none), a `.sm` chart as one `#NOTES` entry
        of six fields. `parse_simfile` reads it back with the same charts.
        """
        lines = [f"#{tag}:{_written(tag, entry.value)};" for tag, entry in self.entries.items()]
        for chart in self.charts:
            notes = chart.notes.value if chart.notes is not None else ""
            if self.is_ssc:
                entries = {tag: entry.value for tag, entry in chart.entries.items()} or {
                    "CHARTNAME": "", "STEPSTYPE": chart.steps_type, "DESCRIPTION": chart.description,
                    "DIFFICULTY": chart.slot, "METER": str(chart.meter), "RADARVALUES": "0,0,0,0,0",
                    "CREDIT": chart.credit, "NOTES": notes,
                }  # fmt: skip
                lines += ["", "#NOTEDATA:;", *(f"#{tag}:{_written(tag, value)};" for tag, value in entries.items())]
            else:
                fields = [chart.steps_type, chart.description, chart.slot, str(chart.meter), "0,0,0,0,0"]
                fields = [one_line(text, SYNTAX_CHARACTERS) for text in fields]
                lines += ["", "#NOTES:" + "".join(f"\n     {field}:" for field in fields) + f"{notes};"]
        return "\n".join(lines) + "\n"

    def timing(self, chart: SimfileChart) -> StepManiaTiming:
        """The chart's timing: its own in `.ssc` files from format 0.7 when it has any, else the song's."""
        try:
            version = float(self.value("VERSION", "0") or 0)
        except ValueError:
            version = 0.0
        has_own = self.is_ssc and version >= 0.7 and any(tag in chart.entries for tag in SSC_CHART_TIMING_TAGS)
        entries = chart.entries if has_own else self.entries
        return StepManiaTiming.from_entries(entries, f"{self.name} [{chart.name}]")


def _written(tag: str, value: str) -> str:
    """An entry's value as written: free text on one line without `;` or `:` (`one_line`), the rest as it is."""
    return one_line(value, SYNTAX_CHARACTERS) if tag in FREE_TEXT_TAGS else value


def _strip_comment(line: str) -> str:
    position = line.find("//")
    return line if position < 0 else line[:position]


def read_entries(text: str, where: str = "<simfile>") -> list[tuple[str, SimfileEntry]]:
    """The `#TAG:value;` entries of a simfile in order (tags upper-cased), with the line each starts on (`where` names
    the file in messages)."""
    entries, tag, parts, start_line = [], None, [], 0
    for number, raw_line in enumerate(text.splitlines(), start=1):
        line = _strip_comment(raw_line)
        if tag is not None and line.lstrip().startswith("#"):
            logger.warning(
                f"{where}, line {start_line}: #{tag} has no closing ';'; it ends where line {number} starts."
            )
            entries.append((tag, SimfileEntry("\n".join(parts), start_line)))
            tag = None
        while True:
            if tag is None:
                hash_position = line.find("#")
                if hash_position < 0:
                    break
                name, separator, rest = line[hash_position + 1 :].partition(":")
                if not separator:
                    break
                tag, parts, start_line, line = name.strip().upper(), [], number, rest
            value, separator, rest = line.partition(";")
            parts.append(value)
            if not separator:
                break
            entries.append((tag, SimfileEntry("\n".join(parts), start_line)))
            tag, line = None, rest
    if tag is not None:
        entries.append((tag, SimfileEntry("\n".join(parts), start_line)))
    return entries


def _sm_chart(entry: SimfileEntry) -> SimfileChart:
    fields = entry.value.split(":", 5)
    if len(fields) < 6:
        return SimfileChart(fields[0].strip(), "", "", 0, "", None)
    leading_lines = sum(field.count("\n") for field in fields[:5])
    return SimfileChart(
        steps_type=fields[0].strip().lower(),
        description=fields[1].strip(),
        slot=fields[2].strip(),
        meter=read_number(fields[3]),
        credit="",
        notes=SimfileEntry(fields[5], entry.line + leading_lines),
    )


def _ssc_chart(entries: dict) -> SimfileChart:
    def text(tag: str) -> str:
        return entries[tag].value.strip() if tag in entries else ""

    return SimfileChart(
        steps_type=text("STEPSTYPE").lower(),
        description=text("DESCRIPTION"),
        slot=text("DIFFICULTY"),
        meter=read_number(text("METER")),
        credit=text("CREDIT"),
        notes=entries.get("NOTES") or entries.get("NOTES2"),
        entries=entries,
    )


def parse_simfile(content: bytes | str, name: str = "<simfile>", is_ssc: bool | None = None) -> StepManiaFile:
    """
    Parses a `.sm` or `.ssc` simfile.

    Args:
        content (`bytes` or `str`): the file (UTF-8, or Windows-1252 for old files).
        name (`str`, *optional*): the file's name for messages; its extension tells `.ssc` from `.sm`.
        is_ssc (`bool`, *optional*): the format, when the name does not tell.

    Raises:
        `BeatmapError`: the file holds no chart (no `#NOTES`).
    """
    if isinstance(content, bytes):
        content, _ = decode_text(content, name)
    if is_ssc is None:
        is_ssc = name.lower().endswith(".ssc")
    song, charts, chart_entries = {}, [], None
    for tag, entry in read_entries(content, name):
        if is_ssc and tag == "NOTEDATA":
            if chart_entries is not None:
                charts.append(_ssc_chart(chart_entries))
            chart_entries = {}
        elif chart_entries is not None:
            chart_entries[tag] = entry
        elif tag == "NOTES":
            charts.append(_sm_chart(entry))
        else:
            song.setdefault(tag, entry)
    if chart_entries is not None:
        charts.append(_ssc_chart(chart_entries))
    if not charts:
        raise BeatmapError(f"{name}: no chart (#NOTES) in the file.")
    return StepManiaFile(name=name, is_ssc=is_ssc, entries=song, charts=charts)


@dataclass
class ChartNotes:
    """
    The notes of one chart, as rows (48 per beat) and columns.

    Args:
        rows (`np.ndarray`): row of each note.
        columns (`np.ndarray`): column of each note.
        kinds (`np.ndarray`): its character: `1` tap, `2` hold head, `3` tail, `4` roll head, `M` mine, `L` lift,
            `F` fake, `K` keysound.
        num_columns (`int`): the chart's width.
    """

    rows: np.ndarray
    columns: np.ndarray
    kinds: np.ndarray
    num_columns: int


def parse_notes(notes: SimfileEntry, num_columns: int, where: str) -> ChartNotes:
    """
    Reads a chart's note data. As StepMania reads it, a measure may hold any number of lines, the `j`th of `n` at row
    `measure * 192 + rint(j * 192 / n)`; where two lines of a measure of more than 192 fall on one row, a note of
    the later one takes the column.

    Raises:
        `BeatmapError`: naming the line of a row with the wrong width or an unknown note character.
    """
    measure_rows, measure_lines, measures, current, current_lines = [], [], [], [], []
    for offset, line in enumerate(notes.value.split("\n")):
        pieces = line.split(",")
        for index, piece in enumerate(pieces):
            row = NOTE_DECORATIONS.sub("", piece.strip())
            if row:
                current.append(row)
                current_lines.append(notes.line + offset)
            if index < len(pieces) - 1:
                measures.append((current, current_lines, notes.line + offset))
                current, current_lines = [], []
    measures.append((current, current_lines, notes.line + (notes.value.count("\n"))))

    for number, (rows, lines, end_line) in enumerate(measures):
        for row, line in zip(rows, lines):
            if len(row) != num_columns:
                raise BeatmapError(
                    f"{where}, line {line}: the row {row!r} has {len(row)} columns; this chart has {num_columns}."
                )
        share = np.arange(len(rows)) * ROWS_PER_MEASURE / max(len(rows), 1)
        measure_rows.extend(number * ROWS_PER_MEASURE + np.rint(share).astype(np.int64))
        measure_lines.extend(lines)

    texts = [row for rows, _, _ in measures for row in rows]
    if not texts:
        return ChartNotes(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, "<U1"), num_columns)
    grid = np.array([list(text) for text in texts])
    unknown = ~np.isin(grid, list(NOTE_CHARACTERS))
    if unknown.any():
        row_index, column = np.argwhere(unknown)[0]
        raise BeatmapError(
            f"{where}, line {measure_lines[row_index]}: unknown note character {str(grid[row_index, column])!r} "
            f"(StepMania notes are {', '.join(NOTE_CHARACTERS)})."
        )
    row_index, columns = np.nonzero(grid != "0")
    note_rows = np.asarray(measure_rows, dtype=np.int64)[row_index]
    # where two lines fall on one row (a measure of more than 192), the later line's note takes its column
    keys = (note_rows * num_columns + columns)[::-1]
    kept = np.sort(len(keys) - 1 - np.unique(keys, return_index=True)[1])
    row_index, columns = row_index[kept], columns[kept]
    return ChartNotes(
        rows=note_rows[kept],
        columns=columns.astype(np.int64),
        kinds=grid[row_index, columns],
        num_columns=num_columns,
    )
