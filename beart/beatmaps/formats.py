"""The registry of beatmap formats: one table that says, for every game beart reads and writes, which modes it
serves, which files make a beatmap set, how to read one and how to write maps. `beart convert`, `export`, `dataset
build`, `evaluate`, the pipeline and the CLI's choices all read it; a new format is a module pair (file model, and
conversion to and from `IntermediateBeatmap`) plus one entry here.

| format        | games                     | modes (tracks)                                   | a set is              |
| ------------- | ------------------------- | ------------------------------------------------ | --------------------- |
| `osu`         | osu!                      | `osu` (1), `taiko` (2), `catch` (1), `mania` (4) | an `.osz`, `.osu` dir |
| `stepmania`   | StepMania, ITG, Outfox    | `stepmania` (4, dance-single)                    | a `.ssc` or `.sm`     |
| `tja`         | Taiko simulators          | `tja` (2, don and ka)                            | a `.tja` file         |
| `fretsonfire` | Frets on Fire, Clone Hero | `fretsonfire` (4, five frets folded)             | notes.mid or a .chart |

Generated maps hold a note across the rest after it where the format's charts do (`sustain_rest_beats`): Frets on Fire
maps before half a beat or more, as guitar charts do; StepMania maps before a beat and a half or more; osu!standard and
osu!catch maps make a slider of every object before more than half a beat of rest, half the rest long.
"""

import os
from dataclasses import dataclass
from typing import Callable

from .beatmap_set import BeatmapSet
from .errors import BeatmapError
from .fretsonfire_reader import (
    CHART_NAME, CHART_TEXT_EXTENSION, DIFFICULTIES, GUITAR_STEM, FretsOnFireSong, chart_member,
)  # fmt: skip
from .fretsonfire_writer import check_fretsonfire_song, fretsonfire_chart_paths, write_fretsonfire
from .intermediate import IntermediateBeatmap
from .osu_reader import OsuArchive, OsuFolder
from .osu_writer import write_osz
from .stepmania_reader import StepManiaSimfile
from .stepmania_writer import stepmania_chart_paths, write_stepmania
from .tja_reader import TjaSong
from .tja_writer import tja_chart_paths, write_tja
from .tracks import ONE_LANE_MODES, TWO_HAND_MODES, tracks_for_mode
from ..safety import check_folders_above, check_writable


SONG_FOLDER_METADATA = ("title", "artist", "creator", "model_name")
# osu!standard maps make an object followed by a rest of more than half a beat a slider, 84-96% of the time (16% before
# half a beat), lasting half the rest (median; `python examples/fit_sliders.py ../shared/corpus`, 22 human maps)
OSU_SLIDER_REST_BEATS = 0.6


