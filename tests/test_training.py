"""The training path: corpus building, the collator against the original's rows, Trainer on one and two processes."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest
import torch
from transformers import AutoModel, AutoProcessor, TrainerCallback

from beart import BeartConfig, BeartModel, BeartProcessor
from beart.beatmaps import IntermediateBeatmap
from beart.cli import main
from beart.modeling.modeling_beart import onset_strength
from beart.training import (
    BeartDataCollator,
    BeartTrainer,
    BeartTrainingArguments,
    TimeBudgetCallback,
    build_corpus,
    load_corpus,
    parameter_groups,
    train_beart,
    training_steps,
)
from beart.loading import load_model
from beart.modeling.model_card import model_card_text
from beart.training.training_card import TRAINING_CARD_MARK

from shared_paths import CORPUS


TINY_MODEL = {"num_hidden_layers": 1, "hidden_size": 16, "intermediate_size": 32}
RENATUS = CORPUS / "ppy-osu-tests" / "decoder" / "Soleily - Renatus (Gamu) [Insane].osu"


def quaver_processor() -> BeartProcessor:
    return BeartProcessor.from_model_config(BeartConfig.from_preset("quaver"))


def test_collator_rows_equal_the_original_dataset_rows(tmp_path, fixture_song, forward_io):
    fixture_song(tmp_path / "song")
    build_corpus(tmp_path / "song", tmp_path / "corpus", test_size=0.0, progress=False)
    corpus = load_corpus(tmp_path / "corpus")
    collator = BeartDataCollator(quaver_processor(), corpus["maps"], corpus["songs"])
    batch = collator([corpus["train"][index] for index in range(12)])
    np.testing.assert_array_equal(batch["input_ids"].numpy(), forward_io["row_input_data"])
    np.testing.assert_array_equal(batch["token_type_ids"].numpy(), forward_io["row_segment_data"])
    # Mel features are library floats: they differ across CPUs in the last bits (up to about 1e-7).
    features = batch["input_features"].numpy().reshape(12, -1)
    np.testing.assert_allclose(features, forward_io["row_input_audio"], atol=1e-6)
    np.testing.assert_allclose(batch["tempo_labels"].numpy(), forward_io["row_tempo"])
    scored = forward_io["row_output_mask"]
    labels = batch["labels"].numpy()
    assert (labels != -100).sum(axis=1).tolist() == [1] * 12
    np.testing.assert_array_equal(labels[np.arange(12), scored], forward_io["row_output_data"][np.arange(12), scored])
    assert corpus["songs"].cache_files, "the corpus should be memory-mapped Arrow files"


def test_training_steps_skip_empty_stretches_flags_and_lead_in():
    empty, hit = 8, 20
    tokens = np.full((100, 2), empty)
    tokens[10, 0] = hit
    tokens[95, 1] = hit
    # 4 s of nothing on 2 tracks is 80 empty tokens: steps up to 49 stay (at most 80 tokens since the hit).
    kept = training_steps(tokens, empty, groups=10)
    assert kept.tolist() == list(range(0, 50)) + list(range(95, 100))
    flags = np.zeros(1000, dtype=bool)
    flags[200:300] = True
    assert 25 not in training_steps(tokens, empty, 10, empty_flags=flags)
    assert training_steps(tokens, empty, 10, max_empty_seconds=None, skip_lead_in=True)[0] == 10


def test_augmentation_is_seeded_and_leaves_the_labels_alone(fixture_corpus):
    corpus = load_corpus(fixture_corpus)
    rows = [corpus["train"][index] for index in range(0, 256, 8)]
    plain = BeartDataCollator(quaver_processor(), corpus["maps"], corpus["songs"])(rows)
    first, second = (
        BeartDataCollator(quaver_processor(), corpus["maps"], corpus["songs"], augment=True, seed=3)(rows)
        for _ in range(2)
    )
    for name in first:
        torch.testing.assert_close(first[name], second[name])
    assert not torch.equal(first["input_features"], plain["input_features"])
    masked = (first["input_ids"] == 6) & (plain["input_ids"] >= 8)
    assert 0.1 < masked.sum() / (plain["input_ids"] >= 8).sum() < 0.3
    no_offsets = BeartDataCollator(
        quaver_processor(), corpus["maps"], corpus["songs"], augment=True, time_offsets=False, token_dropout=0.0
    )(rows)
    torch.testing.assert_close(no_offsets["labels"], plain["labels"])


def test_the_collator_gives_the_onset_strength_of_the_slices_before_their_noise(fixture_corpus):
    corpus = load_corpus(fixture_corpus)
    rows = [corpus["train"][index] for index in range(0, 256, 8)]
    options = {"augment": True, "seed": 5, "token_dropout": 0.0, "mel_scaling": (1.0, 1.0), "onset_input": True}
    quiet = BeartDataCollator(quaver_processor(), corpus["maps"], corpus["songs"], mel_noise=0.0, **options)(rows)
    noisy = BeartDataCollator(quaver_processor(), corpus["maps"], corpus["songs"], mel_noise=0.05, **options)(rows)
    assert not torch.equal(noisy["input_features"], quiet["input_features"])
    torch.testing.assert_close(noisy["onset_evidence"], quiet["onset_evidence"])
    torch.testing.assert_close(
        quiet["onset_evidence"], onset_strength(quiet["input_features"], quiet["token_type_ids"])
    )
    assert "onset_evidence" not in BeartDataCollator(quaver_processor(), corpus["maps"], corpus["songs"])(rows)


def test_equaliser_tilt_and_band_shift_move_the_mel_slices_as_stated(fixture_corpus):
    corpus = load_corpus(fixture_corpus)
    rows = [corpus["train"][index] for index in range(0, 256, 8)]
    plain_options = {"augment": True, "seed": 5, "token_dropout": 0.0, "mel_scaling": (1.0, 1.0), "mel_noise": 0.0}
    plain = BeartDataCollator(quaver_processor(), corpus["maps"], corpus["songs"], **plain_options)(rows)
    tilted = BeartDataCollator(quaver_processor(), corpus["maps"], corpus["songs"], mel_tilt=0.1, **plain_options)(
        rows
    )
    tilt = tilted["input_features"] - plain["input_features"]
    # one straight line across the bands per row, through 0 at the middle, at most 0.1 at the edges
    slopes = tilt[:, :, :, -1:] / 1.0
    bands = torch.linspace(-1.0, 1.0, tilt.shape[-1])
    torch.testing.assert_close(tilt, slopes * bands, atol=1e-5, rtol=0)
    assert slopes.abs().max() <= 0.1 and len(torch.unique(slopes.round(decimals=5))) > 4
    shifted = BeartDataCollator(
        quaver_processor(), corpus["maps"], corpus["songs"], mel_band_shift=2, **plain_options
    )(rows)["input_features"]
    source = plain["input_features"]
    seen = set()
    for row in range(len(rows)):
        matches = [
            shift
            for shift in range(-2, 3)
            if torch.equal(shifted[row], source[row][..., (torch.arange(32) - shift).clamp(0, 31)])
        ]
        assert matches, f"row {row} is not its slices moved by at most 2 bands"
        seen.update(matches)
    assert len(seen) >= 3


def test_time_stretch_moves_hits_holds_tempo_and_audio_alike():
    from beart.training.collator import _stretch_events, _stretch_frames

    events = np.zeros((100, 2), dtype=np.int64)
    events[[10, 11, 50, 99], 0] = 1  # hits, two of them 10 ms apart
    events[20:40, 1] = 2  # a 200 ms hold
    tempo = np.full(100, 120.0)
    slow, slow_tempo = _stretch_events(events, tempo, 1.2)
    assert slow.shape == (120, 2)
    assert np.flatnonzero(slow[:, 0] == 1).tolist() == [12, 13, 60, 119]  # 10 * 1.2, 11 * 1.2 (13.2), ...
    assert np.flatnonzero(slow[:, 1] == 2).tolist() == list(range(24, 48))  # 240 ms, from 240 ms
    assert set(np.unique(slow)) == {0, 1, 2} and (slow[:, 0] != 2).all() and (slow[:, 1] != 1).all()
    np.testing.assert_allclose(slow_tempo, 100.0)
    fast, fast_tempo = _stretch_events(events, tempo, 0.8)
    assert np.flatnonzero(fast[:, 0] == 1).tolist() == [8, 9, 40, 79]
    assert np.flatnonzero(fast[:, 1] == 2).tolist() == list(range(16, 32))
    np.testing.assert_allclose(fast_tempo, 150.0)
    unchanged, _ = _stretch_events(events, tempo, 1.0)
    np.testing.assert_array_equal(unchanged, events)

    ramp = np.repeat(np.arange(50, dtype=np.float32)[:, None], 3, axis=1)  # frame i reads i in every band
    stretched = _stretch_frames(ramp, 1.25)
    assert stretched.shape == (62, 3) and stretched.dtype == np.float32
    np.testing.assert_allclose(stretched[:, 0], np.minimum(np.arange(62) / 1.25, 49), atol=1e-5)


def test_the_collator_stretches_each_row_by_one_of_the_factors(fixture_corpus):
    corpus = load_corpus(fixture_corpus)
    rows = [corpus["train"][index] for index in range(0, 256, 8)]
    options = {"augment": True, "seed": 5, "token_dropout": 0.0, "mel_scaling": (1.0, 1.0), "mel_noise": 0.0}
    options["time_offsets"] = False
    plain = BeartDataCollator(quaver_processor(), corpus["maps"], corpus["songs"], **options)(rows)
    first, second = (
        BeartDataCollator(quaver_processor(), corpus["maps"], corpus["songs"], time_stretch=0.2, **options)(rows)
        for _ in range(2)
    )
    for name in first:
        torch.testing.assert_close(first[name], second[name])
    known = plain["tempo_labels"] > 0
    ratios = (plain["tempo_labels"][known] / first["tempo_labels"][known]).numpy()
    # every row's tempo is its map's divided by one of 0.8, 0.9, 1.0, 1.1, 1.2 (the fixture maps keep one tempo)
    factors = np.array([0.8, 0.9, 1.0, 1.1, 1.2])
    assert np.abs(ratios[:, None] - factors[None, :]).min(axis=1).max() < 1e-4
    assert len(np.unique(ratios.round(3))) >= 3
    unstretched = np.abs(ratios - 1.0) < 1e-4
    stretched_audio, plain_audio = first["input_features"][known], plain["input_features"][known]
    torch.testing.assert_close(stretched_audio[unstretched], plain_audio[unstretched])
    assert not torch.allclose(stretched_audio[~unstretched], plain_audio[~unstretched])
    with pytest.raises(ValueError, match="time_stretch"):
        BeartDataCollator(quaver_processor(), corpus["maps"], corpus["songs"], time_stretch=1.0)


def test_build_reads_several_inputs_as_one_corpus(tmp_path, fixture_song):
    for name in ("first", "second", "left out"):
        fixture_song(tmp_path / name)
    arguments = [str(tmp_path / "first"), str(tmp_path / "second"), str(tmp_path / "corpus")]
    assert main(["dataset", "build", *arguments, "--test-size", "0", "--no-progress"]) == 0
    names = load_corpus(tmp_path / "corpus")["songs"]["name"]
    assert len(names) == 2 and not any("left out" in name for name in names)


@pytest.fixture(scope="module")
def mania_corpus(tmp_path_factory, fixture_song):
    """A corpus of the fixture song with a 4-track map (the LEFT events shifted by 50 ms per track, the last track's
    hits held for 200 ms), and those tracks' 10 ms events `(num_events, 4)`."""
    song = tmp_path_factory.mktemp("mania") / "song"
    fixture_song(song)
    left = IntermediateBeatmap.load(song / "left.ibf")
    tracks = ["LEFT", "DOWN", "UP", "RIGHT"]
    events = left.data["LEFT"].to_numpy()
    shifted = {name: np.roll(events, 5 * index) for index, name in enumerate(tracks)}
    starts = np.flatnonzero(shifted["RIGHT"])
    shifted["RIGHT"] = np.isin(np.arange(len(events)), (starts[:, None] + np.arange(20)).ravel()) * 2
    IntermediateBeatmap(
        pd.DataFrame({"TIME": left.data["TIME"], "TEMPO": left.data["TEMPO"], **shifted}),
        {**left.meta, "tracks": tracks},
    ).save(song / "mania.ibf")
    (song / "left.ibf").unlink()
    output = song.parent / "corpus"
    build_corpus(song, output, test_size=0.0, progress=False)
    return load_corpus(output), np.stack(list(shifted.values()), axis=1)


