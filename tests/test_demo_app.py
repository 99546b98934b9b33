"""The web demo's requests without a browser: every mode of the registry, names from any upload, bounded disk."""

import os
import shutil
import sys
import zipfile
from pathlib import Path

import pytest

import beart
from beart.beatmaps import open_beatmap_set
from beart.beatmaps.formats import WRITE_MODES


ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))
try:
    import app
finally:
    sys.path.remove(str(ROOT / "examples"))


@pytest.fixture(scope="module")
def generator():
    return beart.load_generator()


@pytest.mark.parametrize("mode", ["mania", "stepmania", "tja", "fretsonfire"])
def test_every_game_downloads_a_map_it_plays(generator, example_song, tmp_path, mode):
    # the demo offered osu!'s four modes only, and wrote every map as an .osz
    assert mode in app.WRITE_MODES
    preview, download, summary = app.make_beatmap(generator, example_song, mode, 0.5, 1, str(tmp_path))
    assert os.path.getsize(preview) > 0 and "objects" in summary
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(download) as archive:
        names = archive.namelist()
        archive.extractall(unpacked)
    if mode == "mania":
        assert download.endswith("drums (mania).osz") and "drums.ogg" in names
        beatmap_set = open_beatmap_set(download)
    else:  # the song's folder, one folder at the top, as a game's songs folder takes it
        assert download.endswith("drums (%s).zip" % mode) and {name.split("/")[0] for name in names} == {
            "drums (%s)" % mode
        }
        beatmap_set = open_beatmap_set(str(unpacked / ("drums (%s)" % mode)))
    (difficulty,) = beatmap_set.difficulty_names
    assert len(beatmap_set.read(difficulty, for_training=False).hit_objects()) == int(summary.split("**")[1].split()[0])


def test_a_long_japanese_name_and_many_requests(generator, example_song, tmp_path, monkeypatch):
    # an upload named with 83 Japanese characters made names of 261 bytes ("File name too long"), and every map
    # made stayed on disk, each holding a copy of its song, until the disk was full
    song = tmp_path / ("曲" * 83 + ".ogg")  # 253 bytes, as long as a name gets
    shutil.copy(example_song, song)
    root = tmp_path / "outputs"
    root.mkdir()
    monkeypatch.setattr(app, "KEPT_OUTPUTS", 2)
    downloads = [app.make_beatmap(generator, str(song), mode, 0.3, 1, str(root))[1] for mode in ("taiko", "tja", "osu")]
    assert all(len(os.path.basename(path).encode()) <= 255 for path in downloads)
    assert len(os.listdir(root)) == 2 and not os.path.exists(downloads[0]) and os.path.exists(downloads[-1])
    assert sorted(WRITE_MODES) == sorted(app.WRITE_MODES)
