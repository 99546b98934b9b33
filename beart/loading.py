"""The one way to load a BEaRT model for use: from a preset, a transformers folder or hub repository, or the original
BeatLearning trainer's checkpoint (`quaver_beart_v1.pt`, a file or what a folder or hub repository such as
`sedthh/BeatLearning` holds), which is converted on load. It sits above both the model and the conversion: the model
never imports either.
"""

import os

from transformers.utils import logging

from .conversion import find_original_checkpoint, model_from_original_checkpoint
from .modeling import BeartConfig, BeartModel
from .processing import BeartProcessor


logger = logging.get_logger(__name__)


def load_model(model_name_or_path=None, *, preset: str | None = None, **config_overrides) -> BeartModel:
    """
    A BEaRT model, with `config_overrides` applied to its configuration and checked as a fresh configuration is.

    Args:
        model_name_or_path (`str` or `os.PathLike`, *optional*): a hub id, a folder, or an original `.pt` checkpoint;
            without it, a fresh model of `preset`.
        preset (`str`, *optional*): `quaver` (the default) or `crotchet`, for a fresh model.
        **config_overrides: configuration fields to change (e.g. `prediction_steps=4`).

    Raises:
        `OSError`: no model at `model_name_or_path`. `ValueError`: the overrides make an invalid configuration.
    """
    if model_name_or_path is None:
        return BeartModel(BeartConfig.from_preset(preset or "quaver", **config_overrides))
    location = os.fspath(model_name_or_path)
    if os.path.isfile(location):
        return model_from_original_checkpoint(location, **config_overrides)
    try:
        model = BeartModel.from_pretrained(location, **config_overrides)
    except OSError as error:
        checkpoint = find_original_checkpoint(location)
        if checkpoint is None:
            raise error
        logger.info(f"No transformers weights in {location}; converting {checkpoint}.")
        return model_from_original_checkpoint(checkpoint, **config_overrides)
    model.config.validate()
    return model


def load_processor(model_name_or_path, config: BeartConfig) -> BeartProcessor:
    """
    The processor saved with a model, or the one its configuration implies where none is saved (an original
    checkpoint has none).

    Raises:
        `ValueError`: the saved processor's settings are out of range, or do not fit the model's `config`
            (`BeartProcessor.check_fits`).
    """
    if model_name_or_path is not None and not os.path.isfile(os.fspath(model_name_or_path)):
        try:
            processor = BeartProcessor.from_pretrained(model_name_or_path)
        except OSError:
            processor = None  # none saved there
        if processor is not None:
            processor.check_fits(config, f"The processor saved in {os.fspath(model_name_or_path)}")
            return processor
    return BeartProcessor.from_model_config(config)
