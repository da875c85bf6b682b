"""report.html opened in a real browser (headless Chromium driven by Selenium).

The page must render (a screenshot that is not blank), every image must decode, nothing
may be logged to the console as an error, nothing may be fetched from the network, and
the layout must fit a laptop-width window without horizontal scrolling.

Needs Debian's ``chromium`` and ``chromium-driver`` and the ``selenium`` package (the
``dev`` extra). Locally the test is skipped when they are missing; under CI (the ``CI``
environment variable is set) a missing browser is a failure, so the check cannot
silently stop running.
"""

from __future__ import annotations

import io
import os
import shutil

import numpy as np
import pandas as pd
import pytest

from hvrt import PartitionProfiler

pytestmark = pytest.mark.slow

CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--window-size=1366,900",  # a common laptop screen
)


def _require(condition: bool, what: str) -> None:
    if condition:
        return
    message = f"{what} is needed for the browser test (apt-get install -y chromium chromium-driver; pip install selenium)"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; under CI the browser test must run, not be skipped")
    pytest.skip(message)


def _find(*names: str) -> str | None:
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture
def browser(tmp_path, monkeypatch):
    chromium = _find("chromium", "chromium-browser")
    _require(chromium is not None, "Chromium")
    chromedriver = _find("chromedriver")
    _require(chromedriver is not None, "chromedriver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _require(False, "selenium")
    # Never let Selenium Manager go looking for drivers on the network.
    monkeypatch.setenv("SE_OFFLINE", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=chromedriver))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def report_file(tmp_path_factory):
    pytest.importorskip("matplotlib")
    rng = np.random.default_rng(11)
    n_rows = 6000
    data = pd.DataFrame(
        {
            "income": rng.lognormal(10, 0.6, n_rows),
            "age": rng.integers(18, 90, n_rows).astype(float),
            "bimodal": np.r_[rng.normal(-3, 1, n_rows // 2), rng.normal(3, 1, n_rows // 2)],
            "noise": rng.normal(size=n_rows),
            "region": rng.choice(["north", "south"], n_rows),
        }
    )
    labels = (data["bimodal"].rank(method="first").to_numpy().astype(int) - 1) * 80 // n_rows
    out = tmp_path_factory.mktemp("browser") / "profile"
    result = PartitionProfiler(data, labels, output_path=out).run_profiling()
    return out / "report.html", 1 + 2 * len(result.top_features)


def test_report_renders_in_headless_chromium(browser, report_file):
    from PIL import Image, ImageStat

    path, expected_images = report_file
    browser.get(path.resolve().as_uri())
    state = browser.execute_script("return document.readyState")
    assert state == "complete"

    images = browser.execute_script(
        "return Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight, i.alt])"
    )
    assert len(images) == expected_images
    for complete, width, height, alt in images:
        assert complete and width > 0 and height > 0, f"image {alt!r} did not decode"

    resources = browser.execute_script("return performance.getEntriesByType('resource').map(r => r.name)")
    assert all(name.startswith(("data:", "file:")) for name in resources), resources

    fits = browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    assert fits, "the report scrolls sideways in a 1366 px wide window"

    screenshot = Image.open(io.BytesIO(browser.get_screenshot_as_png())).convert("RGB")
    assert screenshot.size[0] >= 1000
    spread = ImageStat.Stat(screenshot).stddev
    colours = screenshot.getcolors(maxcolors=1 << 20)
    assert max(spread) > 10, "the screenshot is blank"
    assert colours is None or len(colours) > 50, "the screenshot is nearly blank"

    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == [], errors


def test_long_names_and_categories_leave_the_numbers_in_view(browser, tmp_path):
    # One 170-character column name and one 200-character category widened the first column
    # of the feature summary, the scores and the category table until only names were in view.
    pytest.importorskip("matplotlib")
    rng = np.random.default_rng(5)
    n_rows = 600
    long = "a_very_long_column_name_that_keeps_going_" * 4
    data = pd.DataFrame(
        {
            long: rng.normal(size=n_rows),
            "b": rng.normal(size=n_rows),
            "c": rng.choice(["x" * 200, "short"], n_rows),
        }
    )
    out = tmp_path / "profile"
    PartitionProfiler(data, np.arange(n_rows) % 6, output_path=out).run_profiling()
    browser.get((out / "report.html").resolve().as_uri())
    # per table: (right edge of its box, right edge of the first body row's second cell)
    edges = browser.execute_script(
        "return Array.from(document.querySelectorAll('.table-scroll')).map(box => {"
        " const cell = box.querySelector('tbody tr td:nth-child(2)');"
        " return [box.getBoundingClientRect().right, cell ? cell.getBoundingClientRect().right : 0]; })"
    )
    assert len(edges) >= 4
    for box_right, cell_right in edges:
        assert cell_right <= box_right, edges
    titles = browser.execute_script(
        "return Array.from(document.querySelectorAll('td.text')).map(td => td.title).filter(t => t.length > 150)"
    )
    assert long in titles and "x" * 200 in titles
