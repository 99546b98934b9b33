"""Timing shared by the benchmarks (run as scripts from this folder, which puts it on the import path)."""

import time


def best_time(function, repeats: int) -> float:
    """The best of `repeats` wall-clock times of `function()`, in seconds."""
    return interleaved_best_times({None: function}, repeats)[None]


def interleaved_best_times(functions: dict, repeats: int) -> dict:
    """The best of `repeats` wall-clock times of each of `functions` (name -> callable), in seconds, timed in turn
    within each repeat, so that a machine that slows down or speeds up during the run weighs on each alike."""
    times = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - start)
    return {name: min(values) for name, values in times.items()}
