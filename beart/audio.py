"""Reading audio for BEaRT: files, bytes or arrays to one mono waveform at the model's sampling rate."""

import io
import numbers
import os
import re
import warnings

import librosa
import numpy as np
import soundfile
import soxr
from audioread.exceptions import NoBackendError
from transformers.utils import logging

from .safety import LimitError, check_duration, limits


logger = logging.get_logger(__name__)

MAX_PEAK = 1000.0
# The lowest sampling rate read as a song: telephone audio is 8 kHz; a file that says 1 Hz (or 100) holds no sound, and
# its samples, read as seconds of audio, made a map of 1,000 s from 1,000 numbers.
MIN_SAMPLING_RATE = 4000
MAX_TAG_LENGTH = 256
OGG_BLOCK_FRAMES = 65536
DECODE_BLOCK_FRAMES = 2**20  # about 24 s at 44.1 kHz (`_decode_in_blocks`)


class AudioError(ValueError):
    """Raised when audio is missing, cannot be decoded, is empty or is silent."""


def load_audio(audio, sampling_rate: int | None = None, target_sampling_rate: int = 44100) -> np.ndarray:
    """
    Decodes `audio` into a mono float32 waveform at `target_sampling_rate`.

    Args:
        audio (`str`, `os.PathLike`, `bytes`, a binary file object or `np.ndarray`):
            A path to a wav/ogg/mp3/flac file, the bytes of such a file, such a file open for reading in binary
            (`open(path, "rb")`, an upload; read from where it stands), or samples. An array is `(num_samples,)`,
            `(channels, num_samples)` as librosa returns it, or `(num_samples, channels)` as soundfile returns it:
            the shorter axis is taken as the channels. Integer samples (PCM, as `scipy.io.wavfile` and
            `torchaudio` without normalising give them) are read at their type's full scale.
        sampling_rate (`int`, *optional*):
            Sampling rate of an array; required for arrays, ignored for files and bytes.
        target_sampling_rate (`int`, *optional*, defaults to 44100):
            Rate of the returned waveform; other rates are resampled with soxr (as `librosa.load` does).

    Returns:
        `np.ndarray` of shape `(num_samples,)`, float32.

    Raises:
        `FileNotFoundError`: the path does not exist.
        `AudioError`: the audio cannot be decoded, holds no samples, or has no sound at all.
        `LimitError`: the audio lasts longer than `beart.safety.limits.max_song_seconds`; a file's length is read
            from its header before it is decoded.
    """
    if isinstance(audio, (str, os.PathLike)):
        waveform = _decode_file(os.fspath(audio), target_sampling_rate)
        name = os.fspath(audio)
    elif isinstance(audio, (bytes, bytearray, memoryview)):
        waveform = _decode_mono_bytes(bytes(audio), target_sampling_rate)
        name = "the given audio bytes"
    elif hasattr(audio, "read"):  # an open file: it was taken for an array ("needs its `sampling_rate`")
        waveform, name = _decode_file_object(audio, target_sampling_rate)
    else:
        if sampling_rate is None:
            raise AudioError("An audio array needs its `sampling_rate`.")
        if isinstance(sampling_rate, bool) or not isinstance(sampling_rate, numbers.Real) or not (
            0 < sampling_rate < float("inf")
        ):  # fmt: skip
            raise AudioError(f"An audio array needs a positive `sampling_rate` in Hz, got {sampling_rate!r}.")
        check_sampling_rate(sampling_rate, "The given audio array")
        samples = _float_samples(np.asarray(audio))
        num_samples = max(samples.shape) if samples.ndim else 0
        check_duration(num_samples / sampling_rate, "The given audio array")
        waveform = _to_mono_at_rate(samples, sampling_rate, target_sampling_rate)
        name = "the given audio array"
    if waveform.size == 0:
        raise AudioError(f"No audio samples in {name}.")
    peak = _finite_peak(waveform, f"The audio in {name}")
    if peak > MAX_PEAK:
        logger.warning(f"The audio in {name} peaks at {peak:.3g}, far outside [-1, 1]; it is scaled to a peak of 1.")
        waveform = waveform / np.float32(peak)
    return waveform


