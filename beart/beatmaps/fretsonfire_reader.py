"""Reading Frets on Fire / Clone Hero song folders (`notes.mid` or Clone Hero's `notes.chart`, `song.ini`, the audio as
stems) into intermediate beatmaps: every difficulty of the guitar part a 4-track map, as osu!mania.

- the chart is the part `PART GUITAR` (or `T1 GEMS`); in old files the only part, else the first with frets;
- each pitch range (60-64, 72-76, 84-88, 96-100; see `DIFFICULTIES`) is one map;
- frets green, red, yellow, blue, orange go to LEFT, DOWN, UP, RIGHT, RIGHT: the two rightmost frets share the right
  track (orange is the rarest fret in human charts); a chord keeps one object per track;
- an open note (strummed without a fret: the key below green, 59, 71, 83, 95, in a part that says `[ENHANCED_OPENS]`,
  as Clone Hero reads it) goes to green's track; without that event the key is not a note. Phase Shift's open-note
  SysEx phrases turn green notes into open ones, which keep the same track;
- a note longer than the sustain cutoff is a hold, released 20 ms before the next note of its track; shorter notes
  are hits;
- the tempo map is TEMPO.

A folder's chart is its `notes.mid`, else its `.chart` (`notes.chart` first, then one whose name ends in `[Y]` or `[F]`,
forced notes, then the first by name), as Clone Hero picks them; a `.chart` is read into the same ticks and parts
(`beart.beatmaps.fretsonfire_chart`).

The sustain cutoff is `song.ini`'s `sustain_cutoff_threshold` (ticks) where given, else a third of a beat for a MIDI
chart (Clone Hero's and Rock Band's rule) and none for a `.chart`, whose every note with a length is a sustain. Times
are the chart's plus `song.ini`'s `delay` (ms) and a `.chart`'s `Offset` (seconds). The audio is the mix
of the stems the folder holds (`song`, `guitar`, `rhythm`, `bass`, `keys`, `drums`, `vocals`... as `.ogg`, `.opus`,
`.mp3`, `.wav` or `.flac`; the crowd and preview files are not the song; without any, the files a `.chart` names as
its streams), which the games play together: one stem is used as it is, several become a member `song+guitar.ogg`
(their names joined) mixed on demand.

Difficulty: the difficulty's band of BEaRT's difficulty token (quarters, easiest first), with `song.ini`'s
`diff_guitar` (Clone Hero's 0-6 intensity) placing every chart of the song inside its band (the band's middle
without it). A part named `PART ...` is a Clone Hero / Rock Band chart and gets Clone Hero's difficulty names, any
other Frets on Fire's.
"""

import os

import numpy as np
import pandas as pd
from transformers.utils import logging

from ..audio import AudioError, mix_stems
from .beatmap_set import BeatmapSet, TimedChart, read_confined
from .difficulty_bands import difficulty_in_band
from .errors import BeatmapError
from .provenance import ai_generated_mark
from .fretsonfire_chart import parse_notes_chart
from .fretsonfire_file import MidiChart, MidiPart, SongIni, parse_notes_mid
from .intermediate import QUANTUM_MS, IntermediateBeatmap, intro_span, notes_in_song, song_preview_ms
from ..safety import check_text_size, confined_path
from .text_decoding import decode_text
from .tracks import GAME_MODE_TRACKS


logger = logging.get_logger(__name__)

