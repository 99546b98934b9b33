"""Fine-tuning BEaRT with `transformers.Trainer`: the original's optimiser and schedule, BEaRT's metrics.

Runs unchanged on one process or many: `torchrun --nproc_per_node 2 -m beart train ...` or
`accelerate launch --multi_gpu --num_processes 2 -m beart train ...` (gloo on CPU, NCCL on GPUs); the Trainer shards
batches and averages gradients. On a CPU machine the arguments need `use_cpu=True` (`beart train` sets it), or the
processes do not form a group. Note that `accelerate launch --cpu --num_processes 2` starts a single process in
accelerate 1.x unless it is given an MPI hostfile.
"""

import contextlib
import math
from dataclasses import dataclass, field

import numpy as np
import torch
from transformers import EarlyStoppingCallback, Trainer, TrainingArguments
from transformers.utils import logging

from ..loading import load_model
from ..processing import BeartProcessor
from ..safety import check_writable_folder
from .collator import BeartDataCollator
from .corpus import check_corpus_fits, load_corpus
from .training_card import write_training_card


logger = logging.get_logger(__name__)

NO_DECAY_MARKERS = ("_head.", "_norm.", "bias")


@dataclass
class BeartTrainingArguments(TrainingArguments):
    """
    [`TrainingArguments`] with BEaRT's extras.

    Args:
        lr_decay (`str`, *optional*, defaults to `"exponential"`):
            `"exponential"`: the learning rate is multiplied by `lr_decay_gamma` every epoch, smoothly per step (the
            original's schedule); `"scheduler"`: use `lr_scheduler_type` (linear, cosine, ...).
        lr_decay_gamma (`float`, *optional*, defaults to 0.98):
            Learning-rate factor per epoch for the exponential decay.
        augment (`bool`, *optional*, defaults to `True`):
            Augment training batches (see [`BeartDataCollator`]).
        label_masked_tracks (`bool`, *optional*, defaults to `False`):
            With augmentation, score every masked current token of a row, which trains the layout of the `fast`
            decoding strategy (see [`BeartDataCollator`]); off reproduces the original objective.
        early_stopping_patience (`int`, *optional*):
            Stop after this many evaluations without a better `eval_loss`.
    """

    lr_decay: str = field(default="exponential", metadata={"help": "exponential (original) or scheduler"})
    lr_decay_gamma: float = field(default=0.98, metadata={"help": "learning-rate factor per epoch"})
    augment: bool = field(default=True, metadata={"help": "augment training batches"})
    label_masked_tracks: bool = field(default=False, metadata={"help": "score every masked current token"})
    early_stopping_patience: int | None = field(default=None, metadata={"help": "evaluations without improvement"})


@contextlib.contextmanager
def flush_denormals():
    """
    Treat denormal floats as zero while training on CPU. BEaRT's original initialisation (std 1) saturates the
    attention softmax, whose tiny tails are denormals that CPUs compute slowly: this makes a training step about
    10% faster and changes nothing above 1e-38. Flushing is switched off again (torch's default) afterwards.
    """
    supported = torch.set_flush_denormal(True)
    try:
        yield
    finally:
        if supported:
            torch.set_flush_denormal(False)


def finish_distributed() -> None:
    """
    Leaves the process group of a multi-process run cleanly (all ranks meet, then the group is destroyed), so that no
    communication thread is still alive when the interpreter exits; without it a rank can abort at exit.
    """
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()


def accelerator_available() -> bool:
    """Whether torch sees a GPU (CUDA or Apple MPS) to train on."""
    return torch.cuda.is_available() or torch.backends.mps.is_available()


def parameter_groups(model: torch.nn.Module, weight_decay: float) -> list[dict]:
    """AdamW groups as in the original: no weight decay on layer norms, biases and the output heads."""
    decay, no_decay = [], []
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            continue
        (no_decay if any(marker in name for marker in NO_DECAY_MARKERS) else decay).append(parameter)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


