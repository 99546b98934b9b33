"""Writing intermediate beatmaps as a TJA song (Taiko simulators): one course per beatmap, the audio beside it.

Maps with 1 or 4 tracks are folded or spread onto don (LEFT) and ka (RIGHT) first (see `beart.beatmaps.tracks`). A hit
on LEFT is a don (`1`), on RIGHT a ka (`2`), on both at once a big don (`3`); a hold on both tracks (or flagged
`SPINNER`) is a balloon (`7`) and any other hold a drumroll (`5`), each ended by an `8`; hits under a roll are left
out, as no simulator can play them. Timing comes from the first beatmap's TEMPO on the shared beat grid
(`beart.beatmaps.beat_grid`): `BPM` and `OFFSET` (beat 0 at song time `-OFFSET`), `#BPMCHANGE` where the tempo changes,
4/4 measures, each note on the coarsest subdivision within 5 ms and each measure written with the fewest characters
that hold its notes. The writer builds a `TjaFile` (the parser's file model) and serializes it with `TjaFile.text`. The
difficulty picks the course and its `LEVEL` (the inverse of the reader's mapping); `MAKER` and a comment say the charts
are AI-generated and name the model. The file is UTF-8 with a byte order mark, which OpenTaiko needs to read a title
in Japanese as such (without one it reads Shift-JIS).
"""

import os

import numpy as np

from .beat_grid import ROWS_PER_BEAT, BeatGrid
from .difficulty_bands import band_and_number
from .errors import BeatmapError
from .files import song_location, write_song_files
from .intermediate import IntermediateBeatmap
from .tja_file import TjaCourse, TjaFile
from .tja_reader import COURSE_RANGES, TAIKO_TRACKS
from .tracks import retrack


ROWS_PER_MEASURE = 4 * ROWS_PER_BEAT
MEASURE_CHARACTERS = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 192)
BALLOON_HITS_PER_SECOND = 10


def course_and_level(difficulty: float, taken: set) -> tuple[str, int]:
    """The course whose band holds the difficulty (a second Oni becomes Edit) and the level placing it in the band."""
    course, level = band_and_number(COURSE_RANGES, difficulty, "Oni")
    return ("Edit" if course == "Oni" and course in taken else course), level


def _note_rows(beatmap: IntermediateBeatmap, grid: BeatGrid) -> tuple[dict, list]:
    """Row -> note character of one course, and the balloons' hit counts in order."""
    objects = retrack(beatmap, list(TAIKO_TRACKS)).hit_objects()
    if objects.empty:
        raise BeatmapError("The beatmap has no hits or holds, so there is nothing to write.")
    objects = objects.assign(start_row=grid.rows_at(objects["start"]), end_row=grid.rows_at(objects["end"]))
    holds = objects[objects["end_row"] > objects["start_row"]]
    hits = objects[objects["end_row"] <= objects["start_row"]]
    spinner = beatmap.in_spinner(holds)
    both = holds.duplicated(["start_row", "end_row"], keep=False)
    rows, balloons, rolls = {}, [], []
    spans = holds.assign(balloon=spinner | both.to_numpy()).drop_duplicates(["start_row"]).sort_values("start_row")
    for span in spans.itertuples():
        if rolls and span.start_row <= rolls[-1][1]:
            continue  # a roll overlapping the one before: left out
        rows[span.start_row] = "7" if span.balloon else "5"
        rows[span.end_row] = "8"
        rolls.append((span.start_row, span.end_row))
        if span.balloon:
            balloons.append(max(1, int(round((span.end - span.start) / 1000.0 * BALLOON_HITS_PER_SECOND))))
    roll_starts = np.array([start for start, _ in rolls], dtype=np.int64)
    roll_ends = np.array([end for _, end in rolls], dtype=np.int64)
    for row, tracks in hits.groupby("start_row")["track"]:
        index = np.searchsorted(roll_starts, row, side="right") - 1
        if index >= 0 and row <= roll_ends[index]:
            continue  # under a roll: no simulator can play it
        rows[row] = "3" if tracks.nunique() > 1 else ("1" if tracks.iloc[0] == TAIKO_TRACKS[0] else "2")
    return rows, balloons


