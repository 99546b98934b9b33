"""Clone Hero's `.chart` text format (Feedback, Moonscraper), parsed into the same tick-based `MidiChart` as a
`notes.mid`, so that one reader turns either into maps.

A `.chart` is a list of sections, `[Name]` followed by `{ ... }`, each holding `key = value` lines:
- `[Song]`: named entries; `Resolution` (ticks per beat, 192 when missing), `Offset` (seconds: a positive offset makes
  the audio start that much sooner, so every note comes that much later in the audio), `Name`, `Artist`, `Charter`,
  the audio (`MusicStream`, `GuitarStream`...). Quotes around a value are taken off.
- `[SyncTrack]`: `TICK = B BPM*1000` (tempo changes; 120 BPM until the first), `TS` (time signatures) and `A` (tempo
  anchors, an editor's aid) are not timing and are skipped.
- `[<Difficulty><Instrument>]`, difficulty `Easy`, `Medium`, `Hard` or `Expert`, instrument `Single` (lead guitar),
  `DoubleGuitar`, `DoubleBass`, `DoubleRhythm` or `Keyboard`: `TICK = N TYPE LENGTH` notes, type 0-4 the frets green
  to orange and 7 an open note (strummed without a fret: read as green, the lowest lane), length in ticks (any
  length above 0 is a sustain in `.chart`). Modifiers (5 forced, 6 tap), star power and other phrases (`S`) and
  events (`E`) change no note's time and are skipped; so are other instruments (drums, six-fret guitar).

Each instrument becomes a `MidiPart` named as a `notes.mid` names it (`PART GUITAR`, `PART GUITAR COOP`, `PART BASS`,
`PART RHYTHM`, `PART KEYS`), its difficulties at the MIDI pitches of `notes.mid` (Easy 60-64 ... Expert 96-100).
A line that reads as none of these is skipped with a warning naming its line; a tick, tempo or length that is not a
whole number in range raises `BeatmapError` naming the file and line.

`notes_chart_text` writes a lead guitar part as a `.chart` (the inverse, for the `Single` instrument).
"""

import re

import numpy as np
import pandas as pd
from transformers.utils import logging

from .errors import BeatmapError
from .fretsonfire_file import DEFAULT_TEMPO, MAX_TICKS_PER_BEAT, NOTE_COLUMNS, MidiChart, MidiPart
from .numbers import finite_number
from .skipped_lines import SkippedLines
from .text_decoding import decode_text
from .text_fields import one_line


logger = logging.get_logger(__name__)

DEFAULT_RESOLUTION = 192
MAX_TICK = 2**31 - 1
MAX_MILLIBPM = 10**9  # a million beats per minute: far past any chart, short of a zero-length beat
INSTRUMENT_PARTS = {
    "Single": "PART GUITAR",
    "DoubleGuitar": "PART GUITAR COOP",
    "DoubleBass": "PART BASS",
    "DoubleRhythm": "PART RHYTHM",
    "Keyboard": "PART KEYS",
}
DIFFICULTY_PITCHES = {"Easy": 60, "Medium": 72, "Hard": 84, "Expert": 96}  # green's pitch in notes.mid
FRET_TYPES = {0: 0, 1: 1, 2: 2, 3: 3, 4: 4, 7: 0}  # note type -> fret; the open note (7) on green's lane
TRACK_SECTION = re.compile(rf"^({'|'.join(DIFFICULTY_PITCHES)})({'|'.join(INSTRUMENT_PARTS)})$")


def _unquoted(value: str) -> str:
    value = value.strip()
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value


def _sections(text: str, where: str) -> dict[str, list[tuple[int, str, str]]]:
    """`{section name: [(line number, key, value), ...]}` in file order; a section given twice adds to the first."""
    sections, name, inside = {}, None, False
    skipped = SkippedLines(where, logger)
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]") and not inside:
            name = line[1:-1].strip()
            sections.setdefault(name, [])
        elif line == "{" and name is not None and not inside:
            inside = True
        elif line == "}" and inside:
            inside, name = False, None
        elif inside and "=" in line:
            key, _, value = line.partition("=")
            sections[name].append((number, key.strip(), value.strip()))
        else:
            skipped.warn(f"{where}, line {number}: not a section, a brace or a `key = value` line; skipped.")
    skipped.close()
    if inside:
        logger.warning(f"{where}: the section [{name}] has no closing '}}'; it is read to the end of the file.")
    return sections


