"""PyTorch BEaRT model: a BERT-like encoder over beat tokens and mel slices with a token head and a tempo head."""

import math
import os
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F
from transformers import PreTrainedConfig, PreTrainedModel
from transformers import initialization as init
from transformers.activations import ACT2FN
from transformers.utils import ModelOutput, logging

from ..beat_vocabulary import DIFFICULTY_TOKENS
from ..remote_code import auto_map, custom_pipelines, save_remote_code
from .configuration_beart import BeartConfig
from .generation_beart import BeartGenerationMixin, generation_config_from_model_config
from .hub_upload import file_times, pop_hub_arguments, push_saved, upload_saved_folder
from .model_card import carried_card_text, model_card_text
from .weight_shapes import check_finite_weights, check_weights_fit_config, weights_file


logger = logging.get_logger(__name__)

MIN_CPU_HEAD_DIM = 16


@dataclass
class BeartOutput(ModelOutput):
    """
    Output of [`BeartModel`].

    Args:
        loss (`torch.FloatTensor` of shape `()`, *optional*, returned when `labels` or `tempo_labels` is given):
            The "hearing loss": `tempo_loss_weight * tempo_loss + token_loss_weight * token_loss`.
        logits (`torch.FloatTensor` of shape `(batch_size, sequence_length, vocab_size)`):
            Beat-token scores at every position (at the labelled ones only with `scored_logits_only`).
        tempo (`torch.FloatTensor` of shape `(batch_size,)`):
            Tempo predicted from the first position, in BPM (the head's output times `tempo_scale`).
        token_loss (`torch.FloatTensor` of shape `()`, *optional*):
            Cross-entropy over the positions whose label is not -100.
        tempo_loss (`torch.FloatTensor` of shape `()`, *optional*):
            Mean squared error of the tempo, in units of `tempo_scale` BPM, over rows with a known tempo.
        hidden_states (`tuple(torch.FloatTensor)`, *optional*, returned when `output_hidden_states=True`):
            The embeddings and the output of every layer, each `(batch_size, sequence_length, hidden_size)`.
        attentions (`tuple(torch.FloatTensor)`, *optional*, returned when `output_attentions=True`):
            Attention weights of every layer, each `(batch_size, num_heads, sequence_length, sequence_length)`.
    """

    loss: torch.FloatTensor | None = None
    logits: torch.FloatTensor | None = None
    tempo: torch.FloatTensor | None = None
    token_loss: torch.FloatTensor | None = None
    tempo_loss: torch.FloatTensor | None = None
    hidden_states: tuple[torch.FloatTensor, ...] | None = None
    attentions: tuple[torch.FloatTensor, ...] | None = None


def sinusoidal_position_table(length: int, hidden_size: int) -> torch.Tensor:
    """The fixed sine/cosine position table of the original: shape `(length, hidden_size)`."""
    position = torch.arange(length).float().unsqueeze(1)
    frequencies = torch.exp(torch.arange(0, hidden_size, 2) * (-math.log(10000.0) / hidden_size))
    table = torch.zeros(length, hidden_size)
    table[:, 0::2] = torch.sin(position * frequencies)
    table[:, 1::2] = torch.cos(position * frequencies)
    return table


class BeartDropout(nn.Module):
    """
    Dropout as [`torch.nn.Dropout`] computes it, with the CPU keep mask drawn as `torch.rand(...) >= p`: the same
    distribution, at about half the cost of the `bernoulli_` draw `nn.Dropout` makes on the CPU (which took 10% of a
    Quaver training step on 2 cores). Other devices, evaluation and `p` of 0 or 1 use [`torch.nn.functional.dropout`].

    Args:
        p (`float`): the probability of zeroing an element; kept elements are scaled by `1 / (1 - p)`.
    """

    def __init__(self, p: float):
        super().__init__()
        self.p = p

    def forward(self, hidden_states: torch.FloatTensor) -> torch.FloatTensor:
        if not self.training or not 0.0 < self.p < 1.0 or hidden_states.device.type != "cpu":
            return F.dropout(hidden_states, p=self.p, training=self.training)
        keep = torch.rand_like(hidden_states).ge_(self.p)
        return hidden_states * keep.mul_(1.0 / (1.0 - self.p))


