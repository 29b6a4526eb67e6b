"""Scoring log records in batches: the guard on both sides, and the refusal scorer.

Every record's prompt is judged as a guard input and its response as an output; a
text repeated within a batch is judged once. Two ways (``scoring``):

- ``fast`` (the default): ``GuardTriage`` screens the whole batch at once (one
  featurization, every classifier head in one sparse product, the detectors'
  necessary conditions over the joined batch), and only the texts it finds
  uncertain go through ``Guard.check_batch``. The others are clean: action
  ``allow``, no categories. Every category stored is still the guard's own.
- ``full``: every text through ``Guard.check_batch``.

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

from collections.abc import Sequence
from typing import Literal

import numpy as np

from redline.classifiers.refusal_model import RefusalClassifier, shipped_refusal_classifier
from redline.core.errors import ConfigError
from redline.core.outcome import FULL_REFUSAL
from redline.guard import Guard, Side, Verdict
from redline.guard.triage import TRIAGE_MARGIN, GuardTriage, TriageBatch
from redline.monitor.embeddings import Embedder, FeatureEmbedder
from redline.monitor.log_records import LogRecord
from redline.monitor.store import ScoredRecord
from redline.scoring.refusal import classify_refusal

RefusalMode = Literal["model", "patterns"]
ScoringMode = Literal["fast", "full"]
SCORING_MODES: tuple[str, ...] = ("fast", "full")
NO_RESPONSE = "no_response"


def record_uses_prompt(record: LogRecord) -> bool:
    """Whether a record's embedding is of its prompt (else of its response)."""
    return bool(record.prompt)


def finding_categories(verdict: Verdict) -> list[str]:
    """``scanner.category`` of every finding, e.g. ``injection.direct``, ``harm.s9``."""
    return sorted({f"{f.scanner}.{f.category}" for f in verdict.findings})


# Distinct texts screened at once: bounds the feature matrix held (~12 KB a text)
# when a write batch is larger.
SCREEN_CHUNK = 1024


class _SideScores:
    """One side's verdicts for a batch's distinct texts, and the embeddings
    the triage's features already held (text -> row of ``vectors``)."""

    def __init__(self) -> None:
        self.verdicts: dict[str, Verdict] = {}
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

    ``scoring`` is ``fast`` (triage, then the guard on what it is unsure of) or
    ``full`` (the guard on everything); see the module docstring.
    ``checked`` and ``screened`` count the distinct texts the guard checked and
    the ones the triage looked at.
    """

    def __init__(
        self,
        *,
        guard: Guard | None = None,
        refusal: RefusalMode = "model",
        scoring: ScoringMode = "fast",
        margin: float = TRIAGE_MARGIN,
    ) -> None:
        if scoring not in SCORING_MODES:
            raise ConfigError(f"--scoring {scoring!r}: expected one of {', '.join(SCORING_MODES)}")
        if refusal not in ("model", "patterns"):
            raise ConfigError(f"--refusal {refusal!r}: expected model or patterns")
        self.guard = guard if guard is not None else Guard.default()
        self.scoring = scoring
        self.refusal_mode = refusal
        self._triage = GuardTriage(self.guard, margin=margin) if scoring == "fast" else None
        self._refusal_model: RefusalClassifier | None = (
            shipped_refusal_classifier() if refusal == "model" else None
        )
        self._clean = {side: Verdict(action="allow", side=side) for side in ("input", "output")}
        self.checked = 0
        self.screened = 0

    def _refusal_labels(self, responses: list[str]) -> list[str]:
        distinct = list(dict.fromkeys(r for r in responses if r.strip()))  # each text once
        if self._refusal_model is not None:
            found = [v.label for v in self._refusal_model.classify(distinct)]
        else:
            found = [classify_refusal(t)[0] for t in distinct]
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
        if self._triage is not None and distinct:
            scores.verdicts = dict.fromkeys(distinct, self._clean[side])
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

    def _check(self, scores: _SideScores, texts: list[str], side: Side) -> None:
        if texts:
            self.checked += len(texts)
            verdicts = self.guard.check_batch(texts, side=side)
            scores.verdicts.update(zip(texts, verdicts, strict=True))

    def score(self, records: Sequence[LogRecord], *, source: str) -> list[ScoredRecord]:
        """The records with the guard's and the refusal scorer's labels."""
        return self.score_batch(records, source=source, embedder=None)[0]

    def score_batch(
        self, records: Sequence[LogRecord], *, source: str, embedder: Embedder | None
    ) -> tuple[list[ScoredRecord], np.ndarray | None]:
        """``score``, and each record's embedding (of its prompt, or its response when
        it has none) when an ``embedder`` is given."""
        prompts = [r.prompt for r in records]
        responses = [r.response for r in records]
        seen_inputs = self._side(prompts, "input", embedder)
        seen_outputs = self._side(responses, "output", embedder)
        inputs = [seen_inputs.verdicts.get(text) for text in prompts]
        outputs = [seen_outputs.verdicts.get(text) for text in responses]
        refusals = self._refusal_labels(responses)
        vectors = None
        if embedder is not None and records:
            vectors = self._embeddings(records, embedder, seen_inputs, seen_outputs)
        return self._rows(records, source, inputs, outputs, refusals), vectors

    def _embeddings(
        self,
        records: Sequence[LogRecord],
        embedder: Embedder,
        inputs: _SideScores,
        outputs: _SideScores,
    ) -> np.ndarray:
        texts = [r.prompt or r.response for r in records]
        out = np.empty((len(texts), embedder.dimension), dtype=np.float32)
        missing = np.ones(len(texts), dtype=bool)
        for side, uses_prompt in ((inputs, True), (outputs, False)):
            if not side.vectors:
                continue
            held = np.concatenate(side.vectors)
            mine = [
                i
                for i, record in enumerate(records)
                if record_uses_prompt(record) == uses_prompt and texts[i] in side.vector_row
            ]
            if mine:
                out[mine] = held[[side.vector_row[texts[i]] for i in mine]]
                missing[mine] = False
        if missing.any():
            left = np.flatnonzero(missing)
            out[left] = embedder.embed([texts[i] for i in left])
        return out

    def _rows(
        self,
        records: Sequence[LogRecord],
        source: str,
        inputs: list[Verdict | None],
        outputs: list[Verdict | None],
        refusals: list[str],
    ) -> list[ScoredRecord]:
        scored = []
        for record, seen_in, seen_out, refusal in zip(
            records, inputs, outputs, refusals, strict=True
        ):
            in_categories = finding_categories(seen_in) if seen_in else []
            scored.append(
                ScoredRecord(
                    key=record.key,
                    timestamp=record.timestamp,
                    source=source,
                    line=record.line,
                    model=record.model,
                    prompt=record.prompt,
                    response=record.response,
                    input_action=seen_in.action if seen_in else "",
                    output_action=seen_out.action if seen_out else "",
                    input_categories=in_categories,
                    output_categories=finding_categories(seen_out) if seen_out else [],
                    refusal=refusal,
                    over_refusal=refusal == FULL_REFUSAL
                    and seen_in is not None
                    and seen_in.action == "allow"
                    and not in_categories,
                )
            )
        return scored
