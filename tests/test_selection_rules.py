"""The rules by which examples/choose_on_dev.py moves a decoding default on the development songs."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest


EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def choose_on_dev():
    sys.path.insert(0, str(EXAMPLES))
    try:
        import choose_on_dev
    finally:
        sys.path.remove(str(EXAMPLES))
    return choose_on_dev


def hold_table(errors, spreads):
    """A `--holds` table of thresholds 0, 0.8 and 1.0 with these share errors and seed spreads."""
    return pd.DataFrame({"hold_threshold": [0.0, 0.8, 1.0], "hold share error": errors, "seed spread": spreads})


def test_the_current_hold_threshold_stays_unless_another_comes_nearer_than_the_seeds_tell_apart(choose_on_dev):
    no_holds = np.array([0.70, 0.60, 0.65])  # per song: the mean of F1 at +-50 and +-20 ms without holds
    by_threshold = [no_holds, no_holds + 0.001, no_holds + 0.002]
    # 1.0 is 0.0002 nearer the charts' share than 0.8, the current value: less than the seeds' spread (0.003)
    table = hold_table([0.207, 0.1439, 0.1437], [0.002, 0.003, 0.001])
    closest = choose_on_dev.closest_keeping_scores(table, by_threshold, no_holds, 0.005, "hold share error")
    assert closest["hold_threshold"] == 1.0
    assert choose_on_dev.stays_within_seeds(table, by_threshold, 0.8, closest, 0.005) == 0.8
    # 0.02 nearer: more than the seeds tell apart, so the rule's pick
    table = hold_table([0.207, 0.1639, 0.1437], [0.002, 0.003, 0.001])
    closest = choose_on_dev.closest_keeping_scores(table, by_threshold, no_holds, 0.005, "hold share error")
    assert choose_on_dev.stays_within_seeds(table, by_threshold, 0.8, closest, 0.005) == 1.0
    # a current value that costs a song more than the margin never stays, however near
    losing = [no_holds, no_holds - np.array([0.0, 0.01, 0.0]), no_holds]
    table = hold_table([0.207, 0.1439, 0.1437], [0.002, 0.003, 0.001])
    closest = choose_on_dev.closest_keeping_scores(table, losing, no_holds, 0.005, "hold share error")
    assert choose_on_dev.stays_within_seeds(table, losing, 0.8, closest, 0.005) == 1.0


def test_the_current_defaults_hold_the_models_hold_threshold(choose_on_dev):
    # the --holds step keeps the current value: it must be the model's, not "no holds"
    import json

    model_dir = Path(__file__).resolve().parent.parent / "beart" / "default_model"
    written = json.loads((model_dir / "generation_config.json").read_text())
    current = choose_on_dev.current_defaults(str(model_dir))
    assert current["hold_threshold"] == pytest.approx(written["hold_threshold"]) and current["hold_threshold"] > 0
    assert current["hit_threshold"] == pytest.approx(written["hit_threshold"])