def onset_strength(
    input_features: torch.FloatTensor, token_type_ids: torch.LongTensor, position_ids: torch.LongTensor | None = None,
    attention_mask: torch.Tensor | None = None,
) -> torch.FloatTensor:  # fmt: skip
    """
    The onset strength of every 10 ms frame of a row's mel slices, as the onset prior reads a song
    (`beart.processing.audio_priors.onset_evidence`): the spectral flux (how much each mel band rose since the frame
    before, summed over the bands) against the row's typical attack, `flux / (flux + typical)` in [0, 1), `typical`
    the median (the lower middle value of an even count) over the row's attended positions of a position's strongest
    frame, where it has an attack. A position's first frame is compared with the last frame of the position before it
    when that one is the step before on the same track, else it reads 0.

    Args:
        input_features (`torch.FloatTensor` of shape `(batch_size, sequence_length, groups, mel_bands)`): the slices.
        token_type_ids (`torch.LongTensor` of shape `(batch_size, sequence_length)`): the track of every position.
        position_ids (`torch.LongTensor` of shape `(sequence_length,)` or `(batch_size, sequence_length)`,
            *optional*): the place of every position; `0, 1, ...` when not given.
        attention_mask (`torch.Tensor` of shape `(batch_size, sequence_length)`, *optional*): 1 at the positions
            attended to, which alone set `typical`.

    Returns:
        `torch.FloatTensor` of shape `(batch_size, sequence_length, groups)`.
    """
    batch_size, sequence_length = input_features.shape[:2]
    before = torch.cat([torch.zeros_like(input_features[:, :1, -1:]), input_features[:, :-1, -1:]], dim=1)
    frames = torch.cat([before, input_features], dim=2)
    flux = (frames[:, :, 1:] - frames[:, :, :-1]).clamp(min=0.0).sum(dim=-1)
    if position_ids is None:
        position_ids = torch.arange(sequence_length, device=input_features.device)
    position_ids = position_ids.expand(batch_size, sequence_length)
    follows = (position_ids[:, 1:] == position_ids[:, :-1] + 1) & (token_type_ids[:, 1:] == token_type_ids[:, :-1])
    follows = torch.cat([torch.zeros_like(follows[:, :1]), follows], dim=1)
    flux = torch.cat([flux[:, :, :1] * follows[..., None], flux[:, :, 1:]], dim=2)
    peaks = flux.amax(dim=-1)
    counted = peaks > 0.0
    if attention_mask is not None:
        counted = counted & attention_mask.to(dtype=torch.bool)
    typical = torch.nanmedian(peaks.masked_fill(~counted, float("nan")), dim=1).values
    typical = torch.nan_to_num(typical, nan=1.0).clamp(min=1e-6)
    return flux / (flux + typical[:, None, None])