def _whole(text: str, what: str, where: str, number: int, upper: int) -> int:
    value = finite_number(text)
    if value is None or value != int(value) or not 0 <= value <= upper:
        raise BeatmapError(f"{where}, line {number}: {what} {text!r} is not a whole number from 0 to {upper}.")
    return int(value)


def _tempo_map(entries: list, where: str) -> tuple[np.ndarray, np.ndarray]:
    changes = {0: float(DEFAULT_TEMPO)}  # microseconds per beat: 120 BPM until the first change
    skipped = SkippedLines(where, logger, "event lines skipped")
    for number, key, value in entries:
        kind, *values = value.split() or [""]  # "TICK =" with nothing after: no event
        if kind != "B":
            continue
        try:
            tick = _whole(key, "the tick", where, number, MAX_TICK)
            millibpm = _whole(values[0] if values else "", "the tempo", where, number, MAX_MILLIBPM)
        except BeatmapError as error:  # as Clone Hero reads a line it cannot: no event
            skipped.warn(f"{error} The line is skipped.")
            continue
        if millibpm == 0:
            raise BeatmapError(f"{where}, line {number}: a tempo of 0 BPM.")
        changes[tick] = 60e9 / millibpm  # microseconds per beat; a later change at the same tick wins
    skipped.close()
    ticks = np.array(sorted(changes), dtype=np.int64)
    return ticks, np.array([changes[tick] for tick in ticks], dtype=np.float64)


def _difficulty_notes(entries: list, where: str) -> list[tuple[int, int, int]]:
    """The notes of one difficulty section: `(start_tick, end_tick, fret)`."""
    notes = []
    skipped = SkippedLines(where, logger, "event lines skipped")
    for number, key, value in entries:
        kind, *values = value.split() or [""]  # "TICK =" with nothing after: no event
        if kind != "N":
            continue
        if len(values) < 2:
            skipped.warn(f"{where}, line {number}: a note without its type and length; skipped.")
            continue
        try:
            note_type = _whole(values[0], "the note type", where, number, MAX_TICK)
            if note_type not in FRET_TYPES:
                continue  # a modifier (5 forced, 6 tap) or a type of another game
            tick = _whole(key, "the tick", where, number, MAX_TICK)
            length = _whole(values[1], "the length", where, number, MAX_TICK - tick)
        except BeatmapError as error:  # as Clone Hero reads a line it cannot: no note
            skipped.warn(f"{error} The line is skipped.")
            continue
        notes.append((tick, tick + length, FRET_TYPES[note_type]))
    skipped.close()
    return notes


