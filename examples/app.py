"""A web demo: upload a song, pick a game mode and a difficulty, preview the map, download the `.osz`.

    pip install -e ".[demo]"
    python examples/app.py [--model DIR_OR_ID] [--port 7860]

then open http://127.0.0.1:7860 in a browser. Everything runs locally with the bundled model unless --model.
"""

import argparse
import os
import tempfile

import gradio as gr

import beart
from beart.evaluation.plots import plot_piano_roll


MODES = ["osu", "taiko", "catch", "mania"]
PREVIEW_SECONDS = 20.0


def build_demo(model: str | None = None) -> gr.Blocks:
    """The Gradio app around a `beatmap-generation` pipeline (the bundled model unless `model`)."""
    generator = beart.load_generator(model)  # a hub id in the cache loads without the network
    output_root = tempfile.mkdtemp(prefix="beart-demo-")

    def generate(song: str | None, mode: str, difficulty: float, seed: float):
        if not song:
            raise gr.Error("Upload a song first (wav, ogg, mp3 or flac).")
        folder = tempfile.mkdtemp(dir=output_root)
        title = os.path.splitext(os.path.basename(song))[0]
        try:
            beatmap = generator(
                song,
                mode=mode,
                difficulty=float(difficulty),
                seed=int(seed),
                title=title,
                output_path=os.path.join(folder, f"{title} ({mode}).osz"),
                progress=False,
            )
        except (OSError, ValueError) as error:  # as `beart generate`: the package's errors (audio, limits) included
            raise gr.Error(str(error)) from error
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
        summary = (
            f"**{len(objects)} objects** ({holds} holds) over {len(beatmap) / 100:.1f} s on "
            f"{len(beatmap.tracks)} track(s). Open the `.osz` with osu! to play it."
        )
        return preview, beatmap.meta["output_path"], summary

    with gr.Blocks(title="BEaRT beatmap generator") as demo:
        gr.Markdown("# BEaRT: a beatmap for your song\nUpload a song you own; the map is generated on this machine.")
        with gr.Row():
            with gr.Column():
                song = gr.Audio(label="Song", type="filepath", sources=["upload"])
                mode = gr.Dropdown(MODES, value="osu", label="Game mode")
                difficulty = gr.Slider(0.0, 1.0, value=0.5, step=0.05, label="Difficulty")
                seed = gr.Number(value=0, precision=0, label="Seed")
                button = gr.Button("Generate", variant="primary", elem_id="generate")
            with gr.Column():
                preview = gr.Image(label="Preview (piano roll)", type="filepath", elem_id="preview")
                download = gr.File(label="Beatmap (.osz)", elem_id="download")
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
