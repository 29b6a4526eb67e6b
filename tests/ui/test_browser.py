"""The dashboard in a real browser (Debian's chromium via Playwright): pages load
without console errors, filters and search work, and an annotation session labels
ten items by keyboard."""

from __future__ import annotations

import json

import httpx
import pytest

from redline.annotation import AnnotationStore, stratified_queue
from redline.store import RunStore

from .conftest import RUN_A, RUN_B, RUN_XSS, SCRIPT_PAYLOAD, make_runs

# The browser fixture (tests/conftest.py) skips when chromium is missing.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def writable(serve, tmp_path_factory):
    """A writable dashboard with one label queue of 12 items."""
    root = make_runs(tmp_path_factory.mktemp("writable") / "runs")
    handle = RunStore(root).open(RUN_A)
    queue = stratified_queue(
        handle.read_attempts(), handle.read_scores(), n=12, seed=1, queue_id="session"
    )
    AnnotationStore(root).save(queue)
    return serve(root, allow_writes=True), root


def _watch(page):
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


def test_every_page_loads_without_console_errors(browser, writable):
    url, _ = writable
    attempt = httpx.get(f"{url}/runs/{RUN_A}", timeout=120).text.split('data-id="')[1].split('"')[0]
    paths = [
        "/", f"/runs/{RUN_A}", f"/runs/{RUN_A}/t/{attempt}", "/runs/broken-run",
        "/compare", f"/compare?a={RUN_A}&b={RUN_B}", "/guard", "/regress", "/annotate",
        "/annotate/session", "/annotate/session?annotator=ann", "/annotate/session/agreement",
    ]  # fmt: skip
    page = browser.new_page()
    problems = _watch(page)
    for path in paths:
        response = page.goto(url + path)
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("load")
    assert problems == []
    page.close()


def test_run_filters_and_search_in_the_browser(browser, base_url):
    page = browser.new_page()
    problems = _watch(page)
    page.goto(f"{base_url}/runs/{RUN_A}")
    total = int(page.locator("#shown").inner_text().split()[0])
    assert total == 150
    # A select submits its form on change (progressive enhancement).
    with page.expect_navigation():
        page.select_option("#f-outcome", "attack_success")
    assert "outcome=attack_success" in page.url
    badges = page.locator("#transcripts .badge.attack_success").count()
    assert badges == page.locator("#transcripts tr.tx").count() > 0
    page.fill("#q", "volcano")
    with page.expect_navigation():
        page.press("#q", "Enter")
    previews = page.locator("#transcripts .preview").all_inner_texts()
    assert previews and all("volcano" in p.lower() for p in previews)
    # Filters combine: every row is an attack success about the volcano.
    assert page.locator("#transcripts .badge.attack_success").count() == len(previews)

    page.goto(f"{base_url}/")
    page.fill("#q", "openai:other")
    with page.expect_navigation():
        page.press("#q", "Enter")
    rows = page.locator("#runs tbody tr").evaluate_all("rs => rs.map(r => r.dataset.run)")
    assert rows == [RUN_B]
    assert problems == []
    page.close()


def test_ten_items_labelled_by_keyboard_reach_the_export(browser, writable):
    url, root = writable
    page = browser.new_page()
    problems = _watch(page)
    page.goto(f"{url}/annotate/session")
    page.fill("#annotator", "ann")
    with page.expect_navigation():
        page.press("#annotator", "Enter")
    keys = "rpcrrcpcrc"
    labelled = []
    for key in keys:
        item = page.locator("#item").get_attribute("data-item")
        labelled.append(item)
        with page.expect_navigation():
            page.keyboard.press(key)
    assert page.locator("#progress").inner_text() == "10 of 12 labelled"
    export = httpx.get(f"{url}/annotate/session/export", params={"format": "labels"}, timeout=60)
    rows = [json.loads(line) for line in export.text.splitlines()]
    queue = AnnotationStore(root).open("session").queue
    expected = {"r": "full_refusal", "p": "partial_refusal", "c": "full_compliance"}
    by_attempt = {
        queue.item(i).a.attempt_id: expected[k] for i, k in zip(labelled, keys, strict=True)
    }
    assert {r["id"]: r["human_label"] for r in rows} == by_attempt
    assert problems == []
    page.close()


def test_hostile_transcripts_are_shown_as_text(browser, base_url):
    page = browser.new_page()
    problems = _watch(page)
    for path in (f"/runs/{RUN_XSS}?q=quokka", f"/runs/{RUN_XSS}/t/xss-1"):
        page.goto(base_url + path)
        assert page.evaluate("window.__pwned === undefined")
        assert SCRIPT_PAYLOAD in page.locator("main").inner_text()
    assert problems == []
    page.close()


def test_delete_asks_for_the_run_id(browser, serve, tmp_path):
    root = make_runs(tmp_path / "runs")
    url = serve(root, allow_writes=True)
    page = browser.new_page()
    answers = iter(["not the id", RUN_B])
    page.on("dialog", lambda dialog: dialog.accept(next(answers)))
    page.goto(f"{url}/")
    page.locator(f'form.delete[data-run="{RUN_B}"] button').click()
    assert (root / RUN_B).exists()  # a wrong answer submits nothing
    with page.expect_navigation():
        page.locator(f'form.delete[data-run="{RUN_B}"] button').click()
    assert not (root / RUN_B).exists()
    assert page.locator(f'tr[data-run="{RUN_B}"]').count() == 0
    page.close()
