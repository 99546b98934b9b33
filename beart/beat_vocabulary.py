"""The precomputed beat-token vocabulary of BEaRT.

A beat token covers `groups` consecutive 10 ms steps of one track. Each step holds an event: 0 (none), 1 (hit) or
2 (hold). A token can describe at most two timed events inside its window, so the vocabulary is a fixed table:

| kind            | meaning                                                        | count       |
| --------------- | -------------------------------------------------------------- | ----------- |
| `none`          | no event                                                       | 1           |
| `hold`          | a hold that covers the whole window                            | 1           |
| `hold_end`      | a hold that ends at slot `a`                                   | groups      |
| `hold_end+hit`  | a hold that ends at slot `a`, then a hit at slot `b`           | pairs       |
| `hold_start`    | a hold that starts at slot `b` and runs past the window        | groups      |
| `hit+hold_start`| a hit at slot `a`, then a hold that starts at slot `b`         | pairs       |
| `hit`           | a hit at slot `a`                                              | groups      |
| `hit+hit`       | a hit at slot `a` and another at slot `b`                      | pairs       |

where `pairs` counts the slot pairs `(a, b)` with `b >= a + groups // 2`, numbered in lexicographic order. The ids
follow the reserved tokens and match the original BeatLearning tokenizer for every even `groups`; the mapping of
all `3 ** groups` windows onto these tokens (many windows share one token) reproduces its rules, vectorised.
"""

import numpy as np


RESERVED_TOKENS = ("[EASY]", "[NORMAL]", "[HARD]", "[INSANE]", "[SEP]", "[PAD]", "[MASK]", "[FORESIGHT]")
DIFFICULTY_TOKENS = RESERVED_TOKENS[:4]

EVENT_NONE = 0
EVENT_HIT = 1
EVENT_HOLD = 2
TRACK_COUNTS = (1, 2, 4)  # the tracks a map (and a row of the model's input) may have


class BeatVocabulary:
    """
    The beat-token table for one window size.

    Args:
        groups (`int`):
            Number of 10 ms steps covered by one beat token (2 to 12).

    Attributes:
        token_names (`list[str]`): readable name of every id, reserved tokens first.
        windows (`np.ndarray` of shape `(vocab_size, groups)`): the events each beat token decodes to, `-1` rows for
            the reserved tokens.
        window_to_id (`np.ndarray` of shape `(3 ** groups,)`): the token id of every window, indexed by the window
            read as a base-3 number (first step most significant).
        starts_object (`np.ndarray` of shape `(vocab_size,)`): whether the token starts an object in its window (a
            hit or the start of a hold), as opposed to nothing, a hold going on, or a hold ending.
        onset_slots (`np.ndarray` of shape `(vocab_size, groups)`): the slots at which the token starts an object
            (its hits and the start of its hold); `starts_object` is whether it has any.
        starts_hold (`np.ndarray` of shape `(vocab_size,)`): whether the token starts a hold in its window.
        holds_as_hits (`np.ndarray` of shape `(vocab_size,)`): the id of every token with its hold written as a hit
            at its start (a hold going on or ending written as no event); the reserved tokens map to themselves. A
            hold begun on a window's first slot and held through it is written `[hold]` (going on) by the tokenizer,
            so a chart's tokens lose such starts here: `holds_written_as_hits` on a chart's events keeps them.
    """

    def __init__(self, groups: int):
        if not 2 <= groups <= 12:
            raise ValueError(f"A beat token must group 2 to 12 steps of 10 ms, got groups={groups}.")
        self.groups = groups
        kinds, first, second = _token_layout(groups)
        self.windows = _render_windows(groups, kinds, first, second)
        self.token_names = list(RESERVED_TOKENS) + _token_names(kinds, first, second)
        self.window_to_id = _window_lookup(groups)
        self.onset_slots = _onset_slots(groups, kinds, first, second)
        self.starts_object = self.onset_slots.any(axis=1)
        self.starts_hold = (self.onset_slots & (self.windows == EVENT_HOLD)).any(axis=1)
        self.holds_as_hits = _holds_as_hits(self.windows, self.onset_slots, self.window_to_id)

    @property
    def vocab_size(self) -> int:
        return len(self.token_names)

    @property
    def empty_token_id(self) -> int:
        """Id of the beat token with no event."""
        return len(RESERVED_TOKENS)


