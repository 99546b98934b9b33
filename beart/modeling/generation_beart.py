"""Generation for BEaRT (`BeartGenerationMixin.generate`): turning a song's mel slices into beat tokens, left to right,
with the decoding defaults of the model's `generation_config`.

Both strategies lay out every model input exactly as training does (`BeartProcessor.build_beat_context`): the
history of generated tokens, the current token of the scored track and of every later track masked, foresight
positions hearing the audio ahead.

- `legacy`: the original BeatLearning beam search, ported faithfully. Every outer iteration decodes
  `len(beams) // num_tracks` steps; beam `b` scores track `b % num_tracks` of step `b // num_tracks` for every
  candidate so far, keeps its `beams[b]` most likely tokens (temperature, logit bias and the reserved tokens applied)
  and multiplies the candidates' scores by their renormalised probabilities (at most `max_beam_width` candidates
  survive). Then, as the original does, the `top_k + 1` best candidates are kept, the very best is dropped unless
  this is the first iteration or the audio is silent (it is "almost always all empty", the original notes), and one
  is drawn from `softmax(score / temperature)`. The song's last `2 * len(beams)` steps are left out, as the original
  leaves them. The original crashes for 2 and 4 tracks (its masks all sit at one position and its audio advances
  per beam); here each track has its own position and every beam of a step hears that step.
- `fast`: one forward pass for all tracks at once (every current token masked, each track read at its own
  position), sampling each track from its `top_k` most likely tokens, or deciding by `hit_threshold`; several songs
  share each forward pass. A model trained with `prediction_steps` above 1 also predicts the coming steps at the
  foresight positions after the current token, so each forward pass yields that many steps of every track. With
  `onset_prior` and `beat_prior`, the audio's own onset strength and beat grid are added to the logits of the tokens
  that start objects (see `audio_priors.py`); with `silence_db`, no object starts where the song is silent
  (`SilenceLogitsProcessor`). The steps of a forward pass are chosen in order under the hold grammar
  (`HoldGrammarLogitsProcessor`): a hold goes on only where one began. With `hold_threshold`, whether an object
  starts a hold is drawn with the model's own probability and a hold goes on while the model's probabilities say it
  reaches into the next step (`hold_decoding.py`). With `max_density`, a song decoded with more
  notes than its budget loses its least likely objects afterwards ([`cap_notes`]).

With `history_steps`, both strategies show the model only the nearest past of every track
(`BeartProcessor.kept_positions`), each kept position at its own place (`position_ids`).
"""

from dataclasses import fields

import numpy as np
import torch
from tqdm.auto import tqdm
from transformers import GenerationConfig, LogitsProcessorList, TemperatureLogitsWarper
from transformers.utils import logging

from ..beatmaps.intermediate import QUANTUM_MS
from ..decoding_options import STRATEGIES, DecodingOptions, density_multiple
from ..processing import BeartProcessor, SongAnalysis
from .hold_decoding import HoldDecisions
from .logits_process import (
    AudioPriorLogitsProcessor,
    HoldGrammarLogitsProcessor,
    LogitBiasLogitsProcessor,
    SilenceLogitsProcessor,
    SuppressReservedTokensLogitsProcessor,
)


logger = logging.get_logger(__name__)

# The most audio windows one forward pass of the legacy beam search may hold (`check_beam_widths`): the pass itself
# takes about four times as much (400 candidates of the Quaver preset: 1.8 GB resident).
LEGACY_BATCH_BYTES = 2**28


