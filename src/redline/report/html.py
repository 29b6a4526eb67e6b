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
import json
import random
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import orjson
from jinja2 import Environment, FileSystemBytecodeCache, PackageLoader, select_autoescape
from markupsafe import Markup

from redline.analysis.summary import (
    AttemptJudge,
    GroupSummary,
    RunSummary,
    Verdict,
    engine_items,
)
from redline.core.errors import ConfigError
from redline.core.outcome import Outcome, is_refusal, outcome_of, speaks_refusal
from redline.core.records import Attempt, RunInfo, Score
from redline.data.taxonomy import category_label, category_sort_key
from redline.report.attack_charts import attack_charts
from redline.report.charts import Bar, bar_chart
from redline.report.terminal import scorer_line
from redline.report.thumbnails import message_thumbnails
from redline.report.transcript_limit import EMBEDDED_TRANSCRIPTS
from redline.stats.allocation import allocate
from redline.store import ImageStore, StoredRecords

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
    """JSON that is safe inside ``<script type="application/json">``.

    Encoded by orjson: 2,000 transcripts took the standard library ~8 ms, a tenth of
    a finish, and orjson ~1 ms, with the same text (compact, UTF-8 kept). What
    orjson cannot encode (a dict with non-string keys, an integer past 64 bits)
    goes through json. orjson writes NaN as null, which the page's ``JSON.parse``
    reads, where json's ``NaN`` made it fail.
    """
    try:
        text = orjson.dumps(data).decode()
    except orjson.JSONEncodeError:
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


# Outcomes a reviewer must see: kept before any other transcript is sampled.
KEPT_FIRST = frozenset({"attack_success", "over_refusal", "error"})


