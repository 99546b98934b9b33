import os
from pathlib import Path

import numpy as np
import pytest


SHARED = Path(os.environ.get("BEART_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
FIXTURES = SHARED / "fixtures" / "original"
CORPUS = SHARED / "corpus"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    if not FIXTURES.is_dir():
        pytest.skip(f"the reference fixtures are not at {FIXTURES} (set BEART_SHARED)")
    return FIXTURES


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not at {CORPUS} (set BEART_SHARED)")
    return CORPUS


@pytest.fixture(scope="session")
def forward_io(fixtures_dir):
    return dict(np.load(fixtures_dir / "forward_io.npz"))


@pytest.fixture(scope="session")
def converted_dir(fixtures_dir, tmp_path_factory) -> Path:
    from beart.conversion import convert_original_checkpoint

    output_dir = tmp_path_factory.mktemp("converted") / "quaver"
    convert_original_checkpoint(fixtures_dir / "original_quaver_checkpoint.pt", output_dir)
    return output_dir
