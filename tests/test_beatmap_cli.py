"""`beart convert` and `beart export` as a new user runs them."""

import os
import shutil
import zipfile

import pandas as pd
import pytest
import simfile

from beart.beatmaps import IntermediateBeatmap, StepManiaSimfile, read_osu
from beart.beatmaps.formats import open_beatmap_set
from beart.beatmaps.tracks import retrack
from beart.cli import main

from shared_paths import CORPUS, EXAMPLE_SONG


TESTS = CORPUS / "ppy-osu-tests"
INSANE = TESTS / "decoder/Soleily - Renatus (Gamu) [Insane].osu"
AUDIO_NAME = "03. Renatus - Soleily 192kbps.mp3"


@pytest.fixture
def beatmap_folder(tmp_path):
    """A folder as users have them: a good .osz (its audio with another letter case), a refused one, junk."""
    folder = tmp_path / "downloads"
    (folder / "nested").mkdir(parents=True)
    text = INSANE.read_text(encoding="utf-8-sig")
    with zipfile.ZipFile(folder / "nested" / "Renatus.osz", "w") as archive:
        archive.writestr(INSANE.name, text)
        archive.writestr("Garbage [Broken].osu", "osu file format v14\n\n[General]\nMode: 0\n")
        archive.writestr(AUDIO_NAME.upper(), (TESTS / "audio/test-sample.mp3").read_bytes())
    with zipfile.ZipFile(folder / "Robots.osz", "w") as archive:
        archive.writestr("robots.osu", text.replace("[Metadata]", "[Metadata]\nrobots: disallow"))
        archive.writestr(AUDIO_NAME, b"ID3")
    (folder / "Corrupt.osz").write_bytes(b"PK\x03\x04 not really")
    return folder


def test_convert_writes_one_file_per_difficulty_and_reports_the_rest(beatmap_folder, tmp_path, capsys):
    output = tmp_path / "ibf"
    assert main(["convert", str(beatmap_folder), str(output), "--no-progress"]) == 0
    printed = capsys.readouterr()
    summary = printed.out
    assert "converted 1 difficulties, skipped 3" in summary
    assert "1 refused" in summary and "2 unreadable" in summary
    assert "1 refused for training (robots: disallow, AI-generated); --include-refused converts them" in printed.err
    assert sorted(os.listdir(output)) == ["Renatus"]
    assert sorted(os.listdir(output / "Renatus")) == sorted(
        [AUDIO_NAME.upper(), "Soleily - Renatus (Gamu) [Insane].ibf"]
    )
    beatmap = IntermediateBeatmap.load(output / "Renatus" / "Soleily - Renatus (Gamu) [Insane].ibf")
    assert beatmap.audio == AUDIO_NAME.upper()
    pd.testing.assert_frame_equal(beatmap.hit_objects(), read_osu(INSANE).hit_objects())


def test_convert_exits_non_zero_only_when_nothing_converted(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["convert", str(tmp_path / "empty"), str(tmp_path / "out")]) == 1
    assert "converted 0" in capsys.readouterr().out
    assert (
        main(["convert", str(TESTS / "archives/241526 Soleily - Renatus_virtual_quick.osz"), str(tmp_path / "out")])
        == 1
    )
    assert "12 no audio" in capsys.readouterr().out
    assert not (tmp_path / "out").exists()
    assert main(["convert", str(tmp_path / "missing.osz"), str(tmp_path / "out")]) == 1
    assert "No such file" in capsys.readouterr().err
    # an output that is a file: said at once (every map failed to write, each called "unreadable")
    (tmp_path / "a file").write_text("kept")
    renatus = str(TESTS / "archives/241526 Soleily - Renatus_virtual_quick.osz")
    assert main(["convert", renatus, str(tmp_path / "a file")]) == 1
    assert "a file exists and is not a folder; choose another output folder" in capsys.readouterr().err
    assert (tmp_path / "a file").read_text() == "kept"


