"""Chooses the training length (a checkpoint) and the decoding defaults on the development songs of
`examples/real_music_split.py`, printing every table it chose from, then reports the choice on the test songs.

    python examples/choose_on_dev.py ../shared/corpus CANDIDATE_MODEL... [--start 30 --end 75 [--from-start] |
        --whole-songs] [--test] [--skip-grid] [--per-chart] [--split dev|train] [--decoding KEY=VALUE ...]
        [--grid KEY=V1,V2 ...] [--history N1,N2 ...] [--caps CAP ...] [--holds T1,T2 ...] [--sustains R1,R2 ...]
        [--subdivisions N1,N2 ...] [--tracks 1|2|4 [--decode-tracks N1,N2]] [--charts-as-written]

1. Every candidate model is scored with the current decoding defaults (`generation_config.json` of the first
   candidate) on the development songs.
2. The best candidate is scored over a grid of decoding settings (threshold, onset prior, beat prior, difficulty
   guidance, density cap) on the same songs; `--grid KEY=V1,V2` replaces one setting's values in the grid. The best
   setting replaces the current defaults only where it scores more than `--margin` (0.005) above them: three songs
   cannot tell smaller differences apart, and defaults that move on every run are not a choice.
3. With `--history N1,N2,...`, the history each track keeps (`history_steps`): the shortest whose score lies within
   `--margin` of the whole context's, as attention's cost grows with the square of the context. With `--caps CAP
   ...`, the density cap (`max_density`): among the caps (the current one included) under which every song's score
   lies within `--margin` of its score with the current cap, the one whose maps hold nearest as many notes as their
   charts (the mean over songs of |log(generated notes / chart notes)|). With `--holds
   T1,T2,...`, the `hold_threshold` (0: no holds drawn): among the values under which every song's score (the mean
   of its F1 at +-50 and +-20 ms) lies within `--margin` of its score without holds (holds must cost no song F1), the
   one whose maps' shares of holds among their objects come closest to their charts' (the mean over songs of the mean
   over a song's charts of the difference), every value scored at three seeds (the kinds are drawn) and averaged; the
   current value stays where it keeps every song's score, unless that one comes nearer at every seed.
   With `--sustains R1,R2,...`, per format whose charts hold across rests (Frets on Fire, StepMania), the rest (beats)
   after which its notes are held (`sustain_rest_beats` in the format registry, `beart.beatmaps.sustains`): the best
   hold F1 (a map's holds matched to its chart's at +-50 ms), scored on that format's songs; onsets do not move.
   `--sustain-modes MODE1,MODE2` chooses for those modes instead (a trial for a format that does not hold yet).
   With `--subdivisions N1,N2,...`, the finest division of the beat generated objects are snapped to
   (`finest_subdivision`, 0: every subdivision of the song): the current one stays unless another scores more than
   `--margin` above it, the best one.
   With `--tracks N --decode-tracks N1,N2`, the layout maps of N tracks are decoded with before being folded onto
   their own (`decode_tracks`): the current one (the maps' own, or the defaults') stays unless another scores more
   than `--margin` above it, the best one.
4. With `--test`, the chosen model and settings are scored on the test songs beside the model alone (priors,
   guidance and silence gate 0), the priors alone (an untrained model with the chosen settings) and the onset
   heuristic; nothing is chosen there.

A song's score is its pooled onset F1 over all its charts (every onset of every chart counts once) at +-50 ms and
+-20 ms; a setting's score is the mean over songs of the mean of the two, so every song weighs the same. Each song is
mapped and scored between `--start` and `--end` seconds, or whole with `--whole-songs` (slower, and what decides a
setting whose effect grows along a song, such as the history kept; all of it in the test report unless given).
With `--from-start` each map is generated from the song's start and scored from `--start` on, so that the scored part
is decoded with the history it has in a whole song (a map generated from `--start` begins with none). With
`--tracks`, every map is generated with that many tracks (F1 pools the tracks), a check of a layout the charts lack.
Every chart that sits 20 ms or more off its song's attacks (Sectoid's Frets on Fire charts) is scored moved onto them,
as `beart evaluate` scores it by default; `--charts-as-written` scores every chart as written.
`--split train` scores the training songs instead, a second check of a rule on more charts (the model trained on them,
so it never chooses).
"""

