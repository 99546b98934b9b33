"""Converting many beatmaps at once into intermediate files: what `beart convert` runs.

Each beatmap set (an `.osz` archive, a folder of `.osu` files with their audio, a StepMania `.sm` / `.ssc`
simfile, a Taiko `.tja` chart with its music beside it, or a Frets on Fire / Clone Hero song folder; see
`beart.beatmaps.formats`) becomes a folder `OUT_DIR/<set name>/` holding one `.ibf`
per difficulty or chart and the audio they share. Where a song folder holds both a `.sm` and an `.ssc` of the same
name, the `.ssc` is read (as StepMania does). A difficulty or set that cannot be converted, whatever it raises, is
skipped with its reason; the others carry on. Every file appears complete or not at all, and nothing that exists is
replaced unless asked (`overwrite`).
"""

import collections
import os
import tempfile
from dataclasses import dataclass, field

from tqdm.auto import tqdm
from transformers.utils import logging

from ..audio import AudioError
from .errors import BeatmapError, BeatmapRefusedError
from ..safety import UnsafePathError, check_folders_above, confined_path
from .files import move_into_place, safe_filename, staging_folder, unique_filename, write_atomically
from .beatmap_set import BeatmapSet
from .playability import check_beatmap_set
from .export import export_intermediate
from .formats import SET_EXTENSIONS, format_for_mode, format_of_file, open_beatmap_set, set_name, sets_in_folder
from .intermediate import IntermediateBeatmap


logger = logging.get_logger(__name__)

@dataclass
class ConversionReport:
    """
    What a batch conversion did.

    Args:
        converted (`list[str]`): the `.ibf` files written; converting to a mode, the set written for each difficulty.
        skipped (`list[tuple[str, str]]`): `(item, reason)` for each difficulty or set that was not converted.
    """

    converted: list = field(default_factory=list)
    skipped: list = field(default_factory=list)

    def skipped_kinds(self) -> collections.Counter:
        """How many items were skipped for each kind of reason (`refused`, `unreadable`, ...: a reason's first word)."""
        return collections.Counter(reason.split(":")[0] for _, reason in self.skipped)

    def summary(self) -> str:
        line = f"converted {len(self.converted)} difficulties, skipped {len(self.skipped)}"
        if self.skipped:
            kinds = self.skipped_kinds()
            line += " (" + ", ".join(f"{count} {kind}" for kind, count in kinds.most_common()) + ")"
        return line


