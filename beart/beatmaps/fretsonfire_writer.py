"""Writing intermediate beatmaps as a Frets on Fire / Clone Hero song folder: `notes.mid` (or Clone Hero's
`notes.chart`), `song.ini` and the audio as `song.ogg`, one difficulty per beatmap.

Maps with 1 or 2 tracks are spread onto the four tracks first (see `beart.beatmaps.tracks`). The tracks go onto the
frets LEFT -> green, DOWN -> red, UP -> yellow, RIGHT -> blue, and on the five-fret difficulties (Hard and Expert) a
RIGHT note climbs to orange when the note before it lay on yellow or orange, so that runs up the neck use the whole
neck; reading the folder back folds blue and orange onto RIGHT again, so no note changes track. Holds become sustains;
hits are notes of a 16th of a beat, below the `sustain_cutoff_threshold` the `song.ini` states. Timing comes from the
first beatmap's TEMPO on the shared beat grid (`beart.beatmaps.beat_grid`): the MIDI tempo map at 480 ticks per beat
and `song.ini`'s `delay` (ms, beat 0's time in the song), each note on the coarsest subdivision within 5 ms. The
difficulty picks the pitch range (BEaRT's difficulty in quarters, easiest first; a taken range gives way to the
nearest free one) and `diff_guitar` follows the hardest map; the part is `PART GUITAR`, which Clone Hero reads and
Frets on Fire reads as its only part. `charter` says the charts are AI-generated and names the model.
"""

import os

import numpy as np
import pandas as pd

from ..audio import ogg_file_bytes
from .beat_grid import ROWS_PER_BEAT, BeatGrid
from .difficulty_bands import band_and_number
from .errors import BeatmapError
from .files import write_song_files
from .fretsonfire_chart import notes_chart_text
from .fretsonfire_file import SongIni, notes_mid_bytes
from .fretsonfire_reader import (
    CHART_NAME,
    CHART_TEXT_EXTENSION,
    CHART_TEXT_NAME,
    DIFFICULTY_BANDS,
    DIFFICULTIES,
    FRETS,
    INI_NAME,
    MANIA_TRACKS,
)
from .intermediate import IntermediateBeatmap
from .tracks import retrack


TICKS_PER_ROW = 10
TICKS_PER_BEAT = ROWS_PER_BEAT * TICKS_PER_ROW
HIT_TICKS = TICKS_PER_BEAT // 16
SONG_NAME = "song.ogg"
PART_NAME = "PART GUITAR"
GREEN, RED, YELLOW, BLUE, ORANGE = range(FRETS)
TRACK_FRETS = {"LEFT": GREEN, "DOWN": RED, "UP": YELLOW, "RIGHT": BLUE}
FIVE_FRET_BASES = (84, 96)


def difficulty_base(difficulty: float, taken: set) -> int:
    """The lowest pitch of the free difficulty range nearest to the one whose band holds `difficulty`."""
    wanted, _ = band_and_number(DIFFICULTY_BANDS, difficulty, max(DIFFICULTIES))
    free = [base for base in DIFFICULTIES if base not in taken]
    if not free:
        raise BeatmapError(f"A Frets on Fire song holds at most {len(DIFFICULTIES)} difficulties.")
    return min(free, key=lambda base: (abs(base - wanted), -base))


def _frets(objects: pd.DataFrame, five_frets: bool) -> np.ndarray:
    """The fret of each object (sorted by start row): see the module docstring."""
    frets = objects["track"].map(TRACK_FRETS).to_numpy(np.int64).copy()
    if not five_frets:
        return frets
    rows = objects["start_row"].to_numpy()
    previous = set()
    for _, chord in pd.Series(np.arange(len(rows))).groupby(rows, sort=True):
        indices = chord.to_numpy()
        climbing = previous & {YELLOW, ORANGE}
        frets[indices] = np.where((frets[indices] == BLUE) & bool(climbing), ORANGE, frets[indices])
        previous = set(frets[indices].tolist())
    return frets


def _notes(beatmap: IntermediateBeatmap, grid: BeatGrid, base: int) -> pd.DataFrame:
    """The MIDI notes (`start_tick`, `end_tick`, `pitch`) of one difficulty."""
    objects = retrack(beatmap, list(MANIA_TRACKS)).hit_objects()
    if objects.empty:
        raise BeatmapError("The beatmap has no hits or holds, so there is nothing to write.")
    objects = objects.assign(start_row=grid.rows_at(objects["start"]), end_row=grid.rows_at(objects["end"]))
    objects = objects.sort_values(["start_row", "track"], kind="stable").reset_index(drop=True)
    pitch = base + _frets(objects, base in FIVE_FRET_BASES)
    start = objects["start_row"].to_numpy(np.int64) * TICKS_PER_ROW
    is_hold = (objects["end"] > objects["start"]).to_numpy()
    end = np.where(is_hold, objects["end_row"].to_numpy(np.int64) * TICKS_PER_ROW, start + HIT_TICKS)
    notes = pd.DataFrame({"start_tick": start, "end_tick": end, "pitch": pitch})
    notes = notes.drop_duplicates(["start_tick", "pitch"]).sort_values(["pitch", "start_tick"], kind="stable")
    start, end, pitch = (notes[column].to_numpy(np.int64) for column in ("start_tick", "end_tick", "pitch"))
    followed = np.append(pitch[1:] == pitch[:-1], False)  # the next note of the same fret
    next_start = np.where(followed, np.append(start[1:], 0), np.iinfo(np.int64).max)
    notes["end_tick"] = np.maximum(np.minimum(end, next_start), start + 1)
    return notes.sort_values(["start_tick", "pitch"], kind="stable").reset_index(drop=True)


