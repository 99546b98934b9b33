"""Holds in generated maps (`hold_threshold`): the kind of each object drawn with the model's own probability, and a
hold's length read off the model's probabilities of a hold reaching the next step."""

import numpy as np
import pytest
import torch
from transformers import pipeline

import beart  # noqa: F401  (registers the pipeline)
from beart import BeartTokenizer
from beart.audio import load_audio
from beart.beatmaps import WRITE_MODES
from beart.beat_vocabulary import EVENT_HOLD, holds_written_as_hits
from beart.beatmaps.batch_conversion import find_beatmap_sets, read_difficulties
from beart.beatmaps.formats import open_beatmap_set
from beart.beatmaps.playability import check_beatmap_set
from beart.decoding_options import DecodingOptions
from beart.modeling.hold_decoding import HoldDecisions

from shared_paths import CORPUS, EXAMPLE_SONG


@pytest.fixture(scope="module")
def tokenizer():
    return BeartTokenizer()


@pytest.fixture(scope="module")
def generator():
    return pipeline("beatmap-generation")


def logits_with(tokenizer, probabilities: dict) -> torch.Tensor:
    """Logits of one step whose softmax gives `probabilities` (token name -> probability), the rest on `[none]`."""
    vocabulary = tokenizer.get_vocab()
    values = torch.full((len(vocabulary),), 1e-9)
    for name, probability in probabilities.items():
        values[vocabulary[name]] = probability
    values[vocabulary["[none]"]] = 1.0 - sum(probabilities.values())
    return values.log()


def hold_decisions(tokenizer, threshold: float = 1.0) -> HoldDecisions:
    return HoldDecisions(tokenizer, threshold)


def test_a_hold_goes_on_where_the_model_expects_one_held_to_reach_the_next_step(tokenizer):
    # Step 0: a hold starts with probability 0.4 and is held through the step's end; step 1: a hold reaches into it
    # with probability 0.3 (0.2 held on, 0.1 released inside it): a hold held through step 0 goes on with 0.3 / 0.4.
    steps = torch.stack(
        [
            logits_with(tokenizer, {"[hold_start:3]": 0.4, "[hit:2]": 0.2}),
            logits_with(tokenizer, {"[hold]": 0.2, "[hold_end:5]": 0.1, "[hit:1]": 0.3}),
        ]
    )[None, None]  # (batch 1, track 1, 2 steps, vocab)
    held_before = torch.tensor([[0.5]])  # the pass before ended held with 0.5; step 0 reaches on with 0.0
    going_on, held_after = hold_decisions(tokenizer, 0.7).going_on(steps.softmax(dim=-1), held_before)
    assert going_on.tolist() == [[[False, True]]]  # 0 / 0.5, then 0.75 > 0.7
    torch.testing.assert_close(held_after, torch.tensor([[0.2]]))  # `[hold]` ends held, `[hold_end:5]` does not
    assert hold_decisions(tokenizer, 0.8).going_on(steps.softmax(dim=-1), held_before)[0].tolist() == [[[False, False]]]


def test_a_hold_that_goes_on_takes_its_most_likely_token_that_goes_on_unless_an_object_was_chosen(tokenizer):
    vocabulary = tokenizer.get_vocab()
    scores = logits_with(tokenizer, {"[hold_end:6]": 0.2, "[hold]": 0.1, "[hold_end:1|hit:7]": 0.3, "[hit:3]": 0.1})
    scores = scores.expand(1, 4, -1)
    chosen = torch.tensor([[vocabulary["[none]"], vocabulary["[none]"], vocabulary["[hit:3]"], vocabulary["[none]"]]])
    in_hold = torch.tensor([[True, True, True, False]])
    going_on = torch.tensor([[True, False, True, True]])
    carried = hold_decisions(tokenizer).go_on(chosen, scores, in_hold, going_on)
    # Track 0 goes on with the most likely token that starts nothing (not the likelier `[hold_end:1|hit:7]`); track 1's
    # hold does not go on; track 2 was chosen for an object, which ends its hold; track 3 holds nothing.
    assert carried.tolist() == [[vocabulary["[hold_end:6]"], *chosen[0, 1:].tolist()]]