class ContextScorer:
    """
    Runs the model on context rows of `num_tracks` tracks and returns the tempo and the adjusted logits at given
    positions (with `difficulty_guidance` and `history_steps`, see [`DecodingOptions`]): one decoding step's model
    call, which the decoders make and which diagnoses (`examples/diagnose_holds.py`) make on a chart's own rows.

    Args:
        model (`BeartModel`): the model.
        processor (`BeartProcessor`): its processor (the row layout and the history kept).
        options (`DecodingOptions`): the decoding options read (`temperature`, `logit_bias`, `difficulty`,
            `difficulty_guidance`, `history_steps`).
        num_tracks (`int`, *optional*, defaults to 1): the tracks of the rows.
    """

    def __init__(self, model, processor: BeartProcessor, options: DecodingOptions, num_tracks: int = 1):
        self.model = model
        self.kept_positions = processor.kept_positions(num_tracks, options.history_steps)
        self.processor = processor
        self.options = options
        self.device = next(model.parameters()).device
        self.processors = LogitsProcessorList(
            [
                TemperatureLogitsWarper(float(options.temperature)),
                SuppressReservedTokensLogitsProcessor(processor.tokenizer.num_reserved_tokens),
                LogitBiasLogitsProcessor(options.logit_bias, vocab_size=model.config.vocab_size),
            ]
        )
        self.guidance = options.difficulty_guidance or 0.0
        self.mirrored_difficulty_token = processor.tokenizer.mirrored_difficulty_token_id(options.difficulty)

    def __call__(
        self, input_ids: np.ndarray, token_type_ids: np.ndarray, input_features: np.ndarray, positions,
        with_unguided: bool = False,
    ):  # fmt: skip
        """
        Args:
            input_ids, token_type_ids (`np.ndarray` of shape `(rows, sequence_length)`): whole context rows.
            input_features (`np.ndarray` of shape `(rows, sequence_length, groups, mel_bands)`): their mel slices.
            positions (`array-like` of shape `(rows, ...)`): the row positions whose logits are read.
            with_unguided (`bool`, *optional*, defaults to `False`): also return the logits without
                `difficulty_guidance` (the same logits where there is none).

        Returns:
            `(tempo, logits)` or `(tempo, logits, unguided)`: tempo of shape `(rows,)`, logits of shape
            `(*positions.shape, vocab_size)`, on the CPU.

        Raises:
            `ValueError`: the model's logits or tempo hold `nan` or infinite values.
        """
        num_rows = len(input_ids)
        if self.guidance:
            mirrored = input_ids.copy()
            mirrored[:, 0] = self.mirrored_difficulty_token
            input_ids = np.concatenate([input_ids, mirrored])
            token_type_ids = np.concatenate([token_type_ids, token_type_ids])
            input_features = np.concatenate([input_features, input_features])
        position_ids = None
        if self.kept_positions is not None:  # `history_steps`: the rest of the history left out, positions kept
            input_ids, token_type_ids, input_features = (
                array[:, self.kept_positions] for array in (input_ids, token_type_ids, input_features)
            )
            positions = np.searchsorted(self.kept_positions, np.asarray(positions))
            position_ids = torch.as_tensor(self.kept_positions, device=self.device)
        # only the positions read get logits (the last layer attends from those alone)
        kept, read = np.unique(np.asarray(positions), return_inverse=True)
        positions = read.reshape(np.shape(positions))
        with torch.inference_mode():
            outputs = self.model(
                input_ids=torch.as_tensor(input_ids, device=self.device),
                token_type_ids=torch.as_tensor(token_type_ids, device=self.device),
                input_features=torch.as_tensor(input_features, device=self.device),
                logits_to_keep=torch.as_tensor(kept, device=self.device),
                position_ids=position_ids,
            )
        if not (torch.isfinite(outputs.logits).all() and torch.isfinite(outputs.tempo).all()):
            raise ValueError(
                "The model's scores hold nan or infinite values (weights that overflow on this song): no map can be "
                "drawn from them."
            )
        positions = torch.as_tensor(positions, device=self.device)
        rows = torch.arange(num_rows, device=self.device).reshape(-1, *[1] * (positions.dim() - 1))
        logits = unguided = outputs.logits[rows, positions].float()
        if self.guidance:
            mirrored_logits = outputs.logits[rows + num_rows, positions].float()
            logits = logits + self.guidance * (logits - mirrored_logits)
        logits = self.processors(None, logits)
        tempo = torch.clamp(outputs.tempo[:num_rows].float(), min=0.0)
        if not with_unguided:
            return tempo.cpu(), logits.cpu()
        unguided = self.processors(None, unguided) if self.guidance else logits
        return tempo.cpu(), logits.cpu(), unguided.cpu()


