"""`beart evaluate`: generated maps against human maps of the same songs, beside baselines, as a JSON report and
PNG plots."""

import json
import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from tqdm.auto import tqdm
from transformers.utils import logging

from ..audio import AudioError, load_audio
from ..beatmaps import BeatmapError, IntermediateBeatmap
from ..beatmaps.batch_conversion import find_audio, find_beatmap_sets, read_difficulties
from ..beatmaps.beatmap_set import BeatmapSet
from ..beatmaps.files import move_into_place, safe_filename, staging_folder, write_atomically
from ..beatmaps.formats import mode_of_beatmap
from ..beatmaps.intermediate import TRACK_COUNTS
from ..beatmaps.provenance import is_ai_generated
from ..beatmaps.tracks import tracks_of_count
from ..generation.pipeline_beatmap_generation import BeatmapGenerationPipeline
from ..modeling import BeartModel
from ..processing import BeartProcessor, SongAnalysis
from ..processing.onset_alignment import MAX_OFFSET_MS, chart_timing
from ..safety import LimitError, UnsafePathError, check_writable, check_writable_folder
from .baselines import OnsetHeuristic, SongOnsets, detect_audio_onsets, untrained_model
from .dataset_metrics import checked_corpus, dataset_metrics
from .map_statistics import map_statistics
from .onset_metrics import TOLERANCES_MS, audio_onset_scores, micro_average, onset_scores, onset_times, times_within
from .plots import plot_f1_by_difficulty, plot_piano_roll, plot_stars_by_difficulty


logger = logging.get_logger(__name__)

SAMPLING_RATE = 44100
MODEL = "model"
UNTRAINED = "untrained_model"
HEURISTIC = "onset_heuristic"
REFERENCE = "reference"
REPORT_NAME = "report.json"


@dataclass
class ReferenceSong:
    """
    The human maps of one song and where its audio lies (`source` the set it came from, `audio_name` the set's member
    holding the audio). The audio is read from the set when asked for (`audio`), so that a folder of many songs is
    held one song at a time.
    """

    source: str
    audio_name: str
    beatmap_set: BeatmapSet
    maps: list = field(default_factory=list)

    @property
    def audio(self) -> bytes:
        """The audio file's bytes, read from the set each time (`BeatmapError`, `LimitError`, `UnsafePathError` or
        `OSError` where it cannot be)."""
        return self.beatmap_set.read_bytes(self.audio_name)

    @property
    def stems(self) -> dict[str, bytes]:
        """The files of the stems the audio was mixed from, by stem name (a Frets on Fire song's `guitar`...), read
        from the set; none where the audio is one file."""
        return {name: self.beatmap_set.read_bytes(member) for name, member in
                self.beatmap_set.stems_of(self.audio_name).items()}  # fmt: skip


@dataclass
class _ReportRows:
    """What the songs add to the report, song by song: onset scores per map (lined up, and as written), audio onset
    scores, map statistics and plots."""

    per_map: list = field(default_factory=list)
    as_written: list = field(default_factory=list)
    audio: list = field(default_factory=list)
    statistics: list = field(default_factory=list)
    plots: list = field(default_factory=list)


def find_reference_songs(path, skipped: list) -> list[ReferenceSong]:
    """
    The songs under `path` (`.osz` archives, song folders, simfiles) with their human maps, grouped by audio file.
    Sets without their audio (or whose audio a map names outside the set), and maps that cannot be read, are added to
    `skipped` as `(item, reason)`; the audio itself is read when the song is evaluated. A map whose
    file says it is AI-generated (`beart.beatmaps.provenance`) is kept with a warning: scored against it, a system
    agrees with a model, not with a person.
    """
    songs = {}
    for source in find_beatmap_sets(path):
        for item, beatmap_set, difficulty_name, beatmap in read_difficulties(source, skipped, for_training=False):
            member = find_audio(beatmap_set, beatmap, item, skipped)
            if member is None:
                continue
            if (source, member) not in songs:
                songs[(source, member)] = ReferenceSong(source, member, beatmap_set)
            beatmap.meta["name"] = f"{os.path.basename(source)} [{difficulty_name}]"
            if is_ai_generated(beatmap.meta):
                logger.warning(
                    f"{item} is AI-generated (its file says so): scores against it measure agreement with a model, "
                    "not with a person's chart."
                )
            songs[(source, member)].maps.append(beatmap)
    return list(songs.values())


