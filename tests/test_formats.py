"""The registry of formats is the one list of formats and modes: the CLI, the pipeline, `find_beatmap_sets` and the
README's table of games all follow it."""

import re

import pytest

from beart.beatmaps import GAME_MODE_TRACKS, BeatmapError
from beart.beatmaps.batch_conversion import find_beatmap_sets
from beart.beatmaps.formats import FORMATS, WRITE_MODES, format_for_mode, open_beatmap_set, set_name, tracks_of_mode
from beart.generation import BeatmapGenerationPipeline
from shared_paths import CORPUS, REPOSITORY


def test_every_mode_belongs_to_one_format_with_a_track_layout():
    modes = [mode for beatmap_format in FORMATS for mode in beatmap_format.modes]
    assert len(modes) == len(set(modes)) == len(WRITE_MODES)
    for mode in WRITE_MODES:
        assert len(tracks_of_mode(mode)) in (1, 2, 4)
        assert format_for_mode(mode).modes[mode] in GAME_MODE_TRACKS
        assert BeatmapGenerationPipeline.resolve_tracks(mode, None) == (mode, tracks_of_mode(mode))
    with pytest.raises(BeatmapError, match="Unknown mode"):
        format_for_mode("guitar-hero")


def test_the_command_line_offers_exactly_the_registry_modes():
    from beart.cli import build_parser

    parser = build_parser()
    subcommands = next(action for action in parser._actions if action.dest == "command").choices
    for command in ("export", "generate"):
        mode = next(action for action in subcommands[command]._actions if action.dest == "mode")
        assert tuple(mode.choices) == WRITE_MODES


def test_the_front_page_names_every_mode_and_format():
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    listed = re.search(r"Modes for `--mode`: (.*)\.", readme).group(1)
    assert re.findall(r"`([a-z]+)`", listed) == list(WRITE_MODES)
    table = readme.split("| game |")[1].split("\n\n")[0]
    for game in ("osu!", "StepMania", "Taiko", "Frets on Fire"):
        assert game in table


def test_sets_of_every_format_are_found_in_one_tree():
    sets = find_beatmap_sets(CORPUS)
    kinds = {type(open_beatmap_set(source)).__name__ for source in sets if "ppy-osu-tests" not in source}
    assert {"StepManiaSimfile", "TjaSong", "FretsOnFireSong"} <= kinds
    fof = [source for source in sets if source.endswith("notes.mid")]
    assert len(fof) == 8 and set_name(fof[0]) in {"armygeddon", "internal_degeneration"}
