"""The web page in a real headless browser (Debian's Chromium), served by a real uvicorn server.

Set WSD_SCREENSHOT=path to keep a copy of the screenshot (docs/screenshot.png was made that way)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        reason = "needs Debian's chromium at /usr/bin/chromium (apt-get install chromium; `make test` installs it)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser test: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, live_server):
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
    page.goto(f"{live_server}/")
    page.wait_for_selector("body[data-ready]")  # the index defaults are in the form
    yield page
    page.close()


def test_click_a_word_shows_its_sense_and_evidence(page, tmp_path):
    page.fill("#sentence", "He sat on the bank of the river and watched the water.")
    words = page.locator("#words .word")
    assert words.count() == 12
    page.locator("#words .word", has_text="bank").click()
    page.wait_for_selector("#result:not([hidden])")
    page.wait_for_function("document.querySelectorAll('#neighbours li').length > 0")

    assert page.text_content("#target-word") == "bank"
    assert page.text_content("#sense-key").startswith("bank%1:")
    assert page.text_content("#synset") and page.text_content("#gloss")
    assert 0 < float(page.text_content("#confidence")) <= 1
    assert page.text_content("#method") == "knn"
    assert page.locator("#candidates tbody tr").count() > 1
    assert page.locator("#candidates tbody tr.chosen").count() == 1
    neighbours = page.locator("#neighbours li")
    marks = page.locator("#neighbours li mark").all_text_contents()
    assert len(marks) == neighbours.count() and all(m.lower().startswith("bank") for m in marks)
    assert page.locator("#plot circle.neighbour").count() == neighbours.count()
    assert page.locator("#plot polygon.query").count() == 1
    assert page.locator("#words .word.selected").all_text_contents() == ["bank"]

    shot = tmp_path / "web-page.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    if os.environ.get("WSD_SCREENSHOT"):
        shutil.copyfile(shot, os.environ["WSD_SCREENSHOT"])
    assert page.problems == []


def test_errors_are_shown_not_thrown(page):
    page.fill("#k", "0")
    page.locator("#words .word").first.click()
    page.wait_for_selector("#error:not([hidden])")
    assert "k: Input should be greater than or equal to 1" in page.text_content("#error")
    assert page.problems == [] or all("400" in p or "422" in p for p in page.problems)


def test_annotate_all_marks_content_words(page):
    page.fill("#sentence", "The jury said the election was conducted well.")
    page.click("#annotate")
    page.wait_for_function("document.querySelectorAll('#words .word.annotated').length > 0")
    annotated = page.locator("#words .word.annotated").all_text_contents()
    assert {"jury", "election"} <= set(annotated) and "The" not in annotated
    assert "content words disambiguated" in page.text_content("#status")


def test_api_docs_render_from_the_machine(page, live_server):
    page.goto(f"{live_server}/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
    assert page.locator(".opblock").count() == 7  # the six operations before /readyz, and /readyz
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
