"""Reading TJA (Taiko) charts: every note timed as the independent `tja` parser times it, courses as maps."""

import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from beart.beatmaps import BeatmapError, convert_beatmaps, course_difficulty, parse_tja, read_tja
from beart.beatmaps.playability import rebuilt_with_objects
from beart.beatmaps.tja_reader import TAIKO_TRACKS, TjaSong
from round_trip import assert_same_maps
from shared_paths import CORPUS, REPOSITORY


tja_reference = pytest.importorskip("tja")

CHARTS = sorted((CORPUS / "opentaiko").glob("*/*.tja"))
REFERENCE_KINDS = {
    "Don": "don", "Ka": "ka", "DonBig": "don", "KaBig": "ka", "Roll": "roll", "RollBig": "roll",
    "Balloon": "balloon", "BalloonAlt": "balloon", "EndOf": "end",
}  # fmt: skip
EVERY_COMMAND = textwrap.dedent(
    """\
    TITLE:Commands
    BPM:120
    OFFSET:-0.5
    WAVE:song.ogg

    COURSE:Oni
    LEVEL:8
    BALLOON:5

    #START
    1020,
    ,
    #MEASURE 3/4
    112,
    10
    20,
    #BPMCHANGE 180
    #SCROLL 2
    #GOGOSTART
    3040,
    5008,
    #BARLINEOFF
    7000,0008,
    #MEASURE 7/8
    1000000,
    9008,
    #BRANCHSTART p,50,80
    #N
    1111,
    #E
    2222,
    #M
    1212,
    #BRANCHEND
    #END
    """
)
MID_MEASURE = textwrap.dedent(
    """\
    BPM:120
    OFFSET:0

    #START
    10
    #BPMCHANGE 180
    20,
    #DELAY 0.25
    1000,
    #BRANCHSTART p,50,80
    #M
    1,
    #BRANCHEND
    2,
    #END
    """
)


UNKNOWN_TO_TJA = frozenset("CDEFGHI")  # OpenTaiko's letters the `tja` package does not read


def reference_notes(text: str):
    """(time in the song in ms, kind) of every note of every chart by the `tja` package, master branch only.

    `tja` 0.5.0 drops every header line after a `PREIMAGE:` line (OFFSET and BPM among them), so those lines are left
    out of what it reads; with its OFFSET read, its timestamps are times in the song, as ours are."""
    text = re.sub(r"^PREIMAGE:.*\n", "", text, flags=re.MULTILINE)
    charts = []
    for chart in tja_reference.parse_tja(text).charts:
        notes = [
            (note.timestamp * 1000.0, REFERENCE_KINDS[note.note_type])
            for segment in chart.segments
            if segment.branch in (None, "Master", "M")
            for note in segment.notes
            if note.note_type in REFERENCE_KINDS
        ]
        charts.append(notes)
    return charts


def assert_same_notes(text: str, name: str):
    """Every note the same kind and within 1 ms of `tja`'s time, except in the measures that hold OpenTaiko's
    extension letters (C-I: bombs, fuse rolls, ad-lib notes), where `tja` gives some letters no slot of the measure
    while every simulator's rule (and ours) gives each character one."""
    ours = parse_tja(text, name)
    expected = reference_notes(text)
    assert len(ours.courses) == len(expected)
    for course, notes in zip(ours.courses, expected):
        known = [note for note in course.notes if note.letter not in UNKNOWN_TO_TJA]
        assert [note.kind for note in known] == [kind for _, kind in notes], course.name
        plain = [note.measure not in course.measures_with_extension_notes for note in known]
        assert sum(plain) > 0.9 * len(plain)
        ours_ms = np.array([note.time_ms for note in known])[plain]
        np.testing.assert_allclose(ours_ms, np.array([time for time, _ in notes])[plain], atol=1.0)
    return ours


@pytest.mark.parametrize("path", CHARTS, ids=lambda path: path.parent.name)
def test_every_note_of_the_shared_charts_is_timed_as_the_tja_package_does(path):
    text = path.read_bytes().decode("utf-8-sig")
    ours = assert_same_notes(text, path.name)
    assert sum(len(course.notes) for course in ours.courses) > 100


