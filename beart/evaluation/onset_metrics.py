"""Onset agreement between two beatmaps (or a beatmap and the audio): precision, recall and F1 with one-to-one
matching at a timing tolerance, as the field measures it (`mir_eval.onset`), and the signed offsets of the matches."""

import numpy as np
import pandas as pd

from ..beatmaps import IntermediateBeatmap, retrack
from .dependencies import require


TOLERANCES_MS = (50, 20, 10)
POOLED = "all"


def onset_times(beatmap: IntermediateBeatmap, track: str | None = None, holds_only: bool = False) -> np.ndarray:
    """
    Start times (seconds, sorted, unique) of a beatmap's hits and holds.

    Args:
        beatmap (`IntermediateBeatmap`): the map.
        track (`str`, *optional*): one track's onsets; all tracks pooled (an onset counted once) when not given.
        holds_only (`bool`, *optional*, defaults to `False`): the starts of its holds alone (where a player holds,
            scored against a chart's holds as onsets are against its objects).
    """
    objects = beatmap.hit_objects()
    if track is not None:
        objects = objects[objects["track"] == track]
    if holds_only:
        objects = objects[objects["end"] > objects["start"]]
    return np.unique(objects["start"].to_numpy(dtype=np.float64)) / 1000.0


def match_counts(reference: np.ndarray, estimated: np.ndarray, tolerance_ms: float) -> dict:
    """
    One-to-one matching of estimated onsets to reference onsets within a tolerance (`mir_eval.util.match_events`,
    a maximum matching, so each onset counts at most once).

    Args:
        reference (`np.ndarray` of shape `(num_reference,)`): reference onsets in seconds, sorted.
        estimated (`np.ndarray` of shape `(num_estimated,)`): estimated onsets in seconds, sorted.
        tolerance_ms (`float`): the largest distance of a match, in ms.

    Returns:
        `dict` with `matched`, `reference`, `estimated` (counts) and `offsets_ms` (`np.ndarray` of the signed offsets,
        estimated minus reference, of the matched pairs).
    """
    mir_eval = require("mir_eval")
    pairs = np.asarray(mir_eval.util.match_events(reference, estimated, tolerance_ms / 1000.0), dtype=np.int64)
    pairs = pairs.reshape(-1, 2)
    offsets = 1000.0 * (estimated[pairs[:, 1]] - reference[pairs[:, 0]])
    return {"matched": len(pairs), "reference": len(reference), "estimated": len(estimated), "offsets_ms": offsets}


def scores_from_counts(matched: int, reference: int, estimated: int) -> dict:
    """Precision, recall and F1 from match counts (0 where undefined, as `mir_eval` reports them)."""
    precision = matched / estimated if estimated else 0.0
    recall = matched / reference if reference else 0.0
    f1 = 2 * matched / (reference + estimated) if reference + estimated and matched else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "matched": int(matched),
        "reference": int(reference),
        "estimated": int(estimated),
    }


def _offset_summary(offsets: np.ndarray) -> dict:
    if not len(offsets):
        return {"mean_offset_ms": None, "median_offset_ms": None}
    return {"mean_offset_ms": float(np.mean(offsets)), "median_offset_ms": float(np.median(offsets))}


def _score_rows(track: str, reference: np.ndarray, estimated: np.ndarray, tolerances_ms) -> list[dict]:
    """One row of scores and offsets per tolerance for one track's onsets."""
    rows = []
    for tolerance in tolerances_ms:
        counts = match_counts(reference, estimated, tolerance)
        rows.append(
            {
                "track": track,
                "tolerance_ms": tolerance,
                **scores_from_counts(counts["matched"], counts["reference"], counts["estimated"]),
                **_offset_summary(counts["offsets_ms"]),
            }
        )
    return rows


def times_within(times: np.ndarray, start: float | None, end: float | None) -> np.ndarray:
    """
    The times in `[start, end)`.

    Args:
        times (`np.ndarray` of shape `(num_times,)`): times in seconds.
        start, end (`float`, *optional*): the window's edges in seconds (`None`: open on that side).
    """
    keep = np.ones(len(times), dtype=bool)
    if start is not None:
        keep &= times >= start
    if end is not None:
        keep &= times < end
    return times[keep]


