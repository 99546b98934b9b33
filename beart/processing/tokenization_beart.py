"""Tokenization class for BEaRT: 10 ms beat events to beat tokens and back."""

import numpy as np
from transformers import PreTrainedTokenizer

from ..beat_vocabulary import DIFFICULTY_TOKENS, RESERVED_TOKENS, BeatVocabulary


class BeartTokenizer(PreTrainedTokenizer):
    """
    Constructs a BEaRT tokenizer. Each beat token stands for `groups` steps of 10 ms of one track and can hold up to
    two timed events (a hit, a hold start or a hold end). The vocabulary is computed from `groups` (see
    [`~beart.beat_vocabulary.BeatVocabulary`]), so there is no vocabulary file; its ids are those of the
    original BeatLearning tokenizer: 0-3 the difficulty tokens, 4 `[SEP]`, 5 `[PAD]`, 6 `[MASK]`, 7 `[FORESIGHT]`,
    then the beat tokens (85 ids in all for `groups=10`).

    Every id has a readable name, e.g. `[hit:3]`, `[hold_end:2|hit:8]` or `[hit:0|hold_start:7]` (slots counted from
    0 inside the window), so `tokenizer("[HARD] [hit:3] [none]")` and `convert_ids_to_tokens` work as for text.

    Args:
        groups (`int`, *optional*, defaults to 10):
            Number of 10 ms steps covered by one beat token.
        pad_token (`str`, *optional*, defaults to `"[PAD]"`):
            Fills the context before the start of a song.
        sep_token (`str`, *optional*, defaults to `"[SEP]"`):
            Starts the context of every track after the first.
        mask_token (`str`, *optional*, defaults to `"[MASK]"`):
            Marks the beat tokens the model has to predict.
        foresight_token (`str`, *optional*, defaults to `"[FORESIGHT]"`):
            Fills the positions that carry only future audio.
    """

    model_input_names = ["input_ids", "token_type_ids"]
    vocab_files_names = {}

    def __init__(
        self,
        groups: int = 10,
        pad_token: str = "[PAD]",
        sep_token: str = "[SEP]",
        mask_token: str = "[MASK]",
        foresight_token: str = "[FORESIGHT]",
        **kwargs,
    ):
        self.groups = groups
        self.vocabulary = BeatVocabulary(groups)
        self._token_to_id = {name: index for index, name in enumerate(self.vocabulary.token_names)}
        self.foresight_token = foresight_token
        # The difficulty and foresight tokens are always the extra special tokens; a saved tokenizer_config.json
        # lists them again, which must not add them twice.
        kwargs.pop("extra_special_tokens", None)
        super().__init__(
            groups=groups,
            pad_token=pad_token,
            sep_token=sep_token,
            mask_token=mask_token,
            foresight_token=foresight_token,
            extra_special_tokens=[*DIFFICULTY_TOKENS, foresight_token],
            **kwargs,
        )

    @property
    def vocab_size(self) -> int:
        return self.vocabulary.vocab_size

    @property
    def foresight_token_id(self) -> int:
        return self._token_to_id[self.foresight_token]

    @property
    def empty_token_id(self) -> int:
        """Id of the beat token with no event in its window."""
        return self.vocabulary.empty_token_id

    @property
    def object_start_mask(self) -> np.ndarray:
        """Whether each id is a beat token that starts an object (a hit or a hold's start): shape `(vocab_size,)`."""
        return self.vocabulary.starts_object

    @property
    def onset_slots(self) -> np.ndarray:
        """The slots at which each id starts an object (its hits and its hold's start): bool, shape
        `(vocab_size, groups)`."""
        return self.vocabulary.onset_slots

    @property
    def num_reserved_tokens(self) -> int:
        """Number of ids before the first beat token (difficulty and layout tokens)."""
        return len(RESERVED_TOKENS)

    def get_vocab(self) -> dict[str, int]:
        vocab = dict(self._token_to_id)
        vocab.update(self.added_tokens_encoder)
        return vocab

    def _tokenize(self, text: str, **kwargs) -> list[str]:
        return text.split()

    def _convert_token_to_id(self, token: str) -> int:
        if token not in self._token_to_id:
            raise KeyError(f"Unknown BEaRT token {token!r}; beat tokens look like '[hit:3]' or '[hold_end:2|hit:8]'.")
        return self._token_to_id[token]

    def _convert_id_to_token(self, index: int) -> str:
        return self.vocabulary.token_names[index]

    def convert_tokens_to_string(self, tokens: list[str]) -> str:
        return " ".join(tokens)

    def save_vocabulary(self, save_directory: str, filename_prefix: str | None = None) -> tuple[str, ...]:
        # The vocabulary is derived from `groups`, which is saved in `tokenizer_config.json`.
        return ()

    def difficulty_token_id(self, difficulty: float) -> int:
        """
        The difficulty token for a difficulty in [0, 1], split into four equal bands as the original does
        (easy below 0.25, normal below 0.5, hard below 0.75, insane from 0.75).
        """
        if not 0.0 <= difficulty <= 1.0:
            raise ValueError(f"Difficulty must lie in [0, 1], got {difficulty}.")
        return min(len(DIFFICULTY_TOKENS) - 1, int(len(DIFFICULTY_TOKENS) * difficulty))

    def mirrored_difficulty_token_id(self, difficulty: float) -> int:
        """The difficulty token of the band mirrored to `difficulty`'s (easy and insane, normal and hard swapped)."""
        return len(DIFFICULTY_TOKENS) - 1 - self.difficulty_token_id(difficulty)

    def encode_events(self, events) -> np.ndarray:
        """
        Turns 10 ms beat events into beat tokens, `groups` steps per token; the last window is padded with "no
        event".

        Args:
            events (array-like of int, shape `(num_steps,)` or `(num_steps, num_tracks)`):
                0 for no event, 1 for a hit, 2 for a held note, one row per 10 ms.

        Returns:
            `np.ndarray` of `int64`, shape `(ceil(num_steps / groups),)` or `(ceil(num_steps / groups), num_tracks)`.
        """
        events = np.asarray(events)
        if events.ndim not in (1, 2):
            raise ValueError(f"Events must have shape (num_steps,) or (num_steps, num_tracks), got {events.shape}.")
        if events.size and not np.isin(events, (0, 1, 2)).all():
            bad = np.unique(events[~np.isin(events, (0, 1, 2))])[:5]
            raise ValueError(f"Events must be 0 (none), 1 (hit) or 2 (hold); found {bad.tolist()}.")
        by_track = events.reshape(len(events), -1).astype(np.int64)
        num_tokens = -(-len(by_track) // self.groups)
        padded = np.zeros((num_tokens * self.groups, by_track.shape[1]), dtype=np.int64)
        padded[: len(by_track)] = by_track
        windows = padded.reshape(num_tokens, self.groups, -1)
        place_values = 3 ** np.arange(self.groups - 1, -1, -1)
        window_index = np.einsum("tgk,g->tk", windows, place_values)
        tokens = self.vocabulary.window_to_id[window_index].astype(np.int64)
        return tokens if events.ndim == 2 else tokens[:, 0]

    def decode_events(self, tokens) -> np.ndarray:
        """
        Turns beat tokens back into 10 ms events, the inverse of [`encode_events`] for every window the vocabulary
        can express.

        Args:
            tokens (array-like of int, shape `(num_tokens,)` or `(num_tokens, num_tracks)`):
                Beat token ids (reserved ids are refused).

        Returns:
            `np.ndarray` of `uint8`, shape `(num_tokens * groups,)` or `(num_tokens * groups, num_tracks)`.
        """
        tokens = np.asarray(tokens, dtype=np.int64)
        if tokens.ndim not in (1, 2):
            raise ValueError(f"Tokens must have shape (num_tokens,) or (num_tokens, num_tracks), got {tokens.shape}.")
        outside = (tokens < self.num_reserved_tokens) | (tokens >= self.vocab_size)
        if outside.any():
            bad = np.unique(tokens[outside])[:5]
            raise ValueError(
                f"Only beat tokens (ids {self.num_reserved_tokens}-{self.vocab_size - 1}) decode to events; got "
                f"{bad.tolist()}."
            )
        windows = self.vocabulary.windows[tokens]
        if tokens.ndim == 1:
            return windows.reshape(-1).astype(np.uint8)
        return windows.transpose(0, 2, 1).reshape(-1, tokens.shape[1]).astype(np.uint8)


__all__ = ["BeartTokenizer"]
