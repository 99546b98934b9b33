"""A model's masked-token accuracy, perplexity and tempo error on a split of a corpus (the metrics of training)."""

import numpy as np
import torch
from tqdm.auto import tqdm
from transformers import EvalPrediction

from ..modeling import BeartModel
from ..processing import BeartProcessor
from ..training.collator import BeartDataCollator
from ..training.corpus import check_corpus_fits, load_corpus
from ..training.trainer import compute_metrics, scored_predictions


def checked_corpus(corpus_dir, config, split: str = "test"):
    """
    The corpus at `corpus_dir` (`load_corpus`), checked to hold `split` and mel slices the model of `config` reads.

    Raises:
        `FileNotFoundError`: no corpus there. `ValueError`: no such split, slices of another shape, or values that
            are not those `beart dataset build` writes.
    """
    corpus = load_corpus(corpus_dir)
    if split not in corpus:
        raise ValueError(f"The corpus at {corpus_dir} has no {split!r} split (it has {sorted(corpus)}).")
    check_corpus_fits(corpus_dir, config)
    return corpus


def dataset_metrics(
    model: BeartModel,
    corpus_dir,
    split: str = "test",
    batch_size: int = 64,
    max_examples: int | None = None,
    progress: bool = True,
    corpus=None,
) -> dict:
    """
    Evaluates a model on a corpus split built by `beart dataset build`, without augmentation, exactly as training
    evaluates it.

    Args:
        model (`BeartModel`): the model, on whichever device it is.
        corpus_dir (`str`): the corpus folder (`checked_corpus`: its values, its split and its mel slices against
            the model's).
        split (`str`, *optional*, defaults to `"test"`): the split of examples (held-out songs).
        batch_size (`int`, *optional*, defaults to 64): examples per forward pass.
        max_examples (`int`, *optional*): evaluate on an evenly spaced subset of at most this many examples.
        progress (`bool`, *optional*, defaults to `True`): show a progress bar.
        corpus (`datasets.DatasetDict`, *optional*): the corpus at `corpus_dir` already loaded and checked
            (`checked_corpus`), so that it is not read and checked again.

    Returns:
        `dict`: `token_accuracy`, `perplexity`, `tempo_mae_bpm` and `examples` (the number evaluated).
    """
    corpus = checked_corpus(corpus_dir, model.config, split) if corpus is None else corpus
    examples = corpus[split]
    if max_examples is not None and len(examples) > max_examples:
        examples = examples.select(np.linspace(0, len(examples) - 1, max_examples).astype(np.int64))
    collator = BeartDataCollator(BeartProcessor.from_model_config(model.config), corpus["maps"], corpus["songs"])
    predictions, tempo_labels = [], []
    model.eval()
    batches = range(0, len(examples), batch_size)
    with torch.inference_mode():
        for start in tqdm(batches, desc=f"evaluating on {split}", unit="batch", disable=not progress):
            batch = collator([examples[index] for index in range(start, min(start + batch_size, len(examples)))])
            outputs = model(
                input_ids=batch["input_ids"].to(model.device),
                input_features=batch["input_features"].to(model.device),
                token_type_ids=batch["token_type_ids"].to(model.device),
            )
            logits, tempo = outputs.logits.cpu(), outputs.tempo.cpu()
            predictions.append(scored_predictions((logits, tempo), batch["labels"]))
            tempo_labels.append(batch["tempo_labels"])
    evaluation = EvalPrediction(
        predictions=torch.cat(predictions).numpy(),
        label_ids=(None, torch.cat(tempo_labels).numpy()),
    )
    return {**compute_metrics(evaluation), "examples": len(examples)}