class BeartTrainer(Trainer):
    """
    [`Trainer`] with the original's AdamW parameter groups and exponential learning-rate decay, a separate collator
    for evaluation (training batches are augmented, evaluation batches are not), and training steps that ask the model
    for the logits at the labelled positions only (`scored_logits_only`: the same loss, less compute).

    Its model card is beart's (`create_model_card`, which `push_to_hub` writes before it uploads): the songs and
    charts the model learned from with their credits, and the run, in place of transformers' draft.

    Args:
        eval_data_collator (*optional*): the collator of evaluation batches; `data_collator` when not given.
        corpus_dir (`str`, *optional*): the corpus trained on, whose credits the card lists; without it the card is
            transformers' draft.
        base_model (`str`, *optional*): the model training started from, which the card names.
        *args, **kwargs: as for [`Trainer`].
    """

    def __init__(self, *args, eval_data_collator=None, corpus_dir=None, base_model=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.eval_data_collator = eval_data_collator or self.data_collator
        self.corpus_dir, self.base_model = corpus_dir, base_model
        # the weights change: the card of the folder they were loaded from is not carried into what is saved
        self.model.card_source = None

    def create_model_card(self, **kwargs) -> None:
        if self.corpus_dir is None:
            return super().create_model_card(**kwargs)
        if self.is_world_process_zero():
            write_training_card(
                self.args.output_dir, self.model.config, self.corpus_dir, base_model=self.base_model, args=self.args,
                state=self.state,
            )  # fmt: skip

    def get_eval_dataloader(self, eval_dataset=None):
        train_collator = self.data_collator
        self.data_collator = self.eval_data_collator
        try:
            return super().get_eval_dataloader(eval_dataset)
        finally:
            self.data_collator = train_collator

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        if model.training and not return_outputs:
            inputs = {**inputs, "scored_logits_only": True}
        return super().compute_loss(model, inputs, return_outputs=return_outputs, num_items_in_batch=num_items_in_batch)

    def create_optimizer(self, model=None):
        if self.optimizer is None:
            self.optimizer = torch.optim.AdamW(
                parameter_groups(self.model, self.args.weight_decay),
                lr=self.args.learning_rate,
                betas=(self.args.adam_beta1, self.args.adam_beta2),
                eps=self.args.adam_epsilon,
            )
        return self.optimizer

    def create_scheduler(self, num_training_steps: int, optimizer=None):
        if self.args.lr_decay != "exponential":
            return super().create_scheduler(num_training_steps, optimizer)
        if self.lr_scheduler is None:
            steps_per_epoch = max(1, len(self.get_train_dataloader()) // self.args.gradient_accumulation_steps)
            gamma, warmup = self.args.lr_decay_gamma, self.args.get_warmup_steps(num_training_steps)

            def factor(step: int) -> float:
                warm = min(1.0, (step + 1) / warmup) if warmup else 1.0
                return warm * gamma ** (step / steps_per_epoch)

            self.lr_scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer or self.optimizer, factor)
        return self.lr_scheduler


def scored_predictions(outputs, labels) -> torch.Tensor:
    """
    Keeps only what the metrics need from a batch's outputs, so evaluation does not gather whole logit tensors:
    per row, whether the scored token was predicted, its negative log-likelihood, and the predicted tempo.
    """
    logits, tempo = outputs[0], outputs[1]
    token_labels = labels[0] if isinstance(labels, (tuple, list)) else labels
    scored = token_labels != -100
    row_index, position = scored.nonzero(as_tuple=True)
    scored_logits = logits[row_index, position].float()
    target = token_labels[row_index, position]
    negative_log_likelihood = torch.nn.functional.cross_entropy(scored_logits, target, reduction="none")
    correct = (scored_logits.argmax(-1) == target).float()
    return torch.stack([correct, negative_log_likelihood, tempo[row_index].float()], dim=-1)


def compute_metrics(evaluation) -> dict:
    """Masked-token accuracy and perplexity of the scored tokens, tempo mean absolute error in BPM."""
    predictions = evaluation.predictions
    tempo_labels = evaluation.label_ids[1] if isinstance(evaluation.label_ids, (tuple, list)) else None
    metrics = {
        "token_accuracy": float(predictions[:, 0].mean()),
        "perplexity": float(math.exp(min(50.0, predictions[:, 1].mean()))),
    }
    if tempo_labels is not None:
        known = tempo_labels > 0
        metrics["tempo_mae_bpm"] = (
            float(np.abs(predictions[known, 2] - tempo_labels[known]).mean()) if known.any() else 0.0
        )
    return metrics


def train_beart(
    corpus_dir,
    args: BeartTrainingArguments,
    *,
    preset: str | None = None,
    model_name_or_path: str | None = None,
    config_overrides: dict | None = None,
    resume_from_checkpoint=None,
    callbacks: list | None = None,
    overwrite: bool = False,
) -> BeartTrainer:
    """
    Trains a BEaRT model on a corpus built by `beart dataset build` and saves model and processor to
    `args.output_dir` (what `beart train` and `examples/train.py` run), with a model card listing the songs and
    charts it learned from, their credits, and how it was trained (`training_card.py`).

    Args:
        corpus_dir (`str`): the corpus.
        args (`BeartTrainingArguments`): the training arguments.
        preset (`str`, *optional*): start from a fresh `quaver` or `crotchet` model (the default).
        model_name_or_path (`str`, *optional*): start from a pretrained model, or the author's `.pt` checkpoint.
        config_overrides (`dict`, *optional*): configuration fields changed for a fresh model (e.g. a tiny one).
        resume_from_checkpoint (`str` or `bool`, *optional*): resume an interrupted run (see `Trainer.train`).
        callbacks (`list[TrainerCallback]`, *optional*): more callbacks for the [`BeartTrainer`].
        overwrite (`bool`, *optional*, defaults to `False`): train into an `args.output_dir` that already holds files
            (a model, another run's checkpoints, which the run may then replace or rotate out); without it, and
            without `resume_from_checkpoint`, such a folder is refused before anything loads.

    Raises:
        `FileExistsError`: `args.output_dir` holds files, and neither `overwrite` nor `resume_from_checkpoint` is set.
    """
    if not resume_from_checkpoint:
        check_writable_folder(
            args.output_dir, overwrite, "train into it anyway (its model and checkpoints may be replaced), or resume "
            "its run with --resume (resume_from_checkpoint)"
        )
    corpus = load_corpus(corpus_dir)
    args.remove_unused_columns = False
    if args.ddp_find_unused_parameters is None:
        args.ddp_find_unused_parameters = False
    args.label_names = ["labels", "tempo_labels"]
    args.dataloader_pin_memory = args.dataloader_pin_memory and torch.cuda.is_available()
    model = load_model(model_name_or_path, preset=preset, **(config_overrides or {}))
    processor = BeartProcessor.from_model_config(model.config)
    check_corpus_fits(corpus_dir, model.config)
    config = model.config
    train_collator = BeartDataCollator(
        processor,
        corpus["maps"],
        corpus["songs"],
        augment=args.augment,
        label_masked_tracks=args.label_masked_tracks,
        prediction_steps=config.prediction_steps,
        history_steps=config.train_history_steps,
        holds_as_hits=config.train_holds_as_hits,
        foresight_label_rate=config.foresight_label_rate,
        onset_input=config.onset_input,
        token_dropout=config.token_dropout,
        mel_scaling=config.mel_scaling,
        mel_noise=config.mel_noise,
        mel_tilt=config.mel_tilt,
        mel_band_shift=config.mel_band_shift,
        time_stretch=config.time_stretch,
        seed=config.augmentation_seed + args.process_index,
    )
    eval_collator = BeartDataCollator(
        processor,
        corpus["maps"],
        corpus["songs"],
        history_steps=config.train_history_steps,
        holds_as_hits=config.train_holds_as_hits,
    )
    evaluation = corpus["test"] if "test" in corpus else None
    callbacks = list(callbacks or [])
    if args.early_stopping_patience:
        if evaluation is None or args.eval_strategy == "no":
            raise ValueError("Early stopping needs a corpus with a test split and an eval_strategy (steps or epoch).")
        args.load_best_model_at_end = True
        args.metric_for_best_model = args.metric_for_best_model or "loss"
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=args.early_stopping_patience))
    trainer = BeartTrainer(
        model=model,
        args=args,
        train_dataset=corpus["train"],
        eval_dataset=evaluation,
        data_collator=train_collator,
        eval_data_collator=eval_collator,
        processing_class=processor,
        compute_metrics=compute_metrics,
        preprocess_logits_for_metrics=scored_predictions,
        callbacks=callbacks,
        corpus_dir=corpus_dir,
        base_model=model_name_or_path,
    )
    logger.warning(
        f"Training on {args.world_size} process(es), device {args.device}, {len(corpus['train'])} examples"
        f"{'' if evaluation is None else f', evaluating on {len(evaluation)}'}."
    )
    with flush_denormals():
        trainer.train(resume_from_checkpoint=resume_from_checkpoint)
    trainer.save_model(args.output_dir)  # with `push_to_hub`, uploaded with its card
    if trainer.is_world_process_zero():
        processor.save_pretrained(args.output_dir)
        trainer.create_model_card()
    return trainer


__all__ = [
    "BeartTrainer",
    "BeartTrainingArguments",
    "compute_metrics",
    "parameter_groups",
    "scored_predictions",
    "train_beart",
]