CHART_NAME = "notes.mid"
CHART_TEXT_NAME = "notes.chart"
CHART_TEXT_EXTENSION = ".chart"
FORCED_SUFFIXES = ("[y]", "[f]", "(y)", "(f)")  # a .chart's name ending so has forced notes, which Clone Hero prefers
# a .chart's [Song] entries naming its audio files -> the stem each is (`STEM_NAMES`)
CHART_STREAMS = {
    "MusicStream": "song", "GuitarStream": "guitar", "RhythmStream": "rhythm", "BassStream": "bass",
    "KeysStream": "keys", "DrumStream": "drums", "VocalStream": "vocals",
}  # fmt: skip
INI_NAME = "song.ini"
GUITAR_PART_NAMES = ("part guitar", "t1 gems")
FRETS = 5
FRET_TRACKS = (0, 1, 2, 3, 3)  # green, red, yellow, blue, orange -> index in GAME_MODE_TRACKS["mania"]
OPEN_BELOW = 1  # with [ENHANCED_OPENS], the key this far below green is an open note, read on green's track
# lowest pitch of each difficulty's frets -> (Frets on Fire's name, Clone Hero's name), easiest first
DIFFICULTIES = {60: ("Supaeasy", "Easy"), 72: ("Easy", "Medium"), 84: ("Medium", "Hard"), 96: ("Amazing", "Expert")}
DIFF_GUITAR_RANGE = (0, 6)
DIFFICULTY_BANDS = {
    base: ((index / len(DIFFICULTIES), (index + 1) / len(DIFFICULTIES)), DIFF_GUITAR_RANGE)
    for index, base in enumerate(DIFFICULTIES)
}
STEM_NAMES = ("song", "guitar", "rhythm", "bass", "keys", "drums", "drums_1", "drums_2", "drums_3", "drums_4",
              "vocals", "vocals_1", "vocals_2")  # fmt: skip
STEM_EXTENSIONS = (".ogg", ".opus", ".mp3", ".wav", ".flac")
GUITAR_STEM = "guitar"  # the stem a guitar chart follows (`BeatmapFormat.lead_stem`)
MANIA_TRACKS = GAME_MODE_TRACKS["mania"]


def sustain_cutoff_ticks(ini: SongIni, ticks_per_beat: int, where: str, text_chart: bool = False) -> float:
    """The longest note (ticks) read as a hit: `sustain_cutoff_threshold`, else a third of a beat (a MIDI chart) or 0
    (a `.chart`)."""
    return ini.number("sustain_cutoff_threshold", where, 0.0 if text_chart else ticks_per_beat / 3)


def member_named(names: list[str], name: str) -> str | None:
    """The file of `names` that is `name` (lower case) in any letter case, as the games take `Song.ini` or
    `NOTES.MID`: where several are, the first by name; `None` where none is."""
    return min((member for member in names if member.lower() == name), default=None)


def chart_member(names: list[str]) -> str | None:
    """The chart of a song folder holding the files `names`, as Clone Hero picks it: `notes.mid`, else `notes.chart`,
    else a `.chart` whose name ends in `[Y]`/`[F]` (forced notes; or in parentheses), else the first `.chart` by name;
    `None` without any."""
    for preferred in (CHART_NAME, CHART_TEXT_NAME):
        if found := member_named(names, preferred):
            return found
    charts = sorted(name for name in names if name.lower().endswith(CHART_TEXT_EXTENSION))
    forced = [name for name in charts if name.lower()[: -len(CHART_TEXT_EXTENSION)].rstrip().endswith(FORCED_SUFFIXES)]
    return (forced or charts or [None])[0]


def song_folder_stems(folder: str) -> list[str]:
    """
    The stems of a song folder given as a song (`song_folder_audio`), in `STEM_NAMES` order.

    Raises:
        `AudioError`: the folder holds none.
    """
    names = folder_files(folder)
    stems = stem_members(names)
    if not stems:
        examples = ", ".join(name + ".ogg" for name in STEM_NAMES[:3])
        songs = [name for name in names if name.lower().endswith(STEM_EXTENSIONS)]
        pattern = os.path.join(folder, "*" + os.path.splitext(songs[0])[1]) if songs else ""
        each = f" To map each song it holds, give them: {pattern}." if songs else ""
        raise AudioError(
            f"{folder} is a folder without a song's stems ({examples}, ...); give the song's audio file, or a Frets "
            f"on Fire / Clone Hero song folder.{each}"
        )
    return stems


