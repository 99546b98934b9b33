"""Numbers read from a beatmap file's text, which may write anything: one parser for every reader."""

import math


def finite_number(text) -> float | None:
    """The finite number `text` writes (surrounding blanks allowed), `None` where it writes none: empty, not a number,
    or `inf` / `nan` / a number past a float's range such as `1e999`."""
    try:
        number = float(str(text).strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None
