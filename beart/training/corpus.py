"""Building a training corpus: beatmaps and their songs as a `datasets.DatasetDict` on disk.

The corpus keeps each thing once and memory-mapped (Arrow), so it scales past memory:

| split   | one row per            | columns                                                                   |
| ------- | ---------------------- | ------------------------------------------------------------------------- |
| `songs` | song                   | `song_index`, `name`, `mel_frames` `(num_frames, mel_bands)` float32      |
| `maps`  | difficulty / chart     | `map_index`, `song_index`, `name`, `num_tracks`, `difficulty`, `events`   |
|         |                        | (10 ms grid, track-interleaved uint8), `tempo` (BPM per 10 ms, float32)   |
| `train` | training example       | `map_index`, `step` (the 100 ms token scored), `scored_track`             |
| `test`  | evaluation example     | the same (absent when every song went to `train`)                         |

`beart_corpus.json` beside the splits holds the counts, the charts' shifts where they were lined up, and each song's
credit (title, artist, charts and charters: `credits.py`), which the model card of a model trained on the corpus lists.

Mel features are computed once per song (10 ms frames, grouped into slices by the collator, which can shift them for
time-offset augmentation); `BeartDataCollator` turns example rows into model inputs on the fly. Songs, not
difficulties, are split between train and test, with a fixed seed.

Examples are the 100 ms steps of every map, skipped as the original BeatLearning dataset skips them: steps whose
10 ms rows are all flagged `EMPTY` (the original looked for a lower-case `empty` column that its own converter never
wrote, so it never skipped breaks; both spellings count here), steps after more than `max_empty_seconds` of no event
on any track (counted over tracks, as the original does), and optionally the lead-in before the first event.
"""

import functools
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field

import datasets
import numpy as np
from tqdm.auto import tqdm
from transformers.utils import logging

from ..audio import AudioError
from ..beatmaps import BeatmapError, IntermediateBeatmap
from ..beatmaps.batch_conversion import find_audio, find_beatmap_sets, read_difficulties
from ..beatmaps.files import apply_umask
from ..beatmaps.fretsonfire_reader import FretsOnFireSong
from ..beatmaps.intermediate import TRACK_COUNTS
from ..beatmaps.numbers import is_whole_number
from ..beatmaps.provenance import is_ai_generated
from ..beatmaps.tracks import retrack, tracks_of_count
from ..processing import BeartFeatureExtractor, BeartTokenizer, SongAnalysis
from ..safety import LimitError, UnsafePathError, check_folders_above
from .alignment import ALIGN_ON, alignment_shift_ms, shifted
from .corpus_check import check_corpus
from .credits import song_credit


logger = logging.get_logger(__name__)

CORPUS_INFO_NAME = "beart_corpus.json"
MAX_EMPTY_SECONDS = 4.0
EXAMPLE_SPLITS = ("train", "test")
STEM_GAINS = (0.25, 1.25)  # range of each stem's random gain in a stem mix


def example_features() -> datasets.Features:
    return datasets.Features(
        {"map_index": datasets.Value("int32"), "step": datasets.Value("int32"), "scored_track": datasets.Value("int8")}
    )


def map_features() -> datasets.Features:
    return datasets.Features(
        {
            "map_index": datasets.Value("int32"),
            "song_index": datasets.Value("int32"),
            "name": datasets.Value("string"),
            "num_tracks": datasets.Value("int8"),
            "difficulty": datasets.Value("float32"),
            "events": datasets.Sequence(datasets.Value("uint8")),
            "tempo": datasets.Sequence(datasets.Value("float32")),
        }
    )


def song_features(mel_bands: int) -> datasets.Features:
    return datasets.Features(
        {
            "song_index": datasets.Value("int32"),
            "name": datasets.Value("string"),
            "mel_frames": datasets.Array2D(shape=(None, mel_bands), dtype="float32"),
        }
    )


