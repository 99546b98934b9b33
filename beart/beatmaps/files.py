"""Writing output files safely: complete or not at all, under names every file system accepts, never replacing a file
the user did not ask to replace."""

import contextlib
import filecmp
import os
import re
import shutil
import tempfile

import numpy as np

from ..audio import check_audio_file
from ..safety import check_writable


MAX_FILENAME_CHARACTERS = 120
# Linux and macOS file systems take at most 255 bytes of UTF-8 a name, and a Japanese or Chinese character takes 3 (an
# emoji 4): 120 of them made names of 360 bytes, which no folder took. The rest leaves room for `unique_filename`.
MAX_FILENAME_BYTES = 230
_FORBIDDEN = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def safe_filename(text: str, ending: str = "") -> str:
    """`text` and then `ending` without the characters Windows, macOS or Linux refuse in a file name, at most 120
    characters and 230 bytes of UTF-8: a longer name loses the end of `text`, so that `ending` (a difficulty's
    ` [Version]`) stays whole."""
    ending = _within(_FORBIDDEN.sub("_", ending), MAX_FILENAME_CHARACTERS, MAX_FILENAME_BYTES)
    text = _FORBIDDEN.sub("_", text)
    name = _within(text, MAX_FILENAME_CHARACTERS - len(ending), MAX_FILENAME_BYTES - _utf8_length(ending)) + ending
    return name.strip(" .") or "beatmap"


def _utf8_length(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))  # a lone surrogate (an undecodable name's byte) counts as 3


def _within(text: str, characters: int, size: int) -> str:
    """The longest start of `text` of at most `characters` characters and `size` bytes of UTF-8."""
    text = text[: max(characters, 0)]
    if _utf8_length(text) <= size:
        return text
    sizes = np.cumsum([_utf8_length(character) for character in text])
    return text[: int(np.searchsorted(sizes, size, side="right"))]


def unique_filename(name: str, taken: set) -> str:
    """`name`, or `name (2)`, `name (3)`... so that no two names of `taken` (lower-cased; the name chosen is added)
    differ only by letter case: one folder or archive holds them all, on any file system."""
    stem, extension = os.path.splitext(name)
    candidate, number = name, 1
    while candidate.lower() in taken:
        number += 1
        candidate = f"{stem} ({number}){extension}"
    taken.add(candidate.lower())
    return candidate


def apply_umask(path, directory: bool = False) -> None:
    """Gives `path` the permissions the user's umask gives new files (or folders): for what `tempfile` made private."""
    mask = os.umask(0o022)
    os.umask(mask)
    os.chmod(path, (0o777 if directory else 0o666) & ~mask)


