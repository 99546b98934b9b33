"""Baselines a generator must beat: maps made from the audio's detected onsets, and an untrained model."""

import copy

import librosa
import numpy as np
import pandas as pd
import torch

from ..beatmaps import IntermediateBeatmap
from ..modeling import BeartConfig, BeartModel


HOP_LENGTH = 441


def detect_audio_onsets(waveform: np.ndarray, sampling_rate: int) -> np.ndarray:
    """Onsets of the audio in seconds (`librosa.onset.onset_detect` on the mel spectral flux)."""
    return librosa.onset.onset_detect(
        y=waveform, sr=sampling_rate, hop_length=HOP_LENGTH, units="time", backtrack=False
    ).astype(np.float64)


class OnsetHeuristic:
    """
    The audio-onset baseline: librosa's onset detection turned into hits.

    Every detected onset whose strength is among the strongest `keep_share` of the song becomes a hit; the share
    grows with the difficulty from `min_share` to 1 (detected onsets are at least 30 ms apart). With several tracks,
    the onsets are split by the spectral centroid of their attack into groups of equal size, low to high in the
    tracks' order (a kick on the first track, a hi-hat on the last). The tempo is librosa's beat-tracking estimate.

    Args:
        min_share (`float`, *optional*, defaults to 0.25):
            Share of the onsets kept at difficulty 0.
    """

    def __init__(self, min_share: float = 0.25):
        self.min_share = min_share

    def __call__(
        self, waveform: np.ndarray, sampling_rate: int, tracks: list[str], difficulty: float = 0.5
    ) -> IntermediateBeatmap:
        """
        A map of the song.

        Args:
            waveform (`np.ndarray` of shape `(num_samples,)`): the song, mono.
            sampling_rate (`int`): its sampling rate.
            tracks (`list[str]`): the track names of the map.
            difficulty (`float`, *optional*, defaults to 0.5): in [0, 1]; sets the share of onsets kept.
        """
        strength = librosa.onset.onset_strength(y=waveform, sr=sampling_rate, hop_length=HOP_LENGTH)
        frames = librosa.onset.onset_detect(
            onset_envelope=strength, sr=sampling_rate, hop_length=HOP_LENGTH, backtrack=False
        )
        keep_share = self.min_share + (1.0 - self.min_share) * float(np.clip(difficulty, 0.0, 1.0))
        if len(frames):
            threshold = np.quantile(strength[frames], 1.0 - keep_share)
            frames = frames[strength[frames] >= threshold]
        track_index = self._tracks_by_brightness(waveform, sampling_rate, frames, len(tracks))
        starts = np.round(librosa.frames_to_time(frames, sr=sampling_rate, hop_length=HOP_LENGTH) * 1000.0)
        objects = pd.DataFrame({"track": np.asarray(tracks)[track_index], "start": starts, "end": starts})
        tempo = librosa.feature.tempo(onset_envelope=strength, sr=sampling_rate, hop_length=HOP_LENGTH)
        duration_ms = 1000.0 * len(waveform) / sampling_rate
        meta = {
            "audio": "audio.ogg",
            "difficulty": float(difficulty),
            "tracks": list(tracks),
            "source": {"format": "onset-heuristic"},
        }
        return IntermediateBeatmap.from_hit_objects(
            objects,
            meta,
            end_ms=duration_ms,
            tempo_changes=pd.DataFrame({"time": [0], "bpm": [round(float(tempo[0]), 2)]}),
        )

    @staticmethod
    def _tracks_by_brightness(waveform: np.ndarray, sampling_rate: int, frames: np.ndarray, num_tracks: int):
        """Track index of every onset frame: the quantile group of its spectral centroid among all onsets."""
        if num_tracks == 1 or not len(frames):
            return np.zeros(len(frames), dtype=np.int64)
        centroid = librosa.feature.spectral_centroid(y=waveform, sr=sampling_rate, hop_length=HOP_LENGTH)[0]
        attack = centroid[np.minimum(frames + 1, len(centroid) - 1)]
        boundaries = np.quantile(attack, np.arange(1, num_tracks) / num_tracks)
        return np.searchsorted(boundaries, attack, side="right")


def untrained_model(config: BeartConfig, seed: int = 0, generation_config=None) -> BeartModel:
    """A model of the same configuration with fresh random weights (seeded): what training has to beat. With
    `generation_config` (the trained model's), it decodes with the same defaults (the priors alone, where those hold
    them)."""
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    model = BeartModel(config)
    torch.random.set_rng_state(generator_state)
    if generation_config is not None:
        model.generation_config = copy.deepcopy(generation_config)
    return model.eval()
