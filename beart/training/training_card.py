"""The model card `beart train` writes beside the model it trained: the songs and charts it learned from, with their
credits (`credits.py`), how it was trained, and its training figures, so that the credit the songs' licences ask for
travels with the weights.

The card replaces only a card that beart wrote: the plain one `save_pretrained` writes, one it carried from the folder
a model was loaded from (`CARRIED_CARD_MARK`: the weights it describes have changed), or one of an earlier run into the
same folder, which carries `TRAINING_CARD_MARK`. A card of the user's own (a folder trained into again with
`--resume` or `--overwrite`) is kept.
"""

import os
import re

from transformers.utils import logging

from ..beatmaps.files import write_atomically
from ..beatmaps.formats import FORMATS
from ..modeling.model_card import CARRIED_CARD_MARK, model_card_text, read_card
from .corpus import CORPUS_INFO_NAME
from .credits import corpus_credits, read_corpus_info


logger = logging.get_logger(__name__)

CARD_NAME = "README.md"
TRAINING_CARD_MARK = (
    "<!-- beart train wrote this card and rewrites it when it trains into this folder again: delete this line to keep "
    "your edits. -->"
)
HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")  # `owner/name`: the metadata's `base_model`, not a local path
GAMES = {beatmap_format.name: beatmap_format.game for beatmap_format in FORMATS}
EVALUATION = """## Evaluation

Fill in: its figures from `beart evaluate SONG OUT` on songs it did not train on, naming the songs each figure comes
from.
"""


def training_card_text(
    config, credits: list[dict] | None, counts: dict, *, corpus_name: str, base_model: str | None, args, state
) -> str:
    """
    The model card of a trained model.

    Args:
        config (`BeartConfig`): the trained model's configuration.
        credits (`list[dict]`, *optional*): the corpus's credits (`corpus_credits`); `None` where it keeps none.
        counts (`dict`): the corpus's `songs`, `maps` and `examples` per split, as `beart_corpus.json` holds them.
        corpus_name (`str`): the corpus, as the card names it.
        base_model (`str`, *optional*): the model training started from; `None` for a fresh one.
        args (`BeartTrainingArguments`): the run's arguments.
        state (`TrainerState`): the run's state (`global_step`, `epoch`, `log_history`).

    Returns:
        `str`: the card (markdown with the Hugging Face metadata header).
    """
    details = "\n".join([_data_section(credits, counts, corpus_name, base_model), _procedure_section(args, state)])
    hub_id = base_model if base_model and HUB_ID.fullmatch(base_model) and not os.path.exists(base_model) else None
    return model_card_text(config, details=details + "\n" + EVALUATION, mark=TRAINING_CARD_MARK, base_model=hub_id)


def write_training_card(output_dir, config, corpus_dir, *, base_model: str | None, args, state) -> bool:
    """
    Writes the training card into `output_dir` where its `README.md` is absent or one beart wrote.

    Returns:
        `bool`: whether the card was written (not where the folder holds a card of the user's own).
    """
    path = os.path.join(os.fspath(output_dir), CARD_NAME)
    if os.path.lexists(path) and not _written_by_beart(path, config):
        logger.warning(f"{path} is a card of your own and is kept; beart train's card lists the songs it learned from.")
        return False
    corpus_dir = os.fspath(corpus_dir)
    info_path = os.path.join(corpus_dir, CORPUS_INFO_NAME)
    info = read_corpus_info(info_path)  # read once, bounded: the counts and the credits
    name = os.path.basename(os.path.abspath(corpus_dir))
    text = training_card_text(
        config, corpus_credits(info, info_path), _counts(info), corpus_name=name, base_model=base_model, args=args,
        state=state,
    )  # fmt: skip
    write_atomically(path, text.encode("utf-8"))
    return True


def _written_by_beart(path: str, config) -> bool:
    if os.path.islink(path) or not os.path.isfile(path):
        return False
    text = read_card(path)
    return TRAINING_CARD_MARK in text or CARRIED_CARD_MARK in text or text == model_card_text(config)


def _counts(info: dict) -> dict:
    """The songs, maps and examples per split of a corpus's `beart_corpus.json` object (0 where it states none)."""
    try:
        return {key: {split: int(info[key].get(split, 0)) for split in ("train", "test")} for key in
                ("songs", "maps", "examples")}  # fmt: skip
    except (ValueError, AttributeError, KeyError, TypeError):
        return {key: {"train": 0, "test": 0} for key in ("songs", "maps", "examples")}


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 'es' if noun.endswith('s') else 's'}"


