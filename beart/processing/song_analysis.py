"""One song's analysis: everything beart reads off its audio, computed once and shared by decoding and writing."""

import os
from functools import cached_property

import numpy as np
import pandas as pd
from scipy.ndimage import gaussian_filter1d
from transformers.utils import logging

from ..audio import AudioError, load_audio
from ..beatmaps.beat_grid import ROWS_PER_BEAT, BeatGrid
from ..beatmaps.playability import BINARY_SUBDIVISIONS, PLAYABLE_SUBDIVISIONS
from .audio_priors import (
    COMB_SMOOTHING_FRAMES,
    FRAMES_PER_SECOND,
    bass_level,
    beat_evidence,
    beat_grid,
    depth_below_loud,
    hiss_frames,
    onset_evidence,
    sounding_frames,
    spectral_flux,
    steady_frames,
    tracked_beats,
)
from .feature_extraction_beart import BeartFeatureExtractor
from .onset_alignment import audio_onsets_ms
from .tempo_map import tempo_sections


logger = logging.get_logger(__name__)


# How far (ms) a time may lie from a subdivision of the beat grid and still stand on it (`metrical_levels`):
# generated times lie on 10 ms steps and the tracked grid is a few ms off a song's own, so more than 5.
METRICAL_TOLERANCE_MS = 20.0
# A song swings in threes (`subdivisions` keeps the triplets) where the thirds of its beats carry more flux than their
# halves (`triplet_feel` above 1). On the 11 training and development songs of examples/real_music_split.py, whose
# human charts put 96-100% of their notes on 1/1-1/16 of their beats, it reads 0.17-0.80 (examples/triplet_snaps.py).
TRIPLET_FEEL = 1.0


