"""The intermediate beatmap format: any rhythm game's chart as 10 ms event grids, one per track.

On disk an intermediate beatmap (`.ibf`) is a zip of `meta.json` and `data.pq` (a parquet table), the layout the
original BeatLearning code writes, so its files load here and ours load there.
"""

import io
import json
import os
import zipfile

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from transformers.utils import logging

from ..beat_vocabulary import EVENT_HIT, EVENT_HOLD, EVENT_NONE, TRACK_COUNTS
from ..safety import ZIP_READ_ERRORS, LimitError, check_duration, check_member_size, confined_path, limits
from .errors import BeatmapError
from .files import write_atomically
from .numbers import finite_number, is_number, is_whole_number
from .provenance import AI_GENERATED


logger = logging.get_logger(__name__)


QUANTUM_MS = 10
ROWS_PER_BEAT = 48  # the finest subdivision of a beat that written files take (`beat_grid.BeatGrid`)
TRACK_NAMES = ("LEFT", "UP", "DOWN", "RIGHT")
MAX_BPM = 100000.0
FLAG_COLUMNS = ("EMPTY", "NEW_COMBO", "SPINNER")
TEXT_METADATA = ("title", "artist", "creator", "version")  # what the writers put into a file's text, where given
HIT_OBJECT_COLUMNS = ("track", "start", "end")


def snap_to_steps(times_ms) -> np.ndarray:
    """Index of the 10 ms step nearest to each time (in ms), halves rounded up; times before 0 go to step 0."""
    steps = np.floor(np.asarray(times_ms, dtype=np.float64) / QUANTUM_MS + 0.5).astype(np.int64)
    return np.maximum(steps, 0)


def check_times(times_ms: np.ndarray) -> None:
    """Refuses times that are not finite or lie past the longest song, before a grid is allocated for them."""
    if not np.isfinite(times_ms).all():
        raise BeatmapError("A time of the beatmap is not a finite number.")
    if len(times_ms):
        check_duration(times_ms.max() / 1000.0, "The beatmap")


def preview_time_ms(seconds_text: str, where: str) -> int:
    """A map's preview time (ms) from its text in seconds (`#SAMPLESTART`, `DEMOSTART`); -1 when absent or not a time
    in the song, with a warning (see `song_preview_ms`)."""
    if not seconds_text.strip():
        return -1
    seconds = finite_number(seconds_text)
    return song_preview_ms(np.nan if seconds is None else seconds * 1000, seconds_text, where)


def song_preview_ms(milliseconds: float, text: str, where: str) -> int:
    """A map's preview time in whole ms, -1 where it is not a time in the longest song (`text` as the file wrote it
    named in a warning): it only places the song's preview, so a map is never refused for it."""
    if not np.isfinite(milliseconds) or abs(milliseconds) > 1e3 * limits.max_song_seconds:
        logger.warning(f"{where}: the preview time {text!r} is not a time in the song; ignored.")
        return -1
    return round(milliseconds)


def notes_in_song(objects: pd.DataFrame, where: str, offset_name: str) -> pd.DataFrame:
    """
    The objects (`start` in ms) without those starting before the song, which a chart's offset (`offset_name`) puts
    there; a warning counts them.

    Raises:
        `BeatmapError`: every object lies before the song.
    """
    early = objects["start"] < -QUANTUM_MS / 2
    if not early.any():
        return objects
    logger.warning(f"{where}: {int(early.sum())} note(s) before the song starts ({offset_name}); left out.")
    if early.all():
        raise BeatmapError(f"{where}: every note lies before the song starts.")
    return objects[~early]


def intro_span(objects: pd.DataFrame) -> pd.DataFrame:
    """The span (`start`, `end` in ms) before the first object, to flag `EMPTY`; no span when it starts the song."""
    empty = pd.DataFrame({"start": [0.0], "end": [float(objects["start"].min()) - QUANTUM_MS]})
    return empty[empty["end"] >= 0]


def _json_scalar(value):
    """Plain Python numbers for numpy scalars in metadata."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"Beatmap metadata holds a {type(value).__name__}, which JSON cannot store.")


def _spans_to_mask(starts, ends, num_steps: int) -> np.ndarray:
    """Boolean `(num_steps,)` mask covering the inclusive step spans `[starts[i], ends[i]]`."""
    delta = np.zeros(num_steps + 1, dtype=np.int64)
    np.add.at(delta, np.asarray(starts, dtype=np.int64), 1)
    np.add.at(delta, np.asarray(ends, dtype=np.int64) + 1, -1)
    return np.cumsum(delta[:-1]) > 0


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last index of each run of `True` in a boolean vector."""
    padded = np.concatenate(([0], mask.astype(np.int8), [0]))
    edges = np.diff(padded)
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1


