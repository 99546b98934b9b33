"""The beatmap-generation pipeline: the original's beam search reproduced, every track count, inputs, errors, CLI."""

import io
import os
import shutil
import subprocess
import sys
import json
import re
import zipfile
from pathlib import Path

import mir_eval
import numpy as np
import pandas as pd
import pytest
import soundfile
import torch
from transformers import GenerationConfig, LogitsProcessor, LogitsProcessorList, pipeline

import beart  # noqa: F401  (registers the pipeline)
from beart import BeartConfig, BeartModel, BeartProcessor, BeartTokenizer
from beart.audio import AudioError
from beart.beatmaps import BeatmapError, IntermediateBeatmap, parse_osu, parse_simfile
from beart.beat_vocabulary import EVENT_HIT, EVENT_HOLD, EVENT_NONE
from beart.beatmaps.osu_reader import osu_to_intermediate
from beart.evaluation.onset_metrics import onset_times
from beart.modeling.model_card import CARRIED_CARD_MARK
from beart.cli import main
from beart.modeling.generation_beart import threshold_choice
from beart.generation.pipeline_beatmap_generation import BeatmapGenerationPipeline
from beart.processing import SongAnalysis, audio_priors
from beart.training.synthesis import render_beatmap_audio

from shared_paths import CORPUS


@pytest.fixture(scope="module")
def generator(converted_dir):
    return pipeline("beatmap-generation", model=str(converted_dir))


@pytest.fixture(scope="module")
def song(fixtures_dir):
    return str(fixtures_dir / "click_120bpm.wav")


def test_the_pipeline_prints_as_transformers_pipelines_do(generator):
    # printing the pipeline (a notebook shows it so) raised "'BeartModel' object has no attribute 'output_modalities'"
    assert repr(generator) == (
        "BeatmapGenerationPipeline: {'model': 'BeartModel', 'dtype': 'float32', 'device': 'cpu', "
        "'input_modalities': ('audio', 'text'), 'output_modalities': ('text',)}"
    )


def test_legacy_strategy_reproduces_the_original_generation(generator, song, fixtures_dir):
    expected = pd.read_csv(fixtures_dir / "generated_left_seed7.csv")
    beatmap = generator(
        song, strategy="legacy", difficulty=0.5, temperature=0.5, top_k=1, beams=[2], seed=7, progress=False,
        playable=False,  # the model's own output, as the original gives it
    )
    assert isinstance(beatmap, IntermediateBeatmap) and beatmap.tracks == ["LEFT"]
    np.testing.assert_array_equal(beatmap.data["LEFT"].to_numpy(), expected["LEFT"].to_numpy())
    np.testing.assert_allclose(beatmap.data["TIME"].to_numpy(), expected["TIME"].to_numpy(), atol=1e-6)  # ms
    np.testing.assert_allclose(beatmap.data["TEMPO"].to_numpy(), expected["TEMPO"].to_numpy(), atol=1e-2)


@pytest.mark.parametrize("mode, tracks", [("taiko", ["LEFT", "RIGHT"]), ("mania", ["LEFT", "DOWN", "UP", "RIGHT"])])
@pytest.mark.parametrize("strategy", ["fast", "legacy"])
def test_two_and_four_track_maps_are_generated_and_written(generator, song, tmp_path, mode, tracks, strategy):
    beams = [2] + [1] * (len(tracks) - 1)
    output = tmp_path / f"{mode}.osz"
    beatmap = generator(
        song, mode=mode, strategy=strategy, beams=beams, top_k=1, end=4.0, seed=0, output_path=str(output),
        progress=False,
    )  # fmt: skip
    assert beatmap.tracks == tracks and len(beatmap.hit_objects()) > 0
    assert beatmap.data["TIME"].iloc[-1] < 4000
    with zipfile.ZipFile(output) as archive:
        text = archive.read(next(name for name in archive.namelist() if name.endswith(".osu")))
    written = osu_to_intermediate(parse_osu(text), text, for_training=False)
    pd.testing.assert_frame_equal(written.hit_objects(), beatmap.hit_objects())


def test_tracks_beside_a_mode_of_another_count_are_written_folded_with_a_warning(generator, song, tmp_path, caplog):
    output = tmp_path / "taiko.osz"
    with caplog.at_level("WARNING"):
        beatmap = generator(
            song, mode="taiko", tracks=["LEFT", "UP", "DOWN", "RIGHT"], end=4.0, seed=0, output_path=str(output),
            progress=False,
        )  # fmt: skip
    assert beatmap.tracks == ["LEFT", "UP", "DOWN", "RIGHT"]
    assert "4 track(s) ['LEFT', 'UP', 'DOWN', 'RIGHT'] are written folded onto the 2 of taiko maps" in caplog.text
    with zipfile.ZipFile(output) as archive:
        text = archive.read(next(name for name in archive.namelist() if name.endswith(".osu")))
    written = osu_to_intermediate(parse_osu(text), text, for_training=False)
    assert written.tracks == ["LEFT", "RIGHT"] and len(written.hit_objects()) == len(beatmap.hit_objects())
    caplog.clear()
    generator(song, mode="taiko", end=4.0, seed=0, output_path=str(tmp_path / "own.osz"), progress=False)
    assert "folded" not in caplog.text


@pytest.mark.parametrize("layout, wide_mode", [(2, "taiko"), ({"1": 4}, "mania"), ("1:2", "taiko")])
def test_a_one_track_map_decoded_with_more_tracks_is_their_map_folded_onto_one(generator, song, layout, wide_mode):
    settings = {"top_k": 3, "temperature": 1.5, "end": 8.0, "seed": 2, "progress": False, "playable": False}
    folded = generator(song, mode="osu", decode_tracks=layout, **settings)
    wide = generator(song, mode=wide_mode, **settings)  # the same draws: the model's map in the layout decoded
    assert folded.tracks == ["LEFT"] and folded.meta["source"]["decode_tracks"] == layout
    events, column = wide.data[wide.tracks].to_numpy(), folded.data["LEFT"].to_numpy()
    np.testing.assert_allclose(folded.data["TIME"].to_numpy(), wide.data["TIME"].to_numpy(), atol=1e-6)  # ms
    # every step that holds an object on some track holds one on the folded track: a hit where only hits start, held
    # only where some track holds (a hold of one 10 ms step reads as a hit)
    occupied = (events != EVENT_NONE).any(axis=1)
    assert occupied.sum() > 10 and ((events != EVENT_NONE).sum(axis=1) > 1).any()  # some steps merge two tracks
    np.testing.assert_array_equal(column != EVENT_NONE, occupied)
    assert (column[(events == EVENT_HIT).any(axis=1) & ~(events == EVENT_HOLD).any(axis=1)] == EVENT_HIT).all()
    assert (events[column == EVENT_HOLD] == EVENT_HOLD).any(axis=1).all()
    assert not generator(song, mode="osu", **settings).data["LEFT"].equals(folded.data["LEFT"])