class BeartEmbeddings(nn.Module):
    """
    Sum of the beat-token, position, track and audio embeddings (and, with `config.difficulty_embedding`, the
    difficulty band's embedding at every position; with `config.onset_input`, the projected onset strength of the
    position's frames), followed by dropout.
    """

    def __init__(self, config: BeartConfig):
        super().__init__()
        self.token_embeddings = nn.Embedding(config.vocab_size, config.hidden_size)
        self.track_embeddings = nn.Embedding(len(config.track_names), config.hidden_size)
        self.audio_projection = nn.Linear(config.groups * config.mel_bands, config.hidden_size, bias=False)
        self.onset_projection = None
        if config.onset_input:
            self.onset_projection = nn.Linear(config.groups, config.hidden_size, bias=False)
        self.difficulty_embeddings = None
        if config.difficulty_embedding:
            self.difficulty_embeddings = nn.Embedding(len(DIFFICULTY_TOKENS), config.hidden_size)
        self.dropout = BeartDropout(config.embedding_dropout_prob)
        self.register_buffer(
            "position_table",
            sinusoidal_position_table(config.max_position_embeddings, config.hidden_size),
            persistent=False,
        )

    def forward(
        self, input_ids: torch.LongTensor, token_type_ids: torch.LongTensor, input_features: torch.FloatTensor,
        position_ids: torch.LongTensor | None = None, onset_evidence: torch.FloatTensor | None = None,
    ) -> torch.FloatTensor:  # fmt: skip
        batch_size, sequence_length = input_ids.shape
        dtype = self.audio_projection.weight.dtype  # features come as float32 from numpy; a model may run in half
        mel_slices = input_features.reshape(batch_size, sequence_length, -1).to(dtype)
        embeddings = self.token_embeddings(input_ids)
        if position_ids is None:
            embeddings = embeddings + self.position_table[:sequence_length]
        else:
            embeddings = embeddings + self.position_table[position_ids]
        embeddings = embeddings + self.track_embeddings(token_type_ids)
        embeddings = embeddings + self.audio_projection(mel_slices)
        if self.onset_projection is not None:
            embeddings = embeddings + self.onset_projection(onset_evidence.to(dtype))
        if self.difficulty_embeddings is not None:
            # The first position holds a difficulty token (ids 0-3) or, without a difficulty, another token.
            first_tokens = input_ids[:, 0]
            has_difficulty = (first_tokens < len(DIFFICULTY_TOKENS)).unsqueeze(-1)
            band = self.difficulty_embeddings(first_tokens.clamp(max=len(DIFFICULTY_TOKENS) - 1))
            embeddings = embeddings + (band * has_difficulty).unsqueeze(1)
        return self.dropout(embeddings)


class BeartAttention(nn.Module):
    """Multi-head self-attention over the whole context (no mask), as `torch.nn.MultiheadAttention` computes it."""

    def __init__(self, config: BeartConfig):
        super().__init__()
        self.num_heads = config.num_attention_heads
        self.head_dim = config.hidden_size // config.num_attention_heads
        self.dropout_prob = config.attention_probs_dropout_prob
        self.qkv = nn.Linear(config.hidden_size, 3 * config.hidden_size)
        self.output = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(
        self,
        hidden_states: torch.FloatTensor,
        output_attentions: bool = False,
        use_sdpa: bool = True,
        query_positions: torch.LongTensor | None = None,
        attention_mask: torch.BoolTensor | None = None,
    ) -> tuple[torch.FloatTensor, torch.FloatTensor | None]:
        """
        Args:
            hidden_states (`torch.FloatTensor` of shape `(batch_size, sequence_length, hidden_size)`): the input.
            output_attentions (`bool`, *optional*, defaults to `False`): also return the attention weights.
            use_sdpa (`bool`, *optional*, defaults to `True`): use `scaled_dot_product_attention`.
            query_positions (`torch.LongTensor` of shape `(num_queries,)`, *optional*): attend from these positions
                only (to every position); the output then has `num_queries` positions.
            attention_mask (`torch.BoolTensor` of shape `(batch_size, 1, 1, sequence_length)`, *optional*): the
                positions attended to (`True`); every position when not given.

        Returns:
            The output, `(batch_size, num_queries, hidden_size)`, and the weights, `(batch_size, num_heads,
            num_queries, sequence_length)`, or `None`.
        """
        batch_size, sequence_length, hidden_size = hidden_states.shape
        qkv = self.qkv(hidden_states).view(batch_size, sequence_length, 3, self.num_heads, self.head_dim)
        query, key, value = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        if query_positions is not None:
            query = query[:, :, query_positions]
        dropout_prob = self.dropout_prob if self.training else 0.0
        weights = None
        if use_sdpa and not output_attentions:
            context = self._sdpa(query, key, value, dropout_prob, attention_mask)
        else:
            scores = torch.matmul(query, key.transpose(-1, -2)) / math.sqrt(self.head_dim)
            if attention_mask is not None:
                scores = scores.masked_fill(~attention_mask, float("-inf"))
            weights = scores.softmax(dim=-1)
            context = torch.matmul(F.dropout(weights, p=dropout_prob, training=self.training), value)
        context = context.transpose(1, 2).reshape(batch_size, query.shape[2], hidden_size)
        return self.output(context), weights

    def _sdpa(self, query, key, value, dropout_prob: float, attention_mask=None) -> torch.FloatTensor:
        # torch's CPU flash-attention kernel vectorises poorly below 16 channels per head: zero channels added to
        # queries, keys and values leave the scores and the output unchanged (the scale stays that of the real
        # head size) and make training about 1.7x faster for BEaRT's 8-channel heads.
        padding = 0
        if query.device.type == "cpu":
            padding = max(0, MIN_CPU_HEAD_DIM - self.head_dim)
        if padding:
            query, key, value = (F.pad(tensor, (0, padding)) for tensor in (query, key, value))
        context = F.scaled_dot_product_attention(
            query, key, value, attn_mask=attention_mask, dropout_p=dropout_prob, scale=1.0 / math.sqrt(self.head_dim)
        )
        return context[..., : self.head_dim]


