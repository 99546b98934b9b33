"""The Gradio demo driven in headless Chromium, from upload to download (run with `python -m pytest -m browser`)."""

import os
import shutil
import socket
import sys
import time
import zipfile
from pathlib import Path

import pytest


pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def browser(tmp_path):
    webdriver = pytest.importorskip("selenium.webdriver")
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.skip("needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1200"):
        options.add_argument(argument)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads)})
    driver = webdriver.Chrome(service=webdriver.ChromeService(CHROMEDRIVER), options=options)
    driver.downloads = downloads
    yield driver
    driver.quit()


@pytest.fixture
def demo_url():
    pytest.importorskip("gradio")
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        from app import build_demo
    finally:
        sys.path.remove(str(ROOT / "examples"))
    demo = build_demo()
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


def test_demo_generates_a_map_from_upload_to_download(browser, demo_url):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 180)
    browser.get(demo_url)
    upload = wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "input[type=file]")))
    upload.send_keys(str(ROOT / "examples" / "drums.ogg"))
    wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "audio, .waveform-container")))
    wait.until(expected_conditions.element_to_be_clickable((By.ID, "generate"))).click()
    link = wait.until(expected_conditions.element_to_be_clickable((By.CSS_SELECTOR, "#download a[href*='.osz']")))
    assert "objects" in wait.until(expected_conditions.visibility_of_element_located((By.ID, "summary"))).text
    assert browser.find_element(By.CSS_SELECTOR, "#preview img").get_attribute("src")
    link.click()
    deadline = time.time() + 60
    while time.time() < deadline and not list(browser.downloads.glob("*.osz")):
        time.sleep(0.5)
    (archive,) = list(browser.downloads.glob("*.osz"))
    with zipfile.ZipFile(archive) as osz:
        names = osz.namelist()
        assert "drums.ogg" in names
        (osu_name,) = [name for name in names if name.endswith(".osu")]
        assert "[HitObjects]" in osz.read(osu_name).decode("utf-8")
