"""Why generated maps hold so few notes: what the human charts write on a track inside a hold, against what a model
predicts there with the chart's own tokens before it (teacher-forced).

    python examples/diagnose_holds.py ../shared/corpus beart/default_model [--split train|dev|test] [--per-chart 60]

For every song of the split (`examples/real_music_split.py`) and each of its charts: the share of tokens that go on
with the hold (`[hold]`), release it (`[hold_end:a]`, `[hold_end:a|hit:b]`), read `[none]` (a release at the window's
edge) or start something else, on the steps right after a track's hold starts and on every step a hold is going on;
then the model's mean probability of each group on up to `--per-chart` steps right after a hold start, with the whole
chart before the step in its history (the layout decoding reads at the model's `history_steps`). A model that reads
its history gives `[hold]` most of the mass there; one that ignores it gives the mass `[none]` has anywhere.

Then, on up to `--per-chart` of each chart's steps that start an object (teacher-forced alike): the share of the
model's object-starting probability that goes to tokens starting a hold, at the charts' hold starts and at their hits,
and how often its most likely object-starting token (what the `hit_threshold` rule writes) starts a hold there; then
the same with every hold of the history turned into a hit at its start (`as hits:`, what a map without holds shows
the model).
"""

import argparse
import os
import sys

import numpy as np
import pandas as pd
import torch

from beart import BeartProcessor
from beart.beat_vocabulary import holds_written_as_hits
from beart.decoding_options import DecodingOptions
from beart.loading import load_model
from beart.modeling.generation_beart import ContextScorer
from beart.modeling.logits_process import HoldGrammarLogitsProcessor
from beart.processing import SongAnalysis


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from choose_on_dev import SAMPLING_RATE, load_songs  # noqa: E402


GROUPS = ("hold", "release", "none", "other")


def token_groups(processor: BeartProcessor) -> np.ndarray:
    """The group of every token id (`GROUPS` index) on a track inside a hold: shape `(vocab_size,)`."""
    vocabulary = processor.tokenizer.get_vocab()
    groups = np.full(len(vocabulary), GROUPS.index("other"))
    for name, token_id in vocabulary.items():
        if name == "[hold]":
            groups[token_id] = GROUPS.index("hold")
        elif name.startswith("[hold_end:"):
            groups[token_id] = GROUPS.index("release")
        elif name == "[none]":
            groups[token_id] = GROUPS.index("none")
    return groups


def chart_rows(model, processor, scorer_options, analysis, chart, groups, holding, per_chart: int) -> dict:
    """One chart's shares (what the chart writes) and the model's mean probabilities (what it predicts)."""
    beat_tokens = processor.tokenizer.encode_events(chart.events)[: len(analysis.mel_slices)]
    after_holding = holding[beat_tokens[:-1]]  # (step - 1, track) ends inside a hold
    inside = beat_tokens[1:][after_holding]
    if not len(inside):
        return {"steps in holds": 0}
    begun = np.argwhere(after_holding & ~holding[np.vstack([beat_tokens[:1] * 0, beat_tokens[:-2]])])
    row = {f"chart {group}": float(np.mean(groups[inside] == index)) for index, group in enumerate(GROUPS)}
    row["steps in holds"] = int(len(inside))
    if not len(begun):
        return row
    chosen = begun[np.linspace(0, len(begun) - 1, min(per_chart, len(begun))).astype(int)]
    steps, tracks = chosen[:, 0] + 1, chosen[:, 1]
    probabilities = teacher_forced_probabilities(
        model, processor, scorer_options, analysis, beat_tokens, steps, tracks, chart.difficulty
    )
    truth = groups[beat_tokens[steps, tracks]]
    for index, group in enumerate(GROUPS):
        row[f"after start: chart {group}"] = float(np.mean(truth == index))
        row[f"model {group}"] = float(probabilities[:, groups == index].sum(axis=1).mean())
    return row


def teacher_forced_probabilities(model, processor, scorer_options, analysis, beat_tokens, steps, tracks, difficulty):
    """The model's token probabilities at `steps` on `tracks` of a chart, with the chart's own tokens before each step
    in its history: shape `(len(steps), vocab_size)`."""
    num_tracks = beat_tokens.shape[1]
    input_ids, _ = processor.build_beat_context(beat_tokens, steps, difficulty, tracks)
    features = processor.audio_windows(analysis.mel_slices, steps, num_tracks)
    positions = np.tile(processor.scored_positions(num_tracks)[None, :, None], (len(steps), 1, 1))
    track_ids = np.repeat(processor.track_ids(num_tracks)[None], len(steps), axis=0)
    _, logits = ContextScorer(model, processor, scorer_options, num_tracks)(input_ids, track_ids, features, positions)
    return logits[torch.arange(len(steps)), torch.from_numpy(tracks), 0].softmax(dim=-1).numpy()


