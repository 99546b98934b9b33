"""The text of a chart file's bytes, one rule for every text format (`.osu`, `.sm`/`.ssc`, `.tja`, `.chart`,
`song.ini`): UTF-16 where the file starts with its byte order mark (Windows editors save so; the games read it), else
the first of the format's encodings that reads every byte, else the last of them with the bytes it cannot read
replaced and a warning naming the file."""

import codecs

from transformers.utils import logging


logger = logging.get_logger(__name__)

UTF16_BOMS = ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
ENCODING_NAMES = {"utf-8-sig": "UTF-8", "cp1252": "Windows-1252", "shift_jis": "Shift-JIS"}


def decode_text(content: bytes, where: str, encodings: tuple = ("utf-8-sig", "cp1252")) -> tuple[str, str]:
    """
    Decodes a chart file (see the module docstring).

    Args:
        content (`bytes`): the file.
        where (`str`): names the file in the warning.
        encodings (`tuple[str]`, *optional*): the format's encodings, in the order tried.

    Returns:
        `(str, str)`: the text, without a byte order mark, and the encoding that read it.
    """
    for mark, encoding in UTF16_BOMS:
        if content.startswith(mark):
            return content[len(mark) :].decode(encoding, errors="replace"), encoding
    for encoding in encodings:
        try:
            return content.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    names = [ENCODING_NAMES.get(encoding, encoding) for encoding in encodings]
    logger.warning(f"{where}: the file is not text in {', '.join(names)}; it is read as {names[-1]} with the bytes "
                   "that are not replaced.")  # fmt: skip
    return content.decode(encodings[-1], errors="replace").lstrip("\ufeff"), encodings[-1]
