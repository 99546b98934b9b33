import json
import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch.nn import functional as F
from transformers import AutoConfig, AutoModel

import beart
from beart.modeling.modeling_beart import onset_strength


def tiny_config(**overrides):
    fields = dict(max_position_embeddings=64, audio_foresight=8, num_hidden_layers=2, hidden_size=16)
    return beart.BeartConfig(**{**fields, **overrides})


def random_inputs(config, batch_size=3, seed=0):
    generator = torch.Generator().manual_seed(seed)
    length = config.max_position_embeddings
    return {
        "input_ids": torch.randint(0, config.vocab_size, (batch_size, length), generator=generator),
        "token_type_ids": torch.randint(0, 4, (batch_size, length), generator=generator),
        "input_features": torch.rand(batch_size, length, config.groups, config.mel_bands, generator=generator),
    }


@pytest.mark.parametrize("num_tracks", [1, 2, 4])
def test_converted_checkpoint_reproduces_the_original_forward(converted_dir, forward_io, num_tracks):
    model = AutoModel.from_pretrained(converted_dir)
    assert isinstance(model, beart.BeartModel) and not model.training
    with torch.no_grad():
        output = model(
            input_ids=torch.from_numpy(forward_io[f"input_ids_{num_tracks}"]),
            token_type_ids=torch.from_numpy(forward_io[f"segment_ids_{num_tracks}"]),
            input_features=torch.from_numpy(forward_io[f"audio_{num_tracks}"]).reshape(2, 512, 10, 32),
        )
    np.testing.assert_allclose(output.logits.numpy(), forward_io[f"logits_{num_tracks}"], atol=1e-4)
    np.testing.assert_allclose(output.tempo.numpy() / 100.0, forward_io[f"regression_{num_tracks}"][:, 0], atol=1e-4)


def test_eager_and_sdpa_attention_agree_and_eager_returns_weights(converted_dir, forward_io):
    inputs = {
        "input_ids": torch.from_numpy(forward_io["input_ids_2"]),
        "token_type_ids": torch.from_numpy(forward_io["segment_ids_2"]),
        "input_features": torch.from_numpy(forward_io["audio_2"]).reshape(2, 512, 10, 32),
    }
    sdpa = AutoModel.from_pretrained(converted_dir, attn_implementation="sdpa")
    eager = AutoModel.from_pretrained(converted_dir, attn_implementation="eager")
    with torch.no_grad():
        fast = sdpa(**inputs)
        slow = eager(**inputs, output_attentions=True, output_hidden_states=True)
    torch.testing.assert_close(fast.logits, slow.logits, atol=1e-4, rtol=0)
    assert len(slow.attentions) == 8 and slow.attentions[0].shape == (2, 4, 512, 512)
    torch.testing.assert_close(slow.attentions[3].sum(-1), torch.ones(2, 4, 512))
    assert len(slow.hidden_states) == 9


def test_hearing_loss_matches_the_original_formula(converted_dir, forward_io):
    model = AutoModel.from_pretrained(converted_dir)
    rows = 6
    scored = torch.from_numpy(forward_io["row_output_mask"][:rows]).long()
    targets = torch.from_numpy(forward_io["row_output_data"][:rows]).long()
    labels = torch.full_like(targets, -100)
    labels[torch.arange(rows), scored] = targets[torch.arange(rows), scored]
    tempo = torch.tensor([120.0, 0.0, 95.0, 120.0, 0.0, 140.0])
    with torch.no_grad():
        output = model(
            input_ids=torch.from_numpy(forward_io["row_input_data"][:rows]).long(),
            token_type_ids=torch.from_numpy(forward_io["row_segment_data"][:rows]).long(),
            input_features=torch.from_numpy(forward_io["row_input_audio"][:rows]).reshape(rows, 512, 10, 32),
            labels=labels,
            tempo_labels=tempo,
        )
    # The original: MSE of tempo / 100 on rows with a tempo, cross-entropy of the one-hot target at the masked
    # position, weighted 0.1 and 0.9.
    known = tempo > 0
    expected_tempo = F.mse_loss(output.tempo[known] / 100.0, tempo[known] / 100.0)
    one_hot = F.one_hot(targets, 85).float()[torch.arange(rows), scored]
    expected_token = F.cross_entropy(output.logits[torch.arange(rows), scored], one_hot)
    torch.testing.assert_close(output.tempo_loss, expected_tempo)
    torch.testing.assert_close(output.token_loss, expected_token)
    torch.testing.assert_close(output.loss, 0.1 * expected_tempo + 0.9 * expected_token)


