"""What a decoding may leave out: the far history (`history_steps`) and the least likely objects (`max_density`)."""

import numpy as np
import pytest
import torch

from beart import BeartConfig, BeartModel, BeartProcessor, BeartTokenizer
from beart.beatmaps.playability import PLAYABLE_SUBDIVISIONS
from beart.decoding_options import (
    DecodingOptions,
    decoded_track_count,
    density_multiple,
    history_steps_for,
    read_decode_tracks,
    read_history_steps,
    read_max_density,
    typical_notes_per_beat,
)
from beart.modeling.generation_beart import ContextScorer, cap_notes
from beart.modeling.logits_process import HoldGrammarLogitsProcessor
from beart.processing import SongAnalysis


@pytest.fixture(scope="module")
def small_model():
    torch.manual_seed(0)
    model = BeartModel(BeartConfig(num_hidden_layers=2)).eval()
    return model, BeartProcessor.from_model_config(model.config)


@pytest.mark.parametrize("num_tracks, past", [(1, 447), (2, 223), (4, 111)])
def test_the_kept_positions_are_each_tracks_first_its_nearest_history_its_current_token_and_foresight(
    num_tracks, past
):
    processor = BeartProcessor.from_model_config(BeartConfig())
    kept = processor.kept_positions(num_tracks, 20)
    width = 512 // num_tracks
    expected = np.concatenate(
        [[track * width, *range(track * width + past - 20, (track + 1) * width)] for track in range(num_tracks)]
    )
    np.testing.assert_array_equal(kept, expected)
    current = processor.scored_positions(num_tracks)
    assert np.isin(current, kept).all() and np.isin(current - 20, kept).all() and not np.isin(current - 21, kept).any()
    assert processor.kept_positions(num_tracks, None) is None
    assert processor.kept_positions(num_tracks, 0) is None
    assert processor.kept_positions(num_tracks, past - 1) is None  # the whole history: nothing to leave out


def test_a_history_per_track_count_keeps_each_counts_own_history(tmp_path):
    processor = BeartProcessor.from_model_config(BeartConfig())
    # one number per track count: in Python, as JSON writes it, as the command line takes it; 2 tracks not named
    for history in ({1: 64, 4: 16}, {"1": 64, "4": 16}, "1:64,4:16"):
        np.testing.assert_array_equal(processor.kept_positions(1, history), processor.kept_positions(1, 64))
        np.testing.assert_array_equal(processor.kept_positions(4, history), processor.kept_positions(4, 16))
        assert processor.kept_positions(2, history) is None
    assert read_history_steps("64") == 64 and history_steps_for(None, 4) == 0
    BeartConfig(train_history_steps={1: 64, 4: 16}).save_pretrained(tmp_path)
    assert BeartConfig.from_pretrained(tmp_path).train_history_steps == {1: 64, 4: 16}


@pytest.mark.parametrize("history", [-1, 1.5, float("inf"), True, [64], "64,4:16", "1:64,four", {0: 8}, {1: -8}])
def test_a_history_that_is_no_whole_number_per_track_count_is_refused(history):
    with pytest.raises(ValueError, match="history_steps"):
        read_history_steps(history)
    with pytest.raises(ValueError, match="train_history_steps"):
        BeartConfig(train_history_steps=history)


def test_the_layout_a_map_is_decoded_with_is_its_own_unless_a_larger_one_is_named():
    # one count for every map of fewer tracks, one per track count (as Python, JSON and the command line write it)
    assert [decoded_track_count(2, tracks) for tracks in (1, 2, 4)] == [2, 2, 4]
    for layout in ({1: 4}, {"1": "4"}, "1:4"):
        assert [decoded_track_count(layout, tracks) for tracks in (1, 2, 4)] == [4, 2, 4]
    assert [decoded_track_count(value, 1) for value in (None, 0, {2: 4})] == [1, 1, 1]


@pytest.mark.parametrize("layout", [3, -2, 1.5, "two", {2: 1}, {0: 2}, "1:3", {4: 2}])
def test_a_layout_of_no_track_count_or_of_fewer_tracks_is_refused(layout):
    with pytest.raises(ValueError, match="decode_tracks"):
        read_decode_tracks(layout)
    with pytest.raises(ValueError, match="decode_tracks"):
        DecodingOptions(decode_tracks=layout).validate(1)


