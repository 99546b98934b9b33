"""A file broken on every line: each reader names its first `MAX_NAMED_LINES` skipped lines, then counts the rest in
one warning, and reads what it can."""

from beart.beatmaps import parse_tja
from beart.beatmaps.fretsonfire_chart import parse_notes_chart
from beart.beatmaps.osu_file import parse_osu
from beart.beatmaps.skipped_lines import MAX_NAMED_LINES


BROKEN = 25


def warnings_of(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]


def test_an_osu_file_with_many_broken_lines_names_the_first_and_counts_the_rest(caplog):
    text = "osu file format v14\n[General]\nMode: 0\n[HitObjects]\n" + "256,192,1000,1,0\n"
    text += "".join(f"{index},oops\n" for index in range(BROKEN))
    with caplog.at_level("WARNING"):
        parsed = parse_osu(text, "many.osu")
    messages = warnings_of(caplog)
    assert parsed.skipped_lines == BROKEN and len(parsed.hit_objects) == 1
    assert sum("many.osu, line" in message for message in messages) == MAX_NAMED_LINES
    assert f"many.osu: {BROKEN - MAX_NAMED_LINES} more lines skipped ({BROKEN} in all" in " ".join(messages)


def test_a_chart_file_with_many_broken_lines_names_the_first_and_counts_the_rest(caplog):
    text = "[Song]\n{\nResolution = 192\n}\n[SyncTrack]\n{\n0 = B 120000\n}\n[ExpertSingle]\n{\n0 = N 0 0\n}\n"
    text += "".join(f"garbage {index}\n" for index in range(BROKEN))
    with caplog.at_level("WARNING"):
        chart, _ = parse_notes_chart(text.encode(), "many.chart")
    messages = warnings_of(caplog)
    assert len(chart.parts[0].notes) == 1
    assert sum("many.chart, line" in message for message in messages) == MAX_NAMED_LINES
    assert f"many.chart: {BROKEN - MAX_NAMED_LINES} more lines skipped ({BROKEN} in all" in " ".join(messages)


def test_a_tja_course_with_many_unknown_notes_names_the_first_and_counts_the_rest(caplog):
    text = "TITLE:x\nBPM:120\nOFFSET:0\nCOURSE:Oni\n#START\n1" + "Q" * BROKEN + ",\n#END\n"
    with caplog.at_level("WARNING"):
        parsed = parse_tja(text, "many.tja")
    messages = warnings_of(caplog)
    assert len(parsed.courses[0].notes) == 1
    assert sum("is not a don, ka or roll" in message for message in messages) == MAX_NAMED_LINES
    assert f"{BROKEN - MAX_NAMED_LINES} more unknown notes left out ({BROKEN} in all" in " ".join(messages)
