import numpy as np
import pandas as pd
import pytest
from transformers import AutoProcessor

import beart


@pytest.fixture(scope="module")
def processor():
    return beart.BeartProcessor(beart.BeartFeatureExtractor(), beart.BeartTokenizer())


@pytest.fixture(scope="module")
def train_map(fixtures_dir):
    return pd.read_csv(fixtures_dir / "train_map_left.csv")


def test_rows_match_the_original_dataset(processor, fixtures_dir, train_map, forward_io):
    rows = processor(
        audio=str(fixtures_dir / "click_120bpm.wav"),
        events=train_map[["LEFT"]].to_numpy(),
        tempo=train_map["TEMPO"].to_numpy(),
        difficulty=0.5,
        steps=np.arange(12),
    )
    np.testing.assert_array_equal(rows["input_ids"], forward_io["row_input_data"])
    np.testing.assert_array_equal(rows["token_type_ids"], forward_io["row_segment_data"])
    # Mel features are library floats: they differ across CPUs in the last bits (up to about 1e-7).
    np.testing.assert_allclose(rows["input_features"].reshape(12, -1), forward_io["row_input_audio"], atol=1e-6)
    np.testing.assert_allclose(rows["tempo_labels"], forward_io["row_tempo"], rtol=1e-6)
    scored = forward_io["row_output_mask"]
    row_index = np.arange(12)
    expected_labels = np.full((12, 512), -100)
    expected_labels[row_index, scored] = forward_io["row_output_data"][row_index, scored]
    np.testing.assert_array_equal(rows["labels"], expected_labels)


def test_rows_later_in_the_song_carry_the_right_past_and_audio(processor, fixtures_dir, train_map):
    mel_slices = processor.feature_extractor.mel_slices(fixtures_dir / "click_120bpm.wav")
    beat_tokens = processor.tokenizer.encode_events(train_map["LEFT"].to_numpy())
    step = 200
    rows = processor(mel_slices=mel_slices, beat_tokens=beat_tokens, steps=[step], difficulty=0.9)
    input_ids = rows["input_ids"][0]
    assert input_ids[0] == 3
    # 447 past positions: PAD before the song, then tokens up to the current step (masked); 64 foresight tokens.
    assert (input_ids[1 : 447 - step] == 5).all()
    np.testing.assert_array_equal(input_ids[447 - step : 447], beat_tokens[:step])
    assert input_ids[447] == 6 and rows["labels"][0, 447] == beat_tokens[step]
    assert (input_ids[448:] == 7).all()
    # Position j hears slice step + 64 - 511 + j: the scored position hears its own step.
    np.testing.assert_array_equal(rows["input_features"][0, 447], mel_slices[step])
    np.testing.assert_array_equal(rows["input_features"][0, 447 + 64], mel_slices[step + 64])
    first_heard = step + 64 - 511
    assert (rows["input_features"][0, :-first_heard] == 0).all()
    np.testing.assert_array_equal(rows["input_features"][0, -first_heard], mel_slices[0])


def test_four_track_layout_masks_tracks_left_to_right(processor):
    rng = np.random.default_rng(0)
    events = rng.choice([0, 0, 0, 1], size=(3000, 4))
    beat_tokens = processor.tokenizer.encode_events(events)
    mel_slices = rng.uniform(-1, 1, size=(300, 10, 32)).astype(np.float32)
    rows = processor(mel_slices=mel_slices, beat_tokens=beat_tokens, steps=[100, 100, 100, 100])
    positions = processor.scored_positions(4)
    np.testing.assert_array_equal(positions, [111, 239, 367, 495])
    assert (rows["token_type_ids"][0] == np.repeat(np.arange(4), 128)).all()
    np.testing.assert_array_equal(rows["input_ids"][0, [0, 128, 256, 384]], [2, 4, 4, 4])
    for row, scored_track in enumerate(range(4)):
        masked = rows["input_ids"][row, positions] == 6
        np.testing.assert_array_equal(masked, np.arange(4) >= scored_track)
        scored = rows["labels"][row] != -100
        assert scored.sum() == 1 and scored[positions[scored_track]]
        assert rows["labels"][row, positions[scored_track]] == beat_tokens[100, scored_track]
    # Every track hears the same audio window.
    features = rows["input_features"][0].reshape(4, 128, 10, 32)
    assert all(np.array_equal(features[0], features[track]) for track in range(1, 4))
    np.testing.assert_array_equal(features[0, 111], mel_slices[100])


def test_step_tempo_takes_the_last_known_tempo_and_drops_outliers(processor):
    tempo = np.zeros(40)
    tempo[3:7] = 120.0
    tempo[7] = 150.0
    tempo[15] = 450.0
    tempo[25:] = np.nan
    np.testing.assert_array_equal(processor.step_tempo(tempo), [150.0, 0.0, 0.0, 0.0])


def test_steps_outside_the_map_are_refused(processor):
    with pytest.raises(ValueError, match="Steps must lie"):
        processor(mel_slices=np.zeros((5, 10, 32), np.float32), beat_tokens=np.full(5, 8), steps=[5])
    with pytest.raises(ValueError, match="do not split"):
        processor.track_layout(3)


def test_auto_processor_round_trip(tmp_path):
    processor = beart.BeartProcessor(
        beart.BeartFeatureExtractor(mel_bands=16), beart.BeartTokenizer(), context_length=1024, audio_foresight=128
    )
    processor.save_pretrained(tmp_path)
    loaded = AutoProcessor.from_pretrained(tmp_path)
    assert isinstance(loaded, beart.BeartProcessor)
    assert (loaded.context_length, loaded.audio_foresight, loaded.feature_extractor.mel_bands) == (1024, 128, 16)
    assert isinstance(loaded.tokenizer, beart.BeartTokenizer)
