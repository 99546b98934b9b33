"""Writing output files safely: complete or not at all, under names every file system accepts, never replacing a file
the user did not ask to replace."""

import os
import re
import tempfile

from ..safety import check_writable


MAX_FILENAME_CHARACTERS = 120


def safe_filename(text: str) -> str:
    """`text` without the characters Windows, macOS or Linux refuse in a file name, at most 120 characters."""
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", text)[:MAX_FILENAME_CHARACTERS]
    return name.strip(" .") or "beatmap"


def apply_umask(path, directory: bool = False) -> None:
    """Gives `path` the permissions the user's umask gives new files (or folders): for what `tempfile` made private."""
    mask = os.umask(0o022)
    os.umask(mask)
    os.chmod(path, (0o777 if directory else 0o666) & ~mask)


def write_atomically(path, content: bytes, *, overwrite: bool = True) -> str:
    """
    Writes `content` to a temporary file beside `path`, then moves it into place, so that `path` never holds a
    partial file (an interrupted or failed write leaves nothing behind). Creates the folder if needed; the file gets
    the permissions the user's umask gives new files.

    Args:
        path (`str` or `os.PathLike`): the file to write.
        content (`bytes`): what it holds.
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