@pytest.mark.parametrize(
    "path", [path for path in CHARTS if b"#BPMCHANGE" in path.read_bytes()], ids=lambda path: path.parent.name
)
def test_each_bpm_change_is_the_maps_tempo_from_where_it_stands(path):
    """The TEMPO column at every note is the BPM the `tja` package gives that note (Very long title runs 21 to 168
    BPM, brokenHeart switches between 101 and 202), not the header's BPM throughout."""
    text = re.sub(r"^PREIMAGE:.*\n", "", path.read_bytes().decode("utf-8-sig"), flags=re.MULTILINE)
    for beatmap, chart in zip(read_tja(path, for_training=False), tja_reference.parse_tja(text).charts):
        notes = [(note.timestamp * 1000.0, note.bpm) for segment in chart.segments
                 if segment.branch in (None, "Master", "M") for note in segment.notes]  # fmt: skip
        steps = np.round(np.array([time for time, _ in notes]) / 10.0).astype(int)
        np.testing.assert_allclose(beatmap.data["TEMPO"].to_numpy()[steps], [bpm for _, bpm in notes])


def test_every_command_is_timed_as_the_tja_package_does():
    ours = assert_same_notes(EVERY_COMMAND, "commands.tja")
    course = ours.courses[0]
    assert course.branched
    times = [note.time_ms for note in course.notes]
    # First measure at song time 0.5 s (OFFSET -0.5); 2 s per 4/4 measure at 120 BPM; the empty measure lasts too.
    assert times[:3] == pytest.approx([500.0, 1500.0, 4500.0])


def test_commands_inside_a_measure_act_where_they_stand():
    """What the simulators do and `tja` 0.5.0 does not (it applies a #BPMCHANGE inside a measure from the next
    measure, drops #DELAY, and reads nothing after a branched section)."""
    times = [note.time_ms for note in parse_tja(MID_MEASURE).courses[0].notes]
    half_at_120, half_at_180 = 1000.0, 2000.0 / 3.0  # two beats each
    assert times[:2] == pytest.approx([0.0, half_at_120])
    next_measure = half_at_120 + half_at_180 + 250.0  # the #DELAY of 0.25 s
    assert times[2] == pytest.approx(next_measure)
    assert times[3:] == pytest.approx([next_measure + 4000.0 / 3.0, next_measure + 8000.0 / 3.0])


def test_courses_become_taiko_maps_with_holds_and_their_level(tmp_path):
    (tmp_path / "song.ogg").write_bytes(b"OggS")
    (tmp_path / "commands.tja").write_text(EVERY_COMMAND.replace("COURSE:Oni", "COURSE:Hard\nLEVEL:4"))
    (beatmap,) = read_tja(tmp_path / "commands.tja")
    assert beatmap.tracks == ["LEFT", "RIGHT"] and beatmap.audio == "song.ogg"
    assert beatmap.difficulty == pytest.approx(course_difficulty("Hard", 8))
    objects = beatmap.hit_objects()
    holds = objects[objects["end"] > objects["start"]]
    # The drumroll (5 ... 8) holds on LEFT; the balloon and the kusudama (7/9 ... 8) on both tracks, flagged SPINNER.
    assert len(holds[holds["track"] == "LEFT"]) == 3 and len(holds[holds["track"] == "RIGHT"]) == 2
    assert len(beatmap.flag_spans("SPINNER")) == 2
    kinds = [note.kind for note in parse_tja(EVERY_COMMAND).courses[0].notes]
    assert len(objects) == sum(kind in ("don", "ka") for kind in kinds) + 1 + 2 * 2


OPENTAIKO_LETTERS = textwrap.dedent(
    """\
    BPM:120
    WAVE:song.ogg

    COURSE:Oni
    #START
    1G2D0008,
    C0F0H008,
    I8,
    E1,
    #END
    """
)


