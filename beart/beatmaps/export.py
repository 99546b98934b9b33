"""Writing intermediate beatmap files as playable game files: what `beart export` runs."""

import os

from ..audio import check_song_file
from .errors import BeatmapError
from .formats import format_for_mode, mode_of_output, write_beatmaps
from .intermediate import IntermediateBeatmap


def intermediate_files(input_paths) -> list[str]:
    """
    The `.ibf` files of `input_paths`, in order and each once: a file as it is, a folder's `.ibf` files (a set as
    `beart convert` writes it: one file per difficulty), sorted by name.

    Args:
        input_paths (`str`, `os.PathLike` or a list of them): `.ibf` files and folders.

    Raises:
        `BeatmapError`: a folder holding no `.ibf` file.
    """
    if isinstance(input_paths, (str, os.PathLike)):
        input_paths = [input_paths]
    files = []
    for path in map(os.fspath, input_paths):
        if not os.path.isdir(path):
            files.append(path)
            continue
        found = sorted(name for name in os.listdir(path) if name.lower().endswith(".ibf"))
        if not found:
            raise BeatmapError(f"{path} holds no .ibf file{_sets_within(path)}.")
        files += [os.path.join(path, name) for name in found]
    return list(dict.fromkeys(files))


def _sets_within(folder: str, named: int = 3) -> str:
    """Where `folder` holds no `.ibf` file but its folders do (`beart convert` writes a folder per set): a hint naming
    the first `named` of them; else nothing."""
    sets = []
    for entry in sorted(os.scandir(folder), key=lambda entry: entry.name)[:1000]:  # a bounded look
        if entry.is_dir() and any(name.lower().endswith(".ibf") for name in os.listdir(entry.path)):
            sets.append(os.path.join(folder, entry.name))
    if not sets:
        return ""
    more = f" and {len(sets) - named} more" if len(sets) > named else ""
    return f"; the sets are its folders: name one ({', '.join(sets[:named])}{more})"


def _shared_audio(beatmaps: list[IntermediateBeatmap], paths: list[str]) -> str:
    """The song every map names, each in its own folder (a name leading out of it raises `UnsafePathError`)."""
    songs = {}
    for beatmap, path in zip(beatmaps, paths):
        songs.setdefault(beatmap.audio_beside(path) or os.path.dirname(os.path.abspath(path)), (path, beatmap.audio))
    if len(songs) > 1:
        (one, first), (other, second) = list(songs.values())[:2]
        raise BeatmapError(
            f"{one} and {other} name different songs ({first!r}, {second!r}); export them apart, or pass the song as "
            "audio."
        )
    ((audio, (path, name)),) = songs.items()
    if not os.path.isfile(audio):
        raise FileNotFoundError(f"The audio {name!r} named by {path} is not beside it; pass the song's file as audio.")
    return audio


def load_intermediate_set(
    input_paths, *, mode: str | None = None, version=None
) -> list[tuple[str, IntermediateBeatmap]]:
    """
    The `.ibf` files of `input_paths` (`intermediate_files`) read as one set to export, checked before any is read:
    a `version` names one map, and a set is no larger than `mode`'s format holds.

    Args:
        input_paths (`str`, `os.PathLike` or a list of them): intermediate beatmaps and folders of them.
        mode (`str`, *optional*): the mode the set will be written in.
        version (`str`, *optional*): the difficulty name the set will be written with.

    Returns:
        `list[tuple[str, IntermediateBeatmap]]`: each file's path and map, in order.

    Raises:
        `BeatmapError`: an unreadable map, `version` for several maps, or more maps than the format holds.
    """
    paths = intermediate_files(input_paths)
    if version and len(paths) > 1:
        raise BeatmapError(f"A version names one difficulty; {len(paths)} maps were given.")
    if mode is not None:
        format_for_mode(mode).check_set_size(len(paths))
    return [(path, IntermediateBeatmap.load(path)) for path in paths]


def write_intermediate_set(
    loaded: list, output_path, *, mode: str | None = None, audio=None, overwrite: bool = False, **metadata
) -> list[str]:
    """
    Writes a set `load_intermediate_set` read (with the same `mode` and `version`) as one playable set: see
    `export_intermediate`, which reads and writes in one call.

    Args:
        loaded (`list[tuple[str, IntermediateBeatmap]]`): each `.ibf` file's path and map.
        output_path, mode, audio, overwrite, **metadata: as for `export_intermediate`.

    Returns:
        `list[str]`: the files written.
    """
    paths, beatmaps = [path for path, _ in loaded], [beatmap for _, beatmap in loaded]
    if audio is None:
        audio = _shared_audio(beatmaps, paths)
    check_song_file(audio)  # a map naming a document beside it does not pack the document into the set
    return write_beatmaps(beatmaps, output_path, audio, mode=mode, overwrite=overwrite, **metadata)


def export_intermediate(
    input_paths, output_path, *, mode: str | None = None, audio=None, overwrite: bool = False, **metadata
) -> list[str]:
    """
    Writes `.ibf` files as one playable set: an `.osz` (osu!, taiko, catch, mania) or a song folder (StepMania, TJA,
    Frets on Fire) in any mode of the registry (`beart.beatmaps.formats`), one difficulty per map (a simfile's charts,
    a TJA's courses, a song's difficulties, an archive's `.osu` files).

    Args:
        input_paths (`str`, `os.PathLike` or a list of them): an intermediate beatmap, a folder of them (a set as
            `beart convert` writes it), or several of either (`intermediate_files`).
        output_path (`str` or `os.PathLike`): the `.osz` to write; for a song-folder mode, the folder (or a chart path
            in it).
        mode (`str`, *optional*): one of `WRITE_MODES`; defaults to the mode `output_path` names (`mode_of_output`:
            `song.sm` is a StepMania simfile), else to each beatmap's own osu! mode.
        audio (`str` or `os.PathLike`, *optional*): the song; defaults to the file the beatmaps name, which must lie
            in each one's own folder (a name leading out of it raises `UnsafePathError`) and be the same for all.
        overwrite (`bool`, *optional*, defaults to `False`): replace existing output files.
        **metadata: `title`, `artist`, `creator`, `version` (one map only), `model_name`, `seed` (osu! placement).

    Returns:
        `list[str]`: the files written.

    Raises:
        `BeatmapError`: an unreadable map, maps naming different songs (without `audio`), `version` for several maps.
    """
    mode = mode or mode_of_output(output_path)
    loaded = load_intermediate_set(input_paths, mode=mode, version=metadata.get("version"))
    return write_intermediate_set(loaded, output_path, mode=mode, audio=audio, overwrite=overwrite, **metadata)