def test_paths_bytes_and_arrays_give_the_same_map_and_lists_are_batched(generator, song):
    settings = {"mode": "taiko", "top_k": 1, "end": 5.0, "progress": False}
    from_path = generator(song, **settings).data
    samples, rate = soundfile.read(song, dtype="float32")
    from_array = generator(samples, sampling_rate=rate, **settings).data
    from_bytes = generator(open(song, "rb").read(), **settings).data
    pd.testing.assert_frame_equal(from_path, from_array)
    pd.testing.assert_frame_equal(from_path, from_bytes)
    for key in ("raw", "array"):  # as transformers' audio pipelines and datasets' Audio column give samples
        pd.testing.assert_frame_equal(from_path, generator({key: samples, "sampling_rate": rate}, **settings).data)
    with pytest.raises(AudioError, match="sampling_rate"):
        generator({"array": samples}, **settings)
    with open(song, "rb") as file:  # an open file was taken for an array: "needs its `sampling_rate`"
        pd.testing.assert_frame_equal(from_path, generator(file, **settings).data)
    # what a `datasets` Audio column gives: undecoded, the file's path or bytes (refused: "needs its samples under
    # `raw`"); decoded, a torchcodec AudioDecoder (read as an array of objects)
    import datasets

    for row in ({"audio": song}, {"audio": {"bytes": open(song, "rb").read(), "path": "song.wav"}}):
        column = datasets.Dataset.from_list([row]).cast_column("audio", datasets.Audio(decode=False))
        pd.testing.assert_frame_equal(from_path, generator(column[0]["audio"], **settings).data)

    class AudioDecoder:  # torchcodec's, as far as the pipeline reads it
        def get_all_samples(self):
            return type("AudioSamples", (), {"data": torch.from_numpy(samples[None]), "sample_rate": rate})()

    pd.testing.assert_frame_equal(from_path, generator(AudioDecoder(), **settings).data)
    other = str(CORPUS / "ppy-osu-tests" / "audio" / "test-sample.mp3")
    batched = generator([song, other], **settings)
    pd.testing.assert_frame_equal(batched[0].data, from_path)
    pd.testing.assert_frame_equal(batched[1].data, generator(other, **settings).data)


def test_legacy_beams_past_the_vocabulary_or_the_memory_bound_are_refused(generator, song):
    # a width above the vocabulary failed in torch ("selected index k out of range"); four beams of 85 with a
    # max_beam_width of 100,000 allocated until numpy refused 61 GiB
    from beart.modeling.generation_beart import LEGACY_BATCH_BYTES, check_beam_widths

    settings = {"mode": "mania", "strategy": "legacy", "end": 2.0, "progress": False}
    with pytest.raises(ValueError, match="a beam keeps at most the 85 tokens of the vocabulary, got 86"):
        generator(song, beams=[86, 1, 1, 1], **settings)
    with pytest.raises(ValueError, match=r"score up to 100,000 candidates in one forward pass, 61\.0 GiB"):
        generator(song, beams=[85, 85, 85, 85], max_beam_width=100_000, **settings)
    # the candidates one pass scores: the widths before it multiplied, cut to max_beam_width after each beam
    row = LEGACY_BATCH_BYTES // 400
    check_beam_widths([20, 20, 1, 1], None, 85, row)  # 400 candidates in the third pass
    with pytest.raises(ValueError, match="score up to 420 candidates"):
        check_beam_widths([21, 20, 1, 1], None, 85, row)
    check_beam_widths([21, 20, 1, 1], 400, 85, row)
    with pytest.raises(ValueError, match="score up to 401 candidates"):
        check_beam_widths([85, 85, 85, 85], 401, 85, row)


def test_a_long_list_of_songs_is_decoded_a_batch_at_a_time_with_the_same_maps(generator, song, monkeypatch, tmp_path):
    # every song of a list was read, analysed and decoded at once: a folder of songs was held whole
    from beart.generation import pipeline_beatmap_generation

    other = str(CORPUS / "ppy-osu-tests" / "audio" / "test-sample.mp3")
    settings = {"mode": "taiko", "top_k": 1, "end": 4.0, "progress": False}
    alone = [generator(audio, **settings).data for audio in (song, other, song)]
    analysed = []
    preprocess = generator.preprocess
    monkeypatch.setattr(generator, "preprocess", lambda audio, **kwargs: analysed.append(audio) or preprocess(audio))
    decode = generator._decode

    def counted_decode(songs, **kwargs):
        analysed.append(len(songs))
        return decode(songs, **kwargs)

    monkeypatch.setattr(generator, "_decode", counted_decode)
    monkeypatch.setattr(pipeline_beatmap_generation, "SONGS_PER_BATCH", 2)
    batched = generator([song, other, song], **settings)
    assert analysed == [song, other, 2, song, 1]
    for one, expected in zip(batched, alone):
        pd.testing.assert_frame_equal(one.data, expected)
    # transformers' `batch_size`, in the call or the pipeline's, sets the songs per batch ("Unknown generation options")
    analysed.clear()
    batched = generator([song, other, song], batch_size=3, **settings)
    assert analysed == [song, other, song, 3]
    monkeypatch.setattr(generator, "_batch_size", 1)
    analysed.clear()
    generator([song, other], **settings)
    assert analysed == [song, 1, other, 1]
    for size in (0, 1.5, "2"):
        with pytest.raises(ValueError, match="batch_size must be a whole number of songs"):
            generator([song], batch_size=size, **settings)
    # output paths that are not one per song: refused before any song is read
    analysed.clear()
    for paths in (str(tmp_path / "ab"), [str(tmp_path / "a.osz")]):
        with pytest.raises(ValueError, match="one per song"):
            generator([song, other], output_path=paths, **settings)
    assert analysed == []


def test_a_songs_seeded_map_is_the_same_alone_and_in_any_batch(generator, song):
    # the songs of a batch shared one generator: a song's map depended on the songs beside it, and the seed its map
    # records did not remake it alone
    other = str(CORPUS / "ppy-osu-tests" / "audio" / "test-sample.mp3")
    settings = {"mode": "mania", "seed": 3, "end": 4.0, "hit_threshold": 0.3, "hold_threshold": 0.8, "progress": False}
    alone = [generator(audio, **settings) for audio in (song, other)]
    assert all(beatmap.meta["source"]["seed"] == 3 for beatmap in alone)
    assert alone[0].hit_objects()["track"].nunique() > 1  # the drawn tracks
    for batch in ([song, other], [other, song, song]):
        for beatmap in generator(batch, **settings):
            expected = alone[0] if beatmap.meta["audio"] == alone[0].meta["audio"] else alone[1]
            pd.testing.assert_frame_equal(beatmap.data, expected.data)


