"""Averages the weights of BEaRT models fine-tuned from one start (a uniform "model soup", Wortsman et al. 2022): the
bundled model's stage 8. Every model must have the same configuration of layers; the first one's configuration,
processor and decoding defaults (`generation_config.json`) are the average's.

    python examples/average_checkpoints.py OUTPUT_DIR MODEL_DIR MODEL_DIR [MODEL_DIR ...]
"""

import argparse
import os

import torch

from beart.loading import load_model, load_processor


def average_state(models: list) -> dict:
    """
    The mean of the models' floating-point weights, element by element; other tensors (counters, ids) are the first
    model's.

    Args:
        models (`list[BeartModel]`): models of one architecture (the same parameter names and shapes).

    Raises:
        `ValueError`: a model's parameter names or shapes differ from the first's.
    """
    states = [model.state_dict() for model in models]
    first = states[0]
    for index, state in enumerate(states[1:], start=1):
        shapes = {name: tensor.shape for name, tensor in state.items()}
        if shapes != {name: tensor.shape for name, tensor in first.items()}:
            raise ValueError(f"model {index} does not have the first model's parameters; it cannot be averaged with it")
    return {
        name: torch.stack([state[name] for state in states]).mean(dim=0) if tensor.is_floating_point() else tensor
        for name, tensor in first.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output_dir", help="where the averaged model goes (must not exist)")
    parser.add_argument("models", nargs="+", help="model folders to average; the first gives the configuration")
    arguments = parser.parse_args()
    if len(arguments.models) < 2:
        parser.error("give at least two models to average")
    if os.path.exists(arguments.output_dir):
        parser.error(f"{arguments.output_dir} exists; give a new folder")
    models = [load_model(path) for path in arguments.models]
    try:
        state = average_state(models)
    except ValueError as error:
        parser.error(str(error))
    averaged = models[0]
    averaged.load_state_dict(state)
    averaged.save_pretrained(arguments.output_dir)
    load_processor(arguments.models[0], averaged.config).save_pretrained(arguments.output_dir)
    print(f"averaged {len(models)} models into {arguments.output_dir}")


if __name__ == "__main__":
    main()
