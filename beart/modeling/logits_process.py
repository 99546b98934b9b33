"""Logits processors of BEaRT's decoding, composable as in transformers' generation (`LogitsProcessorList`): each
takes the logits a forward pass gave for the scored positions and returns them adjusted. `BeartGenerationMixin`
builds the list from the decoding options, in this order: temperature (transformers' `TemperatureLogitsWarper`), the
reserved tokens suppressed, `logit_bias`, the audio priors, then the silence gate. The hold grammar
(`HoldGrammarLogitsProcessor`) runs last, one prediction step at a time, since what it allows depends on the tokens
chosen before.

BEaRT scores beat tokens, not a growing text: the logits have shape `(batch_size, ..., vocab_size)` (tracks and
prediction steps in between), and a processor that needs the song reads it from keyword arguments (`songs`, the
indices of the batch's songs, and `first_step`, the step of the first scored position), which
`LogitsProcessorList.__call__` passes on to the processors that take them.
"""

import numpy as np
import torch
from transformers import LogitsProcessor

from ..beat_vocabulary import EVENT_HOLD
from ..processing.audio_priors import audio_prior_bias


def song_window(per_song: list, songs: list, first_step: int, steps: int, past_the_end) -> np.ndarray:
    """
    The frames of `steps` steps from `first_step` of each of `songs`, `past_the_end` beyond a song's last step.

    Args:
        per_song (`list[np.ndarray]`): per song, `(num_slices, groups)` values of its frames.
        songs (`list[int]`): the indices into `per_song` of the batch's rows.
        first_step (`int`): the step of the first position scored.
        steps (`int`): the steps scored.
        past_the_end: the value of a frame past a song's end.

    Returns:
        `np.ndarray` of shape `(len(songs), steps, groups)`, the dtype of `per_song`'s arrays.
    """
    groups = per_song[0].shape[1]
    window = np.full((len(songs), steps, groups), past_the_end, dtype=per_song[0].dtype)
    for row, song in enumerate(songs):
        taken = per_song[song][first_step : first_step + steps]
        window[row, : len(taken)] = taken
    return window


class SuppressReservedTokensLogitsProcessor(LogitsProcessor):
    """
    Sets the logits of the reserved tokens (difficulty, `[SEP]`, `[PAD]`, `[MASK]`, `[FORESIGHT]`) to `-inf`: they are
    never a beat.

    Args:
        num_reserved_tokens (`int`): the reserved tokens come first in the vocabulary.
    """

    def __init__(self, num_reserved_tokens: int):
        self.num_reserved_tokens = num_reserved_tokens

    def __call__(self, input_ids, scores: torch.Tensor) -> torch.Tensor:
        scores = scores.clone()
        scores[..., : self.num_reserved_tokens] = -float("inf")
        return scores


class LogitBiasLogitsProcessor(LogitsProcessor):
    """
    Adds a bias to the logits of given tokens (the `logit_bias` option).

    Args:
        logit_bias (`dict[int, float]`): token id -> bias.
        vocab_size (`int`, *optional*): the model's; a token id outside it raises `ValueError`.
    """

    def __init__(self, logit_bias: dict, vocab_size: int | None = None):
        self.logit_bias = {int(token): float(bias) for token, bias in logit_bias.items()}
        outside = [token for token in self.logit_bias if vocab_size is not None and not 0 <= token < vocab_size]
        if outside:
            raise ValueError(f"logit_bias names token ids {outside} outside the vocabulary of {vocab_size} tokens.")

    def __call__(self, input_ids, scores: torch.Tensor) -> torch.Tensor:
        scores = scores.clone()
        for token, bias in self.logit_bias.items():
            scores[..., token] += bias
        return scores


class AudioPriorLogitsProcessor(LogitsProcessor):
    """
    Adds an audio prior (`beart.processing.audio_priors`: onset or beat evidence) to the logits of the tokens that
    start objects: `weight * (2 * evidence - 1)` over each token's onset slots.

    Args:
        weight (`float`): the prior's weight.
        evidence (`list[np.ndarray]`): per song, `(num_slices, groups)` evidence in [0, 1].
        onset_slots (`torch.Tensor` of shape `(vocab_size, groups)`): bool, where each token starts objects.
    """

    def __init__(self, weight: float, evidence: list, onset_slots: torch.Tensor):
        self.weight = weight
        self.evidence = evidence
        self.onset_slots = onset_slots

    def __call__(self, input_ids, scores: torch.Tensor, songs: list, first_step: int) -> torch.Tensor:
        """`scores` of shape `(batch_size, num_tracks, steps, vocab_size)`, one row per song of `songs`."""
        window = song_window(self.evidence, songs, first_step, scores.shape[2], 0.5)
        window = torch.from_numpy(window.astype(np.float32))
        return scores + audio_prior_bias(window, self.onset_slots, self.weight)[:, None]


