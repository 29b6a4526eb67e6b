"""The Guard: runs a policy's scanners over a text and turns scores into a verdict."""

from __future__ import annotations

import asyncio
import difflib
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redline.core import ConfigError, Message
from redline.guard.cascade import Cascade, CascadeDecision
from redline.guard.classifier_scores import ClassifierScores, share_heads
from redline.guard.deny_patterns import DenyPatternScanner
from redline.guard.normalisation import (
    Normaliser,
    TextView,
    clean_message,
    clean_text,
)
from redline.guard.policy import (
    ACTION_RANK,
    Action,
    Policy,
    ScannerPolicy,
    default_policy,
    load_policy,
)
from redline.guard.redaction import apply_redactions, placeholder
from redline.guard.scanner import (
    SCANNERS,
    SIDES,
    ScanContext,
    ScanResult,
    Segment,
    Side,
    Span,
    TextReading,
)
from redline.guard.verdict import Finding, Verdict

logger = logging.getLogger(__name__)

# Roles whose text the input side scans: what people and tools put into the context.
INPUT_ROLES = frozenset({"user", "tool"})
# Beyond this size a check in async code runs in a worker thread, so one huge
# request does not stall every other connection.
THREAD_OFFLOAD_CHARS = 20_000


@dataclass(slots=True)
class _Rule:
    threshold: float
    action: Action


@dataclass(slots=True)
class ActiveScanner:
    """A built scanner with its policy resolved per category."""

    name: str
    scanner: Any
    sides: frozenset[Side]
    fail_closed: bool
    rules: dict[str, _Rule] = field(default_factory=dict)
    # Which text the scanner reads: the classification view, the text as written, or both.
    reads: TextReading = "normalised"

    def rule(self, category: str) -> _Rule:
        return self.rules[category]


def _build_rules(
    name: str, scanner: Any, config: ScannerPolicy, policy: Policy
) -> dict[str, _Rule]:
    categories = tuple(scanner.categories)
    for category in config.categories:
        if category not in categories:
            close = difflib.get_close_matches(category, categories, n=1, cutoff=0.5)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ConfigError(
                f"{policy.where('scanners', name, 'categories', category)}: scanner {name!r} "
                f"has no category {category!r}.{hint} Known: {', '.join(categories)}."
            )
    model_thresholds: dict[str, float] = {}
    if config.threshold is None and hasattr(scanner, "default_thresholds"):
        model_thresholds = scanner.default_thresholds()
    rules: dict[str, _Rule] = {}
    for category in categories:
        override = config.categories.get(category)
        threshold = override.threshold if override and override.threshold is not None else None
        if threshold is None:
            threshold = config.threshold
        if threshold is None:
            threshold = model_thresholds.get(category, 0.5)
        action = override.action if override and override.action else config.action
        if action == "redact" and not scanner.redactable:
            loc = ("scanners", name, "categories", category) if override else ("scanners", name)
            raise ConfigError(
                f"{policy.where(*loc, 'action')}: scanner {name!r} finds no spans, so it "
                "cannot redact; use flag or block"
            )
        rules[category] = _Rule(threshold=threshold, action=action)
    return rules


def _build_scanner(name: str, config: ScannerPolicy, policy: Policy) -> Any:
    if name not in SCANNERS:
        raise ConfigError(f"{policy.where('scanners', name)}: {SCANNERS.unknown_message(name)}")
    factory = SCANNERS.get(name)
    try:
        return factory(**config.options)
    except ConfigError as exc:
        raise ConfigError(f"{policy.where('scanners', name)}: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{policy.where('scanners', name, 'options')}: {exc}") from None


def _chunks(text: str, size: int, overlap: int) -> list[tuple[int, str]]:
    step = max(size - overlap, 1)
    out = []
    for start in range(0, len(text), step):
        out.append((start, text[start : start + size]))
        if start + size >= len(text):
            break
    return out