def training_steps(
    beat_tokens: np.ndarray,
    empty_token_id: int,
    groups: int,
    empty_flags: np.ndarray | None = None,
    max_empty_seconds: float | None = MAX_EMPTY_SECONDS,
    skip_lead_in: bool = False,
) -> np.ndarray:
    """
    The steps of a map that become training examples (see the module docstring).

    Args:
        beat_tokens (`np.ndarray` of shape `(num_steps, num_tracks)`): the map's beat tokens.
        empty_token_id (`int`): the token of a window without events.
        groups (`int`): 10 ms rows per token.
        empty_flags (`np.ndarray` of shape `(num_rows,)`, *optional*): the map's EMPTY flag per 10 ms row.
        max_empty_seconds (`float`, *optional*, defaults to 4.0): skip steps after this long without events.
        skip_lead_in (`bool`, *optional*, defaults to `False`): skip the steps before the first event.
    """
    num_steps, num_tracks = beat_tokens.shape
    keep = np.ones(num_steps, dtype=bool)
    if empty_flags is not None and len(empty_flags):
        padded = np.zeros(num_steps * groups, dtype=bool)
        padded[: min(len(empty_flags), len(padded))] = np.asarray(empty_flags[: len(padded)], dtype=bool)
        keep &= ~padded.reshape(num_steps, groups).all(axis=1)
    is_empty = (beat_tokens == empty_token_id).reshape(-1)
    position = np.arange(len(is_empty))
    last_event = np.maximum.accumulate(np.where(~is_empty, position, -1))
    empty_run = (position - last_event).reshape(num_steps, num_tracks)[:, -1]
    if max_empty_seconds is not None:
        limit = max_empty_seconds * num_tracks * 1000.0 / (10 * groups)
        keep &= empty_run <= limit
    if skip_lead_in:
        keep &= last_event.reshape(num_steps, num_tracks)[:, -1] >= 0
    return np.flatnonzero(keep)


@dataclass
class CorpusReport:
    """
    What a corpus build did.

    Args:
        songs (`dict[str, int]`): songs per split.
        maps (`dict[str, int]`): maps per split.
        examples (`dict[str, int]`): examples per split.
        skipped (`list[tuple[str, str]]`): `(item, reason)` for every map or song left out.
    """

    songs: dict = field(default_factory=lambda: dict.fromkeys(EXAMPLE_SPLITS, 0))
    maps: dict = field(default_factory=lambda: dict.fromkeys(EXAMPLE_SPLITS, 0))
    examples: dict = field(default_factory=lambda: dict.fromkeys(EXAMPLE_SPLITS, 0))
    skipped: list = field(default_factory=list)

    @property
    def built(self) -> bool:
        return sum(self.examples.values()) > 0

    def summary(self) -> str:
        parts = [
            f"{split}: {self.songs[split]} songs, {self.maps[split]} maps, {self.examples[split]} examples"
            for split in EXAMPLE_SPLITS
        ]
        line = "; ".join(parts) + f"; skipped {len(self.skipped)}"
        if self.skipped:
            kinds = {}
            for _, reason in self.skipped:
                kind = reason.split(":")[0]
                kinds[kind] = kinds.get(kind, 0) + 1
            line += " (" + ", ".join(f"{count} {kind}" for kind, count in kinds.items()) + ")"
        return line


@dataclass
class _Song:
    name: str
    read_audio: object
    beatmap_set: str
    maps: list = field(default_factory=list)
    split: str = "train"
    remixable: FretsOnFireSong | None = None  # a song mixed from stems, which can be mixed again


def _sources(input_path) -> list[str]:
    """The beatmap sets and `.ibf` files under one input (a file or a folder)."""
    input_path = os.fspath(input_path)
    sources = [] if input_path.lower().endswith(".ibf") else find_beatmap_sets(input_path)
    if os.path.isdir(input_path):
        for folder, _, files in os.walk(input_path):
            sources.extend(os.path.join(folder, name) for name in sorted(files) if name.lower().endswith(".ibf"))
    elif input_path.lower().endswith(".ibf"):
        sources.append(input_path)
    return sources


