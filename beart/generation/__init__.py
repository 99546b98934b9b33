"""Generating beatmaps: the `beatmap-generation` pipeline (the decoding itself is `BeartModel.generate`)."""

from .pipeline_beatmap_generation import GENERATION_MODES, BeatmapGenerationPipeline, load_generator


__all__ = ["GENERATION_MODES", "BeatmapGenerationPipeline", "load_generator"]