def test_labelling_every_masked_track_scores_the_fast_layout(mania_corpus):
    corpus, events = mania_corpus
    rows = [corpus["train"][index] for index in range(0, len(corpus["train"]), 5)]
    processor = quaver_processor()
    batch = BeartDataCollator(
        processor, corpus["maps"], corpus["songs"], augment=True, token_dropout=0.0, label_masked_tracks=True, seed=1
    )(rows)
    current = processor.scored_positions(4)
    labelled = batch["labels"][:, current] != -100
    masked = batch["input_ids"][:, current] == processor.tokenizer.mask_token_id
    torch.testing.assert_close(labelled, masked)
    assert set(labelled.sum(dim=1).tolist()) == {1, 2, 3, 4}
    assert (batch["labels"] != -100).sum() == labelled.sum()
    tokens = processor.tokenizer.encode_events(events)
    no_offsets = BeartDataCollator(
        processor, corpus["maps"], corpus["songs"], augment=True, time_offsets=False, label_masked_tracks=True, seed=1
    )(rows)
    steps = np.array([row["step"] for row in rows])
    expected = torch.from_numpy(tokens[steps]).where(no_offsets["labels"][:, current] != -100, -100)
    torch.testing.assert_close(no_offsets["labels"][:, current], expected)


def test_holds_as_hits_show_the_history_as_hold_decoding_does(mania_corpus):
    corpus, events = mania_corpus
    processor = quaver_processor()
    rows = [corpus["train"][index] for index in range(0, len(corpus["train"]), 5)]
    options = dict(augment=True, token_dropout=0.0, time_offsets=False, label_masked_tracks=True, seed=1)
    as_written = BeartDataCollator(processor, corpus["maps"], corpus["songs"], **options)(rows)
    as_hits = BeartDataCollator(processor, corpus["maps"], corpus["songs"], holds_as_hits=True, **options)(rows)
    # the labels keep the holds
    np.testing.assert_array_equal(as_hits["labels"].numpy(), as_written["labels"].numpy())
    labelled = as_written["labels"][as_written["labels"] != -100].numpy()
    assert (processor.tokenizer.vocabulary.windows[labelled] == 2).any()
    # the inputs: the history as the tokenizer writes the events with each hold turned into a hit at its start
    starts = (events == 2) & (np.roll(events, 1, axis=0) != 2)
    hits = processor.tokenizer.encode_events(np.where(events == 2, 0, events) + starts)
    assert (processor.tokenizer.vocabulary.windows[as_written["input_ids"].numpy()] == 2).any()
    current = processor.scored_positions(4)
    for row, example in enumerate(rows):
        scored = np.flatnonzero(as_hits["input_ids"][row, current] == processor.tokenizer.mask_token_id).min()
        difficulty = corpus["maps"][int(example["map_index"])]["difficulty"]
        expected, _ = processor.build_beat_context(hits, np.array([example["step"]]), difficulty, np.array([scored]))
        np.testing.assert_array_equal(as_hits["input_ids"][row].numpy(), expected[0])


