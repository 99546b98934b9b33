"""Writing an intermediate beatmap file as a playable game file: what `beart export` runs."""

import os

from ..safety import confined_path
from .formats import write_beatmaps
from .intermediate import IntermediateBeatmap


def export_intermediate(
    input_path, output_path, *, mode: str | None = None, audio=None, overwrite: bool = False, **metadata
) -> list[str]:
    """
    Writes an `.ibf` file as a playable `.osz` (osu!, taiko, catch, mania) or song folder (StepMania, TJA, Frets on
    Fire), in any mode of the registry (`beart.beatmaps.formats`).

    Args:
        input_path (`str` or `os.PathLike`): the intermediate beatmap.
        output_path (`str` or `os.PathLike`): the `.osz` to write; for a song-folder mode, the folder (or a chart path
            in it).
        mode (`str`, *optional*): one of `WRITE_MODES`; defaults to the beatmap's own osu! mode.
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
    return write_beatmaps(beatmap, output_path, audio, mode=mode, overwrite=overwrite, **metadata)
