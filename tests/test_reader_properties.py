"""Property-based tests of every reader: any text or bytes either parse or raise the package's own error, within a
memory and CPU bound (the checks run in a child interpreter under `resource.setrlimit`, see `run_bounded`)."""

import textwrap

import pytest


pytest.importorskip("hypothesis")

PROPERTIES = textwrap.dedent(
    """
    import io, json, math, os, tempfile, zipfile
    import pandas as pd
    from hypothesis import HealthCheck, given, settings, strategies as st
    from beart.beatmaps import BeatmapError, BeatmapRefusedError, IntermediateBeatmap
    from beart.beatmaps.osu_file import parse_osu
    from beart.beatmaps.osu_reader import osu_to_intermediate
    from beart.beatmaps.stepmania_file import parse_simfile
    from beart.beatmaps.stepmania_reader import chart_to_intermediate
    from beart.beatmaps.tja_file import parse_tja
    from beart.beatmaps.tja_reader import course_to_intermediate
    from beart.beatmaps.fretsonfire_reader import FretsOnFireSong
    import mido
    from beart.safety import LimitError, UnsafePathError

    OWN_ERRORS = (BeatmapError, BeatmapRefusedError, LimitError, UnsafePathError)
    CHECKS = settings(max_examples={examples}, deadline=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))
    numbers = st.one_of(
        st.integers(-10**6, 10**7).map(str),
        st.sampled_from(["nan", "inf", "-inf", "1e300", "-1e12", "1e-300", "0", "", "abc", "1e15", "-0"]),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
    )
    def joined(parts, separator):
        return st.lists(parts, min_size=0, max_size=9).map(separator.join)

    osu_lines = st.one_of(
        st.sampled_from(["[General]", "[Difficulty]", "[TimingPoints]", "[HitObjects]", "[Events]", "[Metadata]",
                         "Mode: 0", "Mode: 1", "Mode: 2", "Mode: 3", "CircleSize: 7", "SliderMultiplier: 1e300",
                         "AudioFilename: ../../etc/passwd", "osu file format v3", "Tags: beart"]),
        joined(numbers, ","),
        st.tuples(numbers, numbers, numbers, st.sampled_from(["1", "2", "8", "12", "128", "6"]), numbers,
                  st.sampled_from(["B|1:2|3:4", "P|1:1|2:2", "L|nan:3", "C|0:0", "0:0:0:0:"]), numbers, numbers)
            .map(",".join),
        st.text(max_size=40),
    )
    sm_lines = st.one_of(
        st.sampled_from(["#NOTES:", "dance-single:", "pump-single:", "x-unknown:", ":", ";", ",", "#NOTEDATA:;",
                         "#STEPSTYPE:dance-single;", "#MUSIC:/etc/passwd;", "1000", "0200", "0300", "MMMM", "2222",
                         "3333", "#OFFSET:", "#BPMS:0=", "#STOPS:", "#WARPS:", "#DELAYS:", "#FAKES:"]),
        st.tuples(numbers, numbers).map("=".join),
        joined(st.sampled_from("0123M4LFK,;:#"), ""),
        st.text(max_size=40),
    )

    def every_map_reads_or_refuses(parse, maps, convert):
        # A file of several maps (charts, courses): it parses or refuses, and so does each of its maps.
        try:
            parsed = parse()
        except OWN_ERRORS:
            return
        for one_map in getattr(parsed, maps):
            try:
                convert(parsed, one_map, for_training=True)
            except OWN_ERRORS:
                pass

    @CHECKS
    @given(st.one_of(st.binary(max_size=2000), joined(osu_lines, "\\n").map(str.encode)))
    def osu_reads_or_refuses(content):
        try:
            osu_to_intermediate(parse_osu(content, "hostile.osu"), content, for_training=True)
        except OWN_ERRORS:
            pass

    @CHECKS
    @given(st.one_of(st.binary(max_size=2000), joined(sm_lines, "\\n").map(str.encode)), st.booleans())
    def simfile_reads_or_refuses(content, ssc):
        every_map_reads_or_refuses(
            lambda: parse_simfile(content, "hostile.ssc" if ssc else "hostile.sm"), "charts", chart_to_intermediate
        )

    tja_lines = st.one_of(
        st.sampled_from(["#START", "#END", "#START P2", "COURSE:Oni", "COURSE:7", "LEVEL:99", "WAVE:../../etc/passwd",
                         "#BRANCHSTART p,1,2", "#N", "#E", "#M", "#BRANCHEND", ",", "5008", "7", "8", "9",
                         "ABCDEFG", "#MEASURE 0/0", "PREIMAGE:x.png"]),
        st.tuples(st.sampled_from(["BPM:", "OFFSET:", "#BPMCHANGE ", "#DELAY ", "#MEASURE ", "DEMOSTART:"]), numbers)
            .map("".join),
        joined(st.sampled_from("0123456789AB,"), ""),
        st.text(max_size=40),
    )

    @CHECKS
    @given(st.one_of(st.binary(max_size=2000), joined(tja_lines, "\\n").map(str.encode)))
    def tja_reads_or_refuses(content):
        every_map_reads_or_refuses(lambda: parse_tja(content, "hostile.tja"), "courses", course_to_intermediate)

    midi_events = st.lists(st.tuples(
        st.sampled_from([0, 1, 479, 2**20, 2**27]),
        st.sampled_from(["note_on", "note_off", "set_tempo", "note_on0"]),
        st.integers(58, 102), st.sampled_from([0, 1, 250_000, 2**24 - 1])), max_size=12)
    ini_lines = st.one_of(
        st.sampled_from(["[song]", "[Song]", "[other]", "name = x", "=", "[", "delay = 1e300", "delay = -1e9",
                         "diff_guitar = nan", "sustain_cutoff_threshold = -5", "preview_start_time = inf"]),
        st.tuples(st.sampled_from(["delay = ", "diff_guitar = ", "sustain_cutoff_threshold = "]), numbers)
            .map("".join),
        st.text(max_size=30),
    )
    song_folder = tempfile.mkdtemp()

    def midi_file(tracks, ticks_per_beat):
        midi = mido.MidiFile(type=1, ticks_per_beat=ticks_per_beat)
        for events in tracks:
            track = mido.MidiTrack()
            for delta, kind, pitch, value in events:
                if kind == "set_tempo":
                    track.append(mido.MetaMessage("set_tempo", tempo=value, time=delta))
                else:
                    velocity = 0 if kind == "note_on0" else 100
                    track.append(mido.Message(kind.rstrip("0"), note=pitch, velocity=velocity, time=delta))
            midi.tracks.append(track)
        buffer = io.BytesIO()
        midi.save(file=buffer)
        return buffer.getvalue()

    def song_folder_reads_or_refuses(folder, chart_name, chart, ini):
        # A song folder of this chart and song.ini: it opens or refuses, and so does each of its difficulties.
        with open(os.path.join(folder, chart_name), "wb") as file:
            file.write(chart)
        with open(os.path.join(folder, "song.ini"), "w", encoding="utf-8", errors="replace") as file:
            file.write(ini)
        try:
            song = FretsOnFireSong(folder)
        except OWN_ERRORS:
            return
        for name in song.difficulty_names:
            try:
                song.read(name, for_training=True)
            except OWN_ERRORS:
                pass

    @CHECKS
    @given(st.one_of(st.binary(max_size=2000), st.builds(midi_file, st.lists(midi_events, max_size=3),
                                                         st.sampled_from([1, 96, 480, 32767]))),
           joined(ini_lines, "\\n"))
    def fretsonfire_reads_or_refuses(notes_mid, ini):
        song_folder_reads_or_refuses(song_folder, "notes.mid", notes_mid, ini)

    chart_lines = st.one_of(
        st.sampled_from(["[Song]", "[SyncTrack]", "[ExpertSingle]", "[EasyDoubleBass]", "[Events]", "{{", "}}",
                         "Resolution = 0", "Resolution = 480", "Offset = 1e300", "Offset = nan", "Offset = -99",
                         'MusicStream = "../../etc/passwd"', "Charter = beart AI", "0 = TS 4", "0 = A 1"]),
        st.tuples(numbers, st.sampled_from([" = B ", " = N ", " = N 7 ", " = N 0 ", " = S 2 ", " = E "]), numbers)
            .map("".join),
        st.text(max_size=30),
    )

    chart_folder = tempfile.mkdtemp()

    @CHECKS
    @given(st.one_of(st.binary(max_size=2000), joined(chart_lines, "\\n").map(str.encode)), joined(ini_lines, "\\n"))
    def clone_hero_chart_reads_or_refuses(notes_chart, ini):
        song_folder_reads_or_refuses(chart_folder, "notes.chart", notes_chart, ini)

    json_values = st.recursive(
        st.one_of(st.none(), st.booleans(), st.floats(allow_nan=False), st.integers(), st.text(max_size=10)),
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
        max_leaves=12,
    )
    metas = st.fixed_dictionaries(
        {{"audio": st.one_of(st.text(max_size=12), st.sampled_from(["/etc/passwd", "../../x", "a.wav"]), json_values),
          "difficulty": st.one_of(st.floats(), json_values), "tracks": st.one_of(
              st.lists(st.sampled_from(["LEFT", "UP", "DOWN", "RIGHT", "X"]), max_size=5), json_values)}})
    columns = st.dictionaries(
        st.sampled_from(["TIME", "TEMPO", "LEFT", "UP", "DOWN", "RIGHT", "EMPTY", "SPINNER", "time"]),
        st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=3, max_size=3), max_size=7)
    folder = tempfile.mkdtemp()

    @CHECKS
    @given(metas, columns, st.binary(max_size=64), st.sampled_from(["valid", "bytes", "no-data"]))
    def ibf_reads_or_refuses(meta, data, junk, layout):
        path = os.path.join(folder, "hostile.ibf")
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("meta.json", json.dumps(meta) if layout != "bytes" else junk)
            if layout != "no-data":
                table = io.BytesIO()
                pd.DataFrame(data or {{"x": [1]}}).to_parquet(table)
                archive.writestr("data.pq", table.getvalue() if layout == "valid" else junk)
        try:
            IntermediateBeatmap.load(path)
        except OWN_ERRORS:
            pass

    for check in (osu_reads_or_refuses, simfile_reads_or_refuses, tja_reads_or_refuses, fretsonfire_reads_or_refuses,
                  clone_hero_chart_reads_or_refuses, ibf_reads_or_refuses):
        check()
        print("held:", check.__name__)
    """
)


def test_every_reader_parses_or_raises_its_own_error_within_bounds(run_bounded):
    result = run_bounded(PROPERTIES.format(examples=120), memory_gib=1.0, seconds=240)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    assert result.stdout.count("held:") == 6