def test_charts_that_exist_are_refused_before_the_song_is_read(generator, song, tmp_path, monkeypatch):
    folder = tmp_path / "set"
    generator(song, mode="stepmania", end=3.0, seed=1, output_path=str(folder), progress=False)
    assert sorted(os.listdir(folder)) == ["click_120bpm.sm", "click_120bpm.ssc", "click_120bpm.wav"]
    monkeypatch.setattr(generator, "preprocess", lambda *arguments, **kwargs: pytest.fail("the song was read"))
    for difficulty in (0.5, [0.2, 0.8]):
        with pytest.raises(FileExistsError, match=r"click_120bpm\.sm already exists"):
            generator(song, mode="stepmania", difficulty=difficulty, output_path=str(folder), progress=False)
    with pytest.raises(FileExistsError, match=r"click_120bpm\.sm already exists"):
        generator([song], mode="stepmania", output_path=[str(folder)], progress=False)
    (folder / "mine.sm").write_text("kept")
    with pytest.raises(FileExistsError, match=r"mine\.sm already exists"):
        generator(song, mode="stepmania", title="mine", output_path=str(folder), progress=False)
    (folder / "Untitled.ssc").write_text("kept")  # samples carry no title: their charts are named so
    with pytest.raises(FileExistsError, match=r"Untitled\.ssc already exists"):
        generator(np.zeros(44100), sampling_rate=44100, mode="stepmania", output_path=str(folder), progress=False)


def test_sampling_is_seeded(generator, song):
    first, second, third = (
        generator(song, top_k=4, temperature=1.5, seed=seed, end=6.0, progress=False).data for seed in (3, 3, 4)
    )
    pd.testing.assert_frame_equal(first, second)
    assert not first.equals(third)


def test_a_map_made_without_a_seed_records_the_one_drawn_and_remakes_with_it(generator, song):
    settings = {"top_k": 4, "temperature": 1.5, "end": 6.0, "progress": False}
    drawn = [generator(song, **settings) for _ in range(2)]
    seeds = [beatmap.meta["source"]["seed"] for beatmap in drawn]
    assert all(isinstance(seed, int) and 0 <= seed < 2**32 for seed in seeds) and seeds[0] != seeds[1]
    remade = generator(song, seed=seeds[1], **settings)
    pd.testing.assert_frame_equal(remade.data, drawn[1].data)
    assert remade.meta["source"]["seed"] == seeds[1]


@pytest.mark.parametrize("mode", ["osu", "mania"])
def test_fast_strategy_takes_the_trained_prediction_steps_from_one_forward_pass(song, mode):
    # A small random model with the original's initialisation: its predictions depend on the generated history.
    torch.manual_seed(0)
    model = BeartModel(BeartConfig(prediction_steps=3, num_hidden_layers=2)).eval()
    processor = BeartProcessor.from_model_config(model.config)
    three_step = pipeline("beatmap-generation", model=model, processor=processor)
    beatmap = three_step(song, mode=mode, end=3.0, progress=False, playable=False)
    one_step = three_step(song, mode=mode, end=3.0, prediction_steps=1, progress=False, playable=False)
    assert not beatmap.data.equals(one_step.data)
    events = beatmap.data[beatmap.tracks].to_numpy()
    generated = processor.tokenizer.encode_events(events).reshape(-1, len(beatmap.tracks))
    assert len(generated) == 30

    # Independently: one forward pass every 3 steps over what came before, the greedy token of every track read at
    # its current position and the two foresight positions after it; a token that goes on with a hold (its window
    # starts held) only where the track's token before ends held.
    mel_slices = processor.feature_extractor.mel_slices(song)
    num_tracks = len(beatmap.tracks)
    windows = processor.tokenizer.vocabulary.windows
    expected = np.full_like(generated, processor.tokenizer.pad_token_id)
    current = processor.scored_positions(num_tracks)
    for step in range(0, 30, 3):
        inputs = processor(
            mel_slices=mel_slices, beat_tokens=expected, steps=[step], scored_tracks=[0], return_tensors="pt"
        )
        with torch.no_grad():
            logits = model(**{name: inputs[name] for name in processor.model_input_names}).logits[0]
        logits[:, : processor.tokenizer.num_reserved_tokens] = -float("inf")
        for ahead in range(3):
            step_logits = logits[current + ahead].clone()
            for track in range(num_tracks):
                in_hold = step + ahead > 0 and windows[expected[step + ahead - 1, track], -1] == 2
                opens_held = windows[:, 0] == 2
                begins = opens_held & processor.tokenizer.onset_slots[:, 0]
                step_logits[track, torch.from_numpy(begins if in_hold else opens_held & ~begins)] = -float("inf")
            expected[step + ahead] = step_logits.argmax(-1).numpy()
    np.testing.assert_array_equal(generated, expected)


def test_prediction_steps_beyond_what_the_model_learned_are_refused(generator, song):
    with pytest.raises(ValueError, match=r"prediction_steps must lie in \[1, 1\]"):
        generator(song, prediction_steps=2, end=2.0, progress=False)


def test_hit_threshold_weighs_every_object_start_together():
    tokenizer = BeartTokenizer()
    starts = torch.from_numpy(tokenizer.object_start_mask)
    empty, hold = tokenizer.empty_token_id, tokenizer.convert_tokens_to_ids("[hold]")
    hits = [tokenizer.convert_tokens_to_ids(f"[hit:{slot}]") for slot in range(10)]
    probabilities = torch.full((3, tokenizer.vocab_size), 1e-9)
    # Nothing at 0.40 against ten hit slots at 0.06 each (0.60 together): plain argmax says nothing.
    probabilities[0, empty], probabilities[0, hits] = 0.40, 0.06
    probabilities[0, hits[3]] = 0.07
    # A hold going on at 0.55 against hits at 0.45 together.
    probabilities[1, hold], probabilities[1, hits] = 0.55, 0.045
    # Nothing at 0.75, hits at 0.25 together.
    probabilities[2, empty], probabilities[2, hits] = 0.75, 0.025
    logits = probabilities.log()
    logits[:, : tokenizer.num_reserved_tokens] = -float("inf")
    assert logits.argmax(-1).tolist() == [empty, hold, empty]
    # One track, one step: shape (batch_size, num_tracks, steps, vocab_size).
    one_track = logits[:, None, None, :]
    assert threshold_choice(one_track, starts, 0.5).flatten().tolist() == [hits[3], hold, empty]
    assert threshold_choice(one_track, starts, 0.2).flatten().tolist() == [hits[3], hits[0], hits[0]]