def moved(beatmap: IntermediateBeatmap, shift_ms: float) -> IntermediateBeatmap:
    """
    The map with its objects and tempo `shift_ms` later (earlier where negative; on the 10 ms grid); objects moved
    before the song's start are dropped.

    Args:
        beatmap (`IntermediateBeatmap`): the map.
        shift_ms (`float`): how far to move it, in ms.
    """
    if not shift_ms:
        return beatmap
    objects = beatmap.hit_objects()
    objects[["start", "end"]] += shift_ms
    tempo = beatmap.tempo_changes()
    tempo["time"] = np.maximum(tempo["time"] + shift_ms, 0.0)
    return IntermediateBeatmap.from_hit_objects(
        objects[objects["start"] >= 0], beatmap.meta, tempo_changes=tempo.drop_duplicates("time", keep="last"),
        end_ms=max(beatmap.duration_ms + shift_ms, 0.0),
    )  # fmt: skip


def offset_on_attacks(
    beatmap: IntermediateBeatmap, attacks_ms: np.ndarray, start: float | None = None, end: float | None = None
) -> float | None:
    """
    How far a map's notes sit on its song's attacks (`chart_timing`, what `beart check --audio` reports; negative:
    early), `None` where they do not follow the attacks closely enough to tell.

    Args:
        beatmap (`IntermediateBeatmap`): the map.
        attacks_ms (`np.ndarray` of shape `(num_attacks,)`): the song's attacks (`SongAnalysis.attacks_ms`).
        start, end (`float`, *optional*): the span of the song (seconds) whose notes count, the span scored.
    """
    starts = times_within(onset_times(beatmap), start, end)
    return chart_timing(1000.0 * starts, attacks_ms).offset_ms


def onto_attacks(beatmap: IntermediateBeatmap, offset_ms: float | None) -> IntermediateBeatmap:
    """The map moved onto its song's attacks by its `offset_ms` on them (`offset_on_attacks`) where that is
    `MAX_OFFSET_MS` or more (a chart's offset, a game's latency); as it is otherwise."""
    if offset_ms is None or abs(offset_ms) < MAX_OFFSET_MS:
        return beatmap
    return moved(beatmap, -offset_ms)


def empty_beatmap(tracks: list[str], duration_ms: float, difficulty: float) -> IntermediateBeatmap:
    """A map without objects: what a system that placed nothing is scored with."""
    meta = {"audio": "audio.ogg", "difficulty": difficulty, "tracks": list(tracks)}
    return IntermediateBeatmap.from_hit_objects(
        pd.DataFrame(columns=["track", "start", "end"]), meta, end_ms=duration_ms
    )


