"""Where the tests find the shared reference material (`BEART_SHARED`, default `../shared`): module constants, for
the parametrisations that need them at collection time; tests read them through the fixtures of `conftest.py`."""

import os
from pathlib import Path


REPOSITORY = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("BEART_SHARED", REPOSITORY.parent / "shared"))
FIXTURES = SHARED / "fixtures" / "original"
CORPUS = SHARED / "corpus"
EXAMPLE_SONG = str(REPOSITORY / "examples" / "drums.ogg")
