"""BEaRT: beatmaps from audio, as a Hugging Face model package.

Importing `beart` registers the BEaRT classes with the transformers Auto API (`AutoConfig`, `AutoModel`,
`AutoTokenizer`, `AutoFeatureExtractor`, `AutoProcessor`) under the model type `beart`, and the
`pipeline("beatmap-generation")` task.
"""

from transformers import AutoConfig, AutoFeatureExtractor, AutoModel, AutoProcessor, AutoTokenizer
from transformers.pipelines import PIPELINE_REGISTRY

from .audio import AudioError, load_audio
from .modeling import BeartConfig, BeartModel, BeartOutput, BeartPreTrainedModel
from .processing import BeartFeatureExtractor, BeartProcessor, BeartTokenizer
from .generation import BeatmapGenerationPipeline
from .generation.pipeline_beatmap_generation import DEFAULT_MODEL_DIR
from .loading import load_model, load_processor


__version__ = "0.1.0"

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

__all__ = [
    "AudioError",
    "BeartConfig",
    "BeartFeatureExtractor",
    "BeartModel",
    "BeartOutput",
    "BeartPreTrainedModel",
    "BeartProcessor",
    "BeartTokenizer",
    "BeatmapGenerationPipeline",
    "load_audio",
    "load_model",
    "load_processor",
]
