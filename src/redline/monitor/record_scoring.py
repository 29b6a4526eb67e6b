"""Scoring log records in batches: the guard on both sides, and the refusal scorer.

Every record's prompt is judged as a guard input and its response as an output; a
text repeated within a batch is judged once. Three ways (``scoring``):

- ``fast``: ``GuardTriage`` screens the whole batch at once (one
  featurization, every classifier head in one sparse product, the detectors'
  necessary conditions over the joined batch), and only the texts it finds
  uncertain go through ``Guard.check_batch``. The others are clean: action
  ``allow``, no categories. Every category stored is still the guard's own.
- ``full``: every text through ``Guard.check_batch``.
- ``screen`` (the default): the distilled monitor screen
  (:mod:`redline.classifiers.monitor_screen`) labels every text at a few
  microseconds each; its categories are predictions of the guard's classifier
  heads (jailbreak, injection, harm and harm's categories), never of its rule
  scanners (PII, secrets, ...). A seeded share of records (``audit_rate``, by a
  CRC of the record key, so re-reading a file picks the same ones) also goes
  through the full guard; both labels are kept as :class:`AuditRow` rows.

With ``fast`` and the ``ngram`` or static embedder, a text's embedding is read
from the triage's feature matrix (the heads' features hold the same hashed n-grams
and end with the same static-MiniLM vector) instead of being computed again. The refusal label
comes from the trained refusal classifier (``RefusalClassifier.classify``,
batched) or, with ``refusal="patterns"``, from the shared refusal phrases
(``refusal-patterns``), which is cheaper.

The over-refusal proxy marks a full refusal of a prompt the input guard found
nothing in: the model declined something the guard saw no reason to decline.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from redline.classifiers.monitor_screen import MonitorScreen, shipped_monitor_screen
from redline.classifiers.refusal_model import RefusalClassifier, shipped_refusal_classifier
from redline.core.errors import ConfigError
from redline.core.outcome import FULL_REFUSAL
from redline.guard import Guard, Side, Verdict
from redline.guard.triage import TRIAGE_MARGIN, GuardTriage, TriageBatch
from redline.monitor.embeddings import Embedder, FeatureEmbedder
from redline.monitor.log_records import LogRecord, RecordBatch
from redline.monitor.store import AuditRow, ScoredBatch, ScoredRecord
from redline.scoring.refusal import refusal_labels

RefusalMode = Literal["model", "patterns"]
ScoringMode = Literal["fast", "full", "screen"]
SCORING_MODES: tuple[str, ...] = ("screen", "fast", "full")
NO_RESPONSE = "no_response"
# Share of screened records the full guard checks too. Each audited record costs
# two full checks (~3 ms): 0.005 cost 14 us a record on average (24,800 -> 18,500
# records per CPU second on the bench log), 0.002 costs ~6 us and still audits
# 100,000 records of a 50-million-record day.
DEFAULT_AUDIT_RATE = 0.002
_STRICTNESS = {"allow": 0, "flag": 1, "redact": 2, "block": 3}
_SIDES: tuple[Side, Side] = ("input", "output")


def parse_audit_rate(value: float) -> float:
    """``--audit-rate``: a share in [0, 1]; raises ConfigError otherwise."""
    if not 0.0 <= value <= 1.0 or value != value:
        raise ConfigError(
            f"--audit-rate {value!r}: expected a share between 0 and 1 (e.g. 0.002; 0 disables)"
        )
    return float(value)


def finding_categories(verdict: Verdict) -> list[str]:
    """``scanner.category`` of every finding, e.g. ``injection.direct``, ``harm.s9``."""
    return sorted({f"{f.scanner}.{f.category}" for f in verdict.findings})


@dataclass(frozen=True, slots=True)
class TextLabels:
    """What one text got on one side: the action and the categories stored."""

    action: str
    categories: list[str]

    @classmethod
    def of_verdict(cls, verdict: Verdict) -> TextLabels:
        return cls(verdict.action, finding_categories(verdict))


# Distinct texts screened at once: bounds the feature matrix held (~12 KB a text)
# when a write batch is larger.
SCREEN_CHUNK = 1024


class _SideScores:
    """One side's verdicts for a batch's distinct texts, and the embeddings
    the triage's features already held (text -> row of ``vectors``)."""

    def __init__(self) -> None:
        self.labels: dict[str, TextLabels] = {}
        self.vector_row: dict[str, int] = {}
        self.vectors: list[np.ndarray] = []

    def keep_vectors(self, texts: list[str], batch: TriageBatch, embedder: FeatureEmbedder) -> None:
        """Reads the embeddings of ``texts`` whose features are their own (the view
        is the text as given, within the featurizer's ``max_chars``)."""
        features, config, given = batch.features, batch.feature_config, batch.as_given
        if features is None or config is None or given is None:
            return
        if not embedder.reads_features(config):
            return
        rows = [i for i, text in enumerate(texts) if given[i] and len(text) <= config.max_chars]
        if not rows:
            return
        start = sum(len(block) for block in self.vectors)
        self.vectors.append(embedder.from_features(features, config, rows))
        for offset, row in enumerate(rows):
            self.vector_row[texts[row]] = start + offset