def folder_files(folder: str) -> list[str]:
    """The names of a song folder's files, sorted: a folder inside it named like a stem or a chart is neither."""
    return sorted(name for name in os.listdir(folder) if os.path.isfile(os.path.join(folder, name)))


def song_folder_tags(folder: str) -> dict:
    """The `title` and `artist` a song folder's `song.ini` names (`name`, `artist`), as an audio file's tags name
    them; those it lacks, or all where it has none, are left out."""
    ini, _ = read_song_ini(folder, folder_files(folder))
    return {tag: ini.get(key) for tag, key in (("title", "name"), ("artist", "artist")) if ini.get(key)}


def read_song_ini(folder: str, names: list[str]) -> tuple[SongIni, str]:
    """
    A song folder's `song.ini` (named in any letter case), read confined to the folder.

    Args:
        folder (`str`): the song folder.
        names (`list[str]`): the names of its files.

    Returns:
        `(SongIni, str)`: its values (none where the folder has no `song.ini`) and its path.
    """
    ini_name = member_named(names, INI_NAME)
    where = os.path.join(folder, ini_name or INI_NAME)
    text = decode_text(read_confined(folder, ini_name, text=True), where)[0] if ini_name else ""
    return SongIni.parse(text, where), where


def song_folder_audio(folder: str, stems: dict[str, bytes] | None = None) -> bytes:
    """
    The song of a Frets on Fire / Clone Hero song folder, as a chart of it is made to: the file of its one stem, or its
    stems (`song`, `guitar`, `rhythm`... of `STEM_NAMES`) mixed as the games play them (`mix_stems`, Ogg Vorbis), so
    that the guitar a chart follows is heard beside the band.

    Args:
        folder (`str`): the song folder.
        stems (`dict[str, bytes]`, *optional*): its stems' files by name, as `song_folder_stem_files` reads them, if
            read already.

    Raises:
        `AudioError`: the folder holds no stem. `UnsafePathError`: a stem leads out of the folder.
    """
    stems = song_folder_stem_files(folder) if stems is None else stems
    if len(stems) == 1:
        return next(iter(stems.values()))
    return mix_stems(stems)


def song_folder_stem_files(folder: str) -> dict[str, bytes]:
    """
    The files of a song folder's stems, by file name in `STEM_NAMES` order (`{"song.ogg": ..., "guitar.ogg": ...}`),
    each read confined to the folder.

    Raises:
        `AudioError`: the folder holds no stem. `UnsafePathError`: a stem leads out of the folder.
    """
    return {stem: read_confined(folder, stem) for stem in song_folder_stems(folder)}


def stem_name(member: str) -> str:
    """The stem a file is (`"guitar"` for `Guitar.ogg`), as `DecodingOptions.lead_stem` names it."""
    return os.path.splitext(member)[0].lower()


def guitar_part(chart: MidiChart, where: str) -> MidiPart:
    """The guitar part of a chart (see the module docstring)."""
    named = [part for part in chart.parts if part.name.lower() in GUITAR_PART_NAMES]
    if named:
        return named[0]
    with_frets = [part for part in chart.parts if part.notes["pitch"].isin(_fret_pitches()).any()]
    if not with_frets:
        if where.lower().endswith(CHART_TEXT_EXTENSION):  # a .chart names its parts by sections, not pitches
            raise BeatmapError(f"{where}: no section ([ExpertSingle], [HardSingle], ...) holds guitar notes.")
        pitches = f"{min(DIFFICULTIES)}-{max(DIFFICULTIES) + FRETS - 1}"
        raise BeatmapError(f"{where}: no part holds guitar notes (pitches {pitches}).")
    if len(with_frets) > 1:
        logger.warning(f"{where}: no part is named PART GUITAR; reading the first with frets, {with_frets[0].name!r}.")
    return with_frets[0]


