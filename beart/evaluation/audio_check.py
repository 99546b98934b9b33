"""`beart check --audio`: every map against its own song, beside the rules `beart.beatmaps.playability` reads off the
files alone.

Two faults a player hears and the files cannot tell:

- **objects in silence**: an object starting where the song is silent, more than `silence_db` (`SILENCE_DB`, 50 dB)
  below its loud level with nothing louder from 20 ms before it to 50 ms after it, or where it is hiss (a flat
  spectrum: `audio_priors.hiss_frames`), as the bundled model's `silence_db` gate reads it (`SongAnalysis.sounding`),
  or after the song has ended. Every note of the human charts of the shared corpus's 14 real songs lies within 15.2 dB
  of its song's loud level, and none on hiss;
- **a map off its song**: the median distance of its notes from the attacks they mark (`chart_timing`) at
  `MAX_OFFSET_MS` or more, early or late, over the map or over a third of its notes, or thirds as far apart (a wrong
  offset in the file, a chart timed against a game's latency, a tempo that drifts: `ChartTiming.off`). Where a
  map's notes do not follow its song's onsets closely enough to tell (few notes, or hardly more of them on an onset
  than chance puts there), its timing is not judged.

The song is the one the set names (a Frets on Fire folder's stems mixed as the games play them), decoded once per set
within `beart.safety.limits`.
"""

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd
from tqdm.auto import tqdm
from transformers.utils import logging

from ..beatmaps.batch_conversion import find_audio, find_beatmap_sets
from ..beatmaps.formats import open_beatmap_set
from ..beatmaps.intermediate import IntermediateBeatmap
from ..beatmaps.playability import PlayabilityReport, check_beatmap_set, check_playability
from ..processing.audio_priors import FRAMES_PER_SECOND, SILENCE_DB
from ..processing.feature_extraction_beart import BeartFeatureExtractor
from ..processing.onset_alignment import MAX_OFFSET_MS, ChartTiming, chart_timing
from ..processing.song_analysis import SongAnalysis


logger = logging.get_logger(__name__)

FRAME_MS = 1000.0 / FRAMES_PER_SECOND  # a frame of the song's analysis


@dataclass
class AudioCheckReport:
    """
    Where a map's objects sit against its song.

    Args:
        name (`str`): the map, named as `beart check`'s `PlayabilityReport` names it.
        audio (`str`): the song's file.
        num_objects (`int`): the map's objects.
        in_silence (`list[tuple[str, float]]`): `(track, start)` (ms) of the objects starting in the song's silence or
            after its end.
        timing (`ChartTiming`): where the notes sit against the song's onsets.
    """

    name: str
    audio: str
    num_objects: int
    in_silence: list
    timing: ChartTiming

    @property
    def off_time(self) -> bool:
        return self.timing.off

    @property
    def passed(self) -> bool:
        return not (self.in_silence or self.off_time)

    def summary(self) -> str:
        timing = self.timing
        if timing.offset_ms is None:
            told = (
                f"its {timing.num_notes} note starts do not follow the song's onsets closely enough to time "
                f"({timing.matched_share:.0%} on one, {timing.chance_share:.0%} by chance)"
            )
        else:
            side = "early" if timing.offset_ms < 0 else "late"
            told = f"its notes sit {abs(timing.offset_ms):.0f} ms {side} on the song's attacks"
            if round(abs(timing.offset_ms)) == 0:
                told = "its notes sit on the song's attacks (0 ms)"
        if self.off_time:
            parts = ", ".join("-" if offset is None else f"{offset:+.0f}" for offset in timing.part_offsets_ms)
            apart = "" if timing.drift_ms is None else f"; they lie {timing.drift_ms:.0f} ms apart"
            told += f" (by thirds: {parts} ms{apart}; off: {MAX_OFFSET_MS:.0f} ms or more early, late or apart)"
        line = f"  against {self.audio}: {len(self.in_silence)} objects in silence, {told}"
        details = [f"  {track}: an object in silence at {start:.0f} ms" for track, start in self.in_silence[:10]]
        return "\n".join([line, *details])


def check_against_song(
    objects: pd.DataFrame, analysis: SongAnalysis, name: str, audio: str, silence_db: float = SILENCE_DB
) -> AudioCheckReport:
    """
    Checks one map's objects against its song (see the module docstring).

    Args:
        objects (`pd.DataFrame`): columns `track`, `start` (ms), as `check_objects` takes them.
        analysis (`SongAnalysis`): the song's; its `sounding` frames and `attacks_ms` are read.
        name (`str`): names the map in the report.
        audio (`str`): names the song in the report.
        silence_db (`float`, *optional*): how far below the song's loud level an object's frame is silent; 0 for no
            silence check.
    """
    starts = objects["start"].to_numpy(np.float64)
    frames = np.floor(starts / FRAME_MS).astype(np.int64)
    if silence_db > 0:
        sounding = analysis.sounding(silence_db).reshape(-1)
        inside = (frames >= 0) & (frames < len(sounding))
        silent = ~inside | ~sounding[np.clip(frames, 0, len(sounding) - 1)]
    else:
        silent = np.zeros(len(starts), dtype=bool)
    order = np.argsort(starts[silent], kind="stable")
    in_silence = list(zip(objects["track"].to_numpy()[silent][order], starts[silent][order].tolist()))
    return AudioCheckReport(name, audio, len(objects), in_silence, chart_timing(starts, analysis.attacks_ms))


