"""Training BEaRT: corpora built with `datasets`, batches from a collator, fine-tuning with `transformers.Trainer`."""

from .collator import BeartDataCollator
from .corpus import CorpusReport, build_corpus, load_corpus, training_steps
from .time_budget import TimeBudgetCallback
from .trainer import BeartTrainer, BeartTrainingArguments, compute_metrics, parameter_groups, train_beart


__all__ = [
    "BeartDataCollator",
    "BeartTrainer",
    "BeartTrainingArguments",
    "CorpusReport",
    "TimeBudgetCallback",
    "build_corpus",
    "compute_metrics",
    "load_corpus",
    "parameter_groups",
    "train_beart",
    "training_steps",
]