def three_step_batch(mania_corpus, stride: int, **options) -> tuple:
    """`(processor, beat tokens, rows, batch)`: every `stride`-th training row of the 4-track corpus with 3 steps left,
    collated for training with `prediction_steps` 3 (every masked track scored, no time offsets) and `options`."""
    corpus, events = mania_corpus
    processor = quaver_processor()
    tokens = processor.tokenizer.encode_events(events)
    rows = [corpus["train"][index] for index in range(0, len(corpus["train"]), stride)]
    rows = [row for row in rows if row["step"] + 3 <= len(tokens)]
    collator = BeartDataCollator(
        processor, corpus["maps"], corpus["songs"], augment=True, time_offsets=False, label_masked_tracks=True,
        prediction_steps=3, seed=2, **options,
    )  # fmt: skip
    return processor, tokens, rows, collator(rows)


def test_prediction_steps_score_the_coming_tokens_at_the_foresight_positions(mania_corpus):
    processor, tokens, rows, batch = three_step_batch(mania_corpus, 7, token_dropout=0.0)
    labels, input_ids = batch["labels"].numpy(), batch["input_ids"].numpy()
    current = processor.scored_positions(4)
    for row, example in enumerate(rows):
        masked = np.flatnonzero(input_ids[row, current] == processor.tokenizer.mask_token_id)
        expected = np.full(labels.shape[1], -100)
        for ahead in range(3):
            expected[current[masked] + ahead] = tokens[example["step"] + ahead, masked]
        np.testing.assert_array_equal(labels[row], expected)
        # The positions after the current token still read [FORESIGHT]: the coming tokens are never shown.
        assert (input_ids[row, current[masked] + 1] == processor.tokenizer.foresight_token_id).all()


