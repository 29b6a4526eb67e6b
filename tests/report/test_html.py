import json
import re

from redline.analysis import summarize_run
from redline.core.records import Score
from redline.report import render_html
from redline.report.html import script_json

SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)
EXTERNAL = re.compile(
    r"""<(?:script|link|img|iframe|source|audio|video|embed|object)\b[^>]*"""
    r"""(?:src|href|data)\s*=\s*["']?\s*(?:https?:)?//""",
    re.IGNORECASE,
)


def _render(tmp_path, info, attempts, scores, name="report.html", **options):
    summary = summarize_run(info, attempts, scores)
    path = render_html(
        info=info,
        summary=summary,
        attempts=attempts,
        scores=scores,
        path=tmp_path / name,
        **options,
    )
    return path, path.read_text(encoding="utf-8")


def _embedded(html):
    match = re.search(
        r'<script id="transcripts-data" type="application/json">(.*?)</script>', html, re.S
    )
    assert match, "transcript data block missing"
    return json.loads(match.group(1))


def test_payloads_in_prompts_are_text_not_markup(
    tmp_path, run_info, attempt_factory, script_payload
):
    SCRIPT_PAYLOAD = script_payload

    attempt = attempt_factory(
        "x1", category=f"s1{SCRIPT_PAYLOAD}", prompt=SCRIPT_PAYLOAD, response=SCRIPT_PAYLOAD
    )
    score = Score(
        attempt_id=attempt.id, scorer="refusal", scorer_version="1",
        label="full_compliance", value=0.0, rationale=SCRIPT_PAYLOAD,
    )  # fmt: skip
    path, html = _render(tmp_path, run_info, [attempt], [score])
    assert path.exists()
    # Exactly our two script elements: the JSON data block and the page script.
    assert len(SCRIPT_TAG.findall(html)) == 2
    assert "<img src=x" not in html and "onerror=alert(1)>" not in html
    assert "&lt;script&gt;window.__pwned" in html  # category and config, escaped by Jinja
    records = _embedded(html)
    assert records[0]["messages"][1][1] == SCRIPT_PAYLOAD
    assert records[0]["response"] == SCRIPT_PAYLOAD
    assert records[0]["rationale"] == SCRIPT_PAYLOAD


def test_script_json_cannot_close_its_element():
    text = str(script_json({"a": "</script><!-- & \u2028"}))
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"a": "</script><!-- & \u2028"}


def test_report_is_self_contained(tmp_path, run_info, hand_run):
    attempts, scores = hand_run
    _, html = _render(tmp_path, run_info, attempts, scores)
    assert not EXTERNAL.findall(html)
    assert "<link" not in html.lower()
    assert "@import" not in html and "url(" not in html
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html, re.I)
    assert html.count("<svg") == 2  # ASR by category, over-refusal by benign type


def test_header_headline_tables_and_order(tmp_path, run_info, hand_run):
    attempts, scores = hand_run
    _, html = _render(tmp_path, run_info, attempts, scores)
    assert "20260101-000000-abcdef" in html and "local:smollm2" in html
    assert "25.0%" in html  # headline ASR
    assert "66.7%" in html  # headline over-refusal
    assert "Run configuration" in html and "&#34;suite&#34;: &#34;demo&#34;" in html
    records = _embedded(html)
    assert [r["outcome"] for r in records[:3]] == ["attack_success", "over_refusal", "over_refusal"]
    assert records[0]["behavior"] == "h1"
    errored = [r for r in records if r["outcome"] == "error"]
    assert {r["label"] for r in errored} == {"error"}
    assert {r["error"] for r in errored} == {"timeout: no answer in 60 s", "transient: HTTP 500"}
    assert next(r for r in records if r["behavior"] == "h6")["label"] == "unscored"


def test_ten_thousand_attempts_render_whole_on_request(tmp_path, run_info, synthetic_run):
    # Speed is measured in bench/report_render.py (docs/benchmarks.md), not asserted
    # here: a time limit fails on a loaded machine and proves nothing on a quiet one.
    attempts, scores = synthetic_run(10_000, epochs=2, payload_every=50)
    path, html = _render(tmp_path, run_info, attempts, scores, max_transcripts=None)
    records = _embedded(html)
    assert len(records) == 10_000
    assert 'id="transcripts-bound"' not in html
    assert records[0]["outcome"] == "attack_success"
    assert len(SCRIPT_TAG.findall(html)) == 2
    assert path.stat().st_size < 15_000_000


def test_a_big_run_embeds_failures_first_then_a_fixed_sample(tmp_path, run_info, synthetic_run):
    attempts, scores = synthetic_run(10_000, epochs=2, payload_every=50)
    _, html = _render(tmp_path, run_info, attempts, scores, max_transcripts=5_000)
    records = _embedded(html)
    assert len(records) == 5_000
    everything = _embedded(
        _render(tmp_path, run_info, attempts, scores, "all.html", max_transcripts=None)[1]
    )
    failures = {
        r["id"] for r in everything if r["outcome"] in ("attack_success", "over_refusal", "error")
    }
    assert 0 < len(failures) < 5_000
    kept = {r["id"] for r in records}
    assert failures <= kept
    # The rest is a sample, not the first attempts of the file: some late ones are in it.
    late = {a.id for a in attempts[-2_000:]}
    assert kept - failures & late
    assert "Showing 5000 of 10000 transcripts" in html
    assert f"redline runs show {run_info.id}" in html
    # The same run embeds the same sample.
    again = _embedded(
        _render(tmp_path, run_info, attempts, scores, "again.html", max_transcripts=5_000)[1]
    )
    assert [r["id"] for r in again] == [r["id"] for r in records]


def test_a_run_without_benign_prompts_says_so(tmp_path, run_info, hand_run):
    attempts, scores = hand_run
    harmful = [a for a in attempts if a.expected == "refuse"]
    _, html = _render(tmp_path, run_info, harmful, scores)
    assert "no labelled benign attempts in this run" in html
    assert "no labelled harmful attempts" not in html
    assert html.count("<svg") == 1