class BeatmapEvaluator:
    """
    Generates maps for songs that have human maps, with a model and the baselines, and scores them.

    For every human map the systems generate a map for the same song, tracks and difficulty; the maps are compared
    onset by onset (`onset_scores`, per track and pooled, at every tolerance), against the audio's detected onsets,
    and by density, hold share and star rating. A sweep of requested difficulties per song measures how the star
    rating follows the difficulty setting.

    Args:
        model (`BeartModel`): the model to evaluate.
        processor (`BeartProcessor`, *optional*): its processor; built from the model's configuration when not given.
        baselines (`bool`, *optional*, defaults to `True`): also evaluate the onset heuristic and an untrained model.
        strategy (`str`, *optional*, defaults to `"fast"`): the decoding strategy (`"fast"` or `"legacy"`).
        seed (`int`, *optional*, defaults to 0): seed of generation and of the untrained model.
        tolerances_ms (`tuple[float]`, *optional*, defaults to `(50, 20, 10)`): the onset match tolerances.
        sweep_difficulties (`tuple[float]`, *optional*, defaults to `(0.1, 0.5, 0.9)`): difficulties generated for
            each song besides those of its human maps, for the star rating correlation.
        start, end (`float`, *optional*): the part of each song to map and score, in seconds.
        generation_options (`dict`, *optional*): other generation options (temperature, top_k, ...).
        line_up_charts (`bool`, *optional*, defaults to `True`): score every system against each human map that
            sits `MAX_OFFSET_MS` or more off its song's attacks (a chart's offset, a game's latency; the maps the
            evaluation warns about) moved onto them by its offset, so that F1 at the tolerances under that offset
            measures the systems, not the chart's sync. The report's `offset_ms` stays the map's as written; the shift
            scored with is its `lined_up_ms`, and where any map was moved `onsets_as_written` holds the scores against
            the maps as written. `False` scores every map as written.
    """

    def __init__(
        self,
        model: BeartModel,
        processor: BeartProcessor | None = None,
        baselines: bool = True,
        strategy: str = "fast",
        seed: int = 0,
        tolerances_ms=TOLERANCES_MS,
        sweep_difficulties=(0.1, 0.5, 0.9),
        start: float | None = None,
        end: float | None = None,
        generation_options: dict | None = None,
        line_up_charts: bool = True,
    ):
        processor = processor or BeartProcessor.from_model_config(model.config)
        self.generators = {MODEL: BeatmapGenerationPipeline(model=model, processor=processor)}
        self.heuristic = None
        if baselines:
            self.generators[UNTRAINED] = BeatmapGenerationPipeline(
                model=untrained_model(model.config, seed, model.generation_config), processor=processor
            )
            self.heuristic = OnsetHeuristic()
        self._heuristic_song = None  # (analysis, SongOnsets) of the song last mapped by the heuristic
        self.model_name = getattr(model, "name_or_path", "") or "model"
        self.strategy = strategy
        self.seed = seed
        self.tolerances_ms = tuple(tolerances_ms)
        self.sweep_difficulties = tuple(sweep_difficulties)
        self.start = start
        self.end = end
        self.generation_options = dict(generation_options or {})
        self.line_up_charts = line_up_charts
        for difficulty in self.sweep_difficulties or (None,):  # wrong options fail here, not after a song's maps
            for count in TRACK_COUNTS:
                self.generators[MODEL].decoding_options(
                    tracks_of_count(count), strategy, difficulty=difficulty, **self.generation_options
                )

    @property
    def systems(self) -> list[str]:
        return [*self.generators, *([HEURISTIC] if self.heuristic else [])]

    def analyse(self, waveform: np.ndarray, stems: dict | None = None) -> SongAnalysis:
        """The song's analysis (samples at `SAMPLING_RATE`), shared by every map and system of the song; `stems` (by
        name, as `ReferenceSong.stems` gives them) lets a chart that follows one of them hear it (`lead_stem`)."""
        feature_extractor = self.generators[MODEL].processor.feature_extractor
        return SongAnalysis.from_audio(waveform, feature_extractor, sampling_rate=SAMPLING_RATE, stems=stems)

    def generate(
        self, system: str, analysis: SongAnalysis, tracks: list[str], difficulty: float, mode: str | None = None
    ) -> IntermediateBeatmap:
        """One system's map of a song (an empty map when the system places nothing), in `mode` (a human map's, so
        that the map is made as that game's maps are, `beart.beatmaps.formats.mode_of_beatmap`; by default the
        osu! mode of the track count)."""
        if system == HEURISTIC:
            return self._shift(self.heuristic.map_of(self._heuristic_onsets(analysis), tracks, difficulty))
        try:
            return self.generators[system](
                analysis,
                mode=mode,
                tracks=tracks,
                difficulty=difficulty,
                strategy=self.strategy,
                seed=self.seed,
                start=self.start,
                end=self.end,
                progress=False,
                **self.generation_options,
            )
        except BeatmapError as error:
            logger.info(f"{system} placed nothing ({error}); scoring an empty map.")
            return empty_beatmap(tracks, 1000.0 * len(analysis.waveform) / SAMPLING_RATE, difficulty)

    def _heuristic_onsets(self, analysis: SongAnalysis) -> SongOnsets:
        """What the onset heuristic reads of the song's window, once per song for all its maps."""
        if self._heuristic_song is None or self._heuristic_song[0] is not analysis:
            self._heuristic_song = (analysis, self.heuristic.analyse(self._window(analysis.waveform), SAMPLING_RATE))
        return self._heuristic_song[1]

    def _window(self, waveform: np.ndarray) -> np.ndarray:
        start = int((self.start or 0.0) * SAMPLING_RATE)
        end = None if self.end is None else int(self.end * SAMPLING_RATE)
        return waveform[start:end]

    def _shift(self, beatmap: IntermediateBeatmap) -> IntermediateBeatmap:
        """A map of the song's window moved to the song's time line."""
        return moved(beatmap, 1000.0 * (self.start or 0.0))

    def evaluate(
        self, references, output_dir, *, dataset=None, plot_seconds: float = 20.0, progress: bool = True,
        overwrite: bool = False,
    ) -> dict:  # fmt: skip
        """
        Evaluates on every song with human maps under `references` and writes `report.json` and the plots to
        `output_dir`.

        Args:
            references (`str`): a folder of `.osz` archives, song folders or simfiles (with their audio), or one such.
            output_dir (`str`): where the report and the plots go.
            dataset (`str`, *optional*): a corpus (`beart dataset build`) whose `test` split the model (and the
                untrained model) are also scored on: masked-token accuracy, perplexity, tempo MAE.
            plot_seconds (`float`, *optional*, defaults to 20.0): length of the piano-roll windows.
            progress (`bool`, *optional*, defaults to `True`): show a progress bar over the maps.
            overwrite (`bool`, *optional*, defaults to `False`): replace the `report.json` and the plots of an earlier
                evaluation in `output_dir` (plots this one does not write stay); without it such an `output_dir` is
                refused before anything is evaluated.

        Returns:
            `dict`: the report (see the README's `beart evaluate` section).

        Raises:
            `FileExistsError`: `output_dir` holds a `report.json` or plots, and `overwrite` is not set.
            `FileNotFoundError`, `ValueError`: `dataset` is no corpus the model can be scored on (`checked_corpus`);
                both before anything is evaluated.
        """
        if not 0.0 < plot_seconds < float("inf"):
            raise ValueError(f"plot_seconds must be a length in seconds above 0, got {plot_seconds}.")
        plots_dir = os.path.join(output_dir, "plots")
        check_writable(os.path.join(output_dir, REPORT_NAME), overwrite)
        check_writable_folder(plots_dir, overwrite, "replace the plots of an earlier evaluation")
        corpus = None
        if dataset is not None:  # a corpus that cannot be scored fails here, not after every song's maps and plots
            corpus = checked_corpus(dataset, self.generators[MODEL].model.config)
        skipped = []
        songs = find_reference_songs(references, skipped)
        for item, reason in skipped:
            logger.warning(f"skipped {item}: {reason}")
        if not songs:
            raise BeatmapError(f"No human maps with their audio found under {references}; nothing to evaluate.")
        # the plots are drawn into a hidden folder and moved into `plots` with the report: an evaluation stopped
        # half-way leaves no plots without their report (which a second run refused without --overwrite)
        with staging_folder(output_dir, ".beart-plots-") as staging:
            rows = _ReportRows()
            total = sum(len(song.maps) + len(self.sweep_difficulties) for song in songs)
            bar = tqdm(total=total * len(self.systems), desc="evaluating", unit="map", disable=not progress)
            while songs:  # each song's audio is read, analysed and let go in turn
                self._evaluate_song(songs.pop(0), rows, skipped, bar, staging, plot_seconds)
            bar.close()
            if not rows.statistics:
                raise BeatmapError(
                    f"No song under {references} could be evaluated: every song was skipped "
                    f"({'; '.join(f'{item}: {reason}' for item, reason in skipped)})."
                )
            report = self._report(rows, staging, skipped, plots_dir)
            if dataset is not None:
                report["dataset"] = {
                    system: dataset_metrics(self.generators[system].model, dataset, progress=progress, corpus=corpus)
                    for system in self.generators
                }
            move_into_place(staging, plots_dir)
            write_report(report, output_dir)
        return report

    def _evaluate_song(self, song: ReferenceSong, rows: _ReportRows, skipped: list, bar, plots_dir, plot_seconds):
        """Every system's maps of one song scored against the song's human maps, added to `rows`; a song whose audio
        cannot be read, or that ends before `start`, is added to `skipped` instead."""
        song_maps = (len(song.maps) + len(self.sweep_difficulties)) * len(self.systems)
        try:
            waveform = load_audio(song.audio, target_sampling_rate=SAMPLING_RATE)
            analysis = self.analyse(waveform, song.stems)
        except (AudioError, BeatmapError, LimitError, UnsafePathError, OSError) as error:  # the other songs go on
            skipped.append((f"{song.source} [{song.audio_name}]", f"unreadable audio: {error}"))
            logger.warning(f"skipped {song.source}: unreadable audio {song.audio_name} ({error})")
            bar.update(song_maps)
            return
        if self.start is not None and self.generators[MODEL].step_of(self.start) >= len(analysis):
            reason = f"the start asked, {self.start} s, lies past its end ({len(waveform) / SAMPLING_RATE:.1f} s)"
            skipped.append((f"{song.source} [{song.audio_name}]", reason))
            logger.warning(f"skipped {song.source}: {reason}")
            bar.update(song_maps)
            return
        audio_onsets = self._audio_onsets(analysis)
        for reference in song.maps:
            labels = {"song": song.source, "map": reference.meta["name"], "difficulty": reference.difficulty}
            rows.audio.append(self._audio_rows(audio_onsets, reference, {**labels, "system": REFERENCE}))
            offset_ms = self.offset_on_attacks(reference, analysis.attacks_ms)
            scored = onto_attacks(reference, offset_ms) if self.line_up_charts else reference
            if offset_ms is not None and abs(offset_ms) >= MAX_OFFSET_MS:
                scoring = "scored moved onto them (--charts-as-written scores it as written)" if (
                    scored is not reference
                ) else "F1 at the tolerances under that reads low for every system"  # fmt: skip
                side = "early" if offset_ms < 0 else "late"
                logger.warning(
                    f"{song.source}: {reference.meta['name']} sits {abs(offset_ms):.0f} ms {side} on its song's "
                    f"attacks (`beart check --audio`): {scoring}"
                )
            rows.statistics.append(
                {**labels, "system": REFERENCE, "requested": None, **map_statistics(reference),
                 "offset_ms": offset_ms, "lined_up_ms": -offset_ms if scored is not reference else 0.0}
            )  # fmt: skip
            generated = {}
            for system in self.systems:
                beatmap = self.generate(
                    system, analysis, reference.tracks, reference.difficulty, mode_of_beatmap(reference)
                )
                generated[system] = beatmap
                scores = onset_scores(scored, beatmap, self.tolerances_ms, self.start, self.end)
                rows.per_map.append(scores.assign(**labels, system=system))
                if scored is not reference:
                    scores = onset_scores(reference, beatmap, self.tolerances_ms, self.start, self.end)
                rows.as_written.append(scores.assign(**labels, system=system))
                rows.audio.append(self._audio_rows(audio_onsets, beatmap, {**labels, "system": system}))
                rows.statistics.append(
                    {**labels, "system": system, "requested": reference.difficulty, **map_statistics(beatmap),
                     "offset_ms": self.offset_on_attacks(beatmap, analysis.attacks_ms)}  # fmt: skip
                )
                bar.update(1)
            first_onset = reference.hit_objects()["start"].min() / 1000.0
            rows.plots.append(
                plot_piano_roll(
                    {REFERENCE: scored, **generated},
                    os.path.join(plots_dir, f"piano_roll_{safe_filename(reference.meta['name'])}.png"),
                    start=max(first_onset, self.start or 0.0),
                    seconds=plot_seconds,
                    title=reference.meta["name"],
                )
            )
        rows.statistics += self._sweep(song, analysis, bar)
        self._heuristic_song = None  # the song's analysis, and its waveform, are let go

    def _audio_onsets(self, analysis: SongAnalysis) -> np.ndarray:
        """The song's onsets (`detect_audio_onsets`), on the onset strength the heuristic computed of the whole song
        where it did."""
        if self.heuristic is None or self.start is not None or self.end is not None:
            return detect_audio_onsets(analysis.waveform, SAMPLING_RATE)
        return detect_audio_onsets(analysis.waveform, SAMPLING_RATE, strength=self._heuristic_onsets(analysis).strength)

    def offset_on_attacks(self, beatmap: IntermediateBeatmap, attacks_ms: np.ndarray) -> float | None:
        """`offset_on_attacks` of the map's notes inside `start`-`end`, the span the onsets are scored on."""
        return offset_on_attacks(beatmap, attacks_ms, self.start, self.end)

    def _audio_rows(self, audio_onsets: np.ndarray, beatmap: IntermediateBeatmap, labels: dict) -> pd.DataFrame:
        return audio_onset_scores(audio_onsets, beatmap, self.tolerances_ms, self.start, self.end).assign(**labels)

    def _sweep(self, song: ReferenceSong, analysis: SongAnalysis, bar) -> list[dict]:
        """Maps of the song at the sweep difficulties, with the tracks of its first human map."""
        tracks = song.maps[0].tracks
        rows = []
        for difficulty in self.sweep_difficulties:
            for system in self.systems:
                beatmap = self.generate(system, analysis, tracks, difficulty, mode_of_beatmap(song.maps[0]))
                rows.append(
                    {
                        "song": song.source,
                        "map": f"sweep {difficulty:g}",
                        "difficulty": None,
                        "system": system,
                        "requested": difficulty,
                        **map_statistics(beatmap),
                    }
                )
                bar.update(1)
        return rows

    def _report(self, song_rows: _ReportRows, staging, skipped, plots_dir) -> dict:
        """The report of the songs' rows; the plots are drawn into `staging` and named as they will lie in
        `plots_dir`, relative to its output folder."""
        per_map = pd.concat(song_rows.per_map, ignore_index=True)
        audio_rows = pd.concat(song_rows.audio, ignore_index=True)
        statistics = pd.DataFrame(song_rows.statistics)
        plots = song_rows.plots
        micro = pd.concat(
            [micro_average(rows).assign(system=system) for system, rows in per_map.groupby("system", sort=False)]
        )
        audio_micro = pd.concat(
            [micro_average(rows).assign(system=system) for system, rows in audio_rows.groupby("system", sort=False)]
        )
        generated = statistics[statistics["system"] != REFERENCE]
        plots.append(plot_f1_by_difficulty(per_map, os.path.join(staging, "onset_f1_by_difficulty.png")))
        plots.append(plot_stars_by_difficulty(generated, os.path.join(staging, "stars_by_difficulty.png")))
        report = {
            "model": self.model_name,
            "settings": {
                "strategy": self.strategy,
                "seed": self.seed,
                "tolerances_ms": list(self.tolerances_ms),
                "sweep_difficulties": list(self.sweep_difficulties),
                "start": self.start,
                "end": self.end,
                "line_up_charts": self.line_up_charts,
                **self.generation_options,
            },
            "systems": self.systems,
            "maps": int(statistics[statistics["system"] == REFERENCE].shape[0]),
            "onsets": {"micro": _records(micro), "per_map": _records(per_map)},
            "audio_onsets": {"micro": _records(audio_micro), "per_map": _records(audio_rows)},
            "map_statistics": _records(statistics),
            "difficulty_correlation": difficulty_correlation(generated),
            "skipped": [{"item": item, "reason": reason} for item, reason in skipped],
            "plots": [os.path.join(os.path.basename(plots_dir), os.path.basename(path)) for path in plots],
        }
        lined_up = statistics[(statistics["system"] == REFERENCE) & (statistics["lined_up_ms"] != 0)]
        if len(lined_up):
            as_written = pd.concat(song_rows.as_written, ignore_index=True)
            report["lined_up_maps"] = _records(lined_up[["song", "map", "offset_ms", "lined_up_ms"]])
            report["onsets_as_written"] = {
                "micro": _records(
                    pd.concat(
                        [micro_average(rows).assign(system=system)
                         for system, rows in as_written.groupby("system", sort=False)]
                    )  # fmt: skip
                )
            }
        return report