@dataclass(frozen=True)
class BeatmapFormat:
    """
    One format of the registry.

    Args:
        name (`str`): the format's name (`source.format` of the maps it reads).
        game (`str`): the games that play it, for people.
        modes (`dict[str, str]`): each mode it writes -> the osu! mode whose track layout the mode uses.
        extensions (`tuple[str, ...]`): lower-case endings of the files that are (or mark) a set.
        difficulty_names (`str`): how BEaRT's difficulty becomes the format's names, for people.
        open_set (`Callable[[str], BeatmapSet]`): the set at a path the format claims.
        write (`Callable`): `write(beatmaps, output_path, audio, mode=..., overwrite=..., **metadata) -> list[str]`.
        metadata (`tuple[str, ...]`): the metadata keys `write` takes.
        archive (`str`, *optional*): the ending of the one archive `write` makes (`.osz`); empty for a format that
            writes a song folder (charts and audio).
        written_as (`str`): what `write` makes, for people (the CLI's help).
        sustain_rest_beats (`float` or `dict[str, float]`): its charts hold a note across a rest of at least this
            many beats, which generated maps then do too (`beart.beatmaps.sustains`): one number for every mode, or
            one per mode (a mode it does not name: 0); 0: they do not.
        sustain_share (`float` or `dict[str, float]`): how much of the rest a sustain lasts, to the nearest quarter
            beat (osu! sliders: half), for every mode or per mode; 0: until a quarter beat before the next note
            (guitar and dance charts).
        max_difficulties (`int`, *optional*): the most maps one written set holds (a Frets on Fire song: its four
            pitch ranges); `None`: no limit.
        chart_paths (`Callable[[str, str | None], list[str]]`): the chart files `write` makes for an output path and
            the song's title (an `.osz`: the archive; a song folder: its charts, the song beside them left out).
        check_song (`Callable[[str, str], None]`, *optional*): raises `BeatmapError` where the song (a file or a song
            folder) cannot be written beside the charts of an output path (a Frets on Fire folder holding another
            song's stems); `None`: any song can.
        lead_stem (`str`, *optional*): the stem of a song folder its charts follow (`"guitar"`: a guitar chart follows
            the guitar), whose onsets the onset prior hears beside the whole song's (`DecodingOptions.lead_stem`);
            `None`: the whole song alone.
    """

    name: str
    game: str
    modes: dict
    extensions: tuple
    difficulty_names: str
    open_set: Callable[[str], BeatmapSet]
    write: Callable
    metadata: tuple = SONG_FOLDER_METADATA
    archive: str = ""
    sustain_rest_beats: float | dict = 0.0
    sustain_share: float | dict = 0.0
    written_as: str = ""
    max_difficulties: int | None = None
    chart_paths: Callable = lambda output_path, title: [os.fspath(output_path)]
    check_song: Callable | None = None
    lead_stem: str | None = None

    @property
    def song_folder(self) -> bool:
        """Whether `write` makes a song folder (charts and audio) rather than one archive."""
        return not self.archive

    def claims(self, path: str) -> bool:
        """Whether the file at `path` is (or marks) a set of this format."""
        return os.path.basename(path).lower().endswith(self.extensions)

    def check_set_size(self, count: int) -> None:
        """Raises `BeatmapError` for a set of `count` maps, more than one written set of the format holds: before
        anything is generated or written."""
        if self.max_difficulties is not None and count > self.max_difficulties:
            raise BeatmapError(
                f"A {self.game} song holds at most {self.max_difficulties} difficulties; {count} were asked for."
            )

    def check_output_path(self, output_path) -> None:
        """
        Raises `BeatmapError` for an output this format cannot write, before anything is generated or written: an
        archive format's output must end with its archive's ending (an `.osz` named `song.osu` is not an `.osu` file
        osu! reads), a song folder is not named as another format's file (`song.osz` as a StepMania song), and a
        file to write (`song.osz`, `song.sm`) is no existing folder, and no file stands where a folder above it is.

        Args:
            output_path (`str` or `os.PathLike`): the file or folder to write.
        """
        name = os.path.basename(os.path.normpath(os.fspath(output_path))).lower()
        other = next((entry for entry in FORMATS if entry is not self and entry.claims(name)), None)
        other_modes = [f"`{mode}`" for mode in other.modes] if other else []
        other_modes = " or ".join(filter(None, (", ".join(other_modes[:-1]), *other_modes[-1:])))
        if self.archive and not name.endswith(self.archive):
            hint = f", or write it with the {other_modes} mode" if other else ""
            raise BeatmapError(
                f"{os.fspath(output_path)}: {self.game} maps are written as {self.written_as}; name the output "
                f"with {self.archive}{hint}."
            )
        if other is not None and not self.claims(name):
            raise BeatmapError(
                f"{os.fspath(output_path)} names a file of {other.game}, written with the {other_modes} mode; "
                f"{self.game} maps are written as {self.written_as}."
            )
        check_folders_above(output_path)
        if (self.archive or self.claims(name)) and os.path.isdir(os.fspath(output_path)):
            raise BeatmapError(
                f"{os.fspath(output_path)} is a folder, and it names the file {self.game} maps are written to; a file "
                "is never written over a folder: name another path."
            )

    def check_outputs(self, output_path, title: str | None, overwrite: bool, song=None) -> None:
        """
        Raises `FileExistsError` where a chart file this format would write for `output_path` exists and `overwrite`
        is not set (`chart_paths`), and `BeatmapError` where `song` cannot go beside them (`check_song`), before
        anything is generated: a song folder's chart was refused only once the map was made.

        Args:
            output_path (`str` or `os.PathLike`): the file or folder to write.
            title (`str`, *optional*): the song's title, which names a song folder's charts.
            overwrite (`bool`): whether existing files are to be replaced.
            song (`str` or `os.PathLike`, *optional*): the song's file (or song folder) the maps are made of.
        """
        for path in self.chart_paths(output_path, title):
            check_writable(path, overwrite)
        if song is not None and self.check_song is not None:
            self.check_song(output_path, song)

    def sustain_rests(self, mode: str) -> tuple[float, float]:
        """`(rest_beats, share)` of a `mode` map's sustains (`sustain_rest_beats`, `sustain_share`; a mode a mapping
        does not name: 0), as `beart.beatmaps.sustains.sustain_into_rests` takes them; a rest of 0: none."""
        rest, share = self.sustain_rest_beats, self.sustain_share
        rest = rest.get(mode, 0.0) if isinstance(rest, dict) else rest
        share = share.get(mode, 0.0) if isinstance(share, dict) else share
        return float(rest), float(share)


