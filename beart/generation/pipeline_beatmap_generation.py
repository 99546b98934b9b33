"""The `beatmap-generation` pipeline: a song in, an intermediate beatmap (and optionally a playable file) out."""

import os
import secrets
import tempfile
from collections.abc import Iterable

import numpy as np
from transformers import Pipeline
from transformers.utils import logging

from ..audio import AudioError, audio_tags, encode_ogg
from ..beatmaps import BeatmapError, IntermediateBeatmap
from ..beatmaps.fretsonfire_reader import song_folder_audio, song_folder_stem_files, song_folder_tags, stem_name
from ..beatmaps.formats import (
    WRITE_MODES, format_for_mode, has_one_lane, has_two_hands, mode_of_output, tracks_of_mode, write_beatmaps,
)  # fmt: skip
from ..beatmaps.beat_grid import BEATS_PER_MEASURE
from ..beatmaps.playability import make_playable
from ..beatmaps.sustains import release_before_silences, silence_starts_ms, sustain_into_rests
from ..beatmaps.tracks import MODE_FOR_TRACK_COUNT, retrack, tracks_of_count
from ..beatmaps.intermediate import QUANTUM_MS, TRACK_COUNTS, TRACK_NAMES
from ..beatmaps.numbers import is_whole_number
from ..processing import BeartProcessor, SongAnalysis
from ..decoding_options import STRATEGIES, DecodingOptions, decoded_track_count
from ..modeling.hub_upload import file_times, pop_hub_arguments, push_saved, upload_saved_folder
from ..modeling.generation_beart import DECODING_KEYS, STRATEGY_OPTIONS, decoding_settings, silence_gate


logger = logging.get_logger(__name__)

DEFAULT_MODEL_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "default_model")
GENERATION_MODES = WRITE_MODES
# Songs of a list decoded together, one forward pass per step for all of them; a longer list goes a batch at a time, so
# that a folder of songs is not held whole (each song's waveform and analysis, and a forward pass of them all).
SONGS_PER_BATCH = 16


def default_model_path() -> str:
    """The folder of the model bundled with the package (used when no model is given)."""
    if not os.path.isfile(os.path.join(DEFAULT_MODEL_DIR, "config.json")):
        raise FileNotFoundError(
            f"This install has no bundled model ({DEFAULT_MODEL_DIR}); pass a model id or folder (--model)."
        )
    return DEFAULT_MODEL_DIR


def load_generator(model_name_or_path=None) -> "BeatmapGenerationPipeline":
    """
    The `beatmap-generation` pipeline of a model, loaded as `beart generate --model` loads it (`beart.load_model` and
    `beart.load_processor`): a hub id the Hugging Face cache holds is read without the network, where
    `pipeline("beatmap-generation", model=ID)` asks the hub about every file first (offline, 6 min of retries).

    Args:
        model_name_or_path (`str` or `os.PathLike`, *optional*): a hub id, a folder, or an original `.pt`
            checkpoint; by default the bundled model.
    """
    from transformers import pipeline

    from ..loading import load_model, load_processor

    model_name_or_path = model_name_or_path or default_model_path()
    model = load_model(model_name_or_path)
    return pipeline("beatmap-generation", model=model, processor=load_processor(model_name_or_path, model.config))


def song_tags(source: str | None) -> dict:
    """The `title` and `artist` a song names: its audio file's tags, or a song folder's `song.ini`."""
    if not source:
        return {}
    return song_folder_tags(source) if os.path.isdir(source) else audio_tags(source)


def song_title(source: str | None, title: str | None = None, tags: dict | None = None) -> str:
    """
    The title a map of a song is written under: `title` where given, else the audio file's own tag, else its file's
    name, else `"Untitled"`.

    Args:
        source (`str`, *optional*): the song's file, or its song folder (of stems).
        title (`str`, *optional*): the title asked for.
        tags (`dict`, *optional*): the file's `audio_tags`, if read already.
    """
    tags = song_tags(source) if tags is None else tags
    if title or tags.get("title") or not source:
        return title or tags.get("title") or "Untitled"
    name = os.path.basename(os.path.normpath(source))
    return name if os.path.isdir(source) else os.path.splitext(name)[0]  # a song folder: its whole name


