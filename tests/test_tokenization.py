import numpy as np
import pytest
from transformers import AutoTokenizer

import beart
from beart.beat_vocabulary import BeatVocabulary, vocabulary_size


@pytest.fixture(scope="module")
def vocabulary(fixtures_dir):
    return np.load(fixtures_dir / "vocabulary.npz")


@pytest.fixture(scope="module")
def tokenizer():
    return beart.BeartTokenizer()


def test_every_window_encodes_to_the_original_token(tokenizer, vocabulary):
    patterns = vocabulary["patterns"]
    tokens = tokenizer.encode_events(patterns.reshape(-1))
    np.testing.assert_array_equal(tokens, vocabulary["tokens"])


def test_every_window_encodes_to_the_original_token_on_all_tracks_at_once(tokenizer, vocabulary):
    patterns = vocabulary["patterns"][:4000]
    by_track = patterns.reshape(1000, 4, 10).transpose(0, 2, 1).reshape(10000, 4)
    np.testing.assert_array_equal(tokenizer.encode_events(by_track).reshape(-1), vocabulary["tokens"][:4000])


def test_every_token_decodes_to_the_original_window(tokenizer, vocabulary):
    decoded = vocabulary["decoded"]
    beat_ids = np.arange(tokenizer.num_reserved_tokens, tokenizer.vocab_size)
    np.testing.assert_array_equal(tokenizer.decode_events(beat_ids).reshape(-1, 10), decoded[beat_ids])
    assert tokenizer.vocab_size == int(vocabulary["vocab_size"]) == 85


def test_reserved_ids_match_the_original(tokenizer):
    names = tokenizer.convert_ids_to_tokens(list(range(8)))
    assert names == ["[EASY]", "[NORMAL]", "[HARD]", "[INSANE]", "[SEP]", "[PAD]", "[MASK]", "[FORESIGHT]"]
    assert (tokenizer.sep_token_id, tokenizer.pad_token_id, tokenizer.mask_token_id) == (4, 5, 6)
    assert tokenizer.foresight_token_id == 7
    assert [tokenizer.difficulty_token_id(d) for d in (0.0, 0.24, 0.25, 0.5, 0.74, 0.75, 1.0)] == [0, 0, 1, 2, 2, 3, 3]


def test_names_are_unique_and_describe_the_window(tokenizer):
    vocab = tokenizer.get_vocab()
    assert len(vocab) == len(set(vocab.values())) == 85
    hit_then_hold = np.zeros(10, dtype=int)
    hit_then_hold[1] = 1
    hit_then_hold[7:] = 2
    token = tokenizer.encode_events(hit_then_hold)[0]
    assert tokenizer.convert_ids_to_tokens(int(token)) == "[hit:1|hold_start:7]"
    assert tokenizer("[HARD] [hit:3] [none]", add_special_tokens=False)["input_ids"] == [2, vocab["[hit:3]"], 8]


def test_encoding_pads_the_last_window_and_round_trips(tokenizer):
    events = np.zeros((23, 2), dtype=int)
    events[0, 0] = 1
    events[12:21, 1] = 2
    events[22, 0] = 1
    tokens = tokenizer.encode_events(events)
    assert tokens.shape == (3, 2)
    decoded = tokenizer.decode_events(tokens)
    assert decoded.shape == (30, 2)
    np.testing.assert_array_equal(decoded[:23], events)
    assert not decoded[23:].any()


def test_bad_events_and_tokens_are_refused(tokenizer):
    with pytest.raises(ValueError, match="0 \\(none\\), 1 \\(hit\\) or 2 \\(hold\\)"):
        tokenizer.encode_events([0, 3, 1])
    with pytest.raises(ValueError, match="shape"):
        tokenizer.encode_events(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="Only beat tokens"):
        tokenizer.decode_events([8, 6])
    with pytest.raises(ValueError, match="Difficulty"):
        tokenizer.difficulty_token_id(1.5)


@pytest.mark.parametrize("groups", [4, 7, 8, 12])
def test_other_window_sizes_give_a_consistent_vocabulary(groups):
    vocabulary = BeatVocabulary(groups)
    assert vocabulary.vocab_size == vocabulary_size(groups) == len(set(vocabulary.token_names))
    tokenizer = beart.BeartTokenizer(groups=groups)
    beat_ids = np.arange(8, vocabulary.vocab_size)
    decoded = tokenizer.decode_events(beat_ids)
    reencoded = tokenizer.encode_events(decoded)
    # Each token decodes to a window that encodes back to it, except the duplicate spellings of a full hold
    # (a hold ending on the last slot, or starting on the first, is the full-hold window).
    full_hold = (decoded.reshape(-1, groups) == 2).all(axis=1)
    np.testing.assert_array_equal(reencoded[~full_hold], beat_ids[~full_hold])
    assert (reencoded[full_hold] == 9).all()


def test_auto_tokenizer_round_trip(tmp_path, tokenizer):
    tokenizer.save_pretrained(tmp_path)
    loaded = AutoTokenizer.from_pretrained(tmp_path)
    assert isinstance(loaded, beart.BeartTokenizer)
    assert loaded.get_vocab() == tokenizer.get_vocab()
    events = np.array([0, 1, 0, 0, 0, 0, 2, 2, 2, 2, 2, 0])
    np.testing.assert_array_equal(loaded.decode_events(loaded.encode_events(events))[:12], events)
