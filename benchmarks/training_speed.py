"""Training examples per second, end to end (data loading + training step), against the real original and an
original-like reference.

The original: the BeatLearning package in `../shared/original`, imported (never copied): its `BEaRTDataset` (with
`augment=True`) over the same map and song, a torch DataLoader, and its own `BEaRTTrainer.iteration` (its model,
hearing loss, AdamW and gradient clipping), timed over `--steps` batches after one warm-up batch.

Ours: a corpus from `build_corpus`, batches from `BeartDataCollator` (augmentation on) through a DataLoader, a
`BeartModel` training step with AdamW as `BeartTrainer` takes it (`scored_logits_only`). The reference: a per-row dataset built like the original BeatLearning one (a
pandas frame of token rows; every example assembled in `__getitem__` from a Python list of per-slice mel arrays,
masked and dropped out row by row), torch's default collation, and the original architecture
(`nn.TransformerEncoder`, train mode, dropout 0.1 everywhere) with its loss and AdamW. Ours runs inside
`flush_denormals()` as `train_beart` does; the reference runs as the original does. Both train on the same map and
song (the reference fixture's, or `--song`/`--map`) with Quaver settings, in this process.

    python benchmarks/training_speed.py [--batch-size 32] [--steps 5]
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import warnings
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from model_speed import OriginalLikeBeart, original_loss

import beart
from beart.beatmaps import IntermediateBeatmap
from beart.training import BeartDataCollator, build_corpus, load_corpus
from beart.training.trainer import flush_denormals


SHARED = Path(os.environ.get("BEART_SHARED", Path(__file__).resolve().parents[2] / "shared"))
FIXTURES = SHARED / "fixtures" / "original"


class PerRowDataset(torch.utils.data.Dataset):
    """Examples assembled one by one, the way the original dataset does it."""

    def __init__(self, processor: beart.BeartProcessor, beat_tokens, mel_slices, steps, difficulty, tempo, seed=0):
        window, foresight = processor.track_layout(1)
        input_ids, _ = processor.build_beat_context(beat_tokens, steps, difficulty, np.zeros(len(steps), np.int64))
        self.frame = pd.DataFrame(
            {"data": list(input_ids.astype(np.uint8)), "tempo": tempo[steps], "audio_position": steps + foresight}
        )
        silence = [np.zeros(mel_slices.shape[1:], np.float32) for _ in range(processor.context_length)]
        self.audio = silence + list(mel_slices) + silence
        self.window = window
        self.context_length = processor.context_length
        self.mask_positions = processor.scored_positions(1)
        self.mask_token_id = processor.tokenizer.mask_token_id
        self.num_reserved = processor.tokenizer.num_reserved_tokens
        self.random = np.random.default_rng(seed)

    def __len__(self):
        return len(self.frame)

    def __getitem__(self, index):
        row = self.frame.loc[index]
        output_data = row["data"].astype(np.int64)
        input_data = output_data.copy()
        choice = self.random.integers(0, len(self.mask_positions))
        for position in self.mask_positions[choice:]:
            input_data[position] = self.mask_token_id
        dropped = (input_data >= self.num_reserved) & (self.random.uniform(size=len(input_data)) < 0.2)
        input_data[dropped] = self.mask_token_id
        position = row["audio_position"] + self.context_length
        audio = np.vstack(self.audio[max(0, position - self.window) : position + 1]).astype(np.float32)
        labels = np.full(len(output_data), -100)
        labels[self.mask_positions[choice]] = output_data[self.mask_positions[choice]]
        return {
            "input_ids": input_data,
            "token_type_ids": np.zeros(len(input_data), np.int64),
            "input_audio": audio.ravel(),
            "labels": labels,
            "tempo": np.float32(row["tempo"]),
        }


def original_examples_per_second(song: str, map_frame: pd.DataFrame, batch_size: int, num_steps: int) -> float:
    """Training examples per second of the original package's own dataset and training loop (see the module doc)."""
    sys.path.insert(0, str(SHARED / "original"))
    from beatlearning.configs import QuaverBEaRT, TrainingConfig
    from beatlearning.models import BEaRT
    from beatlearning.tokenizers import BEaRTTokenizer
    from beatlearning.trainers import BEaRTTrainer
    from beatlearning.utils import BEaRTDataset, IntermediateBeatmapFormat

    tokenizer = BEaRTTokenizer(QuaverBEaRT())
    dataset = BEaRTDataset(tokenizer, augment=True)
    meta = {"audio": song, "difficulty": 0.5, "tracks": ["LEFT"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dataset.add(IntermediateBeatmapFormat(data=map_frame, meta=meta), song)
    config = TrainingConfig(
        use_cuda_if_available=False, batch_size_train=batch_size, model_directory=None, tensorboard_directory=None
    )
    trainer = BEaRTTrainer("benchmark", BEaRT(tokenizer), dataset, dataset, config)
    order = np.random.default_rng(0).permutation(len(dataset))

    def loader(num_batches):
        subset = torch.utils.data.Subset(dataset, order[: num_batches * batch_size].tolist())
        return torch.utils.data.DataLoader(subset, batch_size=batch_size, shuffle=True, drop_last=True)

    trainer.model.train()
    trainer.iteration(0, loader(1))
    start = time.perf_counter()
    trainer.iteration(0, loader(num_steps))
    return num_steps * batch_size / (time.perf_counter() - start)


def examples_per_second(batches, step, num_steps: int) -> float:
    step(next(batches))
    start = time.perf_counter()
    for _ in range(num_steps):
        step(next(batches))
    return num_steps / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--workers", type=int, default=0, help="DataLoader workers for beart (Trainer's default 0)")
    parser.add_argument("--song", default=str(FIXTURES / "click_120bpm.wav"))
    parser.add_argument("--map", default=str(FIXTURES / "train_map_left.csv"))
    arguments = parser.parse_args()
    torch.manual_seed(0)
    config = beart.BeartConfig.from_preset("quaver")
    processor = beart.BeartProcessor.from_model_config(config)

    with tempfile.TemporaryDirectory() as folder:
        song_folder = Path(folder) / "song"
        song_folder.mkdir()
        audio_name = os.path.basename(arguments.song)
        shutil.copy(arguments.song, song_folder / audio_name)  # a link out of the folder is refused as unsafe
        data = pd.read_csv(arguments.map)
        meta = {"audio": audio_name, "difficulty": 0.5, "tracks": ["LEFT"]}
        IntermediateBeatmap(data, meta).save(song_folder / "map.ibf")
        build_corpus(song_folder, Path(folder) / "corpus", test_size=0.0, progress=False)
        corpus = load_corpus(Path(folder) / "corpus")

        collator = BeartDataCollator(processor, corpus["maps"], corpus["songs"], augment=True)
        ours = beart.BeartModel(config)
        ours_optimizer = torch.optim.AdamW(ours.parameters(), lr=1e-4)
        loader = torch.utils.data.DataLoader(
            corpus["train"],
            batch_size=arguments.batch_size,
            shuffle=True,
            collate_fn=collator,
            drop_last=True,
            num_workers=arguments.workers,
        )

        def ours_step(batch):
            ours.train()
            ours_optimizer.zero_grad()
            ours(**batch, scored_logits_only=True).loss.backward()
            ours_optimizer.step()

        with flush_denormals():
            ours_rate = examples_per_second(iter(loader), ours_step, arguments.steps) * arguments.batch_size

        map_row = corpus["maps"].with_format("numpy")[0]
        tokens = processor.tokenizer.encode_events(map_row["events"].reshape(-1, 1))
        slices = corpus["songs"].with_format("numpy")[0]["mel_frames"].reshape(-1, config.groups, config.mel_bands)
        steps = np.asarray(corpus["train"]["step"])
        dataset = PerRowDataset(processor, tokens, slices, steps, 0.5, processor.step_tempo(map_row["tempo"]))
        reference = OriginalLikeBeart(config)
        reference.load_from(beart.BeartModel(config))
        reference_optimizer = torch.optim.AdamW(reference.parameters(), lr=1e-4)
        reference_loader = torch.utils.data.DataLoader(
            dataset, batch_size=arguments.batch_size, shuffle=True, drop_last=True
        )

        def reference_step(batch):
            reference.train()
            reference_optimizer.zero_grad()
            features = batch["input_audio"].reshape(len(batch["input_ids"]), -1, config.groups, config.mel_bands)
            outputs = reference(batch["input_ids"], batch["token_type_ids"], features)
            original_loss(*outputs, batch["labels"], batch["tempo"], config).backward()
            reference_optimizer.step()

        reference_rate = examples_per_second(iter(reference_loader), reference_step, arguments.steps)
        reference_rate *= arguments.batch_size
    original_rate = original_examples_per_second(arguments.song, data, arguments.batch_size, arguments.steps)

    print(
        json.dumps(
            {
                "batch_size": arguments.batch_size,
                "beart_dataloader_workers": arguments.workers,
                "threads": torch.get_num_threads(),
                "torch": torch.__version__,
                "original_examples_per_second": round(original_rate, 2),
                "original_like_reference_examples_per_second": round(reference_rate, 2),
                "beart_examples_per_second": round(ours_rate, 2),
                "speed_up_against_the_original": round(ours_rate / original_rate, 2),
                "speed_up_against_the_reference": round(ours_rate / reference_rate, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
