"""Convert a checkpoint of the original BeatLearning trainer and run it on a song.

    python examples/convert_original_checkpoint.py quaver_beart_v1.pt converted-quaver --song song.mp3

Writes a transformers directory (config.json, model.safetensors, tokenizer and preprocessor files), loads it back
through the Auto classes, and prints the tempo the model hears and its first beat-token guesses for an empty map.
"""

import argparse

import numpy as np
import torch
from transformers import AutoModel, AutoProcessor

import beart  # noqa: F401  (registers the BEaRT classes with the Auto API)
from beart.conversion import convert_original_checkpoint


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", help="the original .pt file, e.g. quaver_beart_v1.pt")
    parser.add_argument("output_dir", help="folder for the converted model")
    parser.add_argument("--song", help="an audio file to run the converted model on")
    parser.add_argument("--difficulty", type=float, default=0.5)
    parser.add_argument("--overwrite", action="store_true", help="write into an OUTPUT_DIR that holds files")
    arguments = parser.parse_args()

    convert_original_checkpoint(arguments.checkpoint, arguments.output_dir, overwrite=arguments.overwrite)
    print(f"converted {arguments.checkpoint} -> {arguments.output_dir}")
    if arguments.song is None:
        return

    model = AutoModel.from_pretrained(arguments.output_dir)
    processor = AutoProcessor.from_pretrained(arguments.output_dir)
    mel_slices = processor.feature_extractor.mel_slices(arguments.song)
    empty_map = np.full(len(mel_slices), processor.tokenizer.empty_token_id)
    steps = np.linspace(0, len(mel_slices) - 1, num=min(8, len(mel_slices))).astype(int)
    inputs = processor(
        mel_slices=mel_slices, beat_tokens=empty_map, steps=steps, difficulty=arguments.difficulty, return_tensors="pt"
    )
    with torch.no_grad():
        output = model(
            input_ids=inputs["input_ids"],
            token_type_ids=inputs["token_type_ids"],
            input_features=inputs["input_features"],
        )
    scored = inputs["labels"] != -100
    guesses = output.logits[scored][:, processor.tokenizer.num_reserved_tokens :].argmax(-1)
    guesses += processor.tokenizer.num_reserved_tokens
    print(f"{len(mel_slices) / 10:.1f} s of audio, tempo heard: {output.tempo.clamp(min=0).mean():.1f} BPM")
    for step, token in zip(steps, processor.tokenizer.convert_ids_to_tokens(guesses.tolist())):
        print(f"  {step / 10:6.1f} s  {token}")


if __name__ == "__main__":
    main()