def test_opentaiko_letters_are_read_as_the_simulator_plays_them(tmp_path, caplog):
    """OpenTaiko's NotesManager: G a purple note (don and ka at once), D a fuse roll (a balloon), H and I drumrolls,
    C a mine and F an ad-lib note (nothing a player must hit); every letter takes its slot of the measure."""
    (tmp_path / "song.ogg").write_bytes(b"OggS")
    (tmp_path / "letters.tja").write_text(OPENTAIKO_LETTERS)
    with caplog.at_level("INFO"):
        (beatmap,) = read_tja(tmp_path / "letters.tja", for_training=False)
    objects = beatmap.hit_objects().sort_values(["start", "track"])
    # 8 slots of 250 ms per 4/4 measure at 120 BPM, then 2 slots of 1 s; E, unknown, is left out with a warning.
    assert objects.values.tolist() == [
        ["LEFT", 0, 0], ["LEFT", 250, 250], ["RIGHT", 250, 250], ["RIGHT", 500, 500],
        ["LEFT", 750, 1750], ["RIGHT", 750, 1750], ["LEFT", 3000, 3750], ["LEFT", 4000, 5000], ["LEFT", 7000, 7000],
    ]  # fmt: skip
    assert beatmap.flag_spans("SPINNER").values.tolist() == [[750, 1750]]
    warnings = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert len(warnings) == 1 and "line 9: note 'E'" in warnings[0]
    assert any("1 mine, 1 ad-lib note left out" in record.getMessage() for record in caplog.records)
    assert parse_tja(OPENTAIKO_LETTERS).courses[0].measures_with_extension_notes == {0, 1, 2, 3}


def test_course_bands_order_the_difficulties():
    order = [course_difficulty(name, level) for name, level in (("Easy", 1), ("Easy", 5), ("Normal", 4), ("Hard", 8))]
    order += [course_difficulty("Oni", 10)]
    assert order == sorted(order) and 0 <= order[0] and order[-1] < 1


def test_a_file_naming_a_course_twice_keeps_both_in_order():
    song = TjaSong(CORPUS / "opentaiko" / "061 - The Abyss" / "The Abyss.tja")
    assert song.difficulty_names == ["Oni", "Hard", "Normal", "Easy", "Hard 2", "Normal 2", "Easy 2"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("BPM:abc\n#START\n1111,\n#END\n", "BPM 'abc' is not a number"),
        ("BPM:120\n", "no course"),
        ("BPM:120\n#START\n#MEASURE 0/4\n1111,\n#END\n", "not a positive fraction"),
    ],
)
def test_bad_files_name_the_problem(text, message):
    with pytest.raises(BeatmapError, match=message):
        parse_tja(text, "bad.tja")


def test_a_course_that_lost_its_end_is_read_to_the_next_start_or_the_file_s_end(caplog):
    # A file cut short, or a course whose #END is lost before the next course: read as the tja parser reads them (to
    # the file's end; a new #START begins a new course), with a warning naming the line; the headers between the two
    # name the second course, not the first.
    cut_short = "BPM:120\nOFFSET:0\nCOURSE:Oni\nLEVEL:8\n#START\n1111,\n2222,\n"
    with caplog.at_level("WARNING"):
        (course,) = assert_same_notes(cut_short, "cut.tja").courses
    assert course.name == "Oni" and len(course.notes) == 8
    assert "cut.tja, line 5: #START without #END; the course is read to the end of the file." in caplog.text
    caplog.clear()
    lost = cut_short + "COURSE:Easy\nLEVEL:2\n#START\n1010,\n#END\n"
    with caplog.at_level("WARNING"):
        oni, easy = parse_tja(lost, "lost.tja").courses
    assert "lost.tja, line 10: #START inside the course begun at line 5" in caplog.text
    first, _ = reference_notes(lost)
    assert [note.time_ms for note in oni.notes] == pytest.approx([time for time, _ in first], abs=1.0)
    assert (easy.name, easy.level, [note.time_ms for note in easy.notes]) == ("Easy", 2, pytest.approx([0.0, 1000.0]))
    assert oni.level == 8


def test_convert_reads_tja_songs_beside_other_formats(tmp_path):
    folder = CORPUS / "opentaiko" / "S01 - Relaxation Piece of Conclusion"
    report = convert_beatmaps(folder, tmp_path / "out", progress=False)
    assert len(report.converted) == len(parse_tja((next(folder.glob("*.tja"))).read_bytes()).courses)
    assert not report.skipped