def _fret_pitches() -> list[int]:
    return [base + fret for base in DIFFICULTIES for fret in range(FRETS)]


def difficulty_pitches(base: int, part: MidiPart) -> range:
    """The keys of one difficulty's notes: its five frets, and the open note below them where the part says
    `[ENHANCED_OPENS]`."""
    return range(base - OPEN_BELOW if part.enhanced_opens else base, base + FRETS)


def difficulty_name(base: int, part: MidiPart) -> str:
    """Clone Hero's name for a `PART ...` chart, Frets on Fire's for any other."""
    return DIFFICULTIES[base][1 if part.name.lower().startswith(("part ", "t1 ")) else 0]


def is_stem(name: str) -> bool:
    """Whether a song folder's file `name` is a stem of its song (`STEM_NAMES` and `STEM_EXTENSIONS`, any letter
    case), which the games play with the chart."""
    stem, extension = os.path.splitext(name)
    return stem.lower() in STEM_NAMES and extension.lower() in STEM_EXTENSIONS


def stem_members(members: list) -> list[str]:
    """The folder's files that are stems of the song, in `STEM_NAMES` order (of two of one name, the first)."""
    by_stem = {}
    for member in filter(is_stem, members):
        by_stem.setdefault(stem_name(member), member)
    return [by_stem[stem] for stem in STEM_NAMES if stem in by_stem]


def released_before_next(objects: pd.DataFrame) -> pd.DataFrame:
    """Holds end at least two 10 ms steps before the next note of their track (a sustain running into the next note,
    legato, would otherwise join it into one hold); one that no longer lasts a step becomes a hit."""
    objects = objects.sort_values(["track", "start"], kind="stable")
    next_start = objects.groupby("track")["start"].shift(-1).to_numpy(np.float64)
    end = np.fmin(objects["end"].to_numpy(np.float64), next_start - 2 * QUANTUM_MS)
    start = objects["start"].to_numpy(np.float64)
    objects["end"] = np.where(end - start >= QUANTUM_MS, end, start)
    return objects.sort_values(["start", "track"], kind="stable").reset_index(drop=True)


