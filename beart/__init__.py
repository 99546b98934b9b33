"""BEaRT: beatmaps from audio, as a Hugging Face model package.

Importing `beart` registers the BEaRT classes with the transformers Auto API (`AutoConfig`, `AutoModel`,
`AutoTokenizer`, `AutoFeatureExtractor`, `AutoProcessor`) under the model type `beart`, and the
`pipeline("beatmap-generation")` task (`register`). The public names load on first use.

The `beart` command defers the registration (it sets `BEART_DEFER_REGISTRATION=1` before importing the package) so
that `beart --help` and the format commands start without loading torch and transformers' models; its commands that
need the Auto API call `register` themselves.
"""

import importlib
import os


__version__ = "0.1.0"

_PUBLIC_NAMES = {
    "AudioError": ".audio",
    "load_audio": ".audio",
    "BeartConfig": ".modeling",
    "BeartModel": ".modeling",
    "BeartOutput": ".modeling",
    "BeartPreTrainedModel": ".modeling",
    "BeartFeatureExtractor": ".processing",
    "BeartProcessor": ".processing",
    "BeartTokenizer": ".processing",
    "BeatmapGenerationPipeline": ".generation",
    "load_generator": ".generation",
    "load_model": ".loading",
    "load_processor": ".loading",
}
_registered = False


def register() -> None:
    """Registers the BEaRT classes with the transformers Auto API and the `beatmap-generation` pipeline task (once)."""
    global _registered
    if _registered:
        return
    from transformers import AutoConfig, AutoFeatureExtractor, AutoModel, AutoProcessor, AutoTokenizer
    from transformers.pipelines import PIPELINE_REGISTRY

    from .generation import BeatmapGenerationPipeline
    from .generation.pipeline_beatmap_generation import DEFAULT_MODEL_DIR
    from .modeling import BeartConfig, BeartModel
    from .processing import BeartFeatureExtractor, BeartProcessor, BeartTokenizer

    AutoConfig.register(BeartConfig.model_type, BeartConfig, exist_ok=True)
    AutoModel.register(BeartConfig, BeartModel, exist_ok=True)
    AutoTokenizer.register(BeartConfig, slow_tokenizer_class=BeartTokenizer, exist_ok=True)
    AutoFeatureExtractor.register(BeartConfig, BeartFeatureExtractor, exist_ok=True)
    AutoProcessor.register(BeartConfig, BeartProcessor, exist_ok=True)
    PIPELINE_REGISTRY.register_pipeline(
        "beatmap-generation",
        pipeline_class=BeatmapGenerationPipeline,
        pt_model=AutoModel,
        default={"model": (DEFAULT_MODEL_DIR, None)},
        type="audio",
    )
    _registered = True


def __getattr__(name: str):
    if name in _PUBLIC_NAMES:
        value = getattr(importlib.import_module(_PUBLIC_NAMES[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list:
    return sorted([*globals(), *_PUBLIC_NAMES])


if os.environ.get("BEART_DEFER_REGISTRATION") != "1":
    register()

__all__ = [*sorted(_PUBLIC_NAMES), "register"]
