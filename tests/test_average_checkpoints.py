"""`examples/average_checkpoints.py`, which makes the bundled model's stage 8: the average of models fine-tuned from one
start, weight by weight."""

import subprocess
import sys

import torch
from transformers import pipeline

from beart import BeartConfig, BeartModel, BeartProcessor
from beart.loading import load_model

from shared_paths import REPOSITORY


SCRIPT = REPOSITORY / "examples" / "average_checkpoints.py"


def saved_model(folder, seed: int, **config):
    torch.manual_seed(seed)
    model = BeartModel(BeartConfig.from_preset("quaver", **config))
    model.save_pretrained(folder)
    BeartProcessor.from_model_config(model.config).save_pretrained(folder)
    return model


def run(*arguments):
    command = [sys.executable, str(SCRIPT), *map(str, arguments)]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def test_the_average_holds_the_mean_of_every_weight_and_generates(tmp_path, example_song):
    first, second = saved_model(tmp_path / "a", seed=0), saved_model(tmp_path / "b", seed=1)
    result = run(tmp_path / "average", tmp_path / "a", tmp_path / "b")
    assert result.returncode == 0, result.stderr[-2000:]
    averaged = load_model(tmp_path / "average")
    weights = {name: (first.state_dict()[name], second.state_dict()[name]) for name in first.state_dict()}
    assert any(not torch.allclose(*pair) for pair in weights.values())  # two different models
    for name, tensor in averaged.state_dict().items():
        torch.testing.assert_close(tensor, (weights[name][0] + weights[name][1]) / 2, rtol=1e-6, atol=1e-6)
    generated = pipeline("beatmap-generation", model=str(tmp_path / "average"))(example_song, end=4.0, progress=False)
    assert generated.tracks  # loads with its processor and decodes


def test_models_of_other_sizes_and_an_existing_output_are_refused(tmp_path):
    saved_model(tmp_path / "a", seed=0)
    saved_model(tmp_path / "wide", seed=0, hidden_size=48, intermediate_size=96)
    result = run(tmp_path / "average", tmp_path / "a", tmp_path / "wide")
    assert result.returncode == 2 and "cannot be averaged" in result.stderr
    (tmp_path / "taken").mkdir()
    result = run(tmp_path / "taken", tmp_path / "a", tmp_path / "a")
    assert result.returncode == 2 and "exists" in result.stderr
    assert not any((tmp_path / "taken").iterdir())