@pytest.mark.parametrize("mode", ["osu", "taiko", "catch", "mania"])
def test_export_writes_a_playable_archive_in_every_mode(beatmap_folder, tmp_path, mode, capsys):
    main(["convert", str(beatmap_folder), str(tmp_path / "ibf"), "--no-progress"])
    source = tmp_path / "ibf" / "Renatus" / "Soleily - Renatus (Gamu) [Insane].ibf"
    output = tmp_path / f"{mode}.osz"
    assert main(["export", str(source), str(output), "--mode", mode, "--title", "Renatus"]) == 0
    assert str(output) in capsys.readouterr().out
    with zipfile.ZipFile(output) as archive:
        names = archive.namelist()
        text = archive.read(next(name for name in names if name.endswith(".osu"))).decode()
    assert AUDIO_NAME.upper() in names and f"Mode: {['osu', 'taiko', 'catch', 'mania'].index(mode)}" in text


def test_export_without_audio_fails_cleanly(tmp_path, capsys):
    source = read_osu(INSANE).save(tmp_path / "lonely.ibf")
    assert main(["export", source, str(tmp_path / "out.osz")]) == 1
    assert "pass the song's file as audio" in capsys.readouterr().err
    assert sorted(os.listdir(tmp_path)) == ["lonely.ibf"]
    assert main(["export", source, str(tmp_path / "out.osz"), "--audio", str(TESTS / "audio/test-sample.mp3")]) == 0


def test_the_command_starts_without_torch_and_the_package_still_registers():
    """`beart --help` and the format commands load neither torch nor transformers' models (the `beart` command defers
    the Auto registration); a plain `import beart` still registers the pipeline task."""
    import subprocess
    import sys

    deferred = (
        "import sys, beart_command, os\n"
        "os.environ['BEART_DEFER_REGISTRATION'] = '1'\n"
        "import beart.cli\n"
        "try:\n"
        "    beart.cli.main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('torch' in sys.modules, 'transformers.pipelines' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", deferred], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split()[-2:] == ["False", "False"]
    registered = (
        "import beart\n"
        "from transformers.pipelines import PIPELINE_REGISTRY\n"
        "print('beatmap-generation' in PIPELINE_REGISTRY.get_supported_tasks())\n"
    )
    result = subprocess.run([sys.executable, "-c", registered], capture_output=True, text=True, timeout=300)
    assert result.stdout.split()[-1] == "True", result.stderr[-2000:]


def test_decoding_flags_come_from_the_decoding_options():
    import dataclasses

    from beart.cli import build_parser
    from beart.decoding_options import DecodingOptions

    parser = build_parser()
    commands = next(action for action in parser._actions if action.dest == "command").choices
    flagged = {option.name for option in dataclasses.fields(DecodingOptions) if option.metadata.get("flag_type")}
    assert {"temperature", "top_k", "hit_threshold", "onset_prior", "beat_prior", "beams"} <= flagged
    for command in ("generate", "evaluate"):
        arguments = commands[command].parse_args(
            ["song.ogg", "--top-k", "3", "--beams", "2", "1", "--onset-prior", "4"]
            if command == "generate"
            else ["songs", "out", "--top-k", "3", "--beams", "2", "1", "--onset-prior", "4"]
        )
        assert set(arguments.decoding_flags) == flagged
        assert (arguments.top_k, arguments.beams, arguments.onset_prior) == (3, [2, 1], 4.0)
    history = commands["generate"].parse_args(["song.ogg", "--history-steps", "1:64,4:16"]).history_steps
    assert history == {1: 64, 4: 16}
    cap = commands["generate"].parse_args(["song.ogg", "--max-density", "0:1,0.5:1.5"]).max_density
    assert cap == {0.0: 1.0, 0.5: 1.5}
    layout = commands["evaluate"].parse_args(["songs", "out", "--decode-tracks", "1:2"]).decode_tracks
    assert layout == {1: 2}


