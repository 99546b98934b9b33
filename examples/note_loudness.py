"""How loud the song sounds where human charts put their notes, per real song of `examples/real_music_split.py`: each
note's depth below the song's loud level as the `silence_db` gate reads it (`audio_priors.depth_below_loud`: the
loudest 10 ms frame from 20 ms before the note to 50 ms after it, against the 95th percentile of the song's frames),
the quietest note and the 0.1% quantile, the notes the gate would keep off at `--silence-db`, and the share of the song
where it keeps every object off (its silence); and the song's typical attack as the onset prior reads it
(`audio_priors.onset_evidence`: the median over its 100 ms steps of a step's strongest frame of spectral flux); and how
flat the song's spectrum is where it sounds and at its notes, as the hiss gate reads it (`audio_priors.hiss_frames`:
the flatness of the mel bands below 11 kHz over 250 ms), with the frames within `--silence-db` it would gate as hiss;
and the notes in steady sound, where the gate starts no object (`audio_priors.steady_frames`: no attack within 50 ms).
The ground for the bundled model's `silence_db` (docs/generation.md, "Silence"), for `MIN_TYPICAL_FLUX`, for
`HISS_FLATNESS` and for `STEADY_RISE`.

    python examples/note_loudness.py ../shared/corpus [--splits train dev test] [--silence-db 50]
"""

import argparse
import os
import sys

import numpy as np

from beart.evaluation.evaluate import find_reference_songs
from beart.evaluation.onset_metrics import onset_times
from beart.processing import BeartFeatureExtractor, SongAnalysis
from beart.processing.audio_priors import FRAMES_PER_SECOND, SILENCE_DB, spectral_flatness


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from real_music_split import game, songs  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", help="the shared corpus folder")
    parser.add_argument("--splits", nargs="+", default=["train", "dev", "test"], choices=["train", "dev", "test"])
    parser.add_argument("--silence-db", type=float, default=SILENCE_DB, help="the gate's depth (dB)")
    arguments = parser.parse_args()
    feature_extractor = BeartFeatureExtractor()
    print(f"| split | game | song | notes | quietest note (dB below loud) | 0.1% quantile | notes kept off at "
          f"{arguments.silence_db:g} dB | song silent at {arguments.silence_db:g} dB | typical attack | "
          "flattest note | flattest frame that sounds | frames that sound gated as hiss | notes in steady sound |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    depths = []
    for split in arguments.splits:
        for folder in songs(arguments.corpus, split):
            for song in find_reference_songs(folder, []):
                analysis = SongAnalysis.from_audio(song.audio, feature_extractor)
                depth = analysis.depth_below_loud.reshape(-1)
                notes = np.concatenate([onset_times(chart) for chart in song.maps]) * FRAMES_PER_SECOND
                note_frames = np.clip(np.round(notes).astype(np.int64), 0, len(depth) - 1)
                note_depth = depth[note_frames]
                depths.append(note_depth)
                flatness = spectral_flatness(analysis.mel_slices, analysis.sampling_rate).reshape(-1)
                sounds = depth <= arguments.silence_db
                note_flatness = flatness[note_frames]
                print(
                    f"| {split} | {game(folder)} | {os.path.basename(folder)} | {len(note_depth)} | "
                    f"{note_depth.max():.1f} | {np.percentile(note_depth, 99.9):.1f} | "
                    f"{int((note_depth > arguments.silence_db).sum())} | {np.mean(depth > arguments.silence_db):.3f} | "
                    f"{np.median(analysis.flux.max(axis=1)):.3f} | {note_flatness.max():.3f} | "
                    f"{flatness[sounds].max():.3f} | {int(analysis.hiss.reshape(-1)[sounds].sum())} | "
                    f"{int(analysis.steady.reshape(-1)[note_frames].sum())} |"
                )
    depths = np.concatenate(depths)
    print(f"\nall {len(depths)} notes: quietest {depths.max():.1f} dB below the loud level; "
          f"{int((depths > arguments.silence_db).sum())} kept off at {arguments.silence_db:g} dB")


if __name__ == "__main__":
    main()
