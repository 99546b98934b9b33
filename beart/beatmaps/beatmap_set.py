"""A beatmap set: the difficulties (or charts) of one song and the files they share."""

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..safety import check_member_size, check_text_size, confined_name, confined_path
from .errors import BeatmapError
from .intermediate import MAX_BPM, IntermediateBeatmap, check_times


def read_confined(folder: str, member: str, *, text: bool = False) -> bytes:
    """The bytes of a file of a song folder, refused when it (or a link) leads out of the folder or is too large (with
    `text`, a file beart parses as text, such as a `song.ini`: larger than a beatmap file may be)."""
    path = confined_path(folder, member, folder)
    size = os.path.getsize(path)
    if text:
        check_text_size(size, path)
    check_member_size(size, size, member, folder)
    with open(path, "rb") as file:
        return file.read()


@dataclass
class TimedChart:
    """
    One difficulty as its file times it, before it is put on the 10 ms grid: what `beart check` reads where the
    format keeps exact times.

    Args:
        objects (`pd.DataFrame`): `track`, `start`, `end` (ms; a hit has `end == start`), and where the format writes
            notes on beats (StepMania's rows, TJA's measures), `start_beat` and `end_beat`: where they stand as
            written, in beats from the chart's beat 0, which pauses (stops, delays) do not move.
        tempo (`pd.DataFrame`): `time` (ms) and `bpm` of each tempo, in time order; the first time is a beat.
        layout (`str`): the osu! mode whose tracks the chart has (`beart.beatmaps.tracks.GAME_MODE_TRACKS`).
        legato (`bool`, *optional*, defaults to `False`): the game lets go of a hold where the next note of its track
            starts, and a player of it presses each note afresh (a guitar's sustain: Frets on Fire, Clone Hero).

    Raises:
        `BeatmapError`: a time is not finite or lies past the longest song, or a tempo is no BPM up to `MAX_BPM`.
    """

    objects: pd.DataFrame
    tempo: pd.DataFrame
    layout: str
    legato: bool = False

    def __post_init__(self):
        check_times(np.concatenate([self.objects[column].to_numpy(np.float64) for column in ("start", "end")]
                                   + [self.tempo["time"].to_numpy(np.float64)]))  # fmt: skip
        bpm = self.tempo["bpm"].to_numpy(np.float64)
        if not ((bpm > 0) & (bpm <= MAX_BPM)).all():
            raise BeatmapError(f"A tempo of the chart is not a BPM from 0 to {MAX_BPM:g}.")


class BeatmapSet:
    """
    The difficulties of one song in one container (an `.osz` archive, a song folder, a simfile).

    Subclasses set `path` (the container), `members` (the file names it holds) and `difficulty_names` (what `read`
    takes), and implement `read_bytes` and `read`.
    """

    path: str
    members: list
    difficulty_names: list

    def read_bytes(self, member: str) -> bytes:
        """The bytes of one file of the set."""
        raise NotImplementedError

    def read(self, difficulty_name: str, *, for_training: bool = True) -> IntermediateBeatmap:
        """One difficulty as an intermediate beatmap; refused maps raise `BeatmapRefusedError` when `for_training`."""
        raise NotImplementedError

    def stems_of(self, member: str) -> dict[str, str]:
        """The stems mixed into the audio member `member`, by stem name (`{"guitar": "guitar.ogg", ...}`); none where
        the song is one file."""
        return {}

    def timed(self, difficulty_name: str) -> TimedChart | None:
        """One difficulty as its file times it (see `TimedChart`); `None` where the set checks on the intermediate
        map."""
        return None

    def read_all(self, *, for_training: bool = True) -> list[IntermediateBeatmap]:
        """Every difficulty of the set, in order; one that cannot be read raises its error."""
        return [self.read(name, for_training=for_training) for name in self.difficulty_names]

    def find(self, filename: str) -> str | None:
        """
        The member a map names: file names are matched case-insensitively, with `\\` read as `/`; `None` when the
        set has no such file. A name leading out of the set (absolute, or through `..`) raises `UnsafePathError`.
        """
        wanted = confined_name(filename, self.path).lower()
        if not wanted:
            return None
        return next((name for name in self.members if confined_name(name, self.path).lower() == wanted), None)


class ChartFileSet(BeatmapSet):
    """
    A set that is one chart file (a simfile, a TJA file) with the song's files in its folder: subclasses call
    `_read_chart_file` in their constructor and parse what it returns.
    """

    folder: str

    def _read_chart_file(self, path, kind: str) -> bytes:
        """Checks and reads the chart file (`FileNotFoundError` naming the `kind`, `LimitError` when too large) and
        lists its folder's files as the set's members."""
        self.path = os.fspath(path)
        if not os.path.isfile(self.path):
            raise FileNotFoundError(f"{kind} not found: {self.path}")
        check_text_size(os.path.getsize(self.path), self.path)
        with open(self.path, "rb") as file:
            content = file.read()
        self.folder = os.path.dirname(os.path.abspath(self.path))
        self.members = sorted(os.listdir(self.folder))
        return content

    def read_bytes(self, member: str) -> bytes:
        return read_confined(self.folder, member)
