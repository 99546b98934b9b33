"""Baselines a generator must beat: maps made from the audio's detected onsets, and an untrained model."""

import copy
from dataclasses import dataclass

import librosa
import numpy as np
import pandas as pd
import torch

from ..beatmaps import IntermediateBeatmap
from ..modeling import BeartConfig, BeartModel
from ..processing.audio_priors import mean_tempogram
from ..processing.spectrogram_blocks import centred_frames


HOP_LENGTH = 441
N_FFT = 2048  # librosa's window for its onset strength and spectral centroid


def onset_strength(waveform: np.ndarray, sampling_rate: int) -> np.ndarray:
    """
    The onset strength of every frame, `librosa.onset.onset_strength(y=waveform, sr=sampling_rate,
    hop_length=HOP_LENGTH)` (the mean rise, in dB, of 128 mel bands since the frame before), its mel spectrogram
    computed a block of frames at a time (`centred_frames`): whole, the STFT of half an hour takes 1.5 GB.

    Args:
        waveform (`np.ndarray` of shape `(num_samples,)`): the song, mono.
        sampling_rate (`int`): its sampling rate.

    Returns:
        `np.ndarray` of shape `(num_frames,)`, one frame every `HOP_LENGTH` samples.
    """
    mel_power = centred_frames(
        waveform, N_FFT, HOP_LENGTH,
        lambda samples: librosa.feature.melspectrogram(
            y=samples, sr=sampling_rate, n_fft=N_FFT, hop_length=HOP_LENGTH, fmax=0.5 * sampling_rate, center=False
        ),
    )  # fmt: skip
    return librosa.onset.onset_strength(
        S=librosa.power_to_db(mel_power), sr=sampling_rate, n_fft=N_FFT, hop_length=HOP_LENGTH
    )


def detect_audio_onsets(waveform: np.ndarray, sampling_rate: int, strength: np.ndarray | None = None) -> np.ndarray:
    """
    Onsets of the audio in seconds (`librosa.onset.onset_detect` on the mel spectral flux).

    Args:
        waveform (`np.ndarray` of shape `(num_samples,)`): the song, mono.
        sampling_rate (`int`): its sampling rate.
        strength (`np.ndarray` of shape `(num_frames,)`, *optional*): its `onset_strength`, if computed already.
    """
    strength = onset_strength(waveform, sampling_rate) if strength is None else strength
    frames = librosa.onset.onset_detect(
        onset_envelope=strength, sr=sampling_rate, hop_length=HOP_LENGTH, backtrack=False
    )
    return librosa.frames_to_time(frames, sr=sampling_rate, hop_length=HOP_LENGTH).astype(np.float64)


@dataclass
class SongOnsets:
    """
    What the onset heuristic reads of a song, once for all the maps made of it (`OnsetHeuristic.analyse`).

    Args:
        strength (`np.ndarray` of shape `(num_frames,)`): the onset strength of every frame (`onset_strength`).
        frames (`np.ndarray` of shape `(num_onsets,)`): the frames of the detected onsets.
        brightness (`np.ndarray` of shape `(num_onsets,)`): the spectral centroid of each onset's attack (the frame
            after it), in Hz.
        bpm (`float`): librosa's tempo estimate.
        sampling_rate (`int`): the song's sampling rate.
        duration_ms (`float`): the song's length.
    """

    strength: np.ndarray
    frames: np.ndarray
    brightness: np.ndarray
    bpm: float
    sampling_rate: int
    duration_ms: float