def test_an_object_starts_a_hold_as_often_as_the_model_gives_hold_starts(tokenizer):
    vocabulary = tokenizer.get_vocab()
    holds = hold_decisions(tokenizer)
    assert sorted(name for name, index in vocabulary.items() if holds.starts_hold[index]) == sorted(
        name for name in vocabulary if "hold_start" in name
    )
    torch.testing.assert_close(holds.starts_object, torch.from_numpy(tokenizer.object_start_mask))
    rows = 20_000
    # Without guidance the model gives hold starts 0.3 of its object-starting probability outside a hold; inside one
    # `[hold_start:0]` is refused and `[hold_end:2|hit:7]` allowed, which leaves them 0.06 / (0.4 + 0.2) = 0.1.
    unguided = logits_with(
        tokenizer, {"[hold_start:0]": 0.06, "[hold_start:2]": 0.06, "[hit:2]": 0.28, "[hold_end:2|hit:7]": 0.2}
    )
    probabilities = unguided.softmax(dim=-1).expand(rows, 1, 1, -1)
    outside, inside = holds.draw_holds(probabilities, torch.Generator().manual_seed(0))
    assert outside.float().mean().item() == pytest.approx(0.3, abs=0.02)
    assert inside.float().mean().item() == pytest.approx(0.1, abs=0.02)

    # With guidance (the scores the choice was made from) hits lead, and `[hold_start:4]` is the hold start favoured:
    # an object drawn to hold takes it, one drawn to hit keeps its hit; a step without an object stays as it is.
    scores = logits_with(tokenizer, {"[hold_start:4]": 0.05, "[hold_start:2]": 0.01, "[hit:2]": 0.6}).expand(4, 1, -1)
    chosen = torch.tensor([[vocabulary[name]] for name in ("[hit:2]", "[hit:2]", "[none]", "[none]")])
    draws = torch.tensor([[True], [False], [True], [False]])
    taken = holds.take_kind(chosen, scores, draws)
    assert taken[:, 0].tolist() == [vocabulary["[hold_start:4]"], vocabulary["[hit:2]"], vocabulary["[none]"],
                                    vocabulary["[none]"]]  # fmt: skip
    # Where no hold start is allowed (a track going on with a hold), the object stays what it was.
    barred = scores.masked_fill(holds.starts_hold, -float("inf"))
    assert torch.equal(holds.take_kind(chosen, barred, draws), chosen)


@pytest.mark.parametrize("threshold", [-1.0, float("inf"), float("nan")])
def test_a_hold_threshold_must_be_zero_or_a_positive_number(threshold):
    with pytest.raises(ValueError, match="hold_threshold"):
        DecodingOptions(hold_threshold=threshold).validate(4)


def read_written(output):
    """The one map written at `output`, after `beart check`'s rules passed on the written file."""
    (written,) = find_beatmap_sets(output)
    beatmap_set, skipped = open_beatmap_set(written), []
    (report,) = check_beatmap_set(beatmap_set, written, skipped)  # the written file, as a reviewer reads it
    assert not skipped and report.passed, report.summary()
    (beatmap,) = beatmap_set.read_all(for_training=False)
    return beatmap


def test_generated_maps_of_a_real_song_hold_notes_a_player_can_hold(generator, tmp_path):
    song = CORPUS / "stepmania" / "Goin' Under" / "Goin' Under.ogg"
    waveform = load_audio(str(song), target_sampling_rate=44100)[: 90 * 44100]
    holds = {}
    for threshold in (0.0, 1.2):
        output = tmp_path / f"holds {threshold}.osz"
        generator(
            {"raw": waveform, "sampling_rate": 44100}, mode="mania", difficulty=0.8, seed=0, progress=False,
            hold_threshold=threshold, output_path=str(output),
        )  # fmt: skip
        objects = read_written(output).hit_objects()
        holds[threshold] = int((objects["end"] > objects["start"]).sum())
    assert holds[1.2] >= 3 and holds[1.2] > holds[0.0]


@pytest.mark.parametrize("mode", WRITE_MODES)
def test_maps_with_holds_pass_the_check_in_every_mode(generator, tmp_path, mode):
    output = tmp_path / ("song.osz" if mode in ("osu", "taiko", "catch", "mania") else "song")
    generator(EXAMPLE_SONG, mode=mode, seed=0, end=10.0, hold_threshold=1.2, output_path=str(output), progress=False)
    assert len(read_written(output).hit_objects()) > 10


def test_holds_written_as_hits_keep_each_start_on_every_track():
    events = np.array([[2, 2, 0, 1, 2, 2, 2], [0, 2, 1, 2, 2, 0, 1]]).T
    expected = np.array([[1, 0, 0, 1, 1, 0, 0], [0, 1, 1, 1, 0, 0, 1]]).T
    np.testing.assert_array_equal(holds_written_as_hits(events), expected)
    np.testing.assert_array_equal(holds_written_as_hits(events[:, 1]), expected[:, 1])


def test_the_model_is_shown_its_holds_as_hits_at_their_starts(tokenizer):
    skipped = []
    sm = CORPUS / "stepmania" / "Goin' Under" / "Goin' Under.sm"
    charts = [beatmap for *_, beatmap in read_difficulties(str(sm), skipped)]
    events = np.asarray(max(charts, key=lambda beatmap: (np.asarray(beatmap.events) == EVENT_HOLD).sum()).events)
    as_hits = tokenizer.encode_events(holds_written_as_hits(events))
    beat_tokens = tokenizer.encode_events(events)
    # The tokenizer writes a hold that begins on a window's edge as `[hold]` (one token for every window held
    # throughout); decoding writes `[hold_start:0]` there (the hold grammar), which the table turns into `[hit:0]`.
    names = tokenizer.vocabulary.token_names
    ends_held = tokenizer.vocabulary.windows[:, -1] == EVENT_HOLD
    begun_on_edge = (beat_tokens == names.index("[hold]")) & ~np.vstack(
        [np.zeros_like(beat_tokens[:1], dtype=bool), ends_held[beat_tokens[:-1]]]
    )
    assert (events == EVENT_HOLD).any() and begun_on_edge.any()
    beat_tokens[begun_on_edge] = names.index("[hold_start:0]")
    np.testing.assert_array_equal(hold_decisions(tokenizer).shown_to_the_model(beat_tokens), as_hits)
