"""The report in a real browser (Debian's chromium via Playwright), opened over file://."""

from __future__ import annotations

import pytest

from redline.analysis import summarize_run
from redline.report import render_html

# The browser fixture (tests/conftest.py) skips when chromium is missing.
pytestmark = pytest.mark.slow


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


@pytest.fixture
def campaign_report(tmp_path, run_info, campaign_run):
    attempts, scores = campaign_run
    summary = summarize_run(run_info, attempts, scores)
    return render_html(
        info=run_info, summary=summary, attempts=attempts, scores=scores,
        path=tmp_path / "campaign.html",
    )  # fmt: skip


# Each heatmap label's box, and the SVG's, in page pixels.
_LABEL_BOXES = """() => {
  const svg = document.querySelector("svg.heatmap");
  const box = r => ({left: r.left, right: r.right, top: r.top, bottom: r.bottom});
  return {svg: box(svg.getBoundingClientRect()),
          labels: [...svg.querySelectorAll("text.row-label, text.col-label")].map(
            t => Object.assign(box(t.getBoundingClientRect()), {text: t.textContent}))};
}"""


def test_campaign_report_fits_1366_pixels_with_readable_heatmap(browser, campaign_report, tmp_path):
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(campaign_report.as_uri())
    page.wait_for_selector("#transcripts .tx")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 1366

    boxes = page.evaluate(_LABEL_BOXES)
    svg = boxes["svg"]
    assert svg["right"] <= 1366
    # Every hazard row; eight single families, a two- and a three-line chain column.
    assert len(boxes["labels"]) == 16 + 8 + 2 + 3
    for label in boxes["labels"]:
        assert svg["left"] <= label["left"] and label["right"] <= svg["right"], label
        assert svg["top"] <= label["top"] and label["bottom"] <= svg["bottom"], label
    # Column labels sit above the first row of cells, not under them.
    first_cell = page.evaluate(
        "document.querySelector('svg.heatmap rect').getBoundingClientRect().top"
    )
    column_bottoms = page.evaluate(
        "[...document.querySelectorAll('svg.heatmap text.col-label')]"
        ".map(t => t.getBoundingClientRect().bottom)"
    )
    assert max(column_bottoms) <= first_cell
    page.locator("svg.heatmap").screenshot(path=str(tmp_path / "heatmap.png"))
    page.screenshot(path=str(tmp_path / "report-1366.png"), full_page=False)


def test_attack_filter_shows_only_that_attacks_transcripts(browser, campaign_report):
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(campaign_report.as_uri())
    page.wait_for_selector("#transcripts .tx")
    page.select_option("#f-attack", "roleplay.fiction+base64")
    page.wait_for_function("document.querySelector('#shown').textContent.startsWith('32 of')")
    page.select_option("#f-category", "s10")
    page.wait_for_function("document.querySelectorAll('#transcripts .tx').length === 2")
    facts = page.locator("#transcripts .tx .facts").all_inner_texts()
    assert all(" · roleplay.fiction+base64 · s10-" in f for f in facts), facts
    # Cards name the category by its title, as the filter does; the code is the tooltip.
    chips = page.locator("#transcripts .tx .chip")
    assert set(chips.all_inner_texts()) == {"S10 Hate"}
    assert chips.first.get_attribute("title") == "s10"