def _write_osz(beatmaps, output_path, audio, *, mode=None, overwrite=False, **metadata) -> list[str]:
    return [write_osz(beatmaps, output_path, audio, mode=mode, overwrite=overwrite, **metadata)]


def _without_mode(write: Callable) -> Callable:
    def write_song(beatmaps, output_path, audio, *, mode=None, overwrite=False, **metadata) -> list[str]:
        return write(beatmaps, output_path, audio, overwrite=overwrite, **metadata)

    return write_song


def _open_osu(path: str) -> BeatmapSet:
    if os.path.isdir(path):
        return OsuFolder(path)
    if path.lower().endswith(".osu"):
        return OsuFolder(os.path.dirname(os.path.abspath(path)), [os.path.basename(path)])
    return OsuArchive(path)


FORMATS = (
    BeatmapFormat(
        name="osu",
        game="osu!",
        modes={"osu": "osu", "taiko": "taiko", "catch": "catch", "mania": "mania"},
        extensions=(".osz", ".osu"),
        difficulty_names="the version name (`BEaRT <mode> <difficulty>`), the star rating from the map",
        open_set=_open_osu,
        write=_write_osz,
        metadata=("title", "artist", "creator", "version", "model_name", "seed"),
        archive=".osz",
        sustain_rest_beats={"osu": OSU_SLIDER_REST_BEATS, "catch": OSU_SLIDER_REST_BEATS},
        sustain_share={"osu": 0.5, "catch": 0.5},
        written_as="an .osz: the .osu, the audio and a background",
    ),
    BeatmapFormat(
        name="stepmania",
        game="StepMania, ITG, Outfox",
        modes={"stepmania": "mania"},
        extensions=(".ssc", ".sm"),
        difficulty_names="slot (Beginner ... Challenge) and meter",
        open_set=StepManiaSimfile,
        write=_without_mode(write_stepmania),
        chart_paths=stepmania_chart_paths,
        sustain_rest_beats=1.5,
        written_as="a song folder of .sm + .ssc simfiles and the audio (OUTPUT a folder or a .sm path)",
    ),
    BeatmapFormat(
        name="tja",
        game="Taiko simulators (OpenTaiko, TJAPlayer3, taiko-web)",
        modes={"tja": "taiko"},
        extensions=(".tja",),
        difficulty_names="course (Easy, Normal, Hard, Oni, Edit) and LEVEL",
        open_set=TjaSong,
        write=_without_mode(write_tja),
        chart_paths=tja_chart_paths,
        written_as="a song folder of a .tja and the audio (OUTPUT a folder or a .tja path)",
    ),
    BeatmapFormat(
        name="fretsonfire",
        game="Frets on Fire, Clone Hero",
        modes={"fretsonfire": "mania"},
        extensions=(CHART_NAME, CHART_TEXT_EXTENSION),
        difficulty_names="pitch range (Easy, Medium, Hard, Expert; Frets on Fire: Supaeasy ... Amazing), diff_guitar",
        open_set=FretsOnFireSong,
        write=_without_mode(write_fretsonfire),
        chart_paths=fretsonfire_chart_paths,
        check_song=check_fretsonfire_song,
        lead_stem=GUITAR_STEM,
        sustain_rest_beats=0.5,
        max_difficulties=len(DIFFICULTIES),
        written_as="a song folder of notes.mid, song.ini and song.ogg (OUTPUT a folder; OUTPUT/notes.chart writes "
        "Clone Hero's .chart in place of notes.mid)",
    ),
)
FORMAT_OF_MODE = {mode: beatmap_format for beatmap_format in FORMATS for mode in beatmap_format.modes}
WRITE_MODES = tuple(FORMAT_OF_MODE)
SONG_FOLDER_MODES = tuple(mode for mode in WRITE_MODES if FORMAT_OF_MODE[mode].song_folder)
SET_EXTENSIONS = tuple(extension for beatmap_format in FORMATS for extension in beatmap_format.extensions)