def _catalog(input_paths, report: CorpusReport, progress: bool, stem_mixes: int = 0, seed: int = 0) -> list[_Song]:
    """Every readable map under `input_paths` (one path or several), grouped by the song (audio) it plays to; a song
    mixed from stems also `stem_mixes` more times at random levels (seeded by `seed`), each mix a song of its own."""
    if isinstance(input_paths, (str, os.PathLike)):
        input_paths = [input_paths]
    sources = list(dict.fromkeys(source for input_path in input_paths for source in _sources(input_path)))
    songs = {}
    for source in tqdm(sorted(sources), desc="Reading beatmaps", unit="set", disable=not progress):
        if source.lower().endswith(".ibf"):
            _catalog_intermediate(source, songs, report)
            continue
        for item, beatmap_set, member, beatmap in read_difficulties(source, report.skipped):
            audio_member = find_audio(beatmap_set, beatmap, item, report.skipped)
            if audio_member is None:
                continue
            key = (source, audio_member)
            if key not in songs:
                reader = beatmap_set.read_bytes
                songs[key] = _Song(
                    name=f"{source} [{audio_member}]",
                    read_audio=lambda r=reader, m=audio_member: r(m),
                    beatmap_set=source,
                )
                if isinstance(beatmap_set, FretsOnFireSong) and len(beatmap_set.stems) > 1:
                    songs[key].remixable = beatmap_set
            songs[key].maps.append((item, lambda s=beatmap_set, m=member: s.read(m, for_training=True)))
    random = np.random.default_rng(seed)
    for song in list(songs.values()):
        beatmap_set = song.remixable
        for mix in range(stem_mixes if beatmap_set is not None else 0):
            gains = {stem: round(float(random.uniform(*STEM_GAINS)), 2) for stem in beatmap_set.stems}
            remixed = beatmap_set.remixed(gains)
            label = f"stem mix {mix + 1}: " + ", ".join(f"{stem} x{gain}" for stem, gain in gains.items())
            songs[(song.name, mix)] = _Song(
                name=f"{song.name} ({label})",
                read_audio=lambda r=remixed, m=remixed.audio_member: r.read_bytes(m),
                beatmap_set=song.beatmap_set,
                maps=[(f"{item} ({label})", read) for item, read in song.maps],
            )
    return list(songs.values())


def _catalog_intermediate(path: str, songs: dict, report: CorpusReport) -> None:
    try:
        beatmap = IntermediateBeatmap.load(path)
    except (BeatmapError, OSError) as error:
        report.skipped.append((path, f"unreadable: {error}"))
        return
    if is_ai_generated(beatmap.meta):  # a model's map, by beart or read from a file that said so
        report.skipped.append((path, f"refused: {path}: its metadata says it is AI-generated"))
        return
    try:
        audio = beatmap.audio_beside(path)
    except UnsafePathError as error:
        report.skipped.append((path, f"unsafe: {error}"))
        return
    if not beatmap.audio or not os.path.isfile(audio):
        report.skipped.append((path, f"no audio: {beatmap.audio!r}, named in the map, is not beside it"))
        return
    if audio not in songs:
        songs[audio] = _Song(name=audio, read_audio=lambda a=audio: a, beatmap_set=os.path.dirname(audio))
    songs[audio].maps.append((path, lambda p=path: IntermediateBeatmap.load(p)))


