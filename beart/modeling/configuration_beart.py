"""BEaRT model configuration."""

import math
import os

from transformers import PreTrainedConfig
from transformers.activations import ACT2FN

from ..beat_vocabulary import vocabulary_size
from ..beatmaps.numbers import is_number, is_whole_number
from ..decoding_options import read_history_steps


DEFAULT_TRACK_NAMES = ("LEFT", "UP", "DOWN", "RIGHT")


class BeartConfig(PreTrainedConfig):
    r"""
    Configuration of a [`BeartModel`]. The defaults give the original "Quaver" BEaRT; [`BeartConfig.from_preset`]
    builds the original presets by name.

    Args:
        groups (`int`, *optional*, defaults to 10):
            Number of 10 ms steps grouped into one beat token (and frames into one mel slice).
        max_position_embeddings (`int`, *optional*, defaults to 512):
            Length of the model's input (the original `context_length`), shared by all tracks.
        audio_foresight (`int`, *optional*, defaults to 64):
            Positions at the end of the context that carry only future audio, shared by all tracks; must be
            divisible by every allowed track count.
        hidden_size (`int`, *optional*, defaults to 32):
            Width of the embeddings and encoder layers (the original `embedding_size`).
        num_hidden_layers (`int`, *optional*, defaults to 8):
            Number of encoder layers.
        num_attention_heads (`int`, *optional*, defaults to 4):
            Attention heads per layer; must divide `hidden_size`.
        intermediate_size (`int`, *optional*, defaults to 64):
            Width of the feed-forward block.
        mel_bands (`int`, *optional*, defaults to 32):
            Mel bands per 10 ms audio frame.
        mel_gradient (`bool`, *optional*, defaults to `False`):
            Whether the audio frames are gradients across the mel bands.
        hidden_act (`str`, *optional*, defaults to `"gelu"`):
            Activation of the feed-forward block.
        embedding_dropout_prob (`float`, *optional*, defaults to 0.1):
            Dropout on the summed embeddings.
        hidden_dropout_prob (`float`, *optional*, defaults to 0.1):
            Dropout after the attention and feed-forward blocks and inside the feed-forward block.
        attention_probs_dropout_prob (`float`, *optional*, defaults to 0.0):
            Dropout on the attention weights. The original drops them too (0.1, its single dropout value), but on the
            CPU any value above 0 sends attention down torch's slow path and makes a training step about 6x slower,
            so it is off by default; set 0.1 to train exactly as the original. Inference is not affected.
        layer_norm_eps (`float`, *optional*, defaults to 1e-5):
            Epsilon of the post-norm layer norms.
        initializer_range (`float`, *optional*, defaults to 1.0):
            Standard deviation of the normal initialisation of linear and embedding weights (the original uses 1).
        track_names (`list[str]`, *optional*, defaults to `["LEFT", "UP", "DOWN", "RIGHT"]`):
            Names of the tracks; their number sets the size of the track embedding.
        track_counts (`list[int]`, *optional*, defaults to `[1, 2, 4]`):
            Numbers of tracks a map may use; each must divide both `max_position_embeddings` and
            `audio_foresight`.
        tempo_scale (`float`, *optional*, defaults to 100.0):
            The tempo head predicts BPM divided by this value.
        tempo_loss_weight (`float`, *optional*, defaults to 0.1):
            Weight of the tempo mean squared error in the loss.
        token_loss_weight (`float`, *optional*, defaults to 0.9):
            Weight of the beat-token cross-entropy in the loss.
        token_dropout (`float`, *optional*, defaults to 0.2):
            Training augmentation: share of past beat tokens replaced by `[MASK]`.
        mel_scaling (`list[float]`, *optional*, defaults to `[0.0, 1.1]`):
            Training augmentation: range of the random factor the mel slices are scaled by.
        mel_noise (`float`, *optional*, defaults to 0.05):
            Training augmentation: standard deviation of the noise added to the mel slices.
        mel_tilt (`float`, *optional*, defaults to 0.0):
            Training augmentation (not in the original): largest slope of a random linear tilt added across the mel
            bands, an equaliser that lifts the highs and cuts the lows or the reverse (the frames are decibels scaled
            by 1/80, so 0.1 tilts by up to 8 dB from the middle band to either edge).
        mel_band_shift (`int`, *optional*, defaults to 0):
            Training augmentation (not in the original): the mel slices are moved by a random whole number of bands
            up to this far up or down (the edge band repeated), a pitch shift of about a semitone per band at 32 bands.
        time_stretch (`float`, *optional*, defaults to 0.0):
            Training augmentation (not in the original): each row's song and map are slowed down or sped up alike by a
            random factor within `1 +- time_stretch` (the mel frames resampled in time, the map's events and tempo
            moved with them).
        augmentation_seed (`int`, *optional*, defaults to 69420):
            Seed of the augmentation random generator.
        train_history_steps (`int` or `dict[int, int]`, *optional*, defaults to 0):
            Training layout (not in the original): each track hears only its last `train_history_steps` past beat
            tokens (one number, or one per track count as `history_steps` takes it), the rest of the history left out
            of attention (`attention_mask`) with every kept position at its own place, exactly what decoding with
            `history_steps` shows the model (it then leaves those positions out of the input, which is cheaper and
            equal). 0 trains on the whole context.
        train_holds_as_hits (`bool`, *optional*, defaults to `False`):
            Training layout (not in the original): the history's holds are shown to the model as hits at their starts
            (the labels keep them), as decoding with `hold_threshold` shows the model its own map. Trained on charts'
            histories as written, the model reads the kind of objects off its history and, shown a history without
            holds, rarely starts one.
        prediction_steps (`int`, *optional*, defaults to 1):
            Steps of every track one forward pass predicts: the current token and the tokens of the first
            `prediction_steps - 1` foresight positions after it (not in the original, which predicts 1). Training
            scores that many positions per masked track, and the `fast` decoding strategy then advances that many
            steps per forward pass. At most `audio_foresight // max(track_counts) + 1`.
        foresight_label_rate (`float`, *optional*, defaults to 1.0):
            Training (not in the original): the share of training rows whose `prediction_steps - 1` foresight
            positions are scored; the other rows score their current tokens only. The current token is the only one
            whose history the model sees up to the step before, so below 1 the loss leans on reading that history
            (a hold going on, a pattern) over guessing the coming steps from the audio.
        difficulty_embedding (`bool`, *optional*, defaults to `False`):
            Also add a learned embedding of the difficulty band (the difficulty token at the first position) to every
            position, zero at initialisation (not in the original, where only the first position carries the
            difficulty and a small model can learn to ignore it).
        onset_input (`bool`, *optional*, defaults to `False`):
            Also hear the onset strength of every 10 ms frame beside the mel slices (not in the original): the
            spectral flux of each frame against the row's typical attack (`modeling_beart.onset_strength`), projected
            into every position's embedding by a projection that is zero at initialisation. The model then reads the
            attacks the onset prior reads, computed from the slices it is given (in training from the slices before
            the noise is added).
        decoding_defaults (`dict`, *optional*):
            Legacy: the decoding defaults of models saved before `generation_config.json` held them; such a model's
            `generation_config` is made from them on load (see `BeartGenerationMixin`). New models keep their defaults
            in their `generation_config`.
        vocab_size (`int`, *optional*):
            Number of token ids; derived from `groups` (85 for 10) and checked if given.
    """

    model_type = "beart"
    attribute_map = {
        "context_length": "max_position_embeddings",
        "embedding_size": "hidden_size",
        "num_mel_bins": "mel_bands",
    }

    def __init__(
        self,
        groups: int = 10,
        max_position_embeddings: int = 512,
        audio_foresight: int = 64,
        hidden_size: int = 32,
        num_hidden_layers: int = 8,
        num_attention_heads: int = 4,
        intermediate_size: int = 64,
        mel_bands: int = 32,
        mel_gradient: bool = False,
        hidden_act: str = "gelu",
        embedding_dropout_prob: float = 0.1,
        hidden_dropout_prob: float = 0.1,
        attention_probs_dropout_prob: float = 0.0,
        layer_norm_eps: float = 1e-5,
        initializer_range: float = 1.0,
        track_names: list[str] | None = None,
        track_counts: list[int] | None = None,
        tempo_scale: float = 100.0,
        tempo_loss_weight: float = 0.1,
        token_loss_weight: float = 0.9,
        token_dropout: float = 0.2,
        mel_scaling: list[float] | None = None,
        mel_noise: float = 0.05,
        mel_tilt: float = 0.0,
        mel_band_shift: int = 0,
        time_stretch: float = 0.0,
        augmentation_seed: int = 69420,
        train_history_steps: int | dict = 0,
        train_holds_as_hits: bool = False,
        prediction_steps: int = 1,
        foresight_label_rate: float = 1.0,
        difficulty_embedding: bool = False,
        onset_input: bool = False,
        decoding_defaults: dict | None = None,
        vocab_size: int | None = None,
        **kwargs,
    ):
        self.groups = groups
        self.max_position_embeddings = max_position_embeddings
        self.audio_foresight = audio_foresight
        self.hidden_size = hidden_size
        self.num_hidden_layers = num_hidden_layers
        self.num_attention_heads = num_attention_heads
        self.intermediate_size = intermediate_size
        self.mel_bands = mel_bands
        self.mel_gradient = mel_gradient
        self.hidden_act = hidden_act
        self.embedding_dropout_prob = embedding_dropout_prob
        self.hidden_dropout_prob = hidden_dropout_prob
        self.attention_probs_dropout_prob = attention_probs_dropout_prob
        self.layer_norm_eps = layer_norm_eps
        self.initializer_range = initializer_range
        self.track_names = list(track_names) if track_names is not None else list(DEFAULT_TRACK_NAMES)
        self.track_counts = list(track_counts) if track_counts is not None else [1, 2, 4]
        self.tempo_scale = tempo_scale
        self.tempo_loss_weight = tempo_loss_weight
        self.token_loss_weight = token_loss_weight
        self.token_dropout = token_dropout
        self.mel_scaling = list(mel_scaling) if mel_scaling is not None else [0.0, 1.1]
        self.mel_noise = mel_noise
        self.mel_tilt = mel_tilt
        self.mel_band_shift = mel_band_shift
        self.time_stretch = time_stretch
        self.augmentation_seed = augmentation_seed
        self.train_history_steps = train_history_steps
        self.train_holds_as_hits = train_holds_as_hits
        self.prediction_steps = prediction_steps
        self.foresight_label_rate = foresight_label_rate
        self.difficulty_embedding = difficulty_embedding
        self.onset_input = onset_input
        self.decoding_defaults = dict(decoding_defaults or {})
        self._check_numbers()
        self.vocab_size = vocab_size if vocab_size is not None else self._derived_vocab_size()
        custom_pipelines = kwargs.pop("custom_pipelines", None)
        if custom_pipelines and not self._pipeline_task_registered(custom_pipelines):
            # the saved pipeline code serves where no `beatmap-generation` task is registered (beart not imported)
            self.custom_pipelines = custom_pipelines
        super().__init__(**kwargs)
        self._check_fields()

    @classmethod
    def get_config_dict(cls, pretrained_model_name_or_path, **kwargs):
        """`PreTrainedConfig.get_config_dict`, refusing the configuration of another kind of model (transformers only
        warns, and a BERT folder then failed on a vocabulary size that does not fit)."""
        config_dict, kwargs = super().get_config_dict(pretrained_model_name_or_path, **kwargs)
        model_type = config_dict.get("model_type", cls.model_type)
        if model_type != cls.model_type:
            raise ValueError(
                f"{os.fspath(pretrained_model_name_or_path)} holds the configuration of a {model_type!r} model, not "
                f"of a BEaRT model (model_type {cls.model_type!r}); give a BEaRT model's folder or hub id."
            )
        return config_dict, kwargs

    @staticmethod
    def _pipeline_task_registered(custom_pipelines: dict) -> bool:
        """Whether this interpreter already serves the saved pipeline tasks (beart registered them); then a saved
        `custom_pipelines` entry is dropped on load, as transformers would otherwise insist on the saved code."""
        from transformers.pipelines import PIPELINE_REGISTRY

        return set(custom_pipelines) <= set(PIPELINE_REGISTRY.get_supported_tasks())

    @classmethod
    def from_preset(cls, name: str, **kwargs) -> "BeartConfig":
        """
        The original model sizes: `"quaver"` (context 512, foresight 64) and `"crotchet"` (context 1024, foresight
        128), both with 32 mel bands, hidden size 32, 8 layers, 4 heads and feed-forward size 64.
        """
        if name not in PRESETS:
            raise ValueError(f"Unknown BEaRT preset {name!r}; choose one of {sorted(PRESETS)}.")
        return cls(**{**PRESETS[name], **kwargs})

    def _derived_vocab_size(self) -> int:
        if not 2 <= self.groups <= 12:
            raise ValueError(f"groups must be 2 to 12 steps of 10 ms per token, got {self.groups}.")
        return vocabulary_size(self.groups)

    def validate(self) -> None:
        """
        The checks transformers runs before saving, and that BEaRT's fields fit together as on creation; raises a
        `ValueError` naming the first problem. Run it after changing the fields of an existing configuration.
        """
        super().validate()
        self._check_numbers()
        self._check_fields()

    def _check_numbers(self):
        """Each size a whole number of at least its least value, each rate, weight and scale a finite number in its
        range: a `config.json` from a stranger is untrusted input (a zero head count divided by zero, a `nan` layer
        norm epsilon made every probability `nan`)."""
        for name, least in WHOLE_NUMBER_FIELDS.items():
            value = getattr(self, name)
            if not is_whole_number(value) or value < least:
                raise ValueError(f"{name} must be a whole number of at least {least}, got {value!r}.")
        for name, (low, high) in NUMBER_FIELDS.items():
            value = getattr(self, name)
            if not is_number(value) or not low <= value <= high:
                raise ValueError(f"{name} must be a number from {low:g} to {high:g}, got {value!r}.")
        for name in DROPOUT_FIELDS:
            value = getattr(self, name)
            if not is_number(value) or not 0.0 <= value < 1.0:
                raise ValueError(f"{name} must lie in [0, 1), got {value!r}.")
        if self.layer_norm_eps <= 0 or self.tempo_scale <= 0:
            raise ValueError(f"layer_norm_eps and tempo_scale must be positive, got {self.layer_norm_eps!r} and "
                             f"{self.tempo_scale!r}.")  # fmt: skip
        scaling = self.mel_scaling
        if len(scaling) != 2 or not all(is_number(value) and math.isfinite(value) for value in scaling):
            raise ValueError(f"mel_scaling must be two finite numbers (low, high), got {scaling!r}.")

    def _check_fields(self):
        if self.vocab_size != self._derived_vocab_size():
            raise ValueError(
                f"vocab_size={self.vocab_size} does not match groups={self.groups}, which needs "
                f"{self._derived_vocab_size()} token ids."
            )
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"hidden_size ({self.hidden_size}) must be divisible by num_attention_heads "
                f"({self.num_attention_heads})."
            )
        if self.hidden_act not in ACT2FN:
            raise ValueError(f"Unknown activation {self.hidden_act!r}; choose one of {sorted(ACT2FN)}.")
        if self.mel_bands < 2:
            raise ValueError(f"mel_bands must be at least 2, got {self.mel_bands}.")
        if not 0 <= self.audio_foresight < self.max_position_embeddings:
            raise ValueError(
                f"audio_foresight ({self.audio_foresight}) must lie in [0, max_position_embeddings="
                f"{self.max_position_embeddings})."
            )
        if len(set(self.track_names)) != len(self.track_names):
            raise ValueError(f"track_names must be distinct, got {self.track_names}.")
        for count in self.track_counts:
            if not 1 <= count <= len(self.track_names):
                raise ValueError(f"Track count {count} is not between 1 and the {len(self.track_names)} track names.")
            if self.max_position_embeddings % count or self.audio_foresight % count:
                raise ValueError(
                    f"With {count} tracks, max_position_embeddings ({self.max_position_embeddings}) and "
                    f"audio_foresight ({self.audio_foresight}) must both be divisible by {count}."
                )
            if self.max_position_embeddings // count - 1 <= self.audio_foresight // count:
                raise ValueError(f"With {count} tracks the audio foresight leaves no room for past beat tokens.")
            if not 1 <= self.prediction_steps <= self.audio_foresight // count + 1:
                raise ValueError(
                    f"prediction_steps ({self.prediction_steps}) must lie in [1, {self.audio_foresight // count + 1}]: "
                    f"with {count} tracks each track has {self.audio_foresight // count} foresight positions."
                )
        self.train_history_steps = read_history_steps(self.train_history_steps, "train_history_steps")