class SongCache:
    """Each song decoded and analysed once, however many maps name it (the last one kept: sets come one by one); a
    song that cannot be decoded raises its error again for every map that names it, without a second try."""

    def __init__(self, feature_extractor: BeartFeatureExtractor | None = None):
        self.feature_extractor = feature_extractor or BeartFeatureExtractor()
        self.key, self.value = None, None

    def __call__(self, key, read) -> SongAnalysis:
        """The analysis of the song `key` names, its attacks found (`SongAnalysis.attacks_ms`); `read()` gives its
        path or bytes."""
        if key != self.key:
            try:
                value = SongAnalysis.from_audio(read(), self.feature_extractor)
                value.attacks_ms  # noqa: B018  (found while the song's errors are caught)
            except Exception as error:  # unreadable, too long, silent: the same for every map of the song
                value = error
            self.key, self.value = key, value
        if isinstance(self.value, Exception):
            raise self.value
        return self.value


def _set_against_songs(beatmap_set, source: str, skipped: list, silence_db: float, songs: SongCache) -> dict:
    """`check_against_song` for every map of an open set, by map name (`check_beatmap_set`'s), on the file's own times
    where the format keeps them (osu!, StepMania, TJA, Frets on Fire), else on the intermediate map. A map without its
    song, or whose song does not decode, is added to `skipped` as `(item, reason)`."""
    reports = {}
    for member in beatmap_set.difficulty_names:
        item = f"{source} [{member}]"
        try:
            beatmap = beatmap_set.read(member, for_training=False)
            missing = []
            audio = find_audio(beatmap_set, beatmap, item, missing)
            if audio is None:
                skipped += [(item, f"not checked against its audio: {reason}") for _, reason in missing]
                continue
            analysis = songs((source, audio), lambda: beatmap_set.read_bytes(audio))
            timed = beatmap_set.timed(member)
            objects = beatmap.hit_objects() if timed is None else timed.objects
            reports[item] = check_against_song(objects, analysis, item, audio, silence_db)
        except Exception as error:  # an untrusted file or song: the other maps are checked
            skipped.append((item, f"not checked against its audio: {str(error) or type(error).__name__}"))
    return reports


def _intermediate_against_song(
    beatmap: IntermediateBeatmap, path: str, silence_db: float, songs: SongCache
) -> AudioCheckReport:
    """`check_against_song` for an `.ibf` map read from `path` and the song it names beside it.

    Raises:
        `FileNotFoundError`: the song is not beside the map. `UnsafePathError`: the map names a file outside its
            folder. `AudioError`: the song does not decode.
    """
    audio = beatmap.audio_beside(path)
    if not os.path.isfile(audio):
        raise FileNotFoundError(f"The audio {beatmap.audio!r} named by {path} is not beside it.")
    analysis = songs(audio, lambda: audio)
    return check_against_song(beatmap.hit_objects(), analysis, path, beatmap.audio, silence_db)


def check_maps_with_audio(
    path, skipped: list, silence_db: float | None = None, songs: SongCache | None = None, progress: bool = False
) -> list[tuple[PlayabilityReport, AudioCheckReport | None]]:
    """
    What `beart check --audio` reports for one of its arguments, each set opened once: per map, the rules of
    `beart.beatmaps.playability` (`check_playability` for an `.ibf`, `check_beatmap_set` for the maps of every set
    under `path`) and the map against its song (`check_against_song`). A set or map that cannot be read, or checked
    against its song, is added to `skipped` as `(item, reason)`.

    Args:
        path (`str`): an `.ibf`, a beatmap file, a song folder or a folder of them.
        skipped (`list`): where the maps not checked go.
        silence_db (`float`, *optional*): defaults to `SILENCE_DB`.
        songs (`SongCache`, *optional*): songs already decoded, shared across calls.
        progress (`bool`, *optional*, defaults to `False`): a progress bar over the sets.

    Returns:
        `list[tuple[PlayabilityReport, AudioCheckReport | None]]`: one per map read, `None` where it was not checked
        against its song.
    """
    silence_db = SILENCE_DB if silence_db is None else silence_db
    songs = songs or SongCache()
    path = os.fspath(path)
    if path.lower().endswith(".ibf"):
        beatmap = IntermediateBeatmap.load(path)
        try:
            heard = _intermediate_against_song(beatmap, path, silence_db, songs)
        except Exception as error:  # the map was read; its song is missing, outside its folder or does not decode
            skipped.append((path, f"not checked against its audio: {str(error) or type(error).__name__}"))
            heard = None
        return [(check_playability(beatmap, path), heard)]
    checked = []
    for source in tqdm(find_beatmap_sets(path), desc="against the songs", unit="set", disable=not progress):
        try:
            beatmap_set = open_beatmap_set(source)
        except Exception as error:  # an untrusted file: the other sets are checked
            skipped.append((source, str(error) or type(error).__name__))
            continue
        reports = check_beatmap_set(beatmap_set, source, skipped)
        heard = _set_against_songs(beatmap_set, source, skipped, silence_db, songs)
        checked += [(report, heard.get(report.name)) for report in reports]
    return checked