def test_hit_threshold_places_one_object_where_the_tracks_together_pass_it():
    tokenizer = BeartTokenizer()
    starts = torch.from_numpy(tokenizer.object_start_mask)
    empty = tokenizer.empty_token_id
    hits = [tokenizer.convert_tokens_to_ids(f"[hit:{slot}]") for slot in range(10)]
    # 4000 rows, four tracks, one step; track t starts an object with probability 0.1 * (t + 1), its best slot 2 + t.
    # Some track does with probability 1 - 0.9 * 0.8 * 0.7 * 0.6 = 0.70, though none alone passes 0.5.
    track_probability = torch.tensor([0.1, 0.2, 0.3, 0.4])
    probabilities = torch.full((4000, 4, 1, tokenizer.vocab_size), 1e-9)
    probabilities[..., empty] = (1 - track_probability)[:, None]
    probabilities[..., hits] = 0.9 * track_probability[:, None, None] / len(hits)
    for track in range(4):
        probabilities[:, track, 0, hits[2 + track]] += 0.1 * track_probability[track]
    logits = probabilities.log()
    logits[..., : tokenizer.num_reserved_tokens] = -float("inf")
    chosen = threshold_choice(logits, starts, 0.5, torch.Generator().manual_seed(0))[..., 0]
    placed = chosen != empty
    assert placed.sum(dim=1).tolist() == [1] * 4000
    assert chosen[placed].tolist() == [hits[2 + track] for track in placed.int().argmax(dim=1).tolist()]
    # The tracks are drawn in proportion to their own probabilities (4000 draws: standard error under 0.008).
    np.testing.assert_allclose(placed.float().mean(dim=0).numpy(), track_probability.numpy(), atol=0.03)
    assert (threshold_choice(logits, starts, 0.75) == empty).all()


def test_the_generation_config_holds_the_decoding_defaults(song, tmp_path):
    torch.manual_seed(0)
    # A model saved before generation_config.json named its defaults in config.decoding_defaults: they carry over.
    model = BeartModel(BeartConfig(num_hidden_layers=2, decoding_defaults={"hit_threshold": 0.3})).eval()
    assert model.can_generate() and model.generation_config.hit_threshold == 0.3
    generator = pipeline("beatmap-generation", model=model, processor=BeartProcessor.from_model_config(model.config))
    settings = {"mode": "taiko", "end": 4.0, "seed": 0, "progress": False, "playable": False}
    by_default = generator(song, **settings)
    assert by_default.meta["source"]["hit_threshold"] == 0.3
    pd.testing.assert_frame_equal(by_default.data, generator(song, hit_threshold=0.3, **settings).data)
    sampled = generator(song, top_k=3, **settings)
    assert sampled.meta["source"]["hit_threshold"] is None and sampled.meta["source"]["top_k"] == 3
    # model.generate is what the pipeline runs: the same tokens for the same settings.
    analysis = generator.preprocess(song)["analysis"]
    tokens, _, first_step = model.generate(analysis.mel_slices, 2, end_step=40, seed=0)
    events = generator.processor.tokenizer.decode_events(tokens).reshape(-1, 2)
    np.testing.assert_array_equal(events, by_default.data[by_default.tracks].to_numpy())
    # ... and from the song's analysis, the same tokens, its priors computed once (the tracker ran here once)
    analysed_tokens, _, _ = model.generate(analysis, 2, end_step=40, seed=0)
    np.testing.assert_array_equal(analysed_tokens, tokens)
    # Saved, the defaults live in generation_config.json and load back from it.
    model.generation_config = GenerationConfig(hit_threshold=0.4, onset_prior=2.0)
    model.save_pretrained(tmp_path)
    assert json.loads((tmp_path / "generation_config.json").read_text())["hit_threshold"] == 0.4
    reloaded = BeartModel.from_pretrained(tmp_path)
    assert reloaded.generation_config.hit_threshold == 0.4 and reloaded.generation_config.onset_prior == 2.0
    with pytest.raises(ValueError, match=r"decoding_defaults holds unknown options \['hit_treshold'\]"):
        BeartModel(BeartConfig(num_hidden_layers=2, decoding_defaults={"hit_treshold": 0.3}))
    with pytest.raises(TypeError, match="Unknown generation options"):
        model.generate(analysis, 2, end_step=10, hit_treshold=0.3)


def test_hit_threshold_must_lie_between_zero_and_one(generator, song):
    with pytest.raises(ValueError, match="hit_threshold"):
        generator(song, hit_threshold=1.5, end=2.0, progress=False)