import argparse
import itertools
import os
import sys

import numpy as np
import pandas as pd

from beart.audio import load_audio
from beart.beatmaps.formats import format_for_mode, mode_of_beatmap
from beart.cli import add_chart_sync_arguments
from beart.decoding_options import decoded_track_count, read_decode_tracks, read_history_steps, read_max_density
from beart.evaluation.evaluate import HEURISTIC, MODEL, SAMPLING_RATE, UNTRAINED, BeatmapEvaluator, find_reference_songs
from beart.evaluation.evaluate import offset_on_attacks, onto_attacks
from beart.evaluation.onset_metrics import match_counts, micro_average, onset_scores, onset_times, times_within
from beart.loading import load_model
from beart.processing import BeartFeatureExtractor, SongAnalysis


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from real_music_split import game, songs  # noqa: E402


TOLERANCES_MS = (50, 20, 10)
HOLD_SEEDS = (0, 1, 2)  # `hold_threshold` draws each object's kind: every map is a sample, scored at three seeds
MODEL_ALONE = {"onset_prior": 0.0, "beat_prior": 0.0, "difficulty_guidance": 0.0, "silence_db": 0.0}
READERS = {  # settings read by their own reader: mappings, whole numbers
    "history_steps": read_history_steps, "max_density": read_max_density, "decode_tracks": read_decode_tracks,
    "finest_subdivision": int,
}  # fmt: skip
GRID = {
    "hit_threshold": (0.4, 0.5, 0.6),
    "onset_prior": (4.0, 8.0),
    "beat_prior": (0.0, 8.0),
    "difficulty_guidance": (5.0,),  # guidance spreads the difficulties (the star rating's Spearman), F1 barely
    "max_density": (0.0, 1.2),  # 0: no cap
}


def load_songs(corpus: str, split: str, line_up_charts: bool = False) -> list:
    """`(name, game, waveform, human maps, stems)` of every song of the split (`stems`: the files of the stems a Frets on
    Fire song is mixed from, by name, which the guitar charts' onset prior hears, `lead_stem`); with `line_up_charts`
    each map that sits 20 ms or more off its song's attacks moved onto them (as `beart evaluate` scores it by
    default)."""
    loaded = []
    for folder in songs(corpus, split):
        for song in find_reference_songs(folder, []):
            waveform = load_audio(song.audio, target_sampling_rate=SAMPLING_RATE)
            maps = song.maps
            if line_up_charts:
                attacks_ms = SongAnalysis.from_audio(waveform, BeartFeatureExtractor(), SAMPLING_RATE).attacks_ms
                maps = [onto_attacks(chart, offset_on_attacks(chart, attacks_ms)) for chart in maps]
            loaded.append((os.path.basename(folder), game(folder), waveform, maps, song.stems))
    return loaded