def fretsonfire_files(
    beatmaps: list[IntermediateBeatmap],
    *,
    title: str | None = None,
    artist: str | None = None,
    model_name: str = "beart",
    chart_format: str = "mid",
) -> dict:
    """
    The chart files of a song folder with one difficulty per beatmap.

    Args:
        beatmaps (`list[IntermediateBeatmap]`): the difficulties (at most four); the first one's TEMPO times them all.
        title, artist (`str`, *optional*): default to the first beatmap's.
        model_name (`str`, *optional*, defaults to `"beart"`): the model named as the charter.
        chart_format (`str`, *optional*, defaults to `"mid"`): `"mid"` writes `notes.mid`; `"chart"` writes Clone
            Hero's `notes.chart` instead (Moonscraper edits it), with beat 0's time as its `Offset` and `song.ini`'s
            `delay` 0.

    Returns:
        `dict[str, bytes | str]`: `notes.mid` (bytes) or `notes.chart` (text), and `song.ini` (text).
    """
    if chart_format not in ("mid", "chart"):
        raise ValueError(f"chart_format must be 'mid' or 'chart', not {chart_format!r}.")
    if not beatmaps:
        raise BeatmapError("No beatmap to write.")
    first = beatmaps[0]
    grid = BeatGrid.of(first)
    taken, parts, hardest = set(), [], 0.0
    for beatmap in sorted(beatmaps, key=lambda beatmap: beatmap.difficulty):
        base = difficulty_base(beatmap.difficulty, taken)
        taken.add(base)
        parts.append(_notes(beatmap, grid, base))
        hardest = max(hardest, beatmap.difficulty)
    notes = pd.concat(parts).sort_values(["start_tick", "pitch"], kind="stable")
    title = title or first.meta.get("title") or "Untitled"
    artist = artist or first.meta.get("artist") or "Unknown Artist"
    charter = f"AI-generated by {model_name}"
    tempo = (grid.rows * TICKS_PER_ROW, 60e6 / grid.bpms)
    if chart_format == "chart":
        song = {"Name": title, "Artist": artist, "Charter": charter, "Offset": round(grid.offset_ms) / 1000.0,
                "MusicStream": SONG_NAME}  # fmt: skip
        chart = {CHART_TEXT_NAME: notes_chart_text(TICKS_PER_BEAT, *tempo, notes, song, sustain_cutoff=HIT_TICKS)}
    else:
        chart = {CHART_NAME: notes_mid_bytes(TICKS_PER_BEAT, *tempo, PART_NAME, notes, title=title)}
    _, diff_guitar = band_and_number(DIFFICULTY_BANDS, hardest, max(DIFFICULTIES))
    preview = float(first.meta.get("preview_time", -1))
    ini = SongIni(
        {
            "name": title,
            "artist": artist,
            "charter": charter,
            "delay": str(int(round(grid.offset_ms))) if chart_format == "mid" else "0",
            "diff_guitar": str(diff_guitar),
            "sustain_cutoff_threshold": str(HIT_TICKS),
            "song_length": str(int(first.duration_ms)),
            **({"preview_start_time": str(int(preview))} if preview >= 0 else {}),
        }
    )
    return {**chart, INI_NAME: ini.text()}


def write_fretsonfire(
    beatmaps: list[IntermediateBeatmap] | IntermediateBeatmap,
    output_path,
    audio,
    *,
    overwrite: bool = False,
    **metadata,
) -> list[str]:
    """
    Writes a Frets on Fire / Clone Hero song folder: `notes.mid`, `song.ini` and the audio as `song.ogg` (an Ogg
    file copied, any other format encoded).

    Args:
        beatmaps (`IntermediateBeatmap` or a list of them): the difficulties.
        output_path (`str` or `os.PathLike`): the song folder (or its `notes.mid`), or the folder's `notes.chart` to
            write Clone Hero's `.chart` in place of `notes.mid`.
        audio (`str` or `os.PathLike`): the song.
        overwrite (`bool`, *optional*, defaults to `False`): replace existing files (else `FileExistsError` before
            anything is written).
        **metadata: `title`, `artist`, `model_name` for `fretsonfire_files`.

    Returns:
        `list[str]`: `notes.mid` (or `notes.chart`) and `song.ini` as written.
    """
    beatmaps = [beatmaps] if isinstance(beatmaps, IntermediateBeatmap) else list(beatmaps)
    output_path = os.fspath(output_path)
    chart_format = "chart" if output_path.lower().endswith(CHART_TEXT_EXTENSION) else "mid"
    names_a_chart = output_path.lower().endswith((".mid", CHART_TEXT_EXTENSION))
    folder = os.path.dirname(output_path) if names_a_chart else output_path
    files = fretsonfire_files(beatmaps, chart_format=chart_format, **metadata)
    song = ogg_file_bytes(audio)
    return write_song_files(os.path.abspath(folder), files, song, audio_name=SONG_NAME, overwrite=overwrite)
