"""Looking inside a BEaRT model: the attention maps of one generation step and a 2-D map of the token embeddings."""

import os

import numpy as np
import torch

from .beatmaps.errors import BeatmapError
from .beatmaps.intermediate import QUANTUM_MS
from .evaluation.plots import load_pyplot, save_figure
from .modeling import BeartModel
from .modeling.generation_beart import GENERATION_KEYS
from .processing import BeartProcessor
from .safety import check_writable
from .beat_vocabulary import RESERVED_TOKENS


def token_kind(name: str) -> str:
    """The kind of a vocabulary entry: `reserved` for `[PAD]`, `[EASY]`, ... else the beat-token kind (`hit+hit`)."""
    if name in RESERVED_TOKENS:
        return "reserved"
    return "+".join(event.split(":")[0] for event in name.strip("[]").split("|"))


def step_attentions(
    model: BeartModel,
    processor: BeartProcessor,
    mel_slices: np.ndarray,
    beat_tokens: np.ndarray,
    step: int,
    difficulty: float = 0.5,
    scored_track: int = 0,
) -> np.ndarray:
    """
    The attention weights of every layer and head for the model input of one generation step: the map's tokens
    before the step as context, the scored track's current token (and those of the tracks after it) masked.

    Args:
        model (`BeartModel`): the model.
        processor (`BeartProcessor`): its processor.
        mel_slices (`np.ndarray` of shape `(num_slices, groups, mel_bands)`): the song's features.
        beat_tokens (`np.ndarray` of shape `(num_steps, num_tracks)`): the map's beat tokens (e.g. generated).
        step (`int`): the 100 ms step predicted.
        difficulty (`float`, *optional*, defaults to 0.5): the difficulty token of the input.
        scored_track (`int`, *optional*, defaults to 0): the track predicted at the step.

    Returns:
        `np.ndarray` of shape `(num_layers, num_heads, sequence_length, sequence_length)`: rows attend to columns.
    """
    inputs = processor(
        mel_slices=mel_slices,
        beat_tokens=beat_tokens,
        difficulty=difficulty,
        steps=[step],
        scored_tracks=[scored_track],
        return_tensors="pt",
    )
    with torch.inference_mode():
        outputs = model(
            input_ids=inputs["input_ids"],
            input_features=inputs["input_features"],
            token_type_ids=inputs["token_type_ids"],
            output_attentions=True,
        )
    return torch.stack(outputs.attentions)[:, 0].float().numpy()


def plot_attention_maps(
    attentions: np.ndarray, path, scored_positions=(), track_length: int | None = None, title: str = ""
) -> str:
    """
    A grid of attention maps, one row per layer and one column per head (log-scaled weights), with the track
    boundaries and the scored positions marked.

    Args:
        attentions (`np.ndarray` of shape `(num_layers, num_heads, sequence_length, sequence_length)`): the weights.
        path (`str`): the PNG to write.
        scored_positions (`tuple[int]`, *optional*): positions of the predicted tokens, marked in red.
        track_length (`int`, *optional*): positions per track, for the boundary lines.
        title (`str`, *optional*): the figure's title.
    """
    pyplot = load_pyplot()
    num_layers, num_heads, length, _ = attentions.shape
    figure, axes = pyplot.subplots(
        num_layers, num_heads, figsize=(2.2 * num_heads, 2.2 * num_layers), squeeze=False, sharex=True, sharey=True
    )
    for layer in range(num_layers):
        for head in range(num_heads):
            axis = axes[layer, head]
            axis.imshow(np.log10(attentions[layer, head] + 1e-6), cmap="magma", vmin=-4, vmax=0, interpolation="none")
            for boundary in range(track_length or length, length, track_length or length):
                axis.axhline(boundary - 0.5, color="white", linewidth=0.4)
                axis.axvline(boundary - 0.5, color="white", linewidth=0.4)
            for position in scored_positions:
                axis.axhline(position, color="red", linewidth=0.4, alpha=0.6)
            axis.set_xticks([])
            axis.set_yticks([])
            if layer == 0:
                axis.set_title(f"head {head}", fontsize="small")
            if head == 0:
                axis.set_ylabel(f"layer {layer}", fontsize="small")
    figure.suptitle(title or "attention (log10 weight; rows attend to columns)")
    return save_figure(figure, path)


