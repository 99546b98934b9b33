"""Evaluation: onset scores against hand-computed matches and mir_eval, map statistics, baselines, the report."""

import gc
import json
import os
import weakref

import librosa
import mir_eval
import numpy as np
import pandas as pd
import pytest
import soundfile
import torch
from transformers import GenerationConfig

from beart import BeartConfig, BeartModel
from beart.beatmaps import BeatmapError, IntermediateBeatmap, read_simfile, write_osz
from beart.cli import main
from beart.evaluation.evaluate import find_reference_songs
from beart.evaluation import (
    BeatmapEvaluator,
    OnsetHeuristic,
    difficulty_correlation,
    drain_time_ms,
    map_statistics,
    micro_average,
    onset_scores,
    summary_table,
)
from beart.processing.onset_alignment import ONSET_LEAD_MS
from beart.training.synthesis import music_bed, render_beatmap_audio, render_song_audio

from shared_paths import CORPUS


TINY_MODEL = {"num_hidden_layers": 1, "hidden_size": 16, "intermediate_size": 32}
GOIN_UNDER = CORPUS / "stepmania" / "Goin' Under" / "Goin' Under.ssc"


def beatmap(objects, tracks=("LEFT", "RIGHT"), difficulty=0.5, **kwargs) -> IntermediateBeatmap:
    meta = {"audio": "song.wav", "difficulty": difficulty, "tracks": list(tracks)}
    frame = pd.DataFrame(objects, columns=["track", "start", "end"])
    return IntermediateBeatmap.from_hit_objects(frame, meta, **kwargs)


def row(scores: pd.DataFrame, track: str, tolerance: int) -> dict:
    return scores[(scores["track"] == track) & (scores["tolerance_ms"] == tolerance)].iloc[0].to_dict()


def test_onset_scores_match_hand_counted_one_to_one_matches():
    reference = beatmap([("LEFT", 1000, 1000), ("LEFT", 1500, 1500), ("RIGHT", 2000, 2000), ("RIGHT", 2500, 2800)])
    generated = beatmap(
        [
            ("LEFT", 1030, 1030),
            ("LEFT", 1490, 1490),
            ("LEFT", 2010, 2010),
            ("RIGHT", 2020, 2020),
            ("RIGHT", 2500, 2500),
        ]
    )
    scores = onset_scores(reference, generated)
    left_50 = row(scores, "LEFT", 50)
    assert (left_50["matched"], left_50["reference"], left_50["estimated"]) == (2, 2, 3)
    assert left_50["precision"] == pytest.approx(2 / 3) and left_50["recall"] == 1.0
    assert left_50["f1"] == pytest.approx(0.8)
    assert left_50["mean_offset_ms"] == pytest.approx((30 - 10) / 2)
    assert row(scores, "LEFT", 20)["matched"] == 1
    right_10 = row(scores, "RIGHT", 10)
    assert right_10["matched"] == 1 and right_10["median_offset_ms"] == 0.0
    # Pooled, 2010 and 2020 both lie near 2000: one-to-one matching counts only one of them.
    pooled = row(scores, "all", 50)
    assert (pooled["matched"], pooled["reference"], pooled["estimated"]) == (4, 4, 5)
    expected = mir_eval.onset.f_measure(np.array([1.0, 1.5, 2.0, 2.5]), np.array([1.03, 1.49, 2.01, 2.02, 2.5]))
    assert pooled["f1"] == pytest.approx(expected[0]) and pooled["precision"] == pytest.approx(expected[1])


def test_generated_maps_on_other_tracks_are_laid_onto_the_reference_tracks():
    reference = beatmap([("LEFT", 1000, 1000), ("RIGHT", 2000, 2000)])
    generated = beatmap([("LEFT", 1000, 1000), ("LEFT", 2000, 2000)], tracks=["LEFT"])
    scores = onset_scores(reference, generated)
    assert row(scores, "all", 10)["f1"] == 1.0
    assert set(scores["track"]) == {"LEFT", "RIGHT", "all"}


def test_micro_average_weighs_every_onset_the_same():
    reference = beatmap([("LEFT", 1000 + 500 * index, 1000 + 500 * index) for index in range(9)], tracks=["LEFT"])
    good = onset_scores(reference, reference)
    small = beatmap([("LEFT", 1000, 1000)], tracks=["LEFT"])
    poor = onset_scores(small, beatmap([("LEFT", 3000, 3000)], tracks=["LEFT"]))
    micro = micro_average(pd.concat([good, poor]))
    pooled = row(micro, "all", 50)
    assert (pooled["matched"], pooled["reference"], pooled["estimated"]) == (9, 10, 10)
    assert pooled["f1"] == pytest.approx(0.9)  # the mean of the per-map F1s would be 0.5


def test_map_statistics_count_density_over_drain_time_and_holds():
    objects = [("LEFT", 1000, 1000), ("LEFT", 2000, 2990), ("LEFT", 9000, 9000), ("LEFT", 11000, 11000)]
    with_break = beatmap(
        objects, tracks=["LEFT"], flag_spans={"EMPTY": pd.DataFrame({"start": [4000], "end": [7990]})}
    )
    assert drain_time_ms(with_break) == 10000 - 4000
    statistics = map_statistics(with_break)
    assert statistics["objects"] == 4 and statistics["hold_share"] == 0.25
    assert statistics["notes_per_second"] == pytest.approx(4 / 6.0)
    assert statistics["star_rating"] > 0