def peak_amplitude(samples: np.ndarray) -> float:
    """The largest absolute sample (0 for none; `nan` where one is NaN, `inf` where one is infinite), read without the
    copies `np.abs(samples).max()` and `np.isfinite(samples)` make: an hour of samples is 635 MB."""
    if samples.size == 0:
        return 0.0
    highest, lowest = float(samples.max()), float(samples.min())  # NaN propagates through both
    return max(highest, -lowest) if not (np.isnan(highest) or np.isnan(lowest)) else float("nan")


def _finite_peak(samples: np.ndarray, what: str) -> float:
    """`peak_amplitude` of `samples`; `AudioError` where one is NaN or infinite (`what` names them: "The stem
    guitar.ogg")."""
    peak = peak_amplitude(samples)
    if not np.isfinite(peak):
        raise AudioError(f"{what} holds NaN or infinite samples.")
    return peak


def _float_samples(samples: np.ndarray) -> np.ndarray:
    """`samples` as float32; integer PCM at its type's full scale (int16 / 32768, uint8 about 128), as soundfile reads
    a PCM file, where a plain cast would read it thousands of times too loud."""
    if samples.dtype.kind in "bcUSVMm":  # a mask, complex numbers, text, times: no samples
        raise AudioError(f"Audio samples are real numbers; got an array of {samples.dtype}.")
    if not np.issubdtype(samples.dtype, np.integer):
        try:
            return samples.astype(np.float32, copy=False)
        except (TypeError, ValueError) as error:  # an array of objects that are no numbers
            raise AudioError(f"Audio samples are real numbers; got {_describe(error)}.") from error
    info = np.iinfo(samples.dtype)
    middle = (int(info.max) + int(info.min) + 1) // 2  # 0 for signed types, 128 for uint8
    scaled = samples.astype(np.float32)
    scaled -= np.float32(middle)
    scaled /= np.float32(int(info.max) - middle + 1)
    return scaled


def audio_tags(path) -> dict:
    """
    The `title` and `artist` an audio file's tags name (ID3, Vorbis comments, RIFF INFO, as libsndfile reads them),
    each at most `MAX_TAG_LENGTH` characters; the tags it lacks, or all of them where it cannot be read, are left out.

    Args:
        path (`str` or `os.PathLike`): the file.
    """
    try:
        with soundfile.SoundFile(os.fspath(path)) as audio_file:
            tags = {name: getattr(audio_file, name) for name in ("title", "artist")}
    except Exception as error:  # an untrusted file: its tags are only a default for the map's metadata
        logger.info(f"{path}: no tags read ({_describe(error)}).")
        return {}
    return {name: value.strip()[:MAX_TAG_LENGTH] for name, value in tags.items() if value and value.strip()}


def _check_header(source, name: str) -> None:
    """Refuses audio whose header says it is longer than the longest song, or would take more memory decoded than
    `limits.max_decoded_bytes` (channels times samples, as float32), before anything is decoded."""
    try:
        info = soundfile.info(source)
    except Exception:
        return  # not a format soundfile reads: the decoder below is bounded by duration instead
    if info.samplerate > 0:  # a length first: a header that says hours is refused as such, whatever its rate
        check_duration(info.frames / info.samplerate, name)
    check_sampling_rate(info.samplerate, name)
    decoded = info.frames * info.channels * np.dtype(np.float32).itemsize
    if decoded > limits.max_decoded_bytes:
        raise LimitError(
            f"{name} holds {info.channels} channel(s) at {info.samplerate} Hz for {info.frames / info.samplerate:.0f} "
            f"s: {decoded / 2**30:.1f} GiB decoded, past the {limits.max_decoded_bytes / 2**30:g} GiB beart decodes "
            "(beart.safety.limits.max_decoded_bytes)."
        )


