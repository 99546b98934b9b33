import librosa
import numpy as np
import pytest
import soundfile
from transformers import AutoFeatureExtractor

import beart


@pytest.fixture(scope="module")
def feature_extractor():
    return beart.BeartFeatureExtractor()


@pytest.fixture(scope="module")
def reference_slices(fixtures_dir):
    reference = np.load(fixtures_dir / "mel_slices.npz")
    padding = int(reference["padding"])
    return reference["slices"][padding:-padding]


def test_file_features_match_the_original(feature_extractor, fixtures_dir, reference_slices):
    features = feature_extractor(str(fixtures_dir / "click_120bpm.wav"), return_tensors="np")["input_features"]
    assert features.shape == (1, *reference_slices.shape)
    np.testing.assert_allclose(features[0], reference_slices, atol=1e-5)


@pytest.mark.parametrize("n_fft, seconds", [(2048, 3.0), (2049, 0.3), (128, 1.0)])
def test_the_spectrogram_computed_in_blocks_is_librosas_computed_whole(fixtures_dir, monkeypatch, n_fft, seconds):
    # Blocks of a few frames (long songs get ~80 s blocks) must give librosa's centred frames, edges included.
    import beart.processing.spectrogram_blocks as spectrogram_blocks

    waveform, sampling_rate = soundfile.read(fixtures_dir / "click_120bpm.wav", dtype="float32")
    waveform = waveform[: int(seconds * sampling_rate)]
    feature_extractor = beart.BeartFeatureExtractor(n_fft=n_fft, sampling_rate=sampling_rate)
    whole = librosa.feature.melspectrogram(
        y=waveform, sr=sampling_rate, n_fft=n_fft, n_mels=32, hop_length=feature_extractor.hop_length,
        fmax=sampling_rate // 2,
    )  # fmt: skip
    monkeypatch.setattr(spectrogram_blocks, "STFT_BINS_PER_BLOCK", 7 * (n_fft // 2 + 1))
    blocked = feature_extractor.mel_power(waveform)
    assert blocked.shape == whole.shape
    np.testing.assert_allclose(blocked, whole, rtol=1e-4, atol=1e-6 * whole.max())


def test_array_and_bytes_features_match_the_original(feature_extractor, fixtures_dir, reference_slices):
    path = fixtures_dir / "click_120bpm.wav"
    waveform, sampling_rate = soundfile.read(path, dtype="float32")
    from_array = feature_extractor(waveform, sampling_rate=sampling_rate)["input_features"][0]
    np.testing.assert_allclose(from_array, reference_slices, atol=1e-5)
    stereo = np.stack([waveform, waveform], axis=1)
    from_stereo = feature_extractor(stereo, sampling_rate=sampling_rate)["input_features"][0]
    np.testing.assert_allclose(from_stereo, reference_slices, atol=1e-5)
    from_bytes = feature_extractor.mel_slices(path.read_bytes())
    np.testing.assert_allclose(from_bytes, reference_slices, atol=1e-5)


def test_an_open_file_is_read_as_its_path_is(feature_extractor, fixtures_dir, reference_slices, tmp_path):
    # an open file (`open(path, "rb")`, a web upload) was taken for an array: "An audio array needs its
    # `sampling_rate`"
    import io

    path = fixtures_dir / "click_120bpm.wav"
    with open(path, "rb") as file:
        np.testing.assert_allclose(feature_extractor.mel_slices(file), reference_slices, atol=1e-5)
    data = path.read_bytes()
    shifted = io.BytesIO(b"header of a container" + data)  # read from where the file stands
    shifted.seek(len(b"header of a container"))
    np.testing.assert_allclose(feature_extractor.mel_slices(shifted), reference_slices, atol=1e-5)

    class Upload(io.RawIOBase):  # a stream that cannot seek: read whole
        def __init__(self):
            self.stream = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, buffer):
            return self.stream.readinto(buffer)

    np.testing.assert_allclose(feature_extractor.mel_slices(Upload()), reference_slices, atol=1e-5)
    np.testing.assert_allclose(feature_extractor.mel_slices(memoryview(data)), reference_slices, atol=1e-5)
    with open(path, encoding="latin-1") as text, pytest.raises(beart.AudioError, match=r"open as text.*\"rb\""):
        feature_extractor.mel_slices(text)
    with pytest.raises(beart.AudioError, match="Cannot decode the given audio file object"):
        feature_extractor.mel_slices(io.BytesIO(b"no audio" * 100))


def test_integer_pcm_arrays_are_read_at_their_full_scale(feature_extractor, fixtures_dir, reference_slices, caplog):
    # samples as scipy.io.wavfile gives them were cast to floats thousands of times too loud, warned about as "far
    # outside [-1, 1]" and scaled by their peak; an unsigned 8-bit song kept its offset of 128
    path = fixtures_dir / "click_120bpm.wav"
    waveform, sampling_rate = soundfile.read(path, dtype="float32")
    for dtype in ("int16", "int32"):
        samples, _ = soundfile.read(path, dtype=dtype)
        with caplog.at_level("WARNING"):
            read = beart.load_audio(samples, sampling_rate=sampling_rate, target_sampling_rate=sampling_rate)
        np.testing.assert_allclose(read, waveform, atol=1e-4)
        assert "far outside" not in caplog.text
        slices = feature_extractor(samples, sampling_rate=sampling_rate)["input_features"][0]
        np.testing.assert_allclose(slices, reference_slices, atol=1e-4)
    unsigned = np.round(waveform * 127 + 128).astype(np.uint8)  # 8-bit WAV samples: silence at 128
    read = beart.load_audio(unsigned, sampling_rate=sampling_rate, target_sampling_rate=sampling_rate)
    np.testing.assert_allclose(read, waveform, atol=1.5 / 128)


def test_other_rates_are_resampled_to_the_same_timeline(feature_extractor, fixtures_dir, reference_slices):
    waveform, sampling_rate = soundfile.read(fixtures_dir / "click_120bpm.wav", dtype="float32")
    at_22k = librosa.resample(waveform, orig_sr=sampling_rate, target_sr=22050)
    slices = feature_extractor.mel_slices(at_22k, sampling_rate=22050)
    assert slices.shape == reference_slices.shape
    # The clicks stay on the same 10 ms frames: loudness envelopes agree closely.
    envelope = slices.mean(axis=2).reshape(-1)
    reference_envelope = reference_slices.mean(axis=2).reshape(-1)
    assert np.corrcoef(envelope, reference_envelope)[0, 1] > 0.95


@pytest.mark.parametrize("rate, channels, subtype", [(48000, 2, "PCM_16"), (44100, 6, "FLOAT"), (22050, 1, "PCM_24")])
def test_files_decoded_in_blocks_are_what_librosa_load_gives(tmp_path, monkeypatch, rate, channels, subtype):
    # beart decodes a block at a time (an hour's channels at once took GBs), a file or its bytes: every channel
    # averaged, resampled to 44.1 kHz with soxr's HQ filter streaming, its length librosa's
    import beart.audio

    samples = np.random.default_rng(channels).uniform(-0.5, 0.5, (int(rate * 1.37), channels))
    path = tmp_path / f"song-{channels}.{'wav' if subtype == 'FLOAT' else 'flac'}"
    soundfile.write(path, samples, rate, subtype=subtype)
    expected, _ = librosa.load(path, sr=44100, mono=True)
    monkeypatch.setattr(beart.audio, "DECODE_BLOCK_FRAMES", 5000)
    decoded = beart.audio.load_audio(path)
    assert decoded.shape == expected.shape and decoded.dtype == np.float32
    np.testing.assert_allclose(decoded, expected, atol=1e-6)
    from_bytes = beart.audio.load_audio(path.read_bytes())  # a song inside an archive: decoded as a file is
    assert from_bytes.shape == expected.shape
    np.testing.assert_allclose(from_bytes, expected, atol=1e-6)


def test_compressed_formats_decode(feature_extractor, corpus_dir):
    mp3 = feature_extractor.mel_slices(corpus_dir / "ppy-osu-tests/audio/test-sample.mp3")
    ogg = feature_extractor.mel_slices(corpus_dir / "ppy-osu-tests/audio/test-sample.ogg")
    assert mp3.shape[1:] == ogg.shape[1:] == (10, 32)
    assert abs(len(mp3) - len(ogg)) <= 1 and len(mp3) > 0
    assert mp3.min() >= -1 and mp3.max() <= 1


def test_batches_pad_to_the_longest_song(feature_extractor):
    rate = 44100
    time = np.arange(rate) / rate
    short, long = np.sin(2 * np.pi * 440 * time[: rate // 2]), np.sin(2 * np.pi * 440 * time)
    batch = feature_extractor([short, long], sampling_rate=rate, return_tensors="pt")
    assert tuple(batch["input_features"].shape) == (2, 11, 10, 32)
    assert batch["num_slices"].tolist() == [6, 11]
    assert (batch["input_features"][0, 6:] == 0).all()


def test_mel_gradient_option_differs_along_the_bands(fixtures_dir, reference_slices):
    gradient = beart.BeartFeatureExtractor(mel_gradient=True).mel_slices(fixtures_dir / "click_120bpm.wav")
    expected = np.clip(np.gradient(np.clip(reference_slices, -1, 1), axis=2), -1, 1)
    # Away from the clipped edges the gradient is that of the plain features.
    inside = (np.abs(reference_slices) < 1).all(axis=2)
    np.testing.assert_allclose(gradient[inside], expected[inside], atol=1e-5)


@pytest.mark.parametrize(
    "name, error, message",
    [
        ("corrupt.wav", beart.AudioError, "Cannot decode"),
        ("blank.wav", beart.AudioError, "No audio samples"),
        ("missing.wav", FileNotFoundError, "not found"),
    ],
)
def test_bad_audio_files_get_clear_errors(feature_extractor, corpus_dir, name, error, message):
    with pytest.raises(error, match=message):
        feature_extractor.mel_slices(corpus_dir / "ppy-osu-tests/audio" / name)


def test_a_format_no_installed_decoder_reads_names_what_is_read_and_what_to_install(feature_extractor, tmp_path):
    # an M4A (AAC) file, which libsndfile does not read, where audioread finds no decoder (no ffmpeg): the error said
    # "NoBackendError (not a readable audio format)"
    import audioread

    song = tmp_path / "song.m4a"
    song.write_bytes(b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00isomiso2" + bytes(range(256)) * 40)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(audioread, "available_backends", lambda flush_cache=False: [])
        with pytest.raises(beart.AudioError, match=r"song\.m4a: not a format libsndfile reads .* install ffmpeg"):
            feature_extractor.mel_slices(song)


def test_silent_and_unlabelled_arrays_are_refused(feature_extractor):
    with pytest.raises(beart.AudioError, match="silent"):
        feature_extractor(np.zeros(44100), sampling_rate=44100)
    with pytest.raises(beart.AudioError, match="sampling_rate"):
        feature_extractor(np.ones(44100))
    with pytest.raises(beart.AudioError, match="Cannot decode"):
        feature_extractor.mel_slices(b"not audio at all")


def test_audio_sampled_below_4_khz_is_no_song(feature_extractor, tmp_path):
    # a file that said it held 1,000 samples a second at 1 Hz was read as 1,000 s of audio and mapped; 8 kHz (telephone
    # audio) is read
    noise = np.random.default_rng(0).uniform(-0.3, 0.3, 8000)
    for rate in (1, 100, 3999):
        soundfile.write(tmp_path / f"at{rate}.wav", noise[:1000], rate)
        for audio in (tmp_path / f"at{rate}.wav", (tmp_path / f"at{rate}.wav").read_bytes()):
            with pytest.raises(beart.AudioError, match=f"sampled at {rate} Hz: no song"):
                feature_extractor.mel_slices(audio)
        with pytest.raises(beart.AudioError, match=f"sampled at {rate} Hz: no song"):
            feature_extractor(noise, sampling_rate=rate)
        with pytest.raises(beart.AudioError, match=f"sampled at {rate} Hz: no song"):
            beart.audio.check_song_file(tmp_path / f"at{rate}.wav")  # nor packed into an export as its song
    assert feature_extractor.mel_slices(noise, sampling_rate=8000).shape[0] >= 10  # 1 s: ten steps of 100 ms


def test_arrays_of_many_channels_are_mixed_and_what_holds_no_samples_is_named(feature_extractor, fixtures_dir,
                                                                              reference_slices):
    waveform, rate = soundfile.read(fixtures_dir / "click_120bpm.wav", dtype="float32")
    # twelve channels (a 7.1.4 mix) as soundfile gives them, (num_samples, 12): taken for 12 samples of many channels
    twelve = np.repeat(waveform[:, None], 12, axis=1)
    np.testing.assert_allclose(feature_extractor(twelve, sampling_rate=rate)["input_features"][0], reference_slices,
                               atol=1e-5)  # fmt: skip
    np.testing.assert_allclose(feature_extractor(twelve.T, sampling_rate=rate)["input_features"][0], reference_slices,
                               atol=1e-5)  # fmt: skip
    # a mask, complex numbers, one number (a list of samples given to the pipeline, which reads a list as songs)
    for samples, message in [
        (waveform > 0.1, "real numbers; got an array of bool"),
        (waveform.astype(np.complex64), "real numbers; got an array of complex64"),
        (np.array([{}] * 10), "real numbers"),
        (np.float32(0.5), "not one number"),
    ]:
        with pytest.raises(beart.AudioError, match=message):
            beart.load_audio(samples, sampling_rate=rate)
    for wrong_rate in ("44100", float("nan"), True, 0, -1):  # "44100" failed with "'>' not supported between..."
        with pytest.raises(beart.AudioError, match="positive `sampling_rate` in Hz"):
            beart.load_audio(waveform, sampling_rate=wrong_rate)
    assert beart.load_audio(waveform, sampling_rate=np.int64(rate), target_sampling_rate=rate).shape == waveform.shape


def test_auto_feature_extractor_round_trip(tmp_path):
    beart.BeartFeatureExtractor(mel_bands=16, mel_gradient=True).save_pretrained(tmp_path)
    loaded = AutoFeatureExtractor.from_pretrained(tmp_path)
    assert isinstance(loaded, beart.BeartFeatureExtractor)
    assert (loaded.mel_bands, loaded.mel_gradient, loaded.groups) == (16, True, 10)
