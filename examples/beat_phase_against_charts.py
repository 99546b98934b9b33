"""Where the human charts' notes sit against the written timing (`SongAnalysis.tempo_map`, fitted to the spectral
flux): per real song of `examples/real_music_split.py`, the mean offset (ms) of its charts' notes from the nearest
half beat, over the notes within 30 ms of one; then the median over the training and development songs whose charts
sit on their audio (within `ON_AUDIO_MS`; the Sectoid Frets on Fire charts sit 20-30 ms early, see
`examples/chart_offsets.py`). A positive median says the written beats come that much before the charts' notes.

    python examples/beat_phase_against_charts.py ../shared/corpus
"""

import argparse
import os
import sys

import numpy as np

from beart.audio import load_audio
from beart.beatmaps.beat_grid import BeatGrid
from beart.evaluation.evaluate import SAMPLING_RATE, find_reference_songs
from beart.evaluation.onset_metrics import onset_times
from beart.processing import BeartFeatureExtractor, SongAnalysis


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from real_music_split import songs  # noqa: E402


NEAR_HALF_BEAT_MS = 30.0
ON_AUDIO_MS = 15.0


def offset_from_half_beats(note_ms: np.ndarray, grid: BeatGrid) -> tuple[float, int]:
    """The mean offset (ms) of the notes from their nearest half beat of `grid`, over those within 30 ms of one, and
    how many those are."""
    rows, _ = grid.candidate_rows(note_ms, (2,))
    offsets = note_ms - grid.times_at(rows[:, 0])
    near = offsets[np.abs(offsets) < NEAR_HALF_BEAT_MS]
    return (float(near.mean()) if len(near) else float("nan")), len(near)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", help="the shared corpus folder")
    arguments = parser.parse_args()
    feature_extractor = BeartFeatureExtractor()
    print("| split | song | notes near a half beat | offset from the written timing (ms) |")
    print("| --- | --- | --- | --- |")
    on_audio = []
    for split in ("train", "dev", "test"):
        for folder in songs(arguments.corpus, split):
            for song in find_reference_songs(folder, []):
                waveform = load_audio(song.audio, target_sampling_rate=SAMPLING_RATE)
                analysis = SongAnalysis.from_audio(waveform, feature_extractor, sampling_rate=SAMPLING_RATE)
                if analysis.tempo_map is None:
                    print(f"| {split} | {os.path.basename(folder)} | no beat grid | |")
                    continue
                note_ms = np.concatenate([1000.0 * onset_times(chart) for chart in song.maps])
                offset, near = offset_from_half_beats(note_ms, BeatGrid(analysis.tempo_map))
                if split != "test" and abs(offset) <= ON_AUDIO_MS:
                    on_audio.append(offset)
                print(f"| {split} | {os.path.basename(folder)} | {near} | {offset:+.1f} |", flush=True)
    print(
        f"\nmedian {np.median(on_audio):+.1f} ms over the {len(on_audio)} training and development songs whose charts "
        f"sit within {ON_AUDIO_MS:g} ms of the written timing"
    )


if __name__ == "__main__":
    main()
