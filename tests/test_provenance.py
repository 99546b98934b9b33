"""Who made a map, through every format (`beart.beatmaps.provenance`): a person's chart keeps its charter's credit and
reads back as theirs, for training too; a map beart generated, or read from a file that says it is AI-generated, says so
in every format and is refused for training, as an `.ibf` in a corpus too. Credits are read back with the independent
parsers where one reads them (`simfile`, `tja`, `configparser`)."""

import configparser
import re
import zipfile

import pytest
import simfile
import tja

from beart.beatmaps import AIGeneratedError, IntermediateBeatmap
from beart.beatmaps.formats import WRITE_MODES, open_beatmap_set, write_beatmaps
from beart.beatmaps.provenance import AI_GENERATED, map_credit, set_credit
from beart.beatmaps.stepmania_file import parse_simfile
from beart.beatmaps.stepmania_reader import chart_to_intermediate
from beart.training import build_corpus

from shared_paths import CORPUS, EXAMPLE_SONG


SIMFILE = CORPUS / "stepmania" / "Goin' Under" / "Goin' Under.ssc"
CHART = 1  # dance-single Challenge, credited to Fraxtil


def goin_under_chart(text: str | None = None, for_training: bool = True) -> IntermediateBeatmap:
    """One of Goin' Under's human charts, read from the simfile's text (its own by default)."""
    text = SIMFILE.read_text(encoding="utf-8") if text is None else text
    parsed = parse_simfile(text.encode("utf-8"), SIMFILE.name)
    return chart_to_intermediate(parsed, parsed.charts[CHART], for_training=for_training)


def written_and_read_back(
    beatmap: IntermediateBeatmap, mode: str, folder, for_training: bool, **metadata
) -> IntermediateBeatmap:
    """The map written in `mode` with the example song (and `metadata`), then read back by beart."""
    output = folder / ("song.osz" if mode in ("osu", "taiko", "catch", "mania") else "song")
    written = write_beatmaps([beatmap], output, EXAMPLE_SONG, mode=mode, model_name="beart-test", **metadata)
    source = next(path for path in written if not path.endswith((".ini", ".sm")))  # the .osz, .ssc, .tja, notes.mid
    beatmap_set = open_beatmap_set(source if not source.endswith("notes.mid") else output)
    (name,) = beatmap_set.difficulty_names
    return beatmap_set.read(name, for_training=for_training)


def credits_in_files(folder, mode: str) -> str:
    """The credit fields of the written files, read by the independent parsers where there is one."""
    if mode in ("osu", "taiko", "catch", "mania"):
        with zipfile.ZipFile(folder / "song.osz") as archive:
            (name,) = [member for member in archive.namelist() if member.endswith(".osu")]
            text = archive.read(name).decode("utf-8")
        return " ".join(re.findall(r"^(?:Creator|Source|Tags):(.*?)\r?$", text, flags=re.MULTILINE))
    if mode == "stepmania":
        (path,) = (folder / "song").glob("*.ssc")
        song = simfile.open(str(path))
        return " ".join([song.credit or "", *(f"{c.description} {c.get('CREDIT', '')}" for c in song.charts)])
    if mode == "tja":
        (path,) = (folder / "song").glob("*.tja")
        return tja.parse_tja(path.read_text(encoding="utf-8-sig")).metadata["MAKER"]
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(folder / "song" / "song.ini", encoding="utf-8")
    return ini["song"]["charter"]


@pytest.mark.parametrize("mode", WRITE_MODES)
def test_a_persons_chart_keeps_its_charter_and_reads_back_as_theirs(tmp_path, mode):
    chart = goin_under_chart()
    assert chart.meta["creator"] == "Fraxtil" and AI_GENERATED not in chart.meta
    read_back = written_and_read_back(chart, mode, tmp_path, for_training=True)  # not refused: a person's chart
    assert read_back.meta["creator"] == "Fraxtil" and AI_GENERATED not in read_back.meta
    credits = credits_in_files(tmp_path, mode)
    assert "Fraxtil" in credits and not re.search("ai-generated|beart", credits, re.IGNORECASE)


@pytest.mark.parametrize("mode", WRITE_MODES)
def test_a_map_beart_generated_says_so_in_every_format(tmp_path, mode):
    human = goin_under_chart()
    generated = IntermediateBeatmap(human.data, {**human.meta, "creator": "", "source": {"format": "beart"}})
    with pytest.raises(AIGeneratedError, match="AI-generated"):
        written_and_read_back(generated, mode, tmp_path, for_training=True)
    assert re.search("ai-generated", credits_in_files(tmp_path, mode), re.IGNORECASE)
    assert "beart-test" in credits_in_files(tmp_path, mode)
    read_back = written_and_read_back(generated, mode, tmp_path / "again", for_training=False)
    assert read_back.meta[AI_GENERATED] is True
    assert "AI-generated" in map_credit(read_back.meta)  # osu!'s Creator reads BEaRT: "BEaRT (AI-generated)"


