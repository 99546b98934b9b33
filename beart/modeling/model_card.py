"""The model card (`README.md`) that `save_pretrained` writes beside a BEaRT model that has none: the card of the
folder the model was loaded from, where it has one, else a plain card with places to fill in."""

import os

from .configuration_beart import BeartConfig


MAX_CARD_BYTES = 1 << 20  # a card is read whole up to this size; beyond it the plain card is written
# The line that opens a card carried from the folder a model was loaded from (after its metadata header); the training
# card replaces a card that has it, as it replaces the plain one: the weights it describes have changed.
CARRIED_CARD_MARK = "<!-- beart: the card of the model these weights were loaded from"


CARD_METADATA = """---
license: apache-2.0
library_name: transformers
pipeline_tag: audio-to-audio
tags:
- beart
- beatlearning
- rhythm-game
- beatmap-generation
metrics:
- f1
---
"""


FILL_IN = """## Data, training and evaluation

Fill in: the maps and songs it was trained on (with the credits their licences ask for), how it was trained, and
its figures from `beart evaluate`, with the songs each figure comes from.
"""


def model_card_text(config: BeartConfig, details: str = FILL_IN, mark: str = "", base_model: str | None = None) -> str:
    """
    A model card for a BEaRT model: the Hugging Face metadata header, what the model is, how to run it, and what only
    its trainer knows (data, training, figures): `details`, by default places to fill in.

    Args:
        config (`BeartConfig`): the model's configuration.
        details (`str`, *optional*): the card's sections after the usage (markdown, from `## ...`).
        mark (`str`, *optional*): a line after the metadata header (an HTML comment: who wrote the card).
        base_model (`str`, *optional*): the hub id of the model it was fine-tuned from (the metadata's `base_model`,
            which the Hub links).
    """
    from ..beatmaps.formats import FORMATS  # the registry's games; imported here, when a card is written

    games = "; ".join(beatmap_format.game for beatmap_format in FORMATS)
    size = (
        f"context {config.max_position_embeddings}, foresight {config.audio_foresight}, "
        f"{config.num_hidden_layers} layers, hidden {config.hidden_size}, {config.mel_bands} mel bands"
    )
    metadata = CARD_METADATA.replace("\n---\n", f"\nbase_model: {base_model}\n---\n") if base_model else CARD_METADATA
    header = metadata + (f"{mark}\n" if mark else "")
    return f"""{header}
# BEaRT model

A [BEaRT](https://github.com/sedthh/BeatLearning) model saved by the `beart` package ({size}). It turns a song into a
rhythm-game beatmap ({games}).

```python
import beart
from transformers import pipeline

generator = pipeline("beatmap-generation", model="THIS_FOLDER_OR_ID")
beatmap = generator("song.mp3", mode="mania", difficulty=0.6, output_path="song.osz")
```

Without beart installed, the code saved beside the weights serves:
`pipeline("beatmap-generation", model="THIS_FOLDER_OR_ID", trust_remote_code=True)`.

{details}"""


def read_card(path) -> str:
    """A card's text, at most `MAX_CARD_BYTES` of it (undecodable bytes replaced)."""
    with open(path, "rb") as file:
        return file.read(MAX_CARD_BYTES).decode("utf-8", "replace")


def carried_card_text(source, plain: str = "") -> str | None:
    """
    The card of the folder a model was loaded from (`source`, its `name_or_path`), marked as carried, where that folder
    holds one: a model saved again (a pipeline saved to share, a copy in half precision) keeps the data, the figures and
    the credits its licences ask to travel with the weights; the plain card said "Fill in: the maps and songs it was
    trained on". `None` for a hub id, a folder without a card, a card beyond `MAX_CARD_BYTES` or the `plain` card
    (nothing to carry: the plain card is written again).
    """
    if not source or not os.path.isdir(os.fspath(source)):
        return None
    path = os.path.join(os.fspath(source), "README.md")
    if not os.path.isfile(path) or os.path.getsize(path) > MAX_CARD_BYTES:
        return None
    text = read_card(path)
    mark = f"{CARRIED_CARD_MARK} ({os.path.basename(os.path.abspath(source))}); replace it where they changed -->\n"
    if text == plain:
        return None
    if CARRIED_CARD_MARK in text:
        return text
    if text.startswith("---\n") and "\n---\n" in text[4:]:  # the Hub reads the metadata header first
        end = text.index("\n---\n", 4) + len("\n---\n")
        return text[:end] + mark + text[end:]
    return mark + text