def _rebase(context: ScanContext, start: int, end: int) -> ScanContext:
    if not context.segments:
        return context
    segments = [
        Segment(max(s.start, start) - start, min(s.end, end) - start, s.role)
        for s in context.segments
        if s.start < end and s.end > start
    ]
    return ScanContext(side=context.side, messages=context.messages, segments=segments)


def _merge(results: list[tuple[int, ScanResult]]) -> ScanResult:
    """Chunk results into one: max score per category, spans shifted to the full text."""
    if len(results) == 1 and results[0][0] == 0:
        return results[0][1]
    scores: dict[str, float] = {}
    notes: dict[str, str] = {}
    seen: set[tuple[int, int, str]] = set()
    spans: list[Span] = []
    for offset, result in results:
        for category, score in result.scores.items():
            scores[category] = max(scores.get(category, 0.0), score)
        for category, note in result.notes.items():
            notes.setdefault(category, note)
        for span in result.spans:
            key = (span.start + offset, span.end + offset, span.category)
            if key not in seen:
                seen.add(key)
                spans.append(Span(key[0], key[1], span.category, span.score))
    return ScanResult(scores=scores, spans=spans, notes=notes)


class Guard:
    """Checks inputs and outputs against a :class:`Policy`.

    Build one with :meth:`from_policy` or :meth:`default` and reuse it: scanners
    and classifiers load once. All ``check_*`` methods are thread-safe.
    ``skipped`` names what runs with less than the policy asked for (a scanner
    whose classifier is not installed, and why).
    """

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._scanners: list[ActiveScanner] = []
        self.skipped: dict[str, str] = {}
        self._cascade: Cascade | None = None
        cascade_model = policy.cascade.model if policy.cascade else None
        model_entry: ActiveScanner | None = None
        disabled = frozenset(policy.disabled)
        for name, config in policy.scanners.items():
            if not config.enabled:
                continue
            scanner = _build_scanner(name, config, policy)
            if not getattr(scanner, "available", True):
                reason = getattr(scanner, "unavailable_reason", "unavailable")
                self.skipped[name] = reason
                logger.info("guard: scanner %r left out: %s", name, reason)
                continue
            status = getattr(scanner, "model_status", "")
            if status and config.options.get("model", "auto") == "auto":
                self.skipped[f"{name}.model"] = status
                logger.info("guard: scanner %r runs on rules alone: %s", name, status)
            sides = frozenset(config.sides) if config.sides else frozenset(scanner.sides)
            on_error = config.on_error or policy.on_error
            entry = ActiveScanner(
                name=name,
                scanner=scanner,
                sides=sides - disabled,
                fail_closed=on_error == "fail_closed",
                rules=_build_rules(name, scanner, config, policy),
                reads=getattr(scanner, "text_view", "normalised"),
            )
            if name == cascade_model:
                # The cascade's model runs only on what the CPU scanners are unsure about.
                model_entry = entry
                continue
            self._scanners.append(entry)
        if policy.cascade is not None:
            self._cascade = _build_cascade(policy, model_entry, self._scanners)
        # Classifiers with one feature configuration (harm, jailbreak, injection) score
        # a text together: one featurization and one weight lookup for all of them.
        share_heads(
            [scores for item in self._scanners for scores in _classifier_scores(item.scanner)]
        )
        for side in SIDES:
            if side in disabled:
                continue
            deny = DenyPatternScanner(policy.patterns.deny, side=side)
            if deny.categories:
                rules = {
                    r.name or f"deny_{i}": _Rule(threshold=0.5, action=r.action)
                    for i, r in enumerate(policy.patterns.deny)
                }
                self._scanners.append(
                    ActiveScanner(
                        name="patterns",
                        scanner=deny,
                        sides=frozenset({side}),
                        fail_closed=policy.on_error == "fail_closed",
                        rules={c: rules[c] for c in deny.categories},
                        reads=deny.text_view,
                    )
                )
        self._allow = [(rule.compiled(), frozenset(rule.sides)) for rule in policy.patterns.allow]
        _require_every_side_checked(policy, self._scanners, self.skipped)
        # The guard's own placeholders in a text are never evidence against it (the
        # proxy's redacted input comes back in the reply).
        written = [*self._scanners, *([model_entry] if model_entry else [])]
        self._normaliser = Normaliser(
            redaction_text(Span(0, 0, category))
            for item in written
            if item.scanner.redactable
            for category in item.rules
        )

    @classmethod
    def from_policy(cls, path: str | Path) -> Guard:
        """A guard for the policy file at ``path``."""
        return cls(load_policy(path))

    @classmethod
    def default(cls) -> Guard:
        """A guard for the shipped default policy (``redline guard policy --default``)."""
        return cls(default_policy())

    def scanner_names(self, side: Side) -> list[str]:
        return [s.name for s in self._scanners if side in s.sides]

    def active_scanners(self, side: Side) -> list[ActiveScanner]:
        """The scanners that check ``side``, each with its per-category rules."""
        return [s for s in self._scanners if side in s.sides]

    def classification_view(self, text: str) -> str:
        """The text the scanners that read the normalised view see (``text`` already
        cleaned with ``clean_text``)."""
        return self._normaliser.view(text).text

    @property
    def cascade(self) -> Cascade | None:
        """The policy's cascade (``cascade.requests`` counts model calls), if any."""
        return self._cascade

    def close(self) -> None:
        """Release what scanners hold open (a guard model's connections and loop)."""
        entries = [*self._scanners, *([self._cascade.model] if self._cascade else [])]
        for item in entries:
            close = getattr(item.scanner, "close", None)
            if callable(close):
                close()

    # ---- public checks -------------------------------------------------------------

    # Every public check cleans its text first (redline.guard.normalisation): a lone
    # surrogate, an invalid byte or a NUL must not make a scanner fail, or fail-open
    # would skip it for anyone who sends one.

    def check_text(self, text: str | bytes, *, side: Side = "input") -> Verdict:
        """Check one bare text as a user input or a model output."""
        return self._check(clean_text(text), ScanContext(side=side, segments=()), side)

    def check_input(self, messages: Sequence[Message] | str | bytes) -> Verdict:
        """Check what is about to be sent to a model: user and tool messages."""
        text, context = _input_text(messages)
        verdict = self._check(text, context, "input")
        _redact_messages(verdict, context)
        return verdict

    def check_output(
        self, messages: Sequence[Message] | str | bytes, response: str | bytes
    ) -> Verdict:
        """Check a model's ``response`` to ``messages`` (the conversation is context:
        the system prompt for leak detection, the request for relevance)."""
        return self._check(clean_text(response), _output_context(messages), "output")

    async def acheck_input(self, messages: Sequence[Message] | str | bytes) -> Verdict:
        text, context = _input_text(messages)
        verdict = await self._acheck(text, context, "input")
        _redact_messages(verdict, context)
        return verdict

    async def acheck_output(
        self, messages: Sequence[Message] | str | bytes, response: str | bytes
    ) -> Verdict:
        return await self._acheck(clean_text(response), _output_context(messages), "output")

    async def acheck_text(self, text: str | bytes, *, side: Side = "input") -> Verdict:
        return await self._acheck(clean_text(text), ScanContext(side=side), side)

    def check_batch(self, texts: Sequence[str | bytes], *, side: Side = "input") -> list[Verdict]:
        """``check_text`` on each of ``texts``, in order, with the same verdicts; the
        classifier scanners score the whole batch at once (one sparse matrix, every
        head once), which is what makes a batch cheaper per text."""
        return self._check_many([(clean_text(t), ScanContext(side=side)) for t in texts], side)

    def check_inputs(
        self, conversations: Sequence[Sequence[Message] | str | bytes]
    ) -> list[Verdict]:
        """``check_input`` on each conversation (or text), scored as one batch."""
        prepared = [_input_text(messages) for messages in conversations]
        verdicts = self._check_many(prepared, "input")
        for verdict, (_, context) in zip(verdicts, prepared, strict=True):
            _redact_messages(verdict, context)
        return verdicts

    def check_outputs(
        self, exchanges: Sequence[tuple[Sequence[Message] | str | bytes, str | bytes]]
    ) -> list[Verdict]:
        """``check_output`` on each ``(messages, response)`` pair, scored as one batch."""
        return self._check_many(
            [(clean_text(response), _output_context(messages)) for messages, response in exchanges],
            "output",
        )

    async def acheck_outputs(
        self, messages: Sequence[Message] | str | bytes, responses: Sequence[str | bytes]
    ) -> list[Verdict]:
        """Several responses to one conversation (a completion's choices), as one batch.
        With a cascade or a remote scanner each is awaited on its own, so a guard model
        holds no thread."""
        if (self._cascade is not None and "output" in self._cascade.sides) or self._remote(
            "output"
        ):
            return list(await asyncio.gather(*(self.acheck_output(messages, r) for r in responses)))
        exchanges = [(messages, response) for response in responses]
        if sum(len(r) for r in responses) > THREAD_OFFLOAD_CHARS:
            return await asyncio.to_thread(self.check_outputs, exchanges)
        return self.check_outputs(exchanges)

    # ---- internals -----------------------------------------------------------------

    def _remote(self, side: Side) -> bool:
        return any(getattr(s.scanner, "remote", False) for s in self._scanners if side in s.sides)

    async def _acheck(self, text: str, context: ScanContext, side: Side) -> Verdict:
        offload = len(text) > THREAD_OFFLOAD_CHARS or self._remote(side)
        if self._cascade is None or side not in self._cascade.sides:
            if offload:
                return await asyncio.to_thread(self._check, text, context, side)
            return self._check(text, context, side)
        # The CPU pass runs here (or in a thread when big); the guard model is awaited,
        # so a slow model holds no thread and no event loop.
        if offload:
            scan = await asyncio.to_thread(self._scan_all, text, context, side)
        else:
            scan = self._scan_all(text, context, side)
        decision = await self._cascade.areview(
            scan.text.view.text, scan.text.view_context, scan.active, scan.results, scan.started
        )
        return self._finish(text, side, scan, _decision_to_original(decision, scan.text.view))

    def _pieces(self, text: str) -> list[tuple[int, str]]:
        limits = self.policy.limits
        if len(text) <= limits.max_chars:
            return [(0, text)]
        return _chunks(text, limits.max_chars, min(limits.chunk_overlap, limits.max_chars // 2))

    def _prepare(self, text: str, context: ScanContext) -> _PreparedText:
        """``text`` cut to the policy's limit (when it truncates), its classification
        view, and the chunks each is scanned in."""
        limits = self.policy.limits
        truncated = len(text) > limits.max_chars and limits.oversize == "truncate"
        if truncated:
            text = text[: limits.max_chars]
        view = self._normaliser.view(text)
        view_context = self._normaliser.context(context, view)
        if view.is_identity and view_context is context:
            raw_chunks = view_chunks = self._pieces(text)
        else:
            raw_chunks, view_chunks = self._pieces(text), self._pieces(view.text)
        return _PreparedText(
            original=text,
            context=context,
            view=view,
            view_context=view_context,
            raw_chunks=raw_chunks,
            view_chunks=view_chunks,
            truncated=truncated,
        )

    def _scan_one(
        self, item: ActiveScanner, text: _PreparedText
    ) -> tuple[ScanResult | Exception, float]:
        """One scanner over one prepared text (every chunk, and the view and/or the
        original as it asks); spans come back in the original's coordinates."""
        runs: list[tuple[list[tuple[int, str]], ScanContext, TextView | None]] = []
        same = text.view.is_identity and text.view_context is text.context
        if item.reads in ("raw", "both") or (item.reads == "normalised" and same):
            runs.append((text.raw_chunks, text.context, None))
        if item.reads != "raw" and not same:
            runs.append((text.view_chunks, text.view_context, text.view))
        parts: list[tuple[int, ScanResult]] = []
        spent = 0.0
        for chunks, context, view in runs:
            for offset, chunk in chunks:
                result, ms = self._run_one(
                    item, chunk, _rebase(context, offset, offset + len(chunk))
                )
                spent += ms
                if isinstance(result, Exception):
                    return result, spent
                if view is None:
                    parts.append((offset, result))
                else:
                    parts.append((0, view.result_to_original(result, offset)))
        return _merge(parts), spent

    def _run_one(
        self, item: ActiveScanner, text: str, context: ScanContext
    ) -> tuple[ScanResult | Exception, float]:
        t0 = time.perf_counter()
        try:
            result: ScanResult | Exception = item.scanner.scan(text, context)
        except Exception as exc:  # a failing scanner is handled by fail-open/closed policy
            result = exc
        return result, (time.perf_counter() - t0) * 1000

    def _check(self, text: str, context: ScanContext, side: Side) -> Verdict:
        scan = self._scan_all(text, context, side)
        decision = None
        if self._cascade is not None and side in self._cascade.sides:
            decision = self._cascade.review(
                scan.text.view.text, scan.text.view_context, scan.active, scan.results, scan.started
            )
            decision = _decision_to_original(decision, scan.text.view)
        return self._finish(text, side, scan, decision)

    def _finish(
        self, text: str, side: Side, scan: _ScanPass, decision: CascadeDecision | None
    ) -> Verdict:
        verdict = self._decide_with(
            scan.text.original,
            side,
            scan.active,
            scan.results,
            decision,
            len(scan.text.view_chunks),
            scan.text.truncated,
        )
        verdict.chars = len(text)
        verdict.scanner_latency_ms = scan.latencies
        if decision is not None and decision.report.model_ms is not None and self._cascade:
            verdict.scanner_latency_ms[self._cascade.model.name] = decision.report.model_ms
        verdict.latency_ms = round((time.perf_counter() - scan.started) * 1000, 4)
        return verdict

    def _decide_with(
        self,
        text: str,
        side: Side,
        active: list[ActiveScanner],
        results: dict[str, ScanResult | Exception],
        decision: CascadeDecision | None,
        chunks: int,
        truncated: bool,
    ) -> Verdict:
        """``_decide`` with the cascade's answer folded in (when there is one)."""
        cleared: frozenset[tuple[str, str]] = frozenset()
        if decision is not None and decision.model_result is not None and self._cascade:
            model = self._cascade.model
            active = [*active, model]
            results = {**results, model.name: decision.model_result}
            cleared = decision.cleared
        verdict = self._decide(
            text, side, active, results, truncated=truncated, chunks=chunks, cleared=cleared
        )
        if decision is not None:
            verdict.cascade = decision.report
            report = decision.report
            if report.outcome != "confident":
                verdict.reasons.append(
                    f"cascade: {report.outcome} ({', '.join(report.uncertain)})"
                    + (f": {report.detail}" if report.detail else "")
                )
        return verdict

    def _check_many(self, items: Sequence[tuple[str, ScanContext]], side: Side) -> list[Verdict]:
        """The batch behind ``check_batch``/``check_inputs``/``check_outputs``: each text
        gets the verdict its single check gives (only the latency fields differ)."""
        started = time.perf_counter()
        active = [s for s in self._scanners if side in s.sides]
        prepared = [self._prepare(text, context) for text, context in items]
        per_scanner: dict[str, list[ScanResult | Exception]] = {}
        latencies: dict[str, float] = {}
        for item in active:
            t0 = time.perf_counter()
            per_scanner[item.name] = self._scan_batch(item, prepared)
            latencies[item.name] = round((time.perf_counter() - t0) * 1000 / max(len(items), 1), 4)
        each_ms = (time.perf_counter() - started) * 1000 / max(len(items), 1)
        verdicts = []
        for index, text in enumerate(prepared):
            results = {item.name: per_scanner[item.name][index] for item in active}
            decision = None
            if self._cascade is not None and side in self._cascade.sides:
                # Each text gets the budget less its share of the batch's CPU time.
                text_started = time.perf_counter() - each_ms / 1000
                decision = self._cascade.review(
                    text.view.text, text.view_context, active, results, text_started
                )
                decision = _decision_to_original(decision, text.view)
            scan = _ScanPass(
                started=time.perf_counter() - each_ms / 1000,
                text=text,
                active=active,
                results=results,
                latencies=dict(latencies),
            )
            verdicts.append(self._finish(items[index][0], side, scan, decision))
        return verdicts

    def _scan_batch(
        self, item: ActiveScanner, prepared: list[_PreparedText]
    ) -> list[ScanResult | Exception]:
        """One scanner over every prepared text: a batch scanner takes the texts that
        fit in one chunk in one call; the rest, and every text of a batch that
        raised (so one bad text fails alone, as it would on its own), one by one."""
        results: list[ScanResult | Exception | None] = [None] * len(prepared)
        scan_many = getattr(item.scanner, "scan_many", None)
        if scan_many is not None and item.reads == "normalised":
            limit = self.policy.limits.max_chars
            fits = [i for i, p in enumerate(prepared) if len(p.view.text) <= limit]
            try:
                found = scan_many(
                    [prepared[i].view.text for i in fits],
                    [prepared[i].view_context for i in fits],
                )
                for i, result in zip(fits, found, strict=True):
                    results[i] = prepared[i].view.result_to_original(result)
            except Exception:  # retried one by one below: the failure is per text
                logger.debug("guard: batch scan by %r failed; scanning one by one", item.name)
        return [
            result if result is not None else self._scan_one(item, prepared[i])[0]
            for i, result in enumerate(results)
        ]

    def _scan_all(self, text: str, context: ScanContext, side: Side) -> _ScanPass:
        started = time.perf_counter()
        prepared = self._prepare(text, context)
        active = [s for s in self._scanners if side in s.sides]
        results: dict[str, ScanResult | Exception] = {}
        latencies: dict[str, float] = {}
        for item in active:
            results[item.name], spent = self._scan_one(item, prepared)
            latencies[item.name] = round(spent, 4)
        return _ScanPass(
            started=started, text=prepared, active=active, results=results, latencies=latencies
        )

    def _allowed_ranges(self, text: str, side: Side) -> list[tuple[int, int]]:
        ranges: list[tuple[int, int]] = []
        for pattern, sides in self._allow:
            if side in sides:
                ranges.extend(m.span() for m in pattern.finditer(text) if m.end() > m.start())
        return ranges

    def _decide(
        self,
        text: str,
        side: Side,
        active: list[ActiveScanner],
        results: Mapping[str, ScanResult | Exception],
        *,
        truncated: bool,
        chunks: int,
        cleared: frozenset[tuple[str, str]] = frozenset(),
    ) -> Verdict:
        allowed = self._allowed_ranges(text, side) if self._allow else []
        scores: dict[str, dict[str, float]] = {}
        findings: list[Finding] = []
        reasons: list[str] = []
        errors: dict[str, str] = {}
        redact_spans: list[Span] = []
        action: Action = "allow"
        for item in active:
            result = results[item.name]
            if isinstance(result, Exception):
                message = f"{type(result).__name__}: {result}"[:300]
                errors[item.name] = message
                if item.fail_closed:
                    action = "block"
                    reasons.append(f"{item.name} failed (fail_closed): {message}")
                continue
            scores.setdefault(item.name, {}).update(
                {k: round(v, 4) for k, v in result.scores.items()}
            )
            for category, score in result.scores.items():
                rule = item.rules.get(category)
                if rule is None or rule.action == "allow" or score < rule.threshold:
                    continue
                if (item.name, category) in cleared:
                    continue  # unsure here, and the cascade's guard model had the last word
                spans = [s for s in result.spans if s.category == category]
                if allowed and spans:
                    spans = [s for s in spans if not _inside_any(s, allowed)]
                    if not spans:
                        continue
                note = result.notes.get(category, "")
                findings.append(
                    Finding(
                        scanner=item.name,
                        category=category,
                        score=round(score, 4),
                        threshold=rule.threshold,
                        action=rule.action,
                        note=note,
                        spans=[(s.start, s.end) for s in spans],
                    )
                )
                reasons.append(
                    f"{item.name}.{category} {score:.2f} >= {rule.threshold:g} -> {rule.action}"
                    + (f" ({note})" if note else "")
                )
                if rule.action == "redact":
                    redact_spans.extend(spans)
                if ACTION_RANK[rule.action] > ACTION_RANK[action]:
                    action = rule.action
        verdict = Verdict(
            action=action,
            side=side,
            scores=scores,
            findings=findings,
            reasons=reasons,
            errors=errors,
            truncated=truncated,
            chunks=chunks,
        )
        if action == "redact":
            verdict.redacted_text = apply_redactions(text, redact_spans, replacement=redaction_text)
        return verdict


@dataclass(slots=True)
class _PreparedText:
    """One cleaned text ready to scan: as written and as the classification view, each
    with its context and chunks."""

    original: str
    context: ScanContext
    view: TextView
    view_context: ScanContext
    raw_chunks: list[tuple[int, str]]
    view_chunks: list[tuple[int, str]]
    truncated: bool


@dataclass(slots=True)
class _ScanPass:
    """The CPU scanners' results for one text, before the verdict is made."""

    started: float
    text: _PreparedText
    active: list[ActiveScanner]
    results: dict[str, ScanResult | Exception]
    latencies: dict[str, float]


def _decision_to_original(decision: CascadeDecision, view: TextView) -> CascadeDecision:
    """The cascade's model read the view; its spans are moved onto the original."""
    if isinstance(decision.model_result, ScanResult):
        decision.model_result = view.result_to_original(decision.model_result)
    return decision


def _classifier_scores(scanner: Any) -> tuple[ClassifierScores, ...]:
    return tuple(getattr(scanner, "classifier_scores", ()))


def _require_every_side_checked(
    policy: Policy, active: list[ActiveScanner], skipped: Mapping[str, str]
) -> None:
    """A side with nothing on it is a mistake unless the policy says ``disabled``: a
    partial policy file must not quietly turn the guard off."""
    for side in SIDES:
        if side in policy.disabled or any(side in item.sides for item in active):
            continue
        why = "no enabled scanner or deny pattern runs there"
        left_out = {name: reason for name, reason in skipped.items() if "." not in name}
        if left_out:
            why += (
                " (left out as unavailable: "
                + "; ".join(f"{name}: {reason}" for name, reason in left_out.items())
                + ")"
            )
        raise ConfigError(
            f"{policy.where_top('scanners')}: the policy checks nothing on {side}: {why}. "
            f"Enable scanners for {side} (see `redline guard policy --default`), or write "
            f"`disabled: [{side}]` to leave {side}s unchecked on purpose."
        )


def _build_cascade(
    policy: Policy, model: ActiveScanner | None, active: list[ActiveScanner]
) -> Cascade:
    config = policy.cascade
    assert config is not None
    where = policy.where("cascade", "model")
    if config.model not in policy.scanners:
        close = difflib.get_close_matches(config.model, list(policy.scanners), n=1, cutoff=0.5)
        hint = (
            f"Did you mean {close[0]!r}?"
            if close
            else f"add scanners.{config.model} (scanner guard_model with format and target options)"
        )
        raise ConfigError(f"{where}: {config.model!r} is not configured under scanners; {hint}")
    if model is None:
        raise ConfigError(f"{where}: scanner {config.model!r} is disabled")
    if not hasattr(model.scanner, "scan_within"):
        raise ConfigError(
            f"{where}: scanner {config.model!r} is not a model-backed scanner (use guard_model)"
        )
    categories = {item.name: tuple(item.scanner.categories) for item in active}
    names = [n for n, c in policy.scanners.items() if c.enabled and n != config.model]
    routed: dict[str, frozenset[str] | None] = {}
    for index, entry in enumerate(config.scanners if config.scanners is not None else names):
        name, _, category = entry.partition(".")
        loc = policy.where("cascade", "scanners", index)
        if name not in names:
            close = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ConfigError(f"{loc}: {name!r} is not an enabled scanner of this policy.{hint}")
        if not category or name not in categories:  # a scanner left out: nothing routes
            routed[name] = None
            continue
        known = categories.get(name, ())
        if category not in known:
            raise ConfigError(
                f"{loc}: scanner {name!r} has no category {category!r}; known: {', '.join(known)}"
            )
        previous = routed.get(name, frozenset())
        if previous is not None:
            routed[name] = previous | {category}
    return Cascade(config=config, model=model, routed=routed)


def redaction_text(span: Span) -> str:
    # Invisible characters are deleted: a placeholder would add text that was never visible.
    if span.category in {"zero_width", "bidi", "tag_characters", "variation_selectors"}:
        return ""
    return placeholder(span.category)


def _inside_any(span: Span, ranges: list[tuple[int, int]]) -> bool:
    return any(start <= span.start and span.end <= end for start, end in ranges)


def _input_text(messages: Sequence[Message] | str | bytes) -> tuple[str, ScanContext]:
    if isinstance(messages, str | bytes):
        text = clean_text(messages)
        return text, ScanContext(side="input", segments=(Segment(0, len(text), "user"),))
    messages = [clean_message(m) for m in messages]
    pieces: list[str] = []
    segments: list[Segment] = []
    cursor = 0
    for message in messages:
        if message.role not in INPUT_ROLES or not message.content:
            continue
        if pieces:
            pieces.append("\n\n")
            cursor += 2
        pieces.append(message.content)
        segments.append(Segment(cursor, cursor + len(message.content), message.role))
        cursor += len(message.content)
    return "".join(pieces), ScanContext(side="input", messages=tuple(messages), segments=segments)


def _output_context(messages: Sequence[Message] | str | bytes) -> ScanContext:
    if isinstance(messages, str | bytes):
        text = clean_text(messages)
        return ScanContext(
            side="output", messages=(Message(role="user", content=text),) if text else ()
        )
    return ScanContext(side="output", messages=tuple(clean_message(m) for m in messages))


def redaction_spans(verdict: Verdict) -> list[Span]:
    """The spans a ``redact`` verdict replaces, in the checked text's coordinates."""
    return [
        Span(start, end, finding.category)
        for finding in verdict.findings
        if finding.action == "redact"
        for start, end in finding.spans
    ]


def _redact_messages(verdict: Verdict, context: ScanContext) -> None:
    if verdict.action != "redact" or not context.messages:
        return
    spans = redaction_spans(verdict)
    by_position = iter(context.segments)
    redacted: list[Message] = []
    for message in context.messages:
        if message.role in INPUT_ROLES and message.content:
            segment = next(by_position)
            content = apply_redactions(
                message.content, spans, replacement=redaction_text, offset=segment.start
            )
            redacted.append(message.model_copy(update={"content": content}))
        else:
            redacted.append(message)
    verdict.redacted_messages = redacted
