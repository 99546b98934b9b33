"""Writing output files safely: complete or not at all, under names every file system accepts."""

import os
import re
import tempfile


def safe_filename(text: str) -> str:
    """`text` without the characters Windows, macOS or Linux refuse in a file name."""
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", text).strip(" .") or "beatmap"


def write_atomically(path, content: bytes) -> str:
    """
    Writes `content` to a temporary file beside `path`, then moves it into place, so that `path` never holds a
    partial file (an interrupted or failed write leaves nothing behind). Creates the folder if needed.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, staging = tempfile.mkstemp(dir=folder, prefix=".", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        os.replace(staging, path)
    except BaseException:
        os.remove(staging)
        raise
    return path