def test_a_long_song_given_as_samples_is_written_beside_its_map(generator, tmp_path):
    # libvorbis overflows its stack on a long block written in one call (python-soundfile #426): 100 s of samples
    rate = 22050
    samples = 0.1 * np.sin(2 * np.pi * 220.0 * np.arange(100 * rate) / rate).astype(np.float32)
    samples[:: rate // 2] = 0.9  # clicks twice a second
    generator(samples, sampling_rate=rate, mode="osu", end=3.0, output_path=str(tmp_path / "long.osz"), progress=False)
    with zipfile.ZipFile(tmp_path / "long.osz") as archive:
        written, written_rate = soundfile.read(io.BytesIO(archive.read("audio.ogg")))
    assert len(written) / written_rate == pytest.approx(100.0, abs=0.1)


def test_bad_inputs_get_clear_errors(generator, song, tmp_path, fixtures_dir):
    with pytest.raises(FileNotFoundError, match="not found"):
        generator(str(tmp_path / "missing.mp3"))
    with pytest.raises(FileNotFoundError, match="is an address: beart reads audio files, never downloads"):
        generator("https://example.com/song.ogg")  # transformers' audio pipelines download; beart does not
    with pytest.raises(AudioError, match="No audio samples"):
        generator(str(CORPUS / "ppy-osu-tests" / "audio" / "blank.wav"))
    with pytest.raises(AudioError, match="silent"):
        generator(np.zeros(44100, dtype=np.float32), sampling_rate=44100)
    with pytest.raises(AudioError, match="shorter than one beat token"):
        generator(np.random.default_rng(0).uniform(-1, 1, 2000).astype(np.float32), sampling_rate=44100)
    with pytest.raises(BeatmapError, match="Unknown mode 'drums'"):
        generator(song, mode="drums", end=1.0)
    with pytest.raises(BeatmapError, match="tracks must be"):
        generator(song, tracks=["LEFT", "MIDDLE"], end=1.0)
    with pytest.raises(BeatmapError, match="tracks must be .*got 4"):  # a count for names: was a TypeError
        generator(song, tracks=4, end=1.0)
    assert BeatmapGenerationPipeline.resolve_tracks(None, "LEFT") == ("osu", ["LEFT"])  # one name, not its letters
    with pytest.raises(ValueError, match="difficulty"):
        generator(song, difficulty=1.5, end=1.0)
    with pytest.raises(ValueError, match="start < end"):
        generator(song, start=5.0, end=2.0)
    with pytest.raises(ValueError, match=r"start=1.0 s and end=1.04 s round to the same step \(a step is 0.1 s\)"):
        generator(song, start=1.0, end=1.04)  # failed deep in the map's own checks: "The beatmap data has no rows"
    with pytest.raises(TypeError, match="Unknown generation options"):
        generator(song, beam_width=3)
    empty_token = generator.processor.tokenizer.empty_token_id
    with pytest.raises(BeatmapError, match="no hits or holds.*temperature"):
        generator(song, logit_bias={empty_token: 1e6}, end=2.0, output_path=str(tmp_path / "none.osz"), progress=False)
    assert not (tmp_path / "none.osz").exists()


def test_an_output_named_as_a_games_file_is_written_in_that_game_without_a_mode(generator, song, tmp_path):
    # `output_path="song.sm"` without a mode was refused after the model had decoded the song: "osu! maps are
    # written as an .osz ...; name the output with .osz"
    import simfile

    beatmap = generator(song, end=6.0, seed=1, output_path=str(tmp_path / "click.sm"), progress=False)
    assert beatmap.tracks == ["LEFT", "DOWN", "UP", "RIGHT"]
    (chart,) = simfile.open(str(tmp_path / "click.sm")).charts  # the independent parser
    assert chart.stepstype == "dance-single" and chart.notes.count("1") + chart.notes.count("2") > 0
    tja = pytest.importorskip("tja")
    courses = generator(song, end=6.0, seed=1, difficulty=[0.2, 0.8], output_path=str(tmp_path / "click.tja"))
    assert [len(course.tracks) for course in courses] == [2, 2]
    charts = tja.parse_tja((tmp_path / "click.tja").read_text(encoding="utf-8")).charts
    assert len(charts) == 2 and all(segment.notes for chart in charts for segment in chart.segments)
    # a mode or tracks given keep their own game; an `.osz` stays osu!'s default mode
    with pytest.raises(BeatmapError, match=r"name the output with \.osz, or write it with the `stepmania` mode"):
        generator(song, mode="mania", end=6.0, output_path=str(tmp_path / "mania.sm"), progress=False)
    beatmap = generator(song, end=6.0, seed=1, output_path=str(tmp_path / "click.osz"), progress=False)
    assert len(beatmap.tracks) == 1


def test_command_line_generates_osz_and_stepmania(converted_dir, song, tmp_path, capsys):
    output = tmp_path / "click.osz"
    arguments = ["generate", song, "--model", str(converted_dir), "--end", "8", "--top-k", "3", "--seed", "1"]
    assert main([*arguments, "-o", str(output), "--no-progress"]) == 0
    summary, progress = capsys.readouterr()
    assert "objects" in summary and f"seed 1 -> {output}" in summary and output.exists()
    assert "it/s" not in progress and "step/s" not in progress  # no bar, transformers' loading bar neither
    folder = tmp_path / "stepmania"
    assert main([*arguments, "--mode", "stepmania", "-o", str(folder), "--no-progress"]) == 0
    written = parse_simfile((folder / "click_120bpm.sm").read_text(), "click_120bpm.sm")
    assert written.charts[0].steps_type == "dance-single" and (folder / "click_120bpm.wav").exists()
    capsys.readouterr()
    mapset = [*arguments, "--mode", "stepmania", "-o", str(tmp_path / "set"), "--difficulty", "0.2", "0.9"]
    assert main([*mapset, "--no-progress"]) == 0
    assert capsys.readouterr().out.count("beart generate: difficulty") == 2
    written = parse_simfile((tmp_path / "set" / "click_120bpm.sm").read_text(), "click_120bpm.sm")
    assert [chart.slot for chart in written.charts] == ["Easy", "Challenge"]
    assert main(["generate", str(tmp_path / "missing.mp3"), "--model", str(converted_dir)]) == 1
    assert "not found" in capsys.readouterr().err


def test_command_line_maps_several_songs_with_the_model_loaded_once(converted_dir, song, tmp_path, capsys, monkeypatch):
    # `beart generate` took one song: a folder of songs cost a model load each, in a shell loop that stopped at the
    # first song it could not map
    from beart import cli

    other = str(CORPUS / "ppy-osu-tests" / "audio" / "test-sample.mp3")
    (tmp_path / "again").mkdir()
    again = shutil.copy(song, tmp_path / "again" / "click_120bpm.wav")  # the same name in another folder
    (tmp_path / "notes.wav").write_text("no audio")
    loads = []
    load = cli._generator
    monkeypatch.setattr(cli, "_generator", lambda model: loads.append(model) or load(model))
    songs = [song, other, str(tmp_path / "missing.wav"), str(tmp_path / "notes.wav"), str(again)]
    arguments = ["generate", *songs, "--model", str(converted_dir), "--end", "4", "--seed", "1", "--no-progress"]
    assert main([*arguments, "--mode", "tja", "-o", str(tmp_path / "maps")]) == 1
    out, err = capsys.readouterr()
    assert len(loads) == 1 and "mapped 3 of 5 songs" in out
    assert "skipped " + str(tmp_path / "missing.wav") in err and "skipped " + str(tmp_path / "notes.wav") in err
    assert sorted(os.listdir(tmp_path / "maps")) == ["click_120bpm", "click_120bpm (2)", "test-sample"]
    tja = pytest.importorskip("tja")
    for folder in os.listdir(tmp_path / "maps"):
        (chart,) = (tmp_path / "maps" / folder).glob("*.tja")
        assert tja.parse_tja(chart.read_text(encoding="utf-8")).charts  # the independent parser
    # the same again: every map exists, so nothing is mapped and the model is not loaded
    assert main([*arguments[:3], "--model", str(converted_dir), "--mode", "tja", "-o", str(tmp_path / "maps")]) == 1
    assert len(loads) == 1 and capsys.readouterr().err.count("already exists") == 2
    # one title for several songs, and several songs into a file, are refused before anything loads
    assert main([*arguments[:3], "--title", "One", "-o", str(tmp_path / "other")]) == 1
    assert "--title and --artist name one song" in capsys.readouterr().err
    assert main([*arguments[:3], "-o", str(tmp_path / "notes.wav")]) == 1
    assert "is a file" in capsys.readouterr().err and len(loads) == 1


def test_rendered_audio_carries_the_map_onsets():
    import librosa

    beatmap = IntermediateBeatmap.from_hit_objects(
        pd.DataFrame(
            [("LEFT", 500, 500), ("RIGHT", 1250, 1250), ("LEFT", 2000, 2600), ("RIGHT", 3100, 3100)],
            columns=["track", "start", "end"],
        ),
        {"audio": "a.wav", "difficulty": 0.5, "tracks": ["LEFT", "RIGHT"]},
    )
    audio = render_beatmap_audio(beatmap, sampling_rate=22050)
    assert np.abs(audio).max() <= 1.0 and len(audio) == int((beatmap.duration_ms / 1000 + 1.0) * 22050)
    onsets = librosa.onset.onset_detect(y=audio, sr=22050, units="time", backtrack=False) * 1000
    for start in (500, 1250, 2000, 3100):
        assert np.min(np.abs(onsets - start)) < 40
    assert soundfile.info(io.BytesIO(_wav(audio))).frames == len(audio)


def _wav(audio) -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, audio, 22050, format="WAV")
    return buffer.getvalue()