def check_sampling_rate(sampling_rate, name: str) -> None:
    """Raises `AudioError` naming `name` where `sampling_rate` (Hz) is below `MIN_SAMPLING_RATE`: no song."""
    if not sampling_rate >= MIN_SAMPLING_RATE:
        raise AudioError(
            f"{name} is sampled at {sampling_rate:g} Hz: no song; beart reads audio sampled at {MIN_SAMPLING_RATE} Hz "
            "or more."
        )


def check_audio_file(path) -> None:
    """Raises `IsADirectoryError` where `path` is a folder (saying so: a song was asked for) and `FileNotFoundError`
    where nothing is there (an address such as `https://...` is named as one: beart downloads no audio)."""
    if os.path.isdir(path):
        raise IsADirectoryError(f"{os.fspath(path)} is a folder; give the song's audio file.")
    if not os.path.isfile(path):
        if re.match(r"[a-z][a-z0-9+.-]*://", os.fspath(path), flags=re.IGNORECASE):
            raise FileNotFoundError(f"{os.fspath(path)} is an address: beart reads audio files, never downloads them; "
                                    "download the song and give its file.")  # fmt: skip
        raise FileNotFoundError(f"Audio file not found: {os.fspath(path)}")


def check_song_file(path) -> None:
    """
    Raises `AudioError` where the file at `path` is no audio libsndfile reads (WAV, FLAC, Ogg, MP3, AIFF): a song
    written beside a map must play in its game, and a map that names any other file (an `.ibf` anyone can write
    naming a document beside it) would pack that file into the set.

    Args:
        path (`str` or `os.PathLike`): the song's file.
    """
    check_audio_file(path)
    try:
        info = soundfile.info(os.fspath(path))
    except Exception as error:
        raise AudioError(
            f"{os.fspath(path)} is no audio file a game plays (Ogg, MP3, WAV, FLAC): {_describe(error).rstrip('.')}."
        ) from error
    if info.frames <= 0 or info.samplerate <= 0:
        raise AudioError(f"{os.fspath(path)} holds no audio samples.")
    check_sampling_rate(info.samplerate, os.fspath(path))


def _decode_file(path: str, target_sampling_rate: int) -> np.ndarray:
    check_audio_file(path)
    _check_header(path, path)
    longest = limits.max_song_seconds
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                waveform = _decode_in_blocks(path, target_sampling_rate, longest + 1.0)
            except soundfile.SoundFileRuntimeError:  # a format libsndfile does not read: librosa's other decoders
                waveform, _ = librosa.load(path, sr=target_sampling_rate, mono=True, duration=longest + 1.0)
    except Exception as error:
        raise AudioError(f"Cannot decode audio file {path}: {_describe(error)}") from error
    check_duration(len(waveform) / target_sampling_rate, path)  # decoding stopped a second past the limit
    return waveform


def _decode_mono_bytes(data: bytes, target_sampling_rate: int) -> np.ndarray:
    """The bytes of an audio file (a song inside an `.osz`, a pipeline's input) decoded as a file is
    (`_decode_in_blocks`): ten minutes of stereo at 48 kHz read whole and then mixed took 0.55 GiB past their bytes, a
    block at a time 0.24 GiB."""
    return _decode_stream(io.BytesIO(data), "the given audio bytes", target_sampling_rate)


def _decode_stream(stream, name: str, target_sampling_rate: int) -> np.ndarray:
    """An audio file open for reading in binary (seekable), from where it stands, decoded a block at a time."""
    start = stream.tell()
    _check_header(stream, name[:1].upper() + name[1:])
    stream.seek(start)
    try:
        waveform = _decode_in_blocks(stream, target_sampling_rate, limits.max_song_seconds + 1.0)
    except Exception as error:
        raise AudioError(f"Cannot decode {name}: {_describe(error)}") from error
    check_duration(len(waveform) / target_sampling_rate, name[:1].upper() + name[1:])  # stopped a second past it
    return waveform


