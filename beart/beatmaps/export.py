"""Writing an intermediate beatmap file as a playable game file: what `beart export` runs."""

import os

from ..safety import confined_path
from .intermediate import IntermediateBeatmap
from .osu_writer import write_osz
from .stepmania_writer import write_stepmania
from .tja_writer import write_tja


# Modes written as a song folder (charts + audio): the osu! mode whose tracks they use, and their writer.
SONG_FOLDER_MODES = {"stepmania": ("mania", write_stepmania), "tja": ("taiko", write_tja)}
EXPORT_MODES = ("osu", "taiko", "catch", "mania", "stepmania", "tja")


def export_intermediate(
    input_path, output_path, *, mode: str | None = None, audio=None, overwrite: bool = False, **metadata
) -> list[str]:
    """
    Writes an `.ibf` file as a playable `.osz` (osu!, taiko, catch, mania), StepMania song (`.sm` + `.ssc`) or TJA
    song (`.tja`), the latter two with the audio beside them.

    Args:
        input_path (`str` or `os.PathLike`): the intermediate beatmap.
        output_path (`str` or `os.PathLike`): the `.osz` to write; for `stepmania` and `tja`, a folder or a `.sm` /
            `.tja` path.
        mode (`str`, *optional*): one of `EXPORT_MODES`; defaults to the beatmap's own osu! mode.
        audio (`str` or `os.PathLike`, *optional*): the song; defaults to the file the beatmap names, which must lie
            in the beatmap's own folder (a name leading out of it raises `UnsafePathError`).
        overwrite (`bool`, *optional*, defaults to `False`): replace existing output files.
        **metadata: `title`, `artist`, `creator`, `version`, `model_name`, `seed` (osu! placement).

    Returns:
        `list[str]`: the files written.
    """
    beatmap = IntermediateBeatmap.load(input_path)
    if audio is None:
        folder = os.path.dirname(os.path.abspath(os.fspath(input_path)))
        audio = confined_path(folder, beatmap.audio, os.fspath(input_path)) if beatmap.audio else folder
        if not os.path.isfile(audio):
            raise FileNotFoundError(
                f"The audio {beatmap.audio!r} named by {input_path} is not beside it; pass the song's file as audio."
            )
    if mode in SONG_FOLDER_MODES:
        metadata = {key: value for key, value in metadata.items() if key in ("title", "artist", "model_name")}
        return SONG_FOLDER_MODES[mode][1](beatmap, output_path, audio, overwrite=overwrite, **metadata)
    return [write_osz(beatmap, output_path, audio, mode=mode, overwrite=overwrite, **metadata)]