def _split_songs(songs: list[_Song], test_size: float, seed: int) -> None:
    """Puts a `test_size` share of the beatmap sets (archives or folders) in the test split, every song of a set in
    the same split, so that no test song shares its maps with a training song (a set with several songs, or one song
    rendered several times)."""
    beatmap_sets = list(dict.fromkeys(song.beatmap_set for song in songs))
    order = np.random.default_rng(seed).permutation(len(beatmap_sets))
    num_test = int(round(test_size * len(beatmap_sets)))
    if len(beatmap_sets) > 1 and test_size > 0:
        num_test = min(max(num_test, 1), len(beatmap_sets) - 1)
    else:
        num_test = 0
    test_sets = {beatmap_sets[index] for index in order[:num_test]}
    for song in songs:
        song.split = "test" if song.beatmap_set in test_sets else "train"


def build_corpus(
    input_path,
    output_dir,
    *,
    feature_extractor: BeartFeatureExtractor | None = None,
    tokenizer: BeartTokenizer | None = None,
    test_size: float = 0.1,
    seed: int = 42,
    max_empty_seconds: float | None = MAX_EMPTY_SECONDS,
    skip_lead_in: bool = False,
    progress: bool = True,
    overwrite: bool = False,
    align_to_onsets: bool = False,
    stem_mixes: int = 0,
    folded_tracks: tuple = (),
    align_on: str = "frames",
) -> CorpusReport:
    """
    Builds a training corpus from beatmaps (what `beart dataset build` runs).

    Args:
        input_path (`str`, `os.PathLike` or a list of them): a beatmap set of any format of the registry (`.osz`,
            `.osu`, simfiles, `.tja`, Frets on Fire songs) or an `.ibf` file, or a folder searched recursively for
            them (intermediate files need their audio beside them); or several such, read as one.
        output_dir (`str` or `os.PathLike`): where the `DatasetDict` is saved; written to a staging folder first, so
            a failed build leaves nothing behind. An existing folder must be empty, or a corpus to replace with
            `overwrite`: anything else raises `FileExistsError` before any work, so no file of the user's is lost.
        feature_extractor (`BeartFeatureExtractor`, *optional*): the model's; the Quaver default when not given.
        tokenizer (`BeartTokenizer`, *optional*): the model's; the default (groups 10) when not given.
        test_size (`float`, *optional*, defaults to 0.1): share of beatmap sets held out with all their songs (at
            least one when there are two).
        seed (`int`, *optional*, defaults to 42): seed of the song split.
        max_empty_seconds (`float`, *optional*, defaults to 4.0): see `training_steps`.
        skip_lead_in (`bool`, *optional*, defaults to `False`): see `training_steps`.
        progress (`bool`, *optional*, defaults to `True`): show progress bars.
        overwrite (`bool`, *optional*, defaults to `False`): replace an existing corpus at `output_dir`.
        align_to_onsets (`bool`, *optional*, defaults to `False`): move each map by the shift that lines its notes up
            with its audio's onsets (`beart.training.alignment`), for human charts that sit off their songs; the
            shifts are listed in `beart_corpus.json` (`chart_shifts_ms`).
        align_on (`str`, *optional*, defaults to `"frames"`): with `align_to_onsets`, what the charts are lined up on
            (`beart.training.alignment.ALIGN_ON`): the flux's frames, or the attacks charters mark.
        stem_mixes (`int`, *optional*, defaults to 0): a song mixed from stems (Frets on Fire / Clone Hero) is also
            built this many more times, each stem at a random gain from 0.25 to 1.25 (seeded by `seed`), with the same
            charts: training then hears the guitar louder and softer against the band. The mixes of a song share its
            split.
        folded_tracks (`tuple[int, ...]`, *optional*): every map of more tracks is also learned folded onto each of
            these track counts (`beart.beatmaps.tracks.retrack`; a map named `<name> (2 tracks)`, `<name> (1 track)`),
            so that a layout the human charts lack (one track: osu!standard and catch) is learned from their music too.

    Returns:
        `CorpusReport`: counts per split and what was skipped and why. Nothing is written when no example was built.
    """
    if set(folded_tracks) - set(TRACK_COUNTS):
        raise ValueError(f"folded_tracks must name track counts of {list(TRACK_COUNTS)}; got {list(folded_tracks)}.")
    if not 0.0 <= test_size < 1.0:
        raise ValueError(f"test_size must be a share from 0 (none held out) up to 1, got {test_size}.")
    if max_empty_seconds is not None and not 0.0 <= max_empty_seconds < float("inf"):
        raise ValueError(f"max_empty_seconds must be a number of seconds (or None), got {max_empty_seconds}.")
    if not (is_whole_number(seed) and 0 <= seed < 2**63) or not (is_whole_number(stem_mixes) and stem_mixes >= 0):
        raise ValueError(f"seed must be a whole number from 0 to 2**63 - 1 and stem_mixes 0 or more; got "
                         f"{seed} and {stem_mixes}.")  # fmt: skip
    if align_on not in ALIGN_ON:
        raise ValueError(f"align_on must be one of {list(ALIGN_ON)}; got {align_on!r}.")
    feature_extractor = feature_extractor or BeartFeatureExtractor()
    tokenizer = tokenizer or BeartTokenizer(groups=feature_extractor.groups)
    if tokenizer.groups != feature_extractor.groups:
        raise ValueError("The tokenizer and the feature extractor must share `groups`.")
    output_dir = os.path.abspath(os.fspath(output_dir))
    _check_output_dir(output_dir, overwrite)
    report = CorpusReport()
    songs = _catalog(input_path, report, progress, stem_mixes, seed)
    _split_songs(songs, test_size, seed)
    os.makedirs(os.path.dirname(output_dir), exist_ok=True)
    staging = _hidden_folder_beside(output_dir, ".partial")
    bars_were_disabled = datasets.are_progress_bars_disabled()
    datasets.disable_progress_bars()
    try:
        built = _write_corpus(
            songs, staging, report, feature_extractor, tokenizer, max_empty_seconds, skip_lead_in, progress,
            align_to_onsets, folded_tracks, align_on,
        )  # fmt: skip
        for item, reason in report.skipped:
            logger.warning(f"Skipped {item}: {reason}")
        if built:
            _replace_output_dir(staging, output_dir, overwrite)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if not bars_were_disabled:
            datasets.enable_progress_bars()
    return report