def test_the_bundled_model_generates_without_naming_a_model(tmp_path, capsys, example_song):
    generator = pipeline("beatmap-generation")
    beatmap = generator(
        example_song, mode="mania", seed=0, end=10.0, output_path=str(tmp_path / "d.osz"), progress=False
    )
    assert beatmap.tracks == ["LEFT", "DOWN", "UP", "RIGHT"] and len(beatmap.hit_objects()) > 0
    assert (tmp_path / "d.osz").exists()
    assert main(["generate", example_song, "-o", str(tmp_path / "cli.osz"), "--end", "6", "--no-progress"]) == 0
    assert "objects" in capsys.readouterr().out


def test_a_saved_pipeline_loads_back_as_the_same_pipeline(tmp_path, example_song):
    # `generator.save_pretrained(folder)` failed copying the pipeline's module: "No such file or directory:
    # '.../beart/generation/.beatmaps.intermediate.py'"
    generator = pipeline("beatmap-generation")
    generator.save_pretrained(tmp_path / "saved")
    config = json.loads((tmp_path / "saved" / "config.json").read_text())
    assert "beatmap-generation" in config["custom_pipelines"]
    assert (tmp_path / "saved" / "processor_config.json").exists()
    settings = {"mode": "taiko", "seed": 1, "end": 6.0, "progress": False}
    reloaded = pipeline("beatmap-generation", model=str(tmp_path / "saved"))
    pd.testing.assert_frame_equal(reloaded(example_song, **settings).data, generator(example_song, **settings).data)
    # the bundled model's card goes with it, with the credits its data's licences ask to keep with the weights (the
    # plain card said "Fill in: the maps and songs it was trained on"), marked as carried after its metadata
    card = (tmp_path / "saved" / "README.md").read_text(encoding="utf-8")
    assert "Training songs and their credits" in card and "Fill in" not in card
    assert card.startswith("---\nlicense: apache-2.0\n") and f"---\n{CARRIED_CARD_MARK} (default_model)" in card
    (tmp_path / "file").write_text("kept")
    with pytest.raises(NotADirectoryError, match="is a file"):
        generator.save_pretrained(tmp_path / "file")
    assert (tmp_path / "file").read_text() == "kept"


def test_num_workers_is_taken_as_transformers_pipelines_take_it(generator, song):
    # it was refused: "Unknown generation options ['num_workers']"
    settings = {"seed": 1, "end": 3.0, "progress": False}
    expected = generator(song, **settings).data
    pd.testing.assert_frame_equal(generator(song, num_workers=2, **settings).data, expected)
    pd.testing.assert_frame_equal(generator([song], num_workers=2, **settings)[0].data, expected)


def test_a_callers_generation_config_goes_over_the_models_as_transformers_layers_them(example_song):
    # a GenerationConfig given to `model.generate` replaced the model's (its priors, threshold and cap were lost), and
    # the pipeline refused one ("Unknown generation options ['generation_config']")
    generator = pipeline("beatmap-generation")
    settings = {"mode": "mania", "seed": 1, "end": 8.0, "progress": False}
    expected = generator(example_song, onset_prior=4.0, **settings).data
    layered = generator(example_song, generation_config=GenerationConfig(onset_prior=4.0), **settings).data
    pd.testing.assert_frame_equal(layered, expected)
    assert not expected.equals(generator(example_song, **settings).data)
    over = GenerationConfig(onset_prior=1.0)
    assert not expected.equals(generator(example_song, generation_config=over, **settings).data)
    called = generator(example_song, generation_config=over, onset_prior=4.0, **settings)
    pd.testing.assert_frame_equal(called.data, expected)  # the call's own option over the config's
    every_call = pipeline("beatmap-generation", generation_config=GenerationConfig(onset_prior=4.0))
    pd.testing.assert_frame_equal(every_call(example_song, **settings).data, expected)

    mel_slices = generator.processor.feature_extractor.mel_slices(example_song)
    alone = generator.model.generate(mel_slices, 4, onset_prior=0, seed=0)[0]
    configured = generator.model.generate(mel_slices, 4, generation_config=GenerationConfig(onset_prior=0), seed=0)[0]
    np.testing.assert_array_equal(configured, alone)
    with pytest.raises(TypeError, match=re.escape("Unknown generation options ['do_sample']")):
        generator(example_song, generation_config=GenerationConfig(do_sample=True), **settings)
    with pytest.raises(TypeError, match="must be a GenerationConfig"):
        generator(example_song, generation_config={"hit_threshold": 0.6}, **settings)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_a_model_loaded_in_half_precision_makes_the_float32_map(example_song, dtype, tmp_path):
    # `pipeline(..., dtype=torch.float16)`, as a GPU user loads a model, failed at the first forward pass: "expected m1
    # and m2 to have the same dtype" (the mel slices come from numpy as float32)
    full = pipeline("beatmap-generation")
    half = pipeline("beatmap-generation", dtype=dtype)
    assert half.model.dtype == dtype
    settings = {"mode": "mania", "seed": 1, "end": 10.0, "progress": False}
    expected, beatmap = full(example_song, **settings), half(example_song, **settings)
    assert beatmap.tracks == expected.tracks
    reference, estimated = onset_times(expected), onset_times(beatmap)  # seconds
    f_measure = mir_eval.onset.f_measure(reference, estimated, window=0.01)[0]
    assert len(reference) > 10 and f_measure >= 0.8  # rounding may move a close call (1.0 here), not the map
    # saved, it failed: `pipeline` gives the processor the model's `dtype`, which the tokenizer's settings could not
    # write ("Object of type dtype is not JSON serializable")
    half.save_pretrained(tmp_path / "half")
    reloaded = pipeline("beatmap-generation", model=str(tmp_path / "half"))
    assert reloaded.model.dtype == dtype
    pd.testing.assert_frame_equal(reloaded(example_song, **settings).data, beatmap.data)

def test_options_of_the_other_strategy_are_named_as_ignored(generator, song, caplog):
    with caplog.at_level("WARNING"):
        generator(song, strategy="legacy", hit_threshold=0.3, end=1.5, seed=0, progress=False)
        # the original's beam search decodes the map's own track: one beam width per track, as it had
        legacy = generator(song, strategy="legacy", decode_tracks=4, beams=[3], end=1.5, seed=0, progress=False)
        generator(song, beams=[3], end=1.5, seed=0, progress=False)
        generator(song, hit_threshold=0.3, end=1.5, seed=0, progress=False)
    warnings = [record.getMessage() for record in caplog.records if "ignores" in record.getMessage()]
    assert legacy.tracks == ["LEFT"] and legacy.meta["source"]["decode_tracks"] == 4
    assert warnings == [
        "The legacy strategy ignores ['hit_threshold']: they are fast options.",
        "The legacy strategy ignores ['decode_tracks']: they are fast options.",
        "The fast strategy ignores ['beams']: they are legacy options.",
    ]