def test_a_foresight_label_rate_scores_the_coming_tokens_on_that_share_of_the_rows(mania_corpus):
    for rate, share in ((0.0, 0.0), (0.5, 0.5), (1.0, 1.0)):
        processor, _, _, batch = three_step_batch(mania_corpus, 3, foresight_label_rate=rate)
        scored, current = batch["labels"].numpy(), processor.scored_positions(4)
        # every row scores its masked current tokens; the share asked for scores the two steps after them too
        assert ((scored[:, current] != -100).sum(axis=1) >= 1).all()
        with_foresight = (scored[:, current + 1] != -100).any(axis=1)
        assert with_foresight.mean() == pytest.approx(share, abs=0.15), rate
    with pytest.raises(ValueError, match="foresight_label_rate"):
        BeartConfig(foresight_label_rate=1.5)


def test_a_short_training_history_masks_each_tracks_far_past_as_decoding_leaves_it_out(
    mania_corpus, fixture_corpus, tmp_path
):
    corpus, _ = mania_corpus
    processor = quaver_processor()
    rows = [corpus["train"][index] for index in range(0, len(corpus["train"]), 9)]
    # a history per track count (here 16 for these 4-track rows) masks each row by its own count
    collator = BeartDataCollator(
        processor, corpus["maps"], corpus["songs"], augment=True, history_steps={1: 3, 4: 16}, seed=1
    )
    batch = collator(rows)
    kept = processor.kept_positions(4, 16)
    expected = np.isin(np.arange(512), kept)[None].repeat(len(rows), axis=0)
    np.testing.assert_array_equal(batch["attention_mask"].numpy(), expected)
    # every label sits on a kept position; without the option there is no mask
    assert batch["attention_mask"][batch["labels"] != -100].all()
    assert "attention_mask" not in BeartDataCollator(processor, corpus["maps"], corpus["songs"])(rows)
    # the model's `train_history_steps` reaches the training and evaluation collators
    one_track = load_corpus(fixture_corpus)
    trainer = train_beart(
        fixture_corpus, tiny_arguments(tmp_path / "run", report_to="none", save_strategy="no"),
        config_overrides={
            **TINY_MODEL, "train_history_steps": {"1": 16, "4": 8}, "foresight_label_rate": 0.5,
            "train_holds_as_hits": True,
        },
        callbacks=[StopAtStep(1)],
    )  # fmt: skip
    assert trainer.model.config.train_history_steps == {1: 16, 4: 8}
    assert trainer.data_collator.foresight_label_rate == 0.5
    assert trainer.data_collator.holds_as_hits and trainer.eval_data_collator.holds_as_hits
    one_row = trainer.data_collator([one_track["train"][0]])
    np.testing.assert_array_equal(np.flatnonzero(one_row["attention_mask"][0]), processor.kept_positions(1, 16))
    assert trainer.eval_data_collator.history_steps == {1: 16, 4: 8}


def test_config_overrides_reach_every_start_model(converted_dir, fixtures_dir):
    checkpoint = str(fixtures_dir / "original_quaver_checkpoint.pt")
    sources = ({"preset": "quaver"}, {"model_name_or_path": str(converted_dir)}, {"model_name_or_path": checkpoint})
    for source in sources:
        assert load_model(**source, prediction_steps=4).config.prediction_steps == 4
        with pytest.raises(ValueError, match="prediction_steps"):
            load_model(**source, prediction_steps=40)


