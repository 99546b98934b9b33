"""Feature extractor class for BEaRT: audio to mel-spectrogram slices, one slice per beat token."""

import librosa
import numpy as np
from transformers import BatchFeature, SequenceFeatureExtractor

from ..audio import AudioError, load_audio, peak_amplitude
from ..beatmaps.numbers import is_number, is_whole_number
from .spectrogram_blocks import centred_frames


STEP_MS = 10
# The rates and FFT sizes a saved `processor_config.json` may name (one from a stranger is untrusted input): from
# telephone audio to studio masters, and windows from 2.5 ms to over a second at 44.1 kHz.
SAMPLING_RATES = (8000, 192000)
FFT_SIZES = (128, 65536)


class BeartFeatureExtractor(SequenceFeatureExtractor):
    """
    Constructs a BEaRT feature extractor: a mel spectrogram with one frame every 10 ms, in decibels relative to the
    song's loudest frame, scaled to `1 + dB / 80` and clipped to [-1, 1], cut into slices of `groups` frames, one
    slice per beat token. This is exactly the audio front end of the original BeatLearning code.

    Args:
        groups (`int`, *optional*, defaults to 10):
            Frames (10 ms each) per slice; must equal the tokenizer's `groups`.
        mel_bands (`int`, *optional*, defaults to 32):
            Number of mel bands.
        mel_gradient (`bool`, *optional*, defaults to `False`):
            Replace each frame by its gradient across the mel bands (the original's `mel_gradient` option).
        sampling_rate (`int`, *optional*, defaults to 44100):
            Rate the audio is resampled to before the spectrogram (8 to 192 kHz); the hop is 10 ms of it.
        n_fft (`int`, *optional*, defaults to 2048):
            FFT window size of the spectrogram (128 to 65536), with as many frequencies (`n_fft // 2 + 1`) as mel
            bands or more.
        silence_threshold (`float`, *optional*, defaults to 1e-4):
            Audio whose peak amplitude stays below this (-80 dBFS) is refused as silent.
        padding_value (`float`, *optional*, defaults to 0.0):
            Value of the frames added to complete the last slice, and of the slices added when songs of different
            lengths are batched.
    """

    model_input_names = ["input_features"]

    def __init__(
        self,
        groups: int = 10,
        mel_bands: int = 32,
        mel_gradient: bool = False,
        sampling_rate: int = 44100,
        n_fft: int = 2048,
        silence_threshold: float = 1e-4,
        padding_value: float = 0.0,
        **kwargs,
    ):
        kwargs.pop("feature_size", None)
        super().__init__(feature_size=mel_bands, sampling_rate=sampling_rate, padding_value=padding_value, **kwargs)
        wholes = {"groups": groups, "mel_bands": mel_bands, "sampling_rate": sampling_rate, "n_fft": n_fft}
        for name, value in wholes.items():  # a saved `processor_config.json` may write anything
            if not is_whole_number(value):
                raise ValueError(f"{name} must be a whole number, got {value!r}.")
        if not is_number(silence_threshold):
            raise ValueError(f"silence_threshold must be a number, got {silence_threshold!r}.")
        if groups < 2 or mel_bands < 2:
            raise ValueError(f"groups and mel_bands must be at least 2, got {groups} and {mel_bands}.")
        if not SAMPLING_RATES[0] <= sampling_rate <= SAMPLING_RATES[1]:
            raise ValueError(f"sampling_rate must lie in {list(SAMPLING_RATES)} Hz, got {sampling_rate}.")
        if not FFT_SIZES[0] <= n_fft <= FFT_SIZES[1]:
            raise ValueError(f"n_fft must lie in {list(FFT_SIZES)}, got {n_fft}.")
        if mel_bands > n_fft // 2 + 1:
            raise ValueError(f"mel_bands ({mel_bands}) must not exceed the {n_fft // 2 + 1} frequencies of n_fft.")
        if not 0.0 <= silence_threshold < 1.0:
            raise ValueError(f"silence_threshold must lie in [0, 1), got {silence_threshold}.")
        self.groups = groups
        self.mel_bands = mel_bands
        self.mel_gradient = mel_gradient
        self.n_fft = n_fft
        self.silence_threshold = silence_threshold

    @property
    def hop_length(self) -> int:
        return self.sampling_rate * STEP_MS // 1000

    def __call__(self, audio, sampling_rate: int | None = None, return_tensors=None, **kwargs) -> BatchFeature:
        """
        Computes the mel slices of one song or a list of songs.

        Args:
            audio (`str`, `bytes`, `np.ndarray`, or a list of them):
                Paths, file bytes or sample arrays (see [`~beart.audio.load_audio`]). A 2-D array is one multi-channel
                song; pass a list for several songs.
            sampling_rate (`int`, *optional*):
                Sampling rate of array inputs.
            return_tensors (`str` or [`~transformers.utils.TensorType`], *optional*):
                `"np"` or `"pt"`.

        Returns:
            [`BatchFeature`] with `input_features` of shape `(batch_size, num_slices, groups, mel_bands)` (songs
            shorter than the longest are padded with `padding_value`) and `num_slices` of shape `(batch_size,)`.
        """
        songs = audio if isinstance(audio, (list, tuple)) else [audio]
        slices = [self.mel_slices(song, sampling_rate=sampling_rate) for song in songs]
        num_slices = np.array([len(song_slices) for song_slices in slices])
        batch = np.full((len(slices), num_slices.max(), self.groups, self.mel_bands), self.padding_value, np.float32)
        for index, song_slices in enumerate(slices):
            batch[index, : len(song_slices)] = song_slices
        return BatchFeature({"input_features": batch, "num_slices": num_slices}, tensor_type=return_tensors)

    def mel_power(self, waveform: np.ndarray) -> np.ndarray:
        """
        The mel power spectrogram of a waveform, `librosa.feature.melspectrogram` with its frames centred, computed
        a block of frames at a time (`spectrogram_blocks.centred_frames`): the whole STFT of an hour of audio at
        44.1 kHz takes 3 GB, the blocks a few MB each.

        Args:
            waveform (`np.ndarray` of shape `(num_samples,)`): mono samples at `sampling_rate`.

        Returns:
            `np.ndarray` of shape `(mel_bands, num_frames)`, `num_frames = 1 + num_samples // hop_length` (an even
            `n_fft`).
        """
        return centred_frames(
            waveform,
            self.n_fft,
            self.hop_length,
            lambda samples: librosa.feature.melspectrogram(
                y=samples, sr=self.sampling_rate, n_fft=self.n_fft, n_mels=self.mel_bands, hop_length=self.hop_length,
                fmax=self.sampling_rate // 2, center=False,
            ),  # fmt: skip
        )

    def mel_slices(self, audio, sampling_rate: int | None = None) -> np.ndarray:
        """
        The mel slices of one song.

        Returns:
            `np.ndarray` of shape `(num_slices, groups, mel_bands)`, float32, `num_slices = ceil(frames / groups)`.
        """
        waveform = load_audio(audio, sampling_rate=sampling_rate, target_sampling_rate=self.sampling_rate)
        if peak_amplitude(waveform) < self.silence_threshold:
            raise AudioError(
                f"The audio is silent (peak amplitude below {self.silence_threshold}); a beatmap needs something to "
                "hear."
            )
        frames = 1.0 + librosa.power_to_db(self.mel_power(waveform), ref=np.max).T / 80.0
        if not np.isfinite(frames).all():
            raise AudioError("The audio's mel spectrogram is not finite (samples too large to square); rescale it.")
        num_slices = -(-len(frames) // self.groups)
        padded = np.full((num_slices * self.groups, self.mel_bands), self.padding_value, dtype=frames.dtype)
        padded[: len(frames)] = frames
        if self.mel_gradient:
            padded = np.gradient(padded, axis=1)
        padded = np.clip(padded, -1.0, 1.0)
        return padded.reshape(num_slices, self.groups, self.mel_bands).astype(np.float32)


__all__ = ["BeartFeatureExtractor"]
