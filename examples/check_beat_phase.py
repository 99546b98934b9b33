"""Whether the written beats are the song's beats or its off-beats: per real song of `examples/real_music_split.py` and
per section of its written timing (`SongAnalysis.tempo_map`), the share of its human charts' notes within an eighth of
a beat of the written beats and of the written half beats. Charters put more notes on the beats than between them, so
a section whose half beats hold more notes is written half a beat off (a flux grid can take a song's off-beats where
they sound as loud as its beats). With `--rate R` each song's second half is played about R times as fast, as
`examples/check_tempo_changes.py` does, so that its timing has two sections and a change.

    python examples/check_beat_phase.py ../shared/corpus [--splits train dev test] [--rate 1.12] [--no-bass]

`--no-bass` writes the timing as before the bass chose the phase (`tempo_sections` without `bass`).
"""

import argparse
import os
import sys

import numpy as np

from beart.audio import load_audio
from beart.beatmaps.beat_grid import ROWS_PER_BEAT, BeatGrid
from beart.evaluation.evaluate import SAMPLING_RATE, find_reference_songs
from beart.evaluation.onset_metrics import onset_times
from beart.processing import BeartFeatureExtractor, SongAnalysis
from beart.processing.tempo_map import tempo_sections


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_tempo_changes import played_faster  # noqa: E402
from real_music_split import songs  # noqa: E402


NEAR = 0.125  # of a beat
MIN_NOTES = 20  # a section with fewer chart notes (a bridging beat) is not judged


def shares_by_section(note_ms: np.ndarray, tempo_map) -> list[tuple[float, float, int, float, float]]:
    """Per section of `tempo_map`: its start (ms), BPM, chart notes, and the shares of them near its beats and near
    its half beats."""
    grid = BeatGrid(tempo_map)
    rows, distance = grid.candidate_rows(note_ms, (2,))
    near = distance[:, 0] <= NEAR * grid.beat_ms_at(note_ms)
    on_beat = near & (rows[:, 0] % ROWS_PER_BEAT == 0)
    on_half = near & (rows[:, 0] % ROWS_PER_BEAT != 0)
    times, bpms = tempo_map["time"].to_numpy(), tempo_map["bpm"].to_numpy()
    section = np.clip(np.searchsorted(times, note_ms, side="right") - 1, 0, len(times) - 1)
    shares = []
    for index, (time, bpm) in enumerate(zip(times, bpms)):
        inside = section == index
        if inside.sum() >= MIN_NOTES:
            shares.append((time, bpm, int(inside.sum()), on_beat[inside].mean(), on_half[inside].mean()))
    return shares


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", help="the shared corpus folder")
    parser.add_argument("--splits", nargs="+", default=["train", "dev", "test"], choices=["train", "dev", "test"])
    parser.add_argument("--rate", type=float, default=None, help="play each song's second half this much faster")
    parser.add_argument("--no-bass", action="store_true", help="the timing as written before the bass chose phases")
    arguments = parser.parse_args()
    feature_extractor = BeartFeatureExtractor()
    print("| split | song | section | chart notes | on the beats | on the half beats | written on |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    right = judged = 0
    for split in arguments.splits:
        for folder in songs(arguments.corpus, split):
            for song in find_reference_songs(folder, []):
                waveform = load_audio(song.audio, target_sampling_rate=SAMPLING_RATE)
                note_ms = np.concatenate([1000.0 * onset_times(chart) for chart in song.maps])
                if arguments.rate is not None:
                    cut_s = 0.5 * len(waveform) / SAMPLING_RATE
                    bpm = SongAnalysis.from_audio(waveform, feature_extractor, SAMPLING_RATE).beat_grid[0]
                    rate = round(bpm * arguments.rate) / bpm
                    waveform = played_faster(waveform, cut_s, rate)
                    cut_ms = 1000.0 * cut_s
                    note_ms = np.where(note_ms > cut_ms, cut_ms + (note_ms - cut_ms) / rate, note_ms)
                analysis = SongAnalysis.from_audio(waveform, feature_extractor, sampling_rate=SAMPLING_RATE)
                if analysis.beat_grid is None:
                    continue
                tempo_map = (
                    tempo_sections(analysis.flux, analysis.beat_grid) if arguments.no_bass else analysis.tempo_map
                )
                for time, bpm, notes, on_beat, on_half in shares_by_section(np.sort(note_ms), tempo_map):
                    verdict = "beats" if on_beat > on_half else "off-beats"
                    right, judged = right + (on_beat > on_half), judged + 1
                    print(
                        f"| {split} | {os.path.basename(folder)} | {bpm:.2f} BPM from {time / 1000:.1f} s | {notes} | "
                        f"{on_beat:.2f} | {on_half:.2f} | {verdict} |",
                        flush=True,
                    )
    print(f"\n{right} of {judged} sections written on their beats.")


if __name__ == "__main__":
    main()
