"""What beart promises about untrusted input, in one place: bounded sizes and durations, confined paths, outputs that
never replace what the user did not ask to replace.

Every reader and writer of the package calls these helpers (this module imports nothing of the package):

- `limits`: the longest song or map (`max_song_seconds`, one hour by default), the largest archive member read
  (`max_member_bytes`) and the largest compression ratio of a member (a zip bomb), checked before anything is
  allocated, and the most notes a chart holds (`max_chart_notes`: a note on every lane every 10 ms of the longest
  song), checked as a chart's notes are read. `beart --max-song-minutes` or `limits.max_song_seconds = ...` raises them.
- `confined_path`: a file named inside a map (an `.osu`'s `AudioFilename`, a simfile's `#MUSIC`, an `.ibf`'s
  `audio`, a TJA's `WAVE`) resolves inside the map's own folder, or is refused.
- `check_writable`: an existing output is refused unless the user asked for `overwrite`.
- `check_writable_folder`: an output folder that holds anything (a trained model, an evaluation) is refused
  unless the user asked for `overwrite`.
"""

import math
import os
import zipfile
import zlib
from dataclasses import dataclass


class LimitError(ValueError):
    """An input larger or longer than beart reads (see `limits`); the message names the input and the limit."""


class UnsafePathError(ValueError):
    """A file named inside a map points outside the map's own folder or archive."""


@dataclass
class Limits:
    """
    Bounds on untrusted input.

    Args:
        max_song_seconds (`float`, defaults to 3600): the longest song, map or chart read (times past it are refused
            or skipped with a warning).
        max_member_bytes (`int`, defaults to 256 MiB): the largest file read out of an archive.
        max_compression_ratio (`float`, defaults to 100): the largest ratio of a member's size to its compressed
            size, for members above 1 MiB.
        max_text_bytes (`int`, defaults to 64 MiB): the largest beatmap text (`.osu`, `.sm`, `.tja`, `.mid`,
            `song.ini`) read.
        max_midi_bytes (`int`, defaults to 4 MiB): the largest `notes.mid` read: `mido` holds every message of the
            file at once, about 470 bytes each (an 8 MB file of a million notes took 0.9 GB), where a Frets on Fire
            song's takes 1-53 kB and a full band's a few hundred kB.
        max_decoded_bytes (`int`, defaults to 4 GiB): the most an audio file may take decoded, all its channels at its
            own rate as float32 (an hour of stereo at 96 kHz takes 2.6 GiB; an hour of near-silence in 8 channels at
            192 kHz, a few MB of FLAC, would take 21 GiB).
    """

    max_song_seconds: float = 3600.0
    max_member_bytes: int = 256 * 1024 * 1024
    max_compression_ratio: float = 100.0
    max_text_bytes: int = 64 * 1024 * 1024
    max_midi_bytes: int = 4 * 1024 * 1024
    max_decoded_bytes: int = 4 * 1024**3

    @property
    def max_song_ms(self) -> float:
        return self.max_song_seconds * 1000.0

    def max_chart_notes(self, lanes: int) -> int:
        """The most notes a chart of `lanes` lanes may hold: one on every lane at every 10 ms step (beart's grid) of
        the longest song; a chart holding more is no chart a player could play, only a way to fill memory."""
        return int(lanes * self.max_song_seconds * 100)

    def describe_song_limit(self) -> str:
        return f"{self.max_song_seconds / 60:g} minutes (raise it with --max-song-minutes)"


limits = Limits()


def check_duration(seconds: float, what: str) -> None:
    """Raises `LimitError` when `seconds` is not finite or longer than `limits.max_song_seconds`."""
    if not math.isfinite(seconds) or seconds > limits.max_song_seconds:
        shown = f"{seconds / 3600:.3g} hours" if math.isfinite(seconds) else repr(seconds)
        raise LimitError(f"{what} lasts {shown}; the longest song beart reads is {limits.describe_song_limit()}.")


# What reading a damaged or exotic zip archive raises besides `BadZipFile`: a member stored with a feature or version
# `zipfile` does not read (`NotImplementedError`), an encrypted member (`RuntimeError`), a corrupt or cut deflate stream
# (`zlib.error`, `EOFError`), the file itself (`OSError`).
ZIP_READ_ERRORS = (zipfile.BadZipFile, NotImplementedError, RuntimeError, zlib.error, EOFError, OSError)


def check_member_size(size: int, compressed_size: int, member: str, archive: str) -> None:
    """Raises `LimitError` for an archive member too large to read, or compressed like a zip bomb."""
    if size > limits.max_member_bytes:
        raise LimitError(
            f"{archive}: {member} unpacks to {size / 2**20:.0f} MiB; the largest member beart reads is "
            f"{limits.max_member_bytes / 2**20:.0f} MiB."
        )
    if size > 2**20 and size > limits.max_compression_ratio * max(compressed_size, 1):
        raise LimitError(
            f"{archive}: {member} unpacks {size / max(compressed_size, 1):.0f} times larger than it is stored "
            "(a zip bomb?); refused."
        )