class SilenceLogitsProcessor(LogitsProcessor):
    """
    Keeps objects off the song's silence (the `silence_db` option): a token that starts an object on a frame where the
    song does not sound (`SongAnalysis.sounding`: an intro's or an outro's silence, a break, past the song's end) or
    sounds steadily (`SongAnalysis.steady`: a drone, a hum, no attack near) gets `-inf`. A hold going on is left
    alone. The model, trained on songs that rarely fall silent, goes on with the pattern it was playing through a
    silence; no human chart puts a note there.

    Args:
        may_start (`list[np.ndarray]`): per song, `(num_slices, groups)` bool, the frames where an object may start
            (`SongAnalysis.may_start`).
        onset_slots (`torch.Tensor` of shape `(vocab_size, groups)`): bool, where each token starts objects.
    """

    def __init__(self, may_start: list, onset_slots: torch.Tensor):
        self.may_start = may_start
        self.onset_slots = onset_slots.to(torch.float32)

    def __call__(self, input_ids, scores: torch.Tensor, songs: list, first_step: int) -> torch.Tensor:
        """`scores` of shape `(batch_size, num_tracks, steps, vocab_size)`, one row per song of `songs`."""
        silent = ~torch.from_numpy(song_window(self.may_start, songs, first_step, scores.shape[2], False))
        starts_in_silence = torch.einsum("bsg,vg->bsv", silent.to(torch.float32), self.onset_slots) > 0
        return scores.masked_fill(starts_in_silence[:, None], -float("inf"))


class HoldGrammarLogitsProcessor(LogitsProcessor):
    """
    Keeps holds whole. A token whose window opens held goes on with a hold begun before it (`[hold]`, `[hold_end:a]`,
    `[hold_end:a|hit:b]`): it is only allowed on a track inside a hold (its token before ends held). `[hold_start:0]`
    opens held too but begins a hold; it is only allowed outside one, where it would otherwise merge into the hold
    going on. Any other token on a track inside a hold ends that hold at the window's edge, as the tokenizer writes a
    hold released there.

    Without the grammar, the steps chosen from one forward pass, whose logits did not see each other, can go on with a
    hold that never began: the decoder then starts a hold at a window's edge where the `hit_threshold` rule and the
    audio priors saw no object.

    The grammar reads the steps of a forward pass in order ([`fast_decoding`] calls it once per step, with the tracks
    inside a hold after the steps before).

    Args:
        windows (`np.ndarray` of shape `(vocab_size, groups)`): the events each token decodes to
            (`BeatVocabulary.windows`, `-1` rows for the reserved tokens).
        onset_slots (`np.ndarray` of shape `(vocab_size, groups)`): bool, where each token starts objects
            (`BeatVocabulary.onset_slots`).
    """

    def __init__(self, windows: np.ndarray, onset_slots: np.ndarray):
        opens_held = windows[:, 0] == EVENT_HOLD
        self.begins_at_edge = torch.from_numpy(opens_held & onset_slots[:, 0])
        self.goes_on = torch.from_numpy(opens_held & ~onset_slots[:, 0])
        self.ends_holding = torch.from_numpy(windows[:, -1] == EVENT_HOLD)

    def holding(self, tokens: torch.Tensor) -> torch.Tensor:
        """Whether each track is inside a hold after `tokens` (any shape of token ids): bool, the same shape."""
        return self.ends_holding[tokens]

    def __call__(self, input_ids, scores: torch.Tensor, in_hold: torch.Tensor) -> torch.Tensor:
        """
        Args:
            scores (`torch.Tensor` of shape `(batch_size, num_tracks, vocab_size)`): one step's logits.
            in_hold (`torch.Tensor` of shape `(batch_size, num_tracks)`): bool, the tracks inside a hold.
        """
        in_hold = in_hold[..., None]
        refused = torch.where(in_hold, self.begins_at_edge, self.goes_on)
        return scores.masked_fill(refused, -float("inf"))