def write_atomically(path, content, *, overwrite: bool = True) -> str:
    """
    Writes `content` to a temporary file beside `path`, then moves it into place, so that `path` never holds a
    partial file (an interrupted or failed write leaves nothing behind). Creates the folder if needed; the file gets
    the permissions the user's umask gives new files.

    Args:
        path (`str` or `os.PathLike`): the file to write.
        content (`bytes`, or a callable taking the open binary file): what it holds, or what writes it (an archive
            or a song streamed into the file instead of held in memory whole).
        overwrite (`bool`, *optional*, defaults to `True`): replace an existing file; with `False` an existing
            `path` raises `FileExistsError`.
    """
    path = os.fspath(path)
    check_writable(path, overwrite)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, staging = tempfile.mkstemp(dir=folder, prefix=".", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as file:
            if callable(content):
                content(file)
            else:
                file.write(content)
        apply_umask(staging)
        if overwrite:
            os.replace(staging, path)
        else:
            os.link(staging, path)  # fails if `path` appeared meanwhile
            os.remove(staging)
    except BaseException:
        if os.path.exists(staging):
            os.remove(staging)
        raise
    return path


@contextlib.contextmanager
def staging_folder(folder, prefix: str):
    """
    A new hidden folder inside `folder` (made if missing) to write into before what is finished is moved into place
    (`move_into_place`), so that an interrupted run leaves nothing half-written. It is removed on leaving, and `folder`
    with it where this made `folder` and it stayed empty.

    Args:
        folder (`str`): where the staged files end up.
        prefix (`str`): the start of the hidden folder's name (`.beart-set-`).

    Yields:
        `str`: the staging folder.
    """
    made_folder = not os.path.lexists(folder)
    os.makedirs(folder, exist_ok=True)
    staging = tempfile.mkdtemp(dir=folder, prefix=prefix, suffix=".partial")
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if made_folder and not os.listdir(folder):  # nothing moved in: no folder made for nothing
            os.rmdir(folder)


def move_into_place(staging, folder) -> None:
    """
    Moves the files of a finished `staging` folder into `folder`: the whole folder in one rename where `folder` does
    not exist yet (so it appears complete or not at all), else file by file into it (replacing files of the same
    names, keeping the others).

    Args:
        staging (`str`): a folder beside `folder` (on the same file system) holding only files.
        folder (`str`): where they go.
    """
    if not os.path.lexists(folder):
        apply_umask(staging, directory=True)
        os.replace(staging, folder)
        return
    for name in os.listdir(staging):
        os.replace(os.path.join(staging, name), os.path.join(folder, name))


def write_song_files(
    folder, texts: dict, audio, *, audio_name: str | None = None, overwrite: bool = False
) -> list[str]:
    """
    Writes chart files and, beside them, the song they play (a StepMania, TJA or Frets on Fire song folder). Every
    output is checked before anything is written, so an existing file (or another audio file of the same name) stops
    the whole write unless `overwrite`; the same song already in the folder (the same bytes, as a second chart of the
    song written beside the first finds it) is kept as it is. The files are written into a hidden folder inside
    `folder` and moved into place together (`staging_folder`), so an interrupted write leaves none of them.

    Args:
        folder (`str`): the song folder (created if missing).
        texts (`dict[str, str | bytes]`): file name -> text (or bytes) of each chart file.
        audio (`str`, `os.PathLike` or `bytes`): the song: a file, copied into the folder unless it already is that
            file, or the bytes of one (then `audio_name` is required); `None` where the folder holds its song already
            (a Frets on Fire song's stems).
        audio_name (`str`, *optional*): the song's name in the folder; defaults to the file's own name.
        overwrite (`bool`, *optional*, defaults to `False`): replace existing files.

    Returns:
        `list[str]`: the chart files written.
    """
    if audio is None:
        audio_target = None
    elif isinstance(audio, bytes):
        audio_target = os.path.join(folder, audio_name)
    else:
        audio = os.fspath(audio)
        check_audio_file(audio)
        audio_target = os.path.join(folder, audio_name or os.path.basename(audio))
    copy_audio = audio is not None and not _holds(audio_target, audio)
    paths = {os.path.join(folder, name): text for name, text in texts.items()}
    for path in [*paths, *([audio_target] if copy_audio else [])]:
        check_writable(path, overwrite)
    with staging_folder(folder, ".beart-song-") as staging:  # all or nothing: no song without its charts
        if copy_audio:
            write_atomically(
                os.path.join(staging, os.path.basename(audio_target)),
                audio if isinstance(audio, bytes) else _copied(audio),
            )
        for path, text in paths.items():
            write_atomically(
                os.path.join(staging, os.path.basename(path)), text if isinstance(text, bytes) else text.encode("utf-8")
            )
        move_into_place(staging, folder)
    return list(paths)


def _copied(source: str):
    """A writer for `write_atomically` that streams the file `source` into the file it is given."""

    def write(target) -> None:
        with open(source, "rb") as file:
            shutil.copyfileobj(file, target)

    return write


def _holds(path: str, audio) -> bool:
    """Whether the regular file at `path` is the file `audio` (a path) or holds the same bytes as it (a path or
    bytes)."""
    if not os.path.isfile(path):
        return False
    if not isinstance(audio, bytes) and os.path.samefile(audio, path):
        return True
    if os.path.islink(path):  # a link's target is not ours to keep as the song
        return False
    if not isinstance(audio, bytes):
        return filecmp.cmp(audio, path, shallow=False)
    if os.path.getsize(path) != len(audio):
        return False
    with open(path, "rb") as file:
        return file.read() == audio


def song_location(output_path, extensions: tuple, title: str) -> tuple[str, str]:
    """The folder and file stem of a song's chart files: `output_path` names a file with one of `extensions` (its
    folder and stem), or a folder (the stem is the title, made safe)."""
    output_path = os.fspath(output_path)
    if output_path.lower().endswith(extensions):
        return os.path.dirname(os.path.abspath(output_path)), os.path.splitext(os.path.basename(output_path))[0]
    return os.path.abspath(output_path), safe_filename(title or "beatmap")