def _measures(rows: dict, changes: dict, num_measures: int) -> list[str]:
    """The chart's lines: each 4/4 measure with the fewest characters holding its notes and tempo changes, a
    `#BPMCHANGE` line where the tempo changes inside or at the start of a measure."""
    lines = []
    for measure in range(num_measures):
        start = measure * ROWS_PER_MEASURE
        used = [row - start for row in (*rows, *changes) if start <= row < start + ROWS_PER_MEASURE]
        count = next(count for count in MEASURE_CHARACTERS if not any(row % (ROWS_PER_MEASURE // count) for row in used))
        step = ROWS_PER_MEASURE // count
        text = ""
        for slot in range(count):
            row = start + slot * step
            if row in changes:
                if text:
                    lines.append(text)
                    text = ""
                lines.append(f"#BPMCHANGE {changes[row]:.6g}")
            text += rows.get(row, "0")
        lines.append(text + ",")
    return lines


def tja_text(
    beatmaps: list[IntermediateBeatmap],
    *,
    audio_filename: str | None = None,
    title: str | None = None,
    artist: str | None = None,
    model_name: str = "beart",
) -> str:
    """
    The text of a `.tja` file with one course per beatmap.

    Args:
        beatmaps (`list[IntermediateBeatmap]`): the courses; the first one's TEMPO times them all.
        audio_filename (`str`, *optional*): `WAVE`; defaults to the first beatmap's audio.
        title, artist (`str`, *optional*): default to the first beatmap's.
        model_name (`str`, *optional*, defaults to `"beart"`): the model named as the maker.
    """
    if not beatmaps:
        raise BeatmapError("No beatmap to write.")
    first = beatmaps[0]
    grid = BeatGrid.of(first)
    changes = {int(row): bpm for row, bpm in zip(grid.rows[1:], grid.bpms[1:])}
    preview = max(float(first.meta.get("preview_time", -1)), 0.0) / 1000
    headers = {
        "TITLE": title or first.meta.get("title") or "Untitled",
        "SUBTITLE": f"--{artist or first.meta.get('artist') or 'Unknown Artist'}",
        "BPM": f"{grid.bpms[0]:.6g}",
        "WAVE": audio_filename or first.audio,
        "OFFSET": f"{-grid.offset_ms / 1000 + 0.0:.6f}",
        "DEMOSTART": f"{preview:.3f}",
        "MAKER": f"AI-generated by {model_name}",
    }
    taken, courses = set(), []
    for beatmap in beatmaps:
        course, level = course_and_level(beatmap.difficulty, taken)
        taken.add(course)
        rows, balloons = _note_rows(beatmap, grid)
        num_measures = max(rows) // ROWS_PER_MEASURE + 1
        chart = _measures(rows, changes, num_measures)
        course_headers = {"LEVEL": str(level), "BALLOON": ",".join(map(str, balloons))}
        courses.append(TjaCourse(course, level, course_headers, chart=chart))
    return TjaFile("", headers, courses).text(comments=(f"AI-generated by {model_name} (beart)",))


def write_tja(
    beatmaps: list[IntermediateBeatmap] | IntermediateBeatmap, output_path, audio, *, overwrite: bool = False, **metadata
) -> list[str]:
    """
    Writes a TJA song: the `.tja` file and the audio beside it.

    Args:
        beatmaps (`IntermediateBeatmap` or a list of them): the courses.
        output_path (`str` or `os.PathLike`): a folder (the file is named after the title) or a `.tja` path.
        audio (`str` or `os.PathLike`): the song, copied beside the chart unless it already is there.
        overwrite (`bool`, *optional*, defaults to `False`): replace existing files (else `FileExistsError` before
            anything is written).
        **metadata: `title`, `artist`, `model_name` for `tja_text`.

    Returns:
        `list[str]`: the `.tja` written.
    """
    beatmaps = [beatmaps] if isinstance(beatmaps, IntermediateBeatmap) else list(beatmaps)
    folder, stem = song_location(output_path, (".tja",), metadata.get("title") or beatmaps[0].meta.get("title"))
    text = tja_text(beatmaps, audio_filename=os.path.basename(os.fspath(audio)), **metadata)
    # UTF-8 with a byte order mark: OpenTaiko and TJAPlayer3 read a file without one as Shift-JIS
    return write_song_files(folder, {f"{stem}.tja": text.encode("utf-8-sig")}, audio, overwrite=overwrite)