def readable_files() -> str:
    """The files that are (or mark) a set, by format, for people: `.osz, .osu (osu!), ...`."""
    return "; ".join(f"{', '.join(entry.extensions)} ({entry.game.split(' (')[0]})" for entry in FORMATS)


def written_files() -> str:
    """What each format writes, by mode, for people: `osu, taiko, catch, mania: an .osz ...; stepmania: ...`."""
    return "; ".join(f"{', '.join(entry.modes)}: {entry.written_as}" for entry in FORMATS)


def format_for_mode(mode: str) -> BeatmapFormat:
    """The format that writes `mode` (one of `WRITE_MODES`)."""
    if mode not in FORMAT_OF_MODE:
        raise BeatmapError(f"Unknown mode {mode!r}; choose one of {list(WRITE_MODES)}.")
    return FORMAT_OF_MODE[mode]


def tracks_of_mode(mode: str) -> list[str]:
    """The track names a mode writes."""
    return tracks_for_mode(format_for_mode(mode).modes[mode])


def mode_of_beatmap(beatmap: IntermediateBeatmap) -> str | None:
    """The mode that writes maps like `beatmap`, a map read from a file of a registry format (its `source`): the
    format's mode, or an osu! map's own; `None` for a map of no such file."""
    source = beatmap.meta.get("source") or {}
    beatmap_format = next((entry for entry in FORMATS if entry.name == source.get("format")), None)
    if beatmap_format is None:
        return None
    if len(beatmap_format.modes) == 1:
        return next(iter(beatmap_format.modes))
    return source.get("mode") if source.get("mode") in beatmap_format.modes else None


def has_one_lane(mode: str) -> bool:
    """Whether the tracks of a mode share one lane (`beart.beatmaps.tracks.ONE_LANE_MODES`: osu!, catch, taiko and
    TJA)."""
    return format_for_mode(mode).modes[mode] in ONE_LANE_MODES


def has_two_hands(mode: str) -> bool:
    """Whether a mode's lane is hit with alternating hands (`beart.beatmaps.tracks.TWO_HAND_MODES`: taiko and TJA), so
    that its notes may follow one another closer than on keys or columns."""
    return format_for_mode(mode).modes[mode] in TWO_HAND_MODES


def mode_of_output(output_path) -> str | None:
    """
    The mode an output's name asks for: that of the one-mode format whose file it names (`song.sm` -> `stepmania`,
    `song.tja` -> `tja`, `song/notes.chart` -> `fretsonfire`), so that a map written there without a mode is that
    game's; `None` for any other name (an `.osz`, which four modes write; a folder).

    Args:
        output_path (`str` or `os.PathLike`): the file or folder to write.
    """
    beatmap_format = format_of_file(os.path.basename(os.path.normpath(os.fspath(output_path))))
    if beatmap_format is None or len(beatmap_format.modes) != 1:
        return None
    return next(iter(beatmap_format.modes))


def format_of_file(path: str) -> BeatmapFormat | None:
    """The format that claims the file at `path`, or `None`."""
    return next((beatmap_format for beatmap_format in FORMATS if beatmap_format.claims(path)), None)