def _decode_file_object(file, target_sampling_rate: int) -> tuple[np.ndarray, str]:
    """An open file (`open(path, "rb")`, a web upload's file) decoded: in blocks where it can seek, else its bytes
    read whole; with the name it is reported by."""
    name = getattr(file, "name", None)
    name = f"the audio file {name}" if isinstance(name, str) else "the given audio file object"
    try:
        seekable = file.seekable() if hasattr(file, "seekable") else False
    except (OSError, ValueError) as error:  # a closed file
        raise AudioError(f"Cannot read {name}: {_describe(error)}") from error
    if isinstance(file, io.TextIOBase):
        raise AudioError(f"{name[:1].upper() + name[1:]} is open as text; open it in binary (\"rb\").")
    if not seekable:
        return _decode_mono_bytes(bytes(file.read()), target_sampling_rate), name
    return _decode_stream(file, name, target_sampling_rate), name


def _decode_in_blocks(source, target_sampling_rate: int, seconds: float) -> np.ndarray:
    """The first `seconds` of the file (a path or a file object), mono at `target_sampling_rate`: what
    `librosa.load(path, sr=..., mono=True, duration=seconds)` gives (channels averaged, `_resampled`), decoded
    `DECODE_BLOCK_FRAMES` frames at a time into one array, so that only the mono waveform is held whole (librosa holds
    every channel at once, then copies: an hour of stereo at 48 kHz took 2.8 GB)."""
    with soundfile.SoundFile(source) as audio_file:
        rate = audio_file.samplerate
        frames = int(seconds * rate)
        expected = int(np.ceil(min(max(audio_file.frames, 0), frames) * float(target_sampling_rate) / rate)) + 1
        waveform, filled = np.zeros(expected, np.float32), 0
        blocks = audio_file.blocks(blocksize=DECODE_BLOCK_FRAMES, frames=frames, dtype="float32", always_2d=True)
        for mono in _resampled((block.mean(axis=1) for block in blocks), rate, target_sampling_rate):
            waveform, filled = _appended(waveform, filled, mono)
    return waveform[:filled]


def _resampled(blocks, rate: int, target_sampling_rate: int):
    """`blocks` of frames at `rate` (`(frames,)` mono, or `(frames, channels)`), as they come, at
    `target_sampling_rate`: resampled with soxr's HQ filter streaming, which gives what one call on them all gives,
    and as many frames in all as `librosa.resample` gives, `ceil(frames * ratio)`, its end padded with zeros."""
    if rate == target_sampling_rate:
        yield from blocks
        return
    ratio, resampler = float(target_sampling_rate) / rate, None
    frames = written = 0
    shape = (0,)
    for block in blocks:
        if resampler is None:
            shape = (0, *block.shape[1:])
            channels = block.shape[1] if block.ndim == 2 else 1
            resampler = soxr.ResampleStream(rate, target_sampling_rate, channels, dtype="float32", quality="HQ")
        frames += len(block)
        resampled = resampler.resample_chunk(block)
        written += len(resampled)
        yield resampled
    if resampler is None:
        return
    tail = resampler.resample_chunk(np.zeros(shape, np.float32), last=True)
    missing = int(np.ceil(frames * ratio)) - written
    yield np.concatenate([tail, np.zeros((max(missing - len(tail), 0), *shape[1:]), np.float32)])[: max(missing, 0)]