def score_system(
    evaluator: BeatmapEvaluator, system: str, loaded: list, start, end, charts: list | None = None,
    num_tracks: int | None = None,
) -> pd.DataFrame:  # fmt: skip
    """Per song: pooled F1 at each tolerance, and the generated maps' notes per second over the human charts'. With
    `charts` (a list), one row per chart is appended to it: its difficulty, the human and generated notes per second
    and F1 at the first two tolerances. With `num_tracks`, every map is generated with that many tracks instead of its
    chart's (F1 pools the tracks either way)."""
    rows = []
    for name, game_name, waveform, references, stems in loaded:
        scores, generated, human, share_errors = [], 0, 0, []
        holds, held = np.zeros(4, dtype=int), np.zeros(3, dtype=int)
        analysis = evaluator.analyse(waveform, stems)  # one analysis for all the song's charts
        for reference in references:
            if num_tracks is None:
                tracks, mode = reference.tracks, mode_of_beatmap(reference)
            else:
                tracks, mode = reference.tracks[:num_tracks], None
            beatmap = evaluator.generate(system, analysis, tracks, reference.difficulty, mode)
            table = onset_scores(reference, beatmap, TOLERANCES_MS, start, end)
            scores.append(table)
            pooled = table[table["track"] == "all"].set_index("tolerance_ms")
            generated += int(pooled.loc[TOLERANCES_MS[0], "estimated"])
            human += int(pooled.loc[TOLERANCES_MS[0], "reference"])
            counts = np.array([*hold_counts(beatmap, start, end), *hold_counts(reference, start, end)])
            holds += counts
            share_errors.append(abs(counts[0] / max(counts[1], 1) - counts[2] / max(counts[3], 1)))
            held += matched_holds(reference, beatmap, start, end)
            if charts is not None:
                seconds = (end or reference.duration_ms / 1000.0) - (start or 0.0)
                charts.append(
                    {
                        "song": name, "chart": reference.meta.get("name", ""), "difficulty": reference.difficulty,
                        "human notes/s": int(pooled.loc[TOLERANCES_MS[0], "reference"]) / seconds,
                        "notes/s": int(pooled.loc[TOLERANCES_MS[0], "estimated"]) / seconds,
                        **{f"f1@{tolerance}": float(pooled.loc[tolerance, "f1"]) for tolerance in TOLERANCES_MS[:2]},
                    }
                )  # fmt: skip
        micro = micro_average(pd.concat(scores))
        micro = micro[micro["track"] == "all"].set_index("tolerance_ms")["f1"]
        f1 = {f"f1@{tolerance}": micro[tolerance] for tolerance in TOLERANCES_MS}
        rows.append(
            {
                "song": name, "game": game_name, **f1, "density": generated / max(human, 1),
                **dict(zip(("holds", "objects", "human holds", "human objects"), holds.tolist())),
                "hold share error": float(np.mean(share_errors)),
                "hold F1": 2 * held[0] / max(held[1] + held[2], 1),
            }
        )  # fmt: skip
    return pd.DataFrame(rows)


def hold_counts(beatmap, start, end) -> tuple[int, int]:
    """`(holds, objects)` of a map that start between `start` and `end` seconds (either `None`: the map's edge)."""
    objects = beatmap.hit_objects()
    starts = objects["start"].to_numpy() / 1000.0
    held = (objects["end"] > objects["start"]).to_numpy()
    return len(times_within(starts[held], start, end)), len(times_within(starts, start, end))


def matched_holds(reference, beatmap, start, end, tolerance_ms: float = TOLERANCES_MS[0]) -> np.ndarray:
    """`(matched, chart, generated)`: the times a hold starts in the chart and in the generated map between `start`
    and `end` seconds (tracks pooled), and how many of them match one to one within `tolerance_ms` (where the map
    holds, was a hold due?)."""
    chart, generated = (times_within(onset_times(map_, holds_only=True), start, end) for map_ in (reference, beatmap))
    counts = match_counts(chart, generated, tolerance_ms)
    return np.array([counts["matched"], counts["reference"], counts["estimated"]])


def hold_share(table: pd.DataFrame, human: bool = False) -> float:
    """The share of holds among the objects of a `score_system` table, pooled over its songs (the generated maps',
    or with `human` the charts')."""
    prefix = "human " if human else ""
    return float(table[f"{prefix}holds"].sum() / max(table[f"{prefix}objects"].sum(), 1))


def song_scores(table: pd.DataFrame) -> np.ndarray:
    """Per song of a `score_system` table, the mean of its F1 at +-50 and +-20 ms."""
    return ((table["f1@50"] + table["f1@20"]) / 2).to_numpy()


def selection_score(table: pd.DataFrame) -> float:
    """Mean over songs of the mean F1 at +-50 and +-20 ms."""
    return float(song_scores(table).mean())


def closest_keeping_scores(table: pd.DataFrame, scores: list, reference: np.ndarray, margin: float, error: str):
    """The row of a table of settings (one per entry of `scores`, each the settings' `song_scores`) whose `error` is
    least among those under which every song scores within `margin` of `reference`: the rule of the `--caps` and
    `--holds` steps, which may move a default only where no song loses."""
    keeps_scores = [bool((values >= reference - margin).all()) for values in scores]
    fitting = table[keeps_scores]
    return fitting.iloc[int(fitting[error].argmin())]


