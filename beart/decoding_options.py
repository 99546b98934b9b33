"""The settings of a generation (`DecodingOptions`): one table for `BeartModel.generate`, the pipeline and the flags
of `beart generate` and `beart evaluate`, which are derived from its fields (each field's `help` and `flag`
metadata). Standard library only, so that the command line builds its parser without loading torch."""

import math
import numbers
from dataclasses import dataclass, field


STRATEGIES = ("fast", "legacy")
MAX_WEIGHT = 1000.0  # prior and guidance weights: far past any useful one, short of overflowing the logits
MAX_LOGIT_BIAS = 1e6  # enough to force or forbid a token, short of overflowing the logits
# The options that are numbers, and whole numbers (`DecodingOptions.validate`; a generation config from a stranger may
# write them as text or lists).
NUMBER_OPTIONS = (
    "difficulty", "temperature", "hit_threshold", "difficulty_guidance", "onset_prior", "beat_prior", "silence_db",
    "hold_threshold", "lead_weight",
)  # fmt: skip
WHOLE_OPTIONS = ("top_k", "max_beam_width", "seed", "prediction_steps", "finest_subdivision")
# Below this difficulty the beat prior marks the beats only, not the points halfway: chosen on the development songs of
# examples/real_music_split.py (selection score 0.622 against 0.613), checked on the training songs' easy charts (the
# model card has both tables).
WHOLE_BEATS_BELOW = 0.25
# Human charts' notes per beat at difficulty d: exp(a + b * d), (a, b) fitted on the 33 charts of the training songs
# (examples/fit_notes_per_beat.py; 0.43 notes per beat at difficulty 0, 0.96 at 0.5, 2.17 at 1; a chart lies within
# x1.34 of the fit, geometric spread). The `max_density` cap is a multiple of it.
TYPICAL_NOTES_PER_BEAT = (-0.850, 1.627)


def typical_notes_per_beat(difficulty: float) -> float:
    """Human charts' typical notes per beat at `difficulty` (`TYPICAL_NOTES_PER_BEAT`)."""
    intercept, slope = TYPICAL_NOTES_PER_BEAT
    return math.exp(intercept + slope * difficulty)


def _pairs(value, name: str, example: str):
    """`value`, or the mapping its text writes as `KEY:VALUE` pairs joined by commas (the keys and values as text)."""
    if isinstance(value, str) and ":" in value:
        pairs = [item.split(":", 1) for item in value.split(",")]
        if any(len(pair) != 2 for pair in pairs):
            raise ValueError(f"{name}: write one number or {example}; got {value!r}.")
        return dict(pairs)
    return value


def read_max_density(value, name: str = "max_density") -> float | dict[float, float]:
    """
    `value` as a density cap: one multiple for every difficulty, or a mapping from the lowest difficulty each multiple
    holds from to the multiple (JSON writes the difficulties as text: `{"0": 1.0, "0.5": 1.5}`); on the command line
    `1.5` or `0:1,0.5:1.5`. A multiple of 0 is no cap.

    Raises:
        `ValueError`: a multiple that is not a finite number of 0 or more, a difficulty outside [0, 1], or text that
            reads as neither form.
    """

    def number(text, what: str, highest: float) -> float:
        try:
            parsed = float(text)
        except (TypeError, ValueError):
            raise ValueError(f"{name}: {what} must be a number, got {text!r}.") from None
        if isinstance(text, bool) or not 0.0 <= parsed <= highest:
            raise ValueError(f"{name}: {what} must be a number from 0 to {highest:g}, got {text!r}.")
        return parsed

    value = _pairs(value, name, "DIFFICULTY:MULTIPLE pairs such as 0:1,0.5:1.5")
    if isinstance(value, dict):
        if not value:
            raise ValueError(f"{name}: an empty mapping caps nothing; write 0 for no cap.")
        return {
            number(difficulty, "a difficulty", 1.0): number(multiple, "a multiple", MAX_WEIGHT)
            for difficulty, multiple in value.items()
        }
    return number(value, "the multiple", MAX_WEIGHT)


