"""Hostile and clumsy input (issue: untrusted files can't hurt): nothing deleted, read or written outside the named
paths, nothing overwritten unasked, bounded memory and time, clear errors instead of tracebacks."""

import io
import json
import logging
import os
import re
import shutil
import stat
import textwrap
import zipfile

import numpy as np
import pandas as pd
import pytest
import soundfile
from transformers import pipeline

import beart
from beart.audio import AudioError, load_audio
from beart.beatmaps import BeatmapError, FretsOnFireSong, IntermediateBeatmap, convert_beatmaps, export_intermediate
from beart.beatmaps.batch_conversion import find_beatmap_sets
from beart.beatmaps.formats import WRITE_MODES, open_beatmap_set
from beart.beatmaps.numbers import finite_number
from beart.beatmaps.osu_file import parse_osu
from beart.beatmaps.osu_reader import OsuArchive, osu_to_intermediate
from beart.beatmaps.stepmania_file import parse_simfile
from beart.beatmaps.tja_file import parse_tja
from beart.beatmaps.stepmania_reader import chart_to_intermediate
from beart.cli import main
from beart.safety import LimitError, UnsafePathError, confined_name, limits
from beart.training.corpus import build_corpus, load_corpus


OSU_MAP = textwrap.dedent(
    """\
    osu file format v14

    [General]
    AudioFilename: audio.wav
    Mode: 3

    [Metadata]
    Title:Hostile
    Version:Hard

    [Difficulty]
    CircleSize:4
    OverallDifficulty:5

    [TimingPoints]
    0,500,4,2,0,100,1,0

    [HitObjects]
    64,192,1000,1,0,0:0:0:0:
    192,192,1500,1,0,0:0:0:0:
    320,192,2000,128,0,2500:0:0:0:0:
    """
)
SIMFILE = textwrap.dedent(
    """\
    #TITLE:Hostile;
    #MUSIC:audio.wav;
    #OFFSET:0;
    #BPMS:0=120;
    {extra}
    #NOTES:
         {steps_type}:
         :
         Easy:
         2:
         0,0,0,0,0:
    {rows}
    ;
    """
)


def _wav_bytes(seconds=2.0, rate=22050, value=None) -> bytes:
    samples = np.random.default_rng(0).uniform(-0.5, 0.5, int(seconds * rate)).astype(np.float32)
    if value is not None:
        samples[:] = value
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, rate, format="WAV", subtype="FLOAT")
    return buffer.getvalue()


def _song_folder(folder, osu_text=OSU_MAP, name="map.osu"):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(osu_text)
    (folder / "audio.wav").write_bytes(_wav_bytes())
    return folder


def _ibf(path, audio_name):
    objects = pd.DataFrame({"track": "LEFT", "start": [500.0, 1000.0], "end": [500.0, 1000.0]})
    IntermediateBeatmap.from_hit_objects(objects, {"audio": audio_name, "difficulty": 0.5, "tracks": ["LEFT"]}).save(
        path
    )
    return path


def _rewritten_ibf(path, meta=None, data=None):
    """`_ibf`'s map (audio `audio.wav`) written to `path` by hand, its metadata `meta(metadata)` and its table
    `data(table)` where given: an `.ibf` anyone could write."""
    with zipfile.ZipFile(_ibf(path.parent / "map.ibf", "audio.wav")) as archive:
        metadata = json.loads(archive.read("meta.json"))
        table = pd.read_parquet(io.BytesIO(archive.read("data.pq")))
    parquet = io.BytesIO()
    (data(table) if data else table).to_parquet(parquet)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("meta.json", json.dumps(meta(metadata) if meta else metadata))
        archive.writestr("data.pq", parquet.getvalue())
    return path


HOSTILE_TITLE = "Evil 千本桜\r\n[HitObjects]\r\n256,192,1500,1,0\n#BPMS:0=999;\n#START\n1111,\u2028end; of: it"


@pytest.mark.parametrize("mode", WRITE_MODES)
def test_a_title_from_an_ibf_writes_no_line_of_its_own(tmp_path, mode):
    # an .ibf anyone can write names the title (and the creator) the export writes: its line breaks and a simfile's
    # `;` and `:` must not start lines, entries or fields of the written file (and a title in Japanese, which the MIDI
    # writer refused, is written in every format)
    objects = pd.DataFrame({"track": "LEFT", "start": [500.0, 1000.0], "end": [500.0, 1000.0]})
    meta = {"audio": "song.wav", "difficulty": 0.5, "tracks": ["LEFT"], "title": HOSTILE_TITLE, "artist": "a\nb",
            "creator": HOSTILE_TITLE}  # the writers credit a person's map to its own creator
    IntermediateBeatmap.from_hit_objects(objects, meta).save(tmp_path / "map.ibf")
    soundfile.write(tmp_path / "song.wav", np.zeros(44100 * 2, dtype=np.float32), 44100)
    output = tmp_path / ("out.osz" if mode in ("osu", "taiko", "catch", "mania") else "out")
    export_intermediate(tmp_path / "map.ibf", output, mode=mode, version="Hard\nVersion: x")
    (source,) = find_beatmap_sets(output)
    (beatmap,) = open_beatmap_set(source).read_all(for_training=False)
    assert len(beatmap.hit_objects().drop_duplicates("start")) == 2
    title = beatmap.meta["title"]
    assert "\n" not in title and "\r" not in title and title.startswith("Evil 千本桜 [HitObjects] 256,192,1500,1,0")
    assert beatmap.meta["artist"] in ("a b", "")  # Frets on Fire keeps no artist in the map
    creator = beatmap.meta["creator"]
    assert "\n" not in creator and "\r" not in creator
    assert creator.startswith("Evil 千本桜 [HitObjects] 256,192,1500,1,0")


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# 1. Data loss and confinement


def test_dataset_build_never_deletes_a_folder_it_did_not_make(tmp_path):
    songs = _song_folder(tmp_path / "songs")
    (songs / "precious.txt").write_text("my notes")
    (songs / "sub").mkdir()
    (songs / "sub" / "thesis.txt").write_text("years of work")
    before = sorted(str(path.relative_to(songs)) for path in songs.rglob("*"))
    for output in (songs, tmp_path):  # OUT = IN, and OUT = a parent holding everything
        with pytest.raises(FileExistsError, match="not a BEaRT corpus"):
            build_corpus(songs, output, progress=False)
        assert main(["dataset", "build", str(songs), str(output), "--no-progress", "--overwrite"]) == 1
    assert sorted(str(path.relative_to(songs)) for path in songs.rglob("*")) == before
    assert (songs / "sub" / "thesis.txt").read_text() == "years of work"


def test_dataset_build_replaces_a_corpus_only_when_asked(tmp_path):
    songs = _song_folder(tmp_path / "songs")
    corpus = tmp_path / "corpus"
    (tmp_path / "corpus.partial").mkdir()  # a folder of the user's that the old staging name would have removed
    (tmp_path / "corpus.partial" / "keep.txt").write_text("mine")
    assert build_corpus(songs, corpus, test_size=0.0, progress=False).built
    with pytest.raises(FileExistsError, match="--overwrite"):
        build_corpus(songs, corpus, test_size=0.0, progress=False)
    assert build_corpus(songs, corpus, test_size=0.0, progress=False, overwrite=True).built
    assert (tmp_path / "corpus.partial" / "keep.txt").read_text() == "mine"
    assert stat.S_IMODE(os.stat(corpus).st_mode) == 0o777 & ~_current_umask()
    assert sorted(os.listdir(tmp_path)) == ["corpus", "corpus.partial", "songs"]