def per_song_columns(table: pd.DataFrame) -> dict:
    """One column per song of a `score_system` table, for a row of a table of settings: F1 at +-50 / +-20 ms and the
    density."""
    return {
        f"{row['song'][:12]} F1 50/20, density": f"{row['f1@50']:.3f}/{row['f1@20']:.3f}, {row['density']:.2f}"
        for row in table.to_dict("records")
    }


def choose_history(
    model_path: str, settings: dict, loaded: list, start, end, lengths: list, margin: float, num_tracks: int | None,
    mapped_from=None,
) -> dict:
    """Step 3: `settings` with the shortest `history_steps` among `lengths` (0: the whole context) that scores within
    `margin` of the whole context, the fastest decoding that reads as well."""
    print("\n3. history kept per track (0: the whole context), on the chosen model and settings")
    table = []
    for length in sorted(set(lengths) | {0}):
        trial = {**settings, "history_steps": length}
        evaluator = evaluator_for(model_path, trial, mapped_from, end)
        scores = score_system(evaluator, MODEL, loaded, start, end, None, num_tracks)
        table.append({"history_steps": length, "score": selection_score(scores), **per_song_columns(scores)})
    table = pd.DataFrame(table)
    print(table.to_string(index=False, float_format="%.4f"))
    whole = float(table.loc[table["history_steps"] == 0, "score"].iloc[0])
    fitting = table[(table["history_steps"] > 0) & (table["score"] >= whole - margin)]
    if fitting.empty:
        return settings
    return {**settings, "history_steps": int(fitting["history_steps"].min())}


def choose_value(
    model_path: str, settings: dict, loaded: list, start, end, key: str, values, current, margin: float,
    num_tracks: int | None, mapped_from=None, setting=lambda value: value,
):  # fmt: skip
    """Among `values` and `current`, the value of the decoding setting `key` (`setting(value)` its form in the
    settings) scored on the songs with the rest of `settings`, its table printed: `current` unless another scores more
    than `margin` above it, the best one."""
    table = []
    for value in sorted({*values, current}):
        trial = {**settings, key: setting(value)}
        scores = score_system(evaluator_for(model_path, trial, mapped_from, end), MODEL, loaded, start, end, None,
                              num_tracks)  # fmt: skip
        table.append({key: value, "score": selection_score(scores), **per_song_columns(scores)})
    table = pd.DataFrame(table)
    print(table.to_string(index=False, float_format="%.4f"))
    best = table.iloc[int(table["score"].argmax())]
    current_score = float(table.loc[table[key] == current, "score"].iloc[0])
    return type(current)(best[key]) if best["score"] > current_score + margin else current


def choose_layout(
    model_path: str, settings: dict, loaded: list, start, end, counts: list, margin: float, num_tracks: int,
    mapped_from=None,
) -> dict:  # fmt: skip
    """Step 3 (layout): `settings` with the track count among `counts` (and the maps' own, and the current one) that
    maps of `num_tracks` tracks are decoded with before being folded onto their own (`decode_tracks`): the current
    count stays unless another scores more than `margin` above it, the best one."""
    print(f"\n3. layout decoded for maps of {num_tracks} track(s) (decode_tracks), on the chosen model and settings")
    current = decoded_track_count(settings.get("decode_tracks"), num_tracks)
    chosen = choose_value(
        model_path, settings, loaded, start, end, "decode_tracks", [*counts, num_tracks], current, margin, num_tracks,
        mapped_from, setting=lambda count: {num_tracks: count},
    )  # fmt: skip
    layouts = settings.get("decode_tracks")
    layouts = dict(layouts) if isinstance(layouts, dict) else {}
    return {**settings, "decode_tracks": {**layouts, num_tracks: chosen}}


def choose_subdivisions(
    model_path: str, settings: dict, loaded: list, start, end, finest: list, margin: float, num_tracks: int | None,
    mapped_from=None,
) -> dict:  # fmt: skip
    """Step 3 (snapping): `settings` with the finest division of the beat among `finest` (and the current one; 0:
    every subdivision of the song) that generated objects are snapped to (`finest_subdivision`): the current one stays
    unless another scores more than `margin` above it, the best one."""
    print("\n3. the finest subdivision objects are snapped to (finest_subdivision; 0: all), on the chosen settings")
    current = int(settings.get("finest_subdivision") or 0)
    chosen = choose_value(
        model_path, settings, loaded, start, end, "finest_subdivision", finest, current, margin, num_tracks, mapped_from
    )
    return {**settings, "finest_subdivision": chosen}


