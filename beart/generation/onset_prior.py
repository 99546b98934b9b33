"""The onset prior of the `fast` strategy: how strongly the song's own audio rises at the slots where each beat token
would start an object, added to the model's logits.

A mapper places notes on audible attacks, and the loudest attacks are the likeliest to be mapped. The model hears the
audio too, but a small model trained on rendered drums ranks the attacks of real music less well than their plain
strength does (see the README's `beart evaluate` section). The prior weighs the two together, as speech recognisers
add a language model's scores to an acoustic model's: every token that starts an object gets

    weight * (2 * evidence - 1)

added to its logit, where `evidence` is the mean, over the slots where the token starts objects, of the slot's
spectral flux against the song's typical attack (0.5 for the strongest onset of a step of median strength, near 1 for
one many times stronger, 0 in silence; see `onset_evidence`). Tokens that start nothing are left alone. The flux is
read off the mel slices the model hears, so no second pass over the audio is needed.
"""

import librosa
import numpy as np
import torch


def spectral_flux(mel_slices: np.ndarray) -> np.ndarray:
    """
    Spectral flux of every 10 ms frame: the sum, over the mel bands, of how much each band rose since the frame
    before (the first frame: 0), as `librosa.onset.onset_strength` computes it from the frames themselves.

    Args:
        mel_slices (`np.ndarray` of shape `(num_slices, groups, mel_bands)`): a song's mel slices (scaled decibels).

    Returns:
        `np.ndarray` of shape `(num_slices, groups)`.
    """
    num_slices, groups, mel_bands = mel_slices.shape
    frames = mel_slices.reshape(num_slices * groups, mel_bands).astype(np.float64)
    flux = librosa.onset.onset_strength(
        S=frames.T, lag=1, max_size=1, detrend=False, center=False, aggregate=np.sum
    )
    return flux.reshape(num_slices, groups)


def onset_evidence(mel_slices: np.ndarray) -> np.ndarray:
    """
    The spectral flux of every frame against the song's typical attack, `flux / (flux + typical)`, in [0, 1), with
    `typical` the median over the song's steps of a step's strongest frame: a step's strongest attack reads 0.5 in a
    step of median strength, near 1 where it is many times louder (a drum over a quiet bed), near 0 in silence.

    Args:
        mel_slices (`np.ndarray` of shape `(num_slices, groups, mel_bands)`): a song's mel slices.

    Returns:
        `np.ndarray` of shape `(num_slices, groups)`, float32.
    """
    flux = spectral_flux(mel_slices)
    typical = np.median(flux.max(axis=1))
    if typical <= 0.0:
        return np.where(flux > 0.0, 1.0, 0.5).astype(np.float32)
    return (flux / (flux + typical)).astype(np.float32)


def onset_prior_bias(evidence: torch.Tensor, onset_slots: torch.Tensor, weight: float) -> torch.Tensor:
    """
    The logit bias of every beat token at every step (see the module docstring).

    Args:
        evidence (`torch.Tensor` of shape `(batch_size, steps, groups)`): `onset_evidence` of the steps' slots.
        onset_slots (`torch.Tensor` of shape `(vocab_size, groups)`): bool, where each token starts objects (see
            `BeartTokenizer.onset_slots`).
        weight (`float`): the prior's weight; 0 leaves the logits as they are.

    Returns:
        `torch.Tensor` of shape `(batch_size, steps, vocab_size)`: 0 for the tokens that start nothing.
    """
    slots = onset_slots.to(evidence.dtype)
    counts = slots.sum(dim=-1)
    mean_evidence = torch.einsum("bsg,vg->bsv", evidence, slots) / counts.clamp_min(1.0)
    return torch.where(counts > 0, weight * (2.0 * mean_evidence - 1.0), torch.zeros_like(mean_evidence))
