"""Timing shared by the benchmarks (run as scripts from this folder, which puts it on the import path)."""

import time


def best_time(function, repeats: int) -> float:
    """The best of `repeats` wall-clock times of `function()`, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)
