"""Holds in `fast` decoding (the `hold_threshold` option): which objects start a hold, and how long a hold goes on.

Both read the model's own probabilities (`HoldDecisions`):

- The kind of an object. The model reads the kind of a chart's objects off its history: shown a chart's own tokens
  (`examples/diagnose_holds.py`), its probability of a hold start among its object-starting tokens follows the
  chart's share of holds, and with the history's holds turned into hits it falls to a few percent. A map decoded by
  taking the most likely token begins with no hold in its history and so never gets one. `draw_holds` draws each
  object's kind with the model's probability instead, read without `difficulty_guidance` (which would push easy maps
  towards holds and hard maps off them).
- The length of a hold. The steps of one forward pass do not see each other, and right after a hold starts the model
  gives a hold going on about the probability it gives it anywhere: taken as it is, every hold is released at the
  window's edge. `going_on` reads the length off the ratio of two of the pass's probabilities instead.

Neither moves an object: the `hit_threshold` rule decides where objects go as before, and a track chosen for an object
ends its hold there.
"""

import numpy as np
import torch

from .logits_process import HoldGrammarLogitsProcessor


class HoldDecisions:
    """
    Which objects start a hold, and how long a hold goes on, read off the model's probabilities.

    *Length*: `going_on[s]` is the model's probability that a hold reaches into step `s` (the tokens that open held
    and go on with one: `[hold]`, `[hold_end:a]`, `[hold_end:a|hit:b]`), `held[s - 1]` its probability that a hold is
    held through the end of step `s - 1` (the tokens that end held); their ratio is its probability that a hold held
    through step `s - 1` reaches into step `s`. On a track inside a hold where the ratio passes `threshold` and no
    object was chosen, the release at the window's edge that the hold grammar would otherwise write gives way to the
    most likely token that goes on with the hold without starting an object (`[hold]`, or `[hold_end:a]`, a release
    inside the step).

    *Kind*: an object chosen on a track starts a hold with the model's probability of a hold start among the
    object-starting tokens the hold grammar allows there, and takes the most likely token of the drawn kind.

    Args:
        tokenizer ([`BeartTokenizer`]): the beat tokens' tokenizer (its vocabulary's windows and onset slots).
        threshold (`float`): positive; the ratio a hold needs to go on into a step (higher: shorter holds).
    """

    def __init__(self, tokenizer, threshold: float):
        vocabulary = tokenizer.vocabulary
        grammar = HoldGrammarLogitsProcessor(vocabulary.windows, vocabulary.onset_slots)
        self.goes_on, self.begins_at_edge = grammar.goes_on, grammar.begins_at_edge
        self.ends_holding = grammar.ends_holding
        self.starts_object = torch.from_numpy(vocabulary.starts_object)
        self.starts_hold = torch.from_numpy(vocabulary.starts_hold)
        self.threshold = threshold
        self.as_hits = vocabulary.holds_as_hits

    def shown_to_the_model(self, beat_tokens: np.ndarray) -> np.ndarray:
        """`beat_tokens` (any shape of token ids) as the model is shown them while it decodes: each hold written as a
        hit at its start. With its own holds in its history the model writes sparser maps (on the development songs,
        0.90-0.92 of the charts' notes against 1.03 on War of freedom, and 0.02 lower F1); shown as hits, the map's
        objects are decided on the history they have without holds, and the holds' kind is drawn on top."""
        return self.as_hits[beat_tokens]

    def going_on(self, probabilities: torch.Tensor, held_before: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """
        Where a hold would go on, for every step of a forward pass.

        Args:
            probabilities (`torch.Tensor` of shape `(batch_size, num_tracks, steps, vocab_size)`): the pass's token
                probabilities (without difficulty guidance).
            held_before (`torch.Tensor` of shape `(batch_size, num_tracks)`): the probability that each track is
                held through the step before the pass's first (0 at a song's start).

        Returns:
            `(going_on, held_after)`: bool of shape `(batch_size, num_tracks, steps)`, whether a hold held before each
            step goes on into it, and the probability that each track is held through the pass's last step, of shape
            `(batch_size, num_tracks)` (the next pass's `held_before`).
        """
        going_on = (probabilities * self.goes_on).sum(dim=-1)
        held = (probabilities * self.ends_holding).sum(dim=-1)
        before = torch.cat([held_before[..., None], held[..., :-1]], dim=-1)
        return going_on > self.threshold * before, held[..., -1]

    def draw_holds(
        self, probabilities: torch.Tensor, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """
        Whether an object would start a hold, drawn for every step of a forward pass, outside and inside a hold.

        Args:
            probabilities (`torch.Tensor` of shape `(batch_size, num_tracks, steps, vocab_size)`): the pass's token
                probabilities without difficulty guidance.
            generator (`torch.Generator`, *optional*): the source of the draws (one per track and step).

        Returns:
            `(outside, inside)`: bool, each of shape `(batch_size, num_tracks, steps)`: the draws on a track outside a
            hold (where the grammar allows no token that goes on with one) and inside one (no `[hold_start:0]`).
        """
        uniform = torch.rand(probabilities.shape[:-1], generator=generator)
        draws = []
        for refused in (self.goes_on, self.begins_at_edge):
            allowed = ~refused
            holds = (probabilities * (self.starts_hold & allowed)).sum(dim=-1)
            objects = (probabilities * (self.starts_object & allowed)).sum(dim=-1)
            draws.append(uniform * objects < holds)  # uniform < the share of hold starts among the objects
        return draws[0], draws[1]

    def go_on(
        self, chosen: torch.Tensor, scores: torch.Tensor, in_hold: torch.Tensor, going_on: torch.Tensor
    ) -> torch.Tensor:
        """
        Args:
            chosen (`torch.Tensor` of shape `(batch_size, num_tracks)`): one step's chosen token ids.
            scores (`torch.Tensor` of shape `(batch_size, num_tracks, vocab_size)`): the logits they were chosen from.
            in_hold (`torch.Tensor` of shape `(batch_size, num_tracks)`): bool, the tracks inside a hold before it.
            going_on (`torch.Tensor` of shape `(batch_size, num_tracks)`): bool, this step of `going_on`'s result.

        Returns:
            `torch.LongTensor` of shape `(batch_size, num_tracks)`: `chosen`, with the holds that go on carried on.
        """
        carried = self.goes_on & ~self.starts_object
        released = in_hold & going_on & ~self.starts_object[chosen] & ~self.goes_on[chosen]
        return torch.where(released, scores.masked_fill(~carried, -float("inf")).argmax(dim=-1), chosen)

    def take_kind(self, chosen: torch.Tensor, scores: torch.Tensor, draws_hold: torch.Tensor) -> torch.Tensor:
        """
        Args:
            chosen (`torch.Tensor` of shape `(batch_size, num_tracks)`): one step's chosen token ids.
            scores (`torch.Tensor` of shape `(batch_size, num_tracks, vocab_size)`): the logits they were chosen from
                (the kind's most likely token is taken from these).
            draws_hold (`torch.Tensor` of shape `(batch_size, num_tracks)`): bool, this step of `draw_holds`' result
                (outside or inside a hold, as each track is).

        Returns:
            `torch.LongTensor` of shape `(batch_size, num_tracks)`: `chosen`, with each object-starting token replaced
            by the most likely one of the drawn kind (kept where no token of that kind is allowed).
        """
        best_hold = scores.masked_fill(~self.starts_hold, -float("inf")).max(dim=-1)
        best_hit = scores.masked_fill(~(self.starts_object & ~self.starts_hold), -float("inf")).max(dim=-1)
        best = torch.where(draws_hold, best_hold.indices, best_hit.indices)
        allowed = torch.where(draws_hold, best_hold.values, best_hit.values) > -float("inf")
        return torch.where(self.starts_object[chosen] & allowed, best, chosen)
