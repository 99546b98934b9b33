"""The credits of a corpus: which songs and charts a model learned from, and whose they are.

Songs and charts come with licences, and many ask for credit (CC BY, CC BY-SA): a model trained on them, and its
model card, should say whose work it learned from. `beart dataset build` keeps one credit per song in
`beart_corpus.json` (`credits`): its split, title, artist, the charts' names and their charters, and the format they
were read from. `beart train` lists them in the model card it writes (`training_card.py`). A corpus is data someone
may share, so its file is read bounded (`read_corpus_info`) and the credits as untrusted text: `corpus_credits`
keeps only the fields it knows, as one line each.
"""

import json
import os

from transformers.utils import logging

from ..beatmaps.text_fields import one_line


logger = logging.get_logger(__name__)

CREDIT_FIELDS = ("split", "title", "artist", "charters", "charts", "format")
MAX_CREDITS_BYTES = 32 * 2**20  # a corpus of 100,000 songs' credits is about 20 MB
MAX_NAMES = 64  # charters or charts kept of one song


def song_credit(split: str, metas: list[dict]) -> dict:
    """
    The credit of one song of a corpus.

    Args:
        split (`str`): `train` or `test`.
        metas (`list[dict]`): the `meta` of each of its maps that the corpus keeps (`IntermediateBeatmap.meta`).

    Returns:
        `dict`: `split`, `title`, `artist` (of the first map that names them), `charters` and `charts` (each named
        once, in order; `charts` by their difficulty names), `format` (the `source.format` they were read from).
    """

    def first(key: str) -> str:
        return next((one_line(meta[key]) for meta in metas if meta.get(key)), "")

    def each(values) -> list[str]:
        return list(dict.fromkeys(one_line(value) for value in values if value))

    return {
        "split": split,
        "title": first("title"),
        "artist": first("artist"),
        "charters": each(meta.get("creator") for meta in metas),
        "charts": each(meta.get("version") for meta in metas),
        "format": next(
            (one_line(meta["source"].get("format", "")) for meta in metas if isinstance(meta.get("source"), dict)), ""
        ),
    }


def read_corpus_info(corpus_info_path) -> dict:
    """
    A corpus's `beart_corpus.json` (its counts, chart shifts and credits), read as untrusted: its JSON object, or `{}`
    with a warning naming it where it is larger than `MAX_CREDITS_BYTES`, no JSON, or no object.

    Args:
        corpus_info_path (`str` or `os.PathLike`): the file.
    """
    path = os.fspath(corpus_info_path)
    try:
        if os.path.getsize(path) > MAX_CREDITS_BYTES:
            raise ValueError(f"larger than {MAX_CREDITS_BYTES // 2**20} MiB")
        with open(path, encoding="utf-8") as file:
            info = json.load(file)
        if not isinstance(info, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as error:
        logger.warning(f"{path}: the corpus's credits could not be read ({error}); the model card lists none.")
        return {}
    return info


def corpus_credits(info: dict, where: str) -> list[dict] | None:
    """
    The credits `beart dataset build` kept in a corpus's `beart_corpus.json` (`read_corpus_info`).

    Args:
        info (`dict`): the file's object.
        where (`str`): the file, named in the warning.

    Returns:
        `list[dict]` of the fields of `CREDIT_FIELDS` (text as one line, lists of such), or `None` where the corpus
        keeps none (built before credits were kept) or they are no list of songs (a warning names the file).
    """
    credits = info.get("credits")
    if credits is None:
        return None
    if not isinstance(credits, list) or not all(isinstance(credit, dict) for credit in credits):
        logger.warning(f"{where}: `credits` is not a list of songs; the model card lists none.")
        return None
    return [_clean(credit) for credit in credits]


def read_credits(corpus_info_path) -> list[dict] | None:
    """The credits of the `beart_corpus.json` at `corpus_info_path` (`read_corpus_info`, then `corpus_credits`)."""
    return corpus_credits(read_corpus_info(corpus_info_path), os.fspath(corpus_info_path))


def _clean(credit: dict) -> dict:
    cleaned = {}
    for key in CREDIT_FIELDS:
        value = credit.get(key)
        if key in ("charters", "charts"):
            items = value[:MAX_NAMES] if isinstance(value, list) else []
            cleaned[key] = [one_line(item) for item in items if isinstance(item, (str, int, float)) and item != ""]
        else:
            cleaned[key] = one_line(value) if isinstance(value, (str, int, float)) else ""
    return cleaned
