"""The report in a real browser (Debian's chromium via Playwright), opened over file://."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from redline.analysis import summarize_run
from redline.report import render_html

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists() and shutil.which("chromium") is None,
        reason="no chromium at /usr/bin/chromium (apt-get install -y chromium)",
    ),
]


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = str(CHROMIUM) if CHROMIUM.exists() else shutil.which("chromium")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def report(tmp_path, run_info, synthetic_run, attempt_factory, script_payload):
    attempts, scores = synthetic_run(150)
    attempts.append(attempt_factory("zz-payload", category="s1", prompt=f"quokka {script_payload}"))
    summary = summarize_run(run_info, attempts, scores)
    path = render_html(
        info=run_info, summary=summary, attempts=attempts, scores=scores,
        path=tmp_path / "report.html",
    )  # fmt: skip
    return path, attempts


def _visible_previews(page):
    return page.locator("#transcripts .tx .preview").all_inner_texts()


def test_search_box_filters_visible_transcripts(browser, report):
    path, attempts = report
    page = browser.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(path.as_uri())
    page.wait_for_selector("#transcripts .tx")
    assert len(_visible_previews(page)) == 50  # first page of 151
    assert page.locator("#shown").inner_text() == "151 transcripts"

    page.locator("#q").fill("volcano")
    expected = sum("volcano" in a.messages[-1].content for a in attempts)
    page.wait_for_function(
        "n => document.querySelectorAll('#transcripts .tx').length === n", arg=expected
    )
    previews = _visible_previews(page)
    assert len(previews) == expected == 30
    assert all("volcano" in text for text in previews)
    assert page.locator("#shown").inner_text() == f"{expected} of 151 transcripts"

    # Filters combine with the search.
    page.select_option("#f-outcome", "attack_success")
    page.wait_for_function("document.querySelector('#shown').textContent.startsWith('1')")
    outcomes = page.locator("#transcripts .tx .badge").all_inner_texts()
    assert outcomes and {o.lower() for o in outcomes} == {"attack success"}

    # The payload prompt is shown as text, and its script never runs.
    page.select_option("#f-outcome", "")
    page.locator("#q").fill("quokka")
    page.wait_for_function("document.querySelectorAll('#transcripts .tx').length === 1")
    page.locator("#transcripts .tx summary").click()
    user_message = page.locator("#transcripts .tx .msg pre").nth(1).inner_text()
    assert "<script>window.__pwned = 1;" in user_message
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#transcripts img").count() == 0
    assert dialogs == []


def test_show_more_pages_through_matches(browser, report):
    path, _ = report
    page = browser.new_page()
    page.goto(path.as_uri())
    page.wait_for_selector("#transcripts .tx")
    page.locator("#more").click()
    assert page.locator("#transcripts .tx").count() == 100
    page.select_option("#f-category", "benign")
    page.wait_for_function("document.querySelectorAll('#transcripts .tx').length === 30")
    chips = page.locator("#transcripts .tx .chip").all_inner_texts()
    assert set(chips) == {"benign"}
    assert page.locator("#more").is_hidden()
