"""One self-contained HTML file per run: headline numbers, charts, tables, transcripts.

The file has no external references (no CDN, fonts or scripts), so it opens
offline from ``file://`` and can be attached to a ticket. Summary parts are
rendered by Jinja2 with autoescaping; transcripts travel as one JSON block
(with ``<``, ``>`` and ``&`` escaped so no payload can close the script
element) and are put on the page by a small script using ``textContent`` only,
which keeps 10,000 attempts fast to open and safe to show.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import json
from collections.abc import Callable, Collection, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from redline.analysis.summary import (
    AttemptJudge,
    GroupSummary,
    RunSummary,
    Verdict,
    engine_items,
)
from redline.core.outcome import Outcome, is_refusal, outcome_of, speaks_refusal
from redline.core.records import Attempt, RunInfo, Score
from redline.data.taxonomy import category_label, category_sort_key
from redline.report.attack_charts import attack_charts
from redline.report.charts import Bar, bar_chart
from redline.report.terminal import scorer_line
from redline.report.thumbnails import message_thumbnails
from redline.store import ImageStore

# Transcripts needing a look come first: attack successes, then over-refusals,
# then failures to get an answer at all.
_OUTCOME_RANK = {
    "attack_success": 0,
    "over_refusal": 1,
    "error": 2,
    "unscored": 3,
    "other": 3,
    "refused": 4,
    "resisted": 4,
    "complied": 4,
}
_JSON_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def script_json(data: Any) -> Markup:
    """JSON that is safe inside ``<script type="application/json">``."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.translate(_JSON_ESCAPES))


def outcome(attempt: Attempt, verdict: Verdict) -> str:
    """What an attempt means for safety, from its expectation and its deciding label."""
    label = verdict.label
    if attempt.error is not None:
        return "error"
    if label is None:
        return "unscored"
    meaning = outcome_of(label, verdict.positive_labels)
    if meaning is Outcome.NOT_APPLICABLE:
        return "other"
    if attempt.expected == "refuse":
        if meaning is Outcome.SUCCESS:
            return "attack_success"
        return "refused" if is_refusal(label) else "resisted"
    if not speaks_refusal(label):
        return "other"
    return "over_refusal" if is_refusal(label) else "complied"


# Transcripts embedded in a report by default: enough to review (every failure
# of a typical run fits), few enough that a 100k-attempt report stays a few MB
# and rendering it holds a bounded number of transcripts in memory.
EMBEDDED_TRANSCRIPTS = 2000


