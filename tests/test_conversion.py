import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from transformers import AutoFeatureExtractor, AutoModel, AutoProcessor, AutoTokenizer

import beart
from beart.cli import main as beart_main
from beart.conversion import OriginalCheckpointError, load_original_checkpoint


SNAPSHOT = "0123456789abcdef0123456789abcdef01234567"


def test_command_line_conversion_writes_a_complete_directory(fixtures_dir, tmp_path, forward_io, capsys):
    output_dir = tmp_path / "converted"
    assert (
        beart_main(["convert-checkpoint", str(fixtures_dir / "original_quaver_checkpoint.pt"), str(output_dir)]) == 0
    )
    assert "Converted" in capsys.readouterr().out
    # a folder holding a model is written into only when asked
    (output_dir / "model.safetensors").write_bytes(b"another model")
    arguments = ["convert-checkpoint", str(fixtures_dir / "original_quaver_checkpoint.pt"), str(output_dir)]
    assert beart_main(arguments) == 1
    assert "already holds files; pass --overwrite" in capsys.readouterr().err
    assert (output_dir / "model.safetensors").read_bytes() == b"another model"
    assert beart_main([*arguments, "--overwrite"]) == 0
    names = set(os.listdir(output_dir))
    assert {"config.json", "model.safetensors", "tokenizer_config.json", "processor_config.json"} <= names
    assert isinstance(AutoTokenizer.from_pretrained(output_dir), beart.BeartTokenizer)
    assert isinstance(AutoFeatureExtractor.from_pretrained(output_dir), beart.BeartFeatureExtractor)
    processor = AutoProcessor.from_pretrained(output_dir)
    assert (processor.context_length, processor.audio_foresight) == (512, 64)
    model = AutoModel.from_pretrained(output_dir)
    with torch.no_grad():
        logits = model(
            input_ids=torch.from_numpy(forward_io["input_ids_1"]),
            input_features=torch.from_numpy(forward_io["audio_1"]).reshape(2, 512, 10, 32),
        ).logits
    np.testing.assert_allclose(logits.numpy(), forward_io["logits_1"], atol=1e-4)


def test_the_checkpoint_loads_without_unpickling_code(fixtures_dir):
    state_dict = load_original_checkpoint(fixtures_dir / "original_quaver_checkpoint.pt")
    assert state_dict["input_embedding.weight"].shape == (85, 32)


def test_a_pickle_needing_arbitrary_classes_is_refused_unless_trusted(tmp_path, fixtures_dir):
    state_dict = load_original_checkpoint(fixtures_dir / "original_quaver_checkpoint.pt")
    path = tmp_path / "odd.pt"
    torch.save({"model_state_dict": state_dict, "extra": ValueError("custom object")}, path)
    with pytest.raises(OriginalCheckpointError, match="trust_pickle=True"):
        load_original_checkpoint(path)
    assert "input_embedding.weight" in load_original_checkpoint(path, trust_pickle=True)


@pytest.mark.parametrize("content", [b"", b"hello, not a checkpoint", None])
def test_bad_checkpoints_fail_cleanly_without_output(tmp_path, content, capsys):
    path = tmp_path / "bad.pt"
    if content is None:
        torch.save({"model_state_dict": {"something": torch.zeros(2)}}, path)
    else:
        path.write_bytes(content)
    output_dir = tmp_path / "out"
    assert beart_main(["convert-checkpoint", str(path), str(output_dir)]) == 1
    error = capsys.readouterr().err
    assert "error:" in error and "Traceback" not in error
    assert not output_dir.exists()
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".beart")]


def _prepare_hub_cache(hf_home, files):
    repo = hf_home / "hub" / "models--sedthh--BeatLearning"
    snapshot = repo / "snapshots" / SNAPSHOT
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(SNAPSHOT)
    for source, name in files:
        shutil.copy(source, snapshot / name)


def _run_offline(hf_home, code):
    environment = {**os.environ, "HF_HOME": str(hf_home), "HF_HUB_OFFLINE": "1"}
    environment.pop("HF_HUB_CACHE", None)
    result = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_hub_id_loads_converted_files_offline(tmp_path, converted_dir):
    _prepare_hub_cache(tmp_path, [(path, path.name) for path in converted_dir.iterdir()])
    output = _run_offline(
        tmp_path,
        "import beart\n"
        "from transformers import AutoModel, AutoProcessor\n"
        "model = AutoModel.from_pretrained('sedthh/BeatLearning')\n"
        "processor = AutoProcessor.from_pretrained('sedthh/BeatLearning')\n"
        "print(type(model).__name__, type(processor).__name__, model.config.vocab_size)\n",
    )
    assert output.split() == ["BeartModel", "BeartProcessor", "85"]


