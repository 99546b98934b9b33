"""Chart files in the encodings Windows editors save (`beart.beatmaps.text_decoding`): a file saved as UTF-16 with its
byte order mark reads as its UTF-8 twin in every text format, a `song.ini` in Windows-1252 keeps its accents, and a
file no encoding reads is read with a warning naming it."""

import numpy as np
import pandas as pd
import pytest

from beart.beatmaps.fretsonfire_reader import FretsOnFireSong
from beart.beatmaps.osu_file import parse_osu
from beart.beatmaps.stepmania_file import parse_simfile
from beart.beatmaps.text_decoding import decode_text
from beart.beatmaps.tja_file import parse_tja

from shared_paths import CORPUS
from test_fretsonfire import midi_bytes, note, song_folder


OSU = CORPUS / "ppy-osu-tests" / "decoder" / "Soleily - Renatus (Gamu) [Insane].osu"
SIMFILE = CORPUS / "stepmania" / "Goin' Under" / "Goin' Under.ssc"
TJA = CORPUS / "opentaiko" / "085 - Very long title" / "leftalone.tja"


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_file_saved_as_utf_16_reads_as_its_utf_8_twin(encoding):
    mark = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}[encoding]
    for path, parse, notes in (
        (OSU, parse_osu, lambda parsed: parsed.hit_objects),
        (SIMFILE, parse_simfile, lambda parsed: [chart.notes.value for chart in parsed.charts]),
        (TJA, parse_tja, lambda parsed: [[n.time_ms for n in course.notes] for course in parsed.courses]),
    ):
        text = path.read_bytes().decode("utf-8-sig")
        twin, saved = parse(text.encode("utf-8"), path.name), parse(mark + text.encode(encoding), path.name)
        if isinstance(notes(twin), pd.DataFrame):
            pd.testing.assert_frame_equal(notes(saved), notes(twin))
        else:
            assert notes(saved) == notes(twin) and len(notes(twin)) > 0, path.name


def test_a_song_ini_saved_as_utf_16_keeps_its_delay_and_one_in_windows_1252_its_accents(tmp_path):
    chart = midi_bytes([("PART GUITAR", note(96, 0, 10))])
    ini = "[song]\nname = Café Noir\nartist = Motörhead\ndelay = 250\n"
    plain = FretsOnFireSong(song_folder(tmp_path / "plain", chart, ini))
    saved = song_folder(tmp_path / "utf16", chart)
    (saved / "song.ini").write_bytes(b"\xff\xfe" + ini.encode("utf-16-le"))
    latin = song_folder(tmp_path / "latin", chart)
    (latin / "song.ini").write_bytes(ini.encode("cp1252"))
    for song in (FretsOnFireSong(saved), FretsOnFireSong(latin)):
        assert song.offset_ms == plain.offset_ms == 250.0  # a delay lost would move every note by 250 ms
        assert (song.ini.get("name"), song.ini.get("artist")) == ("Café Noir", "Motörhead")
        np.testing.assert_allclose(song.read_all()[0].hit_objects()["start"], [250.0], atol=1e-6)


def test_bytes_no_encoding_reads_are_replaced_with_a_warning_naming_the_file(caplog):
    with caplog.at_level("WARNING"):
        text, encoding = decode_text(b"Title:\x81\n", "odd.osu")
    assert (text, encoding) == ("Title:\ufffd\n", "cp1252")
    assert "odd.osu: the file is not text in UTF-8, Windows-1252; it is read as Windows-1252" in caplog.text
    assert decode_text("\ufeffTitle:é".encode("utf-8"), "a.osu") == ("Title:é", "utf-8-sig")
    assert decode_text("Titre : é".encode("cp1252"), "b.osu") == ("Titre : é", "cp1252")