def parse_notes_chart(data: bytes, where: str) -> tuple[MidiChart, dict[str, str]]:
    """
    Parses the bytes of a `.chart` (see the module docstring).

    Args:
        data (`bytes`): the file (UTF-8 with or without BOM; other bytes are read as Windows-1252, with a warning).
        where (`str`): names the file in messages.

    Returns:
        `(MidiChart, dict)`: the chart, its instruments as parts (those with notes, in `INSTRUMENT_PARTS` order), and
        the `[Song]` section's entries (quotes taken off).

    Raises:
        `BeatmapError`: no `[Song]` or `[SyncTrack]` section, a resolution out of range or 0, or a tempo of 0. A
        note or tempo line whose tick, type, length or tempo is not a whole number in range is skipped with a warning,
        as Clone Hero skips it.
    """
    text, encoding = decode_text(data, where)
    if encoding == "cp1252" and "\ufffd" not in text:  # bytes neither reads: decode_text has warned already
        logger.warning(f"{where}: not UTF-8; read as Windows-1252.")
    sections = _sections(text, where)
    if "Song" not in sections or "SyncTrack" not in sections:
        raise BeatmapError(f"{where}: not a .chart file (no [Song] and [SyncTrack] sections).")
    song = {key: _unquoted(value) for _, key, value in reversed(sections["Song"])}  # the first of a key given twice
    resolution = DEFAULT_RESOLUTION
    line = next((number for number, key, _ in sections["Song"] if key == "Resolution"), None)
    if line is None:
        logger.warning(f"{where}: no Resolution in [Song]; {DEFAULT_RESOLUTION} ticks per beat, as editors assume.")
    else:
        resolution = _whole(song["Resolution"], "Resolution", where, line, MAX_TICKS_PER_BEAT)
        if resolution == 0:
            raise BeatmapError(f"{where}, line {line}: a resolution of 0 ticks per beat.")
    tempo_ticks, tempo_us = _tempo_map(sections["SyncTrack"], where)
    rows = {}
    for name, entries in sections.items():
        match = TRACK_SECTION.match(name)
        if match:
            difficulty, instrument = match.groups()
            base = DIFFICULTY_PITCHES[difficulty]
            notes = _difficulty_notes(entries, f"{where} [{name}]")
            rows.setdefault(instrument, []).extend((start, end, base + fret, 0) for start, end, fret in notes)
    parts = []
    for instrument, part_name in INSTRUMENT_PARTS.items():
        if rows.get(instrument):
            notes = pd.DataFrame(rows[instrument], columns=list(NOTE_COLUMNS)).astype(np.int64)
            notes = notes.drop_duplicates(["start_tick", "pitch"])  # an open note and a green one: one strum
            notes = notes.sort_values(["start_tick", "pitch"], kind="stable").reset_index(drop=True)
            parts.append(MidiPart(part_name, notes))
    return MidiChart(resolution, tempo_ticks, tempo_us, parts), song


def notes_chart_text(
    ticks_per_beat: int, tempo_ticks, tempo_us, notes: pd.DataFrame, song: dict, *, sustain_cutoff: int = 0
) -> str:
    """
    Serializes a lead guitar part as a `.chart`: `[Song]` (`song`'s entries, quoted where they are text, then
    `Resolution`), `[SyncTrack]` (4/4 and the tempo map), empty `[Events]`, and one `[<Difficulty>Single]` section per
    difficulty the notes' pitches name (those of `notes.mid`: Easy 60-64 ... Expert 96-100). `parse_notes_chart` reads
    it back with the same ticks.

    Args:
        ticks_per_beat (`int`): the resolution.
        tempo_ticks, tempo_us (array-like of shape `(num_changes,)`): the tempo map, as in `MidiChart`.
        notes (`pd.DataFrame`): columns `start_tick`, `end_tick` (after the start), `pitch`.
        song (`dict[str, str | float]`): the `[Song]` entries (`Name`, `Artist`, `Charter`, `Offset` in seconds,
            `MusicStream`...).
        sustain_cutoff (`int`, *optional*): notes this many ticks long or shorter are written as length 0 (a strum).
    """
    entries = [f'  {key} = "{one_line(value)}"' if isinstance(value, str) else f"  {key} = {value:g}"
               for key, value in song.items()]  # fmt: skip
    lines = ["[Song]", "{", *entries, f"  Resolution = {int(ticks_per_beat)}", "}", "[SyncTrack]", "{", "  0 = TS 4"]
    lines += [f"  {int(tick)} = B {int(round(60e9 / us))}" for tick, us in zip(tempo_ticks, tempo_us)]
    lines += ["}", "[Events]", "{", "}"]
    base = np.array(sorted(DIFFICULTY_PITCHES.values()))
    pitch = notes["pitch"].to_numpy(np.int64)
    difficulty = base[np.clip(np.searchsorted(base, pitch, side="right") - 1, 0, len(base) - 1)]
    length = (notes["end_tick"] - notes["start_tick"]).to_numpy(np.int64)
    length = np.where(length > sustain_cutoff, length, 0)
    for name, green in DIFFICULTY_PITCHES.items():
        mine = np.flatnonzero(difficulty == green)
        if not len(mine):
            continue
        order = mine[np.lexsort((pitch[mine], notes["start_tick"].to_numpy()[mine]))]
        lines += [f"[{name}Single]", "{"]
        lines += [f"  {int(notes['start_tick'].iloc[index])} = N {int(pitch[index] - green)} {int(length[index])}"
                  for index in order]  # fmt: skip
        lines.append("}")
    return "\n".join(lines) + "\n"


__all__ = ["notes_chart_text", "parse_notes_chart"]