def test_unknown_tempo_alone_gives_no_tempo_loss():
    config = tiny_config()
    model = beart.BeartModel(config)
    output = model(**random_inputs(config), tempo_labels=torch.zeros(3))
    assert output.tempo_loss.item() == 0.0 and output.token_loss.item() == 0.0


def test_training_step_reduces_the_loss_and_gradients_reach_every_weight():
    torch.manual_seed(0)
    config = tiny_config(initializer_range=0.2)
    model = beart.BeartModel(config).train()
    inputs = random_inputs(config, batch_size=8)
    labels = torch.full_like(inputs["input_ids"], -100)
    labels[:, 40] = 20
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(15):
        loss = model(**inputs, labels=labels, tempo_labels=torch.full((8,), 120.0)).loss
        optimizer.zero_grad()
        loss.backward()
        losses.append(loss.item())
        optimizer.step()
    assert losses[-1] < 0.5 * losses[0]
    assert all(parameter.grad is not None for parameter in model.parameters())


@pytest.mark.parametrize("attn_implementation", ["sdpa", "eager"])
def test_scored_logits_only_gives_the_same_loss_tempo_logits_and_gradients(attn_implementation):
    config = tiny_config(hidden_dropout_prob=0.0, embedding_dropout_prob=0.0, initializer_range=0.2)
    config._attn_implementation = attn_implementation
    torch.manual_seed(0)
    model = beart.BeartModel(config).train()
    inputs = random_inputs(config)
    labels = torch.full_like(inputs["input_ids"], -100)
    labels[0, [40, 41]] = torch.tensor([20, 21])
    labels[2, [10, 41]] = torch.tensor([30, 22])
    supervision = {"labels": labels, "tempo_labels": torch.tensor([120.0, 0.0, 90.0])}
    full = model(**inputs, **supervision)
    full.loss.backward()
    full_gradients = [parameter.grad.clone() for parameter in model.parameters()]
    model.zero_grad()
    scored = model(**inputs, **supervision, scored_logits_only=True, output_attentions=True)
    scored.loss.backward()
    # The columns labelled in some row, in order: 10, 40, 41.
    assert scored.logits.shape == (3, 3, config.vocab_size)
    torch.testing.assert_close(scored.logits, full.logits[:, [10, 40, 41]])
    torch.testing.assert_close(scored.loss, full.loss)
    torch.testing.assert_close(scored.tempo, full.tempo)
    for scored_gradient, full_gradient in zip((p.grad for p in model.parameters()), full_gradients):
        torch.testing.assert_close(scored_gradient, full_gradient, rtol=1e-4, atol=1e-6)
    # The last layer attends from the first position and the labelled ones, to every position.
    assert scored.attentions[-1].shape == (3, config.num_attention_heads, 4, config.max_position_embeddings)
    assert scored.attentions[0].shape[-2] == config.max_position_embeddings


def test_logits_to_keep_gives_the_logits_and_tempo_at_those_positions():
    config = tiny_config(initializer_range=0.2)
    torch.manual_seed(0)
    model = beart.BeartModel(config).eval()
    inputs = random_inputs(config)
    kept = torch.tensor([3, 17, 41])
    with torch.inference_mode():
        full = model(**inputs)
        partial = model(**inputs, logits_to_keep=kept)
    assert partial.logits.shape == (3, 3, config.vocab_size)
    torch.testing.assert_close(partial.logits, full.logits[:, kept])
    torch.testing.assert_close(partial.tempo, full.tempo)