def hits_on_both_as_big_dons(chart):
    """The chart as the writer writes it: a hit on both tracks at once (OpenTaiko's purple note, G) is a big don (3),
    which every simulator plays and which reads back as a don alone."""
    objects = chart.hit_objects()
    hits = objects[objects["end"] == objects["start"]]
    on_both = hits.groupby("start")["track"].transform("nunique") > 1
    ka_of_both = on_both & (hits["track"] == TAIKO_TRACKS[1])
    return rebuilt_with_objects(chart, objects.drop(index=hits.index[ka_of_both.to_numpy()]))


@pytest.mark.parametrize("path", CHARTS, ids=lambda path: path.parent.name)
def test_real_charts_survive_tja_to_ibf_to_tja(path, tmp_path, caplog):
    from beart.beatmaps.tja_writer import tja_text

    originals = read_tja(path, for_training=False)
    text = tja_text(originals)
    # The Abyss names Hard, Normal and Easy twice, which a simulator shows once each: the writer says so
    assert ("shows one course of a name" in caplog.text) == (path.parent.name == "061 - The Abyss")
    written = tmp_path / "back.tja"
    written.write_text(text, encoding="utf-8")
    (tmp_path / originals[0].audio).write_bytes(b"OggS")
    rereads = read_tja(written, for_training=False)
    assert_same_maps([hits_on_both_as_big_dons(chart) for chart in originals], rereads, difficulty_tolerance=0.1)
    # The written file times every note as the independent parser does.
    assert_same_notes(text, "back.tja")


def test_export_and_generate_write_tja_songs(tmp_path, example_song, capsys):
    from beart.cli import main

    path = CORPUS / "opentaiko" / "S01 - Relaxation Piece of Conclusion"
    convert_beatmaps(path, tmp_path / "ibf", progress=False)
    ibf = sorted((tmp_path / "ibf").rglob("*.ibf"))[0]
    assert main(["export", str(ibf), str(tmp_path / "song"), "--mode", "tja"]) == 0
    (written,) = (tmp_path / "song").glob("*.tja")
    assert len(list((tmp_path / "song").glob("*.ogg"))) == 1
    assert main(["export", str(ibf), str(tmp_path / "song"), "--mode", "tja"]) == 1  # exists: not replaced
    assert "--overwrite" in capsys.readouterr().err
    output = tmp_path / "generated"
    command = ["generate", example_song, "-o", str(output), "--mode", "tja", "--end", "8", "--no-progress"]
    assert main(command) == 0
    (generated,) = output.glob("*.tja")
    assert generated.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM, which OpenTaiko needs
    assert_same_notes(generated.read_text(encoding="utf-8-sig"), generated.name)
    assert parse_tja(generated.read_bytes()).courses[0].notes


def test_chart_offsets_example_finds_the_shared_charts_on_their_audio():
    """The Abyss says OFFSET:-6.003: read with the right sign, its Oni chart lies on its audio's onsets (unshifted
    best), where the wrong sign would put it 12 s off."""
    script = REPOSITORY / "examples" / "chart_offsets.py"
    folder = CORPUS / "opentaiko" / "061 - The Abyss"
    result = subprocess.run([sys.executable, str(script), str(folder)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    oni = next(line for line in result.stdout.splitlines() if line.endswith("[Oni]"))
    shift, shifted, unshifted = oni.split()[:3]
    assert abs(float(shift)) <= 20 and float(unshifted) > 0.4


@pytest.mark.parametrize("path", CHARTS, ids=lambda path: path.parent.name)
def test_the_file_model_writes_back_what_it_read(path):
    """`TjaFile.text` (what the writer serializes through) reads back with every course's notes unchanged."""
    parsed = parse_tja(path.read_bytes(), path.name)
    reread = parse_tja(parsed.text(), path.name)
    assert [course.name for course in reread.courses] == [course.name for course in parsed.courses]
    for before, after in zip(parsed.courses, reread.courses):
        assert after.level == before.level and [note.kind for note in after.notes] == [n.kind for n in before.notes]
        np.testing.assert_allclose([note.time_ms for note in after.notes], [n.time_ms for n in before.notes], atol=1e-6)
