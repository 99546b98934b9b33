"""Free text written into a chart file (a title, an artist, a difficulty name, a credit): one line, with no character
the format reads as syntax. Titles come from users, from audio files' names and tags, and from `.ibf` files anyone
can write; a line break in one would start a new line of the file (`Title:x` then `[HitObjects]` and objects of its
own), a `;` would end a simfile's value early. Every file model writes its free text through `one_line`."""

import re
import unicodedata


MAX_FIELD_LENGTH = 256
BLANKS = re.compile(r"\s+")


def one_line(text, replacements: dict | None = None) -> str:
    """
    `text` as one field of a chart file.

    Args:
        text (`str`): the text (anything else is written as `str(text)`).
        replacements (`dict[str, str]`, *optional*): characters the format reads as syntax, each with what to write
            instead (a simfile's `;` and `:`).

    Returns:
        `str`: control characters and line or paragraph separators as blanks, runs of blanks as one, the ends trimmed,
        `replacements` made, at most `MAX_FIELD_LENGTH` characters.
    """
    text = str(text)[: 4 * MAX_FIELD_LENGTH]  # blanks collapse, so a little more than a field is read
    characters = (" " if unicodedata.category(character) in ("Cc", "Zl", "Zp") else character for character in text)
    line = BLANKS.sub(" ", "".join(characters)).strip()
    for character, replacement in (replacements or {}).items():
        line = line.replace(character, replacement)
    return line[:MAX_FIELD_LENGTH]
