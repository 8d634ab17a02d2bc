"""The web page in a real headless browser (Debian's Chromium), served by a real uvicorn server.

Set WSD_SCREENSHOT=path to keep a copy of the screenshot (docs/screenshot.png was made that way) and
WSD_MAP_SCREENSHOT=path for the sense map view (docs/sense_map.png); WSD_PAGE_INDEX=DIR serves that index
instead of the tiny fake one (for pictures of a real index)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        reason = (
            "needs Debian's chromium at /usr/bin/chromium (apt-get install chromium; `make test` installs it)"
        )
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser test: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def site(request):
    """Base URL of the page under test: the tiny fake index, or the index folder named by WSD_PAGE_INDEX."""
    folder = os.environ.get("WSD_PAGE_INDEX")
    if not folder:
        yield request.getfixturevalue("live_server")
        return
    from tests.server_thread import running_server
    from wsd_service.api.app import create_app
    from wsd_service.loading import load_indexes

    with running_server(create_app(load_indexes([Path(folder)]), warm=True)) as url:
        yield url


@pytest.fixture
def page(browser, site):
    page = browser.new_page(viewport={"width": 1120, "height": 900})
    page.problems = []  # JS errors, console errors, requests that leave the machine
    page.on("pageerror", lambda err: page.problems.append(f"page error: {err}"))
    page.on("console", lambda msg: msg.type == "error" and page.problems.append(f"console: {msg.text}"))

    def local_only(route) -> None:
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            page.problems.append(f"request off the machine: {route.request.url}")
            route.abort()

    page.route("**/*", local_only)
    page.goto(f"{site}/")
    page.wait_for_selector("body[data-ready]")  # the index defaults are in the form
    yield page
    page.close()


def test_click_a_word_shows_its_sense_and_evidence(page, tmp_path):
    page.fill("#sentence", "He sat on the bank of the river and watched the water.")
    words = page.locator("#words .word")
    assert words.count() == 12
    page.locator("#words .word", has_text="bank").click()
    page.wait_for_selector("#result:not([hidden])")
    page.wait_for_function("document.querySelectorAll('#neighbors li').length > 0")

    assert page.text_content("#target-word") == "bank"
    assert page.text_content("#sense-key").startswith("bank%1:")
    assert page.text_content("#synset") and page.text_content("#gloss")
    assert 0 < float(page.text_content("#confidence")) <= 1
    assert page.text_content("#method") == "knn"
    assert page.locator("#candidates tbody tr").count() > 1
    assert page.locator("#candidates tbody tr.chosen").count() == 1
    neighbors = page.locator("#neighbors li")
    marks = page.locator("#neighbors li mark").all_text_contents()
    assert len(marks) == neighbors.count() and all(m.lower().startswith("bank") for m in marks)
    assert page.locator("#plot circle.neighbor").count() == neighbors.count()
    assert page.locator("#plot polygon.query").count() == 1
    assert page.locator("#words .word.selected").all_text_contents() == ["bank"]

    shot = tmp_path / "web-page.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    if os.environ.get("WSD_SCREENSHOT"):
        shutil.copyfile(shot, os.environ["WSD_SCREENSHOT"])
    assert page.problems == []


def test_sense_map_shows_every_training_vector_and_the_query(page, tmp_path):
    page.fill("#sentence", "The jury said the election was conducted well.")
    page.locator("#words .word", has_text="said").click()
    page.wait_for_selector("#result:not([hidden])")
    assert page.is_hidden("#map-body")
    page.click("#show-map")
    page.wait_for_selector("#map-body:not([hidden])")
    page.wait_for_function("document.querySelectorAll('#sense-map circle.map-point').length > 0")

    points = page.locator("#sense-map circle.map-point")
    legend = page.locator("#map-legend li")
    trained = sum(
        int(row) for row in page.locator("#candidates tbody td.num:nth-child(4)").all_text_contents()
    )
    assert points.count() <= trained and legend.count() >= 2
    assert f"{points.count()} of " in page.text_content("#map-note")
    assert page.locator("#sense-map .map-centroid").count() == legend.count()
    assert page.locator("#sense-map polygon.map-query").count() == 1
    assert all(text.strip() for text in page.locator("#map-legend .gloss-cell").all_text_contents())
    chosen = page.text_content("#sense-key")  # the candidate table and the map color a sense alike
    row_colour = page.locator("#candidates tbody tr.chosen .dot").evaluate("d => d.style.background")
    assert row_colour in page.locator("#map-legend .dot").evaluate_all(
        "ds => ds.map(d => d.style.background)"
    )
    assert chosen

    points.first.hover(force=True)  # force: points may overlap; the topmost one answers
    assert page.locator("#map-detail mark").text_content().lower() in ("say", "says", "said", "saying")
    points.nth(points.count() - 1).click(force=True)
    detail = page.text_content("#map-detail")
    points.first.hover(force=True)  # a clicked point stays shown
    assert page.text_content("#map-detail") == detail and "semcor" in detail

    shot = tmp_path / "sense-map.png"
    page.locator("#sense-map-panel").screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    if os.environ.get("WSD_MAP_SCREENSHOT"):
        shutil.copyfile(shot, os.environ["WSD_MAP_SCREENSHOT"])
    page.click("#show-map")
    assert page.is_hidden("#map-body")
    assert page.problems == []


def test_errors_are_shown_not_thrown(page):
    page.fill("#k", "0")
    page.locator("#words .word").first.click()
    page.wait_for_selector("#error:not([hidden])")
    assert "k: Input should be greater than or equal to 1" in page.text_content("#error")
    assert page.problems == [] or all("400" in p or "422" in p for p in page.problems)


def test_annotate_all_marks_content_words(page):
    page.fill("#sentence", "The jury said the election was conducted well. They ate ice cream.")
    page.click("#annotate")
    page.wait_for_function("document.querySelectorAll('#words .word.annotated').length > 0")
    annotated = page.locator("#words .word.annotated").all_text_contents()
    assert {"jury", "election", "ice", "cream"} <= set(annotated)  # ice cream: one unit, two buttons
    assert "The" not in annotated
    assert "content words disambiguated" in page.text_content("#status")


def test_api_docs_render_from_the_machine(page, live_server):
    page.goto(f"{live_server}/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
    assert page.locator(".opblock").count() == 9  # eight operations before /readyz, and /readyz
    assert page.problems == []


def test_index_selector_when_several_are_loaded(browser, tiny_disambiguator):
    from tests.server_thread import running_server
    from wsd_service.api.app import create_app

    app = create_app({"first": tiny_disambiguator, "second": tiny_disambiguator})
    with running_server(app) as url:
        page = browser.new_page()
        page.goto(f"{url}/")
        page.wait_for_selector("body[data-ready]")
        assert page.is_visible("#index-choice")
        assert page.locator("#index option").all_text_contents() == ["first", "second"]
        page.select_option("#index", "second")
        page.locator("#words .word", has_text="bank").click()
        page.wait_for_selector("#result:not([hidden])")
        page.wait_for_function("document.getElementById('index-used').textContent === 'second'")
        page.close()