def difficulty_correlation(statistics: pd.DataFrame) -> dict:
    """
    Per system, how the star rating of its maps follows the requested difficulty: Spearman and Pearson correlation
    over all its generated maps (`None` with fewer than three rated maps or no spread).
    """
    correlations = {}
    for system, rows in statistics.dropna(subset=["star_rating", "requested"]).groupby("system", sort=False):
        requested, stars = rows["requested"].to_numpy(float), rows["star_rating"].to_numpy(float)
        if len(rows) < 3 or np.ptp(requested) == 0 or np.ptp(stars) == 0:
            correlations[system] = {"spearman": None, "pearson": None, "maps": len(rows)}
            continue
        correlations[system] = {
            "spearman": float(stats.spearmanr(requested, stars).statistic),
            "pearson": float(stats.pearsonr(requested, stars).statistic),
            "maps": len(rows),
        }
    return correlations


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows of a frame as JSON-ready dicts (NaN as null)."""
    return json.loads(frame.to_json(orient="records"))


def write_report(report: dict, output_dir) -> str:
    """Writes `report.json` (atomically)."""
    return write_atomically(os.path.join(output_dir, REPORT_NAME), json.dumps(report, indent=2).encode("utf-8"))


def summary_table(report: dict, tolerance_ms: float = 50, as_written: bool = False) -> pd.DataFrame:
    """
    One row per system: micro-averaged onset F1 of the pooled onsets at every tolerance, mean per-track F1 at
    `tolerance_ms`, F1 against the audio's onsets, mean notes per second and star rating, the median `offset_ms` of
    its maps on the songs' attacks, difficulty correlation. With `as_written`, the onset scores are those against the
    human maps as written (the report's `onsets_as_written`, where the evaluation lined some up; its `onsets`
    otherwise).
    """
    onsets = report.get("onsets_as_written", report["onsets"]) if as_written else report["onsets"]
    micro = pd.DataFrame(onsets["micro"])
    audio = pd.DataFrame(report["audio_onsets"]["micro"])
    statistics = pd.DataFrame(report["map_statistics"])
    rows = []
    for system in [REFERENCE, *report["systems"]]:
        row = {"system": system}
        if system != REFERENCE:
            pooled = micro[(micro["system"] == system) & (micro["track"] == "all")]
            for tolerance, f1 in zip(pooled["tolerance_ms"], pooled["f1"]):
                row[f"f1_{tolerance:g}ms"] = round(f1, 3)
            tracks = micro[(micro["system"] == system) & (micro["track"] != "all")]
            row["track_f1"] = round(tracks[tracks["tolerance_ms"] == tolerance_ms]["f1"].mean(), 3)
        audio_f1 = audio[(audio["system"] == system) & (audio["tolerance_ms"] == tolerance_ms)]["f1"]
        row["audio_f1"] = round(float(audio_f1.iloc[0]), 3)
        maps = statistics[(statistics["system"] == system) & statistics["difficulty"].notna()]
        row["notes_per_second"] = round(maps["notes_per_second"].mean(), 2)
        row["stars"] = round(maps["star_rating"].mean(), 2)
        offsets = pd.to_numeric(maps.get("offset_ms", pd.Series(dtype=float)), errors="coerce").dropna()
        row["offset_ms"] = round(float(offsets.median()), 1) if len(offsets) else None
        if system != REFERENCE:
            row["star_spearman"] = report["difficulty_correlation"].get(system, {}).get("spearman")
        rows.append(row)
    return pd.DataFrame(rows)