def test_a_decoding_flag_that_reads_wrong_says_what_it_expects(capsys):
    from beart.cli import build_parser

    with pytest.raises(SystemExit):
        build_parser().parse_args(["generate", "song.ogg", "--history-steps", "4:lots"])
    error = capsys.readouterr().err
    assert "--history-steps: history_steps: a number of steps must be a whole number, got 'lots'" in error


def test_every_example_in_the_help_parses():
    import shlex

    from beart.cli import EXAMPLES, build_parser

    parser = build_parser()
    for name, lines in EXAMPLES.items():
        for line in lines:
            arguments, extra = parser.parse_known_args(shlex.split(line)[1:])
            assert " ".join([arguments.command, getattr(arguments, "dataset_command", "") or ""]).strip() == name
            assert not extra or getattr(arguments, "takes_training_flags", False), line


def test_check_reads_several_maps_and_fails_when_one_fails(tmp_path, capsys):
    good, bad = tmp_path / "good.tja", tmp_path / "bad.tja"
    good.write_text("BPM:120\nCOURSE:Oni\n#START\n1010,\n#END\n")
    bad.write_text("BPM:120\nCOURSE:Oni\n#START\n" + "1" + "0" * 61 + "11,\n#END\n")  # a 16th of a beat apart
    assert main(["check", str(good)]) == 0
    assert main(["check", str(good), str(bad)]) == 1
    output = capsys.readouterr().out
    assert "good.tja [Oni]: 2 objects" in output and "bad.tja [Oni]: 3 objects" in output
    assert "1 of 2 maps pass" in output


@pytest.fixture(scope="module")
def converted_simfile(tmp_path_factory):
    """Goin' Under's nine charts as `beart convert` writes a set: one `.ibf` per chart beside the song (here the
    example song, for speed)."""
    folder = tmp_path_factory.mktemp("maps") / "Goin' Under"
    folder.mkdir()
    shutil.copy(EXAMPLE_SONG, folder / "drums.ogg")
    simfile_set = StepManiaSimfile(CORPUS / "stepmania" / "Goin' Under" / "Goin' Under.ssc")
    for name in simfile_set.difficulty_names:
        beatmap = simfile_set.read(name)
        IntermediateBeatmap(beatmap.data, {**beatmap.meta, "audio": "drums.ogg"}).save(folder / f"{name}.ibf")
    return folder


def test_export_writes_a_set_of_maps_as_one_file_with_a_difficulty_each(converted_simfile, tmp_path, capsys):
    # a mapper's converted set back as one playable set: before, each export wrote its own file (a second into the
    # same simfile or archive failed, or with --overwrite replaced the first)
    assert main(["export", str(converted_simfile), str(tmp_path / "sm"), "--mode", "stepmania"]) == 0
    assert "from 9 maps" in capsys.readouterr().out
    (written,) = (tmp_path / "sm").glob("*.ssc")
    charts = simfile.open(str(written)).charts  # the independent parser
    difficulties = sorted(chart.difficulty for chart in charts)  # each slot once, the second chart for one an Edit
    assert difficulties == ["Beginner", "Challenge", "Easy", "Edit", "Edit", "Edit", "Edit", "Hard", "Medium"]
    expected = {len(IntermediateBeatmap.load(path).hit_objects()) for path in converted_simfile.glob("*.ibf")}
    read_back = StepManiaSimfile(written).read_all()
    assert {len(beatmap.hit_objects()) for beatmap in read_back} == expected
    hard = [converted_simfile / "dance-single Easy 3.ibf", converted_simfile / "dance-single Hard 8.ibf"]
    assert main(["export", *map(str, hard), str(tmp_path / "two.osz"), "--mode", "mania"]) == 0
    with zipfile.ZipFile(tmp_path / "two.osz") as archive:
        names = sorted(name for name in archive.namelist() if name.endswith(".osu"))
    assert names == ["NegaRen - Goin' Under (Fraxtil) [Easy 3].osu", "NegaRen - Goin' Under (Fraxtil) [Hard 8].osu"]
    # a Frets on Fire song holds four difficulties: nothing is written
    assert main(["export", str(converted_simfile), str(tmp_path / "fof"), "--mode", "fretsonfire"]) == 1
    assert "at most 4 difficulties" in capsys.readouterr().err and not (tmp_path / "fof").exists()
    # without --mode the output's name asks for its game (`set.sm` was refused: "name the output with .osz"), and a
    # Frets on Fire song's limit holds there too
    assert main(["export", *map(str, hard), str(tmp_path / "named" / "set.sm")]) == 0
    charts = simfile.open(str(tmp_path / "named" / "set.sm")).charts
    assert sorted(chart.difficulty for chart in charts) == ["Easy", "Hard"]
    assert main(["export", str(converted_simfile), str(tmp_path / "fof" / "notes.chart")]) == 1
    assert "at most 4 difficulties" in capsys.readouterr().err and not (tmp_path / "fof").exists()