def test_star_rating_follows_the_human_difficulty_order(corpus_dir):
    charts = read_simfile(GOIN_UNDER, for_training=False)
    singles = [chart for chart in charts if chart.meta["source"]["steps_type"] == "dance-single"]
    by_meter = sorted(singles, key=lambda chart: chart.meta["source"]["meter"])
    stars = [map_statistics(chart)["star_rating"] for chart in by_meter]
    assert stars == sorted(stars) and stars[0] < stars[-1] / 2


def test_onset_heuristic_finds_rendered_onsets_and_thins_with_difficulty(fixtures_dir):
    audio, rate = soundfile.read(fixtures_dir / "click_120bpm.wav", dtype="float32")
    onsets = np.loadtxt(fixtures_dir / "click_120bpm.onsets.txt")
    hard = OnsetHeuristic()(audio, rate, ["LEFT"], difficulty=1.0)
    starts = hard.hit_objects()["start"].to_numpy() / 1000
    assert mir_eval.onset.f_measure(onsets, starts, window=0.05)[0] > 0.95
    assert abs(hard.tempo_changes()["bpm"].iloc[0] - 120) < 3
    easy = OnsetHeuristic()(audio, rate, ["LEFT"], difficulty=0.0)
    assert len(easy.hit_objects()) < 0.5 * len(hard.hit_objects())


def test_onset_heuristic_reads_the_song_as_librosa_does_whole(monkeypatch):
    # The spectrograms come a few frames at a time and the tempogram a block at a time (long songs: ~80 s blocks);
    # the onsets, their attacks' brightness and the tempo must be librosa's computed on the whole song.
    import beart.processing.audio_priors as audio_priors
    import beart.processing.spectrogram_blocks as spectrogram_blocks
    from beart.evaluation.baselines import HOP_LENGTH, detect_audio_onsets, onset_strength

    kicks = [("LEFT", 300 + 500 * index, 300 + 500 * index) for index in range(16)]
    hats = [("RIGHT", 550 + 500 * index, 550 + 500 * index) for index in range(16)]
    audio = render_beatmap_audio(beatmap(kicks + hats), 22050, seed=3)
    hits = np.sort([start for _, start, _ in kicks + hats]) / 1000.0
    monkeypatch.setattr(spectrogram_blocks, "STFT_BINS_PER_BLOCK", 7 * 1025)
    monkeypatch.setattr(audio_priors, "TEMPOGRAM_BLOCK_FRAMES", 97)
    strength = librosa.onset.onset_strength(y=audio, sr=22050, hop_length=HOP_LENGTH)
    np.testing.assert_allclose(onset_strength(audio, 22050), strength, rtol=1e-4, atol=1e-4 * strength.max())
    whole = librosa.onset.onset_detect(y=audio, sr=22050, hop_length=HOP_LENGTH, units="time")
    np.testing.assert_allclose(detect_audio_onsets(audio, 22050), whole, atol=1e-9)
    onsets = OnsetHeuristic.analyse(audio, 22050)
    assert len(onsets.frames) == len(whole) and mir_eval.onset.f_measure(hits, whole, window=0.03)[2] == 1.0
    centroid = librosa.feature.spectral_centroid(y=audio, sr=22050, hop_length=HOP_LENGTH)[0]
    np.testing.assert_allclose(onsets.brightness, centroid[onsets.frames + 1], rtol=1e-4)
    tempo = librosa.feature.tempo(onset_envelope=strength, sr=22050, hop_length=HOP_LENGTH)[0]
    assert onsets.bpm == pytest.approx(tempo, rel=1e-6) and tempo == pytest.approx(120, abs=3)
    assert onsets.duration_ms == pytest.approx(1000 * len(audio) / 22050)
    heuristic = OnsetHeuristic().map_of(onsets, ["LEFT", "RIGHT"], difficulty=1.0)
    assert heuristic.hit_objects().equals(OnsetHeuristic()(audio, 22050, ["LEFT", "RIGHT"], 1.0).hit_objects())
    assert heuristic.hit_objects()["track"].tolist()[-4:] == ["LEFT", "RIGHT", "LEFT", "RIGHT"]