def test_hub_id_holding_only_the_original_checkpoint_converts_on_load(tmp_path, fixtures_dir, forward_io):
    _prepare_hub_cache(tmp_path, [(fixtures_dir / "original_quaver_checkpoint.pt", "quaver_beart_v1.pt")])
    output = _run_offline(
        tmp_path,
        "import numpy as np, torch, beart\n"
        f"io = np.load({str(fixtures_dir / 'forward_io.npz')!r})\n"
        "model = beart.load_model('sedthh/BeatLearning')\n"
        "with torch.no_grad():\n"
        "    out = model(input_ids=torch.from_numpy(io['input_ids_4']),"
        " token_type_ids=torch.from_numpy(io['segment_ids_4']),"
        " input_features=torch.from_numpy(io['audio_4']).reshape(2, 512, 10, 32))\n"
        "print(float(np.abs(out.logits.numpy() - io['logits_4']).max()))\n",
    )
    assert float(output.strip()) < 1e-4


def test_missing_hub_repository_still_raises(tmp_path):
    (tmp_path / "hub").mkdir()
    environment_code = (
        "import beart\n"
        "try:\n"
        "    beart.load_model('sedthh/NoSuchModel')\n"
        "except OSError as error:\n"
        "    print('OSError')\n"
    )
    assert _run_offline(tmp_path, environment_code).strip() == "OSError"


DEFAULT_MODEL = os.path.join(os.path.dirname(beart.__file__), "default_model")
NO_NETWORK = """
import socket
attempts = []
def refuse(*args, **kwargs):  # no network here: every look-up of a host is counted and fails at once
    attempts.append(args[:2])
    raise socket.gaierror(socket.EAI_NONAME, "no network in this test")
socket.getaddrinfo = refuse
import beart
from beart.loading import load_model, load_processor
from huggingface_hub.utils import build_hf_headers

build_hf_headers()  # what the hub's client looks up for itself, once per process (its user agent), not counted
attempts.clear()
"""


def _cache_bundled_model(hf_home, names=None):
    """The bundled model's files (those of `names`, by default all) cached as `sedthh/BeatLearning`."""
    (hf_home / "hub").mkdir(exist_ok=True)
    names = os.listdir(DEFAULT_MODEL) if names is None else names
    if names:
        _prepare_hub_cache(hf_home, [(os.path.join(DEFAULT_MODEL, name), name) for name in names])


def _run_without_network(hf_home, code):
    environment = {**os.environ, "HF_HOME": str(hf_home)}
    for name in ("HF_HUB_CACHE", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        environment.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-c", NO_NETWORK + code], env=environment, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split("\n")


def test_a_hub_model_in_the_cache_loads_without_the_network(tmp_path):
    # it checked every file for a newer revision first, each check retried for 23 s: 4 minutes offline
    _cache_bundled_model(tmp_path)
    output = _run_without_network(
        tmp_path,
        "generator = beart.load_generator('sedthh/BeatLearning')\n"  # load_model and load_processor, as the CLI does
        "model, processor = generator.model, generator.processor\n"
        "print(len(attempts), type(processor).__name__, model.generation_config.hit_threshold)\n",
    )
    expected = beart.BeartModel.from_pretrained(DEFAULT_MODEL).generation_config.hit_threshold
    assert output[0].split() == ["0", "BeartProcessor", str(expected)]


def test_a_cached_hub_model_whose_processor_the_cache_lacks_looks_once_then_uses_its_configuration(tmp_path):
    # loading a model fetches no processor file: a model downloaded just now has its processor fetched after it, and
    # where the hub is out of reach, one look says so and the processor the configuration implies is used
    processor_files = ("processor_config.json", "tokenizer_config.json")
    _cache_bundled_model(tmp_path, [name for name in os.listdir(DEFAULT_MODEL) if name not in processor_files])
    output = _run_without_network(
        tmp_path,
        "model = load_model('sedthh/BeatLearning')\n"
        "processor = load_processor('sedthh/BeatLearning', model.config)\n"
        "implied = beart.BeartProcessor.from_model_config(model.config)\n"
        "print(len(attempts), processor.to_dict() == implied.to_dict())\n",
    )
    assert output[0].split() == ["1", "True"]


@pytest.mark.parametrize("cached", [[], ["config.json"]])
def test_a_hub_model_that_cannot_be_fetched_says_so_after_one_look(tmp_path, cached):
    # not in the cache (or only its configuration, a download cut short) and no network: every file's download was
    # retried five times over 23 s before transformers' error, 75 s in all
    _cache_bundled_model(tmp_path, cached)
    output = _run_without_network(
        tmp_path,
        "try:\n"
        "    load_model('sedthh/BeatLearning')\n"
        "except OSError as error:\n"
        "    print(len(attempts))\n"
        "    print(error)\n",
    )
    assert output[0] == "1"
    assert output[1].startswith("sedthh/BeatLearning is no folder here and not in the Hugging Face cache")
    assert "the hub cannot be reached" in output[1] and "hf download sedthh/BeatLearning" in output[1]


def test_a_model_path_that_is_no_folder_and_no_hub_id_is_named(tmp_path):
    with pytest.raises(OSError, match="No model folder or file at .*no/such/folder"):
        beart.load_model(tmp_path / "no" / "such" / "folder")