def _hidden_folder_beside(output_dir: str, suffix: str) -> str:
    """A new, empty, hidden folder beside `output_dir` (never a name the user may already have), with the permissions
    the user's umask gives new folders."""
    prefix = f".{os.path.basename(output_dir)}."
    folder = tempfile.mkdtemp(dir=os.path.dirname(output_dir), prefix=prefix, suffix=suffix)
    apply_umask(folder, directory=True)
    return folder


def _check_output_dir(output_dir: str, overwrite: bool) -> None:
    """Refuses an output that is a file or lies under one, a folder holding anything but a corpus, or a corpus not to
    be replaced."""
    check_folders_above(output_dir)
    if not os.path.lexists(output_dir):
        return
    if not os.path.isdir(output_dir) or os.path.islink(output_dir):
        raise FileExistsError(f"{output_dir} exists and is not a folder; choose another output folder.")
    if not os.listdir(output_dir):
        return
    if not os.path.isfile(os.path.join(output_dir, CORPUS_INFO_NAME)):
        raise FileExistsError(
            f"{output_dir} is a folder with files of its own, not a BEaRT corpus: beart never deletes it; choose a new "
            "or empty output folder."
        )
    if not overwrite:
        raise FileExistsError(f"{output_dir} already holds a corpus; pass --overwrite (overwrite=True) to replace it.")


def _replace_output_dir(staging: str, output_dir: str, overwrite: bool) -> None:
    """Moves the finished corpus into place; an old corpus there (checked again) goes only once the new one is in."""
    _check_output_dir(output_dir, overwrite)
    if not os.path.lexists(output_dir):
        os.replace(staging, output_dir)
        return
    retired = _hidden_folder_beside(output_dir, ".old")
    os.rmdir(retired)
    os.replace(output_dir, retired)
    os.replace(staging, output_dir)
    shutil.rmtree(retired)


