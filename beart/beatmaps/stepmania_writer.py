"""Writing intermediate beatmaps as StepMania simfiles (`.sm` and `.ssc`), one dance-single chart per beatmap.

Maps with 1 or 2 tracks are spread onto the four panels (see `beart.beatmaps.tracks`). The timing comes from the first
beatmap's TEMPO column (120 BPM when unknown): the first known tempo's beats fall on the step where it starts (so a map
whose TEMPO is 0 until its first beat keeps that beat's phase), beat 0 is the last of them at or before the start of the
audio (`#OFFSET`, 0 when the tempo is known from the start), and every tempo change becomes a `#BPMS` entry on the
nearest 192nd note; tempos below 62.5 BPM are written doubled so that a 192nd note stays within 10 ms. Each note goes to
the coarsest subdivision of the beat (1/1, 1/2, 1/3, 1/4, 1/6, 1/8, 1/12, 1/16, 1/24, 1/48) that lies within 5 ms of it,
so it reads back on its own 10 ms step, and each measure is written with the fewest rows that hold its notes. Holds are
head (`2`) and tail (`3`) pairs.

The difficulty picks the slot and meter (the inverse of the reader's mapping); a second chart for a slot already
taken becomes an Edit. The song credit and every chart's description and credit say the charts are AI-generated
and name the model. The writer builds a `StepManiaFile` (the parser's file model) and serializes it with
`StepManiaFile.text`.
"""

import os

import numpy as np
import pandas as pd

from .difficulty_bands import band_and_number
from .errors import BeatmapError
from .beat_grid import BeatGrid, strictly_increasing
from .files import song_location, write_song_files
from .intermediate import IntermediateBeatmap
from .stepmania_file import (
    MEASURE_ROW_COUNTS,
    ROWS_PER_BEAT,
    ROWS_PER_MEASURE,
    SimfileChart,
    SimfileEntry,
    StepManiaFile,
)
from .stepmania_reader import SLOT_RANGES, STEPMANIA_TRACKS
from .tracks import retrack


WRITTEN_MEASURE_ROWS = tuple(count for count in MEASURE_ROW_COUNTS if count >= 4)


