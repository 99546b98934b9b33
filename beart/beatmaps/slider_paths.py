"""Lengths of osu! slider paths, needed only for sliders whose file gives no pixel length.

A path is a curve type (`L` linear, `P` perfect circle, `B` Bezier, `C` Catmull-Rom) and control points starting at
the slider's position. Bezier paths split into segments at repeated control points (red anchors). A perfect circle
needs exactly three points that are not collinear; otherwise osu! draws it as a Bezier curve. Curves are sampled
finely enough that the length is good to well under a pixel for playfield-sized sliders.
"""

import numpy as np
from scipy.special import gammaln


SAMPLES_PER_SEGMENT = 200
DE_CASTELJAU_MAX_POINTS = 64
BERNSTEIN_CHUNK = 4096
CATMULL_CHUNK = 4096


def _polyline_length(points: np.ndarray) -> float:
    return float(np.linalg.norm(np.diff(points, axis=0), axis=1).sum())


def _bezier_points(control: np.ndarray) -> np.ndarray:
    """
    Points along one Bezier segment: by De Casteljau's algorithm on all samples at once for short segments, by the
    Bernstein weights in log space for long ones (time linear in the control points, where De Casteljau's is
    quadratic).
    """
    if len(control) > DE_CASTELJAU_MAX_POINTS:
        return _bernstein_points(control)
    steps = np.linspace(0.0, 1.0, SAMPLES_PER_SEGMENT)[:, None, None]
    points = np.broadcast_to(control, (SAMPLES_PER_SEGMENT, *control.shape)).copy()
    for _ in range(len(control) - 1):
        points = points[:, :-1] * (1 - steps) + points[:, 1:] * steps
    return points[:, 0]


def _bernstein_points(control: np.ndarray) -> np.ndarray:
    degree = len(control) - 1
    steps = np.linspace(0.0, 1.0, SAMPLES_PER_SEGMENT)[1:-1, None]
    points = np.zeros((SAMPLES_PER_SEGMENT - 2, 2))
    log_step, log_rest = np.log(steps), np.log1p(-steps)
    for first in range(0, degree + 1, BERNSTEIN_CHUNK):
        index = np.arange(first, min(first + BERNSTEIN_CHUNK, degree + 1))
        log_binomial = gammaln(degree + 1) - gammaln(index + 1) - gammaln(degree - index + 1)
        weights = np.exp(log_binomial[None, :] + index[None, :] * log_step + (degree - index)[None, :] * log_rest)
        points += weights @ control[index]
    return np.concatenate((control[:1], points, control[-1:]))


def _bezier_length(points: np.ndarray) -> float:
    repeats = np.flatnonzero((np.diff(points, axis=0) == 0).all(axis=1)) + 1
    return sum(_polyline_length(_bezier_points(segment)) for segment in np.split(points, repeats) if len(segment) > 1)


def _catmull_length(points: np.ndarray) -> float:
    padded = np.concatenate((points[:1], points, points[-1:]))
    steps = np.linspace(0.0, 1.0, SAMPLES_PER_SEGMENT)[None, :, None]
    length = 0.0
    for first in range(0, len(points) - 1, CATMULL_CHUNK):  # chunks keep the samples' memory bounded
        p0, p1, p2, p3 = (padded[first + shift : first + shift + CATMULL_CHUNK][:, None, :] for shift in range(4))
        count = min(len(p0), len(p1), len(p2), len(p3))
        p0, p1, p2, p3 = p0[:count], p1[:count], p2[:count], p3[:count]
        samples = 0.5 * (
            2 * p1
            + (p2 - p0) * steps
            + (2 * p0 - 5 * p1 + 4 * p2 - p3) * steps**2
            + (3 * p1 - p0 - 3 * p2 + p3) * steps**3
        )
        length += _polyline_length(samples.reshape(-1, 2))
    return length


def _circle_length(points: np.ndarray) -> float | None:
    """Arc length through three points, or `None` when they are (nearly) collinear."""
    a, b, c = points
    determinant = 2 * (a[0] * (b[1] - c[1]) + b[0] * (c[1] - a[1]) + c[0] * (a[1] - b[1]))
    if abs(determinant) < 1e-3:
        return None
    squares = (a**2).sum(), (b**2).sum(), (c**2).sum()
    centre = (
        np.array(
            [
                squares[0] * (b[1] - c[1]) + squares[1] * (c[1] - a[1]) + squares[2] * (a[1] - b[1]),
                squares[0] * (c[0] - b[0]) + squares[1] * (a[0] - c[0]) + squares[2] * (b[0] - a[0]),
            ]
        )
        / determinant
    )
    radius = np.linalg.norm(a - centre)
    start, middle, end = (np.arctan2(*(point - centre)[::-1]) for point in (a, b, c))
    sweep = (end - start) % (2 * np.pi)
    if (middle - start) % (2 * np.pi) > sweep:
        sweep -= 2 * np.pi
    return float(abs(sweep) * radius)


def slider_path_length(curve_type: str, points) -> float:
    """
    Length in osu! pixels of a slider path.

    Args:
        curve_type (`str`): `L`, `P`, `B` or `C` (anything else is treated as Bezier, as osu! does).
        points (array-like of shape `(num_points, 2)`): the slider's position followed by its control points.
    """
    points = np.asarray(points, dtype=np.float64)
    points = points[np.isfinite(points).all(axis=1)]
    if len(points) < 2:
        return 0.0
    if curve_type == "L":
        return _polyline_length(points)
    if curve_type == "C":
        return _catmull_length(points)
    if curve_type == "P" and len(points) == 3:
        length = _circle_length(points)
        if length is not None:
            return length
    return _bezier_length(points)
