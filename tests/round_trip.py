"""The check every format's round trip makes: maps read back from a written file hold the same objects."""

import numpy as np
import pytest


def assert_same_maps(originals: list, rereads: list, difficulty_tolerance: float) -> None:
    """Same number of maps; in each, the same objects on the same tracks, every start and end within one 10 ms step,
    and the difficulty within `difficulty_tolerance`."""
    assert len(rereads) == len(originals)
    for original, reread in zip(originals, rereads):
        before, after = original.hit_objects(), reread.hit_objects()
        assert len(after) == len(before), original.meta["version"]
        for column in ("start", "end"):
            assert np.abs(after[column].to_numpy() - before[column].to_numpy()).max() <= 10
        assert list(after["track"]) == list(before["track"])
        assert reread.difficulty == pytest.approx(original.difficulty, abs=difficulty_tolerance)
