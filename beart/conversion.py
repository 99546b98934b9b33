"""Conversion of checkpoints written by the original BeatLearning trainer into BEaRT transformers directories.

The original trainer saves a pickle (`torch.save`) of a dict with `model_state_dict`, optimizer and scheduler
states, and a `best` dict of numpy floats. It is loaded with `torch.load(weights_only=True)`, allowing only the numpy
scalar and dtype classes that dict needs, so no arbitrary code from the file can run. A checkpoint that needs other
classes is refused unless the caller trusts it (`trust_pickle=True`, a full unpickle).
"""

import os
import re
import shutil
import tempfile
import zipfile

import numpy as np
import torch
from transformers.utils import logging

from .modeling import BeartConfig, BeartModel
from .processing import BeartProcessor
from .safety import check_writable_folder
from .beat_vocabulary import vocabulary_size


logger = logging.get_logger(__name__)

ORIGINAL_CHECKPOINT_NAME = "quaver_beart_v1.pt"
ORIGINAL_FORESIGHT = {512: 64, 1024: 128}

ORIGINAL_LAYER_NAMES = {
    "self_attn.in_proj_weight": "attention.qkv.weight",
    "self_attn.in_proj_bias": "attention.qkv.bias",
    "self_attn.out_proj.weight": "attention.output.weight",
    "self_attn.out_proj.bias": "attention.output.bias",
    "linear1.weight": "intermediate.weight",
    "linear1.bias": "intermediate.bias",
    "linear2.weight": "output.weight",
    "linear2.bias": "output.bias",
    "norm1.weight": "attention_norm.weight",
    "norm1.bias": "attention_norm.bias",
    "norm2.weight": "output_norm.weight",
    "norm2.bias": "output_norm.bias",
}
ORIGINAL_TOP_LEVEL_NAMES = {
    "input_embedding.weight": "embeddings.token_embeddings.weight",
    "segment_embedding.weight": "embeddings.track_embeddings.weight",
    "audio_embedding.weight": "embeddings.audio_projection.weight",
    "regression_head.weight": "tempo_head.weight",
    "classification_head.weight": "token_head.weight",
}


class OriginalCheckpointError(ValueError):
    """Raised when a file is not a readable checkpoint of the original BeatLearning trainer."""


def _numpy_pickle_globals() -> list:
    scalar = np._core.multiarray.scalar
    dtypes = [np.dtypes.Float64DType, np.dtypes.Float32DType, np.dtypes.Int64DType, np.dtypes.Int32DType]
    return [scalar, (scalar, "numpy.core.multiarray.scalar"), np.dtype, *dtypes]


def load_original_checkpoint(path: str | os.PathLike, trust_pickle: bool = False) -> dict[str, torch.Tensor]:
    """
    Reads the model weights of an original checkpoint.

    Args:
        path (`str` or `os.PathLike`): the `.pt` file.
        trust_pickle (`bool`, *optional*, defaults to `False`): unpickle everything in the file (only for files you
            trust); by default only tensors, containers and numpy scalars are accepted.

    Returns:
        The original `model_state_dict`.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Checkpoint not found: {path}")
    with open(path, "rb") as file:
        is_legacy_pickle = file.read(1) == b"\x80"
    if not (zipfile.is_zipfile(path) or is_legacy_pickle):
        raise OriginalCheckpointError(f"{path} is not a PyTorch checkpoint (neither a torch.save zip nor a pickle).")
    try:
        if trust_pickle:
            checkpoint = torch.load(path, map_location="cpu", weights_only=False)
        else:
            with torch.serialization.safe_globals(_numpy_pickle_globals()):
                checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        hint = "" if trust_pickle else " If you trust the file, retry with trust_pickle=True (--trust-pickle)."
        raise OriginalCheckpointError(
            f"Cannot read {path} as a BeatLearning checkpoint: {_unpickling_reason(error)}.{hint}"
        ) from error
    state_dict = checkpoint.get("model_state_dict") if isinstance(checkpoint, dict) else None
    if state_dict is None and isinstance(checkpoint, dict) and "input_embedding.weight" in checkpoint:
        state_dict = checkpoint
    if not isinstance(state_dict, dict) or "input_embedding.weight" not in state_dict:
        raise OriginalCheckpointError(f"{path} holds no BEaRT `model_state_dict`.")
    return state_dict


def _unpickling_reason(error: Exception) -> str:
    """The informative line of a `torch.load` error (the unsupported global or operand), not its whole essay."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    reasons = [line for line in lines if line.startswith(("Unsupported", "WeightsUnpickler"))]
    return reasons[-1] if reasons else (lines[0] if lines else type(error).__name__)


