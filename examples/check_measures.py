"""The measures beart writes against the human charts' measures, per real song of `examples/real_music_split.py`: the
share of the written downbeats (every fourth beat of the grid a generated map of the whole song is written on,
`BeatmapGenerationPipeline.written_tempo`, counted from the tempo map's first time, which `tempo_map.on_downbeat` puts
on the beat after which the bass sounds loudest) that land within 70 ms of a chart's downbeat, over the span the
chart's measures cover; `--first-beat` counts from the first beat as tracked, before
the downbeat is chosen (`tempo_sections(..., downbeat=False)`). 1.00 where the measures agree; 0.50 at best where the song is written at twice the chart's
tempo (every other written downbeat is a chart's); 0.00 where they start on another beat.

A chart's downbeats: a StepMania chart's or TJA chart's beat 0 and every fourth beat from it on its own tempo (a TJA
chart that changes metre with `#MEASURE` is left out), a Frets on Fire chart's MIDI bars (`pretty_midi`).

    python examples/check_measures.py ../shared/corpus [--splits train dev test] [--first-beat]
"""

import argparse
import glob
import os
import sys

import numpy as np
import pretty_midi

from beart.audio import load_audio
from beart.beatmaps.beat_grid import BEATS_PER_MEASURE, BeatGrid
from beart.beatmaps.formats import open_beatmap_set
from beart.beatmaps.intermediate import QUANTUM_MS, ROWS_PER_BEAT, IntermediateBeatmap
from beart.evaluation.evaluate import SAMPLING_RATE, find_reference_songs
from beart.generation.pipeline_beatmap_generation import BeatmapGenerationPipeline
from beart.processing import BeartFeatureExtractor, SongAnalysis
from beart.processing.audio_priors import bass_level
from beart.processing.tempo_map import tempo_sections


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from real_music_split import game, songs  # noqa: E402


TOLERANCE_MS = 70.0


def chart_downbeats(folder: str) -> np.ndarray | None:
    """The times (ms) of the measures of the song's first chart file, or `None` where they cannot be counted."""
    midi = os.path.join(folder, "notes.mid")
    if os.path.exists(midi):
        return pretty_midi.PrettyMIDI(midi).get_downbeats() * 1000.0
    (chart, *_) = sorted(glob.glob(os.path.join(folder, "*.tja")) + glob.glob(os.path.join(folder, "*.s[ms]*")))
    if chart.endswith(".tja") and b"#MEASURE" in open(chart, "rb").read():
        return None
    beatmap_set = open_beatmap_set(chart)
    tempo = beatmap_set.timed(beatmap_set.difficulty_names[0]).tempo  # its first time is the chart's beat 0
    grid = BeatGrid(tempo)
    first_row = grid.rows_at([tempo["time"].iloc[0]], (1,))[0]
    last_row = grid.rows_at([tempo["time"].iloc[-1] + 600000.0], (1,))[0]
    return grid.times_at(np.arange(first_row, last_row, BEATS_PER_MEASURE * ROWS_PER_BEAT))


def written_grid(analysis: SongAnalysis) -> BeatGrid:
    """The grid a map of the whole song is written on (its TEMPO column as the pipeline writes it)."""
    steps = len(analysis) * analysis.mel_slices.shape[1]
    song = IntermediateBeatmap(
        {"TIME": QUANTUM_MS * np.arange(steps), "TEMPO": 0.0, "LEFT": np.zeros(steps, dtype=np.uint8)},
        {"audio": "song.ogg", "difficulty": 0.5, "tracks": ["LEFT"]},
    )
    song.data["TEMPO"] = BeatmapGenerationPipeline.written_tempo(song, analysis)
    return BeatGrid.of(song)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", help="the shared corpus folder")
    parser.add_argument("--splits", nargs="+", default=["train", "dev", "test"], choices=["train", "dev", "test"])
    parser.add_argument("--first-beat", action="store_true", help="count the measures from the first beat as tracked")
    arguments = parser.parse_args()
    feature_extractor = BeartFeatureExtractor()
    print("| split | game | song | written BPM | written downbeats on the chart's |")
    print("| --- | --- | --- | --- | --- |")
    for split in arguments.splits:
        for folder in songs(arguments.corpus, split):
            downbeats = chart_downbeats(folder)
            name = os.path.basename(folder)
            if downbeats is None or not len(downbeats):
                print(f"| {split} | {game(folder)} | {name} | | (the chart changes metre) |")
                continue
            song = find_reference_songs(folder, [])[0]
            waveform = load_audio(song.audio, target_sampling_rate=SAMPLING_RATE)
            analysis = SongAnalysis.from_audio(waveform, feature_extractor, sampling_rate=SAMPLING_RATE)
            tempo = analysis.tempo_map
            if tempo is None:
                print(f"| {split} | {game(folder)} | {name} | | (no beat grid) |")
                continue
            if arguments.first_beat:
                bass = bass_level(analysis.mel_slices)
                analysis.tempo_map = tempo_sections(analysis.flux, analysis.beat_grid, bass=bass, downbeat=False)
            grid = written_grid(analysis)
            last_row = grid.rows_at([downbeats.max() + 1000.0], (1,))[0]
            written = grid.times_at(np.arange(0, last_row, BEATS_PER_MEASURE * ROWS_PER_BEAT))
            written = written[(written >= downbeats.min() - TOLERANCE_MS) & (written <= downbeats.max() + TOLERANCE_MS)]
            distance = np.abs(written[:, None] - downbeats[None, :]).min(axis=1)
            share = float(np.mean(distance < TOLERANCE_MS))
            print(f"| {split} | {game(folder)} | {name} | {tempo['bpm'].iloc[0]:.2f} | {share:.2f} |", flush=True)


if __name__ == "__main__":
    main()