def sets_in_folder(folder: str, files: list) -> list[str]:
    """The sets one folder holds (not its subfolders): its `.osz`, simfiles (a `.ssc` hides the `.sm` of the same
    name, as StepMania reads it), `.tja` files, its Frets on Fire / Clone Hero chart (`notes.mid`, else the `.chart`
    the game picks: `fretsonfire_reader.chart_member`), and the folder itself when it holds `.osu` files."""
    sets = []
    ssc_stems = {os.path.splitext(name)[0].lower() for name in files if name.lower().endswith(".ssc")}
    song_chart = chart_member(files)
    for name in sorted(files):
        lower = name.lower()
        if lower.endswith(".osu") or (lower.endswith(".sm") and os.path.splitext(lower)[0] in ssc_stems):
            continue
        if lower.endswith((CHART_NAME, CHART_TEXT_EXTENSION)) and name != song_chart:
            continue
        if format_of_file(name) is not None:
            sets.append(os.path.join(folder, name))
    if any(name.lower().endswith(".osu") for name in files):
        sets.append(folder)
    return sets


def open_beatmap_set(source: str) -> BeatmapSet:
    """The beatmap set at `source`: a file a format claims, or a folder (of `.osu` files, else a Frets on Fire song,
    else the one set it holds: a simfile, a `.tja`, an `.osz`)."""
    source = os.fspath(source)
    if os.path.isdir(source):
        names = os.listdir(source)
        if any(name.lower().endswith(".osu") for name in names):
            return OsuFolder(source)
        if chart_member(names):
            return FretsOnFireSong(source)
        held = sets_in_folder(source, names)
        if not held:
            raise BeatmapError(f"{source} holds no beatmap ({', '.join(SET_EXTENSIONS)}).")
        if len(held) > 1:
            named = ", ".join(os.path.basename(path) for path in held[:5])
            raise BeatmapError(f"{source} holds several sets ({named}{', ...' if len(held) > 5 else ''}); name one.")
        return open_beatmap_set(held[0])
    beatmap_format = format_of_file(source)
    if beatmap_format is None and source.lower().endswith(".mid"):
        return FretsOnFireSong(source)  # a chart under another name, given on purpose
    if beatmap_format is None:
        raise BeatmapError(f"{source} is not a beatmap ({', '.join(SET_EXTENSIONS)}).")
    return beatmap_format.open_set(source)


def set_name(source: str) -> str:
    """The name of the set at `source`: a folder's, or a Frets on Fire chart's folder's (`notes.mid`, `.chart`), else
    the file's stem."""
    source = os.fspath(source)
    if os.path.isfile(source) and os.path.basename(source).lower().endswith((CHART_NAME, CHART_TEXT_EXTENSION)):
        return os.path.basename(os.path.dirname(os.path.abspath(source)))
    name = os.path.basename(os.path.normpath(source))
    return os.path.splitext(name)[0] if os.path.isfile(source) and not source.lower().endswith(".osu") else name


def write_beatmaps(beatmaps, output_path, audio, *, mode: str | None, overwrite: bool = False, **metadata) -> list[str]:
    """
    Writes maps in a mode of the registry (metadata a format does not take is left out).

    Args:
        beatmaps (`IntermediateBeatmap` or a list of them): the maps, one difficulty each.
        output_path (`str` or `os.PathLike`): the `.osz`, or the song folder (or chart file) of a song-folder format.
        audio (`str` or `os.PathLike`): the song.
        mode (`str`): one of `WRITE_MODES`; `None`: the mode `output_path` names (`mode_of_output`: `song.sm` is a
            StepMania simfile), else an `.osz` in the map's own osu! mode.
        overwrite (`bool`, *optional*, defaults to `False`): replace existing files.

    Returns:
        `list[str]`: the files written (the archive, or the chart files).
    """
    mode = mode or mode_of_output(output_path)
    beatmap_format = FORMATS[0] if mode is None else format_for_mode(mode)
    beatmap_format.check_output_path(output_path)
    metadata = {key: value for key, value in metadata.items() if key in beatmap_format.metadata}
    return beatmap_format.write(beatmaps, output_path, audio, mode=mode, overwrite=overwrite, **metadata)
