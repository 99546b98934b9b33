"""A model folder's weights checked against its configuration before a model is built from them.

A model folder from the hub or a stranger is untrusted input, as a beatmap is. transformers builds the model its
`config.json` describes and fills it from `model.safetensors`: a configuration that asks for more than the weights hold
(a feed-forward size of billions, thousands of layers, a position table longer than any song) makes it allocate the
tensors the file lacks, or mismatches, at the configured size (hundreds of GB) before it reports the mismatch.
`check_weights_fit_config` reads only the file's header (names and shapes) and refuses such a pair, naming the file
and the first tensor that does not fit, before anything is allocated; so is a configuration of fewer layers than
the file holds, whose model would leave some of them unread. A configuration may still add a few small
tensors a file lacks (a model saved before the difficulty embedding existed starts it at zero). Weights of no
floating-point type are refused from the header too, and weights that hold `nan` or infinite values once loaded
(`check_finite_weights`).
"""

import os
import re

import torch
from safetensors import SafetensorError, safe_open
from transformers.utils import cached_file, logging

from .configuration_beart import BeartConfig


logger = logging.get_logger(__name__)

WEIGHTS_NAME = "model.safetensors"
# A configuration may ask for this many more numbers than the weights file holds (tensors the file lacks, which
# transformers initialises, and buffers such as the position table), beyond the file's own count.
EXTRA_ELEMENTS = 1 << 20
FLOAT_TYPES = frozenset({"F16", "BF16", "F32", "F64"})  # safetensors' names of the floating-point types
HUB_KEYS = ("cache_dir", "force_download", "proxies", "token", "revision", "local_files_only", "subfolder")


def weights_file(pretrained_model_name_or_path, hub_options: dict) -> str | None:
    """
    The single `model.safetensors` that `from_pretrained` would load (a folder's, or the cached hub file, fetched
    as `from_pretrained` fetches it), or `None` where there is none (sharded or `.bin` weights, an original
    checkpoint), which transformers then reports itself.

    Args:
        pretrained_model_name_or_path (`str` or `os.PathLike`): a folder or a hub id.
        hub_options (`dict`): the `from_pretrained` keywords; those of `HUB_KEYS` are used.
    """
    options = {key: hub_options[key] for key in HUB_KEYS if hub_options.get(key) is not None}
    location = os.fspath(pretrained_model_name_or_path)
    if os.path.isdir(location):
        path = os.path.join(location, options.get("subfolder", ""), WEIGHTS_NAME)
        return path if os.path.isfile(path) else None
    try:
        return cached_file(
            location, WEIGHTS_NAME, _raise_exceptions_for_missing_entries=False,
            _raise_exceptions_for_connection_errors=False, **options,
        )  # fmt: skip
    except (OSError, ValueError):
        return None  # no such repository, no network: `from_pretrained` says so in its own words


def saved_shapes(path: str) -> dict[str, tuple[int, ...]]:
    """Name -> shape of every tensor in a safetensors file, read from its header alone.

    Raises:
        `ValueError`: the file is no readable safetensors file, or holds a tensor of no floating-point type (weights
            of whole numbers read as nonsense).
    """
    try:
        with safe_open(path, framework="pt") as weights:
            slices = {name: weights.get_slice(name) for name in weights.keys()}
            kinds = {name: tensor.get_dtype() for name, tensor in slices.items()}
            shapes = {name: tuple(tensor.get_shape()) for name, tensor in slices.items()}
    except (SafetensorError, OSError) as error:
        raise ValueError(f"{path} is not a readable safetensors file ({error}).") from None
    for name, kind in kinds.items():
        if kind not in FLOAT_TYPES:
            raise ValueError(f"{path}: the weights {name!r} are of type {kind}; a model's weights are floating point.")
    return shapes


def check_finite_weights(model, where: str) -> None:
    """Raises `ValueError` where a loaded model holds a `nan` or infinite weight (a diverged run, a damaged file):
    every probability it gives would be `nan`."""
    for name, parameter in model.named_parameters():
        if not torch.isfinite(parameter).all():
            raise ValueError(f"{where}: the weights {name!r} hold nan or infinite values; the model cannot be used.")


def check_weights_fit_config(path: str, config: BeartConfig, model_class) -> None:
    """
    Raises `ValueError`, naming `path`, where the model `config` describes does not fit the weights saved there:
    another number of layers than the file holds (more would be drawn at random, fewer leave layers unread), a
    tensor of another shape, or many more numbers in all than the file holds
    (`EXTRA_ELEMENTS`). The model is laid out on the `meta` device, which allocates nothing.

    Args:
        path (`str`): the `model.safetensors` file.
        config (`BeartConfig`): the configuration the model would be built from.
        model_class (`type`): the model class `from_pretrained` was called on.
    """
    saved = saved_shapes(path)
    saved_layers = {int(match.group(1)) for name in saved if (match := re.match(r"(?:\w+\.)?layers\.(\d+)\.", name))}
    if saved_layers and config.num_hidden_layers != max(saved_layers) + 1:
        raise ValueError(
            f"{path} holds {max(saved_layers) + 1} layers, but its configuration asks for {config.num_hidden_layers}: "
            "the configuration and the weights do not belong together."
        )
    with torch.device("meta"):
        model = model_class(config)
    expected = {name: tuple(tensor.shape) for name, tensor in model.state_dict().items()}
    prefix = f"{model.base_model_prefix}."
    for name, shape in saved.items():
        wanted = expected.get(name, expected.get(name.removeprefix(prefix)))
        if wanted is not None and wanted != shape:
            raise ValueError(
                f"{path}: the weights {name!r} have shape {list(shape)}, but the configuration asks for "
                f"{list(wanted)}: the configuration and the weights do not belong together."
            )
    asked = sum(tensor.numel() for tensor in (*model.parameters(), *model.buffers()))
    held = sum(int(torch.Size(shape).numel()) for shape in saved.values())
    if asked > 2 * held + EXTRA_ELEMENTS:
        raise ValueError(
            f"{path} holds {held:,} weights, but its configuration asks for a model of {asked:,} numbers: the "
            "configuration and the weights do not belong together."
        )
