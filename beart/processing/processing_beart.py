"""Processor class for BEaRT: lays out beat tokens and mel slices as model inputs for positions in a song."""

import os

import numpy as np
import pandas as pd
from transformers import BatchFeature, ProcessorMixin

from ..beatmaps.intermediate import QUANTUM_MS, IntermediateBeatmap
from ..decoding_options import history_steps_for
from ..remote_code import auto_map, save_remote_code
from .feature_extraction_beart import BeartFeatureExtractor
from .tokenization_beart import BeartTokenizer


MAX_TEMPO_BPM = 400.0


# `from_pretrained` settings of a model, not of its processor, which `pipeline(..., dtype=...)` passes to both
MODEL_LOADING_KWARGS = ("dtype", "torch_dtype", "device_map", "attn_implementation", "quantization_config")


class BeartProcessor(ProcessorMixin):
    r"""
    Constructs a BEaRT processor from a [`BeartTokenizer`] and a [`BeartFeatureExtractor`], and lays out the model
    input for any 100 ms step of a song exactly as the original BeatLearning dataset does.

    The context of `context_length` positions is split evenly between the tracks. With `n` tracks each track gets
    `window + 1 = context_length // n` positions and `foresight = audio_foresight // n` of them look ahead:

        [difficulty or SEP] [PAD ...] [past beat tokens ... current token] [FORESIGHT x foresight]

    The current token (the one scored) sits at offset `window - foresight` of its track. Position `j` of every track
    carries the mel slice of step `step + foresight - window + j`, so the current token hears its own 100 ms and the
    foresight positions hear what comes next. Tracks are predicted left to right: when track `k` is scored, the
    current token of tracks `k, k+1, ...` is masked.

    Args:
        feature_extractor ([`BeartFeatureExtractor`]):
            Turns audio into mel slices.
        tokenizer ([`BeartTokenizer`]):
            Turns 10 ms events into beat tokens.
        context_length (`int`, *optional*, defaults to 512):
            The model's `max_position_embeddings`.
        audio_foresight (`int`, *optional*, defaults to 64):
            The model's `audio_foresight`, shared by all tracks.
    """

    model_input_names = ["input_ids", "token_type_ids", "input_features"]

    def __init__(self, feature_extractor, tokenizer, context_length: int = 512, audio_foresight: int = 64):
        if feature_extractor.groups != tokenizer.groups:
            raise ValueError(
                f"The feature extractor cuts slices of {feature_extractor.groups} frames but the tokenizer groups "
                f"{tokenizer.groups} events per token."
            )
        self.context_length = context_length
        self.audio_foresight = audio_foresight
        super().__init__(feature_extractor, tokenizer)

    def save_pretrained(self, save_directory, *args, save_code: bool = True, **kwargs):
        """`ProcessorMixin.save_pretrained`; with `save_code` the processor and tokenizer files name their classes in
        an `auto_map` and BEaRT's code is saved beside them (see `beart.remote_code`)."""
        if save_code:
            self.auto_map = auto_map("AutoProcessor")
            self.feature_extractor.auto_map = auto_map("AutoFeatureExtractor")
            self.tokenizer.init_kwargs["auto_map"] = auto_map("AutoTokenizer")
        try:
            result = super().save_pretrained(save_directory, *args, **kwargs)
        finally:
            self.feature_extractor.__dict__.pop("auto_map", None)
            self.tokenizer.init_kwargs.pop("auto_map", None)
        if save_code:
            save_remote_code(save_directory)
        return result

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *args, **kwargs) -> "BeartProcessor":
        """`ProcessorMixin.from_pretrained` (also what `AutoProcessor` and `pipeline` call); settings out of range in a
        saved `processor_config.json` (untrusted input) raise a `ValueError` that names where it was saved. The model's
        loading settings that `pipeline` hands the processor too (`dtype`, `device_map`, ...) are left out: kept in
        the tokenizer's settings, a `torch.dtype` failed its `save_pretrained` ("Object of type dtype is not JSON
        serializable")."""
        kwargs = {key: value for key, value in kwargs.items() if key not in MODEL_LOADING_KWARGS}
        try:
            return super().from_pretrained(pretrained_model_name_or_path, *args, **kwargs)
        except ValueError as error:
            where = os.fspath(pretrained_model_name_or_path)
            raise ValueError(f"The processor saved in {where} is refused: {error}") from None

    def check_fits(self, config, where: str = "the processor") -> None:
        """
        Raises `ValueError` where this processor cuts the audio or lays out the context otherwise than the model of
        `config` reads them (a `processor_config.json` saved beside a model is untrusted input, as the model's own
        `config.json` is).

        Args:
            config ([`BeartConfig`]): the model's configuration.
            where (`str`, *optional*): what the processor came from, for the error.
        """
        pairs = {
            "groups": (self.feature_extractor.groups, config.groups),
            "mel_bands": (self.feature_extractor.mel_bands, config.mel_bands),
            "mel_gradient": (self.feature_extractor.mel_gradient, config.mel_gradient),
            "context_length": (self.context_length, config.max_position_embeddings),
            "audio_foresight": (self.audio_foresight, config.audio_foresight),
        }
        differing = [f"{name} {mine!r} where the model has {theirs!r}" for name, (mine, theirs) in pairs.items()
                     if mine != theirs]  # fmt: skip
        if differing:
            raise ValueError(f"{where} does not fit its model: {'; '.join(differing)}.")

    @classmethod
    def from_model_config(cls, config) -> "BeartProcessor":
        """A processor matching a [`BeartConfig`]: its groups, mel bands, mel gradient, context and foresight."""
        return cls(
            BeartFeatureExtractor(groups=config.groups, mel_bands=config.mel_bands, mel_gradient=config.mel_gradient),
            BeartTokenizer(groups=config.groups),
            context_length=config.max_position_embeddings,
            audio_foresight=config.audio_foresight,
        )

    def __call__(
        self,
        audio=None,
        sampling_rate: int | None = None,
        events=None,
        mel_slices: np.ndarray | None = None,
        beat_tokens: np.ndarray | None = None,
        difficulty: float = 0.5,
        tempo=None,
        steps=None,
        scored_tracks=None,
        return_tensors=None,
        **kwargs,
    ) -> BatchFeature:
        """
        Builds one model input row per requested step of a song.

        Args:
            audio (`str`, `bytes` or `np.ndarray`, *optional*):
                The song; or pass `mel_slices`.
            sampling_rate (`int`, *optional*):
                Sampling rate of an audio array.
            events (array-like of int, shape `(num_events,)` or `(num_events, num_tracks)`, *optional*):
                10 ms beat events of the map (0 none, 1 hit, 2 hold); or pass `beat_tokens`.
            mel_slices (`np.ndarray` of shape `(num_slices, groups, mel_bands)`, *optional*):
                Precomputed features of the song.
            beat_tokens (`np.ndarray` of shape `(num_steps,)` or `(num_steps, num_tracks)`, *optional*):
                Precomputed beat tokens of the map.
            difficulty (`float`, *optional*, defaults to 0.5):
                Difficulty of the map in [0, 1].
            tempo (array-like of float, shape `(num_events,)`, *optional*):
                Tempo of every 10 ms event row in BPM (0 unknown); gives `tempo_labels`.
            steps (array-like of int, *optional*):
                The 100 ms steps to build rows for; all steps of the map by default.
            scored_tracks (array-like of int, *optional*):
                Which track each row scores; by default row `i` scores track `i % num_tracks`, as the original
                evaluation rows do.
            return_tensors (`str`, *optional*):
                `"np"` or `"pt"`.

        Returns:
            [`BatchFeature`] with `input_ids`, `token_type_ids` and `labels` of shape `(num_rows, context_length)`,
            `input_features` of shape `(num_rows, context_length, groups, mel_bands)` and, when `tempo` is given,
            `tempo_labels` of shape `(num_rows,)`.
        """
        if mel_slices is None:
            if audio is None:
                raise ValueError("Pass the song as `audio` or its features as `mel_slices`.")
            mel_slices = self.feature_extractor.mel_slices(audio, sampling_rate=sampling_rate)
        if beat_tokens is None:
            if events is None:
                raise ValueError("Pass the map as `events` or `beat_tokens`.")
            beat_tokens = self.tokenizer.encode_events(events)
        beat_tokens = np.asarray(beat_tokens)
        beat_tokens = beat_tokens.reshape(len(beat_tokens), -1)
        steps = np.arange(len(beat_tokens)) if steps is None else np.asarray(steps, dtype=np.int64)
        if scored_tracks is None:
            scored_tracks = np.arange(len(steps)) % beat_tokens.shape[1]

        input_ids, labels = self.build_beat_context(beat_tokens, steps, difficulty, scored_tracks)
        data = {
            "input_ids": input_ids,
            "token_type_ids": np.broadcast_to(self.track_ids(beat_tokens.shape[1]), input_ids.shape).copy(),
            "input_features": self.audio_windows(mel_slices, steps, beat_tokens.shape[1]),
            "labels": labels,
        }
        if tempo is not None:
            data["tempo_labels"] = self.step_tempo(tempo)[steps]
        return BatchFeature(data, tensor_type=return_tensors)

    def track_layout(self, num_tracks: int) -> tuple[int, int]:
        """`(window, foresight)` of each track: it has `window + 1` positions, the last `foresight` look ahead."""
        if self.context_length % num_tracks or self.audio_foresight % num_tracks:
            raise ValueError(
                f"{num_tracks} tracks do not split a context of {self.context_length} with foresight "
                f"{self.audio_foresight} evenly."
            )
        return self.context_length // num_tracks - 1, self.audio_foresight // num_tracks

    def scored_positions(self, num_tracks: int) -> np.ndarray:
        """Position of the current (scored) token of every track: shape `(num_tracks,)`."""
        window, foresight = self.track_layout(num_tracks)
        return np.arange(num_tracks) * (window + 1) + window - foresight

    def prediction_positions(self, num_tracks: int, prediction_steps: int) -> np.ndarray:
        """
        Positions of every track's current token and of the `prediction_steps - 1` foresight positions after it,
        where a model trained with `prediction_steps` predicts the coming steps: shape `(num_tracks, prediction_steps)`.
        """
        return self.scored_positions(num_tracks)[:, None] + np.arange(prediction_steps)[None, :]

    def kept_positions(self, num_tracks: int, history_steps: int | dict | None) -> np.ndarray | None:
        """
        The positions of the context kept when each track hears only its last `history_steps` past beat tokens (one
        number, or one per track count: `decoding_options.history_steps_for`): every track's first position
        (difficulty or SEP), the last `history_steps` before its current token, the current token and the foresight;
        `None` where that is the whole context (no `history_steps`, or as many as the layout holds). The model reads
        the kept positions at their own places (`position_ids`), so each keeps its position embedding, as if the
        left-out history were not there.

        Returns:
            `np.ndarray` of shape `(num_kept,)`, ascending, or `None`.
        """
        window, foresight = self.track_layout(num_tracks)
        past = window - foresight  # the current token's offset; offsets 1 to past - 1 hold the history
        history_steps = history_steps_for(history_steps, num_tracks)
        if not history_steps or history_steps >= past - 1:
            return None
        offsets = np.concatenate([[0], np.arange(past - history_steps, window + 1)])
        return (np.arange(num_tracks)[:, None] * (window + 1) + offsets[None, :]).reshape(-1)

    def track_ids(self, num_tracks: int) -> np.ndarray:
        """Track index of every position: shape `(context_length,)`."""
        return np.repeat(np.arange(num_tracks), self.context_length // num_tracks)

    def build_beat_context(
        self, beat_tokens: np.ndarray, steps: np.ndarray, difficulty: float, scored_tracks: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """
        The token part of the rows.

        Args:
            beat_tokens (`np.ndarray` of shape `(num_steps, num_tracks)`): the map's beat tokens.
            steps (`np.ndarray` of shape `(num_rows,)`): the step of each row.
            difficulty (`float`): difficulty in [0, 1].
            scored_tracks (`np.ndarray` of shape `(num_rows,)`): the track scored in each row.

        Returns:
            `input_ids` and `labels`, both `(num_rows, context_length)` int64; labels are -100 but at the scored
            position.
        """
        num_steps, num_tracks = beat_tokens.shape
        window, foresight = self.track_layout(num_tracks)
        past = window - foresight
        if len(steps) and (steps.min() < 0 or steps.max() >= num_steps):
            raise ValueError(f"Steps must lie in [0, {num_steps}) for a map of {num_steps} beat tokens.")
        padded = np.concatenate([np.full((past, num_tracks), self.tokenizer.pad_token_id), beat_tokens])
        history = np.lib.stride_tricks.sliding_window_view(padded, past, axis=0)[steps + 1]

        rows = np.empty((len(steps), num_tracks, window + 1), dtype=np.int64)
        rows[:, 0, 0] = self.tokenizer.difficulty_token_id(difficulty)
        rows[:, 1:, 0] = self.tokenizer.sep_token_id
        rows[:, :, 1 : past + 1] = history
        rows[:, :, past + 1 :] = self.tokenizer.foresight_token_id
        full_rows = rows.reshape(len(steps), -1)

        positions = self.scored_positions(num_tracks)
        scored_tracks = np.asarray(scored_tracks, dtype=np.int64)
        row_index, scored_position = np.arange(len(steps)), positions[scored_tracks]
        labels = np.full_like(full_rows, -100)
        labels[row_index, scored_position] = full_rows[row_index, scored_position]
        input_ids = full_rows.copy()
        masked = np.arange(num_tracks)[None, :] >= scored_tracks[:, None]
        mask_rows, mask_tracks = np.nonzero(masked)
        input_ids[mask_rows, positions[mask_tracks]] = self.tokenizer.mask_token_id
        return input_ids, labels

    def audio_windows(self, mel_slices: np.ndarray, steps: np.ndarray, num_tracks: int) -> np.ndarray:
        """
        The audio part of the rows: the slice heard at every position, zeros before and after the song.

        Returns:
            `np.ndarray` of shape `(num_rows, context_length, groups, mel_bands)`, float32.
        """
        window, foresight = self.track_layout(num_tracks)
        silence_before = np.zeros((window, *mel_slices.shape[1:]), np.float32)
        silence_after = np.zeros((foresight + 1, *mel_slices.shape[1:]), np.float32)
        padded = np.concatenate([silence_before, mel_slices, silence_after])
        # Steps of a map that runs past the end of its audio hear silence (the last padded slice).
        slice_index = np.minimum(steps[:, None] + foresight + np.arange(window + 1)[None, :], len(padded) - 1)
        return np.tile(padded[slice_index], (1, num_tracks, 1, 1))

    def step_tempo(self, tempo) -> np.ndarray:
        """
        The tempo of every 100 ms step: the last known (positive) tempo among its 10 ms rows, else 0; tempos of
        `MAX_TEMPO_BPM` and above count as unknown, as in the original (a single outlier can ruin training).

        Args:
            tempo (array-like of float, shape `(num_events,)`): BPM per 10 ms row, 0 where unknown.

        Returns:
            `np.ndarray` of shape `(ceil(num_events / groups),)`, float32.
        """
        tempo = np.nan_to_num(np.asarray(tempo, dtype=np.float64))
        groups = self.tokenizer.groups
        num_steps = -(-len(tempo) // groups)
        padded = np.zeros(num_steps * groups)
        padded[: len(tempo)] = tempo
        windows = padded.reshape(num_steps, groups)
        known = windows > 0
        last_known = groups - 1 - np.argmax(known[:, ::-1], axis=1)
        step_tempo = np.where(known.any(axis=1), windows[np.arange(num_steps), last_known], 0.0)
        step_tempo[step_tempo >= MAX_TEMPO_BPM] = 0.0
        return step_tempo.astype(np.float32)

    def decode(self, beat_tokens, tempo, first_step: int, tracks: list, meta: dict) -> IntermediateBeatmap:
        """
        Beat tokens back into a map, as `Pop2PianoProcessor.batch_decode` turns tokens into notes: each token's 10 ms
        events on its track, the tempo head's BPM on every 10 ms row of its step.

        Args:
            beat_tokens (`np.ndarray` of shape `(num_steps, num_tracks)`): generated token ids.
            tempo (`np.ndarray` of shape `(num_steps,)`): BPM per step.
            first_step (`int`): the step (100 ms) of the first token in the song.
            tracks (`list[str]`): the track names, one per column of `beat_tokens`.
            meta (`dict`): the map's metadata (`audio`, `difficulty`, ...); `tracks` is set from `tracks`.

        Returns:
            `IntermediateBeatmap`.
        """
        groups = self.tokenizer.groups
        events = self.tokenizer.decode_events(np.asarray(beat_tokens)).reshape(-1, len(tracks))
        data = {
            "TIME": first_step * groups * QUANTUM_MS + QUANTUM_MS * np.arange(len(events), dtype=np.int64),
            "TEMPO": np.repeat(np.asarray(tempo, dtype=np.float64), groups),
            **{name: events[:, index] for index, name in enumerate(tracks)},
        }
        return IntermediateBeatmap(pd.DataFrame(data), {**meta, "tracks": list(tracks)})


__all__ = ["BeartProcessor"]