def test_prediction_steps_must_fit_the_foresight_of_every_track_count():
    assert BeartConfig(prediction_steps=17).prediction_steps == 17
    with pytest.raises(ValueError, match="prediction_steps"):
        BeartConfig(prediction_steps=18)
    with pytest.raises(ValueError, match="prediction_steps"):
        BeartConfig(prediction_steps=0)


def osz_with_audio(path, osu_text: str, audio: bytes, audio_name="audio.mp3"):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("map [Hard].osu", osu_text.replace("03. Renatus - Soleily 192kbps.mp3", audio_name))
        archive.writestr("map [Easy].osu", osu_text.replace("03. Renatus - Soleily 192kbps.mp3", audio_name))
        archive.writestr(audio_name, audio)


def test_build_splits_by_song_and_reports_what_it_skips(tmp_path, capsys):
    text = RENATUS.read_text(encoding="utf-8-sig")
    audio = (CORPUS / "ppy-osu-tests" / "audio" / "test-sample.mp3").read_bytes()
    folder = tmp_path / "maps"
    folder.mkdir()
    for index in range(4):
        osz_with_audio(folder / f"set{index}.osz", text, audio)
    osz_with_audio(folder / "robots.osz", text.replace("[Metadata]", "[Metadata]\nrobots: disallow"), audio)
    osz_with_audio(folder / "corrupt.osz", text, (CORPUS / "ppy-osu-tests" / "audio" / "corrupt.wav").read_bytes())
    assert (
        main(["dataset", "build", str(folder), str(tmp_path / "corpus"), "--test-size", "0.25", "--no-progress"]) == 0
    )
    summary = capsys.readouterr().out
    assert "train: 3 songs, 6 maps" in summary and "test: 1 songs, 2 maps" in summary
    assert "2 refused" in summary and "2 bad audio" in summary
    corpus = load_corpus(tmp_path / "corpus")
    maps = corpus["maps"].to_pandas()
    test_maps = set(corpus["test"].unique("map_index"))
    train_maps = set(corpus["train"].unique("map_index"))
    assert not test_maps & train_maps
    songs_of = maps.set_index("map_index")["song_index"]
    assert not set(songs_of[list(test_maps)]) & set(songs_of[list(train_maps)])


def test_build_keeps_the_songs_of_one_beatmap_set_in_one_split(tmp_path, fixture_song):
    for beatmap_set in range(4):
        folder = tmp_path / "sets" / f"set{beatmap_set}"
        fixture_song(folder)
        beatmap = IntermediateBeatmap.load(folder / "left.ibf")
        shutil.copy(folder / "click_120bpm.wav", folder / "rendered_again.wav")
        beatmap.meta["audio"] = "rendered_again.wav"
        beatmap.save(folder / "again.ibf")
    for seed in range(4):
        report = build_corpus(
            tmp_path / "sets", tmp_path / "corpus", test_size=0.25, seed=seed, progress=False, overwrite=True
        )
        assert report.songs == {"train": 6, "test": 2}
        corpus = load_corpus(tmp_path / "corpus")
        song_of_map = corpus["maps"]["song_index"]
        folder_of_song = [os.path.dirname(name) for name in corpus["songs"]["name"]]
        folders = {
            split: {folder_of_song[song_of_map[index]] for index in corpus[split].unique("map_index")}
            for split in ("train", "test")
        }
        assert len(folders["test"]) == 1 and len(folders["train"]) == 3
        assert not folders["test"] & folders["train"]


def test_build_with_nothing_usable_writes_nothing(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["dataset", "build", str(tmp_path / "empty"), str(tmp_path / "corpus"), "--no-progress"]) == 1
    assert "nothing written" in capsys.readouterr().out
    assert sorted(os.listdir(tmp_path)) == ["empty"]


def test_a_trained_model_s_card_credits_the_songs_and_charts_it_learned_from(tmp_path, caplog):
    # the card of a trained model said "Fill in: the maps and songs it was trained on (with the credits their licences
    # ask for)", though the corpus had read every title, artist and charter
    text = RENATUS.read_text(encoding="utf-8-sig")
    audio = (CORPUS / "ppy-osu-tests" / "audio" / "test-sample.mp3").read_bytes()
    titles = ["Renatus", "Pipe | <img src=x onerror=alert(1)> [link](javascript:x)", "Third", "Fourth"]
    (tmp_path / "maps").mkdir()
    for index, title in enumerate(titles):
        credited = text.replace("Title:Renatus", f"Title:{title}")
        credited = credited.replace("TitleUnicode:Renatus", f"TitleUnicode:{title}")
        credited = credited.replace("Creator:Gamu", f"Creator:Charter {index}")
        osz_with_audio(tmp_path / "maps" / f"set{index}.osz", credited, audio)
    build_corpus(tmp_path / "maps", tmp_path / "corpus", test_size=0.25, progress=False)
    credits = json.loads((tmp_path / "corpus" / "beart_corpus.json").read_text())["credits"]
    assert sorted(credit["title"] for credit in credits) == sorted(titles)
    assert {credit["split"] for credit in credits} == {"train", "test"}
    assert all(credit["artist"] == "Soleily" and credit["charts"] == ["Insane"] for credit in credits)

    output = tmp_path / "run"
    arguments = tiny_arguments(output, max_steps=2, report_to="none", save_strategy="no", eval_strategy="steps",
                               eval_steps=2)  # fmt: skip
    train_beart(tmp_path / "corpus", arguments, config_overrides=TINY_MODEL)
    card = (output / "README.md").read_text(encoding="utf-8")
    rows = [line for line in card.splitlines() if "| Soleily |" in line]
    assert len(rows) == 4
    for credit in credits:
        (row,) = [row for row in rows if f"Charter {titles.index(credit['title'])}" in row]
        assert row.startswith(f"| {credit['split']} | ") and "| osu! |" in row and "| Insane |" in row
    assert "Pipe \\| &lt;img src=x onerror=alert(1)&gt; \\[link\\](javascript:x)" in card and "<img" not in card
    assert "6 charts of 3 songs" in card and "2 charts of 1 song held out" in card
    assert "evaluation loss, held-out charts, step 2" in card and "Fine-tuned" not in card
    # a second run into the folder writes its card again; a card of the user's own is kept
    arguments = tiny_arguments(output, max_steps=3, report_to="none", save_strategy="no")
    train_beart(tmp_path / "corpus", arguments, config_overrides=TINY_MODEL, overwrite=True)
    assert "| steps | 3 (" in (output / "README.md").read_text(encoding="utf-8")
    (output / "README.md").write_text("# My model\n")
    train_beart(tmp_path / "corpus", arguments, config_overrides=TINY_MODEL, overwrite=True)
    assert (output / "README.md").read_text() == "# My model\n" and "is a card of your own" in caplog.text