@pytest.mark.parametrize("audio_name", ["/etc/passwd", "../../etc/hostname", "..\\..\\etc\\hostname", "sub/.."])
def test_audio_named_by_a_map_stays_inside_its_folder(tmp_path, audio_name):
    folder = tmp_path / "shared"
    folder.mkdir()
    (folder / "sub").mkdir()
    ibf = _ibf(folder / "map.ibf", audio_name)
    with pytest.raises(UnsafePathError, match="outside its own folder"):
        export_intermediate(ibf, tmp_path / "out.osz")
    assert not (tmp_path / "out.osz").exists()
    assert main(["export", str(ibf), str(tmp_path / "out.osz")]) == 1
    report = build_corpus(folder, tmp_path / "corpus", progress=False)
    assert not report.built and report.skipped[0][1].startswith("unsafe")


def test_a_link_out_of_the_song_folder_is_not_followed(tmp_path):
    secret = tmp_path / "secret.wav"
    secret.write_bytes(_wav_bytes())
    folder = tmp_path / "song"
    folder.mkdir()
    (folder / "map.osu").write_text(OSU_MAP)
    (folder / "audio.wav").symlink_to(secret)
    report = convert_beatmaps(folder, tmp_path / "out", progress=False)
    assert not report.converted and "link out of its own folder" in report.skipped[0][1]


def test_a_chart_that_links_out_of_the_folder_named_is_not_read(tmp_path, caplog):
    secret = tmp_path / "secret.txt"
    sections = {"Song": "Resolution = 192", "SyncTrack": "0 = B 120000", "ExpertSingle": "0 = N 0 0"}
    secret.write_text("".join(f"[{name}]\n{{\n  {line}\n}}\n" for name, line in sections.items()))
    named = tmp_path / "songs"
    (named / "song").mkdir(parents=True)
    (named / "song" / "notes.chart").symlink_to(secret)
    (named / "map.tja").symlink_to(secret)
    with pytest.raises(UnsafePathError, match="link out of its own folder"):
        FretsOnFireSong(named / "song")
    with caplog.at_level(logging.WARNING):
        assert find_beatmap_sets(named) == []
    assert caplog.text.count("link out of its own folder") == 2
    assert FretsOnFireSong(named / "song" / "notes.chart").difficulty_names == ["Expert"]  # named itself: read


def test_unsafe_member_names_are_refused():
    for name in ("/abs/audio.mp3", "C:\\x.mp3", "a/../../b.mp3", "sub/.."):
        with pytest.raises(UnsafePathError):
            confined_name(name, "set.osz")
    assert confined_name("Sub\\Audio.mp3", "set.osz") == "Sub/Audio.mp3"


