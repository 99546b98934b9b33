"""Logits processors of BEaRT's decoding, composable as in transformers' generation (`LogitsProcessorList`): each
takes the logits a forward pass gave for the scored positions and returns them adjusted. `BeartGenerationMixin`
builds the list from the decoding options, in this order: temperature (transformers' `TemperatureLogitsWarper`), the
reserved tokens suppressed, `logit_bias`, then the audio priors.

BEaRT scores beat tokens, not a growing text: the logits have shape `(batch_size, ..., vocab_size)` (tracks and
prediction steps in between), and a processor that needs the song reads it from keyword arguments (`songs`, the
indices of the batch's songs, and `first_step`, the step of the first scored position), which
`LogitsProcessorList.__call__` passes on to the processors that take them.
"""

import numpy as np
import torch
from transformers import LogitsProcessor

from ..processing.audio_priors import audio_prior_bias


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
    """

    def __init__(self, logit_bias: dict):
        self.logit_bias = {int(token): float(bias) for token, bias in logit_bias.items()}

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

    def window(self, songs: list, first_step: int, steps: int) -> torch.Tensor:
        """The evidence of `steps` steps from `first_step` for each of `songs`, neutral (0.5) past a song's end:
        shape `(len(songs), steps, groups)`."""
        groups = self.evidence[0].shape[1]
        window = np.full((len(songs), steps, groups), 0.5, dtype=np.float32)
        for row, song in enumerate(songs):
            taken = self.evidence[song][first_step : first_step + steps]
            window[row, : len(taken)] = taken
        return torch.from_numpy(window)

    def __call__(self, input_ids, scores: torch.Tensor, songs: list, first_step: int) -> torch.Tensor:
        """`scores` of shape `(batch_size, num_tracks, steps, vocab_size)`, one row per song of `songs`."""
        window = self.window(songs, first_step, scores.shape[2])
        return scores + audio_prior_bias(window, self.onset_slots, self.weight)[:, None]