def test_generate_example_writes_a_map_per_difficulty_and_reports_it(tmp_path, example_song):
    script = Path(__file__).resolve().parents[1] / "examples" / "generate.py"
    command = [sys.executable, str(script), example_song, str(tmp_path), "--mode", "taiko"]
    command += ["--difficulties", "0.1", "0.9"]
    printed = subprocess.run(command, capture_output=True, text=True, check=True).stdout.splitlines()
    maps = {}
    for level in ("0.10", "0.90"):
        with zipfile.ZipFile(tmp_path / f"drums [{level}].osz") as archive:
            (name,) = [member for member in archive.namelist() if member.endswith(f"[BEaRT {level}].osu")]
            maps[level] = parse_osu(archive.read(name))
    easy, hard = maps["0.10"], maps["0.90"]
    assert easy.value("General", "Mode") == "1" and 0 < len(easy.hit_objects) < len(hard.hit_objects)
    rows = {line.split()[0]: line.split() for line in printed[1:]}
    # The table counts the generated objects per track; taiko merges a hit on both drums at once into one object.
    for level, beatmap in maps.items():
        assert 0 < len(beatmap.hit_objects) <= int(rows[level][1]) <= 2 * len(beatmap.hit_objects)
    assert float(rows["0.10"][4]) < float(rows["0.90"][4]), "stars rise with the difficulty"
    # a song-folder game (its modes were no choice of the example): a TJA song folder per difficulty
    tja = pytest.importorskip("tja")
    command = [sys.executable, str(script), example_song, str(tmp_path / "tja"), "--mode", "tja"]
    command += ["--difficulties", "0.5"]
    printed = subprocess.run(command, capture_output=True, text=True, check=True).stdout.splitlines()
    assert printed[1].endswith(str(tmp_path / "tja" / "drums [0.50]" / "drums.tja"))
    assert tja.parse_tja((tmp_path / "tja" / "drums [0.50]" / "drums.tja").read_text(encoding="utf-8")).charts


def test_written_maps_follow_the_songs_beat_grid(tmp_path, example_song):
    # examples/drums.ogg was made at 128 BPM with a kick on every beat from 1,875 ms (examples/make_example_song.py);
    # the tempo head alone reads it as about 174 BPM.
    generator = pipeline("beatmap-generation")
    generator(example_song, mode="mania", seed=0, output_path=str(tmp_path / "drums.osz"), progress=False)
    with zipfile.ZipFile(tmp_path / "drums.osz") as archive:
        (name,) = [member for member in archive.namelist() if member.endswith(".osu")]
        timing = parse_osu(archive.read(name)).timing_points
    assert len(timing) == 1 and timing["beat_length"].iloc[0] == pytest.approx(60000.0 / 128)
    phase = (timing["time"].iloc[0] - 1875.0) % (60000.0 / 128)
    assert min(phase, 60000.0 / 128 - phase) <= 15.0
    generator(example_song, mode="stepmania", seed=0, start=5.0, output_path=str(tmp_path / "sm"), progress=False)
    (simfile,) = [name for name in os.listdir(tmp_path / "sm") if name.endswith(".sm")]
    written = parse_simfile((tmp_path / "sm" / simfile).read_text(), simfile)
    assert written.entries["BPMS"].value == "0.000000=128.000000"
    kick_phase = (1875.0 + 1000.0 * float(written.entries["OFFSET"].value)) % (60000.0 / 128)
    assert min(kick_phase, 60000.0 / 128 - kick_phase) <= 15.0


def test_one_analysis_serves_every_map_of_a_song(generator, song, monkeypatch):
    tracked = []
    track_beats = audio_priors.track_beats
    monkeypatch.setattr(audio_priors, "track_beats", lambda *args: tracked.append(args) or track_beats(*args))
    analysis = generator.preprocess(song)["analysis"]
    settings = {"mode": "mania", "seed": 0, "end": 6.0, "progress": False, "beat_prior": 2.0}
    maps = [generator(analysis, difficulty=difficulty, **settings) for difficulty in (0.2, 0.8)]
    assert len(tracked) == 1  # the beat prior and the written timing of both maps share one run of the tracker
    from_path = generator(song, difficulty=0.8, **settings)
    assert len(tracked) == 2  # a new song (a path) is analysed anew
    events = ["TIME", *maps[1].tracks]  # integers, compared exactly; the fitted tempo (a float) with a tolerance
    np.testing.assert_array_equal(maps[1].data[events].to_numpy(), from_path.data[events].to_numpy())
    np.testing.assert_allclose(maps[1].data["TEMPO"], from_path.data["TEMPO"], rtol=1e-9)
    assert maps[0].hit_objects().shape[0] > 0


def test_without_a_beat_grid_the_written_tempo_is_the_tempo_heads_median():
    times = np.arange(300) * 10
    beatmap = IntermediateBeatmap(
        {"TIME": times, "TEMPO": np.where(times < 1000, 140.0, 150.0), "LEFT": np.zeros(300, dtype=np.uint8)},
        {"audio": "a.ogg", "difficulty": 0.5, "tracks": ["LEFT"]},
    )
    tempo = BeatmapGenerationPipeline.written_tempo(beatmap, SongAnalysis(np.zeros((30, 10, 32), dtype=np.float32)))
    assert tempo.tolist() == [150.0] * 300


def test_the_processor_decodes_tokens_back_into_a_map():
    processor = BeartProcessor.from_model_config(BeartConfig())
    events = np.zeros((30, 2), dtype=np.uint8)
    events[[3, 12], 0] = 1
    events[15:22, 1] = 2
    tokens = processor.tokenizer.encode_events(events).reshape(-1, 2)
    beatmap = processor.decode(tokens, np.array([120.0, 120.0, 130.0]), 4, ["LEFT", "RIGHT"], {"audio": "a.ogg",
                               "difficulty": 0.4})  # fmt: skip
    assert beatmap.tracks == ["LEFT", "RIGHT"] and beatmap.data["TIME"].iloc[0] == 400
    np.testing.assert_array_equal(beatmap.data[["LEFT", "RIGHT"]].to_numpy(), events)
    assert list(beatmap.hit_objects()["start"]) == [430, 520, 550]
    np.testing.assert_allclose(beatmap.data["TEMPO"].to_numpy()[[0, 19, 20]], [120, 120, 130])