def config_from_original_state_dict(state_dict: dict[str, torch.Tensor], **overrides) -> BeartConfig:
    """
    The [`BeartConfig`] of an original state dict, read from its weight shapes. What the shapes do not show takes the
    original defaults (4 heads, GELU, no mel gradient, foresight 64 for a context of 512 and 128 for 1024) and the
    [`BeartConfig`] defaults for the rest (dropout 0.1, none on attention weights); any field can be overridden.
    """
    vocab, hidden_size = state_dict["input_embedding.weight"].shape
    groups = next((g for g in range(2, 13) if vocabulary_size(g) == vocab), None)
    if groups is None:
        raise OriginalCheckpointError(f"A vocabulary of {vocab} tokens matches no beat-token window size.")
    context_length = state_dict["positional_embedding.pe"].shape[1]
    layer_indices = {int(m.group(1)) for key in state_dict if (m := re.match(r"transformers\.layers\.(\d+)\.", key))}
    fields = {
        "groups": groups,
        "max_position_embeddings": context_length,
        "audio_foresight": ORIGINAL_FORESIGHT.get(context_length, context_length // 8),
        "hidden_size": hidden_size,
        "num_hidden_layers": len(layer_indices),
        "intermediate_size": state_dict["transformers.layers.0.linear1.weight"].shape[0],
        "mel_bands": state_dict["audio_embedding.weight"].shape[1] // groups,
    }
    num_tracks = state_dict["segment_embedding.weight"].shape[0]
    if num_tracks != 4:
        fields["track_names"] = [f"TRACK_{index}" for index in range(num_tracks)]
    return BeartConfig(**{**fields, **overrides})


def convert_original_state_dict(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Renames the original weights to [`BeartModel`] names, dropping the fixed position table (recomputed) and the
    unused `transformer_layer.*` copy the original keeps beside its encoder."""
    converted = {}
    for key, tensor in state_dict.items():
        layer = re.match(r"transformers\.layers\.(\d+)\.(.+)", key)
        if key in ORIGINAL_TOP_LEVEL_NAMES:
            converted[ORIGINAL_TOP_LEVEL_NAMES[key]] = tensor
        elif layer and layer.group(2) in ORIGINAL_LAYER_NAMES:
            converted[f"layers.{layer.group(1)}.{ORIGINAL_LAYER_NAMES[layer.group(2)]}"] = tensor
        elif not (key.startswith("transformer_layer.") or key == "positional_embedding.pe"):
            raise OriginalCheckpointError(f"Unexpected weight {key!r} in the original checkpoint.")
    return converted


def find_original_checkpoint(pretrained_model_name_or_path: str | os.PathLike, **hub_kwargs) -> str | None:
    """
    The path of an original checkpoint (`quaver_beart_v1.pt`) in a local folder or a Hugging Face hub repository
    (through the local cache when `HF_HUB_OFFLINE=1`), or `None` when there is none.

    Args:
        pretrained_model_name_or_path (`str` or `os.PathLike`): a folder or a hub repository id.
        hub_kwargs: `revision`, `cache_dir`, `token`, `local_files_only` and `subfolder`, as for `from_pretrained`.
    """
    location = os.fspath(pretrained_model_name_or_path)
    filename = hub_kwargs.pop("original_checkpoint", ORIGINAL_CHECKPOINT_NAME)
    if os.path.isdir(location):
        path = os.path.join(location, hub_kwargs.get("subfolder") or "", filename)
        return path if os.path.isfile(path) else None
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    download_kwargs = {
        key: hub_kwargs[key]
        for key in ("revision", "cache_dir", "token", "local_files_only", "subfolder")
        if hub_kwargs.get(key) is not None
    }
    try:
        return hf_hub_download(location, filename, **download_kwargs)
    except (HfHubHTTPError, LocalEntryNotFoundError, OSError, ValueError):
        return None


def model_from_original_checkpoint(
    path: str | os.PathLike, trust_pickle: bool = False, **config_overrides
) -> BeartModel:
    """A [`BeartModel`] in eval mode holding the weights of an original checkpoint."""
    state_dict = load_original_checkpoint(path, trust_pickle=trust_pickle)
    config = config_from_original_state_dict(state_dict, **config_overrides)
    model = BeartModel(config)
    missing, unexpected = model.load_state_dict(convert_original_state_dict(state_dict), strict=False)
    if missing or unexpected:
        raise OriginalCheckpointError(f"Weights do not fit the model: missing {missing}, unexpected {unexpected}.")
    table = state_dict["positional_embedding.pe"][0]
    if not torch.allclose(table, model.embeddings.position_table, atol=1e-6):
        raise OriginalCheckpointError("The checkpoint's position table is not the fixed sinusoid BEaRT uses.")
    return model.eval()


def convert_original_checkpoint(
    path: str | os.PathLike, output_dir: str | os.PathLike, trust_pickle: bool = False, overwrite: bool = False,
    **config_overrides,
) -> str:  # fmt: skip
    """
    Writes a complete transformers directory (config.json, model.safetensors, tokenizer and preprocessor files) for
    an original checkpoint, so that `AutoModel` and `AutoProcessor` load it. Nothing is written if the checkpoint
    cannot be read.

    Args:
        path (`str` or `os.PathLike`): the original `.pt` checkpoint.
        output_dir (`str` or `os.PathLike`): the folder written: new, or empty.
        trust_pickle (`bool`, *optional*, defaults to `False`): unpickle the file fully (see
            `load_original_checkpoint`).
        overwrite (`bool`, *optional*, defaults to `False`): write into an `output_dir` that holds files (a model's
            files of the same names are replaced); without it such a folder is refused before anything is read.
        **config_overrides: configuration fields changed (e.g. `audio_foresight`).

    Returns:
        The output directory.

    Raises:
        `FileExistsError`: `output_dir` holds files and `overwrite` is not set.
    """
    check_writable_folder(output_dir, overwrite, "replace the model files it holds")
    model = model_from_original_checkpoint(path, trust_pickle=trust_pickle, **config_overrides)
    processor = BeartProcessor.from_model_config(model.config)
    output_dir = os.path.abspath(os.fspath(output_dir))
    parent = os.path.dirname(output_dir)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".beart-convert-", dir=parent)
    try:
        model.save_pretrained(staging)
        processor.save_pretrained(staging)
        os.makedirs(output_dir, exist_ok=True)
        for name in os.listdir(staging):
            os.replace(os.path.join(staging, name), os.path.join(output_dir, name))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    logger.info("Converted %s into %s", path, output_dir)
    return output_dir
