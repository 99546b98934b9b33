import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest


from shared_paths import CORPUS, EXAMPLE_SONG, FIXTURES


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


def _write_fixture_song(folder, fixtures_dir, name="left"):
    """A song folder with the fixture's click loop and its LEFT training map as an `.ibf`."""
    from beart.beatmaps import IntermediateBeatmap

    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(fixtures_dir / "click_120bpm.wav", folder / "click_120bpm.wav")
    data = pd.read_csv(fixtures_dir / "train_map_left.csv")
    meta = json.loads((fixtures_dir / "train_map_left.json").read_text())
    IntermediateBeatmap(data, meta).save(folder / f"{name}.ibf")


@pytest.fixture(scope="session")
def fixture_song(fixtures_dir):
    """`fixture_song(folder, name="left")`: writes the fixture's click loop and its LEFT map as `name.ibf` there."""
    return lambda folder, name="left": _write_fixture_song(folder, fixtures_dir, name)


@pytest.fixture(scope="session")
def example_song() -> str:
    """The repository's example song, `examples/drums.ogg` (20 s of drums at 128 BPM)."""
    return EXAMPLE_SONG


@pytest.fixture(scope="session")
def fixture_corpus(tmp_path_factory, fixtures_dir):
    """A corpus of two copies of the fixture song, one in train and one in test."""
    from beart.training import build_corpus

    songs = tmp_path_factory.mktemp("songs")
    _write_fixture_song(songs / "first", fixtures_dir)
    _write_fixture_song(songs / "second", fixtures_dir)
    output = tmp_path_factory.mktemp("corpus") / "corpus"
    report = build_corpus(songs, output, test_size=0.5, progress=False)
    assert report.built
    return output


def _run_bounded(code: str, memory_gib: float = 1.0, seconds: float = 120.0) -> subprocess.CompletedProcess:
    """Runs `code` in a fresh interpreter whose heap may grow by at most `memory_gib` past what its imports took, and
    whose CPU time is bounded: a reader that allocates or loops without bound fails there, not on this machine."""
    prelude = textwrap.dedent(
        f"""\
        import resource, warnings
        import beart.beatmaps, beart.training.corpus, beart.audio
        data_kb = int(open("/proc/self/status").read().split("VmData:")[1].split()[0])
        limit = data_kb * 1024 + int({memory_gib} * 2**30)
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CPU, ({int(seconds)}, {int(seconds)}))
        """
    )
    return subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)], capture_output=True, text=True, timeout=seconds * 3
    )


# A long song for a child interpreter (`run_bounded`) to make: `waveform`, 20 minutes of clicks every 0.5 s (120 BPM),
# float32 at `rate` 44.1 kHz (212 MB).
LONG_CLICK_TRACK = """
import numpy as np

rate = 44100
waveform = np.zeros(20 * 60 * rate, np.float32)
clicks = np.arange(0, len(waveform) - 500, rate // 2)
waveform[clicks[:, None] + np.arange(400)] = np.hanning(400).astype(np.float32)
"""


@pytest.fixture(scope="session")
def long_click_track():
    """`long_click_track(code)`: the child program `code` (indented as a test writes it) with `LONG_CLICK_TRACK`'s
    `waveform` and `rate` made first."""
    return lambda code: LONG_CLICK_TRACK + textwrap.dedent(code)


@pytest.fixture(scope="session")
def run_bounded():
    """`run_bounded(code, memory_gib=1.0, seconds=120)`: runs `code` in a child interpreter, heap and CPU bounded."""
    return _run_bounded