class BeartLayer(nn.Module):
    """A post-norm encoder layer: attention and a GELU feed-forward block, each with dropout, residual and norm."""

    def __init__(self, config: BeartConfig):
        super().__init__()
        self.attention = BeartAttention(config)
        self.attention_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.intermediate = nn.Linear(config.hidden_size, config.intermediate_size)
        self.activation = ACT2FN[config.hidden_act]
        self.output = nn.Linear(config.intermediate_size, config.hidden_size)
        self.output_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = BeartDropout(config.hidden_dropout_prob)

    def forward(
        self,
        hidden_states: torch.FloatTensor,
        output_attentions: bool = False,
        use_sdpa: bool = True,
        query_positions: torch.LongTensor | None = None,
        attention_mask: torch.BoolTensor | None = None,
    ) -> tuple[torch.FloatTensor, torch.FloatTensor | None]:
        """As [`BeartAttention`]: with `query_positions`, the layer's output holds those positions only."""
        attended, weights = self.attention(
            hidden_states,
            output_attentions=output_attentions,
            use_sdpa=use_sdpa,
            query_positions=query_positions,
            attention_mask=attention_mask,
        )
        if query_positions is not None:
            hidden_states = hidden_states[:, query_positions]
        hidden_states = self.attention_norm(hidden_states + self.dropout(attended))
        feed_forward = self.output(self.dropout(self.activation(self.intermediate(hidden_states))))
        hidden_states = self.output_norm(hidden_states + self.dropout(feed_forward))
        return hidden_states, weights


