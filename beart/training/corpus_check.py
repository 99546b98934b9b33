"""A corpus read from disk checked before anything trains on it.

A corpus is data someone may share (a folder of Arrow files and `beart_corpus.json`), so `load_corpus` treats it as
untrusted input: a map index past the maps, an event code no token holds, a `nan` mel frame or tempo would otherwise
fail deep inside a batch (an `IndexError` mid-training), or train on nonsense without a word (a `nan` loss). Every
check reads whole Arrow columns at once (`pyarrow.compute`, memory-mapped), so a corpus larger than memory is checked
without being loaded.
"""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..beat_vocabulary import EVENT_HOLD, TRACK_COUNTS


MAX_BPM = 100_000.0  # as an `.ibf`'s TEMPO column; 0 is an unknown tempo
SONG_COLUMNS = ("song_index", "name", "mel_frames")


def _within(column: pa.ChunkedArray, low: float, high: float, depth: int = 1) -> bool:
    """Whether every number of a list column (lists of lists for `depth` 2) lies in [low, high] (`nan` does not),
    read chunk by chunk, so that a memory-mapped column is never copied whole."""
    for chunk in column.chunks:
        if isinstance(chunk, pa.ExtensionArray):  # `datasets.Array2D`
            chunk = chunk.storage
        for _ in range(depth):
            chunk = pc.list_flatten(chunk)
        values = chunk.to_numpy(zero_copy_only=False)
        if len(values) and not (np.all(values >= low) and np.all(values <= high)):
            return False
    return True


def _lengths(column: pa.ChunkedArray) -> np.ndarray:
    return pc.list_value_length(column).to_numpy(zero_copy_only=False)


def _indices_within(indices: np.ndarray, count: int) -> bool:
    """Whether every index lies in `[0, count)` (true of none)."""
    return not len(indices) or bool(0 <= indices.min() and indices.max() < count)


def check_corpus(corpus, path: str, groups: int, schema: dict) -> None:
    """
    Raises `ValueError`, naming `path` and the split, where a corpus is not one `build_corpus` writes: a split or
    column missing or of another type, indices out of range (a map's song, an example's map and step), a map of a
    track count BEaRT has no layout for, event codes past `EVENT_HOLD`, events not a whole number of rows of its
    tracks, a tempo not one per row or out of range, a difficulty outside [0, 1], a mel frame outside [-1, 1] or
    `nan`.

    Args:
        corpus (`datasets.DatasetDict`): the corpus as `datasets.load_from_disk` read it.
        path (`str`): its folder, for the errors.
        groups (`int`): 10 ms rows per step (the corpus's feature extractor's), which bound the examples' steps.
        schema (`dict[str, datasets.Features]`): the columns of the `maps`, `train` and `test` splits.
    """

    def refuse(split: str, problem: str):
        raise ValueError(f"{path} is no BEaRT corpus: its {split} split {problem}.")

    for split in ("songs", "maps", "train"):
        if split not in corpus:
            refuse(split, "is missing")
    for split, features in schema.items():
        if split in corpus and corpus[split].features != features:
            refuse(split, f"has the columns {dict(corpus[split].features)}, not {dict(features)}")
    if tuple(corpus["songs"].column_names) != SONG_COLUMNS:
        refuse("songs", f"has the columns {corpus['songs'].column_names}, not {list(SONG_COLUMNS)}")

    songs, maps = corpus["songs"].data, corpus["maps"].data
    for split, table, column in (("songs", songs, "song_index"), ("maps", maps, "map_index")):
        if not np.array_equal(table.column(column).to_numpy(), np.arange(table.num_rows)):
            refuse(split, f"does not number its {split} 0, 1, 2, ... in order")
    if not _within(songs.column("mel_frames"), -1.0, 1.0, depth=2):
        refuse("songs", "holds mel frames outside [-1, 1] or nan")

    if not _indices_within(maps.column("song_index").to_numpy(), songs.num_rows):
        refuse("maps", f"names songs outside the {songs.num_rows} it holds")
    num_tracks = maps.column("num_tracks").to_numpy().astype(np.int64)
    if not np.isin(num_tracks, TRACK_COUNTS).all():
        refuse("maps", f"holds maps of other track counts than {list(TRACK_COUNTS)}")
    difficulty = maps.column("difficulty").to_numpy()
    if not ((difficulty >= 0.0) & (difficulty <= 1.0)).all():
        refuse("maps", "holds difficulties outside [0, 1] or nan")
    if not _within(maps.column("events"), 0, EVENT_HOLD):
        refuse("maps", f"holds event codes past {EVENT_HOLD}")
    event_lengths = _lengths(maps.column("events"))
    if (event_lengths % num_tracks).any():
        refuse("maps", "holds events that are not a whole number of rows of their tracks")
    rows = event_lengths // num_tracks
    if not np.array_equal(_lengths(maps.column("tempo")), rows):
        refuse("maps", "holds tempos that are not one per row of events")
    if not _within(maps.column("tempo"), 0.0, MAX_BPM):
        refuse("maps", f"holds tempos outside 0 to {MAX_BPM:g} BPM or nan")

    steps_of_map = -(-rows // groups)
    for split in ("train", "test"):
        if split not in corpus:
            continue
        examples = corpus[split].data
        map_index = examples.column("map_index").to_numpy()
        if not _indices_within(map_index, maps.num_rows):
            refuse(split, f"names maps outside the {maps.num_rows} it holds")
        steps = examples.column("step").to_numpy()
        if len(steps) and not ((steps >= 0) & (steps < steps_of_map[map_index])).all():
            refuse(split, "names steps outside their maps")
        if len(steps) and examples.column("scored_track").to_numpy().min() < 0:
            refuse(split, "names negative tracks")
