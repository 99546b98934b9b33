"""The files of a Frets on Fire / Clone Hero song folder: `notes.mid` (the chart, a standard MIDI file) and `song.ini`
(the song's metadata), parsed and serialized.

`notes.mid`: a type 0 or type 1 MIDI file. Its tempo map lies in the first track (`set_tempo` events; 120 BPM until
the first one), as the MIDI standard and `pretty_midi` have it. Each other track is a part (named by its `track_name`
event: `PART GUITAR`, `PART BASS`... in Clone Hero and Rock Band files, an empty or arbitrary name in old Frets on
Fire files) holding notes: a `note_on` with a velocity above 0 starts one, a `note_off` (or `note_on` with velocity 0)
of the same channel and pitch ends every note of that key that started before it (as `pretty_midi` and most players
pair them); a note never ended lasts 0 ticks. A text event `[ENHANCED_OPENS]` (or `ENHANCED_OPENS`) in a part makes
the key below each difficulty's green an open note there (Clone Hero's convention). Times are ticks, turned into
seconds through the tempo map.

`song.ini`: an INI file with a `[song]` section (any letter case) of `key = value` lines: `name`, `artist`, `charter`,
`delay` (ms; positive values make the notes come later in the audio), `diff_guitar`, `preview_start_time` (ms),
`sustain_cutoff_threshold` (ticks)... Unknown keys are kept.
"""

import io
from dataclasses import dataclass, field

import mido
import numpy as np
import pandas as pd
from transformers.utils import logging

from .errors import BeatmapError
from ..safety import check_text_size
from .numbers import finite_number
from .text_fields import one_line


logger = logging.get_logger(__name__)

DEFAULT_TEMPO = 500_000  # microseconds per beat: 120 BPM
MAX_TICKS_PER_BEAT = 0x7FFF  # above it the division is SMPTE time, which charts do not use
NOTE_COLUMNS = ("start_tick", "end_tick", "pitch", "channel")
ENHANCED_OPENS_TEXTS = ("[ENHANCED_OPENS]", "ENHANCED_OPENS")


@dataclass
class MidiPart:
    """One track of a chart: its name, its notes (columns `start_tick`, `end_tick`, `pitch`, `channel`, sorted by
    start), and whether it says `[ENHANCED_OPENS]` (the key below each difficulty's lowest fret is then an open
    note)."""

    name: str
    notes: pd.DataFrame
    enhanced_opens: bool = False


@dataclass
class MidiChart:
    """
    A parsed `notes.mid`.

    Args:
        ticks_per_beat (`int`): the file's resolution.
        tempo_ticks (`np.ndarray` of shape `(num_changes,)`): where each tempo starts (ticks, increasing, from 0).
        tempo_us (`np.ndarray` of shape `(num_changes,)`): each tempo, in microseconds per beat.
        parts (`list[MidiPart]`): the tracks that hold notes, in file order.
    """

    ticks_per_beat: int
    tempo_ticks: np.ndarray
    tempo_us: np.ndarray
    parts: list = field(default_factory=list)

    def seconds(self, ticks) -> np.ndarray:
        """The time in seconds (from the file's start) of each tick, through the tempo map."""
        ticks = np.asarray(ticks, dtype=np.float64)
        seconds_per_tick = self.tempo_us / 1e6 / self.ticks_per_beat
        starts = np.concatenate([[0.0], np.cumsum(np.diff(self.tempo_ticks) * seconds_per_tick[:-1])])
        segment = np.maximum(np.searchsorted(self.tempo_ticks, ticks, side="right") - 1, 0)
        return starts[segment] + (ticks - self.tempo_ticks[segment]) * seconds_per_tick[segment]

    def bpms(self) -> np.ndarray:
        """The tempo map in beats per minute."""
        return 60e6 / np.maximum(self.tempo_us, 1)


def _tempo_map(track, where: str) -> tuple[np.ndarray, np.ndarray]:
    ticks, tempos, tick = [0], [DEFAULT_TEMPO], 0
    for message in track:
        tick += message.time
        if message.type != "set_tempo":
            continue
        if tick == ticks[-1]:
            tempos[-1] = message.tempo
        else:
            ticks.append(tick)
            tempos.append(message.tempo)
    if min(tempos) <= 0:
        raise BeatmapError(f"{where}: a tempo of 0 microseconds per beat.")
    return np.array(ticks, dtype=np.int64), np.array(tempos, dtype=np.float64)


def _part(track, index: int, where: str) -> MidiPart:
    name, tick, sounding, rows, enhanced_opens = "", 0, {}, [], False
    for message in track:
        tick += message.time
        if message.type == "track_name" and not name:
            name = message.name.strip()
        elif message.type == "text" and message.text.strip() in ENHANCED_OPENS_TEXTS:
            enhanced_opens = True
        elif message.type == "note_on" and message.velocity > 0:
            sounding.setdefault((message.channel, message.note), []).append(tick)
        elif message.type in ("note_on", "note_off"):
            key = (message.channel, message.note)
            starts = sounding.get(key, [])
            rows.extend((start, tick, message.note, message.channel) for start in starts if start < tick)
            sounding[key] = [start for start in starts if start >= tick]
    unclosed = [(start, start, pitch, channel) for (channel, pitch), starts in sounding.items() for start in starts]
    if unclosed:
        logger.warning(f"{where}, track {index} ({name!r}): {len(unclosed)} note(s) never end; read as 0 ticks long.")
    notes = pd.DataFrame(rows + unclosed, columns=list(NOTE_COLUMNS)).astype(np.int64)
    notes = notes.sort_values(["start_tick", "pitch"], kind="stable").reset_index(drop=True)
    return MidiPart(name, notes, enhanced_opens)