def _with_folded_maps(maps: list, folded_tracks: tuple):
    """`(item, read, beatmap)` of every map of a song, each read once, and after each its folds onto the counts of
    `folded_tracks` below its own, folded from the map as read (`build_corpus`); `read` reads a map again later."""
    counts = sorted(set(folded_tracks))
    for item, read in maps:
        beatmap = read()
        yield item, read, beatmap
        for count in (count for count in counts if count < len(beatmap.tracks)):
            name = f"{item} ({count} track{'s' if count > 1 else ''})"
            yield name, functools.partial(_read_folded, read, count), retrack(beatmap, tracks_of_count(count))


def _read_folded(read, count: int) -> IntermediateBeatmap:
    """The map `read` gives, folded onto `count` tracks."""
    return retrack(read(), tracks_of_count(count))


def _write_corpus(
    songs, staging, report, feature_extractor, tokenizer, max_empty_seconds, skip_lead_in, progress, align_to_onsets,
    folded_tracks=(), align_on="frames",
):  # fmt: skip
    """Writes the corpus into `staging`; returns whether any example was built."""
    kept_maps, examples, shifts, credits = [], {split: [] for split in EXAMPLE_SPLITS}, {}, []

    def song_rows():
        for song in tqdm(songs, desc="Computing features", unit="song", disable=not progress):
            try:
                slices = feature_extractor.mel_slices(song.read_audio())
            except (AudioError, LimitError, UnsafePathError, OSError) as error:
                report.skipped.extend((item, f"bad audio: {error}") for item, _ in song.maps)
                continue
            song_maps = []
            onsets = attacks = None
            if align_to_onsets:  # the flux once for both
                analysis = SongAnalysis(slices)
                onsets = analysis.onsets_ms
                attacks = analysis.attacks_ms if align_on == "attacks" else None
            for item, read, beatmap in _with_folded_maps(song.maps, folded_tracks):
                if onsets is not None:
                    starts = beatmap.hit_objects()["start"].to_numpy(np.float64)
                    shifts[item] = alignment_shift_ms(starts, onsets, attacks)
                    beatmap = shifted(beatmap, shifts[item])
                tokens = tokenizer.encode_events(beatmap.events)
                flags = [beatmap.data[flag].to_numpy(bool) for flag in ("EMPTY", "empty") if flag in beatmap.data]
                steps = training_steps(
                    tokens,
                    tokenizer.empty_token_id,
                    tokenizer.groups,
                    flags[0] if flags else None,
                    max_empty_seconds,
                    skip_lead_in,
                )
                past_audio = steps >= len(slices)  # a step past the song's end would teach notes on silence
                if past_audio.any():
                    logger.warning(f"{item}: {int(past_audio.sum())} steps after its audio ends "
                                   f"({len(slices) * tokenizer.groups / 100:.1f} s) left out of training.")  # fmt: skip
                    steps = steps[~past_audio]
                if len(steps):
                    song_maps.append((item, read, steps, len(beatmap.tracks), beatmap.meta))
                else:
                    report.skipped.append((item, "empty: no step with events to learn from"))
            if not song_maps:
                continue
            song_index = sum(report.songs.values())
            report.songs[song.split] += 1
            credits.append(song_credit(song.split, [meta for *_, meta in song_maps]))
            for item, read, steps, num_tracks, _ in song_maps:
                examples[song.split].append((len(kept_maps), steps, num_tracks))
                kept_maps.append((song_index, item, read))
                report.maps[song.split] += 1
            yield {"song_index": song_index, "name": song.name, "mel_frames": slices.reshape(-1, slices.shape[-1])}

    def map_rows():
        for map_index, (song_index, item, read) in enumerate(kept_maps):
            beatmap = shifted(read(), shifts.get(item, 0.0))
            yield {
                "map_index": map_index,
                "song_index": song_index,
                "name": item,
                "num_tracks": len(beatmap.tracks),
                "difficulty": beatmap.difficulty,
                "events": beatmap.events.reshape(-1),
                "tempo": beatmap.data["TEMPO"].to_numpy(np.float32),
            }

    if not songs:
        return False
    cache = os.path.join(staging, ".cache")
    try:
        song_table = datasets.Dataset.from_generator(
            song_rows, features=song_features(feature_extractor.mel_bands), cache_dir=cache
        )
    except ValueError:
        if kept_maps:
            raise
        return False  # datasets refuses a generator that yields nothing: no song was usable
    splits = {}
    for split, parts in examples.items():
        if not parts:
            continue
        step = np.concatenate([steps for _, steps, _ in parts] or [np.zeros(0, np.int64)])
        map_index = np.repeat([index for index, _, _ in parts], [len(steps) for _, steps, _ in parts])
        num_tracks = np.repeat([tracks for _, _, tracks in parts], [len(steps) for _, steps, _ in parts])
        report.examples[split] = len(step)
        columns = {
            "map_index": map_index,
            "step": step,
            "scored_track": np.arange(len(step)) % np.maximum(num_tracks, 1),
        }
        splits[split] = datasets.Dataset.from_dict(columns, features=example_features())
    splits["maps"] = datasets.Dataset.from_generator(map_rows, features=map_features(), cache_dir=cache)
    splits["songs"] = song_table
    corpus_dir = os.path.join(staging, "corpus")
    datasets.DatasetDict(splits).save_to_disk(corpus_dir)
    feature_extractor.save_pretrained(corpus_dir)
    info = {
        "groups": tokenizer.groups,
        "mel_bands": feature_extractor.mel_bands,
        "songs": report.songs,
        "maps": report.maps,
        "examples": report.examples,
        "skipped": len(report.skipped),
        **({"chart_shifts_ms": shifts} if align_to_onsets else {}),
        "credits": credits,
    }
    with open(os.path.join(corpus_dir, CORPUS_INFO_NAME), "w", encoding="utf-8") as file:
        json.dump(info, file, indent=1)
    shutil.rmtree(cache, ignore_errors=True)
    for name in os.listdir(corpus_dir):
        os.replace(os.path.join(corpus_dir, name), os.path.join(staging, name))
    os.rmdir(corpus_dir)
    return True


