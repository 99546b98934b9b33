"""The registry of formats is the one list of formats and modes: the CLI, the pipeline, `find_beatmap_sets` and the
README's table of games all follow it."""

import os
import re

import pytest

from beart.beatmaps import GAME_MODE_TRACKS, BeatmapError
from beart.beatmaps.batch_conversion import find_beatmap_sets
from beart.beatmaps.formats import (
    FORMATS, WRITE_MODES, format_for_mode, mode_of_output, open_beatmap_set, set_name, tracks_of_mode, write_beatmaps,
)
from beart.generation import BeatmapGenerationPipeline
from shared_paths import CORPUS, EXAMPLE_SONG, REPOSITORY


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
    for command in ("export", "generate", "inspect"):
        mode = next(action for action in subcommands[command]._actions if action.dest == "mode")
        assert tuple(mode.choices) == WRITE_MODES


def test_the_front_page_names_every_mode_and_format():
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    listed = re.search(r"Modes for `--mode`: (.*)\.", readme).group(1)
    assert re.findall(r"`([a-z]+)`", listed) == list(WRITE_MODES)
    table = readme.split("| game |")[1].split("\n\n")[0]
    for game in ("osu!", "StepMania", "Taiko", "Frets on Fire"):
        assert game in table


def test_a_song_folder_opens_as_the_one_set_it_holds(tmp_path):
    # a StepMania or TJA song folder opened as an osu! folder before: "holds no .osu difficulty"
    goin_under = open_beatmap_set(CORPUS / "stepmania" / "Goin' Under")
    assert type(goin_under).__name__ == "StepManiaSimfile" and len(goin_under.difficulty_names) == 9
    taiko = open_beatmap_set(CORPUS / "opentaiko" / "085 - Very long title")
    assert type(taiko).__name__ == "TjaSong"
    with pytest.raises(BeatmapError, match="holds no beatmap"):
        open_beatmap_set(tmp_path)
    for name in ("a.tja", "b.tja"):
        (tmp_path / name).write_text("TITLE:x\n")
    with pytest.raises(BeatmapError, match=r"holds several sets \(a.tja, b.tja\); name one"):
        open_beatmap_set(tmp_path)


def test_sets_of_every_format_are_found_in_one_tree():
    sets = find_beatmap_sets(CORPUS)
    kinds = {type(open_beatmap_set(source)).__name__ for source in sets if "ppy-osu-tests" not in source}
    assert {"StepManiaSimfile", "TjaSong", "FretsOnFireSong"} <= kinds
    fof = [source for source in sets if source.endswith("notes.mid")]
    assert len(fof) == 8 and set_name(fof[0]) in {"armygeddon", "internal_degeneration"}


@pytest.mark.parametrize(
    "mode, output, refused",
    [
        ("mania", "song.osz", None),
        ("mania", "song.osu", "name the output with .osz"),  # an archive osu! would not read as an .osu
        ("osu", "song", "name the output with .osz"),
        ("stepmania", "song.osz", "names a file of osu!"),
        ("stepmania", "song.tja", "names a file of Taiko"),
        ("stepmania", "song.ssc", None),
        ("stepmania", "Song folder", None),
        ("tja", "notes.chart", "names a file of Frets on Fire"),
        ("fretsonfire", "song/notes.chart", None),
        ("fretsonfire", "song/", None),
    ],
)
def test_an_output_the_format_cannot_write_is_refused(mode, output, refused):
    check = format_for_mode(mode).check_output_path
    if refused is None:
        check(output)
    else:
        with pytest.raises(BeatmapError, match=refused):
            check(output)


@pytest.mark.parametrize(
    "output, mode",
    [
        ("song.sm", "stepmania"),
        ("Song.SSC", "stepmania"),
        ("out/song.tja", "tja"),
        ("song/notes.chart", "fretsonfire"),
        ("song/notes.mid", "fretsonfire"),
        ("song.osz", None),  # four modes write an .osz: osu!'s own default stays
        ("song.osu", None),
        ("Song folder", None),
        ("song/", None),
    ],
)
def test_an_outputs_name_asks_for_the_mode_of_the_one_mode_format_that_writes_it(output, mode):
    assert mode_of_output(output) == mode
    if mode is not None:
        format_for_mode(mode).check_output_path(output)