def test_export_of_maps_naming_different_songs_or_one_version_fails_cleanly(converted_simfile, tmp_path, capsys):
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(EXAMPLE_SONG, other / "drums.ogg")
    lone = str(shutil.copy(converted_simfile / "dance-single Easy 3.ibf", other / "easy.ibf"))
    pair = [str(converted_simfile / "dance-single Hard 8.ibf"), lone]
    assert main(["export", *pair, str(tmp_path / "out.osz")]) == 1
    assert "name different songs" in capsys.readouterr().err and not (tmp_path / "out.osz").exists()
    assert main(["export", *pair, str(tmp_path / "out.osz"), "--version", "Mine"]) == 1
    assert "one difficulty" in capsys.readouterr().err
    assert main(["export", *pair, str(tmp_path / "out.osz"), "--audio", EXAMPLE_SONG]) == 0
    assert main(["export", str(tmp_path / "out.osz"), str(tmp_path / "again.osz")]) == 1  # not an .ibf
    assert main(["export", str(tmp_path / "empty_folder_missing"), str(tmp_path / "again.osz")]) == 1


def test_export_of_the_folder_above_the_sets_names_them_and_a_folder_is_no_song(converted_simfile, tmp_path, capsys):
    # `beart convert Songs/ maps/` writes a folder per set; `beart export maps/ ...` said only "holds no .ibf file"
    assert main(["export", str(converted_simfile.parent), str(tmp_path / "set.osz")]) == 1
    error = capsys.readouterr().err
    assert "holds no .ibf file; the sets are its folders" in error and str(converted_simfile) in error
    assert not (tmp_path / "set.osz").exists()
    # a folder given as the song: said so, before the model loads (was "Audio file not found"); `generate` takes a song
    # folder of stems (a Frets on Fire / Clone Hero song), which this is not
    for command in (["generate", str(tmp_path)], ["inspect", str(tmp_path), str(tmp_path / "out")]):
        assert main(command) == 1
        error = capsys.readouterr().err
        assert f"{tmp_path} is a folder" in error and "give the song's audio file" in error