def test_with_a_short_history_the_far_past_no_longer_reaches_the_logits(small_model):
    model, processor = small_model
    rng = np.random.default_rng(0)
    mel_slices = rng.uniform(0.0, 1.0, (300, 10, 32)).astype(np.float32)
    steps = np.array([250])
    features = processor.audio_windows(mel_slices, steps, 2)
    token_type_ids = processor.track_ids(2)[None, :]
    positions = processor.scored_positions(2)[None, :, None]
    near = np.full((300, 2), processor.tokenizer.empty_token_id)
    far_changed = near.copy()
    far_changed[100:200] = processor.tokenizer.convert_tokens_to_ids("[hit:3]")  # 50 to 150 steps back
    near_changed = near.copy()
    near_changed[240:250] = processor.tokenizer.convert_tokens_to_ids("[hit:3]")  # within the last 10

    def logits(beat_tokens, history_steps):
        input_ids, _ = processor.build_beat_context(beat_tokens, steps, 0.5, np.zeros(1, int))
        scorer = ContextScorer(model, processor, DecodingOptions(history_steps=history_steps), num_tracks=2)
        return scorer(input_ids, token_type_ids, features, positions)[1]

    torch.testing.assert_close(logits(near, 40), logits(far_changed, 40))
    assert not torch.allclose(logits(near, 40), logits(near_changed, 40))
    assert not torch.allclose(logits(near, None), logits(far_changed, None))
    # the whole history kept reads as the model without the option
    torch.testing.assert_close(logits(far_changed, 222), logits(far_changed, None))


def test_a_model_reads_positions_given_in_place_as_the_whole_row(small_model):
    model, processor = small_model
    rng = np.random.default_rng(1)
    input_ids = torch.as_tensor(rng.integers(8, 85, (2, 512)))
    features = torch.as_tensor(rng.uniform(0.0, 1.0, (2, 512, 10, 32)).astype(np.float32))
    with torch.no_grad():
        plain = model(input_ids=input_ids, input_features=features).logits
        placed = model(input_ids=input_ids, input_features=features, position_ids=torch.arange(512)).logits
        shifted = model(input_ids=input_ids, input_features=features, position_ids=torch.arange(512).roll(1)).logits
    torch.testing.assert_close(plain, placed)
    assert not torch.allclose(plain, shifted)
    with pytest.raises(ValueError, match="position_ids"):
        model(input_ids=input_ids, input_features=features, position_ids=torch.arange(512) + 1)