# The least value of each size (`BeartConfig._check_numbers`), and the range of each rate, weight and scale.
WHOLE_NUMBER_FIELDS = {
    "groups": 2, "max_position_embeddings": 1, "audio_foresight": 0, "hidden_size": 1, "num_hidden_layers": 1,
    "num_attention_heads": 1, "intermediate_size": 1, "mel_bands": 2, "prediction_steps": 1, "mel_band_shift": 0,
    "augmentation_seed": 0,
}  # fmt: skip
NUMBER_FIELDS = {
    "layer_norm_eps": (0.0, 1.0), "initializer_range": (0.0, 1e3), "tempo_scale": (0.0, 1e6),
    "tempo_loss_weight": (0.0, 1e3), "token_loss_weight": (0.0, 1e3), "token_dropout": (0.0, 1.0),
    "mel_noise": (0.0, 1e3), "mel_tilt": (0.0, 1e3), "time_stretch": (0.0, 0.9), "foresight_label_rate": (0.0, 1.0),
}  # fmt: skip

DROPOUT_FIELDS = ("embedding_dropout_prob", "hidden_dropout_prob", "attention_probs_dropout_prob")  # in [0, 1)


PRESETS = {
    "quaver": {"max_position_embeddings": 512, "audio_foresight": 64},
    "crotchet": {"max_position_embeddings": 1024, "audio_foresight": 128},
}


__all__ = ["BeartConfig"]