class BeartPreTrainedModel(PreTrainedModel):
    config_class = BeartConfig
    base_model_prefix = "beart"
    main_input_name = "input_ids"
    # mel slices and beat tokens in; beat tokens (token ids, as transformers' generating models give) out. The
    # pipeline's repr reads both: without `output_modalities` printing it raised AttributeError.
    input_modalities = ("audio", "text")
    output_modalities = ("text",)
    _supports_sdpa = True
    _no_split_modules = ["BeartLayer"]

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *model_args, **kwargs):
        """`PreTrainedModel.from_pretrained`, after checking that the configuration fits the weights saved beside it
        (`check_weights_fit_config`: the file's header against the model laid out on the `meta` device), so that a
        folder whose `config.json` asks for far more than its `model.safetensors` holds is refused with a
        `ValueError` naming the file before transformers allocates the difference; and that the loaded weights are
        finite (`check_finite_weights`)."""
        path = weights_file(pretrained_model_name_or_path, kwargs)
        if path is not None:
            config = kwargs.get("config")
            if not isinstance(config, PreTrainedConfig):
                options = {key: value for key, value in kwargs.items() if key != "config"}
                source = pretrained_model_name_or_path if config is None else config
                config, _ = cls.config_class.from_pretrained(source, return_unused_kwargs=True, **options)
            check_weights_fit_config(path, config, cls)
        model = super().from_pretrained(pretrained_model_name_or_path, *model_args, **kwargs)
        check_finite_weights(model, os.fspath(path or pretrained_model_name_or_path))
        return model

    def save_pretrained(self, save_directory, *args, save_code: bool = True, push_to_hub: bool = False, **kwargs):
        """`PreTrainedModel.save_pretrained`, plus a model card (`README.md`) where the folder has none yet (an existing
        card is kept): the card of the folder the model was loaded from, marked as carried (`carried_card_text`; a
        model being trained carries none: `card_source` None), else the plain one (`model_card_text`); and with
        `save_code` BEaRT's code flattened beside the weights, named
        in `config.json`'s `auto_map` and `custom_pipelines`, so that the folder loads with transformers alone
        (`trust_remote_code=True`, see `beart.remote_code`). With `push_to_hub` (and `repo_id`, `commit_message`,
        `token`, ... of `beart.modeling.hub_upload.HUB_ARGUMENTS`), every file saved goes up in one commit once all
        are written (`upload_saved_folder`)."""
        hub = pop_hub_arguments(kwargs)
        before = file_times(save_directory) if push_to_hub else {}
        if save_code:
            self.config.auto_map = auto_map()
            self.config.custom_pipelines = custom_pipelines()
        result = super().save_pretrained(save_directory, *args, **kwargs)
        if kwargs.get("is_main_process", True):
            if save_code:
                save_remote_code(save_directory)
            card = os.path.join(os.fspath(save_directory), "README.md")
            if not os.path.exists(card):
                plain = model_card_text(self.config)
                carried = carried_card_text(getattr(self, "card_source", self.name_or_path), plain)
                with open(card, "w", encoding="utf-8") as file:
                    file.write(carried or plain)
            if push_to_hub:
                upload_saved_folder(save_directory, before, **hub)
        return result

    def push_to_hub(self, repo_id: str, *, max_shard_size: int | str = "50GB", **hub):
        """
        Uploads the model to the Hub in one commit, as `save_pretrained` writes it (weights, generation config, code
        and beart's card, where transformers' own push put its empty card over beart's).

        Args:
            repo_id (`str`): the repository (created if missing).
            max_shard_size (`int` or `str`, *optional*): as for `save_pretrained`.
            **hub: `commit_message`, `token`, `private`, `create_pr`, `revision`, `tags`, ... (`HUB_ARGUMENTS`).

        Returns:
            `huggingface_hub.CommitInfo`: the commit.
        """
        return push_saved(lambda folder: self.save_pretrained(folder, max_shard_size=max_shard_size), repo_id, **hub)

    @torch.no_grad()
    def _init_weights(self, module: nn.Module):
        """Normal(0, `initializer_range`) linear and embedding weights as in the original (the default, applied to
        children first); the attention input projection keeps torch's Xavier init, which the original inherits from
        `nn.MultiheadAttention`; the position table is the fixed sinusoid."""
        super()._init_weights(module)
        if isinstance(module, BeartAttention):
            init.xavier_uniform_(module.qkv.weight)
            init.zeros_(module.qkv.bias)
        elif isinstance(module, BeartEmbeddings):
            init.copy_(module.position_table, sinusoidal_position_table(*module.position_table.shape))
            if module.difficulty_embeddings is not None:
                init.zeros_(module.difficulty_embeddings.weight)
            if module.onset_projection is not None:
                init.zeros_(module.onset_projection.weight)


