"""How the beat tracker's tempo prior and `make_playable` change generated maps on a song with human charts: pooled
onset F1 at +-50 ms of the bundled model's maps against the charts, for each prior, with and without playable maps.

    python examples/diagnose_tempo_prior.py "../shared/corpus/stepmania/Goin' Under" --seconds 60 --priors 120 140

Every chart of the set whose steps type contains `--steps-type` (default `single`) is compared with a map generated
for its difficulty (mania, seed 0) over the first `--seconds` of the song.
"""

import argparse
import os
import tempfile

import numpy as np
from transformers import pipeline

import beart.processing.audio_priors as audio_priors
from beart.beatmaps.batch_conversion import find_audio, find_beatmap_sets, read_difficulties
from beart.evaluation.onset_metrics import match_counts, onset_times, scores_from_counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("song", help="a beatmap set with its audio")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--priors", type=float, nargs="+", default=[120.0, 140.0])
    parser.add_argument("--steps-type", default="single")
    arguments = parser.parse_args()
    source = find_beatmap_sets(arguments.song)[0]
    charts = [
        (beatmap_set, beatmap)
        for item, beatmap_set, _, beatmap in read_difficulties(source, [], for_training=False)
        if arguments.steps_type in item
    ]
    beatmap_set, first = charts[0]
    audio = os.path.join(tempfile.mkdtemp(), "song" + os.path.splitext(first.audio)[1])
    with open(audio, "wb") as file:
        file.write(beatmap_set.read_bytes(find_audio(beatmap_set, first, source, [])))
    generator = pipeline("beatmap-generation")
    print("prior  playable  f1_50ms")
    for prior in arguments.priors:
        audio_priors.BEAT_TRACKER_TEMPO_PRIORS = (prior,)
        for playable in (False, True):
            counts = np.zeros(3, dtype=np.int64)
            for _, chart in charts:
                generated = generator(audio, mode="mania", difficulty=chart.difficulty, seed=0, end=arguments.seconds,
                                      playable=playable, progress=False)  # fmt: skip
                reference = onset_times(chart)
                reference = reference[reference < arguments.seconds]
                matched = match_counts(reference, onset_times(generated), 50.0)["matched"]
                counts += [matched, len(reference), len(onset_times(generated))]
            print(f"{prior:5.0f}  {str(playable):8}  {scores_from_counts(*counts)['f1']:.3f}")


if __name__ == "__main__":
    main()
