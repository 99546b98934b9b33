"""Beatmap formats: the intermediate 10 ms event grid and, behind one registry (`formats`), the readers and writers of
osu!, StepMania, TJA (Taiko) and Frets on Fire / Clone Hero."""

from .batch_conversion import ConversionReport, convert_beatmaps
from .errors import AIGeneratedError, BeatmapError, BeatmapRefusedError, RobotsDisallowedError
from .intermediate import QUANTUM_MS, TRACK_NAMES, IntermediateBeatmap
from .osu_file import OsuFile, parse_osu
from .osu_reader import OsuArchive, OsuFolder, difficulty_from_stars, read_osu
from .export import export_intermediate
from .formats import FORMATS, WRITE_MODES, BeatmapFormat, open_beatmap_set, write_beatmaps
from .fretsonfire_reader import FretsOnFireSong, read_fretsonfire
from .fretsonfire_writer import write_fretsonfire
from .osu_writer import intermediate_to_osu, write_osz
from .stepmania_file import StepManiaFile, parse_simfile
from .stepmania_reader import StepManiaSimfile, chart_difficulty, read_simfile
from .stepmania_writer import simfile_text, write_stepmania
from .tja_file import TjaFile, parse_tja
from .tja_reader import TjaSong, course_difficulty, read_tja
from .tja_writer import write_tja
from .tracks import GAME_MODE_TRACKS, retrack, tracks_for_mode


__all__ = [
    "AIGeneratedError",
    "BeatmapError",
    "BeatmapRefusedError",
    "ConversionReport",
    "BeatmapFormat",
    "FORMATS",
    "FretsOnFireSong",
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
    "open_beatmap_set",
    "parse_osu",
    "parse_simfile",
    "parse_tja",
    "read_fretsonfire",
    "read_osu",
    "read_simfile",
    "read_tja",
    "retrack",
    "simfile_text",
    "tracks_for_mode",
    "WRITE_MODES",
    "write_beatmaps",
    "write_fretsonfire",
    "write_osz",
    "write_stepmania",
    "write_tja",
]