@pytest.mark.parametrize("num_tracks", [1, 2, 4])
@pytest.mark.parametrize("attn_implementation", ["sdpa", "eager"])
def test_training_on_a_masked_row_reads_as_decoding_on_the_kept_positions(small_model, num_tracks, attn_implementation):
    # `train_history_steps` masks the far history out of attention over the whole row; decoding with `history_steps`
    # leaves those positions out of the input: the kept positions must read the same, tempo included.
    model, processor = small_model
    model.config._attn_implementation = attn_implementation
    rng = np.random.default_rng(num_tracks)
    input_ids = torch.as_tensor(rng.integers(8, 85, (2, 512)))
    token_type_ids = torch.as_tensor(np.tile(processor.track_ids(num_tracks), (2, 1)))
    features = torch.as_tensor(rng.uniform(0.0, 1.0, (2, 512, 10, 32)).astype(np.float32))
    kept = processor.kept_positions(num_tracks, 30)
    attention_mask = torch.zeros(2, 512, dtype=torch.long)
    attention_mask[:, kept] = 1
    with torch.no_grad():
        masked = model(
            input_ids=input_ids, token_type_ids=token_type_ids, input_features=features, attention_mask=attention_mask
        )
        left_out = model(
            input_ids=input_ids[:, kept], token_type_ids=token_type_ids[:, kept], input_features=features[:, kept],
            position_ids=torch.as_tensor(kept),
        )  # fmt: skip
        whole = model(input_ids=input_ids, token_type_ids=token_type_ids, input_features=features)
    model.config._attn_implementation = "sdpa"
    torch.testing.assert_close(masked.logits[:, kept], left_out.logits, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(masked.tempo, left_out.tempo, rtol=1e-4, atol=1e-3)
    assert not torch.allclose(masked.logits[:, kept], whole.logits[:, kept], atol=1e-3)


def test_an_attention_mask_must_keep_the_first_position_and_match_the_rows(small_model):
    model, _ = small_model
    input_ids = torch.full((1, 512), 9)
    features = torch.zeros(1, 512, 10, 32)
    with pytest.raises(ValueError, match="attention_mask"):
        model(input_ids=input_ids, input_features=features, attention_mask=torch.ones(1, 511))
    no_first = torch.ones(1, 512)
    no_first[0, 0] = 0
    with pytest.raises(ValueError, match="first position"):
        model(input_ids=input_ids, input_features=features, attention_mask=no_first)


def test_generation_with_a_short_history_is_the_whole_context_where_that_is_all_there_is(small_model):
    model, processor = small_model
    mel_slices = np.random.default_rng(2).uniform(0.0, 1.0, (60, 10, 32)).astype(np.float32)
    settings = {"num_tracks": 4, "seed": 0, "hit_threshold": 0.5, "processor": processor}
    whole, _, _ = model.generate(mel_slices, **settings)
    short, _, _ = model.generate(mel_slices, history_steps=8, **settings)
    kept_all, _, _ = model.generate(mel_slices, history_steps=110, **settings)
    np.testing.assert_array_equal(kept_all, whole)
    assert short.shape == whole.shape
    # a history per track count, given or read from the generation config (as JSON writes it), is the 4 tracks' own
    by_tracks, _, _ = model.generate(mel_slices, history_steps={1: 100, 4: 8}, **settings)
    np.testing.assert_array_equal(by_tracks, short)
    model.generation_config.history_steps = {"1": 100, "4": 8}
    try:
        from_defaults, _, _ = model.generate(mel_slices, **settings)
    finally:
        del model.generation_config.history_steps
    np.testing.assert_array_equal(from_defaults, short)
    with pytest.raises(ValueError, match="history_steps"):
        model.generate(mel_slices, history_steps=-1, **settings)


def _vocabulary():
    tokenizer = BeartTokenizer()
    grammar = HoldGrammarLogitsProcessor(tokenizer.vocabulary.windows, tokenizer.onset_slots)
    return tokenizer, tokenizer.onset_slots, grammar.ends_holding.numpy()


def test_the_cap_drops_the_least_likely_objects_until_the_budget_holds():
    tokenizer, onset_slots, ends_holding = _vocabulary()
    ids = tokenizer.convert_tokens_to_ids
    none, hit, double = ids("[none]"), ids("[hit:2]"), ids("[hit:1|hit:6]")
    beat_tokens = np.array([[hit, none], [none, double], [hit, none], [none, none], [none, hit]])
    scores = np.array([0.9, 0.5, 0.6, 0.1, 0.7], dtype=np.float32)
    quiet = np.full_like(beat_tokens, none)
    # 5 notes (the double token holds two); a budget of 3 drops the least likely step, the double (0.5)
    kept = cap_notes(beat_tokens, scores, quiet, 3, onset_slots, ends_holding)
    np.testing.assert_array_equal(kept[:, 1], [none, none, none, none, hit])
    np.testing.assert_array_equal(kept[:, 0], beat_tokens[:, 0])
    # a budget of 2 drops the double and then the next least likely, step 2 (0.6)
    kept = cap_notes(beat_tokens, scores, quiet, 2, onset_slots, ends_holding)
    assert onset_slots[kept].any(axis=1).sum() == 2
    np.testing.assert_array_equal(kept[[0, 4]], beat_tokens[[0, 4]])
    # within the budget nothing moves
    np.testing.assert_array_equal(cap_notes(beat_tokens, scores, quiet, 5, onset_slots, ends_holding), beat_tokens)


def test_the_cap_keeps_holds_whole():
    tokenizer, onset_slots, ends_holding = _vocabulary()
    ids = tokenizer.convert_tokens_to_ids
    none, hit = ids("[none]"), ids("[hit:4]")
    start, hold, end_and_hit, end = ids("[hold_start:3]"), ids("[hold]"), ids("[hold_end:2|hit:8]"), ids("[hold_end:2]")
    beat_tokens = np.array([[start], [hold], [end_and_hit], [hit]])
    quiet = np.array([[none], [hold], [end], [none]])
    scores = np.array([0.1, 0.2, 0.3, 0.9], dtype=np.float32)
    kept = cap_notes(beat_tokens, scores, quiet, 0, onset_slots, ends_holding)
    # the hold's start stays (dropping it would leave [hold] without a hold); the hit after its end goes, the end stays
    np.testing.assert_array_equal(kept[:, 0], [start, hold, end, none])


def test_a_cap_per_difficulty_holds_from_each_difficulty_it_names_on():
    for cap in ({0: 1.0, 0.5: 1.5}, {"0": 1, "0.5": "1.5"}, "0:1,0.5:1.5"):
        assert read_max_density(cap) == {0.0: 1.0, 0.5: 1.5}
        assert [density_multiple(cap, difficulty) for difficulty in (0.0, 0.49, 0.5, 1.0)] == [1.0, 1.0, 1.5, 1.5]
    assert density_multiple({0.3: 2.0, 0.6: 1.0}, 0.1) == 2.0  # below every difficulty named: the lowest's
    assert density_multiple(1.5, 0.2) == 1.5 and density_multiple(None, 0.2) == 0.0
    beats = 100
    easy = DecodingOptions(difficulty=0.2, max_density="0:1,0.5:1.5").note_budget(beats)
    assert easy == int(1.0 * typical_notes_per_beat(0.2) * beats)
    assert DecodingOptions(difficulty=0.2, max_density={0: 0, 0.5: 1.5}).note_budget(beats) is None  # 0: no cap


@pytest.mark.parametrize("cap", ["0:-1", "2:1", "lots", "0:1,0.5", {}, float("inf"), float("nan")])
def test_a_cap_that_reads_wrong_is_refused(cap):
    with pytest.raises(ValueError, match="max_density"):
        DecodingOptions(max_density=cap).validate(1)


def test_generation_under_the_cap_holds_at_most_its_budget_of_notes(small_model):
    model, processor = small_model
    rng = np.random.default_rng(3)
    mel_slices = rng.uniform(0.0, 1.0, (80, 10, 32)).astype(np.float32)
    analysis = SongAnalysis(mel_slices)
    analysis.beats = np.arange(0, 800, 50)  # a beat every 500 ms: 16 beats over the 8 s
    analysis.beat_grid = (120.0, 0.0)
    holds = [index for index, token in enumerate(processor.tokenizer.convert_ids_to_tokens(range(85))) if "hold" in token]
    settings = {
        "num_tracks": 2, "seed": 0, "hit_threshold": 0.05, "processor": processor, "difficulty": 0.5,
        "logit_bias": {index: -100.0 for index in holds},  # hits only: a hold is never dropped
    }  # fmt: skip
    free, _, _ = model.generate(analysis, **settings)
    capped, _, _ = model.generate(analysis, max_density=1.0, **settings)
    # no cap below difficulty 0.6 leaves this map (difficulty 0.5) as it was; a multiple from 0 on caps it as one
    np.testing.assert_array_equal(model.generate(analysis, max_density={0: 0, 0.6: 1.0}, **settings)[0], free)
    np.testing.assert_array_equal(model.generate(analysis, max_density="0:1,0.6:3", **settings)[0], capped)
    notes = lambda tokens: int(processor.tokenizer.onset_slots[tokens].any(axis=1).sum())  # noqa: E731
    budget = int(typical_notes_per_beat(0.5) * 16)
    assert notes(free) > budget
    assert notes(capped) <= budget
    kept = processor.tokenizer.onset_slots[capped].any(axis=(1, 2))
    np.testing.assert_array_equal(capped[kept], free[kept])  # what stays is what was chosen
    # the weakest places of the metre go first: no kept step's strongest note is weaker than a dropped step's
    onsets = processor.tokenizer.onset_slots[free].any(axis=1)  # (num_steps, groups)
    levels = analysis.metrical_levels(10.0 * np.arange(onsets.size)).reshape(onsets.shape)
    strongest = np.where(onsets, levels, 99).min(axis=1)
    dropped = onsets.any(axis=1) & ~kept
    assert dropped.any() and strongest[kept].max() <= strongest[dropped].min()


def test_metrical_levels_name_the_coarsest_subdivision_of_the_beat_grid():
    analysis = SongAnalysis(np.zeros((30, 10, 32), dtype=np.float32))
    analysis.beat_grid = (120.0, 500.0)  # a beat every 500 ms
    # a beat, a half, a third (1166.7), a quarter (1125), an eighth (1062.5), a beat: each within 20 ms
    levels = analysis.metrical_levels([1000.0, 1250.0, 1170.0, 1130.0, 1060.0, 10.0])
    assert [PLAYABLE_SUBDIVISIONS[level] for level in levels] == [1, 2, 3, 4, 8, 1]
    analysis = SongAnalysis(np.zeros((30, 10, 32), dtype=np.float32))
    analysis.beats = np.array([5])  # no grid: every place counts alike
    np.testing.assert_array_equal(analysis.metrical_levels([0.0, 130.0]), [0, 0])


def test_the_cap_drops_the_weakest_places_of_the_metre_first():
    tokenizer, onset_slots, ends_holding = _vocabulary()
    ids = tokenizer.convert_tokens_to_ids
    none, early, late = ids("[none]"), ids("[hit:0]"), ids("[hit:5]")
    beat_tokens = np.array([[late], [early], [late]])  # notes at 50, 100 and 250 ms
    scores = np.array([0.9, 0.2, 0.8], dtype=np.float32)
    quiet = np.full_like(beat_tokens, none)
    slot_levels = np.full((3, onset_slots.shape[1]), 3)
    slot_levels[1, 0] = 0  # 100 ms is a beat; the rest quarters
    # the least likely note stands on the beat: it stays, the less likely of the others goes
    kept = cap_notes(beat_tokens, scores, quiet, 2, onset_slots, ends_holding, slot_levels)
    np.testing.assert_array_equal(kept[:, 0], [late, early, none])
    # by the scores alone the beat goes
    kept = cap_notes(beat_tokens, scores, quiet, 2, onset_slots, ends_holding)
    np.testing.assert_array_equal(kept[:, 0], [late, none, late])
