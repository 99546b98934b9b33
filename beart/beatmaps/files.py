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


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


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
        os.chmod(staging, 0o666 & ~_umask())
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