def test_a_model_fine_tuned_from_a_folder_with_a_card_gets_its_own_card_not_the_bases(fixture_corpus, tmp_path):
    # a model saved again carries the card of the folder it was loaded from; trained, its weights change, and neither
    # its checkpoints nor the model trained take the base's card
    base = tmp_path / "base"
    train_beart(fixture_corpus, tiny_arguments(base, max_steps=1, report_to="none", save_strategy="no"),
                config_overrides=TINY_MODEL)  # fmt: skip
    plain = BeartModel.from_pretrained(base)
    (base / "README.md").write_text(model_card_text(plain.config))
    plain.save_pretrained(tmp_path / "plain")  # a plain card is written again, not carried
    assert (tmp_path / "plain" / "README.md").read_text() == model_card_text(plain.config)
    (base / "README.md").write_text("---\nlicense: apache-2.0\n---\n# The base\nCredits: a song (CC BY)\n")
    BeartModel.from_pretrained(base).save_pretrained(tmp_path / "copy")
    assert "# The base" in (tmp_path / "copy" / "README.md").read_text()
    output = tmp_path / "tuned"
    train_beart(fixture_corpus, tiny_arguments(output, max_steps=2, report_to="none", save_steps=1),
                model_name_or_path=str(base))  # fmt: skip
    assert "# The base" not in (output / "checkpoint-1" / "README.md").read_text()
    card = (output / "README.md").read_text()
    assert "# The base" not in card and TRAINING_CARD_MARK in card


def test_a_corpus_s_credits_are_read_as_untrusted_text(tmp_path, caplog):
    from beart.training.credits import read_credits

    info = tmp_path / "beart_corpus.json"
    songs = [
        {"split": "train", "title": "A\nline | two\u2028three " + "x" * 1000, "artist": ["not", "text"],
         "charters": ["Me", 3, None, {"a": 1}] + ["More"] * 100, "charts": "Hard", "format": "tja", "extra": "dropped"},
    ]  # fmt: skip
    info.write_text(json.dumps({"credits": songs}))
    (credit,) = read_credits(info)
    assert set(credit) == {"split", "title", "artist", "charters", "charts", "format"}
    assert credit["title"].startswith("A line | two three x") and len(credit["title"]) <= 256
    assert credit["artist"] == "" and credit["charts"] == [] and credit["charters"][:2] == ["Me", "3"]
    assert len(credit["charters"]) == 62  # at most 64 names read; the None and the dict left out
    for text in ('{"credits": "all of them"}', '{"credits": [1, 2]}', "[1, 2]", "{not json"):
        info.write_text(text)
        assert read_credits(info) is None
    assert caplog.text.count("the model card lists none") == 4
    info.write_text("{}")  # a corpus built before credits were kept
    assert read_credits(info) is None


def test_a_card_names_the_hub_model_it_was_fine_tuned_from_in_its_metadata(tmp_path):
    from transformers import TrainerState

    from beart.training.training_card import training_card_text

    counts = {key: {"train": 1, "test": 0} for key in ("songs", "maps", "examples")}
    config, arguments, state = BeartConfig(), tiny_arguments(tmp_path), TrainerState()
    for base, metadata in (("sedthh/BeatLearning", "base_model: sedthh/BeatLearning\n---"), (None, None)):
        card = training_card_text(config, [], counts, corpus_name="c", base_model=base, args=arguments, state=state)
        assert (metadata in card) if metadata else "base_model:" not in card
    (tmp_path / "local").mkdir()  # a folder is named in the text, never as the Hub's base model
    local = str(tmp_path / "local")
    card = training_card_text(config, [], counts, corpus_name="c", base_model=local, args=arguments, state=state)
    assert "base_model:" not in card and "Fine-tuned from local:" in card