def object_start_rows(model, processor, scorer_options, analysis, chart, per_chart: int) -> dict:
    """At a chart's object starts: the model's share of object-starting probability on hold starts, and how often its
    most likely object-starting token starts a hold, at the chart's hold starts and at its hits."""
    starts_object, starts_hold = processor.tokenizer.object_start_mask, processor.tokenizer.vocabulary.starts_hold
    beat_tokens = processor.tokenizer.encode_events(chart.events)[: len(analysis.mel_slices)]
    begun = np.argwhere(starts_object[beat_tokens])
    if not len(begun):
        return {}
    chosen = begun[np.linspace(0, len(begun) - 1, min(per_chart, len(begun))).astype(int)]
    steps, tracks = chosen[:, 0], chosen[:, 1]
    is_hold = starts_hold[beat_tokens[steps, tracks]]
    row = {"chart hold share": float(is_hold.mean())}
    stripped = processor.tokenizer.encode_events(holds_written_as_hits(chart.events))[: len(analysis.mel_slices)]
    for layout, history in (("", beat_tokens), ("as hits: ", stripped)):
        probabilities = teacher_forced_probabilities(
            model, processor, scorer_options, analysis, history, steps, tracks, chart.difficulty
        )
        share = probabilities[:, starts_hold].sum(axis=1) / probabilities[:, starts_object].sum(axis=1)
        best_starts_hold = starts_hold[np.where(starts_object, probabilities, -1.0).argmax(axis=1)]
        row[f"{layout}model share"] = float(share.mean())
        for name, where in (("hold starts", is_hold), ("hits", ~is_hold)):
            if where.any():
                row[f"{layout}model share at {name}"] = float(share[where].mean())
                row[f"{layout}best is a hold at {name}"] = float(best_starts_hold[where].mean())
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", help="the shared corpus folder")
    parser.add_argument("model", help="the model folder")
    parser.add_argument("--split", default="train", choices=["train", "dev", "test"])
    parser.add_argument("--per-chart", type=int, default=60, help="steps after a hold start scored per chart")
    arguments = parser.parse_args()
    model = load_model(arguments.model).eval()
    processor = BeartProcessor.from_model_config(model.config)
    options = DecodingOptions(history_steps=getattr(model.generation_config, "history_steps", None))
    groups = token_groups(processor)
    holding = HoldGrammarLogitsProcessor(
        processor.tokenizer.vocabulary.windows, processor.tokenizer.onset_slots
    ).ends_holding.numpy()
    rows, start_rows = [], []
    for name, game, waveform, charts, _ in load_songs(arguments.corpus, arguments.split):
        analysis = SongAnalysis.from_audio(waveform, processor.feature_extractor, sampling_rate=SAMPLING_RATE)
        for chart in charts:
            row = chart_rows(model, processor, options, analysis, chart, groups, holding, arguments.per_chart)
            rows.append({"game": game, "song": name[:24], "difficulty": chart.difficulty, **row})
            row = object_start_rows(model, processor, options, analysis, chart, arguments.per_chart)
            start_rows.append({"game": game, "song": name[:24], "difficulty": chart.difficulty, **row})
    table = pd.DataFrame(rows)
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 30)
    print(f"{arguments.model} on the {arguments.split} songs, {len(table)} charts")
    print("\nOn every step inside a hold, what the charts write (share of steps):")
    print(table.groupby("game")[[f"chart {group}" for group in GROUPS]].mean().to_string(float_format="%.3f"))
    after = table.dropna(subset=["model hold"])
    print("\nRight after a hold starts: the charts against the model's mean probability (teacher-forced):")
    columns = [f"after start: chart {group}" for group in GROUPS] + [f"model {group}" for group in GROUPS]
    print(after.groupby("game")[columns].mean().to_string(float_format="%.3f"))
    print("\nAt the charts' object starts: the model's share of object-starting probability on hold starts, and how")
    print("often its most likely object-starting token starts a hold (teacher-forced), per chart:")
    print(pd.DataFrame(start_rows).to_string(index=False, float_format="%.3f"))


if __name__ == "__main__":
    main()