class OnsetHeuristic:
    """
    The audio-onset baseline: librosa's onset detection turned into hits.

    Every detected onset whose strength is among the strongest `keep_share` of the song becomes a hit; the share
    grows with the difficulty from `min_share` to 1 (detected onsets are at least 30 ms apart). With several tracks,
    the onsets are split by the spectral centroid of their attack into groups of equal size, low to high in the
    tracks' order (a kick on the first track, a hi-hat on the last). The tempo is librosa's estimate. The song's
    spectrograms and tempogram are computed a block of frames at a time, so that an hour of audio takes a few hundred
    MB (whole, half an hour took 8 GB).

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
        A map of the song (`analyse`, then `map_of`).

        Args:
            waveform (`np.ndarray` of shape `(num_samples,)`): the song, mono.
            sampling_rate (`int`): its sampling rate.
            tracks (`list[str]`): the track names of the map.
            difficulty (`float`, *optional*, defaults to 0.5): in [0, 1]; sets the share of onsets kept.
        """
        return self.map_of(self.analyse(waveform, sampling_rate), tracks, difficulty)

    @staticmethod
    def analyse(waveform: np.ndarray, sampling_rate: int) -> SongOnsets:
        """
        The song's onsets, their attacks' brightness and its tempo.

        Args:
            waveform (`np.ndarray` of shape `(num_samples,)`): the song, mono.
            sampling_rate (`int`): its sampling rate.
        """
        strength = onset_strength(waveform, sampling_rate)
        frames = librosa.onset.onset_detect(
            onset_envelope=strength, sr=sampling_rate, hop_length=HOP_LENGTH, backtrack=False
        )
        brightness = np.zeros(len(frames))
        if len(frames):
            centroid = centred_frames(
                waveform, N_FFT, HOP_LENGTH,
                lambda samples: librosa.feature.spectral_centroid(
                    y=samples, sr=sampling_rate, n_fft=N_FFT, hop_length=HOP_LENGTH, center=False
                )[0],
            )  # fmt: skip
            brightness = centroid[np.minimum(frames + 1, len(centroid) - 1)]
        frames_per_second = sampling_rate / HOP_LENGTH
        tempo = librosa.feature.tempo(
            tg=mean_tempogram(strength, frames_per_second), sr=frames_per_second, hop_length=1
        )  # librosa.feature.tempo(onset_envelope=strength, ...), its tempogram averaged a block at a time
        return SongOnsets(
            strength, frames, brightness, float(tempo[0]), sampling_rate, 1000.0 * len(waveform) / sampling_rate
        )

    def map_of(self, onsets: SongOnsets, tracks: list[str], difficulty: float = 0.5) -> IntermediateBeatmap:
        """
        A map of an analysed song.

        Args:
            onsets (`SongOnsets`): the song, `analyse`d.
            tracks (`list[str]`): the track names of the map.
            difficulty (`float`, *optional*, defaults to 0.5): in [0, 1]; sets the share of onsets kept.
        """
        frames, brightness = onsets.frames, onsets.brightness
        keep_share = self.min_share + (1.0 - self.min_share) * float(np.clip(difficulty, 0.0, 1.0))
        if len(frames):
            strength = onsets.strength[frames]
            kept = strength >= np.quantile(strength, 1.0 - keep_share)
            frames, brightness = frames[kept], brightness[kept]
        track_index = np.zeros(len(frames), dtype=np.int64)
        if len(tracks) > 1 and len(frames):  # quantile groups of the attacks' brightness, low to high
            boundaries = np.quantile(brightness, np.arange(1, len(tracks)) / len(tracks))
            track_index = np.searchsorted(boundaries, brightness, side="right")
        starts = np.round(librosa.frames_to_time(frames, sr=onsets.sampling_rate, hop_length=HOP_LENGTH) * 1000.0)
        objects = pd.DataFrame({"track": np.asarray(tracks)[track_index], "start": starts, "end": starts})
        meta = {
            "audio": "audio.ogg",
            "difficulty": float(difficulty),
            "tracks": list(tracks),
            "source": {"format": "onset-heuristic"},
        }
        return IntermediateBeatmap.from_hit_objects(
            objects,
            meta,
            end_ms=onsets.duration_ms,
            tempo_changes=pd.DataFrame({"time": [0], "bpm": [round(onsets.bpm, 2)]}),
        )


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