def threshold_choice(
    logits: torch.Tensor, starts_object: torch.Tensor, threshold: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    """
    The `hit_threshold` rule (see [`DecodingOptions`]).

    A step holds an object where the probability that at least one track starts one, `1 - prod(1 - p_track)` with
    `p_track` the summed probability of a track's object-starting tokens, passes `threshold`. The object goes to one
    track, drawn with probability proportional to `p_track`, which takes its most likely object-starting token; every
    other track takes its most likely token that starts nothing. Deciding per track instead splits one onset's
    probability between the tracks, so four tracks either miss onsets no single track is sure of or stack chords on
    every onset; always taking the most likely track puts a whole chart on one panel.

    Args:
        logits (`torch.Tensor` of shape `(batch_size, num_tracks, steps, vocab_size)`): adjusted logits (reserved
            tokens at -inf).
        starts_object (`torch.Tensor` of shape `(vocab_size,)`): bool, the tokens that start an object.
        threshold (`float`): in (0, 1).
        generator (`torch.Generator`, *optional*): the source of the track draws.

    Returns:
        `torch.LongTensor` of shape `(batch_size, num_tracks, steps)`: the chosen token ids.
    """
    batch_size, num_tracks, steps, _ = logits.shape
    object_probability, any_object = object_probabilities(logits, starts_object)
    track_weights = object_probability.transpose(1, 2).reshape(-1, num_tracks).clamp_min(1e-12)
    drawn_track = torch.multinomial(track_weights, 1, generator=generator).reshape(batch_size, 1, steps)
    is_drawn = torch.arange(num_tracks, device=logits.device)[None, :, None] == drawn_track
    best_start = logits.masked_fill(~starts_object, -float("inf")).argmax(dim=-1)
    return torch.where((any_object > threshold) & is_drawn, best_start, quiet_choice(logits, starts_object))


def object_probabilities(logits: torch.Tensor, starts_object: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """
    How likely each track, and the step, is to start an object.

    Args:
        logits (`torch.Tensor` of shape `(batch_size, num_tracks, steps, vocab_size)`): adjusted logits.
        starts_object (`torch.Tensor` of shape `(vocab_size,)`): bool, the tokens that start an object.

    Returns:
        `(object_probability, any_object)`: each track's summed probability of its object-starting tokens, of shape
        `(batch_size, num_tracks, steps)`, and the probability that at least one track starts one,
        `1 - prod(1 - object_probability)` over the tracks, of shape `(batch_size, 1, steps)`.
    """
    object_probability = (logits.softmax(dim=-1) * starts_object).sum(dim=-1)
    return object_probability, 1.0 - torch.prod(1.0 - object_probability, dim=1, keepdim=True)


def quiet_choice(logits: torch.Tensor, starts_object: torch.Tensor) -> torch.Tensor:
    """Each track's most likely token that starts nothing: `logits` of shape `(..., vocab_size)` -> ids of shape
    `(...)`."""
    return logits.masked_fill(starts_object, -float("inf")).argmax(dim=-1)


def cap_notes(
    beat_tokens: np.ndarray, object_scores: np.ndarray, quiet_tokens: np.ndarray, budget: int,
    onset_slots: np.ndarray, ends_holding: np.ndarray, slot_levels: np.ndarray | None = None,
) -> np.ndarray:  # fmt: skip
    """
    The `max_density` cap (see [`DecodingOptions`]): a song's beat tokens with objects dropped until at most `budget`
    notes remain, those on the weakest places of the metre first (with `slot_levels`; a step counts by its strongest
    note) and among them the least likely. A note is an onset time (one per slot, however many tracks start an object
    there), as the evaluation counts them. A dropped step's object-starting tokens become the tracks' `quiet_tokens`;
    a step whose swap would start, end or cut a hold (a track inside a hold after the token but not after its quiet
    one, or the other way) stays, so the hold grammar still holds.

    Args:
        beat_tokens (`np.ndarray` of shape `(num_steps, num_tracks)`): the chosen tokens.
        object_scores (`np.ndarray` of shape `(num_steps,)`): the probability that each step holds an object
            ([`object_probabilities`]' `any_object`); the lowest go first.
        quiet_tokens (`np.ndarray` of shape `(num_steps, num_tracks)`): each track's most likely token that starts
            nothing at each step ([`quiet_choice`]).
        budget (`int`): the most notes kept.
        onset_slots (`np.ndarray` of shape `(vocab_size, groups)`): bool, where each token starts objects.
        ends_holding (`np.ndarray` of shape `(vocab_size,)`): bool, whether a track is inside a hold after each token.
        slot_levels (`np.ndarray` of shape `(num_steps, groups)`, *optional*): the metrical level of every 10 ms slot
            ([`SongAnalysis.metrical_levels`], 0 on a beat, higher is weaker); without it the scores alone decide.

    Returns:
        `np.ndarray` of shape `(num_steps, num_tracks)`: the tokens kept, a new array.
    """
    onsets = onset_slots[beat_tokens]  # (num_steps, num_tracks, groups)
    notes = onsets.any(axis=1).sum(axis=1)
    surplus = int(notes.sum()) - budget
    beat_tokens = beat_tokens.copy()
    if surplus <= 0:
        return beat_tokens
    starts = onsets.any(axis=2)
    keeps_holds = ends_holding[quiet_tokens] == ends_holding[beat_tokens]
    droppable = np.flatnonzero(starts.any(axis=1) & (keeps_holds | ~starts).all(axis=1))
    if slot_levels is None:
        slot_levels = np.zeros(onsets.shape[::2], dtype=np.int64)
    step_levels = np.where(onsets.any(axis=1), slot_levels, np.iinfo(np.int64).max).min(axis=1)
    droppable = droppable[np.lexsort((object_scores[droppable], -step_levels[droppable]))]
    dropped = droppable[: np.searchsorted(np.cumsum(notes[droppable]), surplus) + 1]
    beat_tokens[dropped] = np.where(starts[dropped], quiet_tokens[dropped], beat_tokens[dropped])
    return beat_tokens


def _generator(seed: int | None) -> torch.Generator:
    generator = torch.Generator()
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(seed)
    return generator


def draw_per_song(draw, rows: torch.Tensor, generators: list[torch.Generator], active: list[int]):
    """
    Runs a seeded draw on each song's rows with the song's own generator, so that a song's map is the same in any batch
    and the seed its map records remakes it alone.

    Args:
        draw (`Callable[[torch.Tensor, torch.Generator], torch.Tensor | tuple[torch.Tensor, ...]]`): the draw.
        rows (`torch.Tensor` of shape `(batch_size, ...)`): one row per active song.
        generators (`list[torch.Generator]`): one per song of the call.
        active (`list[int]`): the song of each row.

    Returns:
        What `draw` returns, its rows joined again in the order of `rows`.
    """
    parts = [draw(rows[row : row + 1], generators[index]) for row, index in enumerate(active)]
    if isinstance(parts[0], torch.Tensor):
        return torch.cat(parts)
    return tuple(torch.cat(part) for part in zip(*parts))


def check_beam_widths(beams: list, max_beam_width: int | None, vocab_size: int, row_bytes: int) -> None:
    """
    Raises `ValueError` for beams the legacy search cannot run: a width above the vocabulary (torch's "selected index
    k out of range"), or candidates that one forward pass would score with more than `LEGACY_BATCH_BYTES` of audio
    windows (4 beams of 85 with a `max_beam_width` of 100,000 asked for 61 GiB; without it, 85 ** 3 rows).

    Args:
        beams (`list[int]`): the widths, one per track and step.
        max_beam_width (`int`, *optional*): the most candidates kept between beams.
        vocab_size (`int`): the tokens a beam chooses from.
        row_bytes (`int`): the bytes of one candidate's audio window.
    """
    if max(beams) > vocab_size:
        raise ValueError(f"beams: a beam keeps at most the {vocab_size} tokens of the vocabulary, got {max(beams)}.")
    candidates, largest = 1, 1
    for width in beams:
        largest = max(largest, candidates)  # the candidates this beam scores in one forward pass
        candidates *= width
        if max_beam_width is not None:
            candidates = min(candidates, max_beam_width)
    if largest * row_bytes > LEGACY_BATCH_BYTES:
        raise ValueError(
            f"beams {beams} (max_beam_width {max_beam_width}) score up to {largest:,} candidates in one forward pass, "
            f"{largest * row_bytes / 2**30:.1f} GiB of audio windows; at most {LEGACY_BATCH_BYTES // row_bytes:,} fit "
            f"in {LEGACY_BATCH_BYTES / 2**30:g} GiB: narrow the beams or set a smaller max_beam_width."
        )


def legacy_beam_search(
    model, processor: BeartProcessor, mel_slices: np.ndarray, num_tracks: int, options: DecodingOptions,
    start_step: int = 0, end_step: int | None = None, progress: bool = True,
) -> tuple[np.ndarray, np.ndarray, int]:  # fmt: skip
    """
    The original beam search (see the module docstring).

    Returns:
        `(beat_tokens, tempo, first_step)`: tokens `(num_steps, num_tracks)`, tempo per step in BPM, and the step
        of the first token.
    """
    beams = list(options.beams or [max(2, int(options.top_k))] * num_tracks)
    row_bytes = processor.audio_windows(mel_slices, np.array([start_step]), num_tracks).nbytes
    check_beam_widths(beams, options.max_beam_width, model.config.vocab_size, row_bytes)
    steps_per_iteration = len(beams) // num_tracks
    top_k = int(options.top_k)
    scorer = ContextScorer(model, processor, options, num_tracks)
    generator = _generator(options.seed)
    positions = processor.scored_positions(num_tracks)
    track_ids = processor.track_ids(num_tracks)[None, :]
    last = len(mel_slices) - 2 * len(beams)
    if end_step is not None:
        last = min(last, end_step)
    first = -(-start_step // steps_per_iteration) * steps_per_iteration
    iterations = range(first, last, steps_per_iteration)
    tokens = np.full((max(0, last - first) + steps_per_iteration, num_tracks), processor.tokenizer.pad_token_id)
    tempo = np.zeros(len(tokens), dtype=np.float32)

    for iteration, step in enumerate(tqdm(iterations, desc="Generating (legacy)", unit="step", disable=not progress)):
        relative = step - first
        candidates = np.zeros((1, steps_per_iteration, num_tracks), dtype=np.int64)
        scores = torch.ones(1)
        silent = True
        beam_tempos = []
        for beam_index, width in enumerate(beams):
            track, offset = beam_index % num_tracks, beam_index // num_tracks
            input_ids, _ = processor.build_beat_context(
                tokens, np.array([relative + offset]), options.difficulty, np.array([track])
            )
            input_ids = np.repeat(input_ids, len(candidates), axis=0)
            for earlier in range(offset + 1):
                decided = num_tracks if earlier < offset else track
                for decided_track in range(decided):
                    input_ids[:, positions[decided_track] - (offset - earlier)] = candidates[:, earlier, decided_track]
            audio = processor.audio_windows(mel_slices, np.array([step + offset]), num_tracks)
            silent = silent and not audio.any()
            features = np.repeat(audio, len(candidates), axis=0)
            row_tempo, logits = scorer(
                input_ids,
                np.repeat(track_ids, len(candidates), axis=0),
                features,
                np.full(len(candidates), positions[track]),
            )
            values, indices = torch.topk(logits, width)
            beam_tempos.append(float(row_tempo.mean()))
            candidates = np.repeat(candidates, width, axis=0)
            candidates[:, offset, track] = indices.reshape(-1).numpy()
            scores = torch.repeat_interleave(scores, width) * torch.softmax(values, dim=-1).reshape(-1)
            if options.max_beam_width is not None and len(candidates) > options.max_beam_width:
                _, kept = torch.topk(scores, options.max_beam_width)
                candidates, scores = candidates[kept.numpy()], scores[kept]

        top_scores, _ = torch.topk(scores, min(top_k + 1, len(scores)))
        scores = torch.where(scores < top_scores[-1], -float("inf"), scores)
        if iteration > 0 and not silent:
            scores = torch.where(scores == top_scores[0], -float("inf"), scores)
        choice = torch.multinomial(torch.softmax(scores / options.temperature, dim=-1), 1, generator=generator)
        tokens[relative : relative + steps_per_iteration] = candidates[int(choice)]
        tempo[relative : relative + steps_per_iteration] = np.mean(
            np.reshape(beam_tempos, (steps_per_iteration, num_tracks)), axis=1
        )
    generated = len(iterations) * steps_per_iteration
    return tokens[:generated], tempo[:generated], first


def choose_tokens(
    logits: torch.Tensor, options: DecodingOptions, starts_object: torch.Tensor, generator: torch.Generator
) -> torch.Tensor:
    """
    The `fast` strategy's choice: by `hit_threshold` ([`threshold_choice`]), else greedy (`top_k` 1), else a draw from
    each track's `top_k` most likely tokens.

    Args:
        logits (`torch.Tensor` of shape `(batch_size, num_tracks, steps, vocab_size)`): adjusted logits.
        options (`DecodingOptions`): the decoding options.
        starts_object (`torch.Tensor` of shape `(vocab_size,)`): bool, the tokens that start an object.
        generator (`torch.Generator`): the source of the draws.

    Returns:
        `torch.LongTensor` of shape `(batch_size, num_tracks, steps)`.
    """
    if options.hit_threshold is not None:
        return threshold_choice(logits, starts_object, options.hit_threshold, generator)
    top_k = min(int(options.top_k), logits.shape[-1])  # more than the vocabulary: every token
    if top_k == 1:
        return logits.argmax(dim=-1)
    values, indices = torch.topk(logits, top_k, dim=-1)
    draws = torch.multinomial(torch.softmax(values, dim=-1).reshape(-1, top_k), 1, generator=generator)
    return torch.gather(indices.reshape(-1, top_k), 1, draws).reshape(logits.shape[:-1])


def silence_gate(config, silence_db: float | None) -> float | None:
    """The `silence_db` a model decodes with: `None` for a model that hears the mel slices' gradient across the bands
    (`config.mel_gradient`), whose slices hold no levels to tell silence by (a warning says so)."""
    if silence_db and config.mel_gradient:
        logger.warning_once("silence_db reads the mel slices' levels; this model hears their gradient: no gate.")
        return None
    return silence_db


def _onset_prior_evidence(analysis: SongAnalysis, options: DecodingOptions) -> np.ndarray:
    """What the onset prior reads of a song (`SongAnalysis.onset_prior_evidence`); an analysis made by an older copy of
    this code (a model loaded as remote code beside an installed beart) has no stems: its `onset_evidence`."""
    read = getattr(analysis, "onset_prior_evidence", None)
    return read(options.lead_stem, options.lead_weight) if read else analysis.onset_evidence


def fast_decoding(
    model, processor: BeartProcessor, analyses: list[SongAnalysis], num_tracks: int, options: DecodingOptions,
    start_step: int = 0, end_step: int | None = None, progress: bool = True,
    logits_processor: LogitsProcessorList | None = None,
) -> list[tuple[np.ndarray, np.ndarray, int]]:  # fmt: skip
    """
    One forward pass for all tracks and all songs per `options.steps_per_forward` steps (see the module docstring).
    The steps of a forward pass are chosen in order under the hold grammar ([`HoldGrammarLogitsProcessor`]).

    Returns:
        Per song, `(beat_tokens, tempo, first_step)` as `legacy_beam_search` returns them.
    """
    scorer = ContextScorer(model, processor, options, num_tracks)
    generators = [_generator(options.seed) for _ in analyses]  # one per song: its map does not depend on the batch
    songs = [analysis.mel_slices for analysis in analyses]
    ahead = options.steps_per_forward(model.config)
    read_positions = processor.prediction_positions(num_tracks, ahead)
    lengths = [len(slices) if end_step is None else min(len(slices), end_step) for slices in songs]
    counts = [max(0, length - start_step) for length in lengths]
    tokens = [np.full((count, num_tracks), processor.tokenizer.pad_token_id) for count in counts]
    tempos = [np.zeros(count, dtype=np.float32) for count in counts]
    capped = bool(density_multiple(options.max_density, options.difficulty))
    if capped:  # what the `max_density` cap reads once the songs are decoded
        object_scores = [np.zeros(count, dtype=np.float32) for count in counts]
        quiet_tokens = [np.full((count, num_tracks), processor.tokenizer.pad_token_id) for count in counts]
    track_ids = processor.track_ids(num_tracks)[None, :]
    starts_object = torch.from_numpy(processor.tokenizer.object_start_mask)
    onset_slots = torch.from_numpy(processor.tokenizer.onset_slots)
    hold_grammar = HoldGrammarLogitsProcessor(processor.tokenizer.vocabulary.windows, processor.tokenizer.onset_slots)
    holds = None
    if options.hold_threshold:
        holds = HoldDecisions(processor.tokenizer, options.hold_threshold)
        held_before = torch.zeros((len(songs), num_tracks))
        shown = [np.full((count, num_tracks), processor.tokenizer.pad_token_id) for count in counts]
    signals = (  # the onset prior hears the stem the chart follows beside the whole song (`lead_stem`)
        (options.onset_prior, lambda analysis: _onset_prior_evidence(analysis, options)),
        (options.beat_prior_weight(), lambda analysis: getattr(analysis, options.beat_prior_signal())),
    )
    priors = [
        AudioPriorLogitsProcessor(weight, [signal(analysis) for analysis in analyses], onset_slots)
        for weight, signal in signals
        if weight
    ]
    silence_db = silence_gate(model.config, options.silence_db)
    if silence_db:
        starts = [analysis.may_start(silence_db) for analysis in analyses]
        priors.append(SilenceLogitsProcessor(starts, onset_slots))
    priors = LogitsProcessorList(priors + list(logits_processor or []))
    in_hold = torch.zeros((len(songs), num_tracks), dtype=torch.bool)
    total = max(counts, default=0)
    bar = tqdm(total=total, desc="Generating", unit="step", disable=not progress)
    for relative in range(0, total, ahead):
        active = [index for index, count in enumerate(counts) if relative < count]
        input_ids = np.concatenate(
            [
                processor.build_beat_context(
                    (shown if holds else tokens)[index], np.array([relative]), options.difficulty, np.zeros(1, int)
                )[0]
                for index in active
            ]
        )
        features = np.concatenate(
            [processor.audio_windows(songs[index], np.array([start_step + relative]), num_tracks) for index in active]
        )
        positions = np.tile(read_positions, (len(active), 1, 1))
        row_tempo, logits, *unguided = scorer(
            input_ids, np.repeat(track_ids, len(active), axis=0), features, positions, with_unguided=holds is not None
        )
        logits = priors(None, logits, songs=active, first_step=start_step + relative)
        if holds:  # the holds' kind and length read the model without guidance
            unguided = priors(None, unguided[0], songs=active, first_step=start_step + relative)
            probabilities = unguided.softmax(dim=-1)  # read by both
            going_on, held_after = holds.going_on(probabilities, held_before[active])
            holds_outside, holds_inside = draw_per_song(holds.draw_holds, probabilities, generators, active)
        chosen = torch.empty(logits.shape[:-1], dtype=torch.long)
        if capped:
            quiet, scores = torch.empty_like(chosen), torch.empty((len(active), ahead))
        holding = in_hold[active]
        for step in range(ahead):  # in order: the hold grammar reads the steps before
            step_logits = hold_grammar(None, logits[:, :, step], holding)[:, :, None]
            choice = draw_per_song(
                lambda rows, generator: choose_tokens(rows, options, starts_object, generator),
                step_logits, generators, active,
            )  # fmt: skip
            chosen[:, :, step] = choice[..., 0]
            if holds:  # the objects stay where they are; their kind and the holds' length follow the model
                if holding.any():
                    chosen[:, :, step] = holds.go_on(
                        chosen[:, :, step], step_logits[:, :, 0], holding, going_on[..., step]
                    )
                if starts_object[chosen[:, :, step]].any():
                    draws = torch.where(holding, holds_inside[..., step], holds_outside[..., step])
                    chosen[:, :, step] = holds.take_kind(chosen[:, :, step], step_logits[:, :, 0], draws)
            if capped:
                quiet[:, :, step] = quiet_choice(step_logits, starts_object)[..., 0]
                scores[:, step] = object_probabilities(step_logits, starts_object)[1][:, 0, 0]
            holding = hold_grammar.holding(chosen[:, :, step])
        for row, index in enumerate(active):
            taken = min(ahead, counts[index] - relative)
            tokens[index][relative : relative + taken] = chosen[row, :, :taken].numpy().T
            if holds:
                shown[index][relative : relative + taken] = holds.shown_to_the_model(chosen[row, :, :taken].numpy().T)
            tempos[index][relative : relative + taken] = float(row_tempo[row])
            if capped:
                quiet_tokens[index][relative : relative + taken] = quiet[row, :, :taken].numpy().T
                object_scores[index][relative : relative + taken] = scores[row, :taken].numpy()
        in_hold[active] = holding  # after the pass's last step (a song that stops earlier is done)
        if holds:
            held_before[active] = held_after
        bar.update(min(ahead, total - relative))
    bar.close()
    if capped:
        for index, analysis in enumerate(analyses):
            if analysis.beat_period is None:  # no beats to count
                continue
            groups = analysis.mel_slices.shape[1]
            frames = counts[index] * groups
            if silence_db:  # the span that sounds, as a chart's beats count from its first note to its last
                part = analysis.sounding(silence_db)[start_step : start_step + counts[index]]
                sounding = np.flatnonzero(part.reshape(-1))
                frames = sounding[-1] - sounding[0] + 1 if len(sounding) else 0
            budget = options.note_budget(frames / analysis.beat_period)
            slots = (start_step + np.arange(counts[index]))[:, None] * groups + np.arange(groups)
            tokens[index] = cap_notes(
                tokens[index], object_scores[index], quiet_tokens[index], budget,
                processor.tokenizer.onset_slots, hold_grammar.ends_holding.numpy(),
                analysis.metrical_levels(QUANTUM_MS * slots.reshape(-1)).reshape(slots.shape),
            )  # fmt: skip
    return [(tokens[index], tempos[index], start_step) for index in range(len(songs))]


DECODING_KEYS = tuple(option.name for option in fields(DecodingOptions))
# The options that one strategy reads and the other ignores.
STRATEGY_OPTIONS = {
    strategy: tuple(option.name for option in fields(DecodingOptions) if option.metadata.get("read_by") == strategy)
    for strategy in STRATEGIES
}
GENERATION_KEYS = (*DECODING_KEYS, "strategy")


def generation_config_from_model_config(config) -> GenerationConfig:
    """
    The generation config of a model saved before `generation_config.json` held its decoding defaults: the defaults
    its `config.decoding_defaults` named (the bundled model's first releases), else none.
    """
    defaults = dict(getattr(config, "decoding_defaults", None) or {})
    unknown = set(defaults) - set(GENERATION_KEYS)
    if unknown:
        raise ValueError(f"decoding_defaults holds unknown options {sorted(unknown)}; known: {list(GENERATION_KEYS)}.")
    return GenerationConfig(**defaults)


def decoding_settings(
    generation_config: GenerationConfig, caller_config: GenerationConfig | None = None, **call
) -> dict:
    """
    The decoding settings of a call: its own options over those of the caller's generation config, over the model's
    `generation_config`'s, as transformers' `generate` layers them (only the options each config sets; a call that
    chooses `top_k` leaves out a configured `hit_threshold`, which would otherwise take its place).

    Args:
        generation_config (`GenerationConfig`): the model's.
        caller_config (`GenerationConfig`, *optional*): a caller's (`generate(generation_config=...)`, the pipeline's
            `generation_config`); its options count as the call's.
        **call: the call's options.

    Raises:
        `TypeError`: an option no strategy knows, in the call or the caller's config.
    """
    if caller_config is not None:
        if not isinstance(caller_config, GenerationConfig):
            raise TypeError(f"generation_config must be a GenerationConfig, got {type(caller_config).__name__}.")
        configured = caller_config.to_diff_dict()
        configured.pop("transformers_version", None)
        call = {**configured, **{key: value for key, value in call.items() if value is not None}}
    unknown = set(call) - set(GENERATION_KEYS)
    if unknown:
        raise TypeError(f"Unknown generation options {sorted(unknown)}; known: {list(GENERATION_KEYS)}.")
    configured = generation_config.to_diff_dict()
    defaults = {key: configured[key] for key in GENERATION_KEYS if key in configured}
    if "top_k" in call:
        defaults.pop("hit_threshold", None)
    return {**defaults, **{key: value for key, value in call.items() if value is not None}}


class BeartGenerationMixin:
    """
    `generate` for BEaRT, as Whisper and MusicGen have their own: the beat tokens of songs from their mel slices, by
    the `fast` strategy (the default) or the original's `legacy` beam search. Its defaults come from the model's
    `generation_config` (saved as `generation_config.json`); `model.can_generate()` is `True`.
    """

    def adjust_generation_fn(
        self, generation_config, from_auto_class, from_pipeline, pretrained_model_name_or_path, cache_dir=None,
        force_download=False, proxies=None, local_files_only=False, token=None, revision=None, subfolder="",
        trust_remote_code=None, **kwargs,
    ):  # fmt: skip
        """Called by `from_pretrained`: the given generation config, else the folder's `generation_config.json`,
        else the one the model made from its config (a model saved before that file held its defaults)."""
        if generation_config is not None:
            self.generation_config = GenerationConfig.from_dict(generation_config.to_dict())
            return
        if pretrained_model_name_or_path is None:
            return
        try:
            self.generation_config = GenerationConfig.from_pretrained(
                pretrained_model_name_or_path, cache_dir=cache_dir, force_download=force_download, proxies=proxies,
                local_files_only=local_files_only, token=token, revision=revision, subfolder=subfolder,
            )  # fmt: skip
        except OSError:
            pass

    def generate(
        self,
        mel_slices,
        num_tracks: int = 1,
        *,
        generation_config: GenerationConfig | None = None,
        processor: BeartProcessor | None = None,
        logits_processor: LogitsProcessorList | None = None,
        start_step: int = 0,
        end_step: int | None = None,
        progress: bool = False,
        **kwargs,
    ):
        """
        Generates beat tokens for one song or several.

        Args:
            mel_slices (`np.ndarray` of shape `(num_slices, groups, mel_bands)` or [`SongAnalysis`], or a list of
                them): the songs, as `BeartFeatureExtractor.mel_slices` gives them, or their analyses (the audio
                priors then come from the analysis, computed once per song).
            num_tracks (`int`, *optional*, defaults to 1): 1, 2 or 4.
            generation_config (`GenerationConfig`, *optional*): decoding options over the model's
                `generation_config` (as transformers' `generate` layers them; the call's own options over both).
            processor (`BeartProcessor`, *optional*): defaults to the one the model's config implies.
            logits_processor (`LogitsProcessorList`, *optional*): `fast`: more processors, run after the built-in
                ones (temperature, reserved tokens, `logit_bias`, the audio priors; see `logits_process.py`) on logits
                of shape `(batch_size, num_tracks, steps, vocab_size)`; they may take `songs` and `first_step`.
            start_step, end_step (`int`, *optional*): the beat tokens (100 ms each) to generate.
            progress (`bool`, *optional*, defaults to `False`): show a progress bar.
            **kwargs: decoding options over the generation config's: `strategy` (`fast` or `legacy`) and the fields
                of [`DecodingOptions`] (`difficulty`, `temperature`, `top_k`, `hit_threshold`, `onset_prior`,
                `beat_prior`, `difficulty_guidance`, `logit_bias`, `seed`, ...).

        Returns:
            `(beat_tokens, tempo, first_step)` for one song (`beat_tokens` of shape `(num_steps, num_tracks)`, the
            tempo head's BPM per step, the step of the first token), a list of them for a list of songs.
        """
        settings = decoding_settings(self.generation_config, generation_config, **kwargs)
        strategy = settings.pop("strategy", "fast")
        if strategy not in STRATEGIES:
            raise ValueError(f"Unknown strategy {strategy!r}; choose one of {list(STRATEGIES)}.")
        options = DecodingOptions(**settings)
        options.validate(num_tracks)
        processor = processor or BeartProcessor.from_model_config(self.config)
        # an analysis is told by its `mel_slices` (a model loaded as remote code may get one made by another copy)
        one_song = isinstance(mel_slices, np.ndarray) or hasattr(mel_slices, "mel_slices")
        songs = [SongAnalysis(song) if isinstance(song, np.ndarray) else song for song in
                 ([mel_slices] if one_song else mel_slices)]  # fmt: skip
        if strategy == "legacy":
            results = [
                legacy_beam_search(
                    self, processor, song.mel_slices, num_tracks, options, start_step, end_step, progress
                )
                for song in songs
            ]
        else:
            results = fast_decoding(
                self, processor, songs, num_tracks, options, start_step, end_step, progress, logits_processor
            )
        return results[0] if one_song else results