def _measures(grid: np.ndarray) -> list[str]:
    """Note rows `(num_rows, 4)` of characters as measures, each with the fewest rows holding its notes."""
    measures = []
    for start in range(0, len(grid), ROWS_PER_MEASURE):
        block = grid[start : start + ROWS_PER_MEASURE]
        used = np.flatnonzero((block != "0").any(axis=1))
        count = next(count for count in WRITTEN_MEASURE_ROWS if not (used % (ROWS_PER_MEASURE // count)).any())
        rows = block[:: ROWS_PER_MEASURE // count]
        measures.append("\n".join("".join(row) for row in rows))
    return measures


def _chart_notes(beatmap: IntermediateBeatmap, grid: BeatGrid) -> str:
    objects = retrack(beatmap, list(STEPMANIA_TRACKS)).hit_objects()
    if objects.empty:
        raise BeatmapError("The beatmap has no hits or holds, so there is nothing to write.")
    is_hold = (objects["end"] > objects["start"]).to_numpy()
    points = pd.DataFrame(
        {
            "column": np.concatenate([objects["track"].map(STEPMANIA_TRACKS.index)] * 2),
            "time": np.concatenate([objects["start"], objects["end"]]),
            "character": np.concatenate([np.where(is_hold, "2", "1"), np.where(is_hold, "3", "")]),
        }
    )
    points = points[points["character"] != ""].sort_values(["column", "time"], kind="stable")
    points["row"] = grid.rows_at(points["time"])
    for column in range(len(STEPMANIA_TRACKS)):
        in_column = (points["column"] == column).to_numpy()
        points.loc[in_column, "row"] = strictly_increasing(points.loc[in_column, "row"].to_numpy())
    num_rows = (points["row"].max() // ROWS_PER_MEASURE + 1) * ROWS_PER_MEASURE
    notes = np.full((num_rows, len(STEPMANIA_TRACKS)), "0")
    notes[points["row"].to_numpy(), points["column"].to_numpy()] = points["character"].to_numpy()
    return "\n,\n".join(_measures(notes))


def _slot_and_meter(difficulty: float, taken: set) -> tuple[str, int]:
    """The slot whose band holds the difficulty (an Edit when taken) and the meter placing it in the band."""
    slot, meter = band_and_number(SLOT_RANGES, difficulty, "Challenge")
    return ("Edit" if slot in taken else slot), meter


def simfile_text(
    beatmaps: list[IntermediateBeatmap],
    *,
    ssc: bool = False,
    audio_filename: str | None = None,
    title: str | None = None,
    artist: str | None = None,
    model_name: str = "beart",
) -> str:
    """
    The text of a `.sm` (or, with `ssc=True`, `.ssc`) simfile with one dance-single chart per beatmap.

    Args:
        beatmaps (`list[IntermediateBeatmap]`): the charts; the first one's TEMPO times them all.
        ssc (`bool`, *optional*, defaults to `False`): write the `.ssc` format.
        audio_filename (`str`, *optional*): `#MUSIC`; defaults to the first beatmap's audio.
        title, artist (`str`, *optional*): default to the first beatmap's, else "Untitled" / "Unknown Artist".
        model_name (`str`, *optional*, defaults to `"beart"`): the model named in the credits.
    """
    if not beatmaps:
        raise BeatmapError("No beatmap to write.")
    first = beatmaps[0]
    grid = BeatGrid.of(first)
    credit = f"AI-generated by {model_name}"
    bpms = ",".join(f"{row / ROWS_PER_BEAT:.6f}={bpm:.6f}" for row, bpm in zip(grid.rows, grid.bpms))
    preview = max(float(first.meta.get("preview_time", -1)), 0.0) / 1000
    song = {
        **({"VERSION": "0.83"} if ssc else {}),
        "TITLE": title or first.meta.get("title") or "Untitled",
        "SUBTITLE": "",
        "ARTIST": artist or first.meta.get("artist") or "Unknown Artist",
        "CREDIT": credit,
        "MUSIC": audio_filename or first.audio,
        "OFFSET": f"{-grid.offset_ms / 1000 + 0.0:.6f}",
        "SAMPLESTART": f"{preview:.3f}",
        "SAMPLELENGTH": "15.000",
        "SELECTABLE": "YES",
        "BPMS": bpms,
        "STOPS": "",
        **({"DELAYS": "", "WARPS": "", "FAKES": ""} if ssc else {}),
    }
    charts, taken = [], set()
    for beatmap in beatmaps:
        slot, meter = _slot_and_meter(beatmap.difficulty, taken)
        taken.add(slot)
        notes = SimfileEntry(f"\n{_chart_notes(beatmap, grid)}\n", 0)
        description = f"{credit} ({beatmap.difficulty:.2f})"
        charts.append(SimfileChart("dance-single", description, slot, meter, credit if ssc else "", notes))
    entries = {tag: SimfileEntry(value, 0) for tag, value in song.items()}
    return StepManiaFile("", ssc, entries, charts).text()


def write_stepmania(
    beatmaps: list[IntermediateBeatmap] | IntermediateBeatmap,
    output_path,
    audio,
    *,
    formats=("sm", "ssc"),
    overwrite: bool = False,
    **metadata,
) -> list[str]:
    """
    Writes a StepMania song: `.sm` and `.ssc` simfiles and the audio beside them.

    Args:
        beatmaps (`IntermediateBeatmap` or a list of them): the charts.
        output_path (`str` or `os.PathLike`): a folder (the files are named after the title), or a `.sm` / `.ssc`
            path whose folder and name are used.
        audio (`str` or `os.PathLike`): the song, copied beside the simfiles unless it already is there.
        formats (`tuple[str]`, *optional*, defaults to `("sm", "ssc")`): which simfiles to write.
        overwrite (`bool`, *optional*, defaults to `False`): replace existing simfiles and a different audio file of
            the same name; without it they raise `FileExistsError` before anything is written.
        **metadata: `title`, `artist`, `model_name` for `simfile_text`.

    Returns:
        `list[str]`: the simfiles written. Each file appears complete or not at all; nothing is written when a text
        cannot be made.
    """
    beatmaps = [beatmaps] if isinstance(beatmaps, IntermediateBeatmap) else list(beatmaps)
    title = metadata.get("title") or beatmaps[0].meta.get("title")
    folder, stem = song_location(output_path, (".sm", ".ssc"), title)
    audio_name = os.path.basename(os.fspath(audio))
    texts = {
        f"{stem}.{extension}": simfile_text(beatmaps, ssc=extension == "ssc", audio_filename=audio_name, **metadata)
        for extension in formats
    }
    return write_song_files(folder, texts, audio, overwrite=overwrite)
