"""A web demo: upload a song, pick a game mode and a difficulty, preview the map, download it to play.

    pip install -e ".[demo]"
    python examples/app.py [--model DIR_OR_ID] [--port 7860]

then open http://127.0.0.1:7860 in a browser. Every mode of the format registry is offered: osu! modes download as an
`.osz`, the song-folder games (StepMania, Taiko simulators, Frets on Fire / Clone Hero) as a `.zip` of the song's
folder, to unpack into the game's songs folder. Everything runs locally with the bundled model unless --model; the
demo keeps the last `KEPT_OUTPUTS` maps it made on disk and removes them all when it stops.
"""

import argparse
import atexit
import os
import shutil
import tempfile

import beart
from beart.beatmaps.files import safe_filename
from beart.beatmaps.formats import WRITE_MODES, format_for_mode
from beart.evaluation.plots import plot_piano_roll


PREVIEW_SECONDS = 20.0
KEPT_OUTPUTS = 16  # maps kept on disk for download; older ones are removed as new ones are made


def make_beatmap(generator, song: str, mode: str, difficulty: float, seed: int, output_root: str) -> tuple:
    """
    Generates the map of one request and writes what the user downloads.

    Args:
        generator (`BeatmapGenerationPipeline`): the pipeline.
        song (`str`): the uploaded song's path.
        mode (`str`): one of `WRITE_MODES`.
        difficulty (`float`): 0-1.
        seed (`int`): the seed of the draws.
        output_root (`str`): the demo's own folder; each request gets a folder inside it, and only the newest
            `KEPT_OUTPUTS` stay.

    Returns:
        `(preview, download, summary)`: the piano roll's PNG, the `.osz` or `.zip`, and a line of markdown.

    Raises:
        `ValueError` or `OSError`: the package's errors (audio, limits, maps), for the page to show.
    """
    folder = tempfile.mkdtemp(dir=output_root)
    forget_old_outputs(output_root, keep=folder)
    title = os.path.splitext(os.path.basename(song))[0]
    beatmap_format = format_for_mode(mode)
    name = safe_filename(title, f" ({mode})")
    output = os.path.join(folder, name + beatmap_format.archive)  # an .osz, or a song folder
    beatmap = generator(
        song, mode=mode, difficulty=float(difficulty), seed=int(seed), title=title, output_path=output, progress=False
    )
    download = output
    if beatmap_format.song_folder:  # the song's folder, as the game's songs folder takes it
        download = shutil.make_archive(output, "zip", root_dir=folder, base_dir=name)
    objects = beatmap.hit_objects()
    first = float(objects["start"].min()) / 1000.0
    preview = plot_piano_roll(
        {"generated": beatmap},
        os.path.join(folder, "preview.png"),
        start=max(0.0, first - 1.0),
        seconds=PREVIEW_SECONDS,
        title=f"{title}: {mode}, difficulty {difficulty:.2f}",
    )
    holds = int((objects["end"] > objects["start"]).sum())
    how = (
        f"Unpack the `.zip` into the songs folder of {beatmap_format.game} to play it."
        if beatmap_format.song_folder
        else f"Open the `.osz` with {beatmap_format.game} to play it."
    )
    summary = (
        f"**{len(objects)} objects** ({holds} holds) over {len(beatmap) / 100:.1f} s on "
        f"{len(beatmap.tracks)} track(s). {how}"
    )
    return preview, download, summary


def forget_old_outputs(output_root: str, keep: str) -> None:
    """Removes all but the newest `KEPT_OUTPUTS` request folders of `output_root` (never `keep`), so that a demo left
    running does not fill the disk with every song uploaded to it (each map's set holds a copy of its song)."""
    folders = [entry for entry in os.scandir(output_root) if entry.is_dir(follow_symlinks=False)]
    folders.sort(key=lambda entry: entry.stat(follow_symlinks=False).st_mtime_ns, reverse=True)
    for entry in folders[KEPT_OUTPUTS:]:
        if entry.path != keep:
            shutil.rmtree(entry.path, ignore_errors=True)


def build_demo(model: str | None = None):
    """The Gradio app around a `beatmap-generation` pipeline (the bundled model unless `model`)."""
    import gradio as gr

    generator = beart.load_generator(model)  # a hub id in the cache loads without the network
    output_root = tempfile.mkdtemp(prefix="beart-demo-")
    atexit.register(shutil.rmtree, output_root, ignore_errors=True)

    def generate(song: str | None, mode: str, difficulty: float, seed: float):
        if not song:
            raise gr.Error("Upload a song first (wav, ogg, mp3 or flac).")
        try:
            return make_beatmap(generator, song, mode, difficulty, int(seed), output_root)
        except (OSError, ValueError) as error:  # as `beart generate`: the package's errors (audio, limits) included
            raise gr.Error(str(error)) from error

    with gr.Blocks(title="BEaRT beatmap generator") as demo:
        gr.Markdown("# BEaRT: a beatmap for your song\nUpload a song you own; the map is generated on this machine.")
        with gr.Row():
            with gr.Column():
                song = gr.Audio(label="Song", type="filepath", sources=["upload"])
                mode = gr.Dropdown(list(WRITE_MODES), value="osu", label="Game mode")
                difficulty = gr.Slider(0.0, 1.0, value=0.5, step=0.05, label="Difficulty")
                seed = gr.Number(value=0, precision=0, label="Seed")
                button = gr.Button("Generate", variant="primary", elem_id="generate")
            with gr.Column():
                preview = gr.Image(label="Preview (piano roll)", type="filepath", elem_id="preview")
                download = gr.File(label="Beatmap (.osz, or the song's folder as a .zip)", elem_id="download")
                summary = gr.Markdown(elem_id="summary")
        button.click(generate, inputs=[song, mode, difficulty, seed], outputs=[preview, download, summary])
    return demo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a model id or folder (default: the bundled model)")
    parser.add_argument("--port", type=int, default=7860)
    arguments = parser.parse_args()
    build_demo(arguments.model).launch(server_name="127.0.0.1", server_port=arguments.port)


if __name__ == "__main__":
    main()