def test_dropout_zeroes_the_asked_share_and_keeps_the_expected_value():
    torch.manual_seed(0)
    values = torch.rand(200, 1000) + 0.5
    dropout = beart.modeling.modeling_beart.BeartDropout(0.1).train()
    dropped = dropout(values)
    zeroed = dropped == 0
    assert abs(zeroed.float().mean().item() - 0.1) < 0.005
    torch.testing.assert_close(dropped[~zeroed], values[~zeroed] / 0.9)
    assert torch.equal(dropout.eval()(values), values)
    assert torch.equal(beart.modeling.modeling_beart.BeartDropout(1.0).train()(values), torch.zeros_like(values))


def plain_and_extended(**field):
    """A tiny model, the same model with one more input (`field`, whose weights start at zero) and random inputs."""
    torch.manual_seed(0)
    plain = beart.BeartModel(tiny_config()).eval()
    extended = beart.BeartModel(tiny_config(**field)).eval()
    extended.load_state_dict(plain.state_dict(), strict=False)
    return plain, extended, random_inputs(plain.config)


def test_difficulty_embedding_starts_silent_and_reaches_every_position(tmp_path):
    plain, conditioned, inputs = plain_and_extended(difficulty_embedding=True)
    inputs["input_ids"][:, 0] = torch.tensor([0, 3, 4])  # two difficulty bands, then [SEP]: no difficulty
    with torch.no_grad():
        torch.testing.assert_close(conditioned(**inputs).logits, plain(**inputs).logits)
        conditioned.embeddings.difficulty_embeddings.weight.copy_(torch.randn(4, 16))
        changed = conditioned(**inputs).logits
        other_band = {**inputs, "input_ids": inputs["input_ids"].clone()}
        other_band["input_ids"][:, 0] = torch.tensor([1, 2, 4])
        moved = conditioned(**other_band).logits
    # The band moves the last position too; a row without a difficulty is left as the plain model has it.
    assert (changed[:2, -1] - moved[:2, -1]).abs().max() > 1e-2
    torch.testing.assert_close(changed[2], plain(**inputs).logits[2].detach())
    conditioned.save_pretrained(tmp_path)
    reloaded = beart.BeartModel.from_pretrained(tmp_path)
    torch.testing.assert_close(
        reloaded.embeddings.difficulty_embeddings.weight, conditioned.embeddings.difficulty_embeddings.weight
    )


def test_onset_strength_marks_the_frame_a_band_rises_in_and_reads_no_attack_across_a_gap():
    # one track of 6 positions, 10 frames of 4 bands each: silence, then a rise at position 2's frame 3, another at
    # position 4's first frame (against position 3's last), and a quiet rise in position 5
    features = torch.zeros(1, 6, 10, 4)
    features[0, 2, 3:] = 1.0
    features[0, 3:] = 1.0
    features[0, 4, :, :2] = 2.0
    features[0, 5, 6:, 0] = 1.5
    tracks = torch.zeros(1, 6, dtype=torch.long)
    evidence = onset_strength(features, tracks)
    assert evidence.shape == (1, 6, 10)
    flux = {(2, 3): 4.0, (4, 0): 2.0, (5, 6): 0.5}
    typical = float(np.median([4.0, 2.0, 0.5]))  # the strongest frame of each position with an attack
    expected = torch.zeros(1, 6, 10)
    for (position, frame), value in flux.items():
        expected[0, position, frame] = value / (value + typical)
    torch.testing.assert_close(evidence, expected)
    # position 4 on another track, or not the step after position 3 (a history cut): its first frame reads no attack
    other_track = tracks.clone()
    other_track[0, 4:] = 1
    assert onset_strength(features, other_track)[0, 4, 0] == 0.0
    assert onset_strength(features, tracks, torch.tensor([0, 1, 2, 3, 9, 10]))[0, 4, 0] == 0.0
    # positions left out of attention do not set the typical attack
    masked = onset_strength(features, tracks, attention_mask=torch.tensor([[1, 1, 1, 1, 1, 0]]))
    assert masked[0, 2, 3] == pytest.approx(4.0 / (4.0 + 2.0))  # the lower middle of 4 and 2


