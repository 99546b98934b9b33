"""Measuring generated maps: onset agreement with human maps, map statistics, baselines, reports and plots."""

from .baselines import OnsetHeuristic, detect_audio_onsets, untrained_model
from .dataset_metrics import dataset_metrics
from .evaluate import BeatmapEvaluator, difficulty_correlation, find_reference_songs, summary_table
from .map_statistics import drain_time_ms, map_statistics
from .onset_metrics import TOLERANCES_MS, audio_onset_scores, match_counts, micro_average, onset_scores


__all__ = [
    "BeatmapEvaluator",
    "OnsetHeuristic",
    "TOLERANCES_MS",
    "audio_onset_scores",
    "dataset_metrics",
    "detect_audio_onsets",
    "difficulty_correlation",
    "drain_time_ms",
    "find_reference_songs",
    "map_statistics",
    "match_counts",
    "micro_average",
    "onset_scores",
    "summary_table",
    "untrained_model",
]