def check_corpus_fits(path, config) -> None:
    """
    Raises `ValueError` where the corpus at `path` was built with mel slices the model of `config` does not read
    (another `groups`, `mel_bands` or `mel_gradient`): before training on it or scoring a model on it, not at its first
    batch.
    """
    features = BeartFeatureExtractor.from_pretrained(os.fspath(path))
    built = (features.groups, features.mel_bands, features.mel_gradient)
    if built != (config.groups, config.mel_bands, config.mel_gradient):
        raise ValueError(
            f"The corpus at {os.fspath(path)} was built with groups={features.groups}, mel_bands={features.mel_bands}, "
            f"mel_gradient={features.mel_gradient}, which the model does not use; rebuild it for this model."
        )


def load_corpus(path) -> datasets.DatasetDict:
    """
    Loads a corpus written by `build_corpus` (memory-mapped), checked as untrusted input first (`check_corpus`).

    Raises:
        `FileNotFoundError`: no corpus at `path`. `ValueError`: its splits, columns or values are not those
            `build_corpus` writes.
    """
    path = os.fspath(path)
    if not os.path.isfile(os.path.join(path, CORPUS_INFO_NAME)):
        raise FileNotFoundError(
            f"{path} is not a BEaRT corpus (no {CORPUS_INFO_NAME}); build one with `beart dataset build`."
        )
    corpus = datasets.load_from_disk(path)
    groups = BeartFeatureExtractor.from_pretrained(path).groups
    schema = {"maps": map_features(), "train": example_features(), "test": example_features()}
    check_corpus(corpus, path, groups, schema)
    return corpus