def holds_written_as_hits(events: np.ndarray) -> np.ndarray:
    """
    10 ms beat events with every hold written as a hit at its start.

    Args:
        events (`np.ndarray` of shape `(num_steps,)` or `(num_steps, num_tracks)`): 0 none, 1 hit, 2 held.

    Returns:
        `np.ndarray` of the same shape: each run of held steps becomes a hit at its first step and no event after.
    """
    events = np.asarray(events)
    held = events == EVENT_HOLD
    begins = held & ~np.concatenate([np.zeros_like(held[:1]), held[:-1]])
    return np.where(held, np.where(begins, EVENT_HIT, EVENT_NONE), events)


def vocabulary_size(groups: int) -> int:
    """Number of token ids (reserved tokens included) for a window of `groups` steps."""
    return len(RESERVED_TOKENS) + 2 + 3 * (groups + _pair_count(groups))


def _pair_count(groups: int) -> int:
    span = groups - groups // 2
    return span * (span + 1) // 2


def _slot_pairs(groups: int) -> np.ndarray:
    """All `(a, b)` with `b >= a + groups // 2`, in lexicographic order: shape `(pairs, 2)`."""
    a, b = np.meshgrid(np.arange(groups), np.arange(groups), indexing="ij")
    keep = b >= a + groups // 2
    return np.stack([a[keep], b[keep]], axis=1)


_KIND_ORDER = ("none", "hold", "hold_end", "hold_end+hit", "hold_start", "hit+hold_start", "hit", "hit+hit")