class SongAnalysis:
    """
    A song as beart hears it: its mel slices, made once, and what the audio priors and the written timing read off
    them (spectral flux, onset evidence, tracked beats, beat evidence, the steady beat grid), each computed on first
    use and kept. The pipeline makes one in `preprocess`; `model.generate` takes it in place of mel slices (the priors
    then come from it), and the written file's timing comes from the same tracked beats.

    Example:

    ```python
    >>> analysis = SongAnalysis.from_audio("song.ogg", processor.feature_extractor)
    >>> analysis.beat_grid          # (bpm, first_beat_ms) fitted to the flux, or None
    >>> analysis.tempo_map          # the written timing, or None
    >>> model.generate(analysis, num_tracks=4)
    >>> generator(analysis, mode="mania", difficulty=0.3)  # the pipeline reuses it: no second analysis per map
    >>> with_stems = SongAnalysis.from_audio("mix.ogg", processor.feature_extractor, stems={"guitar": "guitar.ogg"})
    >>> generator(with_stems, mode="fretsonfire")  # the guitar chart's onset prior hears the guitar (`lead_stem`)
    ```

    Args:
        mel_slices (`np.ndarray` of shape `(num_slices, groups, mel_bands)`): the song's mel slices.
        waveform (`np.ndarray` of shape `(num_samples,)`, *optional*): the samples the slices came from, kept to
            write the song beside a map when it has no file.
        sampling_rate (`int`, *optional*): the waveform's.
        source (`str`, *optional*): the song's file, if it came from one.
        stems (`dict[str, Any]`, *optional*): the song's stems by name (`{"guitar": "guitar.ogg", "song": ...}`), each
            a path, a file's bytes or samples at `stem_sampling_rate`: the parts it was mixed from, of which the one a
            chart follows (`DecodingOptions.lead_stem`) is heard by the onset prior beside the whole song. Each is
            read on first use (`stem`).
        feature_extractor (`BeartFeatureExtractor`, *optional*): what made the slices, to make the stems' (needed
            with `stems`; `from_audio` passes it).
        stem_sampling_rate (`int`, *optional*): the rate of stems given as samples.
    """

    def __init__(
        self, mel_slices: np.ndarray, waveform: np.ndarray | None = None, sampling_rate: int | None = None,
        source: str | None = None, stems: dict | None = None, feature_extractor: BeartFeatureExtractor | None = None,
        stem_sampling_rate: int | None = None,
    ):  # fmt: skip
        if np.ndim(mel_slices) != 3:
            raise ValueError(f"mel_slices must have shape (num_slices, groups, mel_bands); got {np.shape(mel_slices)}.")
        if stems and feature_extractor is None:
            raise ValueError("A SongAnalysis given stems needs the feature_extractor to hear them.")
        self.mel_slices = np.asarray(mel_slices)
        self.waveform = waveform
        self.sampling_rate = sampling_rate
        self.source = source
        self.stems = {str(name).lower(): audio for name, audio in (stems or {}).items()}
        self.feature_extractor = feature_extractor
        self.stem_sampling_rate = stem_sampling_rate
        self._stem_analyses = {}

    @classmethod
    def from_audio(
        cls, audio, feature_extractor: BeartFeatureExtractor, sampling_rate: int | None = None,
        stems: dict | None = None,
    ) -> "SongAnalysis":  # fmt: skip
        """
        Decodes a song and computes its mel slices.

        Args:
            audio (`str`, `os.PathLike`, `bytes` or `np.ndarray`): a path, a file's bytes, or samples (then pass
                `sampling_rate`).
            feature_extractor (`BeartFeatureExtractor`): the model's.
            sampling_rate (`int`, *optional*): the rate of `audio` given as samples.
            stems (`dict[str, Any]`, *optional*): the stems it was mixed from, by name, as paths, files' bytes or
                samples at `sampling_rate` (see the class); decoded only where a chart follows one.

        Raises:
            `AudioError`: unreadable, silent or shorter than one beat token (100 ms).
        """
        rate = feature_extractor.sampling_rate
        waveform = load_audio(audio, sampling_rate=sampling_rate, target_sampling_rate=rate)
        if len(waveform) < feature_extractor.groups * feature_extractor.hop_length:
            raise AudioError("The audio is shorter than one beat token (100 ms); there is nothing to map.")
        slices = feature_extractor.mel_slices(waveform, sampling_rate=rate)
        source = os.fspath(audio) if isinstance(audio, (str, os.PathLike)) else None
        return cls(
            slices, waveform=waveform, sampling_rate=rate, source=source, stems=stems,
            feature_extractor=feature_extractor, stem_sampling_rate=sampling_rate,
        )  # fmt: skip

    def __len__(self) -> int:
        return len(self.mel_slices)

    @cached_property
    def flux(self) -> np.ndarray:
        """`(num_slices, groups)`: the spectral flux of every 10 ms frame (`spectral_flux`)."""
        return spectral_flux(self.mel_slices)

    @cached_property
    def onset_evidence(self) -> np.ndarray:
        """`(num_slices, groups)`: the onset prior's signal (`onset_evidence`)."""
        return onset_evidence(self.mel_slices, flux=self.flux)

    def stem(self, name: str) -> "SongAnalysis | None":
        """
        The analysis of the song's stem `name` (any letter case), its slices cut or padded with silence to the song's
        length; `None` where the song has no such stem, or it is silent or shorter than one beat token (a placeholder
        `guitar.ogg` of a song without a guitar part). Decoded on first use and kept.

        Raises:
            `AudioError`: the stem cannot be read.
        """
        name = name.lower()
        if name not in self.stems:
            return None
        if name not in self._stem_analyses:
            rate = self.feature_extractor.sampling_rate
            waveform = load_audio(self.stems[name], sampling_rate=self.stem_sampling_rate, target_sampling_rate=rate)
            try:  # a song's own audio that is silent or too short is refused; a stem of it is only not heard
                stem = SongAnalysis.from_audio(waveform, self.feature_extractor, rate)
            except AudioError as error:
                logger.info(f"The song's {name!r} stem is not heard: {error}")
                self._stem_analyses[name] = None
                return None
            slices = np.full_like(self.mel_slices, stem.mel_slices.min())
            kept = min(len(slices), len(stem.mel_slices))
            slices[:kept] = stem.mel_slices[:kept]
            self._stem_analyses[name] = SongAnalysis(slices, sampling_rate=rate, source=stem.source)
        return self._stem_analyses[name]

    def onset_prior_evidence(self, lead_stem: str | None = None, lead_weight: float | None = None) -> np.ndarray:
        """
        `(num_slices, groups)`: what the onset prior reads: the song's `onset_evidence`, and where `lead_stem` names one
        of its `stems`, `1 - lead_weight` of it plus `lead_weight` of the stem's (each against its own typical attack),
        so that a chart that follows one part (a guitar chart, the guitar) hears that part's attacks over the band's.

        Args:
            lead_stem (`str`, *optional*): the stem the chart follows (`DecodingOptions.lead_stem`).
            lead_weight (`float`, *optional*): its share, 0 to 1 (`DecodingOptions.lead_weight`).
        """
        if not lead_stem or not lead_weight:
            return self.onset_evidence
        stem = self.stem(lead_stem)
        if stem is None:
            logger.info(f"No {lead_stem!r} stem to hear (the song's stems: {sorted(self.stems) or 'none'}): whole.")
            return self.onset_evidence
        return ((1.0 - lead_weight) * self.onset_evidence + lead_weight * stem.onset_evidence).astype(np.float32)

    @cached_property
    def depth_below_loud(self) -> np.ndarray:
        """`(num_slices, groups)`: how far below the song's loud level every 10 ms frame sounds, in dB
        (`depth_below_loud`); computed once, whatever `silence_db` reads it."""
        return depth_below_loud(self.mel_slices)

    @cached_property
    def hiss(self) -> np.ndarray:
        """`(num_slices, groups)`, bool: the frames that are hiss, whose spectrum is flat (`hiss_frames`)."""
        return hiss_frames(self.mel_slices, self.sampling_rate)

    @cached_property
    def steady(self) -> np.ndarray:
        """`(num_slices, groups)`, bool: the frames of steady sound, no attack near them (`steady_frames`)."""
        return steady_frames(self.mel_slices)

    def sounding(self, silence_db: float) -> np.ndarray:
        """`(num_slices, groups)`, bool: the frames where the song sounds, within `silence_db` of its loud level and
        no hiss (`sounding_frames`); the `silence_db` gate keeps objects off the others."""
        return sounding_frames(self.mel_slices, silence_db, depth=self.depth_below_loud, hiss=self.hiss)

    def may_start(self, silence_db: float) -> np.ndarray:
        """`(num_slices, groups)`, bool: the frames where the `silence_db` gate lets an object start: the song sounds
        there (`sounding`) and not steadily (`steady`: no attack near them). A hold goes on through steady sound."""
        return self.sounding(silence_db) & ~self.steady

    @cached_property
    def onsets_ms(self) -> np.ndarray:
        """`(num_onsets,)`: the song's onsets (ms) on their 10 ms frames (`audio_onsets_ms`), which
        `--align-to-onsets` lines charts up on."""
        return audio_onsets_ms(self.mel_slices, flux=self.flux)

    @cached_property
    def attacks_ms(self) -> np.ndarray:
        """`(num_onsets,)`: the same onsets at the tops of their peaks of the flux (`audio_onsets_ms` with
        `refine=True`), the attacks `chart_timing` times a map on (`beart check --audio`, `beart evaluate`)."""
        return audio_onsets_ms(self.mel_slices, flux=self.flux, refine=True)

    @cached_property
    def beats(self) -> np.ndarray:
        """`(num_beats,)`: the frames of the tracked beats (`tracked_beats`); the beat tracker runs once per song."""
        return tracked_beats(self.mel_slices, flux=self.flux)

    @cached_property
    def beat_period(self) -> float | None:
        """The median time between the tracked beats, in frames (10 ms), or `None` with fewer than two beats."""
        return float(np.median(np.diff(self.beats))) if len(self.beats) >= 2 else None

    @cached_property
    def beat_evidence(self) -> np.ndarray:
        """`(num_slices, groups)`: the beat prior's signal (`beat_evidence`)."""
        return beat_evidence(self.mel_slices, beats=self.beats)

    @cached_property
    def whole_beat_evidence(self) -> np.ndarray:
        """`(num_slices, groups)`: the beat prior's signal for the easiest maps, the beats without the half beats
        (`beat_evidence` with `halves=False`)."""
        return beat_evidence(self.mel_slices, beats=self.beats, halves=False)

    @cached_property
    def beat_grid(self) -> tuple[float, float] | None:
        """`(bpm, first_beat_ms)` of the song's steady beat grid (`beat_grid`), or `None`."""
        return beat_grid(self.mel_slices, beats=self.beats, flux=self.flux)

    @cached_property
    def tempo_map(self) -> pd.DataFrame | None:
        """The written timing: `time` (ms) and `bpm` of each section of steady tempo (`tempo_sections`), the
        `beat_grid` alone where the song keeps one tempo; each section's beats where the bass says the song's beats
        are (`bass_level`: half a beat after the flux's where the off-beats sound as loud); `None` without a beat
        grid."""
        if self.beat_grid is None:
            return None
        return tempo_sections(self.flux, self.beat_grid, bass=bass_level(self.mel_slices))

    @cached_property
    def triplet_feel(self) -> float | None:
        """How much louder the thirds of the `tempo_map`'s beats sound than their halves: the mean smoothed spectral
        flux at 1/3 or at 2/3 of the beats, the stronger, over that at 1/2 (a shuffle's long-short pair and 12/8's
        triplets hit a third, a straight song's eighths the half); `None` without a beat grid or flux there."""
        if self.tempo_map is None:
            return None
        smoothed = gaussian_filter1d(self.flux.reshape(-1).astype(np.float64), COMB_SMOOTHING_FRAMES)
        grid = BeatGrid(self.tempo_map)
        last_beat = int(grid.rows_at([1000.0 * len(smoothed) / FRAMES_PER_SECOND], (1,))[0]) // ROWS_PER_BEAT
        # per beat, the frames (fractional) a third, two thirds and half-way into it
        frames = grid.times_at(ROWS_PER_BEAT * (np.arange(last_beat)[:, None] + np.array([[1 / 3, 2 / 3, 1 / 2]])))
        frames = frames * FRAMES_PER_SECOND / 1000.0
        frames = frames[((frames >= 0) & (frames <= len(smoothed) - 1)).all(axis=1)]
        if not len(frames):
            return None
        flux = np.interp(frames, np.arange(len(smoothed)), smoothed).mean(axis=0)
        if flux.max() <= 0:
            return None
        return float(max(flux[0], flux[1]) / flux[2]) if flux[2] > 0 else float("inf")

    @cached_property
    def subdivisions(self) -> tuple[int, ...]:
        """The divisors of the beat a generated map's objects may take, coarsest first: `PLAYABLE_SUBDIVISIONS` where
        the song swings in threes (`triplet_feel` above `TRIPLET_FEEL`), else `BINARY_SUBDIVISIONS` (1/1-1/16 of the
        beat without the triplets, as human charts of straight songs are written: a note the model places between
        two 16ths of the beat then goes to the nearer one, not to a 12th a few ms away). The decoding option
        `finest_subdivision` keeps the coarser of them (the bundled model's default: 1/1, 1/2 and 1/4 of the
        beat)."""
        feel = self.triplet_feel
        return PLAYABLE_SUBDIVISIONS if feel is not None and feel > TRIPLET_FEEL else BINARY_SUBDIVISIONS

    def metrical_levels(self, times_ms) -> np.ndarray:
        """
        How strong a place in the song's metre each time takes: the index of the coarsest of `PLAYABLE_SUBDIVISIONS`
        (the beat, its half, third, quarter, ...) of the `tempo_map`'s grid within `METRICAL_TOLERANCE_MS`, and one past
        the last off all of them. Human charts keep the strong places as they thin out (the `max_density` cap drops the
        weakest first). Without a beat grid every time reads 0.

        Args:
            times_ms (array-like of shape `(num_times,)`): times in ms, on the analysis's time line.

        Returns:
            `np.ndarray` of shape `(num_times,)`, int64: 0 on a beat, 1 on a half beat, ... `len(PLAYABLE_SUBDIVISIONS)`
            off the grid.
        """
        times_ms = np.asarray(times_ms, dtype=np.float64)
        if self.tempo_map is None:
            return np.zeros(times_ms.shape, dtype=np.int64)
        _, distance_ms = BeatGrid(self.tempo_map).candidate_rows(times_ms, PLAYABLE_SUBDIVISIONS)
        on = distance_ms <= METRICAL_TOLERANCE_MS
        return np.where(on.any(axis=1), np.argmax(on, axis=1), len(PLAYABLE_SUBDIVISIONS)).astype(np.int64)


__all__ = ["SongAnalysis"]
