"""The data collator: corpus example rows to BEaRT model inputs, with the original's augmentation on the fly."""

from collections import OrderedDict

import numpy as np
import torch

from ..beat_vocabulary import EVENT_HIT, EVENT_NONE, holds_written_as_hits
from ..modeling.modeling_beart import onset_strength
from ..processing import BeartProcessor


TIME_STRETCH_LEVELS = 5  # stretch factors drawn from, evenly spaced over 1 +- time_stretch (so the caches stay small)


class _LeastRecentlyUsed(OrderedDict):
    """A small cache that forgets the entries used longest ago."""

    def __init__(self, size: int, load):
        super().__init__()
        self.size = size
        self.load = load

    def fetch(self, key):
        if key in self:
            self.move_to_end(key)
            return self[key]
        value = self.load(key)
        self[key] = value
        if len(self) > self.size:
            self.popitem(last=False)
        return value


class BeartDataCollator:
    """
    Builds batches of model inputs from corpus example rows (`map_index`, `step`, `scored_track`), reading the maps
    and song features of the corpus (memory-mapped) through small caches.

    Without augmentation a row scores its `scored_track` at the step, with every input as the original evaluation
    rows have it. With augmentation (training), as in the original:
    - a random track is scored, the current token of it and of every later track masked;
    - each other beat token becomes `[MASK]` with probability `token_dropout`;
    - the mel slices of a row are scaled by a random factor from `mel_scaling` and get Gaussian noise of standard
      deviation `mel_noise`;
    - (not in the original) the mel slices of a row are tilted across the bands by a random slope up to `mel_tilt`
      (an equaliser) and moved by a random whole number of bands up to `mel_band_shift` (a pitch shift);
    - (not in the original) the map and its audio are slowed down or sped up alike by a random factor within
      `1 +- time_stretch` (one of `TIME_STRETCH_LEVELS` evenly spaced): the mel frames are resampled in time, every
      hit moved to its stretched row, every hold stretched with it, the tempo divided by the factor, so the model
      hears each song at more tempos than it was charted at;
    - the map and its audio are shifted by a random 0 to `groups - 1` 10 ms rows (`time_offsets`), so tokens see
      their events at every phase.
    With `label_masked_tracks` (not in the original) every masked current token is scored, not only the scored
    track's: a row scoring the first track then teaches the layout the `fast` decoding strategy reads, all tracks
    predicted from one forward pass with every current token masked. With `prediction_steps` above 1 (not in the
    original) the first `prediction_steps - 1` foresight positions after each scored token are scored too, with the
    map's coming tokens of that track, so that one forward pass predicts several steps, on a random
    `foresight_label_rate` share of the rows (the rest score their current tokens only). With `history_steps` (not in
    the original) every row also gets an `attention_mask` that leaves each track's history beyond its last
    `history_steps` tokens out (`BeartProcessor.kept_positions`), the layout decoding with `history_steps` reads.
    With `holds_as_hits` (not in the original) the history's holds are written as hits at their starts (the labels
    keep them), the map as decoding with `hold_threshold` shows it to the model.

    Args:
        processor ([`BeartProcessor`]): lays out the rows for the model's context and foresight.
        maps (`datasets.Dataset`): the corpus's `maps` split.
        songs (`datasets.Dataset`): the corpus's `songs` split.
        augment (`bool`, *optional*, defaults to `False`): apply the augmentation above.
        token_dropout (`float`, *optional*, defaults to 0.2): see above.
        mel_scaling (`tuple[float, float]`, *optional*, defaults to `(0.0, 1.1)`): see above.
        mel_noise (`float`, *optional*, defaults to 0.05): see above.
        mel_tilt (`float`, *optional*, defaults to 0.0): see above.
        mel_band_shift (`int`, *optional*, defaults to 0): see above.
        time_stretch (`float`, *optional*, defaults to 0.0): see above; 0 leaves every song at its own tempo.
        time_offsets (`bool`, *optional*, defaults to `True`): see above (only with `augment`).
        label_masked_tracks (`bool`, *optional*, defaults to `False`): see above (only with `augment`).
        prediction_steps (`int`, *optional*, defaults to 1): steps scored per labelled track, see above (only with
            `augment`); the model's `config.prediction_steps`.
        history_steps (`int` or `dict[int, int]`, *optional*, defaults to 0): see above, one number or one per track
            count; 0 keeps the whole context (no `attention_mask`). The model's `config.train_history_steps`.
        holds_as_hits (`bool`, *optional*, defaults to `False`): see above. The model's `config.train_holds_as_hits`.
        foresight_label_rate (`float`, *optional*, defaults to 1.0): see above (only with `augment`). The model's
            `config.foresight_label_rate`.
        onset_input (`bool`, *optional*, defaults to `False`): give every batch the onset strength of its mel slices
            as `onset_evidence` (`modeling_beart.onset_strength`), computed before the augmentation's gain, tilt,
            band shift and noise, as decoding hears the slices. The model's `config.onset_input`.
        seed (`int`, *optional*, defaults to 69420): seed of the augmentation generators (each DataLoader worker
            derives its own from it).
        cache_size (`int`, *optional*, defaults to 64): maps and songs kept decoded.
    """

    def __init__(
        self,
        processor: BeartProcessor,
        maps,
        songs,
        augment: bool = False,
        token_dropout: float = 0.2,
        mel_scaling=(0.0, 1.1),
        mel_noise: float = 0.05,
        mel_tilt: float = 0.0,
        mel_band_shift: int = 0,
        time_stretch: float = 0.0,
        time_offsets: bool = True,
        label_masked_tracks: bool = False,
        prediction_steps: int = 1,
        history_steps: int | dict = 0,
        holds_as_hits: bool = False,
        foresight_label_rate: float = 1.0,
        onset_input: bool = False,
        seed: int = 69420,
        cache_size: int = 64,
    ):
        self.processor = processor
        self.tokenizer = processor.tokenizer
        self.groups = self.tokenizer.groups
        self.augment = augment
        self.token_dropout = token_dropout
        self.mel_scaling = tuple(mel_scaling)
        self.mel_noise = mel_noise
        self.mel_tilt = mel_tilt
        self.mel_band_shift = mel_band_shift
        if not 0.0 <= time_stretch < 1.0:
            raise ValueError(f"time_stretch must be at least 0 and below 1, not {time_stretch}.")
        self.time_stretch = time_stretch
        self.stretch_factors = np.linspace(1.0 - time_stretch, 1.0 + time_stretch, TIME_STRETCH_LEVELS)
        self.time_offsets = time_offsets
        self.label_masked_tracks = label_masked_tracks
        self.prediction_steps = prediction_steps
        self.history_steps = history_steps
        self.holds_as_hits = holds_as_hits
        self.foresight_label_rate = foresight_label_rate
        self.onset_input = onset_input
        self.seed = seed
        self.worker_id = None
        self._reseed(seed)
        maps = maps.with_format("numpy", columns=["song_index", "num_tracks", "difficulty", "events", "tempo"])
        songs = songs.with_format("numpy", columns=["mel_frames"])
        self.maps = _LeastRecentlyUsed(cache_size, lambda index: maps[int(index)])
        self.songs = _LeastRecentlyUsed(
            cache_size, lambda key: _stretch_frames(songs[int(key[0])]["mel_frames"], factor=key[1])
        )
        # One entry per map, offset and stretch factor: with stretching, room for every factor of a few maps.
        token_cache_size = cache_size * (4 * TIME_STRETCH_LEVELS if time_stretch else 1)
        self.map_tokens = _LeastRecentlyUsed(token_cache_size, self._tokens)

    def _reseed(self, seed: int) -> None:
        self.random = np.random.default_rng(seed)
        self.generator = torch.Generator().manual_seed(seed)

    def _tokens(self, key) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Beat tokens `(num_steps, num_tracks)`, the same as shown in the history (with `holds_as_hits`, each hold
        a hit at its start) and step tempo of a map stretched by `factor` and then shifted by `offset` 10 ms rows."""
        map_index, offset, factor = key
        row = self.maps.fetch(map_index)
        events, tempo = _stretch_events(row["events"].reshape(-1, int(row["num_tracks"])), row["tempo"], factor)
        tokens = self.tokenizer.encode_events(events[offset:])
        shown = self.tokenizer.encode_events(holds_written_as_hits(events)[offset:]) if self.holds_as_hits else tokens
        return tokens, shown, self.processor.step_tempo(tempo[offset:])

    def _mel_slices(self, song_index: int, offset: int, factor: float = 1.0) -> np.ndarray:
        frames = self.songs.fetch((song_index, factor))[offset:]
        num_slices = -(-len(frames) // self.groups)
        padded = np.zeros((num_slices * self.groups, frames.shape[1]), dtype=np.float32)
        padded[: len(frames)] = frames
        return padded.reshape(num_slices, self.groups, frames.shape[1])

    def __call__(self, features: list[dict]) -> dict:
        worker = torch.utils.data.get_worker_info()
        if worker is not None and worker.id != self.worker_id:
            # DataLoader workers start from copies of one state: give each its own stream.
            self.worker_id = worker.id
            self._reseed(self.seed + 1_000_003 * (worker.id + 1))
        map_index = np.array([int(feature["map_index"]) for feature in features])
        steps = np.array([int(feature["step"]) for feature in features])
        scored = np.array([int(feature["scored_track"]) for feature in features])
        offsets = np.zeros(len(features), dtype=np.int64)
        if self.augment and self.time_offsets:
            offsets = self.random.integers(0, self.groups, size=len(features))
        factors = np.ones(len(features))
        if self.augment and self.time_stretch:
            factors = self.random.choice(self.stretch_factors, size=len(features))

        columns = {"input_ids": [], "token_type_ids": [], "labels": [], "input_features": [], "tempo_labels": []}
        track_counts = []
        for row_index in range(len(features)):
            map_row = self.maps.fetch(map_index[row_index])
            num_tracks = int(map_row["num_tracks"])
            track_counts.append(num_tracks)
            factor = float(factors[row_index])
            tokens, shown, tempo = self.map_tokens.fetch(
                (int(map_index[row_index]), int(offsets[row_index]), factor)
            )
            step = min(round(steps[row_index] * factor), len(tokens) - 1)
            track = self.random.integers(0, num_tracks) if self.augment else scored[row_index] % num_tracks
            context = (np.array([step]), float(map_row["difficulty"]), np.array([track]))
            input_ids, labels = self.processor.build_beat_context(tokens, *context)
            if shown is not tokens:
                input_ids = self.processor.build_beat_context(shown, *context)[0]
            if self.augment:
                self._label_predicted_steps(labels[0], tokens, step, track)
            slices = self._mel_slices(int(map_row["song_index"]), int(offsets[row_index]), factor)
            columns["input_ids"].append(input_ids[0])
            columns["labels"].append(labels[0])
            columns["token_type_ids"].append(self.processor.track_ids(num_tracks))
            columns["input_features"].append(self.processor.audio_windows(slices, np.array([step]), num_tracks)[0])
            columns["tempo_labels"].append(tempo[step])

        batch = {
            "input_ids": torch.from_numpy(np.stack(columns["input_ids"])),
            "token_type_ids": torch.from_numpy(np.stack(columns["token_type_ids"])).long(),
            "input_features": torch.from_numpy(np.stack(columns["input_features"])),
            "labels": torch.from_numpy(np.stack(columns["labels"])),
            "tempo_labels": torch.tensor(np.asarray(columns["tempo_labels"], dtype=np.float32)),
        }
        if self.history_steps:
            batch["attention_mask"] = torch.from_numpy(self._attention_mask(track_counts))
        if self.onset_input:  # from the slices as decoding hears them, before the augmentation's noise
            batch["onset_evidence"] = onset_strength(
                batch["input_features"], batch["token_type_ids"], attention_mask=batch.get("attention_mask")
            )
        if self.augment:
            self._augment(batch)
        return batch

    def _attention_mask(self, track_counts: list[int]) -> np.ndarray:
        """The positions each row (of `track_counts[row]` tracks) keeps under `history_steps`: shape `(batch_size,
        context_length)`, 1 or 0."""
        mask = np.zeros((len(track_counts), self.processor.context_length), dtype=np.int64)
        for num_tracks in set(track_counts):
            kept = self.processor.kept_positions(num_tracks, self.history_steps)
            rows = np.flatnonzero(np.asarray(track_counts) == num_tracks)
            mask[np.ix_(rows, np.arange(mask.shape[1]) if kept is None else kept)] = 1
        return mask

    def _label_predicted_steps(self, labels: np.ndarray, tokens: np.ndarray, step: int, track: int) -> None:
        """
        Scores the current token of the scored track (of every masked track with `label_masked_tracks`) and the
        `prediction_steps - 1` foresight positions after each with the map's tokens of the coming steps.

        Args:
            labels (`np.ndarray` of shape `(context_length,)`): the row's labels, changed in place.
            tokens (`np.ndarray` of shape `(num_steps, num_tracks)`): the map's beat tokens.
            step (`int`): the row's step.
            track (`int`): the scored track.
        """
        num_tracks = tokens.shape[1]
        labelled = np.arange(track, num_tracks) if self.label_masked_tracks else np.array([track])
        ahead = min(self.prediction_steps, len(tokens) - step)
        if ahead > 1 and self.foresight_label_rate < 1.0 and self.random.random() >= self.foresight_label_rate:
            ahead = 1
        positions = self.processor.prediction_positions(num_tracks, ahead)[labelled]
        labels[positions] = tokens[step : step + ahead, labelled].T

    def _augment(self, batch: dict) -> None:
        input_ids = batch["input_ids"]
        if self.token_dropout:
            beat_tokens = input_ids >= self.tokenizer.num_reserved_tokens
            dropped = torch.rand(input_ids.shape, generator=self.generator) < self.token_dropout
            input_ids[beat_tokens & dropped] = self.tokenizer.mask_token_id
        features = batch["input_features"]
        low, high = self.mel_scaling
        features *= torch.empty(len(features), 1, 1, 1).uniform_(low, high, generator=self.generator)
        if self.mel_tilt:
            self._tilt(features)
        if self.mel_band_shift:
            batch["input_features"] = features = self._shift_bands(features)
        if self.mel_noise:
            features += torch.empty_like(features).normal_(0.0, self.mel_noise, generator=self.generator)

    def _tilt(self, features: torch.Tensor) -> None:
        """Adds a random linear tilt across the mel bands of each row, in place.

        Args:
            features (`torch.Tensor` of shape `(batch_size, num_slices, groups, mel_bands)`): the mel slices.
        """
        slopes = torch.empty(len(features), 1, 1, 1).uniform_(-self.mel_tilt, self.mel_tilt, generator=self.generator)
        features += slopes * torch.linspace(-1.0, 1.0, features.shape[-1])

    def _shift_bands(self, features: torch.Tensor) -> torch.Tensor:
        """Each row's mel slices moved by a random whole number of bands (up to `mel_band_shift` either way), the edge
        band repeated into the gap.

        Args:
            features (`torch.Tensor` of shape `(batch_size, num_slices, groups, mel_bands)`): the mel slices.
        """
        bands = features.shape[-1]
        shifts = torch.randint(-self.mel_band_shift, self.mel_band_shift + 1, (len(features),), generator=self.generator)
        source = (torch.arange(bands)[None, :] - shifts[:, None]).clamp(0, bands - 1)
        return torch.take_along_dim(features, source[:, None, None, :].expand_as(features), dim=-1)


def _stretch_events(events: np.ndarray, tempo: np.ndarray, factor: float) -> tuple[np.ndarray, np.ndarray]:
    """
    A map played `factor` times as long: each hit moved to its stretched 10 ms row, each hold stretched.

    Args:
        events (`np.ndarray` of shape `(num_rows, num_tracks)`): the map's event per 10 ms row and track.
        tempo (`np.ndarray` of shape `(num_rows,)`): BPM per 10 ms row, 0 where unknown.
        factor (`float`): above 1 slows the map down, below 1 speeds it up.

    Returns:
        `(events, tempo)` of `round(num_rows * factor)` rows.
    """
    if factor == 1.0:
        return events, tempo
    num_rows = max(round(len(events) * factor), 1)
    source = np.minimum(np.round(np.arange(num_rows) / factor).astype(np.int64), len(events) - 1)
    stretched = events[source]
    stretched[stretched == EVENT_HIT] = EVENT_NONE
    hit_rows, hit_tracks = np.nonzero(events == EVENT_HIT)
    stretched[np.minimum(np.round(hit_rows * factor).astype(np.int64), num_rows - 1), hit_tracks] = EVENT_HIT
    return stretched, tempo[source] / factor


def _stretch_frames(frames: np.ndarray, factor: float) -> np.ndarray:
    """
    Mel frames resampled to last `factor` times as long (linear interpolation in time, the spectrum kept).

    Args:
        frames (`np.ndarray` of shape `(num_frames, mel_bands)`): one frame per 10 ms row.
        factor (`float`): as in `_stretch_events`.

    Returns:
        `np.ndarray` of shape `(round(num_frames * factor), mel_bands)`, float32.
    """
    if factor == 1.0:
        return frames
    positions = np.minimum(np.arange(max(round(len(frames) * factor), 1)) / factor, len(frames) - 1)
    before = np.floor(positions).astype(np.int64)
    after = np.minimum(before + 1, len(frames) - 1)
    weight = (positions - before)[:, None].astype(np.float32)
    return (frames[before] * (1.0 - weight) + frames[after] * weight).astype(np.float32)