def density_multiple(max_density: float | dict | None, difficulty: float) -> float:
    """The multiple `max_density` (see `read_max_density`) sets at `difficulty`: a mapping's multiple from the highest
    difficulty it names at or below `difficulty` (the lowest it names for a difficulty below all of them); 0 (no cap)
    for `None`."""
    if not max_density:
        return 0.0
    max_density = read_max_density(max_density)
    if not isinstance(max_density, dict):
        return max_density
    below = [floor for floor in max_density if floor <= difficulty]
    return max_density[max(below) if below else min(max_density)]


def _whole(number, name: str, what: str) -> int:
    """`number` (a number or its text) as a whole number of 0 or more."""
    if isinstance(number, bool) or not isinstance(number, (int, float, str)):
        raise ValueError(f"{name}: {what} must be a whole number, got {number!r}.")
    try:
        parsed = float(number)
    except ValueError:
        raise ValueError(f"{name}: {what} must be a whole number, got {number!r}.") from None
    if not (math.isfinite(parsed) and parsed == int(parsed) and parsed >= 0):
        raise ValueError(f"{name}: {what} must be a whole number of 0 or more, got {number!r}.")
    return int(parsed)


def _per_track_count(value, name: str, number: str, example: str) -> int | dict[int, int]:
    """`value` as one whole number for every track count, or a mapping from track count to one (see
    `read_history_steps`); `number` names the numbers in errors ("number of steps"), `example` shows the pairs."""
    value = _pairs(value, name, example)
    if isinstance(value, dict):
        by_tracks = {
            _whole(tracks, name, "a track count"): _whole(count, name, f"a {number}") for tracks, count in value.items()
        }
        if 0 in by_tracks:
            raise ValueError(f"{name}: track counts start at 1, got {value!r}.")
        return by_tracks
    return _whole(value, name, f"the {number}")


def _for_track_count(value, num_tracks: int) -> int:
    """The number `value` (one number, or a mapping from track count to number) sets for `num_tracks`; 0 for `None`
    or a track count the mapping does not name."""
    if not value:
        return 0
    return value.get(num_tracks, 0) if isinstance(value, dict) else value


def read_history_steps(value, name: str = "history_steps") -> int | dict[int, int]:
    """
    `value` as a history: one number of past steps for every track count, or a mapping from track count to number
    (JSON writes the counts as text: `{"1": 64, "4": 16}`); on the command line `64` or `1:64,2:64,4:16`.

    Raises:
        `ValueError`: a number that is not a whole number of 0 or more, a track count that is not a positive whole
            number, or text that reads as neither form.
    """
    return _per_track_count(value, name, "number of steps", "TRACKS:STEPS pairs such as 1:64,4:16")


def history_steps_for(history_steps: int | dict | None, num_tracks: int) -> int:
    """The past steps each of `num_tracks` tracks keeps under `history_steps` (see `read_history_steps`); 0 (all the
    context holds) for `None`, 0, or a track count the mapping does not name."""
    return _for_track_count(read_history_steps(history_steps) if history_steps else None, num_tracks)


def read_decode_tracks(value, name: str = "decode_tracks") -> int | dict[int, int]:
    """
    `value` as the track counts maps are decoded with (see `DecodingOptions.decode_tracks`): one count for every map
    of fewer tracks, or a mapping from a map's track count to the count it is decoded with (JSON writes the counts as
    text: `{"1": 2}`); on the command line `2` or `1:2`. 0 is the map's own count.

    Raises:
        `ValueError`: a count other than 0, 1, 2 or 4 (`beart.beat_vocabulary.TRACK_COUNTS`), a mapping that
            decodes a map with fewer tracks than its own, or text that reads as neither form.
    """
    from .beat_vocabulary import TRACK_COUNTS  # here: this module is the standard library's alone when imported

    counts = _per_track_count(value, name, "track count", "TRACKS:DECODED pairs such as 1:2")
    named = counts.items() if isinstance(counts, dict) else [(None, counts)]
    for own, decoded in named:
        if decoded and decoded not in TRACK_COUNTS:
            raise ValueError(f"{name}: maps decode with {list(TRACK_COUNTS)} tracks (0: their own); got {value!r}.")
        if own is not None and decoded and decoded < own:
            raise ValueError(f"{name}: a map of {own} tracks cannot be decoded with fewer ({decoded}); got {value!r}.")
    return counts


