"""Beatmap formats: the intermediate 10 ms event grid and the osu! reader and writer."""

from .batch_conversion import ConversionReport, convert_beatmaps
from .errors import AIGeneratedError, BeatmapError, BeatmapRefusedError, RobotsDisallowedError
from .intermediate import QUANTUM_MS, TRACK_NAMES, IntermediateBeatmap
from .osu_file import OsuFile, parse_osu
from .osu_reader import OsuArchive, OsuFolder, difficulty_from_stars, read_osu
from .osu_writer import export_intermediate, intermediate_to_osu, write_osz
from .tracks import GAME_MODE_TRACKS, retrack, tracks_for_mode


__all__ = [
    "AIGeneratedError",
    "BeatmapError",
    "BeatmapRefusedError",
    "ConversionReport",
    "GAME_MODE_TRACKS",
    "IntermediateBeatmap",
    "OsuArchive",
    "OsuFile",
    "OsuFolder",
    "QUANTUM_MS",
    "RobotsDisallowedError",
    "TRACK_NAMES",
    "convert_beatmaps",
    "difficulty_from_stars",
    "export_intermediate",
    "intermediate_to_osu",
    "parse_osu",
    "read_osu",
    "retrack",
    "tracks_for_mode",
    "write_osz",
]
