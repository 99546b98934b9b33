"""The optional libraries of evaluation (`pip install "beart[evaluate]"`), imported when first needed."""

import importlib


EVALUATION_PACKAGES = {"mir_eval": "mir_eval", "matplotlib": "matplotlib"}


def require(module: str):
    """Imports an optional evaluation library, or raises an `ImportError` saying how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        package = EVALUATION_PACKAGES.get(module.split(".")[0], module)
        raise ImportError(
            f'Evaluation needs the {package!r} package: pip install "beart[evaluate]" (or pip install {package}).'
        ) from error