def test_onset_input_starts_silent_and_moves_the_logits_once_learned(tmp_path):
    plain, hearing, inputs = plain_and_extended(onset_input=True)
    with torch.no_grad():
        torch.testing.assert_close(hearing(**inputs).logits, plain(**inputs).logits)
        hearing.embeddings.onset_projection.weight.copy_(torch.randn(16, hearing.config.groups))
        computed = hearing(**inputs).logits
        evidence = onset_strength(inputs["input_features"], inputs["token_type_ids"])
        torch.testing.assert_close(hearing(**inputs, onset_evidence=evidence).logits, computed)
        louder = hearing(**inputs, onset_evidence=torch.ones_like(evidence)).logits
    assert (computed - plain(**inputs).logits.detach()).abs().max() > 1e-2
    assert (louder - computed).abs().max() > 1e-2
    hearing.save_pretrained(tmp_path)
    reloaded = beart.BeartModel.from_pretrained(tmp_path).eval()
    assert reloaded.config.onset_input
    with torch.no_grad():
        torch.testing.assert_close(reloaded(**inputs).logits, computed)


def test_save_and_load_as_safetensors(tmp_path):
    config = tiny_config()
    model = beart.BeartModel(config).eval()
    model.save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").is_file() and not list(tmp_path.glob("*.bin"))
    loaded = AutoModel.from_pretrained(tmp_path)
    inputs = random_inputs(config)
    with torch.no_grad():
        torch.testing.assert_close(model(**inputs).logits, loaded(**inputs).logits)
    assert isinstance(AutoConfig.from_pretrained(tmp_path), beart.BeartConfig)


def test_presets_match_the_original_sizes():
    quaver = beart.BeartConfig.from_preset("quaver")
    crotchet = beart.BeartConfig.from_preset("crotchet")
    assert (quaver.context_length, quaver.audio_foresight, crotchet.context_length, crotchet.audio_foresight) == (
        512,
        64,
        1024,
        128,
    )
    for config in (quaver, crotchet):
        assert (config.hidden_size, config.num_hidden_layers, config.num_attention_heads) == (32, 8, 4)
        assert (config.intermediate_size, config.mel_bands, config.vocab_size) == (64, 32, 85)
    # The original counts 92,736 parameters, including an unused copy of one encoder layer (8,544) that we drop.
    model = beart.BeartModel(quaver)
    layer_size = sum(p.numel() for p in model.layers[0].parameters())
    assert layer_size == 8_544
    assert sum(p.numel() for p in model.parameters()) == 92_736 - layer_size
    with pytest.raises(ValueError, match="Unknown BEaRT preset"):
        beart.BeartConfig.from_preset("minim")


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"audio_foresight": 62}, "divisible by 4"),
        ({"groups": 1}, "groups must be"),
        ({"hidden_act": "swoosh"}, "Unknown activation"),
        ({"num_attention_heads": 5}, "divisible by num_attention_heads"),
        ({"vocab_size": 90}, "does not match groups"),
        ({"track_counts": [1, 8]}, "Track count 8"),
        ({"hidden_dropout_prob": 1.5}, "hidden_dropout_prob"),
        ({"max_position_embeddings": 64, "audio_foresight": 64}, "audio_foresight"),
    ],
)
def test_impossible_configs_are_refused(fields, message):
    with pytest.raises(ValueError, match=message):
        beart.BeartConfig(**fields)