@pytest.mark.parametrize("mode", WRITE_MODES)
def test_a_map_read_from_a_file_that_says_it_is_ai_generated_stays_so(tmp_path, mode):
    # another tool's map, credited as AI-generated: read for conversion, never passed off as a person's
    text = SIMFILE.read_text(encoding="utf-8").replace("#CREDIT:Fraxtil;", "#CREDIT:AI-generated by ToolX;")
    with pytest.raises(AIGeneratedError, match="ToolX"):
        goin_under_chart(text)
    tools_map = goin_under_chart(text, for_training=False)
    assert tools_map.meta[AI_GENERATED] is True
    with pytest.raises(AIGeneratedError):
        written_and_read_back(tools_map, mode, tmp_path, for_training=True)
    credits = credits_in_files(tmp_path, mode)
    assert "ToolX" in credits and "beart-test" not in credits
    # through an .ibf too: the mark is kept
    tools_map.save(tmp_path / "tool.ibf")
    assert IntermediateBeatmap.load(tmp_path / "tool.ibf").meta[AI_GENERATED] is True


def test_a_set_credits_each_maker_once_and_marks_its_ai_generated_maps():
    person, other = {"creator": "Fraxtil"}, {"creator": "bkd"}
    tool, generated = {"creator": "ToolX", AI_GENERATED: True}, {"creator": "", "source": {"format": "beart"}}
    assert set_credit([person, other, person]) == "Fraxtil, bkd"
    assert set_credit([person, tool, generated], "m") == "Fraxtil, ToolX (AI-generated), AI-generated by m"
    assert set_credit([{"creator": ""}]) == "" and map_credit({AI_GENERATED: True}) == "AI-generated"
    assert map_credit({"creator": "AI-generated by ToolX", AI_GENERATED: True}) == "AI-generated by ToolX"
    assert map_credit(generated, "m", creator="Me") == "Me (AI-generated by m)"
    assert map_credit(tool, creator="Me") == "Me (AI-generated)" and map_credit(person, creator="Me") == "Me"


def test_a_corpus_refuses_an_ibf_that_is_ai_generated(tmp_path, fixture_song):
    fixture_song(tmp_path / "songs" / "person")
    fixture_song(tmp_path / "songs" / "model", name="generated")
    generated = tmp_path / "songs" / "model" / "generated.ibf"
    beatmap = IntermediateBeatmap.load(generated)
    IntermediateBeatmap(beatmap.data, {**beatmap.meta, "source": {"format": "beart"}}).save(generated)
    report = build_corpus(tmp_path / "songs", tmp_path / "corpus", test_size=0.0, progress=False)
    assert report.skipped == [(str(generated), f"refused: {generated}: its metadata says it is AI-generated")]
    assert report.maps["train"] == 1


@pytest.mark.parametrize("mode", WRITE_MODES)
def test_the_creator_given_is_credited_in_every_format_and_a_generated_map_stays_marked(tmp_path, mode):
    chart = goin_under_chart()
    read_back = written_and_read_back(chart, mode, tmp_path / "person", for_training=True, creator="Me Myself")
    assert read_back.meta["creator"] == "Me Myself"
    generated = IntermediateBeatmap(chart.data, {**chart.meta, "source": {"format": "beart"}})
    with pytest.raises(AIGeneratedError):
        written_and_read_back(generated, mode, tmp_path / "model", for_training=True, creator="Me Myself")
    credits = credits_in_files(tmp_path / "model", mode)
    assert "Me Myself" in credits and re.search("ai-generated", credits, re.IGNORECASE)


def test_each_taiko_course_credits_its_own_charter(tmp_path):
    # OpenTaiko's files credit each course in its block (NOTESDESIGNER0 for Easy ... 4 for Edit) beside the song's
    # MAKER: a set of two charters' courses reads back with each course's own charter
    easy, hard = goin_under_chart(), goin_under_chart()
    easy = IntermediateBeatmap(easy.data, {**easy.meta, "creator": "Komi", "difficulty": 0.1})
    hard = IntermediateBeatmap(hard.data, {**hard.meta, "creator": "Colin", "difficulty": 0.6})
    (written,) = [path for path in write_beatmaps([easy, hard], tmp_path / "song", EXAMPLE_SONG, mode="tja")
                  if path.endswith(".tja")]  # fmt: skip
    text = open(written, encoding="utf-8-sig").read()
    assert tja.parse_tja(text).metadata["MAKER"] == "Komi, Colin"
    assert re.search(r"^NOTESDESIGNER0:Komi$", text, re.M) and re.search(r"^NOTESDESIGNER2:Colin$", text, re.M)
    read_back = open_beatmap_set(written).read_all()
    assert [(beatmap.meta["version"].split()[0], beatmap.meta["creator"]) for beatmap in read_back] == [
        ("Easy", "Komi"), ("Hard", "Colin")
    ]