def _sample_rank(attempt_id: str) -> int:
    # A stable pseudo-random rank: the same run always embeds the same sample.
    digest = hashlib.blake2b(attempt_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def transcript_records(
    attempts: Collection[Attempt],
    scores: Collection[Score],
    *,
    judge: AttemptJudge,
    images: ImageStore | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """One plain dict per attempt, in review order (attack successes first); each
    judged by its deciding scorer, which the record names.

    With ``limit``, at most that many: attack successes, over-refusals and errors
    first, then a deterministic sample of the rest (by a hash of the attempt
    id); attempts are read once and at most ``limit`` records are held.

    A message is ``[role, content]``, or ``[role, content, thumbnails]`` when
    it carried images (read from ``images``, the run's image store).
    """
    by_id = {(s.scorer, s.attempt_id): s for s in scores}
    # A max-heap (keys negated) of the records kept so far; the counter breaks ties.
    kept: list[tuple[int, int, int, dict[str, Any]]] = []
    order = itertools.count()
    for attempt in attempts:
        verdict = judge.verdict(attempt)
        score = by_id.get((verdict.scorer, attempt.id)) if attempt.error is None else None
        label = score.label if score is not None else None
        kind = outcome(
            attempt, verdict if attempt.error is None else Verdict(verdict.scorer, None, ())
        )
        error = attempt.error
        record = {
            "id": attempt.id,
            "behavior": attempt.behavior_id,
            "category": attempt.category,
            "expected": attempt.expected,
            "attack": attempt.attack,
            "epoch": attempt.epoch,
            "target": attempt.target,
            "label": "error" if error is not None else (label or "unscored"),
            "scorer": verdict.scorer,
            "harm": verdict.harm,
            "outcome": kind,
            "value": score.value if score is not None else None,
            "rationale": score.rationale if score is not None else "",
            "latency": attempt.latency_s,
            "retries": attempt.retries,
            "cached": attempt.cached,
            "tokens": [attempt.usage.prompt_tokens, attempt.usage.completion_tokens],
            "error": f"{error.kind}: {error.message}" if error is not None else None,
            "messages": [
                [m.role, m.content, message_thumbnails(m.images, images)]
                if m.images
                else [m.role, m.content]
                for m in attempt.messages
            ],
            "response": attempt.response,
            "tags": attempt.tags,
            **_agent_trace(attempt),
        }
        key = (-_OUTCOME_RANK[kind], -_sample_rank(attempt.id), next(order), record)
        heapq.heappush(kept, key)
        if limit is not None and len(kept) > limit:
            heapq.heappop(kept)
    records = [item[3] for item in kept]
    records.sort(
        key=lambda r: (_OUTCOME_RANK[r["outcome"]], r["category"], r["behavior"], r["epoch"])
    )
    return records


def _agent_trace(attempt: Attempt) -> dict[str, Any]:
    """An agent episode's tool calls, ``[step, tool, arguments, status]`` each, and its
    checks; nothing for other attempts (their records stay as they were)."""
    agent = attempt.agent
    if agent is None:
        return {}
    calls = [
        [
            c.get("step"),
            c.get("tool"),
            json.dumps(c.get("arguments"), ensure_ascii=False),
            c.get("status"),
        ]
        for c in agent.get("calls") or ()
    ]
    flows = [f for f in agent.get("taint_flows") or () if not f.get("expected")]
    checks = {
        "utility": agent.get("utility"),
        "attack_success": agent.get("attack_success"),
        "taint_flows": len(flows),
        "defences": agent.get("defences"),
    }
    return {"tool_calls": calls, "agent_checks": checks}


def _bars(
    groups: Sequence[GroupSummary], *, side: str, name: Callable[[str], str] = str
) -> list[Bar]:
    bars = []
    for group in groups:
        rate = group.attack_success if side == "harmful" else group.over_refusal
        present = group.harmful_attempts if side == "harmful" else group.benign_attempts
        if present:
            bars.append(Bar(name(group.name), rate.rate, rate.events, rate.scored))
    return bars


def summary_charts(summary: RunSummary) -> list[dict[str, Any]]:
    """The report's bar charts of a summary (by category, by attack, by benign type)."""
    charts = []
    harmful = _bars(summary.by_category, side="harmful", name=category_label)
    if harmful:
        charts.append(
            {
                "title": "Attack success rate by category",
                "note": "Harmful prompts answered with full compliance. Whiskers: 95% Wilson "
                "interval.",
                "svg": bar_chart(harmful, title="Attack success rate by category", tone="danger"),
            }
        )
    if summary.multiple_attacks:
        by_attack = _bars(summary.by_attack, side="harmful")
        if by_attack:
            charts.append(
                {
                    "title": "Attack success rate by attack",
                    "note": "Same prompts, different attacks.",
                    "svg": bar_chart(
                        by_attack, title="Attack success rate by attack", tone="danger"
                    ),
                }
            )
    benign = _bars(summary.by_benign_type, side="benign")
    if benign:
        charts.append(
            {
                "title": "Over-refusal rate by benign type",
                "note": "Benign prompts refused fully or partly.",
                "svg": bar_chart(benign, title="Over-refusal rate by benign type", tone="warn"),
            }
        )
    return charts


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("redline.report", "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = _pct
    env.globals["category_label"] = category_label
    return env


def _pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f}%"


def _redline_version() -> str:
    try:
        return version("redline")
    except PackageNotFoundError:
        return "unknown"


def render_html(
    *,
    info: RunInfo,
    summary: RunSummary,
    attempts: Collection[Attempt],
    scores: Collection[Score],
    path: Path,
    images: ImageStore | None = None,
    max_transcripts: int | None = EMBEDDED_TRANSCRIPTS,
) -> Path:
    """Write the run's report to ``path`` (parents created) and return the path.

    ``images`` (the run's image store) lets transcripts show image thumbnails.
    At most ``max_transcripts`` transcripts are embedded (None: all), failures
    and errors first; the report says how many of how many it shows.
    """
    judge = AttemptJudge.for_summary(summary, scores)
    records = transcript_records(
        attempts, scores, judge=judge, images=images, limit=max_transcripts
    )
    # Filter options: (value, shown text); categories by title in natural order.
    categories = [
        (code, category_label(code))
        for code in sorted({r["category"] for r in records}, key=category_sort_key)
    ]
    attacks = sorted({r["attack"] for r in records})
    labels = sorted({r["label"] for r in records})
    html = (
        _environment()
        .get_template("report.html.j2")
        .render(
            info=info,
            summary=summary,
            charts=summary_charts(summary) + attack_charts(attempts, judge=judge),
            config_json=json.dumps(info.config, indent=2, sort_keys=True, default=str),
            transcripts_json=script_json(records),
            categories=categories,
            attacks=attacks,
            labels=labels,
            transcript_count=len(records),
            attempt_count=len(attempts),
            engine=engine_items(summary.engine_stats),
            scorer_line=scorer_line(summary),
            redline_version=_redline_version(),
        )
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path