def _cell(text: str) -> str:
    """`text` (one line already) as a markdown table cell that shows it as written: no table, link or HTML syntax."""
    for character, escaped in (("\\", "\\\\"), ("|", "\\|"), ("[", "\\["), ("]", "\\]"), ("<", "&lt;"), (">", "&gt;")):
        text = text.replace(character, escaped)
    return text


def _data_section(credits, counts: dict, corpus_name: str, base_model: str | None) -> str:
    songs, maps, examples = counts["songs"], counts["maps"], counts["examples"]
    lines = [
        "## Training data",
        "",
        f"Trained on the corpus {_cell(corpus_name)} (`beart dataset build`): {_count(maps['train'], 'chart')} of "
        f"{_count(songs['train'], 'song')} ({examples['train']:,} examples); {_count(maps['test'], 'chart')} of "
        f"{_count(songs['test'], 'song')} held out of training, for its evaluation loss.",
    ]
    if base_model:
        shown = os.path.basename(base_model.rstrip("/\\")) if os.path.isabs(base_model) else base_model
        lines += [
            "",
            f"Fine-tuned from {_cell(shown)}: the songs and charts that model learned from are listed in its own "
            "card, and their credits carry over to this one.",
        ]
    lines.append("")
    if credits is None:
        lines.append(
            "The corpus keeps no credits (built by an earlier beart): list the songs and charts it holds here, with "
            "the credits their licences ask for."
        )
        return "\n".join(lines) + "\n"
    lines += [
        "The songs and charts keep their own licences, and many ask for credit (CC BY, CC BY-SA): keep this list with "
        "the model and with anything made from it.",
        "",
        "| split | song | artist | game | charts | charted by |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for (split, title, artist, game), (charts, charters) in _by_song(credits).items():
        row = [split, title or "(untitled)", artist, game, ", ".join(charts), ", ".join(charters)]
        lines.append("| " + " | ".join(_cell(cell) for cell in row) + " |")
    return "\n".join(lines) + "\n"


def _by_song(credits: list[dict]) -> dict:
    """The credits of one song once (the stem mixes of a song are songs of the corpus too), train first."""
    songs = {}
    for credit in sorted(credits, key=lambda credit: credit["split"] != "train"):
        game = GAMES.get(credit["format"], credit["format"])
        charts, charters = songs.setdefault((credit["split"], credit["title"], credit["artist"], game), ({}, {}))
        charts.update(dict.fromkeys(credit["charts"]))
        charters.update(dict.fromkeys(credit["charters"]))
    return songs


def _procedure_section(args, state) -> str:
    processes, accumulation = max(1, args.world_size), args.gradient_accumulation_steps
    batch = args.per_device_train_batch_size
    schedule = (
        f"exponential decay, x{args.lr_decay_gamma:g} per epoch" if args.lr_decay == "exponential"
        else str(getattr(args.lr_scheduler_type, "value", args.lr_scheduler_type))
    )  # fmt: skip
    rows = [
        ("steps", f"{state.global_step:,} ({state.epoch or 0:.3g} epochs)"),
        ("batch", f"{batch} per device x {_count(processes, 'process')} x {accumulation} accumulated = "
                  f"{batch * processes * accumulation}"),  # fmt: skip
        ("learning rate", f"{args.learning_rate:g}, {schedule}, {args.get_warmup_steps(state.max_steps or 0)} warm-up "
                          "steps"),  # fmt: skip
        ("weight decay", f"{args.weight_decay:g}"),
        ("augmentation", "on" if args.augment else "off"),
        ("seed", str(args.seed)),
    ]
    lines = ["## Training procedure", "", "| setting | value |", "| --- | --- |"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    results = _results(state.log_history)
    if results:
        lines += ["", "| result | value |", "| --- | --- |"] + [f"| {name} | {value} |" for name, value in results]
    return "\n".join(lines) + "\n"


def _results(log_history: list[dict]) -> list[tuple[str, str]]:
    results = []
    summary = next((entry for entry in reversed(log_history) if "train_loss" in entry), None)
    if summary:
        results.append(("training loss (mean over the run)", f"{summary['train_loss']:.4f}"))
        results.append(("training time", f"{summary.get('train_runtime', 0.0):.0f} s"))
    evaluation = next((entry for entry in reversed(log_history) if "eval_loss" in entry), None)
    if evaluation:
        step = evaluation.get("step", "?")
        for key, name in (
            ("eval_loss", "evaluation loss"), ("eval_token_accuracy", "token accuracy"),
            ("eval_perplexity", "perplexity"), ("eval_tempo_mae_bpm", "tempo error (BPM)"),
        ):  # fmt: skip
            if key in evaluation:
                results.append((f"{name}, held-out charts, step {step}", f"{evaluation[key]:.4f}"))
    return results