def test_logits_processors_compose_and_a_callers_runs_after_the_built_in_ones(song):
    from transformers import LogitsProcessor, LogitsProcessorList

    from beart.modeling.logits_process import AudioPriorLogitsProcessor, SuppressReservedTokensLogitsProcessor
    from beart.processing.audio_priors import audio_prior_bias

    torch.manual_seed(0)
    model = BeartModel(BeartConfig(num_hidden_layers=2)).eval()
    processor = BeartProcessor.from_model_config(model.config)
    starts = torch.from_numpy(processor.tokenizer.object_start_mask)
    scores = torch.randn(2, 1, 3, model.config.vocab_size)
    evidence = [np.random.default_rng(seed).random((20, processor.tokenizer.groups)) for seed in (0, 1)]
    onset_slots = torch.from_numpy(processor.tokenizer.onset_slots)
    processors = LogitsProcessorList(
        [SuppressReservedTokensLogitsProcessor(processor.tokenizer.num_reserved_tokens),
         AudioPriorLogitsProcessor(2.0, evidence, onset_slots)]
    )  # fmt: skip
    processed = processors(None, scores, songs=[1, 0], first_step=4)
    window = torch.from_numpy(np.stack([evidence[1][4:7], evidence[0][4:7]]).astype(np.float32))
    expected = scores + audio_prior_bias(window, onset_slots, 2.0)[:, None]
    assert torch.isinf(processed[..., : processor.tokenizer.num_reserved_tokens]).all()
    torch.testing.assert_close(processed[..., processor.tokenizer.num_reserved_tokens :],
                               expected[..., processor.tokenizer.num_reserved_tokens :])  # fmt: skip

    class NoObjects(LogitsProcessor):
        def __call__(self, input_ids, scores):
            return scores.masked_fill(starts, -float("inf"))

    mel_slices = processor.feature_extractor.mel_slices(song)
    free, _, _ = model.generate(mel_slices, 2, end_step=20, seed=0, top_k=3)
    assert np.isin(free, np.flatnonzero(starts.numpy())).any()
    silenced, _, _ = model.generate(mel_slices, 2, end_step=20, seed=0, top_k=3,
                                    logits_processor=LogitsProcessorList([NoObjects()]))  # fmt: skip
    assert not np.isin(silenced, np.flatnonzero(starts.numpy())).any()


def test_holds_go_on_only_where_one_began_and_last_as_long_as_the_model_holds(song):
    torch.manual_seed(0)
    model = BeartModel(BeartConfig(num_hidden_layers=2)).eval()
    processor = BeartProcessor.from_model_config(model.config)
    names = processor.tokenizer.vocabulary.token_names
    windows = processor.tokenizer.vocabulary.windows
    mel_slices = processor.feature_extractor.mel_slices(song)

    class Favour(LogitsProcessor):
        def __init__(self, biases):
            self.biases = biases

        def __call__(self, input_ids, scores):
            scores = scores.clone()
            for name, bias in self.biases.items():
                scores[..., names.index(name)] += bias
            return scores

    # A model that would rather hold than anything else: each track begins its hold at once, and holds to the end.
    favour_holding = Favour({"[hold]": 100, "[hold_start:0]": 50})
    held, _, _ = model.generate(
        mel_slices, 4, end_step=20, top_k=1, logits_processor=LogitsProcessorList([favour_holding])
    )
    assert (held[0] == names.index("[hold_start:0]")).all() and (held[1:] == names.index("[hold]")).all()
    assert (processor.tokenizer.decode_events(held) == 2).all()

    # A model that would rather end a hold: no hold ends that never began; an ending follows a begun hold.
    favour_ending = Favour({"[hold_end:4]": 100, "[hold_start:6]": 50})
    ending, _, _ = model.generate(
        mel_slices, 4, end_step=20, top_k=1, logits_processor=LogitsProcessorList([favour_ending])
    )
    held_before = np.vstack([np.zeros((1, 4), bool), windows[ending[:-1], -1] == 2])
    assert not ((windows[ending, 0] == 2) & ~held_before).any()
    assert (ending[0::2] == names.index("[hold_start:6]")).all() and (ending[1::2] == names.index("[hold_end:4]")).all()


def test_a_map_takes_its_songs_title_and_artist_from_the_audio_files_tags(generator, song, tmp_path):
    samples, rate = soundfile.read(song, dtype="float32")
    tagged = tmp_path / "track01.mp3"
    with soundfile.SoundFile(tagged, "w", rate, 1, format="MP3") as audio_file:
        audio_file.title, audio_file.artist = "千本桜", "黒うさP"  # written as ID3 tags
        audio_file.write(samples if samples.ndim == 1 else samples.mean(axis=1))
    options = {"mode": "mania", "end": 4.0, "seed": 0, "progress": False}
    beatmap = generator(str(tagged), output_path=str(tmp_path / "song.osz"), **options)
    assert (beatmap.meta["title"], beatmap.meta["artist"]) == ("千本桜", "黒うさP")
    with zipfile.ZipFile(tmp_path / "song.osz") as archive:
        text = archive.read(next(name for name in archive.namelist() if name.endswith(".osu"))).decode("utf-8")
    assert "Title:千本桜" in text and "Artist:黒うさP" in text
    named = generator(str(tagged), title="Senbonzakura", **options)
    assert (named.meta["title"], named.meta["artist"]) == ("Senbonzakura", "黒うさP")
    assert generator(song, **options).meta["title"] == "click_120bpm"  # no tags: the file's name


@pytest.mark.parametrize("mode", ["mania", "stepmania", "tja"])
def test_several_difficulties_make_one_mapset_from_one_analysis(generator, song, tmp_path, mode, monkeypatch):
    from beart.beatmaps.formats import open_beatmap_set

    analyses = []
    original = SongAnalysis.from_audio
    monkeypatch.setattr(SongAnalysis, "from_audio", lambda *a, **k: analyses.append(1) or original(*a, **k))
    output = tmp_path / ("set.osz" if mode == "mania" else "set")
    options = {"mode": mode, "end": 4.0, "seed": 0, "progress": False}
    beatmaps = generator(song, difficulty=[0.2, 0.8], output_path=str(output), **options)
    assert len(analyses) == 1 and [beatmap.difficulty for beatmap in beatmaps] == pytest.approx([0.2, 0.8])
    (written_path,) = {beatmap.meta["output_path"] for beatmap in beatmaps}
    beatmap_set = open_beatmap_set(written_path)
    assert len(beatmap_set.difficulty_names) == 2  # names of their own, also where the star ratings name them alike
    written = [beatmap_set.read(name, for_training=False) for name in beatmap_set.difficulty_names]
    counts = sorted(len(beatmap.hit_objects().drop_duplicates("start")) for beatmap in written)
    assert counts == sorted(len(beatmap.hit_objects().drop_duplicates("start")) for beatmap in beatmaps)
    one = generator(song, difficulty=0.8, **options)  # the same map as the set's, made alone
    pd.testing.assert_frame_equal(one.hit_objects(), beatmaps[1].hit_objects())


def test_a_set_its_format_cannot_hold_fails_before_anything_is_generated(generator, song, tmp_path, monkeypatch):
    def no_generation(*args, **kwargs):
        raise AssertionError("generated before the set was refused")

    monkeypatch.setattr(generator.model, "generate", no_generation)
    with pytest.raises(BeatmapError, match="holds at most 4 difficulties; 5 were asked for"):
        generator(song, mode="fretsonfire", difficulty=[0.1, 0.3, 0.5, 0.7, 0.9], output_path=str(tmp_path / "song"))
    assert not (tmp_path / "song").exists()
