"""Difficulty in [0, 1] <-> a named band and a number inside it, one rule for every format that names its charts so
(StepMania's slot and meter, TJA's course and level): each name owns a band of BEaRT's difficulty and a range of
numbers placed linearly across it.

A table of bands maps each name to `((low, high), (lowest_number, highest_number))`.
"""

import numpy as np

from .numbers import finite_number


TOP_OF_BAND = 0.999  # the highest number stays inside its band (a band's top is the next band's bottom)


def read_number(text) -> int:
    """A chart's number as a file writes it (StepMania's meter, a TJA course's LEVEL): a whole number, 0 where it is
    missing, unreadable or not finite (`inf`, `1e999`, `nan`)."""
    number = finite_number(text)
    return 0 if number is None else int(number)


def difficulty_in_band(bands: dict, name: str, number: float) -> float:
    """The difficulty of the chart named `name` with the number `number` (clipped to its band)."""
    (low, high), (lowest, highest) = bands[name]
    position = np.clip((number - lowest) / (highest - lowest), 0.0, TOP_OF_BAND)
    return float(low + (high - low) * position)


def band_and_number(bands: dict, difficulty: float, default: str) -> tuple[str, int]:
    """The first band whose top lies above `difficulty` (`default` when none does) and the number placing the
    difficulty in it."""
    name = next((name for name, ((_, high), _) in bands.items() if difficulty < high), default)
    (low, high), (lowest, highest) = bands[name]
    position = float(np.clip((difficulty - low) / (high - low), 0.0, 1.0))
    return name, int(round(lowest + position * (highest - lowest)))
