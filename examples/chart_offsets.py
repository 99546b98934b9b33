"""How far each human chart sits from its audio: the shift of its notes that best matches the audio's onsets.

    python examples/chart_offsets.py ../shared/corpus/opentaiko [--tolerance-ms 20] [--max-shift-ms 120]
    python examples/chart_offsets.py ../shared/corpus --split train dev    # the songs of examples/real_music_split.py

For every map under the folder (any format `beart convert` reads, with its audio), the audio's onsets are detected
with librosa (backtracked to the attack), and the map's note starts, shifted by every whole 5 ms from -max to +max,
are matched one to one with them (`mir_eval`, within the tolerance). It prints the shift with the best F1 and that F1
against the F1 unshifted: a chart whose best shift is far from 0 is off its audio (a chart offset, a game's latency),
and training on it would teach the model a lag.

Beside it, `offset_ms`: the offset `beart check --audio` reports (`beart.processing.onset_alignment.chart_timing`, on
the file's own times where the format keeps them: the median of note minus onset of the spectral flux of the 10 ms
frames, less `ONSET_LEAD_MS`; `-` where the chart does not follow its onsets closely enough to tell), `drift_ms` (how
far apart the offsets of its thirds lie), `align_ms` (the shift `beart dataset build --align-to-onsets` moves the
chart by: onto the flux's frames, in 10 ms steps), and, at the end, the median of that offset before the lead is
taken off (note minus onset) over the Taiko and StepMania charts, games timed to the millisecond: the lead itself.
"""

import argparse
import io
import os

import librosa
import numpy as np
from real_music_split import songs

from beart.beatmaps.batch_conversion import find_audio, find_beatmap_sets, read_difficulties
from beart.evaluation.audio_check import SongCache
from beart.evaluation.dependencies import require
from beart.processing.onset_alignment import ONSET_LEAD_MS, chart_shift_ms, chart_timing


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
    parser.add_argument("folder", help="maps with their audio (with --split: the shared corpus folder)")
    parser.add_argument("--tolerance-ms", type=float, default=20.0)
    parser.add_argument("--max-shift-ms", type=float, default=120.0)
    parser.add_argument("--split", nargs="+", choices=("train", "dev", "test"), help="the real songs of these parts")
    arguments = parser.parse_args()
    folders = [song for part in arguments.split for song in songs(arguments.folder, part)] if arguments.split else [
        arguments.folder
    ]
    onsets, skipped, song_cache, timed_games = {}, [], SongCache(), []
    print("shift_ms  f1_shifted  f1_unshifted  notes  offset_ms  drift_ms  align_ms  map")
    for source in (source for folder in folders for source in find_beatmap_sets(folder)):
        for item, beatmap_set, member_name, beatmap in read_difficulties(source, skipped, for_training=False):
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
            analysis = song_cache((source, member), lambda: beatmap_set.read_bytes(member))
            align = chart_shift_ms(beatmap.hit_objects()["start"].to_numpy(np.float64), analysis.onsets_ms)
            timed = beatmap_set.timed(member_name)
            objects = beatmap.hit_objects() if timed is None else timed.objects
            timing = chart_timing(objects["start"], analysis.attacks_ms)
            offset = "-" if timing.offset_ms is None else f"{timing.offset_ms:+.1f}"
            drift = "-" if timing.drift_ms is None else f"{timing.drift_ms:.1f}"
            if timing.offset_ms is not None and os.path.splitext(source)[1].lower() in (".tja", ".sm", ".ssc"):
                timed_games.append(timing.offset_ms + ONSET_LEAD_MS)
            scores = f"{shift:+8.0f}  {shifted:10.3f}  {unshifted:12.3f}  {len(notes):5d}"
            print(f"{scores}  {offset:>9}  {drift:>8}  {align:+8.0f}  {item}")
    if timed_games:
        print(
            f"median note minus onset of the {len(timed_games)} Taiko and StepMania charts that follow their onsets: "
            f"{np.median(timed_games):+.1f} ms (per chart {min(timed_games):+.1f} to {max(timed_games):+.1f}; "
            f"ONSET_LEAD_MS {ONSET_LEAD_MS:g})"
        )
    for item, reason in skipped:
        print(f"skipped {item}: {reason}")


if __name__ == "__main__":
    main()