def _appended(buffer: np.ndarray, filled: int, samples: np.ndarray) -> tuple[np.ndarray, int]:
    """`samples` written after the first `filled` of `buffer`, which grows (by half again at least) where they do not
    fit: a header's frame count may fall short of what decodes."""
    if filled + len(samples) > len(buffer):
        grown = np.zeros(max(filled + len(samples), len(buffer) * 3 // 2), np.float32)
        grown[:filled] = buffer[:filled]
        buffer = grown
    buffer[filled : filled + len(samples)] = samples
    return buffer, filled + len(samples)


def _to_mono_at_rate(samples: np.ndarray, sampling_rate: int, target_sampling_rate: int) -> np.ndarray:
    _finite_peak(samples, "The given audio")
    if samples.ndim == 2:
        if samples.shape[0] > samples.shape[1]:  # (num_samples, channels) as soundfile gives them
            samples = samples.T
        samples = librosa.to_mono(np.ascontiguousarray(samples))
    elif samples.ndim == 0:
        raise AudioError(
            "A song's samples are a 1-D or 2-D array, not one number (the pipeline reads a list as several songs: "
            "pass a list of samples as np.asarray(samples))."
        )
    elif samples.ndim != 1:
        raise AudioError(f"Audio arrays must be 1-D or 2-D, got shape {samples.shape}.")
    if samples.size and sampling_rate != target_sampling_rate:
        samples = librosa.resample(samples, orig_sr=sampling_rate, target_sr=target_sampling_rate, res_type="soxr_hq")
    return samples.astype(np.float32, copy=False)


def _describe(error: Exception) -> str:
    """The decoder's message, without the in-memory file object it names for bytes (`<_io.BytesIO object at 0x...>`)."""
    if isinstance(error, NoBackendError):  # libsndfile did not read it, and audioread has no decoder (ffmpeg) here
        return (
            "not a format libsndfile reads (WAV, FLAC, Ogg Vorbis or Opus, MP3, AIFF), and no other decoder is "
            "installed; for M4A, AAC, WMA or a video's sound install ffmpeg, or convert the song to one of those"
        )
    message = re.sub(r"^Error opening <_io\.BytesIO object at 0x[0-9a-fA-F]+>: ", "", str(error))
    return message or f"{type(error).__name__} (not a readable audio format)"


def mix_stems(stems: dict, gains: dict | None = None, sampling_rate: int = 44100) -> bytes:
    """
    Mixes the stems of a song (a Frets on Fire / Clone Hero folder's `song.ogg`, `guitar.ogg`, `rhythm.ogg`...) into
    one Ogg Vorbis file, as the games play them: summed at full volume, then scaled down only where the sum would
    clip. The stems are decoded, resampled and summed a block at a time, twice (once for the mix's peak, once to
    encode it), so that no stem and not the mix is held whole: three 10-minute stems held whole took 1.1 GB.

    Args:
        stems (`dict[str, bytes]`): name -> the bytes of each stem's audio file.
        gains (`dict[str, float]`, *optional*): a gain per stem name (1 where missing), e.g. to vary the mix when
            augmenting training data.
        sampling_rate (`int`, *optional*, defaults to 44100): the mix's rate; stems at other rates are resampled
            (soxr's HQ filter, as `librosa.resample` with `res_type="soxr_hq"`).

    Returns:
        `bytes`: the mix, stereo Ogg Vorbis.

    Raises:
        `AudioError`: no stem, or one cannot be decoded or holds NaN or infinite samples. `LimitError`: a stem is longer
        than the longest song.
    """
    if not stems:
        raise AudioError("No stem to mix.")
    for name, data in stems.items():
        _check_header(io.BytesIO(data), f"The stem {name}")
    peak = max((peak_amplitude(block) for block in _mixed_blocks(stems, gains or {}, sampling_rate)), default=0.0)
    blocks = _mixed_blocks(stems, gains or {}, sampling_rate)
    return _ogg_of_blocks((block / np.float32(peak) for block in blocks) if peak > 1.0 else blocks, sampling_rate, 2)


def _mixed_blocks(stems: dict, gains: dict, sampling_rate: int):
    """The sum of the stems, each times its gain, in blocks of `OGG_BLOCK_FRAMES` stereo frames `(frames, 2)` (the
    last shorter), as long as the longest stem."""
    streams = [
        _rechunked(_stereo_blocks(data, name, sampling_rate, float(gains.get(name, 1.0))), OGG_BLOCK_FRAMES)
        for name, data in stems.items()
    ]
    while True:
        parts = [part for part in (next(stream, None) for stream in streams) if part is not None]
        if not parts:
            return
        mixed = np.zeros((max(len(part) for part in parts), 2), np.float32)
        for part in parts:
            mixed[: len(part)] += part
        yield mixed


def _stereo_blocks(data: bytes, name: str, sampling_rate: int, gain: float):
    """One stem's frames, `(frames, 2)` float32 at `sampling_rate` (`_resampled`) times `gain`, decoded a block at a
    time (a mono stem on both sides, channels past two left out)."""
    try:
        with soundfile.SoundFile(io.BytesIO(data)) as stem:
            blocks = stem.blocks(OGG_BLOCK_FRAMES, dtype="float32", always_2d=True)
            stereo = (
                np.ascontiguousarray(block[:, :2] if block.shape[1] >= 2 else np.repeat(block, 2, axis=1))
                for block in _within_limit(blocks, stem.samplerate, f"The stem {name}")
            )
            for block in _resampled(stereo, stem.samplerate, sampling_rate):
                _finite_peak(block, f"The stem {name}")  # mixed in, NaN would be heard as silence
                yield block * np.float32(gain)
    except (AudioError, LimitError):
        raise
    except Exception as error:
        raise AudioError(f"Cannot decode the stem {name}: {_describe(error)}") from error


def _rechunked(blocks, size: int):
    """`blocks` of frames cut again into blocks of exactly `size` frames, the last shorter."""
    pending, count = [], 0
    for block in blocks:
        pending.append(block)
        count += len(block)
        while count >= size:
            joined = np.concatenate(pending)
            yield joined[:size]
            pending, count = [joined[size:]], count - size
    if count:
        yield np.concatenate(pending)


def encode_ogg(samples: np.ndarray, sampling_rate: int) -> bytes:
    """
    Encodes audio as Ogg Vorbis.

    Args:
        samples (`np.ndarray` of shape `(channels, num_samples)`): the audio, in [-1, 1].
        sampling_rate (`int`): its rate.
    """
    samples = np.atleast_2d(samples)
    blocks = (samples[:, start : start + OGG_BLOCK_FRAMES].T for start in range(0, samples.shape[1], OGG_BLOCK_FRAMES))
    return _ogg_of_blocks(blocks, sampling_rate, len(samples))


def _ogg_of_blocks(blocks, sampling_rate: int, channels: int) -> bytes:
    """Ogg Vorbis of `blocks` of frames, each `(frames, channels)` and at most `OGG_BLOCK_FRAMES` long (libsndfile's
    Vorbis encoder crashes on long blocks), encoded as they come."""
    buffer = io.BytesIO()
    with soundfile.SoundFile(buffer, "w", sampling_rate, channels, format="OGG", subtype="VORBIS") as file:
        for block in blocks:
            file.write(np.ascontiguousarray(block, dtype=np.float32))
    return buffer.getvalue()


def ogg_file_bytes(path) -> bytes:
    """
    The song at `path` as Ogg audio: an Ogg file's own bytes, any other format (wav, mp3, flac) decoded and encoded as
    Ogg Vorbis at its own rate, a block at a time. For the games that only play Ogg (Frets on Fire).

    Raises:
        `FileNotFoundError`: no such file. `AudioError`: it cannot be decoded. `LimitError`: it is too long.
    """
    path = os.fspath(path)
    check_audio_file(path)
    with open(path, "rb") as file:
        start = file.read(4)
        if start == b"OggS":
            return start + file.read()
    _check_header(path, path)
    try:
        with soundfile.SoundFile(path) as source:
            blocks = source.blocks(OGG_BLOCK_FRAMES, dtype="float32", always_2d=True)
            return _ogg_of_blocks(_within_limit(blocks, source.samplerate, path), source.samplerate, source.channels)
    except LimitError:
        raise
    except Exception as error:
        raise AudioError(f"Cannot decode audio file {path}: {_describe(error)}") from error


def _within_limit(blocks, sampling_rate: int, name: str):
    """`blocks` of frames as they come, until they last longer than the longest song (`check_duration` raises): a
    header may understate the length."""
    frames = 0
    for block in blocks:
        frames += len(block)
        check_duration(frames / sampling_rate, name)
        yield block