def choose_holds(
    model_path: str, settings: dict, loaded: list, start, end, thresholds: list, margin: float, num_tracks: int | None,
    mapped_from=None,
) -> dict:  # fmt: skip
    """Step 3 (holds): `settings` with the `hold_threshold` among `thresholds` and the current one (0: off) under which
    every song scores within `margin` of 0 and whose maps' shares of holds come closest to their charts'. The current
    value stays where it keeps every song's score, unless the closest comes nearer the charts' share at every seed
    (`stays_unless_nearer_at_every_seed`)."""
    print("\n3. holds (hold_threshold; 0: none drawn), on the chosen model and settings")
    current = float(settings.get("hold_threshold") or 0.0)
    table, by_threshold, errors_by_seed = [], [], []
    for threshold in sorted(set(thresholds) | {0.0, current}):
        trial = {**settings, "hold_threshold": threshold}
        by_seed = [
            score_system(evaluator_for(model_path, trial, mapped_from, end, seed=seed), MODEL, loaded, start, end,
                         None, num_tracks)  # fmt: skip
            for seed in HOLD_SEEDS
        ]
        scores = pd.concat(by_seed).groupby(["song", "game"], sort=False).mean().reset_index()
        by_threshold.append(song_scores(scores))
        errors_by_seed.append(np.array([seed_scores["hold share error"].mean() for seed_scores in by_seed]))
        table.append(
            {
                "hold_threshold": threshold, "score": selection_score(scores),
                "hold share error": float(scores["hold share error"].mean()),
                "per seed": "/".join(f"{error:.4f}" for error in errors_by_seed[-1]), "hold share": hold_share(scores),
                "charts' hold share": hold_share(scores, human=True), **per_song_columns(scores),
                **{f"{row['song'][:12]} holds": f"{row['holds']:.0f}/{row['objects']:.0f} ({row['human holds']:.0f}/"
                   f"{row['human objects']:.0f})" for row in scores.to_dict("records")},
            }
        )  # fmt: skip
    table = pd.DataFrame(table)
    print(table.to_string(index=False, float_format="%.4f"))
    closest = closest_keeping_scores(table, by_threshold, by_threshold[0], margin, "hold share error")  # 0 first
    chosen = stays_unless_nearer_at_every_seed(table, by_threshold, errors_by_seed, current, closest, margin)
    return {**settings, "hold_threshold": chosen}


def stays_unless_nearer_at_every_seed(
    table: pd.DataFrame, by_threshold: list, errors_by_seed: list, current: float, closest: pd.Series, margin: float
) -> float:  # fmt: skip
    """The `--holds` step's choice: `current` where it keeps every song within `margin` of no holds, unless `closest`
    (the rule's pick) comes nearer the charts' hold share at every seed (each seed draws the holds of both values
    alike: a difference the seeds do not agree on is the draw's); `closest` otherwise.

    Args:
        table (`pd.DataFrame`): one row per `hold_threshold` (no holds first).
        by_threshold (`list[np.ndarray]`): per row, each song's score (`song_scores`).
        errors_by_seed (`list[np.ndarray]`): per row, the hold share error at each seed.
        current (`float`): the current value, one of the table's.
        closest (`pd.Series`): the row `closest_keeping_scores` picked.
    """
    thresholds = table["hold_threshold"].to_numpy()
    row, pick = (int(np.flatnonzero(thresholds == value)[0]) for value in (current, closest["hold_threshold"]))
    keeps = bool((by_threshold[row] >= by_threshold[0] - margin).all())
    nearer_everywhere = bool((errors_by_seed[pick] < errors_by_seed[row]).all())
    return current if keeps and not nearer_everywhere else float(closest["hold_threshold"])