def decoded_track_count(decode_tracks: int | dict | None, num_tracks: int) -> int:
    """The tracks a map of `num_tracks` tracks is decoded with under `decode_tracks` (see `read_decode_tracks`): its
    own count for `None`, 0, a track count the mapping does not name, or a count below its own."""
    return max(num_tracks, _for_track_count(read_decode_tracks(decode_tracks) if decode_tracks else None, num_tracks))


def _option(default, help: str, flag_type=None, read_by: str | None = None, nargs: str | None = None):
    """A `DecodingOptions` field: its command-line flag's `help` and type (`None`: no flag of its own), and the one
    strategy that reads it (the other warns that it ignores it)."""
    metadata = {"help": help, "flag_type": flag_type, "nargs": nargs, "read_by": read_by}
    return field(default=default, metadata=metadata)


@dataclass
class DecodingOptions:
    """
    Settings of a generation.

    Args:
        difficulty (`float`, *optional*, defaults to 0.5): the difficulty in [0, 1].
        temperature (`float`, *optional*, defaults to 1.0): divides the logits; must be positive.
        top_k (`int`, *optional*, defaults to 1): `legacy`: candidates kept for the final draw (plus one);
            `fast`: tokens sampled from (1 is greedy).
        beams (`list[int]`, *optional*): `legacy`: tokens kept per beam; a multiple of the track count long;
            defaults to `[max(2, top_k)] * num_tracks`.
        max_beam_width (`int`, *optional*): `legacy`: most candidates kept between beams.
        logit_bias (`dict[int, float]`, *optional*): added to the logits of these token ids.
        seed (`int`, *optional*): seed of the draws (0 to 2**63 - 1); a fresh random seed when not given.
        prediction_steps (`int`, *optional*): `fast`: steps of every track taken from one forward pass, from 1 to the
            model's `config.prediction_steps` (the default).
        hit_threshold (`float`, *optional*): `fast`: instead of `top_k`, a step holds an object where the
            probability that some track starts one (a hit or a hold's start; all such tokens of a track summed) is
            above this. One track, drawn in proportion to its own such probability, then takes its most likely
            object-starting token, and every other track its most likely token that starts nothing (see
            [`threshold_choice`]). A hit's probability is spread over the slots of the window, so plain greedy
            decoding places too few notes on sparse maps.
        difficulty_guidance (`float`, *optional*): amplifies what the model learned the difficulty changes, as
            classifier-free guidance does: the logits become `logits + difficulty_guidance * (logits - mirrored)`, with
            `mirrored` the logits of the same rows at the mirrored difficulty band (easy and insane, normal and hard
            swapped). Each forward pass then scores twice the rows. 0 or `None` for the model as it is.
        onset_prior (`float`, *optional*): `fast`: the weight of the audio's onset strength in the choice of tokens
            that start objects: each such token's logit gets `onset_prior * (2 * evidence - 1)`, `evidence` the spectral
            flux at its onsets against the song's typical attack (see [`onset_evidence`]). 0 or `None` for the model
            alone.
        beat_prior (`float`, *optional*): `fast`: the weight of the song's beat grid in the choice of tokens that
            start objects, for easy maps: each such token's logit gets `w * (2 * evidence - 1)`, `evidence` 1 on the
            beats librosa's beat tracker finds, 0.5 halfway between two beats, 0 elsewhere (see [`beat_evidence`]),
            with `w = beat_prior * max(0, 1 - 2 * difficulty)`: the full weight at difficulty 0, half at 0.25, none
            from 0.5 (the hard band) on, where maps use the finer subdivisions. Below difficulty
            `WHOLE_BEATS_BELOW` (0.25), where charts keep off the half beats, `evidence` is 0 halfway too
            (`beat_prior_signal`). 0 or `None` for no such prior.
        lead_stem (`str`, *optional*): `fast`: the stem of the song that the chart follows (`"guitar"`: a guitar
            chart follows the guitar), where the song comes with its stems (a Frets on Fire / Clone Hero song folder:
            `guitar.ogg`, `rhythm.ogg`, ...; `SongAnalysis.stems`): the onset prior then hears its attacks beside the
            whole song's, `lead_weight` of the evidence from the stem ([`SongAnalysis.onset_prior_evidence`]). The
            pipeline sets the format's own (`BeatmapFormat.lead_stem`: the guitar for a Frets on Fire chart); a song
            without that stem is heard whole. `None` for the whole song alone.
        lead_weight (`float`, *optional*): `fast`: the share, from 0 to 1, of the onset prior's evidence read from
            `lead_stem`, the rest from the whole song. 0 or `None` for the whole song alone.
        silence_db (`float`, *optional*): `fast`: no object starts where the song is silent, on a frame more than
            this many dB below the song's loud level (the 95th percentile of its frames' levels), nor 20 ms before or
            50 ms after one that is not, nor where the song is hiss, its spectrum flat ([`sounding_frames`],
            [`hiss_frames`]), nor in steady sound, no attack within 50 ms ([`steady_frames`]): no notes in an intro's
            or an outro's silence or in a break, where the model alone goes on with the pattern it was playing, nor
            in hiss, whose random rises the flux hears as attacks, nor in a drone or a hum. A hold
            going on is left alone (the pipeline releases it before the silence). A model that hears the mel
            gradient (`config.mel_gradient`), whose slices hold no levels, has no gate. 0 or `None` for no gate.
        max_density (`float` or `dict[float, float]`, *optional*): `fast`: the most notes a map may hold, as a
            multiple of human charts' typical notes per beat at its difficulty (`typical_notes_per_beat`) times the
            beats it spans (its length over the median time between the song's tracked beats; with `silence_db`, the
            length from the first frame that sounds to the last, as a chart's beats count from its first note to its
            last, so that a song's silence does not lend its notes to the rest): one multiple for every
            difficulty, or one from each difficulty on (`{0: 1.0, 0.5: 1.5}`: 1 below 0.5; see `read_max_density`).
            A map that places more loses objects until it fits, those on the weakest places of the song's metre
            first and the least likely among them ([`cap_notes`]); a hold, and a step that would change a hold,
            stays. 0 or `None` for no cap.
        hold_threshold (`float`, *optional*): `fast`: holds from the model's own probabilities. Whether an object
            starts a hold is drawn with the model's probability of a hold start among its object-starting tokens
            (without `difficulty_guidance`; [`HoldDecisions`]), and a hold goes on into a step while the model's
            probability that a hold reaches into it, over its probability that one was held through the step before,
            passes `hold_threshold`; higher values give shorter holds. 0 or `None`:
            each object takes its most likely token; a map then begins without holds and, as the model reads the kind
            of objects off its history, gets almost none, and a hold begun is released at once.
        history_steps (`int` or `dict[int, int]`, *optional*): the past beat tokens each track's context keeps, the
            nearest ones (100 ms each): one number for every track count, or one per track count (`{1: 64, 4: 16}`;
            a count it does not name keeps all). The farther history is left out of the model's input, the positions
            kept in place (`BeartProcessor.kept_positions`). Attention costs the square of the positions, so a short
            history decodes several times faster. 0 or `None` for all the context holds (447 steps for 1 track, 223
            for 2, 111 for 4 in a 512-position context). A model trained with `config.train_history_steps` saw that
            history in training (the bundled model's is its default here).
        decode_tracks (`int` or `dict[int, int]`, *optional*): `fast`, read by the pipeline: the tracks a map is decoded
            with before its objects are folded onto its own tracks (`beart.beatmaps.tracks.retrack`: onto one track
            all merge, a hold winning over a hit it overlaps): one count for every map of fewer tracks, or one per
            track count (`{1: 4}`: a one-track map, osu!standard or osu!catch, decoded in the four-track layout). The
            model then decodes a layout it heard more music in (the real charts it trained on have 2 and 4 tracks),
            and the fold keeps every onset. 0 or `None`: every map decoded with its own tracks. `BeartModel.generate`
            decodes the `num_tracks` it is given.
        finest_subdivision (`int`, *optional*): read by the pipeline: the finest division of the beat a generated
            map's objects take: of the song's subdivisions (`SongAnalysis.subdivisions`: 1/1, 1/2, 1/4, 1/8, 1/16 of
            the beat, and 1/3, 1/6, 1/12 where the song swings in threes) those of at most this many per beat (4: the
            beat, its halves and quarters, and its thirds where the song swings), each object snapped to the nearest
            of them. Human charts seldom go finer than a quarter of the beat, where the model places a note within
            tens of ms of where a charter would. 0 or `None`: all of the song's subdivisions.
    """

    difficulty: float = _option(0.5, "0 (easiest) to 1 (hardest)")  # `beart generate` has its own flags for these
    temperature: float = _option(1.0, "sampling temperature (default 1.0)", float)
    top_k: int = _option(1, "sample from the k most likely tokens (default 1: greedy)", int)
    beams: list | None = _option(None, "legacy strategy: beam widths per step", int, "legacy", "+")
    max_beam_width: int | None = _option(None, "legacy strategy: most candidates kept", int, "legacy")
    logit_bias: dict = field(default_factory=dict, metadata={"help": "token id -> added to its logit"})
    seed: int | None = _option(None, "seed of the draws")
    prediction_steps: int | None = _option(
        None, "fast strategy: steps per forward pass (default: what the model learned)", int, "fast"
    )
    hit_threshold: float | None = _option(
        None, "fast strategy: place an object where its tokens together pass this", float, "fast"
    )
    difficulty_guidance: float | None = _option(
        None, "amplify what the model learned the difficulty changes (0: off; scores every row twice)", float
    )
    onset_prior: float | None = _option(
        None, "fast strategy: weight of the audio's onset strength beside the model (0: the model alone)", float, "fast"
    )
    beat_prior: float | None = _option(
        None, "fast strategy: weight of the song's beats on easy maps (full at difficulty 0, none from 0.5; 0: off)",
        float, "fast",
    )  # fmt: skip
    lead_stem: str | None = _option(
        None, "fast strategy: the stem of a song folder the chart follows (guitar, rhythm, drums, ...), whose "
        "attacks the onset prior hears beside the whole song's (default: the format's own, guitar for fretsonfire)",
        str, "fast",
    )  # fmt: skip
    lead_weight: float | None = _option(
        None, "fast strategy: share of the onset prior read from --lead-stem, 0 to 1 (0: the whole song alone)", float,
        "fast",
    )  # fmt: skip
    history_steps: int | dict | None = _option(
        None,
        "past beat tokens each track's context keeps: N, or TRACKS:N pairs such as 1:64,4:16 (0: all the context "
        "holds; fewer decode faster)",
        read_history_steps,
    )
    silence_db: float | None = _option(
        None, "fast strategy: no object starts where the song sounds more than this many dB below its loud level "
        "(0: no gate)", float, "fast",
    )  # fmt: skip
    max_density: float | dict | None = _option(
        None, "fast strategy: most notes per beat, as a multiple of human charts' at the difficulty: M, or "
        "DIFFICULTY:M pairs such as 0:1,0.5:1.5 (M from each difficulty on; 0: no cap)", read_max_density, "fast",
    )  # fmt: skip
    hold_threshold: float | None = _option(
        None, "fast strategy: draw holds with the model's probability; a hold goes on while the model's odds of it "
        "reaching the next step pass this (higher: shorter holds; 0: no holds)", float, "fast",
    )  # fmt: skip
    decode_tracks: int | dict | None = _option(
        None, "fast strategy: decode maps of fewer tracks with this many, then fold them onto their own: N, or "
        "TRACKS:N pairs such as 1:4 (0: their own)", read_decode_tracks, "fast",
    )  # fmt: skip
    finest_subdivision: int | None = _option(
        None, "the finest division of the beat objects are snapped to: 4 for the beat, its halves and quarters (and "
        "its thirds where the song swings in threes; 0: every subdivision of the song)", int,
    )  # fmt: skip

    def validate(self, num_tracks: int) -> None:
        for names, kind, what in ((NUMBER_OPTIONS, numbers.Real, "a number"), (WHOLE_OPTIONS, numbers.Integral,
                                                                            "a whole number")):  # fmt: skip
            for name in names:
                value = getattr(self, name)
                if value is not None and (isinstance(value, bool) or not isinstance(value, kind)):
                    raise ValueError(f"{name} must be {what}, got {value!r}.")
        for token, bias in dict(self.logit_bias or {}).items():
            if not str(token).isdigit() or isinstance(bias, bool) or not isinstance(bias, numbers.Real):
                raise ValueError(f"logit_bias maps token ids to numbers, got {token!r}: {bias!r}.")
            if not -MAX_LOGIT_BIAS <= bias <= MAX_LOGIT_BIAS:
                raise ValueError(f"logit_bias: a bias must be a number from -{MAX_LOGIT_BIAS:g} to "
                                 f"{MAX_LOGIT_BIAS:g}, got {bias!r}.")  # fmt: skip
        if not 0.0 <= self.difficulty <= 1.0:
            raise ValueError(f"difficulty must lie in [0, 1], got {self.difficulty}.")
        if not 0 < self.temperature < float("inf"):
            raise ValueError(f"temperature must be positive and finite, got {self.temperature}.")
        if int(self.top_k) < 1:
            raise ValueError(f"top_k must be a positive integer, got {self.top_k}.")
        if self.seed is not None and not 0 <= int(self.seed) < 2**63:
            raise ValueError(f"seed must be a whole number from 0 to 2**63 - 1, got {self.seed}.")
        if self.beams is not None:
            if not self.beams or len(self.beams) % num_tracks or min(self.beams) < 1:
                raise ValueError(
                    f"beams must be positive widths, a multiple of the {num_tracks} track(s) long; got {self.beams}."
                )
        if self.max_beam_width is not None and self.max_beam_width < int(self.top_k) + 1:
            raise ValueError(f"max_beam_width must be at least top_k + 1 = {int(self.top_k) + 1}.")
        if self.hit_threshold is not None and not 0.0 < self.hit_threshold < 1.0:
            raise ValueError(f"hit_threshold must lie in (0, 1), got {self.hit_threshold}.")
        if self.history_steps is not None:
            read_history_steps(self.history_steps)
        if self.decode_tracks is not None:
            read_decode_tracks(self.decode_tracks)
        if self.lead_weight is not None and not 0.0 <= self.lead_weight <= 1.0:
            raise ValueError(f"lead_weight must lie in [0, 1], got {self.lead_weight}.")
        if self.lead_stem is not None and not isinstance(self.lead_stem, str):
            raise ValueError(f"lead_stem must name a stem (guitar, rhythm, drums, ...), got {self.lead_stem!r}.")
        if self.hold_threshold is not None and not 0.0 <= self.hold_threshold < float("inf"):
            raise ValueError(f"hold_threshold must be 0 (off) or a positive number, got {self.hold_threshold}.")
        if self.max_density is not None:
            read_max_density(self.max_density)
        if self.finest_subdivision is not None and self.finest_subdivision < 0:
            raise ValueError(
                f"finest_subdivision must be 0 (every subdivision) or a number per beat, got {self.finest_subdivision}."
            )
        if self.silence_db is not None and not 0.0 <= self.silence_db <= MAX_WEIGHT:
            raise ValueError(
                f"silence_db must be 0 (off) or a depth in dB up to {MAX_WEIGHT:g}, got {self.silence_db}."
            )
        for name in ("difficulty_guidance", "onset_prior", "beat_prior"):
            weight = getattr(self, name)
            if weight is not None and not 0.0 <= weight <= MAX_WEIGHT:
                raise ValueError(f"{name} must be a weight from 0 to {MAX_WEIGHT:g}, got {weight}.")

    def beat_prior_weight(self) -> float:
        """The weight of the beat prior at this difficulty: `beat_prior * max(0, 1 - 2 * difficulty)`."""
        return (self.beat_prior or 0.0) * max(0.0, 1.0 - 2.0 * self.difficulty)

    def beat_prior_signal(self) -> str:
        """The `SongAnalysis` signal the beat prior reads at this difficulty: `"whole_beat_evidence"` (the beats only)
        below `WHOLE_BEATS_BELOW`, `"beat_evidence"` (the beats and the points halfway) above."""
        return "whole_beat_evidence" if self.difficulty < WHOLE_BEATS_BELOW else "beat_evidence"

    def note_budget(self, num_beats: float) -> int | None:
        """The most notes a map spanning `num_beats` beats may hold under `max_density`; `None` without a cap."""
        multiple = density_multiple(self.max_density, self.difficulty)
        if not multiple:
            return None
        return int(multiple * typical_notes_per_beat(self.difficulty) * num_beats)

    def steps_per_forward(self, model_config) -> int:
        """The steps the `fast` strategy takes from one forward pass: `prediction_steps`, or the model's."""
        trained = model_config.prediction_steps
        if self.prediction_steps is None:
            return trained
        if not 1 <= int(self.prediction_steps) <= trained:
            raise ValueError(
                f"prediction_steps must lie in [1, {trained}]: the model was trained to predict {trained} step(s) "
                f"per forward pass; got {self.prediction_steps}."
            )
        return int(self.prediction_steps)
