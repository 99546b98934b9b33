"""A model folder saved by beart loads with transformers alone (`trust_remote_code=True`), as hub custom-code models do."""

import ast
import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from transformers import pipeline

import beart
from beart.remote_code import AUTO_MAP, CUSTOM_PIPELINES, flat_sources
from beart.generation.pipeline_beatmap_generation import default_model_path


# Run in a fresh interpreter in which `import beart` fails, so that everything comes from the saved folder.
WITHOUT_BEART = """
import json, sys
sys.modules["beart"] = None
from transformers import AutoConfig, AutoModel, pipeline
folder, song, osz, resaved = sys.argv[1:5]
config = AutoConfig.from_pretrained(folder, trust_remote_code=True)
generator = pipeline("beatmap-generation", model=folder, trust_remote_code=True)
beatmap = generator(song, mode="mania", seed=1, end=8, progress=False, output_path=osz)
generator.model.save_pretrained(resaved)
resaved_config = json.load(open(f"{resaved}/config.json"))
print(json.dumps({
    "config": type(config).__module__,
    "model": type(generator.model).__module__,
    "pipeline": type(generator).__module__,
    "columns": list(beatmap.data.columns),
    "resaved": [resaved_config["auto_map"], resaved_config.get("custom_pipelines")],
    "events": beatmap.data[beatmap.data.columns[2:]].to_numpy().tolist(),
}))
"""


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("saved") / "beart-model"
    model = beart.load_model(default_model_path())
    model.save_pretrained(folder)
    beart.load_processor(default_model_path(), model.config).save_pretrained(folder)
    return folder


def test_the_flat_code_imports_only_files_beside_it():
    sources = flat_sources()
    for name, source in sources.items():
        for node in ast.walk(ast.parse(source, filename=name)):
            if isinstance(node, ast.ImportFrom) and node.level:
                assert node.level == 1 and node.module, f"{name}:{node.lineno} is not a flat import"
                assert f"{node.module}.py" in sources, f"{name}:{node.lineno} imports {node.module}, which is not saved"
                # every imported name is defined (or imported) at the top of that file
                defined = _top_level_names(sources[f"{node.module}.py"])
                assert {alias.name for alias in node.names} <= defined, f"{name}:{node.lineno}"
            assert not (isinstance(node, ast.Import) and any(a.name.startswith("beart") for a in node.names))
    for reference in [*AUTO_MAP.values(), CUSTOM_PIPELINES["beatmap-generation"]["impl"]]:
        module, name = reference.split(".")
        assert name in _top_level_names(sources[f"{module}.py"]), reference


def _top_level_names(source: str) -> set:
    """The names a module defines or imports at its top level."""
    names = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(name.id for target in node.targets for name in ast.walk(target) if isinstance(name, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update(alias.asname or alias.name.split(".")[0] for alias in node.names)
    return names


def test_a_saved_folder_names_its_classes_and_pipeline(saved_model):
    config = json.loads((saved_model / "config.json").read_text())
    assert config["auto_map"]["AutoModel"] == "modeling_beart.BeartModel"
    pipeline_entry = config["custom_pipelines"]["beatmap-generation"]
    assert pipeline_entry["impl"] == "pipeline_beatmap_generation.BeatmapGenerationPipeline"
    processor = json.loads((saved_model / "processor_config.json").read_text())
    assert processor["auto_map"] == {"AutoProcessor": "processing_beart.BeartProcessor"}
    assert processor["feature_extractor"]["auto_map"] == {"AutoFeatureExtractor": AUTO_MAP["AutoFeatureExtractor"]}
    tokenizer = json.loads((saved_model / "tokenizer_config.json").read_text())
    assert tokenizer["auto_map"]["AutoTokenizer"][0] == "tokenization_beart.BeartTokenizer"
    assert {path.name for path in saved_model.glob("*.py")} == set(flat_sources())
    # with beart installed the folder still loads beart's own classes, without trusting remote code
    assert type(beart.load_model(saved_model)) is beart.BeartModel


def test_save_code_false_writes_weights_only(tmp_path):
    model = beart.load_model(default_model_path())
    model.save_pretrained(tmp_path, save_code=False)
    assert not list(tmp_path.glob("*.py"))
    assert "custom_pipelines" not in json.loads((tmp_path / "config.json").read_text())


def test_the_pipeline_runs_from_the_saved_folder_without_beart(saved_model, example_song, tmp_path):
    environment = {**os.environ, "HF_MODULES_CACHE": str(tmp_path / "modules"), "HF_HUB_OFFLINE": "1"}
    osz, resaved = tmp_path / "song.osz", tmp_path / "resaved"
    command = [sys.executable, "-c", WITHOUT_BEART, str(saved_model), example_song, str(osz), str(resaved)]
    result = subprocess.run(command, capture_output=True, text=True, env=environment, cwd=tmp_path, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    remote = json.loads(result.stdout.strip().splitlines()[-1])
    for kind in ("config", "model", "pipeline"):
        assert remote[kind].startswith("transformers_modules."), remote[kind]

    # the same map as beart itself makes with the same settings
    local = pipeline("beatmap-generation", model=str(saved_model))
    beatmap = local(example_song, mode="mania", seed=1, end=8, progress=False)
    assert remote["columns"] == list(beatmap.data.columns)
    np.testing.assert_array_equal(np.array(remote["events"]), beatmap.data[beatmap.data.columns[2:]].to_numpy())
    assert np.count_nonzero(np.array(remote["events"])) > 5

    with zipfile.ZipFile(osz) as archive:
        assert any(name.endswith(".osu") for name in archive.namelist())
    # a model loaded from its folder saves its code again: the modules its class needed, without the pipeline's
    resaved_code = {path.name for path in resaved.glob("*.py")}
    assert {"modeling_beart.py", "configuration_beart.py", "processing_beart.py"} <= resaved_code < set(flat_sources())
    resaved_auto_map, resaved_pipelines = remote["resaved"]
    assert resaved_auto_map["AutoModel"] == AUTO_MAP["AutoModel"] and not resaved_pipelines