def parse_notes_mid(data: bytes, where: str) -> MidiChart:
    """
    Parses the bytes of a `notes.mid`.

    Args:
        data (`bytes`): the file.
        where (`str`): names the file in errors.

    Raises:
        `BeatmapError`: not a MIDI file mido reads, an SMPTE or zero resolution, or a zero tempo.
        `LimitError`: a file larger than `limits.max_midi_bytes`, refused before mido reads it.
    """
    check_text_size(len(data), where, midi=True)
    try:
        midi = mido.MidiFile(file=io.BytesIO(data))
    except Exception as error:  # mido raises OSError, EOFError, ValueError, KeyError... on broken files
        raise BeatmapError(f"{where}: not a readable MIDI file ({type(error).__name__}: {error}).") from error
    if not 0 < midi.ticks_per_beat <= MAX_TICKS_PER_BEAT:
        raise BeatmapError(f"{where}: a resolution of {midi.ticks_per_beat} ticks per beat (SMPTE time or none).")
    if not midi.tracks:
        raise BeatmapError(f"{where}: the MIDI file has no track.")
    if midi.type == 2:
        raise BeatmapError(f"{where}: a type 2 MIDI file (independent sequences) is not a chart.")
    if any(message.type == "set_tempo" for track in midi.tracks[1:] for message in track):
        logger.warning(f"{where}: tempo changes outside the first track are ignored, as the MIDI standard says.")
    tempo_ticks, tempo_us = _tempo_map(midi.tracks[0], where)
    parts = [_part(track, index, where) for index, track in enumerate(midi.tracks)]
    return MidiChart(midi.ticks_per_beat, tempo_ticks, tempo_us, [part for part in parts if len(part.notes)])


def notes_mid_bytes(
    ticks_per_beat: int, tempo_ticks, tempo_us, part_name: str, notes: pd.DataFrame, *, title: str = ""
) -> bytes:
    """
    Serializes a chart as a type 1 MIDI file: the tempo map (and `title`) in the first track, the notes in a second
    track named `part_name`.

    Args:
        ticks_per_beat (`int`): the resolution.
        tempo_ticks, tempo_us (array-like of shape `(num_changes,)`): the tempo map, as in `MidiChart`.
        part_name (`str`): e.g. `PART GUITAR`.
        notes (`pd.DataFrame`): columns `start_tick`, `end_tick` (after the start), `pitch`.
        title (`str`, *optional*): the first track's name.
    """
    tempo_events = [(int(tick), 0, mido.MetaMessage("set_tempo", tempo=int(round(us)))) for tick, us in
                    zip(tempo_ticks, tempo_us)]  # fmt: skip
    note_events = [(int(row.start_tick), 1, mido.Message("note_on", note=int(row.pitch), velocity=100))
                   for row in notes.itertuples()]  # fmt: skip
    note_events += [(int(row.end_tick), 0, mido.Message("note_off", note=int(row.pitch), velocity=0))
                    for row in notes.itertuples()]  # fmt: skip
    midi = mido.MidiFile(type=1, ticks_per_beat=int(ticks_per_beat), charset="utf-8")  # a title in any script
    for name, events in ((title, tempo_events), (part_name, note_events)):
        track = mido.MidiTrack([mido.MetaMessage("track_name", name=name)])
        last = 0
        for tick, _, message in sorted(events, key=lambda event: (event[0], event[1])):  # offs before ons
            track.append(message.copy(time=tick - last))
            last = tick
        track.append(mido.MetaMessage("end_of_track", time=0))
        midi.tracks.append(track)
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


class SongIni:
    """
    A `song.ini`: the `[song]` section's values by lower-case key, in file order.

    Args:
        values (`dict[str, str]`, *optional*): the values.
    """

    def __init__(self, values: dict | None = None):
        self.values = dict(values or {})

    @classmethod
    def parse(cls, text: str, where: str) -> "SongIni":
        """
        Reads the `[song]` section (any letter case; lines before any section count as `[song]`): `key = value` (or
        `key: value`) lines, `;` and `#` comments. A line that is none of these is skipped with a warning naming it;
        a key given twice keeps its first value.
        """
        values, section = {}, "song"
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.strip()
            if not line or line.startswith((";", "#")):
                continue
            if line.startswith("[") and line.endswith("]"):
                section = line[1:-1].strip().lower()
                continue
            key, separator, value = line.partition("=")
            if not separator:
                key, separator, value = line.partition(":")
            if not separator or not key.strip():
                logger.warning(f"{where}, line {number}: not a `key = value` line; skipped.")
                continue
            if section == "song":
                values.setdefault(key.strip().lower(), value.strip())
        return cls(values)

    def get(self, key: str, default: str = "") -> str:
        return self.values.get(key, default).strip()

    def number(self, key: str, where: str, default: float | None = None) -> float | None:
        """A numeric value (`default` when missing, empty, or not a finite number, the last with a warning)."""
        text = self.get(key)
        if not text:
            return default
        value = finite_number(text)
        if value is None:
            logger.warning(f"{where}: {key} = {text!r} is not a number; ignored.")
            return default
        return value

    def text(self) -> str:
        return "[song]\n" + "".join(f"{key} = {one_line(value)}\n" for key, value in self.values.items())