def check_note_count(count: int, lanes: int, where: str) -> None:
    """Raises `LimitError` naming `where` (the file and line) when a chart's `count` notes pass
    `limits.max_chart_notes(lanes)`."""
    if count > limits.max_chart_notes(lanes):
        raise LimitError(
            f"{where}: more than {limits.max_chart_notes(lanes):,} notes, one on each of {lanes} lane(s) every 10 ms "
            f"of the longest song beart reads, {limits.describe_song_limit()}."
        )


def check_text_size(size: int, name: str, midi: bool = False) -> None:
    """Raises `LimitError` for a beatmap file larger than `limits.max_text_bytes` (with `midi`, a MIDI file larger
    than `limits.max_midi_bytes`)."""
    largest, what = (limits.max_midi_bytes, "MIDI file") if midi else (limits.max_text_bytes, "beatmap file")
    if size > largest:
        raise LimitError(
            f"{name} is {size / 2**20:.1f} MiB; the largest {what} beart reads is {largest / 2**20:.0f} MiB."
        )


def confined_name(name: str, source: str) -> str:
    """
    A member name as it names a file of the map's own folder or archive: `\\` read as `/`, no absolute path, no
    drive, no `..` leaving the folder.

    Args:
        name (`str`): the name written in the map.
        source (`str`): the map, for the message.

    Raises:
        `UnsafePathError`: the name leaves the folder.
    """
    normal = name.replace("\\", "/").strip()
    parts = [part for part in normal.split("/") if part not in ("", ".")]
    if normal.startswith("/") or (len(normal) > 1 and normal[1] == ":") or ".." in parts:
        raise UnsafePathError(f"{source} names the file {name!r}, which is outside its own folder; refused.")
    return "/".join(parts)


def confined_path(folder, name: str, source: str) -> str:
    """
    The path of a file a map names, inside `folder` (the map's own folder), following no link out of it.

    Raises:
        `UnsafePathError`: the name, or a link it passes through, leaves `folder`.
    """
    relative = confined_name(name, source)
    root = os.path.realpath(os.fspath(folder))
    path = os.path.join(root, *relative.split("/")) if relative else root
    resolved = os.path.realpath(path)
    if resolved != root and not resolved.startswith(root.rstrip(os.sep) + os.sep):
        raise UnsafePathError(f"{source} names the file {name!r}, a link out of its own folder; refused.")
    return path


def check_folders_above(path) -> None:
    """Raises `NotADirectoryError` where a file stands where a folder above `path` is (or would be made): writing
    `notes.txt/song.osz` failed after the whole work with "[Errno 17] File exists: 'notes.txt'"."""
    path = os.fspath(path)
    above = os.path.dirname(os.path.abspath(path))
    while not os.path.lexists(above) and os.path.dirname(above) != above:
        above = os.path.dirname(above)
    if os.path.lexists(above) and not os.path.isdir(above):
        raise NotADirectoryError(f"{path}: {above} is a file, not a folder; name another path.")


def check_writable(path, overwrite: bool) -> None:
    """Raises `FileExistsError` when `path` exists and the user did not ask to overwrite it, `IsADirectoryError`
    when it is a folder (a file is never written over one, asked or not), and `NotADirectoryError` when a file stands
    where a folder above it is (`check_folders_above`)."""
    path = os.fspath(path)
    check_folders_above(path)
    if os.path.isdir(path) and not os.path.islink(path):
        raise IsADirectoryError(f"{path} is a folder; a file is never written over a folder: name another path.")
    if os.path.lexists(path) and not overwrite:
        raise FileExistsError(f"{path} already exists; pass --overwrite (overwrite=True) to replace it.")


def check_writable_folder(path, overwrite: bool, what: str = "replace what it holds") -> None:
    """Raises `FileExistsError` when `path` exists and is not an empty folder (a file, or a folder holding anything)
    and the user did not ask to overwrite it; `what` says what `--overwrite` then does. A file where a folder above it
    is raises `NotADirectoryError` (`check_folders_above`)."""
    path = os.fspath(path)
    check_folders_above(path)
    if overwrite or not os.path.lexists(path):
        return
    if os.path.isdir(path) and not os.path.islink(path) and not os.listdir(path):
        return
    held = "holds files" if os.path.isdir(path) else "exists"
    raise FileExistsError(f"{path} already {held}; pass --overwrite (overwrite=True) to {what}.")