def test_a_misnamed_output_is_refused_before_anything_is_written_or_generated(tmp_path, capsys, monkeypatch):
    from beart import cli

    monkeypatch.setattr(cli, "_generator", lambda model: pytest.fail("the model was loaded"))

    with pytest.raises(BeatmapError, match="song.osu"):
        write_beatmaps([], tmp_path / "song.osu", EXAMPLE_SONG, mode="osu")
    # refused before the model loads, nothing written
    arguments = ["generate", EXAMPLE_SONG, "-o", str(tmp_path / "song.sm"), "--mode", "mania", "--no-progress"]
    assert cli.main(arguments) == 1
    assert "name the output with .osz, or write it with the `stepmania` mode" in capsys.readouterr().err
    assert os.listdir(tmp_path) == []


def test_an_output_under_a_file_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    # `-o notes.txt/song.osz`, where notes.txt is a file, failed after the whole work: "[Errno 17] File exists"
    from beart import cli

    monkeypatch.setattr(cli, "_generator", lambda model: pytest.fail("the model was loaded"))
    (tmp_path / "notes.txt").write_text("kept")
    under = tmp_path / "notes.txt"
    commands = [
        ["generate", EXAMPLE_SONG, "-o", str(under / "song.osz")],
        ["generate", EXAMPLE_SONG, "-o", str(under / "deeper" / "song.sm")],
        ["generate", EXAMPLE_SONG, "-o", str(under / "song" / "notes.chart")],
        ["convert", str(CORPUS / "stepmania" / "Goin' Under"), str(under / "out")],
        ["dataset", "build", str(CORPUS / "stepmania" / "Goin' Under"), str(under / "corpus")],
    ]
    for arguments in commands:
        assert cli.main([*arguments, "--no-progress"]) == 1, arguments
        assert f"{under} is a file, not a folder" in capsys.readouterr().err
    assert os.listdir(tmp_path) == ["notes.txt"] and (tmp_path / "notes.txt").read_text() == "kept"


def test_a_song_folder_whose_charts_exist_is_refused_before_the_model_loads(tmp_path, capsys, monkeypatch):
    # a second `beart generate -o folder --mode stepmania` made the whole map, then "drums.sm already exists"
    from beart import cli

    monkeypatch.setattr(cli, "_generator", lambda model: pytest.fail("the model was loaded"))
    (tmp_path / "sm").mkdir()
    (tmp_path / "sm" / "drums.ssc").write_text("kept")  # named after the song's file, as the title is
    (tmp_path / "fof").mkdir()
    (tmp_path / "fof" / "song.ini").write_text("kept")
    for output, mode in [("sm", "stepmania"), ("sm/drums.sm", None), ("fof", "fretsonfire"), ("fof/notes.chart", None)]:
        arguments = ["generate", EXAMPLE_SONG, "-o", str(tmp_path / output), "--no-progress"]
        assert cli.main([*arguments, *(["--mode", mode] if mode else [])]) == 1
        assert "already exists; pass --overwrite" in capsys.readouterr().err
    assert sorted(os.listdir(tmp_path / "sm")) == ["drums.ssc"] and os.listdir(tmp_path / "fof") == ["song.ini"]
    # charts of other names may join the folder (a TJA course beside the song's simfile): not refused here
    format_for_mode("tja").check_outputs(tmp_path / "sm", "drums", overwrite=False)
    format_for_mode("stepmania").check_outputs(tmp_path / "sm", "other title", overwrite=False)
    format_for_mode("stepmania").check_outputs(tmp_path / "sm", "drums", overwrite=True)


@pytest.mark.parametrize("mode, output", [("mania", "song.osz"), ("stepmania", "song.sm"), ("tja", "song.tja")])
def test_a_file_is_never_written_over_a_folder_even_with_overwrite(tmp_path, capsys, monkeypatch, mode, output):
    # a folder named as the output file: refused before the model loads (it failed at the last step, naming the
    # staging file: "Is a directory: '.944zf37c.partial' -> 'song.sm'"), and what the folder holds stays
    from beart import cli
    from beart.beatmaps.files import write_atomically

    monkeypatch.setattr(cli, "_generator", lambda model: pytest.fail("the model was loaded"))
    folder = tmp_path / output
    folder.mkdir()
    (folder / "precious.txt").write_text("kept")
    arguments = ["generate", EXAMPLE_SONG, "-o", str(folder), "--mode", mode, "--overwrite", "--no-progress"]
    assert cli.main(arguments) == 1
    assert "is a folder, and it names the file" in capsys.readouterr().err
    with pytest.raises(IsADirectoryError, match="a file is never written over a folder"):
        write_atomically(folder, b"map", overwrite=True)
    assert os.listdir(tmp_path) == [output] and os.listdir(folder) == ["precious.txt"]
