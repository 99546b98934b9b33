"""Numbers read from untrusted input, which may write anything: one parser for a beatmap file's text, and the tests
of a value a JSON file (an `.ibf`'s metadata, a model's or processor's configuration) gave as a number."""

import math


def is_number(value) -> bool:
    """An int or a float, as JSON gives numbers; not a bool (JSON's `true` reads as one) and not text."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_whole_number(value) -> bool:
    """An int, as JSON gives whole numbers; not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def finite_number(text) -> float | None:
    """The finite number `text` writes (surrounding blanks allowed), `None` where it writes none: empty, not a number,
    or `inf` / `nan` / a number past a float's range such as `1e999`."""
    try:
        number = float(str(text).strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None