class RecordScorer:
    """Scores :class:`LogRecord` batches into :class:`ScoredRecord` rows.

    ``scoring`` is ``screen`` (the default: the distilled screen, and the guard on
    an audit sample), ``fast`` (triage, then the guard on what it is unsure of) or
    ``full`` (the guard on everything); see the module docstring.
    ``checked`` and ``screened`` count the distinct texts the guard checked and
    the ones the triage or the screen looked at; ``audit`` counts the audited
    texts the guard and the screen flagged.
    """

    def __init__(
        self,
        *,
        guard: Guard | None = None,
        refusal: RefusalMode = "model",
        scoring: ScoringMode = "screen",
        margin: float = TRIAGE_MARGIN,
        audit_rate: float = DEFAULT_AUDIT_RATE,
        audit_seed: int = 0,
        screen: MonitorScreen | None = None,
    ) -> None:
        if scoring not in SCORING_MODES:
            raise ConfigError(f"--scoring {scoring!r}: expected one of {', '.join(SCORING_MODES)}")
        if refusal not in ("model", "patterns"):
            raise ConfigError(f"--refusal {refusal!r}: expected model or patterns")
        self.audit_rate = parse_audit_rate(audit_rate)
        self.guard = guard if guard is not None else Guard.default()
        self.scoring = scoring
        self.refusal_mode = refusal
        self._triage = GuardTriage(self.guard, margin=margin) if scoring == "fast" else None
        self._screen: MonitorScreen | None = None
        if scoring == "screen":
            self._screen = screen if screen is not None else shipped_monitor_screen()
        self._refusal_model: RefusalClassifier | None = (
            shipped_refusal_classifier() if refusal == "model" else None
        )
        self._clean = {side: TextLabels("allow", []) for side in ("input", "output")}
        # Per side, each category's action under the guard's policy (for the screen).
        self._actions: dict[str, dict[str, str]] = {
            side: {
                f"{item.name}.{category}": rule.action
                for item in self.guard.active_scanners(side)
                for category, rule in item.rules.items()
            }
            for side in _SIDES
        }
        # Records are audited when the CRC-32 of their key (seeded) falls below this.
        self._audit_below = int(self.audit_rate * 2**32)
        self._audit_seed = audit_seed & 0xFFFFFFFF
        self.checked = 0
        self.screened = 0
        self.audit = {"texts": 0, "guard_flags": 0, "screen_flags": 0, "both_flags": 0}

    def _refusal_labels(self, responses: list[str]) -> list[str]:
        distinct = list(dict.fromkeys(r for r in responses if r.strip()))  # each text once
        if self._refusal_model is not None:
            found = [v.label for v in self._refusal_model.classify(distinct)]
        else:
            # The phrase regexes scan every character (~20 us a short response);
            # their keyword prefilter, run over the whole batch at once, clears the
            # responses holding no refusal keyword (redline.detectors.refusal).
            found = refusal_labels(distinct)
        labels = dict(zip(distinct, found, strict=True))
        return [labels.get(response, NO_RESPONSE) for response in responses]

    def _side(
        self,
        texts: list[str],
        side: Literal["input", "output"],
        embedder: Embedder | None,
    ) -> _SideScores:
        # Traffic repeats itself (templated prompts, stock refusals): each distinct
        # text of a batch is judged once, and its verdict serves every copy.
        distinct = list(dict.fromkeys(t for t in texts if t.strip()))
        scores = _SideScores()
        if self._screen is not None:
            scores.labels = self._screened(distinct, side)
            self.screened += len(distinct)
        elif self._triage is not None and distinct:
            scores.labels = dict.fromkeys(distinct, self._clean[side])
            for start in range(0, len(distinct), SCREEN_CHUNK):
                chunk = distinct[start : start + SCREEN_CHUNK]
                batch = self._triage.screen(chunk, side=side)
                if isinstance(embedder, FeatureEmbedder):
                    scores.keep_vectors(chunk, batch, embedder)
                unsure = np.flatnonzero(batch.uncertain).tolist()
                if unsure:
                    # The guard reuses the triage's head scores for these texts.
                    self._triage.prime(batch, unsure)
                    self._check(scores, [chunk[i] for i in unsure], side)
            self.screened += len(distinct)
        else:
            self._check(scores, distinct, side)
        return scores

    def _screened(self, texts: list[str], side: Side) -> dict[str, TextLabels]:
        """The screen's labels of ``texts``, with the policy's action for them."""
        assert self._screen is not None
        clean, actions = self._clean[side], self._actions[side]
        found = dict.fromkeys(texts, clean)
        for text, predicted in zip(texts, self._screen.labels(texts, side=side), strict=True):
            if predicted:
                # Only categories the policy acts on (a disabled scanner reports nothing).
                kept = [c for c in predicted if actions.get(c, "allow") != "allow"]
                if kept:
                    action = max((actions[c] for c in kept), key=_STRICTNESS.__getitem__)
                    found[text] = TextLabels(action, kept)
        return found

    def _check(self, scores: _SideScores, texts: list[str], side: Side) -> None:
        if texts:
            self.checked += len(texts)
            verdicts = self.guard.check_batch(texts, side=side)
            scores.labels.update(
                (text, TextLabels.of_verdict(v)) for text, v in zip(texts, verdicts, strict=True)
            )

    def _audits(
        self, batch: RecordBatch, inputs: list[TextLabels | None], outputs: list[TextLabels | None]
    ) -> list[AuditRow]:
        """The full guard on the audit sample's texts, next to the screen's labels."""
        if self._screen is None or self._audit_below == 0:
            return []
        seed, below = self._audit_seed, self._audit_below
        chosen = [
            i for i, key in enumerate(batch.keys) if zlib.crc32(key.encode("utf-8"), seed) < below
        ]
        rows: list[AuditRow] = []
        for side, texts, screened in zip(
            _SIDES, (batch.prompts, batch.responses), (inputs, outputs), strict=True
        ):
            picked = [i for i in chosen if screened[i] is not None]
            distinct = list(dict.fromkeys(texts[i] for i in picked))
            if not distinct:
                continue
            self.checked += len(distinct)
            verdicts = dict(zip(distinct, self.guard.check_batch(distinct, side=side), strict=True))
            for i in picked:
                verdict, screen = verdicts[texts[i]], screened[i]
                assert screen is not None
                guard = TextLabels.of_verdict(verdict)
                rows.append(
                    AuditRow(
                        key=batch.keys[i],
                        side=side,
                        micros=batch.micros[i],
                        screen_action=screen.action,
                        screen_categories=screen.categories,
                        guard_action=guard.action,
                        guard_categories=guard.categories,
                    )
                )
                self.audit["texts"] += 1
                self.audit["guard_flags"] += bool(guard.categories)
                self.audit["screen_flags"] += bool(screen.categories)
                self.audit["both_flags"] += bool(guard.categories and screen.categories)
        return rows

    def score(self, records: Sequence[LogRecord], *, source: str) -> list[ScoredRecord]:
        """The records with the guard's and the refusal scorer's labels."""
        return self.score_batch(records, source=source, embedder=None)[0]

    def score_batch(
        self, records: Sequence[LogRecord], *, source: str, embedder: Embedder | None
    ) -> tuple[list[ScoredRecord], np.ndarray | None]:
        """``score``, and each record's embedding (of its prompt, or its response when
        it has none) when an ``embedder`` is given."""
        scored, vectors = self.score_columns(
            RecordBatch.of_records(records), source=source, embedder=embedder
        )
        return scored.records(), vectors

    def score_columns(
        self, batch: RecordBatch, *, source: str, embedder: Embedder | None
    ) -> tuple[ScoredBatch, np.ndarray | None]:
        """``score_batch`` on records held as columns (what ingest uses: no object
        per record); the audit sample's rows ride along in ``ScoredBatch.audits``."""
        prompts, responses = batch.prompts, batch.responses
        seen_inputs = self._side(prompts, "input", embedder)
        seen_outputs = self._side(responses, "output", embedder)
        inputs = [seen_inputs.labels.get(text) for text in prompts]
        outputs = [seen_outputs.labels.get(text) for text in responses]
        refusals = self._refusal_labels(responses)
        vectors = None
        if embedder is not None and len(batch):
            vectors = self._embeddings(batch, embedder, seen_inputs, seen_outputs)
        scored = ScoredBatch(
            source=source,
            keys=batch.keys,
            micros=batch.micros,
            lines=batch.lines,
            models=batch.models,
            prompts=prompts,
            responses=responses,
            input_actions=[seen.action if seen else "" for seen in inputs],
            output_actions=[seen.action if seen else "" for seen in outputs],
            input_categories=[seen.categories if seen else [] for seen in inputs],
            output_categories=[seen.categories if seen else [] for seen in outputs],
            refusals=refusals,
            over_refusals=[
                refusal == FULL_REFUSAL
                and seen is not None
                and seen.action == "allow"
                and not seen.categories
                for refusal, seen in zip(refusals, inputs, strict=True)
            ],
            audits=self._audits(batch, inputs, outputs),
        )
        return scored, vectors

    def _embeddings(
        self,
        batch: RecordBatch,
        embedder: Embedder,
        inputs: _SideScores,
        outputs: _SideScores,
    ) -> np.ndarray:
        texts = [p or r for p, r in zip(batch.prompts, batch.responses, strict=True)]
        out = np.empty((len(texts), embedder.dimension), dtype=np.float32)
        missing = np.ones(len(texts), dtype=bool)
        for side, uses_prompt in ((inputs, True), (outputs, False)):
            if not side.vectors:
                continue
            held = np.concatenate(side.vectors)
            mine = [
                i
                for i, prompt in enumerate(batch.prompts)
                if bool(prompt) == uses_prompt and texts[i] in side.vector_row
            ]
            if mine:
                out[mine] = held[[side.vector_row[texts[i]] for i in mine]]
                missing[mine] = False
        if missing.any():
            left = np.flatnonzero(missing)
            out[left] = embedder.embed([texts[i] for i in left])
        return out