def test_onset_heuristic_maps_a_long_song_in_bounded_memory(run_bounded, long_click_track):
    # 20 minutes of clicks: whole, the heuristic's STFTs took 1.5 GB each and its tempogram 4 GB (half an hour of
    # `beart evaluate` peaked at 10.3 GB); the 212 MB of samples and the frames' features must fit
    result = run_bounded(
        long_click_track(
            """
            from beart.evaluation.baselines import OnsetHeuristic, detect_audio_onsets

            onsets = OnsetHeuristic.analyse(waveform, rate)
            beatmap = OnsetHeuristic().map_of(onsets, ["LEFT", "RIGHT"], difficulty=1.0)
            audio_onsets = detect_audio_onsets(waveform, rate, onsets.strength)
            print(len(beatmap.hit_objects()), round(onsets.bpm), len(audio_onsets))
            """
        ),
        memory_gib=0.75, seconds=240,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    found, bpm, audio_onsets = map(int, result.stdout.split())
    assert 2399 <= found <= 2400 and bpm == 120 and audio_onsets == found  # a click every 0.5 s (the first at 0)


def test_onset_heuristic_puts_low_drums_on_the_first_track():
    kicks = [("LEFT", 500 + 1000 * index, 500 + 1000 * index) for index in range(8)]
    hats = [("RIGHT", 1000 + 1000 * index, 1000 + 1000 * index) for index in range(8)]
    song = beatmap(kicks + hats)
    audio = render_beatmap_audio(song, 44100, seed=1)
    heuristic = OnsetHeuristic()(audio, 44100, ["LEFT", "RIGHT"], difficulty=1.0)
    scores = onset_scores(song, heuristic)
    assert row(scores, "LEFT", 50)["f1"] > 0.9 and row(scores, "RIGHT", 50)["f1"] > 0.9


def test_song_audio_sounds_every_difficulty_and_unmapped_hits():
    easy = beatmap([("LEFT", 1000 * index, 1000 * index) for index in range(1, 9)], tracks=["LEFT"])
    hard = beatmap([("LEFT", 500 + 1000 * index, 500 + 1000 * index) for index in range(1, 9)], tracks=["LEFT"])
    tempo = {"tempo_changes": pd.DataFrame({"time": [0], "bpm": [60.0]})}
    easy = IntermediateBeatmap.from_hit_objects(easy.hit_objects(), easy.meta, **tempo)
    audio = render_song_audio([easy, hard], sampling_rate=22050, unmapped_share=0.5)
    detected = librosa.onset.onset_detect(y=audio, sr=22050, units="time") * 1000
    for start in [*easy.hit_objects()["start"], *hard.hit_objects()["start"]]:
        assert np.min(np.abs(detected - start)) < 40
    assert len(detected) > 16 + 4


def test_music_bed_keeps_the_mapped_onsets_and_adds_no_sharp_attacks():
    import librosa

    song = beatmap([("LEFT", 700 + 500 * index, 700 + 500 * index) for index in range(16)], tracks=["LEFT"])
    song = IntermediateBeatmap.from_hit_objects(
        song.hit_objects(), song.meta, tempo_changes=pd.DataFrame({"time": [0], "bpm": [120.0]})
    )
    rate = 22050
    plain = render_song_audio([song], sampling_rate=rate, unmapped_share=0.0)
    bedded = render_song_audio([song], sampling_rate=rate, unmapped_share=0.0, background=0.7, vary_drums=True)
    assert bedded.dtype == np.float32 and np.abs(bedded).max() == pytest.approx(0.9, abs=1e-6)
    np.testing.assert_array_equal(
        bedded, render_song_audio([song], sampling_rate=rate, unmapped_share=0.0, background=0.7, vary_drums=True)
    )
    detected = librosa.onset.onset_detect(y=bedded, sr=rate, units="time") * 1000
    found = [np.min(np.abs(detected - start)) < 40 for start in song.hit_objects()["start"]]
    assert sum(found) >= 14
    # The bed fills the gaps between the drums: the quietest 100 ms of the song are far louder than without it.
    def quietest_rms(audio):
        frames = audio[: len(audio) // 2205 * 2205].reshape(-1, 2205)
        return np.sqrt((frames**2).mean(axis=1))[1:-4].min()

    assert quietest_rms(bedded) > 5 * quietest_rms(plain)
    # Its own onsets are soft: the bed alone has far weaker onset strength than the drums.
    bed = music_bed(len(plain), 120.0, rate)
    assert np.abs(bed).max() == pytest.approx(1.0)
    bed_strength = librosa.onset.onset_strength(y=bed.astype(np.float32), sr=rate).max()
    drum_strength = librosa.onset.onset_strength(y=plain, sr=rate).max()
    assert bed_strength < 0.5 * drum_strength


def test_difficulty_correlation_of_a_rising_and_a_flat_system():
    statistics = pd.DataFrame(
        {
            "system": ["rising"] * 4 + ["flat"] * 4,
            "requested": [0.1, 0.4, 0.7, 0.9] * 2,
            "star_rating": [1.0, 2.0, 2.5, 4.0, 3.0, 3.0, 3.0, 3.0],
        }
    )
    correlations = difficulty_correlation(statistics)
    assert correlations["rising"]["spearman"] == pytest.approx(1.0)
    assert correlations["flat"]["spearman"] is None


@pytest.fixture(scope="module")
def reference_songs(tmp_path_factory):
    """Two osu! mania songs whose audio is rendered from their (human-like) maps, 8 s each."""
    folder = tmp_path_factory.mktemp("references")
    random = np.random.default_rng(0)
    for index in range(2):
        grid = np.arange(1000, 8000, 250)
        starts = grid[random.random(len(grid)) < 0.6]
        tracks = np.array(["LEFT", "DOWN", "UP", "RIGHT"])[random.integers(0, 4, len(starts))]
        song = beatmap(
            list(zip(tracks, starts, starts)),
            tracks=["LEFT", "DOWN", "UP", "RIGHT"],
            difficulty=0.4 + 0.3 * index,
            tempo_changes=pd.DataFrame({"time": [0], "bpm": [120.0]}),
        )
        audio_path = folder / f"song{index}.wav"
        soundfile.write(audio_path, render_beatmap_audio(song, seed=index)[: 9 * 44100], 44100)
        write_osz(song, folder / f"song{index}.osz", audio_path, mode="mania", title=f"song {index}")
        audio_path.unlink()
    return folder


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    model = BeartModel(BeartConfig.from_preset("quaver", **TINY_MODEL))
    model.save_pretrained(folder)
    from beart import BeartProcessor

    BeartProcessor.from_model_config(model.config).save_pretrained(folder)
    return folder


def test_evaluator_writes_a_report_with_every_system_and_plots(reference_songs, tiny_model_dir, tmp_path):
    model = BeartModel.from_pretrained(tiny_model_dir)
    evaluator = BeatmapEvaluator(model, sweep_difficulties=(0.2, 0.8), end=6.0)
    report = evaluator.evaluate(reference_songs, tmp_path / "report", progress=False)
    written = json.loads((tmp_path / "report" / "report.json").read_text())
    assert written == json.loads(json.dumps(report))
    assert report["systems"] == ["model", "untrained_model", "onset_heuristic"] and report["maps"] == 2
    per_map = pd.DataFrame(report["onsets"]["per_map"])
    assert len(per_map) == 2 * 3 * (4 + 1) * 3
    assert per_map["estimated"].where(per_map["track"] == "all").max() > 0
    # The audio was rendered from the reference maps: the onsets the heuristic keeps are the maps' onsets.
    micro = pd.DataFrame(report["onsets"]["micro"])
    heuristic = micro[(micro["system"] == "onset_heuristic") & (micro["track"] == "all")]
    assert heuristic[heuristic["tolerance_ms"] == 50]["precision"].iloc[0] > 0.9
    scored = per_map[per_map["track"] == "all"]
    assert scored["reference"].max() <= len(np.arange(1000, 6000, 250))
    statistics = pd.DataFrame(report["map_statistics"])
    references = statistics[statistics["system"] == "reference"]["difficulty"]
    assert set(statistics["requested"].dropna()) == {0.2, 0.8, *references}
    assert set(report["difficulty_correlation"]) == {"model", "untrained_model", "onset_heuristic"}
    for plot in report["plots"]:
        assert (tmp_path / "report" / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(report["plots"]) == 2 + 2
    table = summary_table(report)
    assert list(table["system"]) == ["reference", "model", "untrained_model", "onset_heuristic"]
    # the median offset of a system's maps at the human maps' difficulties, where told (its sweep maps left out)
    rows = report["map_statistics"]
    offsets = {"reference": [None, -35.0], "model": [-4.0, -6.0], "untrained_model": [None, None]}  # two maps
    for system, values in offsets.items():
        scored = [row for row in rows if row["system"] == system and row["difficulty"] is not None]
        for row, value in zip(scored, values):
            row["offset_ms"] = value
        sweep = [row for row in rows if row["system"] == system and row["difficulty"] is None]
        for row in sweep:
            row["offset_ms"] = 100.0
    offset = summary_table(report).set_index("system")["offset_ms"]
    assert offset["reference"] == -35.0 and offset["model"] == -5.0 and pd.isna(offset["untrained_model"])


def test_the_report_tells_how_far_a_map_sits_on_its_song_s_attacks(tiny_model_dir):
    """`offset_ms` of `map_statistics`: notes 30 ms after every other attack read 30 ms late (less the flux's lead),
    those outside `--start`/`--end` left out."""
    evaluator = BeatmapEvaluator(BeartModel.from_pretrained(tiny_model_dir), start=20.0, end=40.0)
    attacks = np.arange(1000.0, 60000.0, 330.0)
    late = attacks[::2] + 30.0
    outside = (late < 20000.0) | (late > 40000.0)
    starts = np.where(outside, late - 50.0, late)  # early outside the scored span
    song = beatmap([("LEFT", start, start) for start in starts], end_ms=61000)
    assert evaluator.offset_on_attacks(song, attacks) == pytest.approx(30.0 - ONSET_LEAD_MS, abs=0.5)
    whole_song = BeatmapEvaluator(evaluator.generators["model"].model).offset_on_attacks(song, attacks)
    assert whole_song != pytest.approx(30.0 - ONSET_LEAD_MS, abs=10.0)  # two thirds of its notes 20 ms early
    few = beatmap([("LEFT", 20000, 20000)], end_ms=61000)
    assert evaluator.offset_on_attacks(few, attacks) is None  # too few notes


def test_a_chart_off_its_song_is_scored_moved_onto_its_attacks_unless_asked_as_written(
    tiny_model_dir, tmp_path, capsys
):
    """A chart 40 ms early on its song (as Sectoid's Frets on Fire charts sit 23-37 ms early): every system reads low
    at +-20 ms against it as written; by default (`line_up_charts`) it is scored moved by its offset on the song's
    attacks, and the report keeps the scores as written beside."""
    tracks = ["LEFT", "DOWN", "UP", "RIGHT"]
    grid = np.arange(1000, 15000, 250)
    starts = grid[np.random.default_rng(3).random(len(grid)) < 0.6]
    tempo = pd.DataFrame({"time": [0], "bpm": [120.0]})
    song = beatmap([("LEFT", start, start) for start in starts], tracks=tracks, difficulty=1.0, tempo_changes=tempo)
    audio_path = tmp_path / "song.wav"
    soundfile.write(audio_path, render_beatmap_audio(song, seed=3), 44100)
    early = beatmap([("LEFT", start - 40, start - 40) for start in starts], tracks=tracks, difficulty=1.0,
                    tempo_changes=tempo)  # fmt: skip
    write_osz(early, tmp_path / "songs" / "early.osz", audio_path, mode="mania", title="early")
    model = BeartModel.from_pretrained(tiny_model_dir)
    scores, reports = {}, {}

    def heuristic_f1(onsets):
        micro = pd.DataFrame(onsets["micro"]).query("system == 'onset_heuristic' and track == 'all'")
        return dict(zip(micro["tolerance_ms"], micro["f1"]))

    for line_up in (False, None):
        options = {} if line_up is None else {"line_up_charts": line_up}
        evaluator = BeatmapEvaluator(model, sweep_difficulties=(), **options)
        report = evaluator.evaluate(tmp_path / "songs", tmp_path / f"report_{line_up}", progress=False)
        reports[line_up] = report
        (reference,) = [row for row in report["map_statistics"] if row["system"] == "reference"]
        scores[line_up] = heuristic_f1(report["onsets"]), reference
        assert reference["offset_ms"] == pytest.approx(-40.0, abs=4.0)  # the chart as written, either way
        assert report["settings"]["line_up_charts"] is (line_up is None)
    (as_written, written_row), (lined_up, lined_up_row) = scores[False], scores[None]
    assert written_row["lined_up_ms"] == 0.0 and lined_up_row["lined_up_ms"] == pytest.approx(40.0, abs=4.0)
    assert as_written[50] > 0.4 and lined_up[50] == pytest.approx(as_written[50], abs=0.05)  # +-50 ms: either way
    assert as_written[20] < 0.1 and lined_up[20] == pytest.approx(lined_up[50], abs=0.05)
    # the lined-up report names the map moved and keeps the scores as written, those of the run that did not move it
    assert "onsets_as_written" not in reports[False] and "lined_up_maps" not in reports[False]
    (moved,) = reports[None]["lined_up_maps"]
    assert moved["map"] == written_row["map"] and moved["lined_up_ms"] == pytest.approx(40.0, abs=4.0)
    assert heuristic_f1(reports[None]["onsets_as_written"]) == pytest.approx(as_written, abs=1e-9)
    table = summary_table(reports[None], as_written=True).set_index("system")
    assert table.loc["onset_heuristic", "f1_20ms"] == pytest.approx(as_written[20], abs=1e-3)
    # the command line says which maps it lined up and prints the scores as written beside
    arguments = ["evaluate", str(tmp_path / "songs"), str(tmp_path / "cli"), "--model", str(tiny_model_dir)]
    assert main([*arguments, "--difficulties", "0.5", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert f"scored lined up on their songs' attacks: {moved['map']} ({moved['offset_ms']:+.0f} ms)" in printed
    assert printed.count("onset_heuristic") == 2


def test_a_late_chart_moves_earlier_and_loses_what_would_fall_before_the_song():
    from beart.evaluation.evaluate import onto_attacks

    tempo = pd.DataFrame({"time": [0.0, 1000.0], "bpm": [120.0, 150.0]})
    late = beatmap([("LEFT", 10, 10), ("RIGHT", 500, 800), ("LEFT", 2000, 2000)], tempo_changes=tempo, end_ms=3000)
    assert onto_attacks(late, 19.0) is late and onto_attacks(late, None) is late  # in sync, or not told: as written
    moved = onto_attacks(late, 30.0)
    assert moved.hit_objects()[["track", "start", "end"]].values.tolist() == [["RIGHT", 470, 770], ["LEFT", 1970, 1970]]
    changes = moved.tempo_changes()
    assert changes["bpm"].tolist() == [120.0, 150.0] and changes["time"].tolist()[1] == 970.0


def test_a_song_that_ends_before_the_start_asked_is_skipped_and_the_others_evaluated(tiny_model_dir, tmp_path):
    # --start past one song's end stopped the whole run ("start=4.0 s is past the end of the song")
    tracks = ["LEFT", "DOWN", "UP", "RIGHT"]
    for name, seconds in (("long", 6), ("short", 3)):
        song = beatmap([("LEFT", start, start) for start in range(500, seconds * 1000 - 500, 500)], tracks=tracks)
        soundfile.write(tmp_path / f"{name}.wav", render_beatmap_audio(song, seed=0)[: seconds * 44100], 44100)
        write_osz(song, tmp_path / "songs" / f"{name}.osz", tmp_path / f"{name}.wav", mode="mania", title=name)
    model = BeartModel.from_pretrained(tiny_model_dir)
    evaluator = BeatmapEvaluator(model, sweep_difficulties=(), baselines=False, start=4.0)
    report = evaluator.evaluate(tmp_path / "songs", tmp_path / "report", progress=False)
    assert {row["song"] for row in report["map_statistics"]} == {str(tmp_path / "songs" / "long.osz")}
    (skipped,) = report["skipped"]
    assert skipped["item"].startswith(str(tmp_path / "songs" / "short.osz"))
    assert skipped["reason"] == "the start asked, 4.0 s, lies past its end (3.0 s)"
    evaluator = BeatmapEvaluator(model, sweep_difficulties=(), baselines=False, start=7.0)
    with pytest.raises(BeatmapError, match=r"every song was skipped \(.*the start asked, 7.0 s, lies past its end"):
        evaluator.evaluate(tmp_path / "songs", tmp_path / "again", progress=False)


def test_a_song_whose_audio_is_refused_is_skipped_and_the_others_evaluated(tiny_model_dir, tmp_path, monkeypatch):
    # one song's audio past the decoded-size bound (the other's within it): the run went down with the LimitError
    from beart.safety import limits

    tracks = ["LEFT", "DOWN", "UP", "RIGHT"]
    song = beatmap([("LEFT", start, start) for start in range(1000, 5000, 500)], tracks=tracks, difficulty=0.5)
    audio = render_beatmap_audio(song, seed=0)[: 6 * 44100]
    for name, channels in (("mono", 1), ("stereo", 2)):
        path = tmp_path / f"{name}.wav"
        soundfile.write(path, np.repeat(audio[:, None], channels, axis=1), 44100)
        write_osz(song, tmp_path / "songs" / f"{name}.osz", path, mode="mania", title=name)
    mono_bytes = 6 * 44100 * 4
    monkeypatch.setattr(limits, "max_decoded_bytes", int(1.5 * mono_bytes))
    evaluator = BeatmapEvaluator(BeartModel.from_pretrained(tiny_model_dir), sweep_difficulties=(), baselines=False)
    report = evaluator.evaluate(tmp_path / "songs", tmp_path / "report", progress=False)
    songs = {row["song"] for row in report["map_statistics"]}
    assert report["maps"] == 1 and songs == {str(tmp_path / "songs" / "mono.osz")}
    (skipped,) = report["skipped"]
    assert skipped["item"].startswith(str(tmp_path / "songs" / "stereo.osz")) and "past the" in skipped["reason"]
    # the stereo file too large to be read out of its archive at all: skipped there, the other song evaluated
    monkeypatch.setattr(limits, "max_decoded_bytes", 2**30)
    monkeypatch.setattr(limits, "max_member_bytes", os.path.getsize(tmp_path / "stereo.wav") - 1)
    report = evaluator.evaluate(tmp_path / "songs", tmp_path / "report", progress=False, overwrite=True)
    (skipped,) = report["skipped"]
    assert report["maps"] == 1 and "unreadable audio" in skipped["reason"] and "stereo.wav" in skipped["reason"]
    # every song refused: an error that says so and why, not a report of nothing (pandas' "No objects to concatenate")
    monkeypatch.setattr(limits, "max_member_bytes", 2**30)
    monkeypatch.setattr(limits, "max_decoded_bytes", mono_bytes // 2)
    refused = r"No song under .* could be evaluated: every song was skipped \(.*mono"
    with pytest.raises(BeatmapError, match=refused):
        evaluator.evaluate(tmp_path / "songs", tmp_path / "report", progress=False, overwrite=True)


def test_songs_are_read_one_at_a_time_and_their_onsets_detected_once(reference_songs, tiny_model_dir, tmp_path):
    # every song's audio was read into memory before the first was evaluated (a folder of hundreds of `.osz` held
    # them all), and the previous song's waveform was held while the next one decoded
    from beart.beatmaps.osu_reader import OsuArchive
    from beart.evaluation import evaluate as evaluate_module
    from beart.evaluation.baselines import detect_audio_onsets

    events, analyses = [], []
    read_bytes, load_audio, analyse = OsuArchive.read_bytes, evaluate_module.load_audio, BeatmapEvaluator.analyse

    def logged_read(self, member):
        if not member.endswith(".osu"):
            events.append(("read", member))
        return read_bytes(self, member)

    def logged_load(audio, **kwargs):
        events.append(("decode", len(audio)))
        return load_audio(audio, **kwargs)

    def logged_analyse(self, waveform, stems=None):
        analysis = analyse(self, waveform, stems)
        analyses.append(weakref.ref(analysis))
        gc.collect()
        assert sum(reference() is not None for reference in analyses) == 1  # the song before is let go
        return analysis

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(OsuArchive, "read_bytes", logged_read)
        patch.setattr(evaluate_module, "load_audio", logged_load)
        patch.setattr(BeatmapEvaluator, "analyse", logged_analyse)
        songs = find_reference_songs(reference_songs, [])
        assert len(songs) == 2 and events == []
        del songs
        evaluator = BeatmapEvaluator(BeartModel.from_pretrained(tiny_model_dir), sweep_difficulties=(0.5,))
        report = evaluator.evaluate(reference_songs, tmp_path / "report", progress=False)
    assert [kind for kind, _ in events] == ["read", "decode", "read", "decode"]
    assert {member for kind, member in events if kind == "read"} == {"song0.wav", "song1.wav"}
    assert report["maps"] == 2
    # the audio onsets are read from the heuristic's onset strength: the onsets librosa detects on the song
    song = find_reference_songs(reference_songs, [])[0]
    waveform = load_audio(song.audio, target_sampling_rate=evaluate_module.SAMPLING_RATE)
    analysis = evaluator.analyse(waveform)
    expected = detect_audio_onsets(waveform, evaluate_module.SAMPLING_RATE)
    np.testing.assert_allclose(evaluator._audio_onsets(analysis), expected, atol=1e-9)
    assert len(expected) > 10


def test_an_interrupted_evaluation_leaves_no_plots_without_their_report(reference_songs, tiny_model_dir, tmp_path):
    # stopped at its second song, an evaluation left the first song's plots and no report, and a second run was
    # refused: "plots already holds files; pass --overwrite"
    analyse, calls = BeatmapEvaluator.analyse, []

    def interrupted(self, waveform, stems=None):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return analyse(self, waveform, stems)

    evaluator = BeatmapEvaluator(BeartModel.from_pretrained(tiny_model_dir), sweep_difficulties=(), baselines=False)
    (tmp_path / "report").mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(BeatmapEvaluator, "analyse", interrupted)
        with pytest.raises(KeyboardInterrupt):
            evaluator.evaluate(reference_songs, tmp_path / "report", progress=False)
    assert os.listdir(tmp_path / "report") == []
    report = evaluator.evaluate(reference_songs, tmp_path / "report", progress=False)
    assert sorted(os.listdir(tmp_path / "report")) == ["plots", "report.json"]
    drawn = os.listdir(tmp_path / "report" / "plots")
    assert sorted(report["plots"]) == sorted(os.path.join("plots", name) for name in drawn)
    assert len(report["plots"]) == 4  # a piano roll per map, F1 and stars by difficulty


def test_evaluate_command_line_and_its_errors(reference_songs, tiny_model_dir, tmp_path, capsys):
    output = tmp_path / "cli"
    arguments = ["evaluate", str(reference_songs), str(output), "--model", str(tiny_model_dir), "--no-baselines"]
    decoding = ["--hit-threshold", "0.3", "--onset-prior", "2", "--difficulty-guidance", "1", "--beat-prior", "3"]
    decoding += ["--prediction-steps", "1"]
    decoding += ["--charts-as-written"]
    assert main([*arguments, "--end", "4", "--difficulties", "0.5", *decoding, "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "f1_50ms" in printed and "2 reference maps" in printed and (output / "report.json").exists()
    settings = json.loads((output / "report.json").read_text())["settings"]
    assert settings["hit_threshold"] == 0.3 and settings["prediction_steps"] == 1
    assert settings["line_up_charts"] is False  # lined up by default (the test above), as written when asked
    with pytest.raises(SystemExit):
        main([*arguments, "--line-up-charts", "--charts-as-written"])
    assert "not allowed with argument" in capsys.readouterr().err
    assert settings["onset_prior"] == 2.0 and settings["difficulty_guidance"] == 1.0 and settings["beat_prior"] == 3.0
    # an earlier evaluation's report and plots are replaced only when asked
    report = (output / "report.json").read_bytes()
    assert main([*arguments, "--end", "2", "--difficulties", "0.5", "--no-progress"]) == 1
    assert "report.json already exists; pass --overwrite" in capsys.readouterr().err
    assert (output / "report.json").read_bytes() == report
    (output / "report.json").unlink()
    assert main([*arguments, "--end", "2", "--difficulties", "0.5", "--no-progress"]) == 1
    assert "plots already holds files; pass --overwrite" in capsys.readouterr().err
    assert main([*arguments, "--end", "2", "--difficulties", "0.5", "--no-progress", "--overwrite"]) == 0
    assert json.loads((output / "report.json").read_text())["settings"].get("hit_threshold") != 0.3  # the new run's
    # options no map could be generated with, and a corpus it cannot score, fail before the first song: nothing
    # written (a sweep difficulty of 2 failed after the first song's maps were generated, a --dataset that is no
    # corpus after every song's maps and plots)
    for wrong, said in ((["--difficulties", "0.5", "2"], "difficulty must lie in [0, 1], got 2.0"),
                        (["--hit-threshold", "1.5"], "hit_threshold must lie in (0, 1)"),
                        (["--dataset", str(reference_songs)], "is not a BEaRT corpus")):  # fmt: skip
        assert main([*arguments[:2], str(tmp_path / "wrong"), *arguments[3:], *wrong, "--no-progress"]) == 1
        assert said in capsys.readouterr().err and not (tmp_path / "wrong").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["evaluate", str(empty), str(tmp_path / "none"), "--model", str(tiny_model_dir)]) == 1
    assert "nothing to evaluate" in capsys.readouterr().err
    assert not (tmp_path / "none").exists()


def test_attention_of_a_generation_step_and_the_embedding_plot(tiny_model_dir, tmp_path, capsys, fixtures_dir):
    from beart import BeartProcessor
    from beart.inspection import step_attentions, token_kind

    model = BeartModel.from_pretrained(tiny_model_dir)
    processor = BeartProcessor.from_pretrained(tiny_model_dir)
    song = str(fixtures_dir / "click_120bpm.wav")
    mel_slices = processor.feature_extractor.mel_slices(song)
    beat_tokens = np.full((40, 2), processor.tokenizer.empty_token_id)
    attentions = step_attentions(model, processor, mel_slices, beat_tokens, step=30, scored_track=1)
    length = model.config.max_position_embeddings
    assert attentions.shape == (1, model.config.num_attention_heads, length, length)
    np.testing.assert_allclose(attentions.sum(axis=-1), 1.0, atol=1e-5)
    assert [token_kind(name) for name in ("[MASK]", "[none]", "[hit:1|hold_start:7]")] == [
        "reserved",
        "none",
        "hit+hold_start",
    ]

    output = tmp_path / "inspect"
    arguments = ["inspect", song, str(output), "--model", str(tiny_model_dir), "--at", "3", "--mode", "taiko"]
    assert main([*arguments, "--seed", "0"]) == 0
    assert "attention_step_30.png" in capsys.readouterr().out
    for name in ("attention_step_30.png", "token_embeddings.png"):
        assert (output / name).read_bytes()[:4] == b"\x89PNG"
    assert main(["inspect", song, str(tmp_path / "late"), "--model", str(tiny_model_dir), "--at", "999"]) == 1
    assert "outside the song" in capsys.readouterr().err and not (tmp_path / "late").exists()
    # a mode of any game (`--mode stepmania` was no choice)
    first = ["inspect", song, str(tmp_path / "first"), "--model", str(tiny_model_dir), "--at", "0"]
    assert main([*first, "--mode", "stepmania", "--seed", "0"]) == 0
    assert (tmp_path / "first" / "attention_step_0.png").read_bytes()[:4] == b"\x89PNG"


def test_inspect_looks_at_the_layout_the_model_decodes_a_map_with(tiny_model_dir, tmp_path, fixtures_dir, monkeypatch):
    import beart.inspection as inspection
    from transformers import pipeline

    layouts, step_attentions = [], inspection.step_attentions

    def recording(model, processor, mel_slices, beat_tokens, *args, **kwargs):
        layouts.append(beat_tokens.shape[1])
        return step_attentions(model, processor, mel_slices, beat_tokens, *args, **kwargs)

    monkeypatch.setattr(inspection, "step_attentions", recording)
    monkeypatch.setattr(inspection, "plot_token_embeddings", lambda *args: "token_embeddings.png")
    generator = pipeline("beatmap-generation", model=str(tiny_model_dir))
    song = str(fixtures_dir / "click_120bpm.wav")
    # a one-track map decoded with four tracks (then folded) is looked at in those four; the legacy strategy and a
    # map without `decode_tracks` decode their own track
    for options in ({"decode_tracks": 4}, {}, {"decode_tracks": 4, "strategy": "legacy", "beams": [2]}):
        inspection.inspect_generation(
            generator, song, str(tmp_path), at=2.0, mode="osu", seed=0, top_k=2, overwrite=True, **options
        )
    assert layouts == [4, 1, 1]
    # the PNG of an earlier inspection of the step is refused without `overwrite`, before anything is generated
    with pytest.raises(FileExistsError, match="attention_step_20.png already exists; pass --overwrite"):
        inspection.inspect_generation(generator, song, str(tmp_path), at=2.0, mode="osu", seed=0, top_k=2)
    assert layouts == [4, 1, 1]
    # a step before which the map holds nothing (a quiet intro, the first step) is looked at on an empty history:
    # it failed with "The model generated no hits or holds"
    empty = generator.processor.tokenizer.empty_token_id
    inspection.inspect_generation(generator, song, str(tmp_path), at=1.0, mode="mania", logit_bias={empty: 1e6})
    assert layouts == [4, 1, 1, 4]


def test_dataset_metrics_equal_what_the_trainer_reports(fixture_corpus, converted_dir, tmp_path):
    from beart import BeartProcessor
    from beart.evaluation import dataset_metrics
    from beart.training import BeartDataCollator, BeartTrainer, BeartTrainingArguments, load_corpus
    from beart.training.trainer import compute_metrics, scored_predictions

    model = BeartModel.from_pretrained(converted_dir)
    corpus = load_corpus(fixture_corpus)
    collator = BeartDataCollator(BeartProcessor.from_model_config(model.config), corpus["maps"], corpus["songs"])
    arguments = BeartTrainingArguments(
        output_dir=str(tmp_path), per_device_eval_batch_size=48, report_to="none", use_cpu=True
    )
    arguments.remove_unused_columns = False
    arguments.label_names = ["labels", "tempo_labels"]
    trainer = BeartTrainer(
        model=model,
        args=arguments,
        eval_dataset=corpus["test"],
        data_collator=collator,
        compute_metrics=compute_metrics,
        preprocess_logits_for_metrics=scored_predictions,
    )
    expected = trainer.evaluate()
    metrics = dataset_metrics(model, fixture_corpus, batch_size=32, progress=False)
    with pytest.raises(ValueError, match="was built with groups=10, mel_bands=32, .* which the model does not use"):
        dataset_metrics(BeartModel(BeartConfig.from_preset("quaver", mel_bands=16, **TINY_MODEL)), fixture_corpus)
    assert metrics["examples"] == len(corpus["test"])
    for name in ("token_accuracy", "perplexity", "tempo_mae_bpm"):
        assert metrics[name] == pytest.approx(expected[f"eval_{name}"], rel=1e-5)
    assert 0.0 < metrics["token_accuracy"] < 1.0 and metrics["perplexity"] > 1.0
    with pytest.raises(ValueError, match="no 'validation' split"):
        dataset_metrics(model, fixture_corpus, split="validation", progress=False)


def test_the_untrained_model_decodes_with_the_models_defaults_so_it_reads_the_priors_alone(tmp_path):
    model = BeartModel(BeartConfig(num_hidden_layers=1)).eval()
    model.generation_config = GenerationConfig(hit_threshold=0.3, onset_prior=6.0, beat_prior=4.0, history_steps=32)
    model.save_pretrained(tmp_path / "model")
    loaded = BeartModel.from_pretrained(tmp_path / "model")
    evaluator = BeatmapEvaluator(loaded, seed=3)
    untrained = evaluator.generators["untrained_model"].model
    for name, value in {"hit_threshold": 0.3, "onset_prior": 6.0, "beat_prior": 4.0, "history_steps": 32}.items():
        assert getattr(untrained.generation_config, name) == value
    # its own copy, and its own weights
    untrained.generation_config.hit_threshold = 0.5
    assert loaded.generation_config.hit_threshold == 0.3
    assert not torch.equal(untrained.token_head.weight, loaded.token_head.weight)


def test_a_reference_chart_that_says_it_is_ai_generated_is_kept_with_a_warning(tmp_path, caplog):
    song = CORPUS / "stepmania" / "Goin' Under"
    for credit, warned in (("Fraxtil", False), ("AI-generated by ToolX", True)):
        folder = tmp_path / credit.replace(" ", "_")
        folder.mkdir()
        text = (song / "Goin' Under.ssc").read_text(encoding="utf-8").replace("#CREDIT:Fraxtil;", f"#CREDIT:{credit};")
        (folder / "Goin' Under.ssc").write_text(text, encoding="utf-8")
        (folder / "Goin' Under.ogg").write_bytes((song / "Goin' Under.ogg").read_bytes())
        caplog.clear()
        (reference,) = find_reference_songs(folder, [])
        assert len(reference.maps) == 9
        assert ("is AI-generated (its file says so)" in caplog.text) == warned