class FretsOnFireSong(BeatmapSet):
    """
    The difficulties of a Frets on Fire / Clone Hero song folder.

    Args:
        path (`str` or `os.PathLike`): the folder's chart, `notes.mid` or a `.chart` (or the folder: its chart as
            `chart_member` picks it).
        stem_gains (`dict[str, float]`, *optional*): a gain per stem file name for the mix (1 where missing), e.g. to
            vary the mix when augmenting training data.

    Raises:
        `FileNotFoundError`: no chart. `BeatmapError`: it is not a readable chart. `UnsafePathError`: the folder's
        chart is a link out of the folder.
    """

    def __init__(self, path, stem_gains: dict | None = None):
        path = os.fspath(path)
        folder = path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))
        files = folder_files(folder) if os.path.isdir(folder) else []
        if os.path.isdir(path):  # the folder's chart, not a link out of the folder
            self.path = confined_path(path, chart_member(files) or CHART_NAME, path)
        else:
            self.path = path
        if not os.path.isfile(self.path):
            raise FileNotFoundError(f"Frets on Fire chart not found: {self.path}")
        self.folder = os.path.dirname(os.path.abspath(self.path))
        self.name = os.path.basename(self.folder)
        check_text_size(os.path.getsize(self.path), self.path)
        with open(self.path, "rb") as file:
            data = file.read()
        self.text_chart = self.path.lower().endswith(CHART_TEXT_EXTENSION)
        chart_song = {}
        if self.text_chart:
            self.chart, chart_song = parse_notes_chart(data, self.path)
        else:
            self.chart = parse_notes_mid(data, self.path)
        self.ini, self.ini_path = read_song_ini(self.folder, files)
        for key, chart_key in (("name", "Name"), ("artist", "Artist"), ("charter", "Charter")):
            if not self.ini.get(key) and chart_song.get(chart_key):  # song.ini's metadata first, as the games read it
                self.ini.values[key] = chart_song[chart_key]
        self.offset_ms = self.ini.number("delay", self.ini_path, 0.0)
        if self.text_chart:  # the chart's [Song] entries read as song.ini's values are
            self.offset_ms += 1000.0 * SongIni(chart_song).number("Offset", self.path, 0.0)
        self.part = guitar_part(self.chart, self.path)
        streams = {chart_song[key]: stem for key, stem in CHART_STREAMS.items() if chart_song.get(key) in files}
        self.stems = stem_members(files) or list(streams)
        self.stem_names = {member: streams.get(member) or stem_name(member) for member in self.stems}
        self.stem_gains = stem_gains
        self._mix = None
        self.audio_member = self.stems[0] if len(self.stems) == 1 else ""
        if len(self.stems) > 1:
            self.audio_member = "+".join(os.path.splitext(stem)[0] for stem in self.stems) + ".ogg"
        self.members = files + ([self.audio_member] if len(self.stems) > 1 else [])
        pitches = set(self.part.notes["pitch"])
        self.bases = {difficulty_name(base, self.part): base for base in DIFFICULTIES
                      if pitches & set(difficulty_pitches(base, self.part))}  # fmt: skip
        self.difficulty_names = list(self.bases)

    def remixed(self, stem_gains: dict) -> "FretsOnFireSong":
        """The same song with its stems mixed at other levels (`stem_gains`, a gain per stem file name)."""
        return type(self)(self.path, stem_gains=stem_gains)

    def stems_of(self, member: str) -> dict[str, str]:
        """The stems the song's audio member is, by stem name (`{"song": "song.ogg", "guitar": "guitar.ogg"}`)."""
        return {self.stem_names[stem]: stem for stem in self.stems} if member == self.audio_member else {}

    def read_bytes(self, member: str) -> bytes:
        """A file of the folder; the mixed member is mixed once and kept (every difficulty asks for it)."""
        if member == self.audio_member and len(self.stems) > 1:
            if self._mix is None:
                stems = {stem: read_confined(self.folder, stem) for stem in self.stems}
                self._mix = mix_stems(stems, self.stem_gains)
            return self._mix
        return read_confined(self.folder, member)

    def read(self, difficulty_name: str, *, for_training: bool = True) -> IntermediateBeatmap:
        """
        One difficulty as a 4-track intermediate beatmap (see the module docstring).

        Raises:
            `BeatmapError`: the difficulty has no note, or its notes lie before the song or past the longest song.
            `AIGeneratedError`: `song.ini`'s charter says the chart is AI-generated.
        """
        where = f"{self.path} [{difficulty_name}]"
        charter = self.ini.get("charter") or self.ini.get("frets")
        ai_generated = ai_generated_mark(charter, where, for_training)
        notes = self._track_notes(difficulty_name, where)
        objects = pd.DataFrame({"track": notes["track"], "start": self._ms(notes["start_tick"]),
                                "end": self._ms(notes["end_tick"])})  # fmt: skip
        objects = released_before_next(objects)
        objects = notes_in_song(objects, where, "Offset and delay" if self.text_chart else "delay")
        tempo = self._tempo_map()
        tempo["time"] = tempo["time"].clip(lower=0.0)
        diff_guitar = self.ini.number("diff_guitar", self.ini_path)
        number = diff_guitar if diff_guitar is not None and diff_guitar >= 0 else sum(DIFF_GUITAR_RANGE) / 2
        preview = self.ini.number("preview_start_time", self.ini_path, -1.0)
        meta = {
            "audio": self.audio_member,
            "difficulty": difficulty_in_band(DIFFICULTY_BANDS, self.bases[difficulty_name], number),
            "tracks": list(MANIA_TRACKS),
            "title": self.ini.get("name") or self.name,
            "artist": self.ini.get("artist"),
            "creator": charter,
            "version": difficulty_name,
            "preview_time": max(
                song_preview_ms(np.trunc(preview), self.ini.get("preview_start_time"), self.ini_path), -1
            ),
            "source": {
                "format": "fretsonfire",
                "file": self.name,
                "mode": "mania",
                "part": self.part.name,
                "difficulty": difficulty_name,
                "stems": list(self.stems),
            },
            **ai_generated,
        }
        return IntermediateBeatmap.from_hit_objects(
            objects, meta, tempo_changes=tempo, flag_spans={"EMPTY": intro_span(objects)}
        )

    def timed(self, difficulty_name: str) -> TimedChart:
        """One difficulty at its file's times and where its notes stand as written (their ticks over the resolution,
        in beats), with its tempo map from `delay` on: a chord of blue and orange one object on RIGHT (the longer),
        each sustain released where the next note of its track starts at the latest, as the game lets it go
        (`legato`). Its sustains' ends stand where the charter let go, which editors write a few ticks before the
        beat grid (the sustain gap)."""
        notes = self._track_notes(difficulty_name, f"{self.path} [{difficulty_name}]")
        notes = notes.sort_values(["track", "start_tick", "end_tick"], kind="stable")
        notes = notes.drop_duplicates(["track", "start_tick"], keep="last")
        next_start = notes.groupby("track")["start_tick"].shift(-1).to_numpy(np.float64)
        start_tick = notes["start_tick"].to_numpy(np.float64)
        end_tick = np.fmin(notes["end_tick"].to_numpy(np.float64), next_start)
        objects = pd.DataFrame({"track": notes["track"].to_numpy(), "start": self._ms(start_tick),
                                "end": self._ms(end_tick), "start_beat": start_tick / self.chart.ticks_per_beat,
                                "end_beat": end_tick / self.chart.ticks_per_beat})  # fmt: skip
        objects = objects.sort_values(["start", "track"], kind="stable").reset_index(drop=True)
        return TimedChart(objects, self._tempo_map(), "mania", legato=True)

    def _track_notes(self, difficulty_name: str, where: str) -> pd.DataFrame:
        """The difficulty's notes on the four tracks (`track`; an open note on green's), with their `start_tick` and
        `end_tick` (a sustain's end, a note no longer than the sustain cutoff ending where it starts).

        Raises:
            `BeatmapError`: the difficulty has no note.
        """
        base = self.bases[difficulty_name]
        notes = self.part.notes[self.part.notes["pitch"].isin(difficulty_pitches(base, self.part))]
        if notes.empty:
            raise BeatmapError(f"{where}: the difficulty has no note.")
        cutoff = sustain_cutoff_ticks(self.ini, self.chart.ticks_per_beat, self.ini_path, self.text_chart)
        start, end = (notes[column].to_numpy() for column in ("start_tick", "end_tick"))
        tracks = [MANIA_TRACKS[FRET_TRACKS[max(fret, 0)]] for fret in notes["pitch"] - base]
        end = np.where(end - start > cutoff, end, start)
        return pd.DataFrame({"track": tracks, "start_tick": start, "end_tick": end})

    def _tempo_map(self) -> pd.DataFrame:
        """The chart's tempos: `time` (ms in the song, `_ms`) and `bpm` of each."""
        return pd.DataFrame({"time": self._ms(self.chart.tempo_ticks), "bpm": self.chart.bpms()})

    def _ms(self, ticks) -> np.ndarray:
        """The time in the song (ms) of each tick: the chart's, plus `delay` (and a `.chart`'s `Offset`)."""
        return self.chart.seconds(np.asarray(ticks)) * 1000.0 + self.offset_ms


def read_fretsonfire(path, *, for_training: bool = True) -> list[IntermediateBeatmap]:
    """Every difficulty of a Frets on Fire / Clone Hero song folder (or its chart) as an intermediate beatmap."""
    return FretsOnFireSong(path).read_all(for_training=for_training)