def choose_density(
    model_path: str, settings: dict, loaded: list, start, end, caps: list, margin: float, num_tracks: int | None,
    mapped_from=None,
) -> dict:  # fmt: skip
    """Step 3 (density cap): `settings` with the `max_density` among `caps` and the current one under which every song
    scores within `margin` of the current cap and whose maps' notes come nearest their charts' (the mean over songs of
    `|log(density)|`): the issue asks for maps within 20% of the charts' notes, which F1 alone does not weigh."""
    print("\n3. density cap (max_density), on the chosen model and settings")
    current = settings.get("max_density")
    table, by_cap = [], []
    for cap in [current, *(cap for cap in caps if cap != current)]:
        scores = score_system(
            evaluator_for(model_path, {**settings, "max_density": cap}, mapped_from, end), MODEL, loaded, start, end,
            None, num_tracks,
        )  # fmt: skip
        by_cap.append(song_scores(scores))
        table.append(
            {"max_density": cap, "score": selection_score(scores),
             "density error": float(np.abs(np.log(scores["density"])).mean()), **per_song_columns(scores)}
        )  # fmt: skip
    table = pd.DataFrame(table)
    print(table.to_string(index=False, float_format="%.4f"))
    closest = closest_keeping_scores(table, by_cap, by_cap[0], margin, "density error")  # the current cap first
    return {**settings, "max_density": closest["max_density"]}


def choose_sustains(
    model_path: str, settings: dict, loaded: list, start, end, rests: list, mapped_from=None,
    modes: list | None = None,
) -> dict:  # fmt: skip
    """Step 3 (sustains): per format whose charts hold across rests (`sustain_rest_beats` in the format registry; or
    per mode of `modes`), the rest (beats) after which a note is held, among `rests` (0: none): the best hold F1 (holds
    matched to the charts' holds at +-50 ms, the mean over the songs charted in that mode). Onsets do not move, so F1
    is the same for every value. Returns `{mode: rest}`, empty when no song of such a format is among `loaded`."""
    charted_in = [mode_of_beatmap(song[3][0]) for song in loaded]
    if not modes:
        modes = sorted({mode for mode in charted_in if mode and format_for_mode(mode).sustain_rests(mode)[0] > 0})
    chosen = {}
    for mode in modes:
        holding = [song for song, charted in zip(loaded, charted_in) if charted == mode]
        if not holding:
            continue
        names = ", ".join(song[0] for song in holding)
        print(f"\n3. sustains into rests for {mode} (sustain_rest_beats; 0: none), on {names}")
        table = []
        for rest in sorted(set(rests) | {0.0}):
            trial = {**settings, "sustain_rest_beats": rest}
            scores = score_system(evaluator_for(model_path, trial, mapped_from, end), MODEL, holding, start, end)
            table.append(
                {
                    "sustain_rest_beats": rest, "score": selection_score(scores),
                    "hold F1": float(scores["hold F1"].mean()),
                    "hold share": hold_share(scores), "charts' hold share": hold_share(scores, human=True),
                    **{f"{row['song'][:12]} holds": f"{row['holds']:.0f}/{row['objects']:.0f} ("
                       f"{row['human holds']:.0f}/{row['human objects']:.0f})" for row in scores.to_dict("records")},
                }
            )  # fmt: skip
        table = pd.DataFrame(table)
        print(table.to_string(index=False, float_format="%.4f"))
        chosen[mode] = float(table.iloc[int(table["hold F1"].argmax())]["sustain_rest_beats"])
    return chosen


def current_defaults(model_path: str) -> dict:
    """The decoding settings a model's `generation_config.json` gives the grid's keys and `hold_threshold` (0 where
    unset), and those of `READERS` it sets: what every trial starts from, and the current values the steps keep."""
    defaults = load_model(model_path).generation_config
    keys = [key for key in GRID if key not in READERS] + ["hold_threshold"]
    current = {key: float(getattr(defaults, key, None) or 0.0) for key in keys}
    for key, read in READERS.items():
        if getattr(defaults, key, None):
            current[key] = read(getattr(defaults, key))
    return current


def number_list(parse):
    """An argparse type: comma-separated numbers, each read by `parse` (`int` or `float`)."""
    return lambda text: [parse(value) for value in text.split(",")]