def _token_layout(groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Kind index, first slot and second slot (-1 where unused) of every beat token, in id order."""
    pairs = _slot_pairs(groups)
    singles = np.arange(groups)
    unused = np.full(groups, -1)
    blocks = [
        (0, [-1], [-1]),
        (1, [-1], [-1]),
        (2, singles, unused),
        (3, pairs[:, 0], pairs[:, 1]),
        (4, unused, singles),
        (5, pairs[:, 0], pairs[:, 1]),
        (6, singles, unused),
        (7, pairs[:, 0], pairs[:, 1]),
    ]
    kinds = np.concatenate([np.full(len(first), kind) for kind, first, _ in blocks])
    first = np.concatenate([np.asarray(first) for _, first, _ in blocks])
    second = np.concatenate([np.asarray(second) for _, _, second in blocks])
    return kinds, first, second


def _block_offsets(groups: int) -> np.ndarray:
    """Id (after the reserved tokens) of the first token of each kind, read off the layout."""
    kinds, _, _ = _token_layout(groups)
    return np.searchsorted(kinds, np.arange(len(_KIND_ORDER)))


def _kind_masks(kinds: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per beat token, shape `(num_beat_tokens, 1)`: whether a hold ends at its `first` slot, a hold starts at its
    `second`, a hit is at its `first`, a hit is at its `second` (kinds as numbered in `_KIND_ORDER`)."""
    hold_end = np.isin(kinds, (2, 3))[:, None]
    hold_start = np.isin(kinds, (4, 5))[:, None]
    first_is_hit = np.isin(kinds, (5, 6, 7))[:, None]
    second_is_hit = np.isin(kinds, (3, 7))[:, None]
    return hold_end, hold_start, first_is_hit, second_is_hit


def _render_windows(groups: int, kinds: np.ndarray, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The window of events every id decodes to, as the original decoder writes it: shape `(vocab_size, groups)`."""
    slots = np.arange(groups)[None, :]
    first, second = first[:, None], second[:, None]
    hold_end, hold_start, first_is_hit, second_is_hit = _kind_masks(kinds)

    windows = np.zeros((len(kinds), groups), dtype=np.int8)
    windows[np.broadcast_to(hold_end & (slots <= first), windows.shape)] = EVENT_HOLD
    windows[np.broadcast_to(hold_start & (slots >= second), windows.shape)] = EVENT_HOLD
    windows[np.broadcast_to(first_is_hit & (slots == first), windows.shape)] = EVENT_HIT
    windows[np.broadcast_to(second_is_hit & (slots == second), windows.shape)] = EVENT_HIT
    windows[kinds == 1] = EVENT_HOLD
    reserved = np.full((len(RESERVED_TOKENS), groups), -1, dtype=np.int8)
    return np.concatenate([reserved, windows])


def _onset_slots(groups: int, kinds: np.ndarray, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Where every id starts an object: its hits (at `first` or `second`) and its hold's start (at `second`); shape
    `(vocab_size, groups)`."""
    slots = np.arange(groups)[None, :]
    _, hold_start, first_is_hit, second_is_hit = _kind_masks(kinds)
    at_first = first_is_hit & (slots == first[:, None])
    at_second = (second_is_hit | hold_start) & (slots == second[:, None])
    reserved = np.zeros((len(RESERVED_TOKENS), groups), dtype=bool)
    return np.concatenate([reserved, at_first | at_second])


def _token_names(kinds: np.ndarray, first: np.ndarray, second: np.ndarray) -> list[str]:
    """Readable names: which slots hold a hit, a hold start or a hold end, e.g. `[hold_end:3|hit:8]`."""
    names = []
    for kind, a, b in zip(kinds, first, second):
        label = _KIND_ORDER[kind]
        if kind <= 1:
            names.append(f"[{label}]")
        elif kind in (2, 6):
            names.append(f"[{label}:{a}]")
        elif kind == 4:
            names.append(f"[{label}:{b}]")
        else:
            left, right = label.split("+")
            names.append(f"[{left}:{a}|{right}:{b}]")
    return names


def _holds_as_hits(windows: np.ndarray, onset_slots: np.ndarray, window_to_id: np.ndarray) -> np.ndarray:
    """The id of every token's window with its hold written as a hit at its start; reserved ids kept."""
    reserved = (windows < 0).any(axis=1)
    hits = np.where(windows == EVENT_HOLD, np.where(onset_slots, EVENT_HIT, EVENT_NONE), windows)
    place_values = 3 ** np.arange(windows.shape[1] - 1, -1, -1)
    written = window_to_id[np.where(reserved[:, None], EVENT_NONE, hits) @ place_values]
    return np.where(reserved, np.arange(len(windows)), written).astype(np.int64)


def _window_lookup(groups: int) -> np.ndarray:
    """Token id of every one of the `3 ** groups` windows, following the original tokenizer's rules."""
    digits = np.arange(3**groups)[:, None] // (3 ** np.arange(groups - 1, -1, -1))[None, :] % 3
    slots = np.arange(groups)[None, :]
    distance = groups // 2
    offsets = _block_offsets(groups)
    pair_index = np.full((groups, groups), -1)
    pairs = _slot_pairs(groups)
    pair_index[pairs[:, 0], pairs[:, 1]] = np.arange(len(pairs))

    is_hit = digits == EVENT_HIT
    is_hold = digits == EVENT_HOLD
    all_none = ~(is_hit | is_hold).any(axis=1)
    all_hold = is_hold.all(axis=1)
    leading_hold = is_hold[:, 0] & ~all_hold
    trailing_hold = is_hold[:, -1] & ~is_hold[:, 0]
    events_only = ~(all_none | all_hold | leading_hold | trailing_hold)

    local = np.zeros(len(digits), dtype=np.int64)
    local[all_hold] = offsets[1]

    # A hold running in from the previous window ends at `end`; a later hit may follow it.
    end = np.argmax(~is_hold, axis=1) - 1
    later_hit = is_hit & (slots >= end[:, None] + distance)
    has_hit = later_hit.any(axis=1)
    hit = np.argmax(later_hit, axis=1)
    rows = leading_hold & ~has_hit
    local[rows] = offsets[2] + end[rows]
    rows = leading_hold & has_hit
    local[rows] = offsets[3] + pair_index[end[rows], hit[rows]]

    # A hold starts at `start` and runs into the next window; an earlier hit may precede it.
    start = groups - np.argmax(~is_hold[:, ::-1], axis=1)
    earlier_hit = is_hit & (slots <= start[:, None] - distance)
    has_hit = earlier_hit.any(axis=1)
    hit = np.argmax(earlier_hit, axis=1)
    rows = trailing_hold & ~has_hit
    local[rows] = offsets[4] + start[rows]
    rows = trailing_hold & has_hit
    local[rows] = offsets[5] + pair_index[hit[rows], start[rows]]

    # Hits only (inner holds are ignored); a hold of two steps or more inside the window becomes a hit.
    first_hit = np.argmax(is_hit, axis=1)
    any_hit = is_hit.any(axis=1)
    second_hit = is_hit & (slots >= first_hit[:, None] + distance)
    has_second = second_hit.any(axis=1)
    second = np.argmax(second_hit, axis=1)
    rows = events_only & any_hit & ~has_second
    local[rows] = offsets[6] + first_hit[rows]
    rows = events_only & any_hit & has_second
    local[rows] = offsets[7] + pair_index[first_hit[rows], second[rows]]
    short_hold = events_only & ~any_hit & (is_hold.sum(axis=1) >= 2)
    local[short_hold] = offsets[6] + np.argmax(is_hold[short_hold], axis=1)

    return (local + len(RESERVED_TOKENS)).astype(np.int32)