class BeatmapGenerationPipeline(Pipeline):
    """
    Generates a beatmap for a song with a BEaRT model.

    Example:

    ```python
    >>> import beart
    >>> from transformers import pipeline

    >>> generator = pipeline("beatmap-generation", model="path/to/beart-model")
    >>> beatmap = generator("song.mp3", mode="taiko", difficulty=0.7, seed=1, output_path="song.osz")
    >>> beatmap.data.head()  # TIME (ms), TEMPO (BPM), LEFT, RIGHT: 0 none, 1 hit, 2 hold
    >>> mapset = generator("song.mp3", mode="mania", difficulty=[0.2, 0.5, 0.8], output_path="set.osz")
    ```

    Call arguments (all optional but the audio):
        audio (`str`, `bytes`, a binary file object, `np.ndarray`, `dict`, [`SongAnalysis`], or a list of them): the
            song(s): a path, a file's bytes, an open file (`open(path, "rb")`, an upload), samples (then pass
            `sampling_rate`), samples with their rate as transformers' audio pipelines take them
            (`{"raw" or "array": samples, "sampling_rate": rate}`), what a `datasets` `Audio` column gives (a
            torchcodec `AudioDecoder`; undecoded, `{"bytes": ..., "path": ...}`), a Frets on Fire / Clone Hero song
            folder (its stems mixed as the games play them; a Frets on Fire chart written into it joins its stems), or
            an analysis made before (several maps of one song then share it). A list is generated together, one
            forward pass per step for the songs of a batch, a batch at a time.
        batch_size (`int`, *optional*): the songs of a list decoded together (more take more memory: 16 three-minute
            songs about 1.5 GB); by default the pipeline's `batch_size` (`pipeline(..., batch_size=N)`), else
            `SONGS_PER_BATCH` (16). Each song's map is the same in any batch.
        mode (`str`): one of `GENERATION_MODES` (`osu`, `taiko`, `catch`, `mania`, `stepmania`, `tja`,
            `fretsonfire`); sets the tracks. Defaults to the mode whose file `output_path` names (`song.sm`,
            `song.tja`, `song/notes.chart`; `beart.beatmaps.formats.mode_of_output`), else `"osu"`.
        tracks (`list[str]`): explicit track names (1, 2 or 4 of LEFT, UP, DOWN, RIGHT), e.g. `["LEFT", "RIGHT"]`.
        difficulty (`float` or a list of them, defaults to 0.5): in [0, 1]. A list makes a map per difficulty, written
            as one set (an `.osz` of several difficulties, a simfile's charts, a TJA file's courses); the call then
            returns a list of maps per song.
        temperature, top_k, beams, max_beam_width, logit_bias, seed, prediction_steps, hit_threshold,
            difficulty_guidance, onset_prior, beat_prior, silence_db, history_steps, max_density, hold_threshold,
            decode_tracks, finest_subdivision: see [`DecodingOptions`]; `decode_tracks` decodes a map in a layout of
            more tracks and folds it onto its own (the bundled model decodes one-track maps with four).
        generation_config (`GenerationConfig`): decoding options over the model's generation config, under the call's
            own, as transformers' `generate` layers them; given to `pipeline(...)`, for every call.
        start, end (`float`): the part of the song to map, in seconds.
        strategy (`str`, defaults to `"fast"`): `"fast"` or `"legacy"` (the original beam search).
        output_path (`str`): also write a playable file there: an `.osz`, or for `stepmania` and `tja` a folder or a
            `.sm` / `.tja` path.
        overwrite (`bool`, defaults to `False`): replace existing files at `output_path` (else `FileExistsError`).
        title, artist, creator, version, model_name: metadata of the written file.
        progress (`bool`, defaults to `True`): show a progress bar over the song.

    Returns:
        [`IntermediateBeatmap`] (a list of them for a list of songs): `.data` holds `TIME` (ms), `TEMPO` (the tempo
        head's BPM per step) and one column per track; `.meta` the settings, and `output_path` when a file was written.
        The written file is timed on the song's tempo map (see `written_tempo`).
    """

    _load_processor = True
    _load_feature_extractor = False
    _load_image_processor = False
    _load_tokenizer = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not isinstance(self.processor, BeartProcessor):
            self.processor = BeartProcessor.from_model_config(self.model.config)
        source = getattr(self.model, "name_or_path", "")
        self.processor.check_fits(self.model.config, f"The processor of {source}" if source else "The processor")
        self.model.eval()

    def save_pretrained(self, save_directory, push_to_hub: bool = False, **kwargs):
        """
        Saves the model (its weights, generation config, card and BEaRT's code, the pipeline named in
        `custom_pipelines`: `BeartModel.save_pretrained`) and the processor into `save_directory`, so that
        `pipeline("beatmap-generation", model=save_directory)` loads the same pipeline, with beart installed or with
        `trust_remote_code=True`. transformers' own copy of a registered pipeline's module failed on the module's
        imports from the rest of the package (`No such file or directory: '.../generation/.beatmaps.intermediate.py'`).

        Args:
            save_directory (`str` or `os.PathLike`): the folder (made if missing).
            push_to_hub (`bool`, *optional*, defaults to `False`): upload the folder, once every file is written, in
                one commit (`repo_id`, `commit_message`, `token`, ...: `beart.modeling.hub_upload.HUB_ARGUMENTS`); the
                model's files went up before the processor's, in two.
            **kwargs: for `save_pretrained` of the model and the processor.
        """
        if os.path.isfile(save_directory):
            raise NotADirectoryError(f"{save_directory} is a file; save a pipeline into a folder.")
        hub = pop_hub_arguments(kwargs)
        before = file_times(save_directory) if push_to_hub else {}
        os.makedirs(save_directory, exist_ok=True)
        self.model.save_pretrained(save_directory, **kwargs)
        self.processor.save_pretrained(save_directory, **kwargs)
        if push_to_hub:
            upload_saved_folder(save_directory, before, **hub)

    def push_to_hub(self, repo_id: str, **hub):
        """Uploads the pipeline (model and processor, as `save_pretrained` writes them) to the Hub in one commit;
        `hub`: `commit_message`, `token`, `private`, ... (`HUB_ARGUMENTS`). Returns the commit."""
        return push_saved(self.save_pretrained, repo_id, **hub)

    def _sanitize_parameters(
        self, sampling_rate=None, start=None, end=None, mode=None, tracks=None, strategy=None, output_path=None,
        progress=None, title=None, artist=None, creator=None, version=None, model_name=None, overwrite=None,
        playable=None, sustain_rest_beats=None, generation_config=None, **decoding,
    ):  # fmt: skip
        unknown = set(decoding) - set(DECODING_KEYS)
        if unknown:
            raise TypeError(f"Unknown generation options {sorted(unknown)}.")
        if sustain_rest_beats is not None and not 0.0 <= sustain_rest_beats < float("inf"):
            raise ValueError(f"sustain_rest_beats must be 0 (none) or a number of beats, got {sustain_rest_beats}.")
        preprocess = {key: value for key, value in {"sampling_rate": sampling_rate}.items() if value is not None}
        forward = {
            key: value
            for key, value in {
                "start": start, "end": end, "mode": mode, "tracks": tracks, "strategy": strategy, "progress": progress,
                "generation_config": generation_config, **decoding,
            }.items()
            if value is not None
        }  # fmt: skip
        postprocess = {
            key: value
            for key, value in {
                "output_path": output_path, "title": title, "artist": artist, "creator": creator, "version": version,
                "model_name": model_name, "overwrite": overwrite, "playable": playable,
                "sustain_rest_beats": sustain_rest_beats,
            }.items()
            if value is not None
        }  # fmt: skip
        return preprocess, forward, postprocess

    def preprocess(self, audio, sampling_rate=None) -> dict:
        """The song's analysis (`SongAnalysis`: mel slices, then the priors' signals and the beat grid on first use),
        made once per song; a `SongAnalysis` given as the audio is used as it is."""
        if hasattr(audio, "mel_slices"):  # an analysis (also one made by another copy of this code, see remote_code)
            return {"analysis": audio}
        if isinstance(audio, (str, os.PathLike)) and os.path.isdir(audio):  # a Frets on Fire / Clone Hero song folder
            stems = song_folder_stem_files(os.fspath(audio))
            song = song_folder_audio(os.fspath(audio), stems)  # its stems mixed: the guitar heard beside the band
            by_name = {stem_name(member): data for member, data in stems.items()}  # what `lead_stem` names
            analysis = SongAnalysis.from_audio(song, self.processor.feature_extractor, stems=by_name)
            analysis.source = os.path.normpath(os.fspath(audio))  # the song: its maps are named after the folder
            return {"analysis": analysis, "song_bytes": song}
        if hasattr(audio, "get_all_samples"):  # a torchcodec `AudioDecoder`, as a `datasets` Audio column decodes
            decoded = audio.get_all_samples()
            audio, sampling_rate = decoded.data, decoded.sample_rate
        elif isinstance(audio, dict) and audio.get("raw", audio.get("array")) is None and (
            audio.get("bytes") or audio.get("path")
        ):  # fmt: skip
            audio = audio.get("bytes") or audio["path"]  # an Audio column not decoded (`Audio(decode=False)`)
        elif isinstance(audio, dict):
            samples = audio.get("raw", audio.get("array"))
            if samples is None or audio.get("sampling_rate") is None:
                raise AudioError(
                    "An audio dict needs its samples under `raw` (or `array`) and their `sampling_rate`, or the file "
                    f"under `bytes` or `path`; got keys {sorted(audio)}."
                )
            audio, sampling_rate = samples, audio["sampling_rate"]
        return {"analysis": SongAnalysis.from_audio(audio, self.processor.feature_extractor, sampling_rate)}

    @staticmethod
    def resolve_tracks(mode: str | None, tracks: list | None) -> tuple[str, list]:
        """The game mode and track names from the `mode` and `tracks` arguments."""
        if tracks is not None:
            named = [tracks] if isinstance(tracks, str) else list(tracks) if isinstance(tracks, Iterable) else []
            known = all(isinstance(name, str) and name in TRACK_NAMES for name in named)
            if not known or len(named) not in TRACK_COUNTS or len(set(named)) != len(named):
                raise BeatmapError(f"tracks must be 1, 2 or 4 distinct names from {list(TRACK_NAMES)}; got {tracks!r}.")
            tracks = named
            return mode or MODE_FOR_TRACK_COUNT[len(tracks)], tracks
        mode = mode or "osu"
        if mode not in GENERATION_MODES:
            raise BeatmapError(f"Unknown mode {mode!r}; choose one of {list(GENERATION_MODES)}.")
        return mode, tracks_of_mode(mode)

    @staticmethod
    def decoded_tracks(tracks: list, strategy: str = "fast", decode_tracks=None) -> list:
        """The tracks the model decodes a map of `tracks` with: with the `fast` strategy, the layout of
        `decode_tracks` (see [`DecodingOptions`]), whose objects `postprocess` folds onto `tracks`; else `tracks`."""
        count = decoded_track_count(decode_tracks, len(tracks)) if strategy == "fast" else len(tracks)
        return list(tracks) if count == len(tracks) else tracks_of_count(count)

    def decoding_options(
        self, tracks: list, strategy: str = "fast", generation_config=None, **decoding
    ) -> tuple[dict, DecodingOptions, list]:
        """
        The decoding options of a call, checked: what a call with them would refuse raises here, before any song is
        read (`BeatmapEvaluator` checks its options so before its first song).

        Args:
            tracks (`list[str]`): the map's tracks.
            strategy (`str`, *optional*, defaults to `"fast"`): the decoding strategy.
            generation_config (`GenerationConfig`, *optional*): options over the model's generation config, under
                the call's own.
            **decoding: the call's decoding options (`difficulty`, `hit_threshold`...).

        Returns:
            `(dict, DecodingOptions, list[str])`: the call's options over the model's generation config (with a
            fresh random `seed` where none is given), the same as `DecodingOptions`, and the tracks the map is decoded
            with (folded onto `tracks` in `postprocess`).
        """
        if strategy not in STRATEGIES:
            raise ValueError(f"Unknown strategy {strategy!r}; choose one of {list(STRATEGIES)}.")
        settings = decoding_settings(self.model.generation_config, generation_config, strategy=strategy, **decoding)
        options = DecodingOptions(**{key: value for key, value in settings.items() if key != "strategy"})
        if options.seed is None:  # drawn here, so that the map records it (`meta["source"]["seed"]`) and can be remade
            options.seed = settings["seed"] = secrets.randbelow(2**32)
        decoded_tracks = self.decoded_tracks(tracks, strategy, options.decode_tracks)
        options.validate(len(decoded_tracks))
        return settings, options, decoded_tracks

    def step_of(self, seconds: float) -> int:
        """The step (beat token) of the map `seconds` into the song fall on, rounded as `start` and `end` are."""
        return int(round(seconds * (1000 // (self.processor.tokenizer.groups * QUANTUM_MS))))

    def _decode(
        self, songs: list, start=0.0, end=None, mode=None, tracks=None, strategy="fast", progress=True,
        generation_config=None, **decoding,
    ):  # fmt: skip
        mode, tracks = self.resolve_tracks(mode, tracks)
        if not 0 <= start < float("inf") or (end is not None and not start < end < float("inf")):
            raise ValueError(f"start and end must be seconds with 0 <= start < end, got start={start}, end={end}.")
        for other_strategy, names in STRATEGY_OPTIONS.items():
            ignored = sorted(set(decoding) & set(names))
            if other_strategy != strategy and ignored:
                logger.warning(f"The {strategy} strategy ignores {ignored}: they are {other_strategy} options.")
        settings, options, decoded_tracks = self.decoding_options(tracks, strategy, generation_config, **decoding)
        if strategy == "fast" and options.lead_stem is None:  # the stem the format's charts follow, if the song has it
            options.lead_stem = settings["lead_stem"] = format_for_mode(mode).lead_stem
        elif options.lead_stem and options.lead_weight:  # asked for: say where a song does not have it
            for song in songs:
                stems = getattr(song["analysis"], "stems", {})  # an analysis made by an older copy of this code: none
                if options.lead_stem.lower() not in stems:
                    logger.warning(
                        f"{song['analysis'].source or 'The song'} has no {options.lead_stem!r} stem (stems: "
                        f"{', '.join(sorted(stems)) or 'none'}): the onset prior hears the whole song."
                    )
        num_decoded = len(decoded_tracks)
        steps_per_second = 1000 // (self.processor.tokenizer.groups * QUANTUM_MS)
        start_step = self.step_of(start)
        end_step = None if end is None else self.step_of(end)
        analyses = [song["analysis"] for song in songs]
        shortest = min(len(analysis) for analysis in analyses)
        if start_step >= shortest:
            raise ValueError(
                f"start={start} s is past the end of the song ({shortest / steps_per_second:.1f} s long); "
                "nothing to map."
            )
        if end_step is not None and end_step <= start_step:  # it failed deep in the map's own checks ("no rows")
            raise ValueError(
                f"start={start} s and end={end} s round to the same step (a step is {1 / steps_per_second:g} s); "
                "nothing to map."
            )
        results = self.model.generate(
            analyses, num_decoded, processor=self.processor, start_step=start_step, end_step=end_step,
            progress=progress, **settings,
        )  # fmt: skip
        settings = {
            "mode": mode, "tracks": tracks, "decoded_tracks": decoded_tracks, "strategy": strategy, **options.__dict__
        }  # fmt: skip
        return [{**song, "result": result, "settings": settings} for song, result in zip(songs, results)]

    def _forward(self, model_inputs: dict, **forward_parameters) -> dict:
        return self._decode([model_inputs], **forward_parameters)[0]

    def postprocess(
        self, model_outputs: dict, output_path=None, playable=True, sustain_rest_beats=None, **metadata
    ) -> IntermediateBeatmap:
        """
        Turns the tokens into a map and writes it when asked. With `playable` (the default) the map is put on the
        song's tempo map (`written_tempo`) and made playable (`beart.beatmaps.playability.make_playable`:
        snapped to 1/1-1/16 of the beat, no two objects of a track closer than a hittable gap), with its notes held
        across rests of `sustain_rest_beats` beats or more where the format's charts hold them
        (`beart.beatmaps.sustains`; by default the mode's `sustain_rest_beats`, 0 for none), and with `silence_db`
        every hold released before the song falls silent: the map returned is the map written. Without it, the model's
        own output is returned (and written on the tempo map).
        """
        tokens, tempo, first_step = model_outputs["result"]
        settings = model_outputs["settings"]
        analysis = model_outputs["analysis"]
        source = analysis.source  # a file, or a song folder of stems
        in_file = bool(source) and os.path.isfile(source)
        tags = song_tags(source)  # the song's own title and artist, where its file (or song.ini) names them
        meta = {
            "audio": os.path.basename(source) if in_file else "audio.ogg",
            "difficulty": float(settings["difficulty"]),
            "title": song_title(source, metadata.get("title"), tags),
            "artist": metadata.get("artist") or tags.get("artist") or "",
            "source": {
                "format": "beart",
                "model": getattr(self.model, "name_or_path", "") or "beart",
                **{k: v for k, v in settings.items() if k not in ("tracks", "decoded_tracks")},
            },
        }
        beatmap = self.processor.decode(tokens, tempo, first_step, settings["decoded_tracks"], meta)
        if settings["decoded_tracks"] != settings["tracks"]:
            beatmap = retrack(beatmap, settings["tracks"])
        if beatmap.hit_objects().empty:
            silence_db = silence_gate(self.model.config, settings.get("silence_db"))
            sounds = analysis.may_start(silence_db)[first_step : first_step + len(tokens)].mean() if silence_db else 1
            if sounds < 0.1:
                raise BeatmapError(
                    f"Nothing to map: the song is silent, hiss or steady sound nearly all through ({sounds:.0%} of it "
                    f"has attacks; the rest is more than {silence_db:g} dB below its loud level, of a flat spectrum "
                    "as white noise, or steady as a drone without attacks), and no object starts there (the "
                    "silence_db gate); silence_db=0 (--silence-db 0) maps it anyway."
                )
            raise BeatmapError(
                "The model generated no hits or holds for this song with these settings. Try a lower hit_threshold "
                "(e.g. 0.3), top_k above 1 with a higher temperature (e.g. 1.0), a higher difficulty, or a logit_bias "
                "raising hit tokens."
            )
        finest_subdivision = settings.get("finest_subdivision")
        if playable:
            mode = settings["mode"]
            beatmap = make_playable(
                self.on_written_grid(beatmap, analysis, finest_subdivision),
                one_lane=has_one_lane(mode),
                two_hands=has_two_hands(mode),
            )
            rest_beats, share = format_for_mode(mode).sustain_rests(mode)
            rest_beats = rest_beats if sustain_rest_beats is None else sustain_rest_beats
            silences, silence_db = None, silence_gate(self.model.config, settings.get("silence_db"))
            if silence_db:  # a note is held while it sounds
                silences = silence_starts_ms(analysis.sounding(silence_db), QUANTUM_MS)
            beatmap = release_before_silences(sustain_into_rests(beatmap, rest_beats, share, silences), silences)
        if output_path is not None:
            written = beatmap if playable else self.on_written_grid(beatmap, analysis, finest_subdivision)
            beatmap.meta["output_path"] = self._write(written, model_outputs, output_path, settings["mode"], metadata)
        return beatmap

    @staticmethod
    def written_tempo(beatmap: IntermediateBeatmap, analysis: SongAnalysis) -> np.ndarray:
        """
        The TEMPO column of the written file: the song's tempo map (`SongAnalysis.tempo_map`: its steady beat grid,
        or one per section where it changes tempo), each change on its 10 ms step, unknown (0) before the first
        downbeat at or after the map's start (whole measures from the tempo map's first time, a downbeat), so that the
        file keeps the beats' phase and its measures the song's; where no grid is found, the median of the tempo head
        from the start.
        """
        times = beatmap.data["TIME"].to_numpy(np.float64)
        tempo_map = analysis.tempo_map
        if tempo_map is None:
            known = beatmap.data["TEMPO"][beatmap.data["TEMPO"] > 0]
            return np.full(len(times), round(float(known.median()), 2) if len(known) else 0.0)
        starts, bpms = tempo_map["time"].to_numpy(np.float64), tempo_map["bpm"].to_numpy(np.float64)
        section = max(int(np.searchsorted(starts, times[0], side="right")) - 1, 0)
        beat_ms = 60000.0 / bpms[section]
        for length_ms in (BEATS_PER_MEASURE * beat_ms, beat_ms):  # a whole measure on, else (a short section) a beat
            first_beat_ms = starts[section] + max(0.0, np.ceil((times[0] - starts[section]) / length_ms)) * length_ms
            if section + 1 == len(starts) or first_beat_ms < starts[section + 1]:
                break
        later = starts > first_beat_ms
        change_steps = QUANTUM_MS * np.round(np.concatenate(([first_beat_ms], starts[later])) / QUANTUM_MS)
        written = np.round(np.concatenate(([bpms[section]], bpms[later])), 2)
        current = np.searchsorted(change_steps, times, side="right") - 1
        return np.where(current >= 0, written[np.maximum(current, 0)], 0.0)

    def on_written_grid(
        self, beatmap: IntermediateBeatmap, analysis: SongAnalysis, finest_subdivision: int | None = None
    ) -> IntermediateBeatmap:
        """The map with the song's tempo map as its TEMPO (`written_tempo`) and the song's beat subdivisions
        (`SongAnalysis.subdivisions`), those of at most `finest_subdivision` per beat where it is given (see
        `DecodingOptions.finest_subdivision`), as the ones its objects are snapped and written to."""
        written = beatmap.data.copy()
        written["TEMPO"] = self.written_tempo(beatmap, analysis)
        subdivisions = [s for s in analysis.subdivisions if not finest_subdivision or s <= finest_subdivision]
        return IntermediateBeatmap(written, {**beatmap.meta, "subdivisions": subdivisions})

    def _write(self, beatmaps, model_outputs: dict, output_path, mode: str, metadata: dict) -> str:
        """Writes the maps (one difficulty each, on the song's tempo map) as one set; an existing file is replaced only
        with `overwrite=True`."""
        beatmaps = [beatmaps] if isinstance(beatmaps, IntermediateBeatmap) else list(beatmaps)
        game_tracks = tracks_of_mode(mode)
        if len(beatmaps[0].tracks) != len(game_tracks):  # `tracks` named beside a mode of another count
            logger.warning(
                f"The map's {len(beatmaps[0].tracks)} track(s) {beatmaps[0].tracks} are written folded onto the "
                f"{len(game_tracks)} of {mode} maps {game_tracks} in {output_path}; the map returned keeps its own."
            )
        overwrite = bool(metadata.pop("overwrite", False))
        metadata = {key: value for key, value in metadata.items() if value is not None}
        metadata.setdefault(
            "model_name", os.path.basename(str(beatmaps[0].meta["source"]["model"]).rstrip("/")) or "beart"
        )
        analysis = model_outputs["analysis"]
        with tempfile.TemporaryDirectory() as folder:
            audio = analysis.source
            if audio is not None and os.path.isdir(audio):  # the stems' mix, or none where the map joins them
                audio = self._song_folder_audio(model_outputs, output_path, mode, folder)
            elif audio is None:
                if analysis.waveform is None:
                    raise ValueError("The song's analysis holds no waveform to write beside the map; analyse the file.")
                audio = os.path.join(folder, "audio.ogg")
                with open(audio, "wb") as file:
                    file.write(encode_ogg(analysis.waveform, analysis.sampling_rate))
            return write_beatmaps(beatmaps, output_path, audio, mode=mode, overwrite=overwrite, **metadata)[0]

    @staticmethod
    def _song_folder_audio(model_outputs: dict, output_path, mode: str, folder: str) -> str | None:
        """The song written beside a map of a song folder's stems: `None` where a Frets on Fire map goes into that
        folder (its stems are the song: the mix would replace its `song.ogg`), else the stems' mix as a file in
        `folder`."""
        stems = model_outputs["analysis"].source
        if mode == "fretsonfire":
            written_into = os.path.dirname(format_for_mode(mode).chart_paths(output_path, None)[0])
            if os.path.isdir(written_into) and os.path.samefile(written_into, stems):
                return None
        path = os.path.join(folder, "audio.ogg")
        with open(path, "wb") as file:
            file.write(model_outputs.get("song_bytes") or song_folder_audio(stems))  # an analysis given: mixed again
        return path

    def _check_outputs(self, audio, output_path, kwargs: dict) -> None:
        """Refuses, before any song is read, chart files the call would write that exist (`overwrite` not set):
        `BeatmapFormat.check_outputs`, the charts named after the title the map will carry (`song_title`)."""
        songs, paths = (audio, output_path) if isinstance(audio, (list, tuple)) else ([audio], [output_path])
        if isinstance(paths, (str, os.PathLike)) or len(paths) != len(songs):
            return  # refused with its own error
        beatmap_format = format_for_mode(self.resolve_tracks(kwargs.get("mode"), kwargs.get("tracks"))[0])
        for song, path in zip(songs, paths):
            if path is not None:
                named = isinstance(song, (str, os.PathLike)) and os.path.exists(song)  # a file, or a song folder
                source = os.path.normpath(os.fspath(song)) if named else None
                title = song_title(source, kwargs.get("title"))
                beatmap_format.check_outputs(path, title, bool(kwargs.get("overwrite")), source)

    def _mapsets(self, audio, difficulty, output_path=None, overwrite=None, sampling_rate=None, **kwargs):
        """A map per difficulty of each song (its analysis made once), written as one set per song: an `.osz` of
        several difficulties, a simfile of several charts, a TJA file of several courses, a guitar part of several
        difficulties."""
        if isinstance(audio, (list, tuple)):
            paths = [None] * len(audio) if output_path is None else list(output_path)
            if len(paths) != len(audio):
                raise ValueError("Give one output path per song.")
            return [
                self._mapsets(song, difficulty, path, overwrite, sampling_rate, **kwargs)
                for song, path in zip(audio, paths)
            ]
        if not difficulty:
            raise ValueError("Give at least one difficulty.")
        if output_path is not None:  # a set or an output the format cannot write fails before anything is generated
            beatmap_format = format_for_mode(self.resolve_tracks(kwargs.get("mode"), kwargs.get("tracks"))[0])
            beatmap_format.check_set_size(len(difficulty))
            beatmap_format.check_output_path(output_path)
        model_inputs = self.preprocess(audio, sampling_rate)
        analysis = model_inputs["analysis"]
        beatmaps = [super(BeatmapGenerationPipeline, self).__call__(analysis, difficulty=level, **kwargs)
                    for level in difficulty]  # fmt: skip
        if output_path is not None:
            mode, _ = self.resolve_tracks(kwargs.get("mode"), kwargs.get("tracks"))
            playable = kwargs.get("playable", True)
            written = beatmaps if playable else [
                self.on_written_grid(beatmap, analysis, beatmap.meta["source"].get("finest_subdivision"))
                for beatmap in beatmaps
            ]
            metadata = {key: kwargs.get(key) for key in ("title", "artist", "creator", "version", "model_name")}
            path = self._write(written, model_inputs, output_path, mode, {**metadata, "overwrite": overwrite})
            for beatmap in beatmaps:
                beatmap.meta["output_path"] = path
        return beatmaps

    def __call__(self, audio, batch_size=None, num_workers=None, **kwargs):
        """Generates for one song, or for a list of songs together, `batch_size` songs at a time (see the class
        docstring). `num_workers`, which transformers' pipelines take for their data loader, is taken and not used:
        the songs of a list are read one after another and decoded together."""
        songs_per_batch = self._batch_size if batch_size is None else batch_size
        songs_per_batch = SONGS_PER_BATCH if songs_per_batch is None else songs_per_batch
        if not (is_whole_number(songs_per_batch) and songs_per_batch >= 1):
            raise ValueError(f"batch_size must be a whole number of songs, 1 or more; got {songs_per_batch!r}.")
        songs_per_batch = int(songs_per_batch)
        output_path = kwargs.get("output_path")
        if kwargs.get("mode") is None and kwargs.get("tracks") is None and output_path is not None:
            paths = output_path if isinstance(output_path, (list, tuple)) else [output_path]
            modes = {mode_of_output(path) for path in paths if path is not None}
            kwargs["mode"] = modes.pop() if len(modes) == 1 else None  # `song.sm`: a StepMania simfile
        if output_path is not None:
            self._check_outputs(audio, output_path, kwargs)
        if isinstance(kwargs.get("difficulty"), (list, tuple)):
            return self._mapsets(audio, **kwargs)
        if not isinstance(audio, (list, tuple)):
            return super().__call__(audio, **kwargs)
        preprocess, forward, postprocess = self._sanitize_parameters(**kwargs)
        paths = postprocess.pop("output_path", None)
        if paths is not None and (isinstance(paths, (str, os.PathLike)) or len(paths) != len(audio)):
            raise ValueError("Give a list of output paths, one per song.")  # before any song is decoded
        beatmaps = []
        for first in range(0, len(audio), songs_per_batch):  # a long list is held and decoded a batch at a time
            songs = [self.preprocess(song, **preprocess) for song in audio[first : first + songs_per_batch]]
            if forward.get("strategy", "fast") == "legacy":
                outputs = [self._forward(song, **forward) for song in songs]
            else:
                outputs = self._decode(songs, **forward)
            beatmaps += [
                self.postprocess(output, output_path=None if paths is None else paths[first + index], **postprocess)
                for index, output in enumerate(outputs)
            ]
            del songs, outputs  # the batch's analyses go before the next batch is read
        return beatmaps