class BeartModel(BeartGenerationMixin, BeartPreTrainedModel):
    """
    BEaRT: a BERT-like encoder that reads, at every position, a beat token, its track and the mel slice heard at that
    moment, and predicts the masked beat tokens (token head, every position) and the song's tempo (tempo head, first
    position). `generate` turns a song's mel slices into beat tokens with the decoding defaults of its
    `generation_config` (see [`BeartGenerationMixin`]).

    Args:
        config ([`BeartConfig`]):
            Model configuration.
    """

    def __init__(self, config: BeartConfig):
        super().__init__(config)
        self.embeddings = BeartEmbeddings(config)
        self.layers = nn.ModuleList([BeartLayer(config) for _ in range(config.num_hidden_layers)])
        self.tempo_head = nn.Linear(config.hidden_size, 1, bias=False)
        self.token_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.post_init()
        # `generation_config.json`, where saved, replaces it on load; older models named their defaults in the config
        self.generation_config = generation_config_from_model_config(config)

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embeddings.token_embeddings

    def set_input_embeddings(self, value: nn.Embedding):
        self.embeddings.token_embeddings = value

    def forward(
        self,
        input_ids: torch.LongTensor,
        input_features: torch.FloatTensor,
        token_type_ids: torch.LongTensor | None = None,
        labels: torch.LongTensor | None = None,
        tempo_labels: torch.FloatTensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        scored_logits_only: bool = False,
        logits_to_keep: torch.LongTensor | None = None,
        position_ids: torch.LongTensor | None = None,
        attention_mask: torch.LongTensor | None = None,
        onset_evidence: torch.FloatTensor | None = None,
        **kwargs,
    ) -> BeartOutput | tuple:
        r"""
        Args:
            input_ids (`torch.LongTensor` of shape `(batch_size, sequence_length)`):
                Difficulty, layout and beat tokens (see [`BeartProcessor`]).
            input_features (`torch.FloatTensor` of shape `(batch_size, sequence_length, groups, mel_bands)`):
                The mel slice aligned with every position.
            token_type_ids (`torch.LongTensor` of shape `(batch_size, sequence_length)`, *optional*):
                Track index of every position; all zeros (one track) when not given.
            labels (`torch.LongTensor` of shape `(batch_size, sequence_length)`, *optional*):
                Target beat tokens; -100 where a position is not scored.
            tempo_labels (`torch.FloatTensor` of shape `(batch_size,)`, *optional*):
                Tempo of every row in BPM; 0 where unknown (not scored).
            output_attentions (`bool`, *optional*):
                Return the attention weights of every layer (computed on the eager path).
            output_hidden_states (`bool`, *optional*):
                Return the embeddings and every layer's output.
            return_dict (`bool`, *optional*):
                Return a [`BeartOutput`] instead of a tuple.
            scored_logits_only (`bool`, *optional*, defaults to `False`):
                Run the last layer and the token head only at the positions where some row of `labels` holds a label
                (and at the first position, for the tempo head): `logits` then has shape `(batch_size, num_scored,
                vocab_size)`, those positions in order, and the last hidden states and attentions hold the first
                position and those. Loss, tempo and the logits at those positions are as without it, for about 12%
                less compute per training step (the last layer attends from a few positions, not all); what
                [`BeartTrainer`] asks for in training.
            position_ids (`torch.LongTensor` of shape `(sequence_length,)` or `(batch_size, sequence_length)`,
                *optional*): the place of every position in the model's context (its position embedding); `0, 1, ...`
                when not given. Generation with `history_steps` gives the places of the positions it keeps.
            logits_to_keep (`torch.LongTensor` of shape `(num_kept,)`, *optional*):
                As `scored_logits_only`, for positions given (ascending, distinct, none of them 0): `logits` has
                shape `(batch_size, num_kept, vocab_size)`; what generation asks for, reading a few positions of
                every row.
            attention_mask (`torch.LongTensor` or `torch.BoolTensor` of shape `(batch_size, sequence_length)`,
                *optional*): 1 where a position is attended to, 0 where it is left out (every position attends to
                none of those); every position when not given. Training with `config.train_history_steps` leaves the
                far history out this way; the first position (tempo) must be kept.
            onset_evidence (`torch.FloatTensor` of shape `(batch_size, sequence_length, groups)`, *optional*):
                With `config.onset_input`, the onset strength of every frame ([`onset_strength`]); computed from
                `input_features` when not given. Training gives it computed before the mel slices get their noise.
        """
        output_attentions = output_attentions if output_attentions is not None else self.config.output_attentions
        output_hidden_states = (
            output_hidden_states if output_hidden_states is not None else self.config.output_hidden_states
        )
        return_dict = return_dict if return_dict is not None else self.config.return_dict
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        self._check_inputs(input_ids, input_features, token_type_ids, position_ids, attention_mask)
        if self.config.onset_input and onset_evidence is None:
            onset_evidence = onset_strength(input_features, token_type_ids, position_ids, attention_mask)
        if attention_mask is not None:
            attention_mask = attention_mask.to(device=input_ids.device, dtype=torch.bool)[:, None, None, :]
        use_sdpa = self.config._attn_implementation != "eager"

        scored_positions = last_layer_queries = None
        if scored_logits_only and labels is not None:
            scored_positions = torch.nonzero((labels != -100).any(dim=0)).flatten()
        elif logits_to_keep is not None:
            scored_positions = torch.as_tensor(logits_to_keep, device=input_ids.device).flatten()
        if scored_positions is not None:
            if labels is not None:
                labels = labels[:, scored_positions]
            # The first position too, for the tempo head.
            last_layer_queries = torch.cat([scored_positions.new_zeros(1), scored_positions])

        hidden_states = self.embeddings(input_ids, token_type_ids, input_features, position_ids, onset_evidence)
        all_hidden_states = (hidden_states,) if output_hidden_states else None
        all_attentions = () if output_attentions else None
        for index, layer in enumerate(self.layers):
            query_positions = last_layer_queries if index == len(self.layers) - 1 else None
            hidden_states, weights = layer(
                hidden_states,
                output_attentions=output_attentions,
                use_sdpa=use_sdpa,
                query_positions=query_positions,
                attention_mask=attention_mask,
            )
            if output_hidden_states:
                all_hidden_states += (hidden_states,)
            if output_attentions:
                all_attentions += (weights,)

        tempo_units = self.tempo_head(hidden_states[:, 0]).squeeze(-1)
        logits = self.token_head(hidden_states if scored_positions is None else hidden_states[:, 1:])

        loss = token_loss = tempo_loss = None
        if labels is not None or tempo_labels is not None:
            token_loss = self._token_loss(logits, labels)
            tempo_loss = self._tempo_loss(tempo_units, tempo_labels)
            loss = self.config.token_loss_weight * token_loss + self.config.tempo_loss_weight * tempo_loss

        output = BeartOutput(
            loss=loss,
            logits=logits,
            tempo=tempo_units * self.config.tempo_scale,
            token_loss=token_loss,
            tempo_loss=tempo_loss,
            hidden_states=all_hidden_states,
            attentions=all_attentions,
        )
        return output if return_dict else output.to_tuple()

    def _check_inputs(self, input_ids, input_features, token_type_ids, position_ids=None, attention_mask=None):
        batch_size, sequence_length = input_ids.shape
        if attention_mask is not None and (
            tuple(attention_mask.shape) != (batch_size, sequence_length) or not bool(attention_mask[:, 0].all())
        ):
            raise ValueError(
                f"attention_mask must have the shape of input_ids, {(batch_size, sequence_length)}, and keep every "
                f"row's first position; got shape {tuple(attention_mask.shape)}."
            )
        if position_ids is not None and (
            position_ids.shape[-1] != sequence_length
            or int(position_ids.min()) < 0
            or int(position_ids.max()) >= self.config.max_position_embeddings
        ):
            raise ValueError(
                f"position_ids must give each of the {sequence_length} positions a place in [0, "
                f"{self.config.max_position_embeddings}); got shape {tuple(position_ids.shape)}, from "
                f"{int(position_ids.min())} to {int(position_ids.max())}."
            )
        if sequence_length > self.config.max_position_embeddings:
            raise ValueError(
                f"input_ids has {sequence_length} positions, more than max_position_embeddings="
                f"{self.config.max_position_embeddings}."
            )
        expected = (batch_size, sequence_length, self.config.groups, self.config.mel_bands)
        if tuple(input_features.shape) != expected:
            raise ValueError(
                f"input_features must have shape (batch_size, sequence_length, groups, mel_bands) = {expected}, got "
                f"{tuple(input_features.shape)}."
            )
        if token_type_ids.shape != input_ids.shape:
            raise ValueError(
                f"token_type_ids {tuple(token_type_ids.shape)} must match input_ids {tuple(input_ids.shape)}."
            )

    def _token_loss(self, logits: torch.FloatTensor, labels: torch.LongTensor | None) -> torch.FloatTensor:
        if labels is None or not (labels != -100).any():
            return logits.new_zeros(())
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100)

    def _tempo_loss(self, tempo_units: torch.FloatTensor, tempo_labels: torch.FloatTensor | None) -> torch.FloatTensor:
        if tempo_labels is None:
            return tempo_units.new_zeros(())
        known = tempo_labels > 0
        if not known.any():
            return tempo_units.new_zeros(())
        return F.mse_loss(tempo_units[known], tempo_labels[known].to(tempo_units.dtype) / self.config.tempo_scale)


__all__ = ["BeartModel", "BeartPreTrainedModel", "BeartOutput"]
