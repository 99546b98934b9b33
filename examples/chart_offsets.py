"""How far each human chart sits from its audio: the shift of its notes that best matches the audio's onsets.

    python examples/chart_offsets.py ../shared/corpus/opentaiko [--tolerance-ms 20] [--max-shift-ms 120]

For every map under the folder (any format `beart convert` reads, with its audio), the audio's onsets are detected
with librosa (backtracked to the attack), and the map's note starts, shifted by every whole 5 ms from -max to +max,
are matched one to one with them (`mir_eval`, within the tolerance). It prints the shift with the best F1 and that F1
against the F1 unshifted: a chart whose best shift is far from 0 is off its audio (a chart offset, a game's latency),
and training on it would teach the model a lag.
"""

import argparse
import io

import librosa
import numpy as np

from beart.beatmaps.batch_conversion import find_audio, find_beatmap_sets, read_difficulties
from beart.evaluation.dependencies import require


def best_shift(note_ms: np.ndarray, onset_ms: np.ndarray, tolerance_ms: float, max_shift_ms: float):
    """(best shift in ms, F1 at it, F1 unshifted) of notes against onsets."""
    util = require("mir_eval.util")
    shifts = np.arange(-max_shift_ms, max_shift_ms + 1, 5.0)
    scores = []
    for shift in shifts:
        matched = len(util.match_events(onset_ms / 1000, (note_ms + shift) / 1000, tolerance_ms / 1000))
        scores.append(2 * matched / (len(note_ms) + len(onset_ms)))
    best = int(np.argmax(scores))
    return shifts[best], scores[best], scores[int(np.flatnonzero(shifts == 0)[0])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", help="maps with their audio")
    parser.add_argument("--tolerance-ms", type=float, default=20.0)
    parser.add_argument("--max-shift-ms", type=float, default=120.0)
    arguments = parser.parse_args()
    onsets, skipped = {}, []
    print("shift_ms  f1_shifted  f1_unshifted  notes  map")
    for source in find_beatmap_sets(arguments.folder):
        for item, beatmap_set, _, beatmap in read_difficulties(source, skipped, for_training=False):
            member = find_audio(beatmap_set, beatmap, item, skipped)
            if member is None:
                continue
            if (source, member) not in onsets:
                waveform, rate = librosa.load(io.BytesIO(beatmap_set.read_bytes(member)), sr=22050)
                detected = librosa.onset.onset_detect(y=waveform, sr=rate, units="time", backtrack=True)
                onsets[(source, member)] = detected * 1000.0
            notes = beatmap.hit_objects()["start"].drop_duplicates().to_numpy(np.float64)
            shift, shifted, unshifted = best_shift(
                notes, onsets[(source, member)], arguments.tolerance_ms, arguments.max_shift_ms
            )
            print(f"{shift:+8.0f}  {shifted:10.3f}  {unshifted:12.3f}  {len(notes):5d}  {item}")
    for item, reason in skipped:
        print(f"skipped {item}: {reason}")


if __name__ == "__main__":
    main()