def test_a_model_pushed_to_the_hub_goes_with_beart_s_card(fixture_corpus, tmp_path, monkeypatch):
    # `--push_to_hub` uploaded transformers' draft card ("fine-tuned on an unknown dataset"), without the credits
    import transformers.trainer

    uploads = []

    class Hub:  # the hub, offline: what each upload holds when it is sent
        def create_repo(self, name, **kwargs):
            return type("Repo", (), {"repo_id": name})()

        def upload_folder(self, folder_path, **kwargs):
            card = os.path.join(folder_path, "README.md")
            uploads.append((kwargs["repo_id"], sorted(os.listdir(folder_path)), open(card, encoding="utf-8").read()))

    monkeypatch.setattr(transformers.trainer, "hf_api", Hub)
    arguments = tiny_arguments(tmp_path / "run", max_steps=2, report_to="none", save_strategy="no", push_to_hub=True,
                               hub_model_id="me/my-beart", hub_strategy="end")  # fmt: skip
    train_beart(fixture_corpus, arguments, config_overrides=TINY_MODEL)
    ((repo, files, card),) = uploads
    assert repo == "me/my-beart" and {"model.safetensors", "processor_config.json", "README.md"} <= set(files)
    assert "beart train wrote this card" in card and "| split | song | artist |" in card and "| steps | 2 (" in card
    assert card == (tmp_path / "run" / "README.md").read_text(encoding="utf-8")


def test_parameter_groups_leave_norms_biases_and_heads_undecayed():
    model = BeartModel(BeartConfig.from_preset("quaver", **TINY_MODEL))
    decay, no_decay = parameter_groups(model, 0.01)
    names = {id(parameter): name for name, parameter in model.named_parameters()}
    no_decay_names = {names[id(parameter)] for parameter in no_decay["params"]}
    decay_names = {names[id(parameter)] for parameter in decay["params"]}
    assert {"tempo_head.weight", "token_head.weight"} <= no_decay_names
    assert all(name.endswith("bias") or "_norm." in name or "_head." in name for name in no_decay_names)
    assert "embeddings.token_embeddings.weight" in decay_names and decay["weight_decay"] == 0.01
    assert len(decay_names) + len(no_decay_names) == len(list(model.parameters()))


def tiny_arguments(output_dir, **overrides) -> BeartTrainingArguments:
    settings = {
        "output_dir": str(output_dir),
        "max_steps": 12,
        "per_device_train_batch_size": 4,
        "per_device_eval_batch_size": 16,
        "learning_rate": 1e-2,
        "logging_steps": 2,
        "save_steps": 6,
        "report_to": ["tensorboard"],
        "use_cpu": True,
        "disable_tqdm": True,
        "seed": 0,
    }
    settings.update(overrides)
    return BeartTrainingArguments(**settings)


def test_trainer_learns_evaluates_logs_saves_and_resumes(fixture_corpus, tmp_path):
    output = tmp_path / "run"
    arguments = tiny_arguments(output, eval_strategy="steps", eval_steps=6)
    trainer = train_beart(fixture_corpus, arguments, config_overrides=TINY_MODEL)
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    assert losses[-1] < losses[0]
    evaluation = [entry for entry in trainer.state.log_history if "eval_loss" in entry][-1]
    assert 0.0 <= evaluation["eval_token_accuracy"] <= 1.0
    assert evaluation["eval_perplexity"] >= 1.0 and evaluation["eval_tempo_mae_bpm"] >= 0.0
    assert any(name.startswith("events.out.tfevents") for _, _, files in os.walk(output / "runs") for name in files)

    model = AutoModel.from_pretrained(output)
    processor = AutoProcessor.from_pretrained(output)
    assert isinstance(model, BeartModel) and isinstance(processor, BeartProcessor)
    assert model.config.num_hidden_layers == 1

    resumed = train_beart(
        fixture_corpus,
        tiny_arguments(output, max_steps=16),
        config_overrides=TINY_MODEL,
        resume_from_checkpoint=str(output / "checkpoint-12"),
    )
    assert resumed.state.global_step == 16
    assert [entry["step"] for entry in resumed.state.log_history if "loss" in entry][-2:] == [14, 16]


class StopAtStep(TrainerCallback):
    def __init__(self, step: int):
        self.step = step

    def on_step_end(self, args, state, control, **kwargs):
        control.should_training_stop = state.global_step >= self.step


def test_train_beart_runs_the_callbacks_it_is_given(fixture_corpus, tmp_path):
    arguments = tiny_arguments(tmp_path / "run", report_to="none", save_strategy="no")
    trainer = train_beart(fixture_corpus, arguments, config_overrides=TINY_MODEL, callbacks=[StopAtStep(3)])
    assert trainer.state.global_step == 3 and arguments.max_steps == 12