def onset_scores(
    reference: IntermediateBeatmap,
    generated: IntermediateBeatmap,
    tolerances_ms=TOLERANCES_MS,
    start: float | None = None,
    end: float | None = None,
) -> pd.DataFrame:
    """
    Onset precision, recall and F1 of a generated map against a reference map, per track and with all tracks pooled,
    at every tolerance.

    The generated map is laid onto the reference's tracks first (see `retrack`) when their tracks differ.

    Args:
        reference (`IntermediateBeatmap`): the human map.
        generated (`IntermediateBeatmap`): the map to score.
        tolerances_ms (`tuple[float]`, *optional*, defaults to `(50, 20, 10)`): the match tolerances, in ms.
        start, end (`float`, *optional*): only onsets in `[start, end)` seconds count.

    Returns:
        `pd.DataFrame` with one row per track (and one for `"all"`, the pooled onsets) and tolerance: `track`,
        `tolerance_ms`, `precision`, `recall`, `f1`, `matched`, `reference`, `estimated`, `mean_offset_ms` and
        `median_offset_ms` (estimated minus reference, over the matched pairs).
    """
    if list(generated.tracks) != list(reference.tracks):
        generated = retrack(generated, reference.tracks)
    rows = []
    for track in [*reference.tracks, POOLED]:
        name = None if track == POOLED else track
        reference_onsets = times_within(onset_times(reference, name), start, end)
        generated_onsets = times_within(onset_times(generated, name), start, end)
        rows += _score_rows(track, reference_onsets, generated_onsets, tolerances_ms)
    return pd.DataFrame(rows)


def audio_onset_scores(
    audio_onsets: np.ndarray,
    beatmap: IntermediateBeatmap,
    tolerances_ms=TOLERANCES_MS,
    start: float | None = None,
    end: float | None = None,
) -> pd.DataFrame:
    """
    How well a map's onsets (all tracks pooled) follow the onsets detected in its audio: the same scores as
    `onset_scores`, with the audio's onsets as the reference.

    Args:
        audio_onsets (`np.ndarray` of shape `(num_onsets,)`): onsets of the audio in seconds (see
            `detect_audio_onsets`).
        beatmap (`IntermediateBeatmap`): the map.
        tolerances_ms, start, end: as in `onset_scores`.
    """
    reference_onsets = times_within(np.sort(np.asarray(audio_onsets, dtype=np.float64)), start, end)
    generated_onsets = times_within(onset_times(beatmap), start, end)
    return pd.DataFrame(_score_rows(POOLED, reference_onsets, generated_onsets, tolerances_ms))


def micro_average(scores: pd.DataFrame) -> pd.DataFrame:
    """
    Micro-averaged scores over many maps: matches and onset counts summed per track and tolerance before precision,
    recall and F1 are computed, so every onset weighs the same; the mean offset is the mean over all matched pairs.

    Args:
        scores (`pd.DataFrame`): rows as returned by `onset_scores`, for any number of maps (other columns ignored).

    Returns:
        `pd.DataFrame` with `track`, `tolerance_ms`, `precision`, `recall`, `f1`, `matched`, `reference`, `estimated`
        and `mean_offset_ms`.
    """
    weighted = scores.assign(offset_sum=scores["mean_offset_ms"].fillna(0.0) * scores["matched"])
    totals = weighted.groupby(["track", "tolerance_ms"], sort=False)[
        ["matched", "reference", "estimated", "offset_sum"]
    ].sum()
    rows = []
    for (track, tolerance), (matched, reference, estimated, offset_sum) in zip(totals.index, totals.to_numpy()):
        rows.append(
            {
                "track": track,
                "tolerance_ms": tolerance,
                **scores_from_counts(matched, reference, estimated),
                "mean_offset_ms": float(offset_sum / matched) if matched else None,
            }
        )
    return pd.DataFrame(rows)