def plot_token_embeddings(model: BeartModel, processor: BeartProcessor, path) -> str:
    """
    The token embeddings projected on their first two principal components, coloured by token kind, with the
    reserved tokens named.

    Args:
        model (`BeartModel`): the model.
        processor (`BeartProcessor`): its processor (for the token names).
        path (`str`): the PNG to write.
    """
    pyplot = load_pyplot()
    embeddings = model.get_input_embeddings().weight.detach().float().numpy()
    centred = embeddings - embeddings.mean(axis=0)
    _, singular_values, components = np.linalg.svd(centred, full_matrices=False)
    projected = centred @ components[:2].T
    explained = singular_values[:2] ** 2 / np.sum(singular_values**2)
    names = processor.tokenizer.vocabulary.token_names
    kinds = np.array([token_kind(name) for name in names])
    figure, axis = pyplot.subplots(figsize=(8, 6.5))
    for kind in dict.fromkeys(kinds):
        chosen = kinds == kind
        axis.scatter(projected[chosen, 0], projected[chosen, 1], s=18, label=kind)
    for index in np.flatnonzero(kinds == "reserved"):
        axis.annotate(names[index], projected[index], fontsize="x-small")
    axis.set_xlabel(f"first component ({explained[0]:.0%} of the variance)")
    axis.set_ylabel(f"second component ({explained[1]:.0%} of the variance)")
    axis.legend(fontsize="small", markerscale=1.2)
    axis.set_title("token embeddings")
    return save_figure(figure, path)


def inspect_generation(
    generator, audio, output_dir, at: float, overwrite: bool = False, **generation_options
) -> list[str]:
    """
    Generates a map of a song up to `at` seconds, then plots the attention maps of the model at that step (every
    track's first prediction) and the token embeddings.

    Args:
        generator ([`BeatmapGenerationPipeline`]): the pipeline of the model.
        audio (`str`, `bytes` or `np.ndarray`): the song (see the pipeline).
        output_dir (`str`): where `attention_step_<step>.png` and `token_embeddings.png` go.
        at (`float`): the moment inspected, in seconds.
        overwrite (`bool`, *optional*, defaults to `False`): replace the PNGs of an earlier inspection; without it
            they are refused before anything is generated.
        **generation_options: `mode`, `tracks`, `difficulty`, `seed`, ... for the pipeline.

    Returns:
        `list[str]`: the PNGs written.
    """
    processor, model = generator.processor, generator.model
    steps_per_second = 1000 / (processor.tokenizer.groups * QUANTUM_MS)
    if not 0.0 <= at < float("inf"):
        raise ValueError(f"--at must be a moment of the song in seconds, got {at}.")
    step = int(round(at * steps_per_second))
    attention_path = os.path.join(output_dir, f"attention_step_{step}.png")
    embeddings_path = os.path.join(output_dir, "token_embeddings.png")
    for path in (attention_path, embeddings_path):
        check_writable(path, overwrite)
    analysis = generator.preprocess(audio, sampling_rate=generation_options.pop("sampling_rate", None))["analysis"]
    if not 0 <= step < len(analysis):
        raise ValueError(f"--at {at} s lies outside the song (0 to {len(analysis) / steps_per_second} s).")
    # the map in the layout the model decodes it with (`decode_tracks`: a one-track map is decoded with more tracks)
    _, tracks = generator.resolve_tracks(generation_options.pop("mode", None), generation_options.pop("tracks", None))
    call = {key: value for key, value in generation_options.items() if key in GENERATION_KEYS}
    _, options, decoded = generator.decoding_options(tracks, call.pop("strategy", "fast"), **call)
    try:
        beatmap = generator(
            analysis,
            tracks=decoded,
            end=(step + 1) / steps_per_second,
            progress=False,
            **generation_options,
        )
        beat_tokens = processor.tokenizer.encode_events(beatmap.data[beatmap.tracks].to_numpy())
        difficulty = beatmap.difficulty
    except BeatmapError:  # nothing placed up to the step (a quiet intro, the first step): the history is empty
        beat_tokens = np.full((step + 1, len(decoded)), processor.tokenizer.empty_token_id)
        difficulty = options.difficulty
    num_tracks = beat_tokens.shape[1]
    attentions = step_attentions(model, processor, analysis.mel_slices, beat_tokens, step, difficulty, scored_track=0)
    window, _ = processor.track_layout(num_tracks)
    paths = [
        plot_attention_maps(
            attentions,
            attention_path,
            scored_positions=processor.scored_positions(num_tracks),
            track_length=window + 1,
            title=f"attention at {step / steps_per_second:.1f} s, {num_tracks} track(s); rows attend to columns",
        ),
        plot_token_embeddings(model, processor, embeddings_path),
    ]
    return paths
