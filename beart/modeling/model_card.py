"""The model card (`README.md`) that `save_pretrained` writes beside a BEaRT model that has none."""

from .configuration_beart import BeartConfig


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
