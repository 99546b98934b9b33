"""The one way to load a BEaRT model for use: from a preset, a transformers folder or hub repository, or the original
BeatLearning trainer's checkpoint (`quaver_beart_v1.pt`, a file or what a folder or hub repository such as
`sedthh/BeatLearning` holds), which is converted on load. It sits above both the model and the conversion: the model
never imports either.
"""

import os

from transformers.utils import logging

from .conversion import ORIGINAL_CHECKPOINT_NAME, find_original_checkpoint, model_from_original_checkpoint
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
    hub_options = hub_loading_options(location)
    try:
        return _load_saved_model(location, hub_options, config_overrides)
    except OSError:
        from huggingface_hub import constants

        if not hub_options.get("local_files_only") or constants.HF_HUB_OFFLINE:
            raise
    logger.info(f"{location}: the Hugging Face cache holds part of it (a download cut short?); downloading it.")
    return _load_saved_model(location, hub_loading_options(location, use_cache=False), config_overrides)


def _load_saved_model(location: str, hub_options: dict, config_overrides: dict) -> BeartModel:
    """The model saved in a folder or hub repository: its transformers weights, else its original checkpoint."""
    try:
        model = BeartModel.from_pretrained(location, **hub_options, **config_overrides)
    except OSError as error:
        checkpoint = find_original_checkpoint(location, **hub_options)
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
        processor = _saved_processor(os.fspath(model_name_or_path))
        if processor is not None:
            processor.check_fits(config, f"The processor saved in {os.fspath(model_name_or_path)}")
            return processor
    return BeartProcessor.from_model_config(config)


def _saved_processor(location: str) -> BeartProcessor | None:
    """The processor saved in a folder or hub repository, `None` where none is saved or it cannot be fetched: from the
    Hugging Face cache first, then from the hub where the cache lacks it (a model downloaded just now: loading the
    model fetches no processor file) and does not know it to be missing."""
    from huggingface_hub import _CACHED_NO_EXIST, try_to_load_from_cache
    from transformers.utils import PROCESSOR_NAME

    try:
        options = hub_loading_options(location)
    except OSError:
        return None  # no such folder, hub id or hub (`load_model` has said so)
    try:
        return BeartProcessor.from_pretrained(location, **options)
    except OSError:
        if not options.get("local_files_only") or try_to_load_from_cache(location, PROCESSOR_NAME) is _CACHED_NO_EXIST:
            return None  # none saved there
    try:
        return BeartProcessor.from_pretrained(location, **hub_loading_options(location, use_cache=False))
    except OSError:
        return None  # none saved there, or the hub is out of reach (said at once, `hub_loading_options`)


def hub_loading_options(model_name_or_path, use_cache: bool = True) -> dict:
    """
    The `from_pretrained` options that load `model_name_or_path` without waiting on the network: none for a folder;
    for a hub id, `local_files_only` where the Hugging Face cache holds the model (its `config.json` or an original
    checkpoint), so that a model downloaded once loads offline at once (every file's check for a newer revision
    retried for 23 s: `beart generate` took 4 min); otherwise none, once one request has found the hub reachable and
    holding the repository (unreachable, every file's download was retried, 75 s before the error).

    Args:
        model_name_or_path (`str` or `os.PathLike`): a folder or a hub id.
        use_cache (`bool`, *optional*, defaults to `True`): `False` goes to the hub even where the cache holds the
            model's configuration (a download cut short left the weights out).

    Raises:
        `OSError`: no such folder, and the id is not cached and the hub cannot be reached (or `HF_HUB_OFFLINE` is
            set), or it holds no such repository.
    """
    from huggingface_hub import HfApi, constants, try_to_load_from_cache
    from huggingface_hub.errors import HfHubHTTPError, HFValidationError

    location = os.fspath(model_name_or_path)
    if os.path.isdir(location):
        return {}
    try:
        cached = [try_to_load_from_cache(location, name) for name in ("config.json", ORIGINAL_CHECKPOINT_NAME)]
    except HFValidationError:
        raise OSError(f"No model folder or file at {location} (and it is no hub id).") from None
    if use_cache and any(isinstance(path, str) for path in cached):
        logger.info(f"{location}: read from the Hugging Face cache ({constants.HF_HUB_CACHE}), not the network.")
        return {"local_files_only": True}
    if constants.HF_HUB_OFFLINE:
        raise OSError(
            f"{location} is no folder here and not in the Hugging Face cache ({constants.HF_HUB_CACHE}); "
            "HF_HUB_OFFLINE is set, so it is not downloaded."
        )
    try:
        HfApi().model_info(location, timeout=constants.HF_HUB_ETAG_TIMEOUT)
    except HfHubHTTPError as error:
        raise OSError(f"{location} is no folder here and no model the Hugging Face hub gives ({error}).") from None
    except Exception as error:  # the hub's HTTP client's connection errors and timeouts: no network
        raise OSError(
            f"{location} is no folder here and not in the Hugging Face cache ({constants.HF_HUB_CACHE}), and the hub "
            f"cannot be reached ({error or type(error).__name__}). Download it where there is a network (`hf "
            f"download {location}`), or give a folder."
        ) from None
    return {}
