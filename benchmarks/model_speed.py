"""Training-step and eval-forward time of BeartModel against a reference built like the original BEaRT.

The reference is the original architecture (torch `nn.TransformerEncoder`, post-norm, GELU, dropout 0.1 everywhere,
attention weights included) carrying the same weights. BeartModel runs with its defaults (no dropout on attention
weights; pass --attention-dropout 0.1 to time it with the original's). Both run on the same batch of Quaver inputs
in this process; the script prints seconds and the speed-up ratios, and checks that eval outputs agree.

    python benchmarks/model_speed.py [--batch-size 32] [--repeats 3]
"""

import argparse

import torch
from torch import nn

import beart
from beart.conversion import ORIGINAL_LAYER_NAMES, ORIGINAL_TOP_LEVEL_NAMES
from beart.modeling.modeling_beart import sinusoidal_position_table

from timing import best_time


class OriginalLikeBeart(nn.Module):
    """The original BEaRT forward: embeddings summed, `nn.TransformerEncoder`, tempo and token heads."""

    def __init__(self, config: beart.BeartConfig):
        super().__init__()
        self.config = config
        self.input_embedding = nn.Embedding(config.vocab_size, config.hidden_size)
        self.segment_embedding = nn.Embedding(len(config.track_names), config.hidden_size)
        self.audio_embedding = nn.Linear(config.groups * config.mel_bands, config.hidden_size, bias=False)
        self.dropout_embedding = nn.Dropout(config.embedding_dropout_prob)
        layer = nn.TransformerEncoderLayer(
            config.hidden_size,
            config.num_attention_heads,
            config.intermediate_size,
            dropout=config.hidden_dropout_prob,
            activation="gelu",
            batch_first=True,
        )
        self.transformers = nn.TransformerEncoder(layer, config.num_hidden_layers, enable_nested_tensor=False)
        self.regression_head = nn.Linear(config.hidden_size, 1, bias=False)
        self.classification_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.register_buffer("pe", sinusoidal_position_table(config.max_position_embeddings, config.hidden_size))

    def forward(self, input_ids, token_type_ids, input_features):
        batch_size, length = input_ids.shape
        x = self.input_embedding(input_ids) + self.pe + self.segment_embedding(token_type_ids)
        x = x + self.audio_embedding(input_features.reshape(batch_size, length, -1))
        x = self.transformers(self.dropout_embedding(x), mask=None)
        return self.regression_head(x[:, 0]).squeeze(-1), self.classification_head(x)

    def load_from(self, model: beart.BeartModel):
        """Copy BeartModel's weights under the original names (the renaming table of `beart.conversion`)."""
        ours = model.state_dict()
        state = {original: ours[renamed] for original, renamed in ORIGINAL_TOP_LEVEL_NAMES.items()}
        state["pe"] = model.embeddings.position_table
        for index in range(self.config.num_hidden_layers):
            for original, renamed in ORIGINAL_LAYER_NAMES.items():
                state[f"transformers.layers.{index}.{original}"] = ours[f"layers.{index}.{renamed}"]
        self.load_state_dict(state)


def original_loss(tempo_units, logits, labels, tempo_labels, config):
    scored = labels != -100
    token_loss = nn.functional.cross_entropy(logits[scored], labels[scored])
    known = tempo_labels > 0
    tempo_loss = nn.functional.mse_loss(tempo_units[known], tempo_labels[known] / config.tempo_scale)
    return config.tempo_loss_weight * tempo_loss + config.token_loss_weight * token_loss


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--attention-dropout", type=float, default=0.0, help="BeartModel attention-weight dropout")
    arguments = parser.parse_args()

    torch.manual_seed(0)
    # Weights of trained scale (the original's std-1 init saturates the softmax and magnifies rounding).
    config = beart.BeartConfig.from_preset(
        "quaver", attention_probs_dropout_prob=arguments.attention_dropout, initializer_range=0.1
    )
    model = beart.BeartModel(config)
    reference = OriginalLikeBeart(config)
    reference.load_from(model)

    batch_size, length = arguments.batch_size, config.max_position_embeddings
    inputs = {
        "input_ids": torch.randint(8, config.vocab_size, (batch_size, length)),
        "token_type_ids": torch.zeros(batch_size, length, dtype=torch.long),
        "input_features": torch.rand(batch_size, length, config.groups, config.mel_bands) * 2 - 1,
    }
    labels = torch.full((batch_size, length), -100)
    labels[:, 447] = torch.randint(8, config.vocab_size, (batch_size,))
    tempo_labels = torch.full((batch_size,), 120.0)

    def train_step(module, forward):
        module.train()
        module.zero_grad()
        forward().backward()

    def beart_loss():
        return model(**inputs, labels=labels, tempo_labels=tempo_labels).loss

    def reference_loss():
        return original_loss(*reference(**inputs), labels, tempo_labels, config)

    with torch.no_grad():
        model.eval()
        reference.eval()
        ours_tempo, ours_logits = model(**inputs).tempo, model(**inputs).logits
        reference_tempo, reference_logits = reference(**inputs)
    difference = ((ours_logits - reference_logits).abs().max() / reference_logits.abs().max()).item()
    tempo_difference = (ours_tempo / config.tempo_scale - reference_tempo).abs().max() / reference_tempo.abs().max()

    def eval_forward(module):
        module.eval()
        with torch.no_grad():
            module(**inputs)

    results = {
        "train step": (
            best_time(lambda: train_step(reference, reference_loss), arguments.repeats),
            best_time(lambda: train_step(model, beart_loss), arguments.repeats),
        ),
        "eval forward": (
            best_time(lambda: eval_forward(reference), arguments.repeats),
            best_time(lambda: eval_forward(model), arguments.repeats),
        ),
    }
    print(f"batch {batch_size} x {length} Quaver inputs, {torch.get_num_threads()} threads, torch {torch.__version__}")
    print(
        f"eval outputs agree: largest logit difference {difference:.1e}, "
        f"tempo {tempo_difference.item():.1e} (relative)"
    )
    for name, (reference_seconds, beart_seconds) in results.items():
        print(
            f"{name:>12}: reference {reference_seconds:.3f} s, BeartModel {beart_seconds:.3f} s, "
            f"speed-up {reference_seconds / beart_seconds:.2f}x"
        )


if __name__ == "__main__":
    main()
