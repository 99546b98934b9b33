"""The written beat grid against the human charts' timing, per real song of `examples/real_music_split.py`: the
charts' tempo (the one that lasts longest in the song's first chart), the least-squares line through the tracked beats
alone, the grid beart writes (`SongAnalysis.beat_grid`: the line refined by `comb_fit`), and how far its first written
beat (`SongAnalysis.tempo_map`, on the beats the bass tells) lies from the chart's beats. A grid at the chart's tempo
times 2, 1/2, 3/2 or 2/3 counts as that tempo's error (the written grid then still holds the chart's notes, or the
chart is written at half or double time).

    python examples/check_beat_grid.py ../shared/corpus [--splits train dev test]
"""

import argparse
import os
import sys

import numpy as np

from beart.audio import load_audio
from beart.evaluation.evaluate import SAMPLING_RATE, find_reference_songs
from beart.processing import BeartFeatureExtractor, SongAnalysis


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from real_music_split import songs  # noqa: E402


RATIOS = (1.0, 2.0, 0.5, 1.5, 2.0 / 3.0)


def chart_tempo(beatmap) -> tuple[float, float]:
    """The tempo that lasts longest in a chart, and the time of the chart's first timing point (ms)."""
    changes = beatmap.tempo_changes()
    lasting = np.diff(np.append(changes["time"].to_numpy(np.float64), beatmap.duration_ms))
    return float(changes["bpm"].to_numpy()[np.argmax(lasting)]), float(changes["time"].iloc[0])


def tempo_error(bpm: float, chart_bpm: float) -> float:
    """BPM off the chart's tempo, taken at the ratio of `RATIOS` that fits best."""
    ratio = min((bpm / (chart_bpm * ratio) for ratio in RATIOS), key=lambda value: abs(np.log(value)))
    return (ratio - 1.0) * chart_bpm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", help="the shared corpus folder")
    parser.add_argument("--splits", nargs="+", default=["train", "dev", "test"], choices=["train", "dev", "test"])
    arguments = parser.parse_args()
    feature_extractor = BeartFeatureExtractor()
    print("| split | song | chart BPM | line through the beats | written grid | first beat off the chart's |")
    print("| --- | --- | --- | --- | --- | --- |")
    for split in arguments.splits:
        for folder in songs(arguments.corpus, split):
            for song in find_reference_songs(folder, []):
                waveform = load_audio(song.audio, target_sampling_rate=SAMPLING_RATE)
                analysis = SongAnalysis.from_audio(waveform, feature_extractor, sampling_rate=SAMPLING_RATE)
                chart_bpm, chart_first_ms = chart_tempo(song.maps[0])
                beats_ms = 10.0 * analysis.beats
                line_bpm = 60000.0 / np.polyfit(np.arange(len(beats_ms)), beats_ms, 1)[0]
                bpm, _ = analysis.beat_grid
                first_beat_ms = float(analysis.tempo_map["time"].iloc[0])  # as written: on the bass's beats
                shortest_beat = 60000.0 / max(bpm, chart_bpm)
                phase = (first_beat_ms - chart_first_ms + shortest_beat / 2) % shortest_beat - shortest_beat / 2
                print(
                    f"| {split} | {os.path.basename(folder)} | {chart_bpm:g} | {line_bpm:.2f} "
                    f"({tempo_error(line_bpm, chart_bpm):+.2f}) | {bpm:.2f} ({tempo_error(bpm, chart_bpm):+.2f}) | "
                    f"{phase:+.0f} ms |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