def _damaged_osz(path, damage: str) -> str:
    """An .osz of one map, then damaged: in its central directory (a zip version zipfile does not read, a member marked
    as patched data or as encrypted) or in the member's deflate stream."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("map.osu", OSU_MAP * 20)
    data = bytearray(path.read_bytes())
    central = data.index(b"PK\x01\x02")
    if damage == "version":
        data[central + 6 : central + 8] = (255).to_bytes(2, "little")
    elif damage in ("patched", "encrypted"):
        data[central + 8] |= 0x20 if damage == "patched" else 0x01
    else:  # the compressed bytes, after the 30-byte local header and the name
        start = 30 + len("map.osu")
        data[start : start + 16] = b"\xff" * 16
    path.write_bytes(bytes(data))
    return str(path)


@pytest.mark.parametrize("damage", ["version", "patched", "encrypted", "deflate"])
def test_a_damaged_or_exotic_osz_is_a_clear_error_naming_the_file(tmp_path, damage):
    # zipfile raises NotImplementedError, RuntimeError or zlib.error for these, which escaped the reader
    path = _damaged_osz(tmp_path / "damaged.osz", damage)
    with pytest.raises(BeatmapError, match="damaged.osz"):
        OsuArchive(path).read_all(for_training=False)


def test_outputs_are_never_overwritten_unasked(tmp_path):
    folder = _song_folder(tmp_path / "song")
    ibf = _ibf(folder / "map.ibf", "audio.wav")
    unrelated = tmp_path / "existing.osz"
    unrelated.write_bytes(b"someone else's file")
    with pytest.raises(FileExistsError, match="--overwrite"):
        export_intermediate(ibf, unrelated)
    assert unrelated.read_bytes() == b"someone else's file"
    assert main(["export", str(ibf), str(unrelated), "--overwrite"]) == 0
    assert zipfile.is_zipfile(unrelated)

    # A StepMania export beside a stale, truncated audio file of the same name: refused, then replaced when asked.
    out = tmp_path / "sm"
    out.mkdir()
    (out / "audio.wav").write_bytes(b"RIFF")
    with pytest.raises(FileExistsError):
        export_intermediate(ibf, out, mode="stepmania")
    assert sorted(os.listdir(out)) == ["audio.wav"]
    export_intermediate(ibf, out, mode="stepmania", overwrite=True)
    assert (out / "audio.wav").read_bytes() == (folder / "audio.wav").read_bytes()


def test_a_second_chart_beside_the_first_keeps_the_same_song_and_refuses_another(tmp_path):
    folder = _song_folder(tmp_path / "song")
    ibf = _ibf(folder / "map.ibf", "audio.wav")
    out = tmp_path / "charts"
    export_intermediate(ibf, out / "song.sm", mode="stepmania")
    copied = os.stat(out / "audio.wav")
    # the same song is already there: the TJA course is written beside it, the song kept as it is
    export_intermediate(ibf, out / "song.tja", mode="tja")
    assert (out / "song.tja").is_file()
    assert os.stat(out / "audio.wav").st_mtime_ns == copied.st_mtime_ns
    assert (out / "audio.wav").read_bytes() == (folder / "audio.wav").read_bytes()
    # other bytes under the song's name: refused as before, nothing written
    (out / "audio.wav").write_bytes(b"RIFF")
    with pytest.raises(FileExistsError, match="audio.wav"):
        export_intermediate(ibf, out / "other.tja", mode="tja")
    assert not (out / "other.tja").exists() and (out / "audio.wav").read_bytes() == b"RIFF"


def test_two_sets_of_one_name_keep_their_own_audio(tmp_path):
    first = _song_folder(tmp_path / "in" / "a" / "Song")
    second = _song_folder(tmp_path / "in" / "b" / "Song")
    (second / "audio.wav").write_bytes(_wav_bytes(seconds=3.0))
    out = tmp_path / "out"
    report = convert_beatmaps(tmp_path / "in", out, progress=False)
    assert len(report.converted) == 2
    assert sorted(os.listdir(out)) == ["Song", "Song (2)"]
    sizes = {(out / name / "audio.wav").stat().st_size for name in os.listdir(out)}
    assert sizes == {(first / "audio.wav").stat().st_size, (second / "audio.wav").stat().st_size}
    again = convert_beatmaps(first, out, progress=False)  # a set folder already there is left alone
    assert not again.converted and again.skipped[0][1].startswith("exists")


def test_an_archive_that_fails_while_it_streams_leaves_nothing_behind(tmp_path, monkeypatch):
    # an .osz and a song folder's song are streamed into a file beside the output, then moved into place
    folder = _song_folder(tmp_path / "song")
    ibf = _ibf(folder / "map.ibf", "audio.wav")
    out = tmp_path / "out"
    out.mkdir()
    written = export_intermediate(ibf, out / "set.osz")[0]
    with zipfile.ZipFile(written) as archive:
        assert archive.read("audio.wav") == (folder / "audio.wav").read_bytes()

    def failing_write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        self.writestr(arcname, b"half of a song")
        raise OSError("No space left on device")

    monkeypatch.setattr(zipfile.ZipFile, "write", failing_write)
    with pytest.raises(OSError, match="No space left"):
        export_intermediate(ibf, out / "other.osz")
    assert sorted(os.listdir(out)) == ["set.osz"]  # no other.osz, no staging file


def test_written_files_follow_the_umask(tmp_path):
    folder = _song_folder(tmp_path / "song")
    ibf = _ibf(folder / "map.ibf", "audio.wav")
    old = os.umask(0o022)
    try:
        written = export_intermediate(ibf, tmp_path / "out.osz")[0]
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(written).st_mode) == 0o644
    assert stat.S_IMODE(os.stat(ibf).st_mode) == 0o644


# 5-6. Bounded memory and time


def test_a_song_encoded_as_ogg_for_a_song_folder_is_never_held_whole(tmp_path, run_bounded, monkeypatch):
    # Frets on Fire plays only Ogg: another format is decoded and encoded a block at a time (an hour's FLAC took GBs)
    rate, seconds = 48000, 600
    time = np.arange(rate * seconds) / rate
    tone = (0.3 * np.sin(2 * np.pi * 220 * time)).astype(np.float32)
    soundfile.write(tmp_path / "song.wav", np.stack([tone, tone], axis=1), rate, subtype="PCM_16")  # 230 MB decoded
    result = run_bounded(
        f"""
        import io, soundfile
        from beart.audio import ogg_file_bytes

        data = ogg_file_bytes({str(tmp_path / "song.wav")!r})
        info = soundfile.info(io.BytesIO(data))
        print(info.format, info.samplerate, info.channels, info.frames)
        """,
        memory_gib=0.1, seconds=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["OGG", str(rate), "2", str(rate * seconds)]
    monkeypatch.setattr(limits, "max_song_seconds", 60)
    with pytest.raises(LimitError, match="song.wav"):
        beart.audio.ogg_file_bytes(tmp_path / "song.wav")


def test_a_songs_bytes_are_decoded_a_block_at_a_time(tmp_path, run_bounded):
    # a song read from an archive (an .osz's) or given as bytes: decoded whole, its channels took twice the mono
    # waveform and their mix and resampling as much again (half an hour of stereo at 48 kHz: 1.4 GB past its bytes)
    rate, seconds = 48000, 600
    time = np.arange(rate * seconds) / rate
    tone = (0.3 * np.sin(2 * np.pi * 220 * time)).astype(np.float32)
    soundfile.write(tmp_path / "song.wav", np.stack([tone, -tone], axis=1), rate, subtype="PCM_16")  # 115 MB
    result = run_bounded(
        f"""
        from beart.audio import load_audio

        waveform = load_audio(open({str(tmp_path / "song.wav")!r}, "rb").read())  # 115 MB of bytes, 106 MB mono
        print(len(waveform), float(abs(waveform).max()) < 1e-3)
        """,
        memory_gib=0.4, seconds=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == [str(44100 * seconds), "True"]  # the channels cancel: mixed before resampling


def test_stems_mix_as_the_games_play_them(monkeypatch):
    # summed at full volume, each at its gain, resampled to 44.1 kHz (soxr HQ, librosa's lengths), scaled down only
    # where the sum clips; computed a block at a time (here blocks of 1000 frames), as whole arrays would give it
    import librosa

    rng = np.random.default_rng(0)
    stems, reference = {}, np.zeros((2, 0), np.float32)
    for name, rate, channels, seconds, gain in (("song.ogg", 44100, 2, 3.3, 1.0), ("guitar.wav", 48000, 1, 2.1, 0.5),
                                                ("rhythm.flac", 22050, 6, 3.9, 1.2)):  # fmt: skip
        buffer = io.BytesIO()
        samples = rng.uniform(-0.6, 0.6, (int(rate * seconds), channels)).astype(np.float32)
        soundfile.write(buffer, samples, rate, format=name.split(".")[1].upper())
        stems[name] = buffer.getvalue()
        decoded, _ = soundfile.read(io.BytesIO(stems[name]), dtype="float32", always_2d=True)
        stereo = decoded.T[:2] if channels >= 2 else np.repeat(decoded.T, 2, axis=0)
        stereo = librosa.resample(stereo, orig_sr=rate, target_sr=44100, res_type="soxr_hq") * np.float32(gain)
        reference = np.pad(reference, ((0, 0), (0, max(stereo.shape[1] - reference.shape[1], 0))))
        reference[:, : stereo.shape[1]] += stereo
    gains = {"guitar.wav": 0.5, "rhythm.flac": 1.2}
    monkeypatch.setattr(beart.audio, "OGG_BLOCK_FRAMES", 1000)
    mixed, _ = soundfile.read(io.BytesIO(beart.audio.mix_stems(stems, gains)), dtype="float32", always_2d=True)
    assert np.abs(reference).max() > 1.0 and mixed.shape == reference.T.shape == (int(44100 * 3.9), 2)
    expected, _ = soundfile.read(io.BytesIO(beart.audio.encode_ogg(reference / np.abs(reference).max(), 44100)))
    np.testing.assert_allclose(mixed, expected, atol=1e-4)
    with pytest.raises(AudioError, match="Cannot decode the stem guitar.wav: ") as error:
        beart.audio.mix_stems({**stems, "guitar.wav": b"RIFF, but no audio"}, gains)
    assert "BytesIO" not in str(error.value)  # the decoder's message names no in-memory file object


def test_stems_are_mixed_a_block_at_a_time(tmp_path, run_bounded, monkeypatch):
    # three 10-minute stems held whole, resampled and mixed took 1.1 GB; a stem past the longest song is refused
    for name, rate, pitch in (("song", 44100, 220), ("guitar", 44100, 330), ("rhythm", 48000, 440)):
        with soundfile.SoundFile(tmp_path / f"{name}.flac", "w", rate, 2, format="FLAC") as stem:
            for start in range(0, 600 * rate, 10 * rate):
                tone = (0.4 * np.sin(2 * np.pi * pitch * np.arange(start, start + 10 * rate) / rate)).astype(np.float32)
                stem.write(np.stack([tone, tone], axis=1))
    result = run_bounded(
        f"""
        import io, soundfile
        from beart.audio import mix_stems

        folder = {str(tmp_path)!r}
        stems = {{name: open(f"{{folder}}/{{name}}.flac", "rb").read() for name in ("song", "guitar", "rhythm")}}
        info = soundfile.info(io.BytesIO(mix_stems(stems)))
        print(info.format, info.samplerate, info.channels, info.frames)
        """,
        memory_gib=0.1, seconds=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["OGG", "44100", "2", str(44100 * 600)]
    monkeypatch.setattr(limits, "max_song_seconds", 60)
    with pytest.raises(LimitError, match="The stem rhythm lasts"):
        beart.audio.mix_stems({"rhythm": (tmp_path / "rhythm.flac").read_bytes()})


def test_huge_times_in_an_osu_file_are_skipped_with_the_line_named(caplog):
    text = OSU_MAP + "64,192,1000000000,1,0,0:0:0:0:\n256,192,3000,8,0,100000000000000:0:0:0:0:\n"
    text += "64,192,nan,1,0,0:0:0:0:\n64,192,inf,1,0,0:0:0:0:\n64,192,1e300,1,0,0:0:0:0:\n"
    osu_file = parse_osu(text, "hostile.osu")
    assert osu_file.skipped_lines == 5
    assert len(osu_file.hit_objects) == 3
    assert "hostile.osu, line 23" in caplog.text


def test_an_osu_preview_time_past_any_song_is_ignored_with_a_warning(caplog):
    # the .ibf check refuses such a preview: a reader must not hand it on (the map itself is fine)
    text = OSU_MAP.replace("[General]\n", "[General]\nPreviewTime: 1e20\n")
    beatmap = osu_to_intermediate(parse_osu(text, "s.osu"), text.encode(), for_training=False)
    assert beatmap.meta["preview_time"] == -1
    assert "s.osu: the preview time '1e20' is not a time in the song" in caplog.text


def test_a_slider_of_astronomic_length_is_left_out():
    text = OSU_MAP.replace("[HitObjects]", "[HitObjects]\n100,100,500,2,0,L|200:100,1,1e300")
    text = text.replace("Mode: 3", "Mode: 0")
    from beart.beatmaps.osu_reader import osu_to_intermediate

    beatmap = osu_to_intermediate(parse_osu(text, "s.osu"), text.encode(), for_training=False)
    assert beatmap.duration_ms < 10_000


@pytest.mark.parametrize(
    "extra, message",
    [
        ("#STOPS:1=1e12;", "longest song"),
        ("#DELAYS:1=1e12;", "longest song"),
        ("#WARPS:0=1e300;", ""),
    ],
)
def test_simfile_timing_past_the_longest_song_is_refused(extra, message):
    simfile = parse_simfile(SIMFILE.format(extra=extra, steps_type="dance-single", rows="1000\n0100\n0010\n0001"))
    try:
        chart_to_intermediate(simfile, simfile.charts[0], for_training=False)
    except (BeatmapError, LimitError) as error:
        assert message in str(error)


@pytest.mark.parametrize("bpms", ["0=120,1e308=140", "0=120,nan=140", "0=120,1=inf"])
def test_simfile_timing_beats_beyond_any_number_are_refused_with_the_line_named(bpms):
    # 1e308 beats is finite, but not in 48ths of a beat: that overflowed to an OverflowError
    text = SIMFILE.format(extra="", steps_type="dance-single", rows="1000\n0100\n0010\n0001")
    simfile = parse_simfile(text.replace("#BPMS:0=120;", f"#BPMS:{bpms};"), "hostile.sm")
    with pytest.raises(BeatmapError, match=r"hostile.sm .*line 4: #BPMS holds a non-finite or out-of-range number"):
        chart_to_intermediate(simfile, simfile.charts[0], for_training=False)


@pytest.mark.parametrize("offset", ["-1e12", "nan", "inf"])
def test_simfile_offsets_that_are_no_time_are_refused(offset):
    text = SIMFILE.format(extra="", steps_type="dance-single", rows="1000\n0100\n0010\n0001")
    simfile = parse_simfile(text.replace("#OFFSET:0;", f"#OFFSET:{offset};"))
    with pytest.raises((BeatmapError, LimitError)):
        chart_to_intermediate(simfile, simfile.charts[0], for_training=False)


@pytest.mark.parametrize("number", ["inf", "-inf", "1e999", "nan", "lots"])
def test_a_meter_or_level_that_is_no_number_reads_as_none_given(number):
    # float("1e999") is infinite, and int() of it raised OverflowError out of both readers
    text = SIMFILE.format(extra="", steps_type="dance-single", rows="1000\n0100\n0010\n0001")
    simfile = parse_simfile(text.replace("Easy:\n     2:", f"Easy:\n     {number}:"))
    assert simfile.charts[0].meter == 0
    assert chart_to_intermediate(simfile, simfile.charts[0], for_training=False).meta["difficulty"] >= 0.0
    tja = parse_tja(f"BPM:120\nCOURSE:Oni\nLEVEL:{number}\n#START\n1010,\n#END\n", "hostile.tja")
    assert tja.courses[0].level == 0 and len(tja.courses[0].notes) == 2


@pytest.mark.parametrize("text", ["inf", "-inf", "1e999", "nan", "lots", "", "  ", None, "1,5"])
def test_the_one_number_parser_reads_no_number_from_text_that_writes_none(text):
    assert finite_number(text) is None


def test_the_one_number_parser_reads_the_number_written():
    assert finite_number(" 7.5 ") == pytest.approx(7.5) and finite_number("-3") == pytest.approx(-3.0)
    assert finite_number("1e308") == pytest.approx(1e308)


def test_a_tja_chart_of_more_notes_than_any_song_holds_is_refused_as_they_are_read(monkeypatch):
    # a 6 MB course of notes packed into one measure took 3 GB and 26 s to read, so a 64 MiB one (the largest beatmap
    # file read) ran out of memory: a chart is refused past a note on each lane every 10 ms of the longest song
    monkeypatch.setattr(limits, "max_song_seconds", 10.0)  # 2,000 notes on taiko's two lanes
    assert limits.max_chart_notes(2) == 2000
    chart = "BPM:120\nCOURSE:Oni\nLEVEL:8\n#START\n#MEASURE 4/1\n{notes},\n#END\n"
    (course,) = parse_tja(chart.format(notes="1" * 2000), "dense.tja").courses
    assert len(course.notes) == 2000
    with pytest.raises(LimitError, match=r"dense.tja \[Oni\], line 6: more than 2,000 notes.*--max-song-minutes"):
        parse_tja(chart.format(notes="1" * 2001), "dense.tja")


def test_tiny_bpm_is_refused_not_stretched():
    text = SIMFILE.format(extra="", steps_type="dance-single", rows="1000\n0100\n0010\n0001")
    simfile = parse_simfile(text.replace("#BPMS:0=120;", "#BPMS:0=120,1=1e-300;"))
    with pytest.raises(LimitError, match="longest song"):
        chart_to_intermediate(simfile, simfile.charts[0], for_training=False)


@pytest.mark.parametrize("bpm, message", [("1e-300", "longest song"), ("1e300", "not a BPM")])
def test_beart_check_refuses_a_chart_timed_past_any_song_or_at_no_tempo(tmp_path, bpm, message):
    # read on the file's own times, which are not put on the 10 ms grid and its limits first
    from beart.beatmaps.playability import check_beatmap_set
    from beart.beatmaps.tja_reader import TjaSong

    (tmp_path / "hostile.tja").write_text(f"BPM:120\nCOURSE:Oni\n#START\n1,\n#BPMCHANGE {bpm}\n1,1,\n#END\n")
    skipped = []
    assert check_beatmap_set(TjaSong(tmp_path / "hostile.tja"), "hostile.tja", skipped) == []
    ((item, reason),) = skipped
    assert item == "hostile.tja [Oni]" and message in reason


def test_an_ibf_naming_a_document_beside_it_does_not_pack_it_into_an_export(tmp_path, capsys):
    # an .ibf dropped into a folder of documents named one of them as its audio, and `beart export` packed it into
    # the .osz (or copied it into the song folder) that the user then shares
    (tmp_path / "secrets.kdbx").write_bytes(b"KeePass database " * 100)
    ibf = _ibf(tmp_path / "map.ibf", "secrets.kdbx")
    for mode, output in (("mania", "out.osz"), ("stepmania", "sm"), ("tja", "tja"), ("fretsonfire", "fof")):
        assert main(["export", str(ibf), str(tmp_path / output), "--mode", mode]) == 1
        assert "secrets.kdbx is no audio file a game plays" in capsys.readouterr().err
        assert not (tmp_path / output).exists()
    with pytest.raises(AudioError, match="no audio file a game plays"):
        export_intermediate(ibf, tmp_path / "out.osz", mode="mania")
    (tmp_path / "song.wav").write_bytes(_wav_bytes())  # a song beside it is exported
    assert main(["export", str(_ibf(tmp_path / "song.ibf", "song.wav")), str(tmp_path / "out.osz")]) == 0


def test_a_set_whose_song_is_no_audio_is_skipped_and_the_others_converted(tmp_path):
    # converted into a game, one such set stopped the whole batch (an AudioError from the song's check, or from the
    # Ogg encoding Frets on Fire needs) instead of being skipped with its reason
    (tmp_path / "sets").mkdir()
    for name, audio in (("bad", b"not audio at all" * 100), ("good", _wav_bytes())):
        with zipfile.ZipFile(tmp_path / "sets" / f"{name}.osz", "w") as archive:
            archive.writestr("map.osu", OSU_MAP)
            archive.writestr("audio.wav", audio)
    for mode in ("mania", "stepmania", "fretsonfire"):
        report = convert_beatmaps(tmp_path / "sets", tmp_path / f"out_{mode}", progress=False, mode=mode)
        assert len(report.converted) == 1 and len(report.skipped) == 1
        ((item, reason),) = report.skipped
        assert item.endswith("bad.osz") and "bad/audio.wav is no audio file a game plays" in reason
        assert str(tmp_path) not in reason.split("bad/audio.wav")[0]  # named in the set, not in the staging folder


def test_an_ibf_with_an_absurd_tempo_or_length_is_refused(tmp_path):
    with pytest.raises(BeatmapError, match="TEMPO"):
        IntermediateBeatmap.load(_rewritten_ibf(tmp_path / "tempo.ibf", data=lambda table: table.assign(TEMPO=1e12)))
    long = pd.DataFrame({"TIME": np.arange(361_000, dtype=np.int64) * 10, "TEMPO": 0.0, "LEFT": np.uint8(0)})
    with pytest.raises(LimitError, match="longest song"):
        IntermediateBeatmap.load(_rewritten_ibf(tmp_path / "long.ibf", data=lambda table: long))


@pytest.mark.parametrize("column, values", [("TIME", ["", "x"]), ("TEMPO", ["fast", "120"]), ("TEMPO", [[1], [2]])])
def test_an_ibf_whose_time_or_tempo_is_no_number_is_refused_naming_the_column(tmp_path, column, values):
    # text in TIME made reading fail with numpy's "could not convert string to float" (found by mutating .ibf files)
    alternating = lambda table: table.assign(**{column: [values[row % 2] for row in range(len(table))]})  # noqa: E731
    _rewritten_ibf(tmp_path / "text.ibf", data=alternating)
    with pytest.raises(BeatmapError, match=rf"text.ibf: Column {column} must hold numbers"):
        IntermediateBeatmap.load(tmp_path / "text.ibf")


@pytest.mark.parametrize("key", ["preview_time", "source", "subdivisions", "title"])
def test_null_metadata_in_an_ibf_counts_as_absent(tmp_path, key):
    # a null preview_time or source passed the checks and then failed inside the osu! writer with a TypeError or
    # AttributeError (found by mutating .ibf files)
    _rewritten_ibf(tmp_path / "null.ibf", meta=lambda meta: {**meta, key: None})
    assert key not in IntermediateBeatmap.load(tmp_path / "null.ibf").meta
    (tmp_path / "audio.wav").write_bytes(_wav_bytes())
    for mode in ("osu", "stepmania", "tja", "fretsonfire"):
        output = tmp_path / f"out-{mode}" / ("set.osz" if mode == "osu" else "set")
        export_intermediate(tmp_path / "null.ibf", output, mode=mode)
        assert output.exists()


@pytest.mark.parametrize(
    "key, value",
    [("title", 1e308), ("artist", ["A", "B"]), ("version", {"x": 1}), ("preview_time", "/etc/passwd"),
     ("preview_time", []), ("preview_time", 1e308), ("source", "song.ogg"), ("subdivisions", [1, 7]),
     ("subdivisions", [0]), ("subdivisions", [True]), ("subdivisions", "1,2"), ("subdivisions", []),
     ("subdivisions", [4.0]), ("ai_generated", "no"), ("ai_generated", 0)],
)  # fmt: skip
def test_an_ibf_whose_metadata_has_the_wrong_kind_of_value_is_refused_before_any_writer(tmp_path, key, value):
    # each of these made an export fail inside a writer with a TypeError or ValueError (found by mutating .ibf files)
    _rewritten_ibf(tmp_path / "hostile.ibf", meta=lambda meta: {**meta, key: value})
    with pytest.raises(BeatmapError, match=rf"hostile.ibf: Beatmap metadata '{key}' must be"):
        IntermediateBeatmap.load(tmp_path / "hostile.ibf")
    (tmp_path / "audio.wav").write_bytes(_wav_bytes())
    with pytest.raises(BeatmapError):
        export_intermediate(tmp_path / "hostile.ibf", tmp_path / "out.osz", mode="mania")
    assert not (tmp_path / "out.osz").exists()


def test_the_song_limit_can_be_raised():
    objects = pd.DataFrame({"track": "LEFT", "start": [4_000_000.0], "end": [4_000_000.0]})
    meta = {"audio": "a.wav", "difficulty": 0.5, "tracks": ["LEFT"]}
    with pytest.raises(LimitError, match="--max-song-minutes"):
        IntermediateBeatmap.from_hit_objects(objects, meta)
    old = limits.max_song_seconds
    limits.max_song_seconds = 7200
    try:
        assert len(IntermediateBeatmap.from_hit_objects(objects, meta)) == 400_001
    finally:
        limits.max_song_seconds = old


def test_a_zip_bomb_member_is_refused_before_it_is_unpacked(tmp_path):
    archive_path = tmp_path / "bomb.osz"
    with zipfile.ZipFile(archive_path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("map.osu", OSU_MAP)
        archive.writestr("audio.wav", bytes(64 * 2**20))
    assert archive_path.stat().st_size < 2**20
    report = convert_beatmaps(archive_path, tmp_path / "out", progress=False)
    assert not report.converted and "zip bomb" in report.skipped[0][1]
    assert not (tmp_path / "out" / "bomb" / "audio.wav").exists()


def test_audio_longer_than_the_longest_song_is_refused_from_its_header(tmp_path, run_bounded):
    buffer = io.BytesIO()
    soundfile.write(buffer, np.zeros(30_000, np.int16), 1, format="WAV", subtype="PCM_16")  # 8.3 hours at 1 Hz
    (tmp_path / "slow.wav").write_bytes(buffer.getvalue())
    result = run_bounded(
        f"""
        from beart.audio import load_audio
        from beart.safety import LimitError
        try:
            load_audio({str(tmp_path / "slow.wav")!r})
        except LimitError as error:
            print("refused:", error)
        try:
            load_audio({str(tmp_path / "slow.wav")!r}.encode() and open({str(tmp_path / "slow.wav")!r}, "rb").read())
        except LimitError as error:
            print("refused:", error)
        """
    )
    assert result.stdout.count("refused") == 2 and "8.33 hours" in result.stdout, result.stderr


def test_audio_too_large_decoded_is_refused_from_its_header(tmp_path, monkeypatch):
    # near-silence in many channels at a high rate compresses to little and decodes to GBs (an hour of 8 channels at
    # 192 kHz: 21 GiB); the bound is lowered here so that a small file crosses it
    samples = np.zeros((96_000, 8), np.int16)  # 2 s at 48 kHz: 3.1 MB decoded as float32
    samples[::100] = 3
    soundfile.write(tmp_path / "wide.flac", samples, 48_000, subtype="PCM_16")
    monkeypatch.setattr(limits, "max_decoded_bytes", 2 * 1024 * 1024)
    for audio in (str(tmp_path / "wide.flac"), (tmp_path / "wide.flac").read_bytes()):
        with pytest.raises(LimitError, match=r"holds 8 channel\(s\) at 48000 Hz for 2 s: .* GiB decoded, past"):
            load_audio(audio)
    monkeypatch.setattr(limits, "max_decoded_bytes", 4 * 1024 * 1024)
    assert len(load_audio(str(tmp_path / "wide.flac"), target_sampling_rate=48_000)) == 96_000


def test_damaged_audio_files_decode_or_raise_audio_errors(tmp_path, run_bounded):
    # songs with bytes flipped (mostly in their headers) or cut short, in every format beart reads with libsndfile,
    # read as files, as bytes and as a stem: each decodes or raises beart's own error, in a child whose heap and CPU
    # are bounded (a decoder that crashed would take the child only)
    rng = np.random.default_rng(7)
    tone = (0.3 * np.sin(np.arange(44100) / 7)).astype(np.float32)
    for name, subtype in (("wav", "PCM_16"), ("flac", "PCM_24"), ("ogg", "VORBIS"), ("mp3", "MPEG_LAYER_III")):
        buffer = io.BytesIO()
        soundfile.write(buffer, np.stack([tone, tone], axis=1), 44100, format=name.upper(), subtype=subtype)
        for case in range(8):
            data = bytearray(buffer.getvalue())
            span = 200 if case < 6 else len(data)
            for where in rng.integers(0, min(span, len(data)), rng.integers(1, 12)):
                data[where] = rng.integers(0, 256)
            if case == 7:
                data = data[: len(data) // 3]
            (tmp_path / f"damaged{case}.{name}").write_bytes(bytes(data))
    result = run_bounded(
        f"""
        import glob
        from beart.audio import AudioError, load_audio, mix_stems
        from beart.safety import LimitError

        outcomes = []
        for path in sorted(glob.glob({str(tmp_path)!r} + "/damaged*")):
            data = open(path, "rb").read()
            for read in (lambda: load_audio(path), lambda: load_audio(data), lambda: mix_stems({{"song.ogg": data}})):
                try:
                    read()
                    outcomes.append("decoded")
                except (AudioError, LimitError):
                    outcomes.append("refused")
        print(len(outcomes), outcomes.count("decoded"), outcomes.count("refused"))
        """,
        memory_gib=1.0, seconds=240,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    total, decoded, refused = map(int, result.stdout.split())
    assert total == 3 * 32 and decoded > 0 and refused > 0, (decoded, refused)


def test_samples_too_large_to_square_are_scaled_not_nan():
    waveform = load_audio(_wav_bytes(value=1e30))
    assert np.isfinite(waveform).all() and np.abs(waveform).max() == pytest.approx(1.0)
    with pytest.raises(AudioError, match="NaN or infinite"):  # before resampling, which would fail on them
        load_audio(np.full(1000, np.inf, dtype=np.float32), sampling_rate=8000)


def test_readers_run_in_linear_time_and_bounded_memory(tmp_path, run_bounded):
    points = "|".join(f"{x % 512}:{(x * 7) % 384}" for x in range(200_000))
    slider = OSU_MAP.replace("Mode: 3", "Mode: 0") + f"100,100,3000,2,0,B|{points},1\n"
    (tmp_path / "bezier.osu").write_text(slider)
    many_stops = ",".join(f"{beat / 24:.4f}=0.001" for beat in range(50_000))
    rows = ",\n".join(["\n".join(["1000", "0100", "0010", "0001"] * 48)] * 521)  # 100,032 notes in 17 minutes
    stops = SIMFILE.format(extra=f"#STOPS:{many_stops};", steps_type="dance-single", rows=rows)
    (tmp_path / "stops.sm").write_text(stops)
    (tmp_path / "wide.sm").write_text(SIMFILE.format(extra="", steps_type="x-unknown", rows="1" * 100_000))
    result = run_bounded(
        f"""
        from beart.beatmaps import BeatmapError, read_osu, read_simfile
        print("bezier", len(read_osu({str(tmp_path / "bezier.osu")!r}, for_training=False).hit_objects()))
        print("stops", len(read_simfile({str(tmp_path / "stops.sm")!r})[0].hit_objects()))
        try:
            read_simfile({str(tmp_path / "wide.sm")!r})
        except BeatmapError as error:
            print("wide", error)
        """,
        seconds=90,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "bezier 4" in result.stdout and "stops 100032" in result.stdout
    assert "100000 columns" in result.stdout


# 8-10. Batches, clear errors, minor cases


def test_one_bad_set_does_not_stop_a_batch(tmp_path):
    good = _song_folder(tmp_path / "in" / "good")
    bad = tmp_path / "in" / "bad"
    bad.mkdir()
    text = SIMFILE.format(extra="#SAMPLESTART:abc;", steps_type="dance-single", rows="1000\n0100\n0010\n0001")
    (bad / "song.sm").write_text(text.replace("     2:", "     1e308:"))
    (bad / "audio.wav").write_bytes(_wav_bytes())
    report = convert_beatmaps(tmp_path / "in", tmp_path / "out", progress=False)
    assert len(report.converted) == 2, report.skipped
    assert good.exists()


def test_duplicate_and_case_colliding_members(tmp_path, caplog):
    archive_path = tmp_path / "set.osz"
    with zipfile.ZipFile(archive_path, "w") as archive:
        archive.writestr("map.osu", OSU_MAP)
        with pytest.warns(UserWarning):
            archive.writestr("map.osu", OSU_MAP.replace("Version:Hard", "Version:Second"))
        archive.writestr("Map.OSU", OSU_MAP)
        archive.writestr("audio.wav", _wav_bytes())
    convert_beatmaps(archive_path, tmp_path / "out", progress=False)
    assert "appears twice" in caplog.text
    names = sorted(os.listdir(tmp_path / "out" / "set"))
    assert len({name.lower() for name in names}) == len(names) == 3  # two maps and the audio, none colliding
    assert names == ["Map.ibf", "audio.wav", "map (2).ibf"]  # members are read in sorted order
    assert IntermediateBeatmap.load(tmp_path / "out" / "set" / "map (2).ibf").meta["version"] == "Hard"  # the first


def test_names_in_scripts_of_several_bytes_a_character_make_file_names_every_file_system_takes(tmp_path):
    # a title, a difficulty and a song named in 100 Japanese characters (3 bytes each in UTF-8): cut at 120 characters,
    # a name took 360 bytes and no folder on Linux or macOS (255 bytes a name) took it: "File name too long"
    long_audio = "歌" * 90 + ".wav"
    text = OSU_MAP.replace("Title:Hostile", "Title:" + "歌" * 100).replace("Version:Hard", "Version:" + "難" * 100)
    with zipfile.ZipFile(tmp_path / "set.osz", "w") as archive:
        archive.writestr("map.osu", text.replace("audio.wav", long_audio))
        archive.writestr("😀" * 70 + ".osu", text.replace("audio.wav", long_audio).replace("Version:", "Version:2"))
        archive.writestr(long_audio, _wav_bytes())
    for mode in (None, *WRITE_MODES):
        output = tmp_path / f"out_{mode}"
        report = convert_beatmaps(tmp_path / "set.osz", output, progress=False, mode=mode)
        assert len(report.converted) == 2, report.skipped
        names = [name for _, folders, files in os.walk(output) for name in folders + files]
        assert names and max(len(name.encode("utf-8")) for name in names) <= 240
        if mode is None:  # the song keeps its ending, the maps their own names
            assert sum(name.endswith(".wav") for name in names) == 1 and len(set(names)) == len(names) == 4


def test_bytes_that_are_no_text_encoding_are_replaced_with_a_warning(caplog):
    content = OSU_MAP.replace("Title:Hostile", "Title:Hostile \x81").encode("cp1252", errors="ignore")
    content = content.replace(b"Hostile", b"Hostile \x81")
    osu_file = parse_osu(content, "bytes.osu")
    assert "\ufffd" in osu_file.value("Metadata", "Title")
    assert "bytes.osu: the file is not text in UTF-8, Windows-1252" in caplog.text


def test_clear_errors_on_the_command_line(tmp_path, capsys):
    folder = _song_folder(tmp_path / "song")
    assert main(["generate", str(tmp_path / "typo.ogg"), "-o", str(tmp_path / "x.osz")]) == 1
    assert "Audio file not found" in capsys.readouterr().err
    song = str(folder / "audio.wav")
    assert main(["generate", song, "-o", str(tmp_path / "x.osz"), "--onset-prior", "1e308", "--no-progress"]) == 1
    assert "onset_prior must be a weight from 0 to 1000" in capsys.readouterr().err
    assert main(["generate", song, "-o", str(tmp_path / "x.osz"), "--start", "40", "--end", "50"]) == 1
    assert "past the end of the song" in capsys.readouterr().err
    malicious = tmp_path / "model"
    malicious.mkdir()
    (malicious / "config.json").write_text(json.dumps({"model_type": "beart"}))
    import pickle

    class Payload:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    (malicious / "pytorch_model.bin").write_bytes(pickle.dumps({"weight": Payload()}))
    assert main(["generate", song, "-o", str(tmp_path / "y.osz"), "--model", str(malicious), "--no-progress"]) == 1
    error = capsys.readouterr().err
    assert "Traceback" not in error and "error:" in error and "pwned" not in error
    ibf = _ibf(folder / "long-title.ibf", "audio.wav")
    assert main(["export", str(ibf), str(tmp_path / "t.osz"), "--title", "x" * 100_000]) == 0
    with zipfile.ZipFile(tmp_path / "t.osz") as archive:
        assert max(len(name) for name in archive.namelist()) <= 124  # 120 characters of name and ".osu"


def _model_folder(folder, extractor_changes=None, processor_changes=None, generation_changes=None, **config_changes):
    """A copy of the bundled model's folder whose `config.json` has `config_changes`, its `processor_config.json`
    `processor_changes` and in its feature extractor `extractor_changes`, its `generation_config.json`
    `generation_changes`."""
    source = os.path.join(os.path.dirname(beart.__file__), "default_model")
    os.makedirs(folder)
    for name in os.listdir(source):
        shutil.copy(os.path.join(source, name), folder / name)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, **config_changes}))
    processor = json.loads((folder / "processor_config.json").read_text())
    processor["feature_extractor"].update(extractor_changes or {})
    (folder / "processor_config.json").write_text(json.dumps({**processor, **(processor_changes or {})}))
    generation = json.loads((folder / "generation_config.json").read_text())
    (folder / "generation_config.json").write_text(json.dumps({**generation, **(generation_changes or {})}))
    return folder


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"intermediate_size": 4_000_000_000}, r"'layers.0.intermediate.bias' have shape \[\d+\], .* \[4000000000\]"),
        ({"num_hidden_layers": 10_000_000}, r"holds \d+ layers, but its configuration asks for 10000000"),
        ({"num_hidden_layers": 4}, r"holds \d+ layers, but its configuration asks for 4:"),  # 4 left unread
        ({"max_position_embeddings": 1 << 30}, r"holds [\d,]+ weights, but its configuration asks for a model of"),
    ],
)  # fmt: skip
def test_a_model_whose_configuration_asks_for_more_than_its_weights_is_refused_unallocated(
    tmp_path, run_bounded, changes, message
):
    # transformers would allocate the configured tensors the file lacks (hundreds of GB) before reporting them
    folder = _model_folder(tmp_path / "model", **changes)
    result = run_bounded(
        f"""
        import beart
        from transformers import AutoModel
        for load in (beart.load_model, AutoModel.from_pretrained):
            try:
                load({str(folder)!r})
            except ValueError as error:
                print("refused:", error)
        """
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.count("refused: " + str(folder / "model.safetensors")) == 2, result.stdout
    assert re.search(message, result.stdout), result.stdout


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"num_attention_heads": 0}, "num_attention_heads must be a whole number of at least 1, got 0"),
        ({"hidden_size": "32"}, "hidden_size must be a whole number of at least 1, got '32'"),
        ({"layer_norm_eps": float("nan")}, "layer_norm_eps must be a number from 0 to 1, got nan"),
        ({"hidden_dropout_prob": "0.1"}, "hidden_dropout_prob must lie in [0, 1), got '0.1'"),
        ({"mel_scaling": [0, float("inf")]}, "mel_scaling must be two finite numbers"),
        # another kind of model's folder: "vocab_size=50 does not match groups=10" (transformers only warns)
        ({"model_type": "bert"}, "holds the configuration of a 'bert' model, not of a BEaRT model"),
        *[
            ({"generation_changes": changes}, message)
            for changes, message in [
                ({"hit_threshold": "0.3"}, "hit_threshold must be a number, got '0.3'"),
                ({"temperature": []}, "temperature must be a number, got []"),
                ({"onset_prior": True}, "onset_prior must be a number, got True"),
                ({"top_k": 1e30}, "top_k must be a whole number, got 1e+30"),
                ({"finest_subdivision": "4"}, "finest_subdivision must be a whole number, got '4'"),
                ({"finest_subdivision": -4}, "finest_subdivision must be 0 (every subdivision) or a number per beat"),
                ({"logit_bias": {"999": 1.0}}, "logit_bias names token ids [999] outside the vocabulary of 85 tokens"),
                ({"logit_bias": {"5": "x"}}, "logit_bias maps token ids to numbers, got '5': 'x'"),
            ]
        ],
    ],
)
def test_a_model_or_generation_configuration_of_impossible_values_is_a_clear_error(tmp_path, capsys, changes, message):
    # in config.json they divided by zero, made every probability nan mid-generation, or failed in formatting; in
    # generation_config.json text or lists where numbers belong ended in a TypeError, a token id past the vocabulary
    # in an IndexError: each with a traceback
    folder = _model_folder(tmp_path / "model", **changes)
    song = _song_folder(tmp_path / "song") / "audio.wav"
    assert main(["generate", str(song), "-o", str(tmp_path / "x.osz"), "--model", str(folder), "--no-progress"]) == 1
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error, error


@pytest.mark.parametrize(
    "extractor, processor, message",
    [
        ({"sampling_rate": 10**9}, {}, r"sampling_rate must lie in \[8000, 192000\] Hz, got 1000000000"),
        ({"n_fft": 2**31}, {}, r"n_fft must lie in \[128, 65536\]"),
        ({"n_fft": "2048"}, {}, r"n_fft must be a whole number, got '2048'"),
        ({"mel_bands": 10**7}, {}, r"mel_bands \(10000000\) must not exceed the 1025 frequencies"),
        ({"mel_bands": 64}, {}, r"does not fit its model: mel_bands 64 where the model has 32"),
        ({}, {"context_length": 10**9}, r"does not fit its model: context_length 1000000000 where the model has 512"),
    ],
)
def test_a_processor_saved_beside_a_model_is_checked_against_it(tmp_path, capsys, extractor, processor, message):
    # each of these made the feature extractor or the processor allocate GBs (or hear the song at another rate)
    folder = _model_folder(tmp_path / "model", extractor_changes=extractor, processor_changes=processor)
    song = _song_folder(tmp_path / "song") / "audio.wav"
    assert main(["generate", str(song), "-o", str(tmp_path / "x.osz"), "--model", str(folder), "--no-progress"]) == 1
    error = capsys.readouterr().err
    assert f"The processor saved in {folder}" in error and re.search(message, error), error
    assert not (tmp_path / "x.osz").exists()
    with pytest.raises(ValueError, match=message) as refused:  # the pipeline that loads it itself
        pipeline("beatmap-generation", model=str(folder))
    assert str(folder) in str(refused.value)


@pytest.mark.parametrize(
    "damage, message",
    [
        ("nan", "the weights 'layers.3.output.weight' hold nan or infinite values"),
        ("whole numbers", "the weights 'embeddings.audio_projection.weight' are of type I64"),
        ("overflowing", "The model's scores hold nan or infinite values"),  # finite weights, infinite activations
    ],
)
def test_weights_that_are_no_numbers_or_overflow_are_a_clear_error(tmp_path, capsys, damage, message):
    import torch
    from safetensors.torch import load_file, save_file

    folder = _model_folder(tmp_path / "model")
    weights = load_file(folder / "model.safetensors")
    if damage == "nan":
        weights["layers.3.output.weight"][0, 0] = float("nan")
    elif damage == "whole numbers":
        weights = {name: (tensor * 100).to(torch.int64) for name, tensor in weights.items()}
    else:
        weights["embeddings.audio_projection.weight"] *= 1e37
    save_file(weights, folder / "model.safetensors", metadata={"format": "pt"})
    song = _song_folder(tmp_path / "song") / "audio.wav"
    for strategy in ("fast", "legacy"):
        arguments = ["generate", str(song), "-o", str(tmp_path / "x.osz"), "--model", str(folder), "--no-progress"]
        assert main([*arguments, "--strategy", strategy, "--end", "2"]) == 1
        error = capsys.readouterr().err
        assert message in error and "Traceback" not in error, error
    assert not (tmp_path / "x.osz").exists()


def _changed_value(value, change):
    """`value` (a number or a nested list) with its first number replaced by `change`."""
    if isinstance(value, list):
        return [_changed_value(value[0], change), *value[1:]]
    return change


@pytest.mark.parametrize(
    "split, column, change, message",
    [
        ("train", "map_index", 10**6, "its train split names maps outside the"),
        ("train", "step", 10**6, "its train split names steps outside their maps"),
        ("maps", "events", 7, "its maps split holds event codes past 2"),
        ("maps", "num_tracks", 3, "its maps split holds maps of other track counts than [1, 2, 4]"),
        ("maps", "tempo", float("nan"), "its maps split holds tempos outside 0 to 100000 BPM or nan"),
        ("maps", "song_index", 99, "its maps split names songs outside the"),
        ("songs", "mel_frames", float("nan"), "its songs split holds mel frames outside [-1, 1] or nan"),
        ("songs", "song_index", 5, "its songs split does not number its songs 0, 1, 2, ... in order"),
        ("maps", "map_index", 5, "its maps split does not number its maps 0, 1, 2, ... in order"),
    ],
)
def test_a_corpus_of_impossible_values_is_refused_before_training(fixture_corpus, tmp_path, split, column, change,
                                                                   message):  # fmt: skip
    # each failed deep in a batch mid-training (an IndexError), or trained on nan without a word
    import datasets

    corpus = datasets.load_from_disk(fixture_corpus)
    changed = corpus[split].map(
        lambda row, index: {column: _changed_value(row[column], change) if index == 0 else row[column]},
        with_indices=True, features=corpus[split].features,
    )  # fmt: skip
    corpus[split] = changed
    output = tmp_path / "corpus"
    corpus.save_to_disk(output)
    for name in os.listdir(fixture_corpus):
        if name.endswith(".json"):
            shutil.copy(fixture_corpus / name, output / name)
    with pytest.raises(ValueError, match=re.escape(f"{output} is no BEaRT corpus: {message}")):
        load_corpus(output)
    assert main(["train", str(output), str(tmp_path / "run"), "--max_steps", "1", "--report_to", "none"]) == 1
    assert not (tmp_path / "run").exists()


def test_a_model_missing_a_small_tensor_its_configuration_adds_still_loads(tmp_path):
    from safetensors.torch import load_file, save_file

    folder = _model_folder(tmp_path / "model")
    weights = load_file(folder / "model.safetensors")
    del weights["embeddings.difficulty_embeddings.weight"]  # as saved before the difficulty embedding existed
    save_file(weights, folder / "model.safetensors", metadata={"format": "pt"})
    model = beart.load_model(folder)
    assert model.embeddings.difficulty_embeddings.weight.shape == (4, 32)


@pytest.mark.parametrize(
    "command, message",
    [
        (["generate", "SONG", "--end", "inf"], "argument --end: seconds must be a finite number"),
        (["generate", "SONG", "--start", "nan"], "argument --start: seconds must be a finite number"),
        (["generate", "SONG", "--seed", "-1"], "seed must be a whole number from 0 to 2**63 - 1, got -1"),
        (["generate", "SONG", "--seed", str(2**70)], "seed must be a whole number from 0 to 2**63 - 1"),
        (["generate", "SONG", "--sustain-rests", "nan"], "sustain_rest_beats must be 0 (none) or a number of beats"),
        (["inspect", "SONG", "OUT", "--at", "nan"], "argument --at: seconds must be a finite number"),
        (["evaluate", "SONG", "OUT", "--plot-seconds", "0"], "argument --plot-seconds: a length in seconds must be"),
        (["dataset", "build", "FOLDER", "OUT", "--test-size", "nan"], "test_size must be a share from 0"),
        (["dataset", "build", "FOLDER", "OUT", "--test-size", "2"], "test_size must be a share from 0"),
        (["dataset", "build", "FOLDER", "OUT", "--max-empty-seconds", "-1"], "max_empty_seconds must be a number"),
        (["dataset", "build", "FOLDER", "OUT", "--stem-mixes", "-1"], "stem_mixes 0 or more; got 42 and -1"),
    ],
)
def test_numbers_no_run_can_use_are_refused_before_it_starts(tmp_path, capsys, command, message):
    # `--end inf` ended in an OverflowError traceback, a nan `--sustain-rests` was taken, `--plot-seconds nan` failed
    # only after a whole evaluation, `--test-size 2` was taken and a negative `--max-empty-seconds` built nothing
    folder = _song_folder(tmp_path / "song")
    named = {"SONG": str(folder / "audio.wav"), "FOLDER": str(folder), "OUT": str(tmp_path / "out")}
    arguments = [named.get(word, word) for word in command]
    output = [] if command[0] != "generate" else ["-o", str(tmp_path / "x.osz"), "--no-progress"]
    try:
        status = main([*arguments, *output])
    except SystemExit as exit:  # argparse refuses a flag's value itself
        status = exit.code
    assert status not in (0, None)
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error, error
    assert not (tmp_path / "x.osz").exists() and not (tmp_path / "out").exists()


def test_top_k_larger_than_the_vocabulary_samples_every_token(tmp_path):
    folder = _song_folder(tmp_path / "song")
    output = tmp_path / "k.osz"
    command = ["generate", str(folder / "audio.wav"), "-o", str(output), "--no-progress", "--silence-db", "0"]
    assert main([*command, "--top-k", "100000"]) == 0  # the song is white noise: hiss to the gate, off here
    assert zipfile.is_zipfile(output)
    assert main(command) == 1  # exists


def test_a_song_ini_larger_than_a_beatmap_file_is_refused_before_it_is_read(tmp_path, monkeypatch):
    # a song folder's song.ini is parsed as text like its chart: a 200 MB one held 5 times its size in memory
    import mido
    from beart.beatmaps import FretsOnFireSong

    midi = mido.MidiFile(type=1, ticks_per_beat=480)
    midi.tracks.append(mido.MidiTrack([mido.MetaMessage("track_name", name="PART GUITAR"),
                                       mido.Message("note_on", note=96, velocity=100),
                                       mido.Message("note_off", note=96, time=10)]))  # fmt: skip
    midi.save(str(tmp_path / "notes.mid"))
    (tmp_path / "song.ini").write_text("[song]\nname = Big\nscores = " + "a" * 4096 + "\n")
    monkeypatch.setattr(limits, "max_text_bytes", 4096)
    with pytest.raises(LimitError, match=r"song\.ini is 0\.0 MiB; the largest beatmap file"):
        FretsOnFireSong(tmp_path)
    monkeypatch.setattr(limits, "max_text_bytes", 8192)
    assert FretsOnFireSong(tmp_path).ini.get("name") == "Big"


def test_a_notes_mid_larger_than_any_chart_is_refused_before_mido_reads_it(tmp_path, monkeypatch):
    # mido holds every message of a MIDI file at once, about 470 bytes each: an 8 MB notes.mid of a million notes took
    # 0.9 GB, so a 64 MiB one (the largest beatmap text) would take 7 GB; a real one takes 1-53 kB here
    import mido
    from beart.beatmaps import FretsOnFireSong

    messages = [mido.MetaMessage("track_name", name="PART GUITAR")]
    for _ in range(400):
        messages += [mido.Message("note_on", note=96, velocity=100, time=120), mido.Message("note_off", note=96)]
    midi = mido.MidiFile(type=1, ticks_per_beat=480)
    midi.tracks.append(mido.MidiTrack(messages))
    midi.save(str(tmp_path / "notes.mid"))
    size = (tmp_path / "notes.mid").stat().st_size
    assert limits.max_midi_bytes == 4 * 2**20  # the default
    monkeypatch.setattr(limits, "max_midi_bytes", size - 1)
    monkeypatch.setattr(mido, "MidiFile", None)  # refused before mido reads a byte
    with pytest.raises(LimitError, match=r"notes\.mid is 0\.0 MiB; the largest MIDI file beart reads is 0 MiB"):
        FretsOnFireSong(tmp_path)
    monkeypatch.undo()
    monkeypatch.setattr(limits, "max_midi_bytes", size)
    (expert,) = FretsOnFireSong(tmp_path).read_all(for_training=False)
    assert len(expert.hit_objects()) == 400
