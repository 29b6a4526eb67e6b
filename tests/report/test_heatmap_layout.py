"""The attack heatmap and transcript filters as generated (the browser checks the
rendered layout in test_html_browser): categories as titled rows in natural
order, families as whole-word columns, a scalable SVG, and an attack filter."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from redline.analysis import summarize_run
from redline.analysis.summary import AttemptJudge
from redline.data.taxonomy import HAZARDS, category_label
from redline.report import render_html
from redline.report.attack_charts import attack_family, family_category_cells, heatmap_svg

from .conftest import CAMPAIGN_ATTACKS

SVG = "{http://www.w3.org/2000/svg}"


def _heatmap(campaign_run) -> ET.Element:
    attempts, scores = campaign_run
    cells = family_category_cells(attempts, judge=AttemptJudge(scores, primary="refusal"))
    return ET.fromstring(str(heatmap_svg(cells)))


def _texts(svg: ET.Element, cls: str) -> list[str]:
    return ["".join(t.itertext()).removeprefix(t.findtext(f"{SVG}title") or "")
            for t in svg.iter(f"{SVG}text") if t.get("class") == cls]  # fmt: skip


def test_heatmap_rows_are_titled_categories_in_natural_order(campaign_run):
    rows = _texts(_heatmap(campaign_run), "row-label")
    assert rows == [category_label(h) for h in HAZARDS]
    assert rows[:2] == ["S1 Violent crimes", "S2 Non-violent crimes"]
    assert rows.index("S10 Hate") == 9 and rows[-1] == "Cyber attacks"


def test_heatmap_columns_show_whole_family_names(campaign_run):
    svg = _heatmap(campaign_run)
    columns = "".join(_texts(svg, "col-label"))
    families = sorted({attack_family(a) for a in CAMPAIGN_ATTACKS})
    assert columns == "".join(families)  # nothing cut, one column per family
    assert "context+roleplay+encoding" in families


def test_heatmap_scales_with_a_viewbox_and_keeps_labels_inside(campaign_run):
    svg = _heatmap(campaign_run)
    width, height = float(svg.get("width")), float(svg.get("height"))
    assert svg.get("viewBox") == f"0 0 {svg.get('width')} {svg.get('height')}"
    for text in svg.iter(f"{SVG}text"):
        x, y = float(text.get("x")), float(text.get("y"))
        assert 0 < x < width and 0 < y < height
        assert "transform" not in text.attrib  # no rotated labels to slide under cells


def test_report_filters_categories_by_title_and_attacks(tmp_path, run_info, campaign_run):
    attempts, scores = campaign_run
    summary = summarize_run(run_info, attempts, scores)
    html = render_html(
        info=run_info, summary=summary, attempts=attempts, scores=scores,
        path=tmp_path / "report.html",
    ).read_text()  # fmt: skip
    category_select = re.search(r'<select id="f-category".*?</select>', html, re.S).group(0)
    options = re.findall(r'<option value="([^"]*)">([^<]*)</option>', category_select)
    assert options[1:4] == [("s1", "S1 Violent crimes"), ("s2", "S2 Non-violent crimes"),
                            ("s3", "S3 Sex-related crimes")]  # fmt: skip
    assert options[-1] == ("benign", "benign")
    attack_select = re.search(r'<select id="f-attack".*?</select>', html, re.S).group(0)
    attacks = re.findall(r'<option value="([^"]*)">', attack_select)
    assert attacks == ["", *sorted({*CAMPAIGN_ATTACKS, "none"})]
    assert 'title="s10">S10 Hate</td>' in html  # the category table, too
