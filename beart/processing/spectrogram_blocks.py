"""Frame-wise spectral features of a whole song (a mel spectrogram, a spectral centroid) computed a block of frames at
a time: librosa computes the whole STFT first, 3 GB for an hour of audio at 44.1 kHz, where the blocks take a few MB
each and the features themselves (a few numbers per frame) are small."""

import numpy as np


# STFT bins computed at once: 64 MB of complex64, about 80 s of audio at an `n_fft` of 2048 and a 10 ms hop.
STFT_BINS_PER_BLOCK = 2**23


def centred_frames(waveform: np.ndarray, n_fft: int, hop_length: int, feature) -> np.ndarray:
    """
    A frame-wise feature of the song's centred frames (frame `t` centred on sample `t * hop_length`, zeros outside the
    song, as librosa centres them by default), `feature` called on the samples of a block of frames at a time.

    Args:
        waveform (`np.ndarray` of shape `(num_samples,)`): mono samples.
        n_fft (`int`): samples per frame.
        hop_length (`int`): samples between frames.
        feature (`Callable[[np.ndarray], np.ndarray]`): the feature of the frames `samples[i * hop_length : i *
            hop_length + n_fft]` of the samples it is given, as librosa computes it with `center=False`, frames on
            its last axis (`librosa.feature.melspectrogram(y=samples, ..., center=False)`).

    Returns:
        `np.ndarray` of shape `(..., num_frames)`, `num_frames = 1 + (num_samples + 2 * (n_fft // 2) - n_fft) //
        hop_length` (`1 + num_samples // hop_length` for an even `n_fft`), as librosa's centred frames.
    """
    half = n_fft // 2
    num_frames = 1 + (len(waveform) + 2 * half - n_fft) // hop_length
    block = max(1, STFT_BINS_PER_BLOCK // (n_fft // 2 + 1))
    blocks = []
    for start in range(0, num_frames, block):
        stop = min(start + block, num_frames)
        first, last = start * hop_length - half, (stop - 1) * hop_length - half + n_fft  # the samples of its frames
        samples = waveform[max(first, 0) : min(last, len(waveform))]  # the first frame starts in the song
        samples = np.pad(samples, (max(-first, 0), max(last - len(waveform), 0)))  # zeros outside, as centred
        blocks.append(feature(samples))
    return np.concatenate(blocks, axis=-1)


__all__ = ["centred_frames"]