def test_wrongly_shaped_inputs_get_clear_errors():
    config = tiny_config()
    model = beart.BeartModel(config)
    inputs = random_inputs(config)
    with pytest.raises(ValueError, match="input_features must have shape"):
        model(input_ids=inputs["input_ids"], input_features=inputs["input_features"][:, :, :5])
    with pytest.raises(ValueError, match="more than max_position_embeddings"):
        model(input_ids=torch.zeros(1, 65, dtype=torch.long), input_features=torch.zeros(1, 65, 10, 32))


def test_save_pretrained_writes_a_model_card_with_hub_metadata(tmp_path):
    from huggingface_hub import ModelCard

    model = beart.BeartModel(beart.BeartConfig(num_hidden_layers=1, hidden_size=16, intermediate_size=32))
    model.save_pretrained(tmp_path / "model")
    card = ModelCard.load(tmp_path / "model" / "README.md")
    assert card.data.library_name == "transformers" and "beatmap-generation" in card.data.tags
    assert "1 layers, hidden 16" in card.text
    (tmp_path / "model" / "README.md").write_text("my own card")
    model.save_pretrained(tmp_path / "model")
    assert (tmp_path / "model" / "README.md").read_text() == "my own card"


def test_a_model_or_pipeline_pushed_to_the_hub_goes_up_whole_in_one_commit_with_beart_s_card(tmp_path, monkeypatch):
    # transformers' push uploaded before beart wrote its code and card: the Hub got a config naming code files it never
    # got and transformers' empty card (`push_to_hub` put that card over beart's), and a pipeline went up in two commits
    import huggingface_hub
    from transformers import pipeline

    commits = []

    def upload_folder(api, repo_id, folder_path, allow_patterns=None, **kwargs):  # the Hub, offline
        names = sorted(name for name in os.listdir(folder_path) if allow_patterns is None or name in allow_patterns)
        card = (Path(folder_path) / "README.md").read_text(encoding="utf-8")
        commits.append((repo_id, names, card, kwargs.get("commit_message")))

    monkeypatch.setattr(huggingface_hub.HfApi, "create_repo", lambda api, name, **kwargs: SimpleNamespace(repo_id=name))
    monkeypatch.setattr(huggingface_hub.HfApi, "upload_folder", upload_folder)
    monkeypatch.setattr(huggingface_hub.HfApi, "create_commit", None)  # nothing else reaches the Hub
    model = beart.BeartModel(beart.BeartConfig(num_hidden_layers=1, hidden_size=16, intermediate_size=32))
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "notes.txt").write_text("the user's own file, not the save's")
    model.save_pretrained(tmp_path / "model", push_to_hub=True, repo_id="me/model", commit_message="first")
    model.push_to_hub("me/pushed", tags=["mine"])
    processor = beart.BeartProcessor.from_model_config(model.config)
    generator = pipeline("beatmap-generation", model=model, processor=processor)
    generator.save_pretrained(tmp_path / "pipeline", push_to_hub=True, repo_id="me/pipeline")
    generator.push_to_hub("me/pushed-pipeline")
    assert [commit[0] for commit in commits] == ["me/model", "me/pushed", "me/pipeline", "me/pushed-pipeline"]
    auto_map = json.loads((tmp_path / "model" / "config.json").read_text())["auto_map"]
    named = [name for value in auto_map.values() for name in (value if isinstance(value, list) else [value]) if name]
    code = {name.split("--")[-1].split(".")[0] + ".py" for name in named}  # the files `auto_map` names
    assert "modeling_beart.py" in code
    for repo, names, card, message in commits:
        assert {"config.json", "model.safetensors", "generation_config.json", "README.md"} <= set(names)
        assert code <= set(names) and "notes.txt" not in names
        assert "1 layers, hidden 16" in card  # beart's card, not transformers' empty one
        assert ("processor_config.json" in names) == ("pipeline" in repo)
    assert commits[0][3] == "first" and "- mine" in commits[1][2]
    assert commits[0][2] == (tmp_path / "model" / "README.md").read_text(encoding="utf-8")