def find_beatmap_sets(path) -> list[str]:
    """The beatmap sets under `path` (or `path` itself), sorted: every file a format of the registry claims (`.osz`,
    simfiles, `.tja`, a song folder's `notes.mid` or `.chart`) and the folders holding `.osu` files (see
    `beart.beatmaps.formats`). A file that is a link out of `path` is skipped with a warning."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such file or folder: {path}")
    if os.path.isfile(path):
        if format_of_file(path) is not None or path.lower().endswith(".mid"):
            return [path]
        raise BeatmapError(f"{path} is not a beatmap ({', '.join(SET_EXTENSIONS)}).")
    sets = []
    for folder, _, files in os.walk(path):
        for source in sets_in_folder(folder, files):
            try:  # a file found in the folder may be a link to anywhere: only what lies under `path` is read
                confined_path(path, os.path.relpath(source, path), path)
            except UnsafePathError as error:
                logger.warning(f"{error} Skipped.")
                continue
            sets.append(source)
    return sorted(sets)


def check_beatmap_sets(path, skipped: list) -> list:
    """
    `beart check`'s rules on every map of every set under `path` (`find_beatmap_sets`); a set or map that cannot be
    read is listed in `skipped` as `(path, reason)` and the others are checked.

    Returns:
        `list[PlayabilityReport]`: one per map (`check_beatmap_set`).
    """
    reports = []
    for source in find_beatmap_sets(path):
        try:
            beatmap_set = open_beatmap_set(source)
        except Exception as error:  # an untrusted file: the other sets are checked
            skipped.append((source, str(error) or type(error).__name__))
            continue
        reports += check_beatmap_set(beatmap_set, source, skipped)
    return reports


def read_difficulties(source: str, skipped: list, *, for_training: bool = True):
    """
    Yields `(item, beatmap_set, member, beatmap)` for every difficulty of the set at `source` that reads, and
    appends `(item, reason)` to `skipped` for the set or the difficulties that do not (refused or unreadable).
    """
    try:
        beatmap_set = open_beatmap_set(source)
    except Exception as error:  # an untrusted file: whatever it raises, the rest of the batch goes on
        skipped.append((source, f"unreadable: {_describe(error)}"))
        return
    for member in beatmap_set.difficulty_names:
        item = f"{source} [{member}]" if os.path.basename(source) != member else source
        try:
            beatmap = beatmap_set.read(member, for_training=for_training)
        except BeatmapRefusedError as error:
            skipped.append((item, f"refused: {error}"))
            continue
        except Exception as error:
            skipped.append((item, f"unreadable: {_describe(error)}"))
            continue
        yield item, beatmap_set, member, beatmap


def find_audio(beatmap_set: BeatmapSet, beatmap, item: str, skipped: list) -> str | None:
    """The member of `beatmap_set` holding the audio `beatmap` names, or `None` after adding to `skipped` why there is
    none (missing, or named outside the set)."""
    try:
        member = beatmap_set.find(beatmap.audio)
    except UnsafePathError as error:
        skipped.append((item, f"unsafe: {error}"))
        return None
    if member is None:
        skipped.append((item, f"no audio: {beatmap.audio!r}, named in the map, is missing"))
    return member


def _describe(error: Exception) -> str:
    return str(error) or type(error).__name__


def convert_beatmap_set(
    source: str,
    output_dir: str,
    report: ConversionReport,
    *,
    for_training: bool = True,
    require_audio: bool = True,
    overwrite: bool = False,
    set_names: set | None = None,
    mode: str | None = None,
) -> None:
    """
    Converts the difficulties of one set into `output_dir/<set name>/`, recording results in `report`. Two sets of
    one name (in different folders) go to `<set name>`, `<set name> (2)`...; a set folder that already exists is
    skipped unless `overwrite`, so a map is never paired with another set's audio. The set is written into a hidden
    folder and moved into place once every difficulty is converted (`move_into_place`): an interrupted conversion
    leaves no set folder that holds some of its difficulties, which a second run would skip as existing. With
    `mode`, the set is written as a playable set of that mode instead (`_convert_set_to_mode`).
    """
    set_names = set() if set_names is None else set_names
    name = unique_filename(safe_filename(set_name(source)), set_names)
    if mode is not None:
        _convert_set_to_mode(source, output_dir, name, report, mode, for_training, require_audio, overwrite)
        return
    target = os.path.join(output_dir, name)
    if _kept(target, overwrite, source, report):
        return
    with staging_folder(output_dir, ".beart-set-") as staging:  # hidden until complete
        file_names, written_audio, converted = set(), {}, []
        for item, beatmap_set, member, beatmap in read_difficulties(source, report.skipped, for_training=for_training):
            try:
                written = _convert_difficulty(
                    beatmap_set, member, beatmap, staging, file_names, written_audio, require_audio
                )
            except _Skip as skip:
                report.skipped.append((item, str(skip)))
            except Exception as error:
                report.skipped.append((item, f"unreadable: {_describe(error)}"))
            else:
                converted.append(os.path.basename(written))
        if converted:
            move_into_place(staging, target)
            report.converted += [os.path.join(target, file_name) for file_name in converted]


def _kept(target: str, overwrite: bool, source: str, report: ConversionReport) -> bool:
    """Whether `target` already exists and is kept (no `overwrite`): then `source` is skipped with that reason."""
    if os.path.lexists(target) and not overwrite:
        report.skipped.append((source, f"exists: {target} is already there; pass --overwrite to replace it"))
        return True
    return False


def _convert_set_to_mode(source, output_dir, name, report, mode, for_training, require_audio, overwrite) -> None:
    """Writes one set's difficulties as a playable set of `mode`: `output_dir/<name>.osz` or the song folder
    `output_dir/<name>/`, one per song the set's maps play to (`<name> (<song>)` where there are several). The
    difficulties are converted to `.ibf` files in a staging folder first, then exported together
    (`export_intermediate`); a set its format cannot hold (a guitar song of more than four) is skipped with its
    reason, and nothing of it is written."""
    extension = format_for_mode(mode).archive
    with tempfile.TemporaryDirectory() as staging:
        staged = ConversionReport()
        convert_beatmap_set(source, staging, staged, for_training=for_training, require_audio=require_audio)
        report.skipped += staged.skipped
        by_song = collections.defaultdict(list)
        for path in staged.converted:
            by_song[IntermediateBeatmap.load(path).audio].append(path)
        for song, paths in by_song.items():
            label = name if len(by_song) == 1 else f"{name} ({os.path.splitext(song)[0] or 'no audio'})"
            target = os.path.join(output_dir, safe_filename(label) + extension)
            if _kept(target, overwrite, source, report):
                continue
            try:
                written = export_intermediate(paths, target, mode=mode, overwrite=overwrite)
            except (AudioError, BeatmapError, OSError) as error:  # a song that is no audio: the other sets go on
                reason = _describe(error).replace(os.path.join(staging, ""), "")  # named in the set, not in staging
                report.skipped.append((source, f"unwritable as {mode}: {reason}"))
                continue
            report.converted += [written[0]] * len(paths)


class _Skip(Exception):
    """A difficulty left out, with its reason."""


def _convert_difficulty(beatmap_set, member, beatmap, target, file_names, written_audio, require_audio) -> str:
    """Writes one difficulty's `.ibf` (and its set's audio, once) into `target`; returns the `.ibf` written."""
    try:
        audio_member = beatmap_set.find(beatmap.audio)
    except UnsafePathError as error:
        raise _Skip(f"unsafe: {error}")
    try:
        audio = beatmap_set.read_bytes(audio_member) if audio_member else b""
    except UnsafePathError as error:  # a file the audio is made of (a stem) leads out of the set
        raise _Skip(f"unsafe: {error}")
    if not audio and require_audio:
        if beatmap.audio:
            raise _Skip(f"no audio: {beatmap.audio!r}, named in the map, is missing or empty")
        raise _Skip("no audio: the map names no audio file")
    os.makedirs(target, exist_ok=True)
    if audio:
        if audio_member not in written_audio:
            stem, extension = os.path.splitext(os.path.basename(audio_member))  # a long name keeps its ending
            audio_name = unique_filename(safe_filename(stem, extension), file_names)
            written_audio[audio_member] = write_atomically(os.path.join(target, audio_name), audio)
        beatmap.meta["audio"] = os.path.basename(written_audio[audio_member])
    name = unique_filename(safe_filename(os.path.splitext(os.path.basename(member))[0]) + ".ibf", file_names)
    return beatmap.save(os.path.join(target, name))


def convert_beatmaps(
    input_path,
    output_dir,
    *,
    for_training: bool = True,
    require_audio: bool = True,
    progress: bool = True,
    overwrite: bool = False,
    mode: str | None = None,
) -> ConversionReport:
    """
    Converts every beatmap set found at `input_path` (see `find_beatmap_sets`) into intermediate files, or with
    `mode` into playable sets of that mode (one `.osz` or song folder per set: osu! to StepMania, TJA to osu!taiko...).

    Args:
        input_path (`str` or `os.PathLike`): an `.osz`, `.osu`, `.sm` or `.ssc` file, or a folder searched
            recursively for them.
        output_dir (`str` or `os.PathLike`): where the set folders go (created if missing).
        for_training (`bool`, *optional*, defaults to `True`): skip maps refused for training (robots, AI-generated).
        require_audio (`bool`, *optional*, defaults to `True`): skip difficulties whose audio is missing or empty.
        progress (`bool`, *optional*, defaults to `True`): show a progress bar over the sets.
        overwrite (`bool`, *optional*, defaults to `False`): replace set folders that already exist in `output_dir`
            (otherwise such a set is skipped with its reason).
        mode (`str`, *optional*): one of `WRITE_MODES`: write each set as a playable set of this mode.

    Returns:
        `ConversionReport`: the files written and what was skipped and why.

    Raises:
        `FileExistsError`: `output_dir` is a file (before anything is read).
    """
    if mode is not None:
        format_for_mode(mode)  # an unknown mode fails before anything is read
    output_dir = os.fspath(output_dir)
    if os.path.lexists(output_dir) and not os.path.isdir(output_dir):  # every map failed to write, called unreadable
        raise FileExistsError(f"{output_dir} exists and is not a folder; choose another output folder.")
    check_folders_above(output_dir)
    sources = find_beatmap_sets(input_path)
    report = ConversionReport()
    if not sources:
        report.skipped.append((os.fspath(input_path), "empty: no .osz, .osu, .sm or .ssc file found"))
        return report
    bar = tqdm(sources, desc="Converting beatmaps", unit="set", disable=not progress)
    set_names = set()
    for source in bar:
        convert_beatmap_set(
            source,
            output_dir,
            report,
            for_training=for_training,
            require_audio=require_audio,
            overwrite=overwrite,
            set_names=set_names,
            mode=mode,
        )
        bar.set_postfix(converted=len(report.converted), skipped=len(report.skipped))
    for item, reason in report.skipped:
        logger.warning(f"Skipped {item}: {reason}")
    return report
