"""Generating beatmaps: decoding strategies and the `beatmap-generation` pipeline."""

from .decoding import STRATEGIES, DecodingOptions, fast_decoding, legacy_beam_search
from .pipeline_beatmap_generation import GENERATION_MODES, BeatmapGenerationPipeline


__all__ = [
    "GENERATION_MODES",
    "STRATEGIES",
    "BeatmapGenerationPipeline",
    "DecodingOptions",
    "fast_decoding",
    "legacy_beam_search",
]