def _sample_rank(attempt_id: str, seed: int) -> int:
    # A seeded pseudo-random rank: the same run and seed always embed the same sample.
    digest = hashlib.blake2b(f"{seed}:{attempt_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def transcript_outcome(attempt: Attempt, judge: AttemptJudge) -> str:
    """:func:`outcome` of an attempt as ``judge`` decides it (errors: ``error``)."""
    if attempt.error is not None:
        return "error"
    return outcome(attempt, judge.verdict(attempt))


def transcript_sample(
    attempts: Iterable[Attempt], *, judge: AttemptJudge, limit: int, seed: int = 0
) -> set[str]:
    """The ids of at most ``limit`` attempts to show, stratified by category x outcome.

    Attack successes, over-refusals and errors are kept first (all of them
    when they fit; otherwise split over their strata in proportion). What is
    left of ``limit`` is split over the other strata in proportion to their
    sizes, at least one each when it allows, so a rare category or outcome is
    never left out. Within a stratum the sample is drawn by a seeded hash of
    the attempt id: same run, same seed, same sample. One pass; per stratum at
    most ``limit`` (rank, id) pairs are held, never a transcript.
    """
    return set(_sampled_places(attempts, judge=judge, limit=limit, seed=seed))


class TranscriptSampler:
    """Chooses :func:`transcript_sample` while the attempts stream by, one at a time.

    Fed each attempt with its verdict in the attempts' order (``add``), so the
    summary's one pass over a run can choose the sample too: the finish then
    reads the run's attempts once, not once for the summary and once for the sample.
    Per stratum at most ``limit`` (rank, id, place) triples are held.
    """

    def __init__(self, *, limit: int, seed: int = 0) -> None:
        self.limit = limit
        self.seed = seed
        self.seen = 0
        # Per stratum, a max-heap (ranks negated) of the `limit` lowest-ranked ids.
        self._lowest: dict[tuple[str, str], list[tuple[int, str, int]]] = {}
        self._sizes: Counter[tuple[str, str]] = Counter()

    def add(self, attempt: Attempt, verdict: Verdict) -> None:
        """Count the next attempt (``outcome`` handles an errored one before its verdict)."""
        place = self.seen
        self.seen += 1
        if self.limit <= 0:
            return
        key = (attempt.category, outcome(attempt, verdict))
        self._sizes[key] += 1
        heap = self._lowest.get(key)
        if heap is None:
            heap = self._lowest[key] = []
        heapq.heappush(heap, (-_sample_rank(attempt.id, self.seed), attempt.id, place))
        if len(heap) > self.limit:
            heapq.heappop(heap)

    def chosen(self) -> dict[str, int]:
        """The sample: attempt id -> its place in the order the attempts were added."""
        if self.limit <= 0:
            return {}
        rng = random.Random(self.seed)
        sizes = self._sizes
        first = {k: n for k, n in sizes.items() if k[1] in KEPT_FIRST}
        rest = {k: n for k, n in sizes.items() if k[1] not in KEPT_FIRST}
        quota = allocate(first, self.limit, rng=rng, at_least_one=True)
        quota.update(allocate(rest, self.limit - sum(quota.values()), rng=rng, at_least_one=True))
        chosen: dict[str, int] = {}
        for key, heap in self._lowest.items():
            chosen.update(
                (attempt_id, place) for _, attempt_id, place in heapq.nlargest(quota[key], heap)
            )
        return chosen


class TranscriptCollector:
    """Every attempt's transcript record, made while the summary's pass judges it.

    For a run the report shows whole (no more attempts than it embeds): the report
    then neither reads the attempts again nor judges them a second time. Fed like
    :class:`TranscriptSampler` (``summarize_run(..., on_verdict=collector.add)``).
    """

    def __init__(self, *, images: ImageStore | None = None) -> None:
        self.images = images
        self.records: list[dict[str, Any]] = []
        # Per record, its deciding scorer and attempt id: the score the report shows.
        self.deciding: list[tuple[str, str]] = []

    def add(self, attempt: Attempt, verdict: Verdict) -> None:
        self.records.append(_transcript_record(attempt, verdict, images=self.images))
        self.deciding.append((verdict.scorer, attempt.id))


def _sampled_places(
    attempts: Iterable[Attempt], *, judge: AttemptJudge, limit: int, seed: int
) -> dict[str, int]:
    """:func:`transcript_sample` as attempt id -> its place in ``attempts``' order."""
    sampler = TranscriptSampler(limit=limit, seed=seed)
    if limit > 0:
        for attempt in attempts:
            sampler.add(attempt, judge.verdict(attempt))
    return sampler.chosen()


def transcript_records(
    attempts: Collection[Attempt],
    *,
    judge: AttemptJudge,
    images: ImageStore | None = None,
    limit: int | None = None,
    seed: int = 0,
    sampler: TranscriptSampler | None = None,
    collected: TranscriptCollector | None = None,
) -> list[dict[str, Any]]:
    """One plain dict per attempt, in review order (attack successes first); each
    judged by its deciding scorer, which the record names.

    With ``limit``, at most that many, chosen by :func:`transcript_sample`
    (when there are more attempts than that: the attempts are then read twice,
    the second time only the chosen ones when they stream from a run file).

    A message is ``[role, content]``, or ``[role, content, thumbnails]`` when
    it carried images (read from ``images``, the run's image store).

    ``sampler``, fed every one of ``attempts`` already (by the summary's pass, see
    :func:`redline.run.loop.finish_run`), gives the sample without reading the
    attempts for it again; it must have been made with the same ``limit`` and ``seed``.
    ``collected``, fed every one of ``attempts`` the same way, gives the records of a
    run that is shown whole without reading or judging the attempts again.
    """
    fits = limit is None or len(attempts) <= limit
    if collected is not None and fits:
        if len(collected.records) != len(attempts):
            raise ValueError(
                f"transcript collector fed {len(collected.records)} attempts; the report "
                f"has {len(attempts)}"
            )
        return _with_scores(list(collected.records), collected.deciding, judge)
    shown: Iterable[Attempt] = attempts
    if limit is not None and not fits:
        if sampler is None:
            chosen = _sampled_places(attempts, judge=judge, limit=limit, seed=seed)
        else:
            _check_sampler(sampler, limit=limit, seed=seed, attempts=len(attempts))
            chosen = sampler.chosen()
        if isinstance(attempts, StoredRecords):
            shown = attempts.at(chosen.values())
        else:
            shown = (attempt for attempt in attempts if attempt.id in chosen)
    records: list[dict[str, Any]] = []
    wanted: list[tuple[str, str]] = []  # (deciding scorer, attempt id) per record
    for attempt in shown:
        verdict = judge.verdict(attempt)
        records.append(_transcript_record(attempt, verdict, images=images))
        wanted.append((verdict.scorer, attempt.id))
    return _with_scores(records, wanted, judge)


def _with_scores(
    records: list[dict[str, Any]], wanted: Sequence[tuple[str, str]], judge: AttemptJudge
) -> list[dict[str, Any]]:
    """``records`` with their deciding scores shown, in review order."""
    # The deciding scores of the shown transcripts, read in one pass over the scores
    # file once the attempts are let go.
    for record, score in zip(records, judge.scores.get_many(wanted), strict=True):
        _show_score(record, score)
    records.sort(
        key=lambda r: (_OUTCOME_RANK[r["outcome"]], r["category"], r["behavior"], r["epoch"])
    )
    return records


def _check_sampler(sampler: TranscriptSampler, *, limit: int, seed: int, attempts: int) -> None:
    # A sampler fed another run, or drawn with another limit or seed, would embed a
    # different sample than the report says: refuse it rather than show it.
    if (sampler.limit, sampler.seed, sampler.seen) != (limit, seed, attempts):
        raise ValueError(
            f"transcript sampler (limit {sampler.limit}, seed {sampler.seed}, "
            f"{sampler.seen} attempts) does not match the report's "
            f"(limit {limit}, seed {seed}, {attempts} attempts)"
        )


def _transcript_record(
    attempt: Attempt, verdict: Verdict, *, images: ImageStore | None
) -> dict[str, Any]:
    """The record without its score's label, value and rationale (:func:`_show_score`)."""
    error = attempt.error
    kind = outcome(attempt, verdict if error is None else Verdict(verdict.scorer, None, ()))
    return {
        "id": attempt.id,
        "behavior": attempt.behavior_id,
        "category": attempt.category,
        "expected": attempt.expected,
        "attack": attempt.attack,
        "epoch": attempt.epoch,
        "target": attempt.target,
        "label": "error" if error is not None else "unscored",
        "scorer": verdict.scorer,
        "harm": verdict.harm,
        "outcome": kind,
        "value": None,
        "rationale": "",
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


def _show_score(record: dict[str, Any], score: Score | None) -> None:
    """Fill in the deciding score of a transcript's record; a score recorded for an
    errored attempt is not shown."""
    if score is not None and record["error"] is None:
        record["label"] = score.label or "unscored"
        record["value"] = score.value
        record["rationale"] = score.rationale


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
        # Compiling the report template costs ~0.2 s, a tenth of a small scan's whole
        # process; jinja keeps the compiled code in a per-user temp directory, checked
        # against the template's source, so later runs load it instead.
        bytecode_cache=FileSystemBytecodeCache(),
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
    scores: Iterable[Score],
    path: Path,
    images: ImageStore | None = None,
    max_transcripts: int | None = EMBEDDED_TRANSCRIPTS,
    sample_seed: int = 0,
    sampler: TranscriptSampler | None = None,
    collected: TranscriptCollector | None = None,
) -> Path:
    """Write the run's report to ``path`` (parents created) and return the path.

    ``images`` (the run's image store) lets transcripts show image thumbnails.
    At most ``max_transcripts`` transcripts are embedded (None: all; 0: none),
    a sample stratified by category x outcome with attack successes,
    over-refusals and errors first (:func:`transcript_sample`, drawn with
    ``sample_seed``); the report says how many of how many it shows.
    ``scores`` may be the :class:`~redline.analysis.ScoreIndex` the
    summary was made from: it is then shared, not read again. ``sampler``, when
    the summary's pass fed it (``summarize_run(..., on_verdict=sampler.add)``),
    chooses the transcripts without a second pass over the attempts; ``collected``
    (fed the same way) gives the transcripts of a run the report shows whole.
    """
    if max_transcripts is not None and max_transcripts < 0:
        raise ConfigError(f"max_transcripts must be 0 or more, got {max_transcripts}")
    judge = AttemptJudge.for_summary(summary, scores)
    records = transcript_records(
        attempts,
        judge=judge,
        images=images,
        limit=max_transcripts,
        seed=sample_seed,
        sampler=sampler,
        collected=collected,
    )
    # Filter options: (value, shown text); categories by title in natural order.
    categories = [
        (code, category_label(code))
        for code in sorted({r["category"] for r in records}, key=category_sort_key)
    ]
    attacks = sorted({r["attack"] for r in records})
    labels = sorted({r["label"] for r in records})
    # A run of plain prompts has no attack charts: its attempts need not be read for them.
    attacked = any(group.name != "none" for group in summary.by_attack)
    html = (
        _environment()
        .get_template("report.html.j2")
        .render(
            info=info,
            summary=summary,
            charts=summary_charts(summary)
            + (attack_charts(attempts, judge=judge) if attacked else []),
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