def _numbers(data: pd.DataFrame, column: str) -> np.ndarray:
    """A column of a map's data as float64; a column that does not read as numbers (text in an `.ibf` anyone can
    write) raises `BeatmapError` naming it."""
    try:
        return data[column].to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise BeatmapError(f"Column {column} must hold numbers; it holds {data[column].dtype} values.") from None


class IntermediateBeatmap:
    """
    A beatmap as a 10 ms grid of events per track, independent of the game it came from or goes to.

    Each row of `data` is one 10 ms step. Track columns hold 0 (no event), 1 (a hit) or 2 (held: every step from a
    hold's start to its end, both included). `TEMPO` is the tempo in BPM at that step, 0 where unknown. Optional flag
    columns hold 0/1: `EMPTY` (lead-in or break, nothing to play), `NEW_COMBO` (a new combo starts at this step's
    object), `SPINNER` (a hold that is a spinner / swell / banana shower). Other columns are kept as they are.

    Args:
        data (`pd.DataFrame` or `dict`):
            The grid: `TIME` (ms, consecutive multiples of 10), `TEMPO` (BPM), one column per track, optional flags.
        meta (`dict`):
            `audio` (`str`, the audio file name), `difficulty` (`float` in [0, 1]), `tracks` (`list[str]`, 1, 2 or 4
            distinct names from LEFT, UP, DOWN, RIGHT, in play order), and anything else worth keeping (title,
            artist, `source` describing the file it came from; `subdivisions`, the divisors of the beat its objects
            take, coarsest first, which the writers then snap to: a generated map's, see `BeatGrid.of`).

    Raises:
        `BeatmapError`: a column is missing, TIME is not on the 10 ms grid, an event is not 0/1/2, a flag is not 0/1,
        a tempo is negative, a track name is unknown, or the metadata is malformed.
    """

    def __init__(self, data, meta: dict):
        if not isinstance(meta, dict):
            raise BeatmapError(f"Beatmap metadata must be a dict, got {type(meta).__name__}.")
        self.meta = json.loads(json.dumps(meta, default=_json_scalar))
        self.data = pd.DataFrame(data).reset_index(drop=True)
        self._validate()

    @property
    def tracks(self) -> list[str]:
        return list(self.meta["tracks"])

    @property
    def difficulty(self) -> float:
        return float(self.meta["difficulty"])

    @property
    def audio(self) -> str:
        return self.meta["audio"]

    def audio_beside(self, path) -> str:
        """The song this map names, in the folder of the file it was read from (`path`); `""` where it names none.

        Raises:
            `UnsafePathError`: the name leads out of that folder.
        """
        path = os.fspath(path)
        return confined_path(os.path.dirname(os.path.abspath(path)), self.audio, path) if self.audio else ""

    @property
    def events(self) -> np.ndarray:
        """Events of shape `(num_steps, num_tracks)`, uint8, tracks in `meta["tracks"]` order."""
        return self.data[self.tracks].to_numpy(dtype=np.uint8)

    @property
    def duration_ms(self) -> int:
        """Time just after the last step."""
        return int(self.data["TIME"].iloc[-1]) + QUANTUM_MS

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        return (
            f"IntermediateBeatmap(tracks={self.tracks}, difficulty={self.difficulty:.3f}, audio={self.audio!r}, "
            f"steps={len(self)}, objects={len(self.hit_objects())})"
        )

    def _validate_optional_metadata(self) -> None:
        """The metadata the writers read where a map has it: text as text, the preview a time in ms, `source` a
        mapping, `ai_generated` true or false (an `.ibf` is untrusted input; anything else made the writers fail with a
        TypeError). A key whose value is null counts as absent and is dropped (the writers' defaults then apply)."""
        meta = self.meta
        for key in (*TEXT_METADATA, "preview_time", "source", "subdivisions", AI_GENERATED):
            if key in meta and meta[key] is None:
                del meta[key]
        if not isinstance(meta.get(AI_GENERATED, False), bool):
            value = repr(meta[AI_GENERATED])
            raise BeatmapError(f"Beatmap metadata '{AI_GENERATED}' must be true or false, got {value:.80}.")
        for key in TEXT_METADATA:
            if meta.get(key) is not None and not isinstance(meta[key], str):
                raise BeatmapError(f"Beatmap metadata '{key}' must be text, got {repr(meta[key]):.80}.")
        preview = meta.get("preview_time")
        if preview is not None and (
            not is_number(preview)
            or not -1e3 * limits.max_song_seconds <= preview <= 1e3 * limits.max_song_seconds
        ):
            raise BeatmapError(
                "Beatmap metadata 'preview_time' must be a time in ms within the longest song, got "
                f"{repr(preview):.80}."
            )
        if meta.get("source") is not None and not isinstance(meta["source"], dict):
            raise BeatmapError(f"Beatmap metadata 'source' must be a mapping, got {repr(meta['source']):.80}.")
        subdivisions = meta.get("subdivisions")
        if subdivisions is not None and (
            not isinstance(subdivisions, (list, tuple))
            or not 1 <= len(subdivisions) <= ROWS_PER_BEAT
            or any(not is_whole_number(s) or s < 1 or ROWS_PER_BEAT % s for s in subdivisions)
        ):
            raise BeatmapError(
                f"Beatmap metadata 'subdivisions' must be a list of divisors of {ROWS_PER_BEAT} (the beat subdivisions "
                f"its objects take), got {repr(subdivisions):.80}."
            )

    def _validate(self) -> None:
        meta, data = self.meta, self.data
        if not isinstance(meta.get("audio"), str):
            raise BeatmapError("Beatmap metadata needs 'audio': the audio file name as a string.")
        difficulty = meta.get("difficulty")
        if not is_number(difficulty) or not 0.0 <= difficulty <= 1.0:
            raise BeatmapError(f"Beatmap metadata needs 'difficulty' as a number in [0, 1], got {difficulty!r}.")
        meta["difficulty"] = float(difficulty)
        tracks = meta.get("tracks")
        if not isinstance(tracks, list) or len(tracks) not in TRACK_COUNTS:
            raise BeatmapError(f"Beatmap metadata needs 'tracks': a list of 1, 2 or 4 track names, got {tracks!r}.")
        unknown = [name for name in tracks if name not in TRACK_NAMES]
        if unknown:
            raise BeatmapError(f"Unknown track names {unknown}; tracks are named from {list(TRACK_NAMES)}.")
        if len(set(tracks)) != len(tracks):
            raise BeatmapError(f"Track names must be distinct, got {tracks}.")
        self._validate_optional_metadata()

        missing = [column for column in ["TIME", "TEMPO", *tracks] if column not in data.columns]
        if missing:
            raise BeatmapError(f"The beatmap data lacks the column(s) {missing}.")
        if data.empty:
            raise BeatmapError("The beatmap data has no rows.")
        check_duration((len(data) - 1) * QUANTUM_MS / 1000.0, "The beatmap")
        data["TIME"] = _numbers(data, "TIME")  # before sorting: text sorts as text
        data.sort_values("TIME", inplace=True, ignore_index=True)
        times = data["TIME"].to_numpy(dtype=np.float64)
        expected = times[0] + QUANTUM_MS * np.arange(len(times))
        if (
            not np.isfinite(times).all()
            or times[0] < 0
            or times[0] % QUANTUM_MS
            or not np.array_equal(times, expected)
        ):
            raise BeatmapError(
                f"TIME must be consecutive multiples of {QUANTUM_MS} ms from 0 or later (it is not quantised)."
            )
        data["TIME"] = times.astype(np.int64)
        tempo = _numbers(data, "TEMPO")
        tempo = np.where(np.isnan(tempo), 0.0, tempo)
        if not np.isfinite(tempo).all() or (tempo < 0).any() or (tempo > MAX_BPM).any():
            raise BeatmapError(f"TEMPO must be a finite BPM from 0 (unknown) to {MAX_BPM:g}.")
        data["TEMPO"] = tempo
        allowed = {name: (EVENT_NONE, EVENT_HIT, EVENT_HOLD) for name in tracks}
        allowed.update({flag: (0, 1) for flag in FLAG_COLUMNS if flag in data.columns})
        for column, values in allowed.items():
            column_values = data[column].to_numpy()
            bad = ~np.isin(column_values, values)
            if bad.any():
                raise BeatmapError(
                    f"Column {column} holds {column_values[bad][0]!r} at TIME {int(times[bad][0])}; "
                    f"allowed values are {list(values)}."
                )
            data[column] = column_values.astype(np.uint8)

    @classmethod
    def from_hit_objects(
        cls,
        hit_objects: pd.DataFrame,
        meta: dict,
        *,
        tempo_changes: pd.DataFrame | None = None,
        flag_spans: dict | None = None,
        new_combo_times=None,
        end_ms: float | None = None,
    ) -> "IntermediateBeatmap":
        """
        Builds the grid from timed objects.

        Args:
            hit_objects (`pd.DataFrame`):
                Columns `track` (a name from `meta["tracks"]`), `start` and `end` (ms). A hit has `end == start`;
                a hold whose start and end fall on the same 10 ms step becomes a hit. Where a hold covers a hit of
                the same track, the hold wins.
            meta (`dict`):
                As for the constructor.
            tempo_changes (`pd.DataFrame`, *optional*):
                Columns `time` (ms) and `bpm`: the tempo from each time on; the first tempo also holds before it.
                Without it TEMPO is 0 (unknown).
            flag_spans (`dict[str, pd.DataFrame]`, *optional*):
                For `EMPTY` and `SPINNER`: frames with columns `start` and `end` (ms) of the spans to flag.
            new_combo_times (array-like, *optional*):
                Times (ms) of objects that start a new combo; adds a `NEW_COMBO` column.
            end_ms (`float`, *optional*):
                Make the grid reach at least this time (e.g. the end of the audio).
        """
        tracks = list(meta["tracks"])
        hit_objects = pd.DataFrame(hit_objects, columns=list(HIT_OBJECT_COLUMNS))
        times = [hit_objects["start"], hit_objects["end"], [end_ms or 0.0]]
        times += [spans[column] for spans in (flag_spans or {}).values() for column in ("start", "end")]
        times += [new_combo_times] if new_combo_times is not None else []
        times += [tempo_changes["time"]] if tempo_changes is not None else []
        check_times(np.concatenate([np.asarray(part, dtype=np.float64).reshape(-1) for part in times]))
        unknown = set(hit_objects["track"]) - set(tracks)
        if unknown:
            raise BeatmapError(f"Hit objects on tracks {sorted(unknown)} that are not in the beatmap's {tracks}.")
        track_index = hit_objects["track"].map({name: index for index, name in enumerate(tracks)}).to_numpy(np.int64)
        start_steps = snap_to_steps(hit_objects["start"])
        end_steps = np.maximum(snap_to_steps(hit_objects["end"]), start_steps)
        last_times = [0.0, end_ms or 0.0]
        for spans in (flag_spans or {}).values():
            last_times.append(float(np.max(spans["end"].to_numpy(np.float64), initial=0.0)))
        num_steps = int(max(np.max(end_steps, initial=0), snap_to_steps(max(last_times)))) + 1

        events = np.zeros((num_steps, len(tracks)), dtype=np.uint8)
        is_hold = end_steps > start_steps
        events[start_steps[~is_hold], track_index[~is_hold]] = EVENT_HIT
        for index in range(len(tracks)):
            on_track = is_hold & (track_index == index)
            held = _spans_to_mask(start_steps[on_track], end_steps[on_track], num_steps)
            events[held, index] = EVENT_HOLD

        times = np.arange(num_steps, dtype=np.int64) * QUANTUM_MS
        data = {"TIME": times, "TEMPO": np.zeros(num_steps)}
        if tempo_changes is not None and len(tempo_changes):
            change_steps = snap_to_steps(tempo_changes["time"])
            order = np.argsort(change_steps, kind="stable")
            current = np.searchsorted(change_steps[order], np.arange(num_steps), side="right") - 1
            bpm = tempo_changes["bpm"].to_numpy(np.float64)
            bpm = np.where(np.isfinite(bpm) & (bpm > 0) & (bpm <= MAX_BPM), bpm, 0.0)  # beyond it: unknown
            data["TEMPO"] = bpm[order][np.maximum(current, 0)]
        data.update({name: events[:, index] for index, name in enumerate(tracks)})
        for flag, spans in (flag_spans or {}).items():
            if flag not in FLAG_COLUMNS:
                raise BeatmapError(f"Unknown flag {flag!r}; flags are {list(FLAG_COLUMNS)}.")
            mask = _spans_to_mask(snap_to_steps(spans["start"]), snap_to_steps(spans["end"]), num_steps)
            data[flag] = mask.astype(np.uint8)
        if new_combo_times is not None:
            new_combo = np.zeros(num_steps, dtype=np.uint8)
            new_combo[snap_to_steps(new_combo_times)] = 1
            data["NEW_COMBO"] = new_combo
        return cls(pd.DataFrame(data), meta)

    def hit_objects(self) -> pd.DataFrame:
        """
        The objects of the grid, sorted by start then track order: columns `track`, `start` and `end` (ms), equal
        for hits; a hold spans its run of held steps.
        """
        times = self.data["TIME"].to_numpy()
        frames = []
        for index, name in enumerate(self.tracks):
            column = self.data[name].to_numpy()
            hits = np.flatnonzero(column == EVENT_HIT)
            hold_starts, hold_ends = _runs(column == EVENT_HOLD)
            starts = np.concatenate((hits, hold_starts))
            ends = np.concatenate((hits, hold_ends))
            frames.append(pd.DataFrame({"track": name, "start": times[starts], "end": times[ends], "order": index}))
        objects = pd.concat(frames, ignore_index=True).sort_values(["start", "order"], kind="stable")
        return objects.drop(columns="order").reset_index(drop=True)

    def in_spinner(self, objects: pd.DataFrame) -> np.ndarray:
        """Which of `objects` (as from `hit_objects`) are holds starting inside a `SPINNER` flag span."""
        spans = self.flag_spans("SPINNER")
        starts = objects["start"].to_numpy()
        index = np.searchsorted(spans["start"].to_numpy(), starts, side="right") - 1
        inside = (index >= 0) & (starts <= spans["end"].to_numpy()[np.maximum(index, 0)]) if len(spans) else False
        return (objects["end"].to_numpy() > starts) & inside

    def flag_spans(self, flag: str) -> pd.DataFrame:
        """Spans (`start`, `end` in ms) where a flag column is set; empty when the column is absent."""
        if flag not in self.data.columns:
            return pd.DataFrame({"start": [], "end": []}, dtype=np.int64)
        starts, ends = _runs(self.data[flag].to_numpy() == 1)
        times = self.data["TIME"].to_numpy()
        return pd.DataFrame({"start": times[starts], "end": times[ends]})

    def tempo_changes(self) -> pd.DataFrame:
        """Steps where the known (non-zero) tempo changes: columns `time` (ms) and `bpm`."""
        tempo = self.data["TEMPO"].to_numpy()
        known = np.flatnonzero(tempo > 0)
        if not known.size:
            return pd.DataFrame({"time": [], "bpm": []})
        changes = known[np.concatenate(([True], tempo[known][1:] != tempo[known][:-1]))]
        return pd.DataFrame({"time": self.data["TIME"].to_numpy()[changes], "bpm": tempo[changes]})

    def on_steps_of(self, source: "IntermediateBeatmap") -> "IntermediateBeatmap":
        """
        This map (rebuilt from `source`'s objects, moved or retracked) on `source`'s steps, with `source`'s TEMPO
        column: where its beats fall (unknown before the first beat), which `tempo_changes` alone does not keep (its
        first tempo holds from the start). Steps outside `source`'s span are dropped (a map may start mid-song).
        """
        times = source.data["TIME"]
        data = self.data[self.data["TIME"].between(times.iloc[0], times.iloc[-1])].reset_index(drop=True)
        data["TEMPO"] = source.data["TEMPO"].to_numpy()[: len(data)]
        return IntermediateBeatmap(data, self.meta)

    def save(self, path: str | os.PathLike) -> str:
        """Writes the `.ibf` zip (`meta.json` + `data.pq`) atomically: the file appears complete or not at all."""
        table, archive_bytes = io.BytesIO(), io.BytesIO()
        self.data.to_parquet(table, engine="pyarrow", index=False)
        with zipfile.ZipFile(archive_bytes, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("meta.json", json.dumps(self.meta, ensure_ascii=False, indent=1))
            archive.writestr("data.pq", table.getvalue())
        return write_atomically(path, archive_bytes.getvalue())

    @classmethod
    def load(cls, path: str | os.PathLike) -> "IntermediateBeatmap":
        """Reads an `.ibf` file written by this package or by the original BeatLearning code."""
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"Intermediate beatmap not found: {path}")
        try:
            with zipfile.ZipFile(path) as archive:
                for member in ("meta.json", "data.pq"):
                    info = archive.getinfo(member)
                    check_member_size(info.file_size, info.compress_size, member, path)
                meta = json.loads(archive.read("meta.json").decode("utf-8"))
                table = pq.ParquetFile(io.BytesIO(archive.read("data.pq")))
                check_duration((table.metadata.num_rows - 1) * QUANTUM_MS / 1000.0, path)
                data = table.read().to_pandas()
        except LimitError:
            raise
        except (*ZIP_READ_ERRORS, KeyError, ValueError, pa.ArrowException) as error:
            raise BeatmapError(f"{path} is not an intermediate beatmap (.ibf zip of meta.json and data.pq): {error}")
        try:
            return cls(data, meta)
        except BeatmapError as error:
            raise BeatmapError(f"{path}: {error}")