def evaluator_for(
    model_path: str, settings: dict, start, end, baselines: bool = False, seed: int = 0
) -> BeatmapEvaluator:
    model = load_model(model_path)
    model.name_or_path = model_path
    return BeatmapEvaluator(model, baselines=baselines, start=start, end=end, generation_options=settings, seed=seed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", help="the shared corpus folder")
    parser.add_argument("candidates", nargs="+", help="model folders (checkpoints) to choose among")
    parser.add_argument("--start", type=float, default=30.0)
    parser.add_argument("--end", type=float, default=75.0)
    parser.add_argument("--whole-songs", action="store_true", help="map and score whole songs, not --start to --end")
    parser.add_argument(
        "--from-start", action="store_true",
        help="map each song from its start (the maps then have their history at --start), score from --start",
    )  # fmt: skip
    parser.add_argument("--test", action="store_true", help="report the choice on the test songs (whole songs)")
    parser.add_argument("--skip-grid", action="store_true", help="keep the current decoding defaults")
    parser.add_argument("--margin", type=float, default=0.005, help="by how much a setting must beat the defaults")
    parser.add_argument("--per-chart", action="store_true", help="also print each candidate's per-chart table")
    parser.add_argument(
        "--split", default="dev", choices=["dev", "train"],
        help="songs to score (choose on dev; train serves as a second check of a rule, on songs the model trained on)",
    )  # fmt: skip
    parser.add_argument(
        "--decoding", nargs="*", default=[], metavar="KEY=VALUE", help="current defaults instead of the first candidate's"
    )
    parser.add_argument("--grid", nargs="*", default=[], metavar="KEY=V1,V2", help="the grid's values of a setting")
    parser.add_argument(
        "--history", type=number_list(int), default=None, metavar="N1,N2",
        help="history lengths (steps per track) to choose among, the shortest within --margin of the whole context",
    )  # fmt: skip
    parser.add_argument(
        "--caps", nargs="+", type=read_max_density, default=None, metavar="CAP",
        help="max_density values to choose among (each a number or D:M pairs such as 0:0.9,0.5:1.5): within --margin "
        "of the current cap on every song, the notes per chart note nearest 1",
    )  # fmt: skip
    parser.add_argument(
        "--subdivisions", type=number_list(int), default=None, metavar="N1,N2",
        help="finest divisions of the beat objects are snapped to (finest_subdivision; 0: all), the best kept where "
        "it beats the current one by more than --margin",
    )  # fmt: skip
    parser.add_argument(
        "--holds", type=number_list(float), default=None, metavar="T1,T2",
        help="hold_threshold values to choose among: within --margin of no holds, the hold share nearest the charts'",
    )  # fmt: skip
    parser.add_argument(
        "--sustains", type=number_list(float), default=None, metavar="R1,R2",
        help="rests (beats) after which notes are held, to choose among by hold F1 per format that holds",
    )  # fmt: skip
    parser.add_argument(
        "--sustain-modes", type=lambda text: text.split(","), default=None, metavar="MODE1,MODE2",
        help="with --sustains: choose for these modes instead of the formats that hold (a trial)",
    )  # fmt: skip
    add_chart_sync_arguments(parser)
    parser.add_argument("--tracks", type=int, default=None, help="generate every map with this many tracks (1, 2, 4)")
    parser.add_argument(
        "--decode-tracks", type=number_list(int), default=None, metavar="N1,N2",
        help="with --tracks: track counts to decode those maps with before folding them (decode_tracks), the best "
        "kept where it beats their own by more than --margin",
    )  # fmt: skip
    arguments = parser.parse_args()
    if arguments.decode_tracks and not arguments.tracks:
        parser.error("--decode-tracks chooses for the maps of --tracks N tracks; give --tracks")
    grid_values = dict(GRID)
    for item in arguments.grid:
        key, values = item.split("=", 1)
        if key not in GRID:
            parser.error(f"--grid: unknown setting {key!r}; one of {list(GRID)}")
        grid_values[key] = tuple(float(value) for value in values.split(","))
    pd.set_option("display.width", 200)
    start, end = (None, None) if arguments.whole_songs else (arguments.start, arguments.end)
    mapped_from = None if arguments.from_start else start  # where generation starts; scoring starts at `start`
    dev = load_songs(arguments.corpus, arguments.split, arguments.line_up_charts)
    current = current_defaults(arguments.candidates[0])
    for key, value in (item.split("=", 1) for item in arguments.decoding):
        current[key] = READERS.get(key, float)(value)
    print(f"{arguments.split} songs: {', '.join(song[0] for song in dev)}; {start}-{end} s; current defaults {current}")

    print("\n1. training length / model, with the current defaults")
    scored = {}
    for candidate in arguments.candidates:
        charts = [] if arguments.per_chart else None
        table = score_system(
            evaluator_for(candidate, current, mapped_from, end), MODEL, dev, start, end, charts, arguments.tracks
        )
        scored[candidate] = selection_score(table)
        print(f"\n{candidate}: score {scored[candidate]:.4f}\n{table.to_string(index=False, float_format='%.3f')}")
        if charts:
            print(pd.DataFrame(charts).to_string(index=False, float_format="%.3f"))
    chosen = max(scored, key=scored.get)
    print(f"\nchosen model: {chosen} ({scored[chosen]:.4f})")

    settings = current
    if not arguments.skip_grid:
        print("\n2. decoding defaults, on the chosen model")
        grid = []
        for values in itertools.product(*grid_values.values()):
            trial = dict(zip(grid_values, values))
            evaluator = evaluator_for(chosen, trial, mapped_from, end)
            table = score_system(evaluator, MODEL, dev, start, end, None, arguments.tracks)
            grid.append({**trial, "score": selection_score(table), **per_song_columns(table)})
        grid = pd.DataFrame(grid).sort_values("score", ascending=False)
        print(grid.to_string(index=False, float_format="%.4f"))
        if grid.iloc[0]["score"] > scored[chosen] + arguments.margin:
            settings = {**current, **{key: float(grid.iloc[0][key]) for key in GRID}}
        else:
            print(f"\nno setting beats the current defaults ({scored[chosen]:.4f}) by more than {arguments.margin}")
    if arguments.history:
        settings = choose_history(
            chosen, settings, dev, start, end, arguments.history, arguments.margin, arguments.tracks, mapped_from
        )
    if arguments.caps:
        settings = choose_density(
            chosen, settings, dev, start, end, arguments.caps, arguments.margin, arguments.tracks, mapped_from
        )
    if arguments.decode_tracks:
        settings = choose_layout(
            chosen, settings, dev, start, end, arguments.decode_tracks, arguments.margin, arguments.tracks, mapped_from
        )
    if arguments.subdivisions:
        settings = choose_subdivisions(
            chosen, settings, dev, start, end, arguments.subdivisions, arguments.margin, arguments.tracks, mapped_from
        )
    if arguments.holds:
        settings = choose_holds(
            chosen, settings, dev, start, end, arguments.holds, arguments.margin, arguments.tracks, mapped_from
        )
    print(f"\nchosen decoding defaults: {settings}")
    if arguments.sustains:
        rests = choose_sustains(
            chosen, settings, dev, start, end, arguments.sustains, mapped_from, arguments.sustain_modes
        )
        print(f"\nchosen sustain_rest_beats per mode (the format registry's, beart/beatmaps/formats.py): {rests}")

    if arguments.test:
        test = load_songs(arguments.corpus, "test", arguments.line_up_charts)
        test_start, test_end = (None, None) if "--start" not in sys.argv else (start, end)
        print(f"\n4. test songs: {', '.join(song[0] for song in test)} (nothing chosen here)")
        evaluator = evaluator_for(chosen, settings, test_start, test_end, baselines=True)
        alone = evaluator_for(chosen, {**settings, **MODEL_ALONE}, test_start, test_end)
        systems = {
            "model, chosen defaults": (evaluator, MODEL),
            "model alone": (alone, MODEL),
            "priors alone (untrained model)": (evaluator, UNTRAINED),
            "onset heuristic": (evaluator, HEURISTIC),
        }
        for label, (which, system) in systems.items():
            table = score_system(which, system, test, test_start, test_end)
            print(f"\n{label}\n{table.to_string(index=False, float_format='%.3f')}")
    print(f"\nnotes: F1 pooled over each song's charts; density = generated notes / human notes; numpy {np.__version__}")


if __name__ == "__main__":
    main()