def test_a_folder_holding_files_is_trained_into_only_when_asked(fixture_corpus, tmp_path, capsys):
    from beart.cli import main

    output = tmp_path / "run"
    arguments = tiny_arguments(output, report_to="none", save_strategy="no")
    train_beart(fixture_corpus, arguments, config_overrides=TINY_MODEL, callbacks=[StopAtStep(1)])
    weights = (output / "model.safetensors").read_bytes()
    # a second run would replace the model (and rotate out another run's checkpoints): refused before anything loads
    with pytest.raises(FileExistsError, match="already holds files; pass --overwrite .* --resume"):
        train_beart(fixture_corpus, arguments, config_overrides={"no_such_field": 1})
    assert (output / "model.safetensors").read_bytes() == weights
    assert main(["train", str(fixture_corpus), str(output), "--max_steps", "1", "--report_to", "none"]) == 1
    assert "--overwrite" in capsys.readouterr().err
    trainer = train_beart(
        fixture_corpus, arguments, config_overrides=TINY_MODEL, callbacks=[StopAtStep(2)], overwrite=True
    )
    assert trainer.state.global_step == 2 and (output / "model.safetensors").read_bytes() != weights
    (tmp_path / "empty").mkdir()  # an empty folder is no output to keep
    train_beart(fixture_corpus, tiny_arguments(tmp_path / "empty", report_to="none", save_strategy="no"),
                config_overrides=TINY_MODEL, callbacks=[StopAtStep(1)])  # fmt: skip
    assert (tmp_path / "empty" / "model.safetensors").exists()


def test_a_time_budget_stops_the_run_and_spreads_its_checkpoints_over_the_time(fixture_corpus, tmp_path):
    ticks = iter(range(0, 10_000, 10))  # the clock moves 10 s at every reading: the start, then each step's end
    budget = TimeBudgetCallback(minutes=1.0, saves=3, clock=lambda: float(next(ticks)))
    arguments = tiny_arguments(tmp_path / "run", report_to="none", save_strategy="no")
    trainer = train_beart(fixture_corpus, arguments, config_overrides=TINY_MODEL, callbacks=[budget])
    assert trainer.state.global_step == 6
    assert sorted(path.name for path in (tmp_path / "run").glob("checkpoint-*")) == [
        "checkpoint-2",
        "checkpoint-4",
        "checkpoint-6",
    ]
    with pytest.raises(ValueError, match="minutes"):
        TimeBudgetCallback(minutes=0)


def test_trainer_asks_for_the_scored_logits_only_in_training_steps(tmp_path):
    config = BeartConfig(**TINY_MODEL, max_position_embeddings=64, audio_foresight=8)
    model = BeartModel(config)
    trainer = BeartTrainer(model=model, args=tiny_arguments(tmp_path, report_to="none"))
    asked = []
    model.register_forward_pre_hook(
        lambda module, args, kwargs: asked.append(kwargs.get("scored_logits_only", False)), with_kwargs=True
    )
    labels = torch.full((2, 64), -100)
    labels[:, 40] = 20
    inputs = {
        "input_ids": torch.full((2, 64), 9),
        "input_features": torch.zeros(2, 64, config.groups, config.mel_bands),
        "labels": labels,
        "tempo_labels": torch.full((2,), 120.0),
    }
    trainer.compute_loss(model.train(), inputs)
    _, outputs = trainer.compute_loss(model.eval(), inputs, return_outputs=True)
    assert asked == [True, False] and outputs.logits.shape[1] == 64


def _free_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


def test_two_processes_train_with_accelerate_on_cpu(fixture_corpus, tmp_path):
    output = tmp_path / "ddp"
    command = [
        sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
        "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", _free_port(),
        "-m", "beart", "train", str(fixture_corpus), str(output),
        "--max_steps", "16", "--per_device_train_batch_size", "4", "--learning_rate", "0.01", "--logging_steps", "2",
        "--save_steps", "16", "--report_to", "none", "--disable_tqdm", "true", "--eval_strategy", "no",
        *[argument for key, value in TINY_MODEL.items() for argument in ("--config", f"{key}={value}")],
    ]  # fmt: skip
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    # A session of its own, so that a run that hangs is ended with every process it started (none left holding ports).
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment, start_new_session=True
    )
    try:
        stdout, stderr = process.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        pytest.fail(f"two-process training did not finish in 600 s: {stderr[-3000:]}")
    result = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    assert result.returncode == 0, result.stderr[-3000:]
    state = json.loads((output / "checkpoint-16" / "trainer_state.json").read_text())
    losses = [entry["loss"] for entry in state["log_history"] if "loss" in entry]
    assert state["global_step"] == 16 and losses[-1] < losses[0]
    # Two processes of 4 rows each: 16 steps cover 128 examples.
    assert state["log_history"][-1]["epoch"] == pytest.approx(
        16 * 8 / load_corpus(fixture_corpus)["train"].num_rows, rel=0.05
    )
    assert (output / "model.safetensors").exists()
    assert "Training on 2 process(es)" in result.stderr


def test_early_stopping_ends_a_run_that_does_not_improve(fixture_corpus, tmp_path):
    arguments = tiny_arguments(
        tmp_path / "stop", max_steps=40, learning_rate=0.0, eval_strategy="steps", eval_steps=2, save_steps=2,
        early_stopping_patience=1, report_to="none", per_device_eval_batch_size=64,
    )  # fmt: skip
    trainer = train_beart(fixture_corpus, arguments, config_overrides=TINY_MODEL)
    assert trainer.state.global_step == 4
    with pytest.raises(ValueError, match="test split and an eval_strategy"):
        train_beart(fixture_corpus, tiny_arguments(tmp_path / "no-eval", early_stopping_patience=1))