def test_convert_writes_each_set_as_a_playable_set_of_another_game(beatmap_folder, tmp_path, capsys, caplog):
    goin_under = CORPUS / "stepmania" / "Goin' Under"
    assert main(["convert", str(goin_under), str(tmp_path / "osu"), "--mode", "mania", "--no-progress"]) == 0
    assert "converted 9 difficulties, skipped 0" in capsys.readouterr().out
    assert os.listdir(tmp_path / "osu") == ["Goin' Under.osz"]
    with zipfile.ZipFile(tmp_path / "osu" / "Goin' Under.osz") as archive:
        assert len([name for name in archive.namelist() if name.endswith(".osu")]) == 9
    # the .osz read back: every chart's notes, and its charter
    converted = open_beatmap_set(str(tmp_path / "osu" / "Goin' Under.osz")).read_all()
    charts = StepManiaSimfile(goin_under / "Goin' Under.ssc").read_all()
    assert sorted(len(beatmap.hit_objects()) for beatmap in converted) == sorted(
        len(retrack(chart, ["LEFT", "DOWN", "UP", "RIGHT"]).hit_objects()) for chart in charts
    )
    assert {beatmap.meta["creator"] for beatmap in converted} == {"Fraxtil"}
    # osu! -> StepMania, the good difficulty of the folder; the refused and broken sets skipped as before
    assert main(["convert", str(beatmap_folder), str(tmp_path / "sm"), "--mode", "stepmania", "--no-progress"]) == 0
    assert "converted 1 difficulties, skipped 3" in capsys.readouterr().out
    (written,) = (tmp_path / "sm" / "Renatus").glob("*.ssc")
    assert len(simfile.open(str(written)).charts) == 1
    # a set the game cannot hold is skipped with its reason, nothing of it written; an existing set is kept
    assert main(["convert", str(goin_under), str(tmp_path / "fof"), "--mode", "fretsonfire", "--no-progress"]) == 1
    assert "1 unwritable as fretsonfire" in capsys.readouterr().out
    assert "A Frets on Fire, Clone Hero song holds at most 4 difficulties" in caplog.text
    assert not (tmp_path / "fof").exists() or not os.listdir(tmp_path / "fof")
    assert main(["convert", str(goin_under), str(tmp_path / "osu"), "--mode", "mania", "--no-progress"]) == 1
    assert "pass --overwrite" in caplog.text


def test_an_interrupted_conversion_leaves_no_set_half_converted(tmp_path, monkeypatch, capsys):
    # interrupted at its fourth difficulty, a set's folder held three maps and its song, and a second run skipped it
    # as existing: "pass --overwrite to replace it"
    from beart.beatmaps import batch_conversion

    goin_under = CORPUS / "stepmania" / "Goin' Under"
    convert_difficulty, calls = batch_conversion._convert_difficulty, []

    def interrupted(*arguments):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return convert_difficulty(*arguments)

    monkeypatch.setattr(batch_conversion, "_convert_difficulty", interrupted)
    (tmp_path / "out").mkdir()
    with pytest.raises(KeyboardInterrupt):
        main(["convert", str(goin_under), str(tmp_path / "out"), "--no-progress"])
    assert os.listdir(tmp_path / "out") == []  # no set folder, no staging folder
    monkeypatch.setattr(batch_conversion, "_convert_difficulty", convert_difficulty)
    assert main(["convert", str(goin_under), str(tmp_path / "out"), "--no-progress"]) == 0
    assert "converted 9 difficulties, skipped 0" in capsys.readouterr().out
    assert len(os.listdir(tmp_path / "out" / "Goin' Under")) == 10
    # replaced with --overwrite file by file: a file of the folder that the set does not write stays
    (tmp_path / "out" / "Goin' Under" / "notes.txt").write_text("mine")
    assert main(["convert", str(goin_under), str(tmp_path / "out"), "--overwrite", "--no-progress"]) == 0
    assert len(os.listdir(tmp_path / "out" / "Goin' Under")) == 11 and os.listdir(tmp_path / "out") == ["Goin' Under"]


def test_export_reads_each_map_once(converted_simfile, tmp_path, capsys, monkeypatch):
    # the command counted the objects it wrote by reading every .ibf a second time
    loads = []
    original = IntermediateBeatmap.load.__func__
    counted = classmethod(lambda cls, path: loads.append(path) or original(cls, path))
    monkeypatch.setattr(IntermediateBeatmap, "load", counted)
    assert main(["export", str(converted_simfile), str(tmp_path / "set.osz"), "--mode", "mania"]) == 0
    expected = sum(len(original(IntermediateBeatmap, path).hit_objects()) for path in converted_simfile.glob("*.ibf"))
    assert f"({expected} hits and holds from 9 maps)" in capsys.readouterr().out
    assert len(loads) == 9 == len(set(loads))
