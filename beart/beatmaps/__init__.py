"""Beatmap formats: the intermediate 10 ms event grid, osu! and StepMania readers and writers, the TJA reader."""

from .batch_conversion import ConversionReport, convert_beatmaps
from .errors import AIGeneratedError, BeatmapError, BeatmapRefusedError, RobotsDisallowedError
from .intermediate import QUANTUM_MS, TRACK_NAMES, IntermediateBeatmap
from .osu_file import OsuFile, parse_osu
from .osu_reader import OsuArchive, OsuFolder, difficulty_from_stars, read_osu
from .export import EXPORT_MODES, export_intermediate
from .osu_writer import intermediate_to_osu, write_osz
from .stepmania_file import StepManiaFile, parse_simfile
from .stepmania_reader import StepManiaSimfile, chart_difficulty, read_simfile
from .stepmania_writer import simfile_text, write_stepmania
from .tja_file import TjaFile, parse_tja
from .tja_reader import TjaSong, course_difficulty, read_tja
from .tracks import GAME_MODE_TRACKS, retrack, tracks_for_mode


__all__ = [
    "AIGeneratedError",
    "BeatmapError",
    "BeatmapRefusedError",
    "ConversionReport",
    "EXPORT_MODES",
    "GAME_MODE_TRACKS",
    "IntermediateBeatmap",
    "OsuArchive",
    "OsuFile",
    "OsuFolder",
    "QUANTUM_MS",
    "RobotsDisallowedError",
    "StepManiaFile",
    "StepManiaSimfile",
    "TRACK_NAMES",
    "TjaFile",
    "TjaSong",
    "chart_difficulty",
    "convert_beatmaps",
    "course_difficulty",
    "difficulty_from_stars",
    "export_intermediate",
    "intermediate_to_osu",
    "parse_osu",
    "parse_simfile",
    "parse_tja",
    "read_osu",
    "read_simfile",
    "read_tja",
    "retrack",
    "simfile_text",
    "tracks_for_mode",
    "write_osz",
    "write_stepmania",
]
