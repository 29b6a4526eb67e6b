"""A cheap batch screen in front of the guard: which texts could get a finding.

Monitoring scores every record of a traffic log, and nearly all of them are
ordinary. ``GuardTriage.screen`` looks at a whole batch at once and marks a text
*uncertain* when any active scanner could find something in it; only those go
through ``Guard.check_batch``, so every finding and category still comes from the
guard itself. The screens, per scanner:

- **Classifier heads** (``jailbreak``, ``injection``, ``harm``): the batch is
  featurized once with the heads' ``TextFeaturizer.transform`` and every head is
  scored as one sparse-matrix product (``StackedHeads``); long texts of a
  windowed classifier are scored window by window as the scanner does. A text is
  uncertain when a head's score, on the scanner's own scale (cut-off mapped onto
  0.5), reaches ``margin`` times the scanner's lowest threshold. The scores are
  the scanner's own (same view, features and weights), so the margin is
  insurance, not a correction.
- **Phrase rules** of the jailbreak and injection scanners: their score, at the
  scanner's lowest threshold.
- **Harm's decoded views and word rules**: a text with a Morse, base64,
  leetspeak, look-alike or reversed reading goes to the guard, and so does a
  text the hazard or sexual-content rules match.
- **PII and secrets**: every rule of the detector run once over the whole batch
  joined (``BatchFacts.matches``, after the rules' own necessary conditions),
  with the detector's validators and entropy checks: category scores at least
  the detector's, compared with the thresholds.
- ``code_payloads``: its rules' necessary conditions over the batch, then the
  scanner itself on the texts that pass them.
- ``exfiltration``: a URL needs ``http``; ``invisible_text``: one of the
  characters it looks for.
- Any other scanner (``prompt_leak``, deny patterns, a plug-in) runs on each
  text as it is, with the same bar.

The heads screen every text (their features and scores are handed on); each
screen after them looks only at the texts no screen has sent on yet, since the
guard runs every scanner on those anyway: a text the heads send on costs its
phrase rules, decoded views and PII/secret patterns once, in the guard, not twice.

Texts longer than the policy's ``max_chars`` (chunked by the guard) and every
text of a guard with a cascade go to the guard unscreened. The screen runs on
the classification view, as the scanners do.

How many of the guard's findings the screen keeps is measured, not assumed:
``bench/monitor_triage.py`` and docs/benchmarks.md.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from redline.classifiers.classifier import StackedHeads, TextClassifier
from redline.classifiers.features import FeatureConfig
from redline.detectors.rule_prefilter import BatchFacts
from redline.guard.classifier_scores import ClassifierScores, SharedHeads
from redline.guard.code_payloads import CodePayloadScanner, code_rule_needs
from redline.guard.decoded_views import decoded_views
from redline.guard.exfiltration import ExfiltrationScanner
from redline.guard.harm import HarmScanner
from redline.guard.injection import INJECTION_RULES, InjectionScanner
from redline.guard.invisible_text import InvisibleTextScanner
from redline.guard.jailbreak import JAILBREAK_RULES, JailbreakScanner
from redline.guard.normalisation import clean_text
from redline.guard.phrase_rules import PhraseRule, match_rules
from redline.guard.pii import PIIScanner
from redline.guard.pipeline import ActiveScanner, Guard
from redline.guard.scanner import ScanContext, Side
from redline.guard.secret_leaks import SecretsScanner

# A head's score counts as uncertain from 0.9 of its scanner's threshold. The
# scores are the scanner's own, so any margin below 1 is insurance against a
# difference this screen does not know of; at 0.5 the bench log sent 50% more
# texts to the guard for no finding (docs/benchmarks.md has the agreement).
TRIAGE_MARGIN = 0.9
# Every character the invisible-text scanner looks for, and the Greek and
# Cyrillic letters its mixed-script check needs (a superset of its patterns).
_INVISIBLE_HINT = re.compile(
    "[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\u061c\ufe00-\ufe0f"
    "\U000e0000-\U000e01ef\u0370-\u03ff\u0400-\u04ff]"
)
_PHRASE_RULES: dict[type, tuple[PhraseRule, ...]] = {
    JailbreakScanner: JAILBREAK_RULES,
    InjectionScanner: INJECTION_RULES,
}
_HEAD_SCANNERS = (JailbreakScanner, InjectionScanner, HarmScanner)
# Scanners whose every category is "allow" find nothing, so they need no screen.
_NO_FINDINGS = "allow"


@dataclass
class TriageBatch:
    """What ``GuardTriage.screen`` found for a batch of texts.

    ``uncertain``: per text, True when the guard must check it. ``features``:
    the texts' classification views featurized (rows in ``texts`` order) with
    ``feature_config``, or None when no head screen ran. ``as_given``: per text,
    True when its classification view is the text as given (so its features are
    the text's own). ``reasons``: how many texts each screen sent on that the
    screens before it (oversize, the heads, then the scanners in policy order) had
    not; a text already sent on is not screened again.
    """

    uncertain: np.ndarray
    features: sp.csr_matrix | None = None
    feature_config: FeatureConfig | None = None
    as_given: np.ndarray | None = None
    reasons: dict[str, int] = field(default_factory=dict)
    views: list[str] = field(default_factory=list)
    shared_scores: list[tuple[SharedHeads, np.ndarray]] = field(default_factory=list)
    windowed: list[tuple[ClassifierScores, list[int], np.ndarray]] = field(default_factory=list)


def _bar(item: ActiveScanner, margin: float) -> float:
    """``margin`` times the lowest threshold of the scanner's acting categories."""
    acting = [rule.threshold for rule in item.rules.values() if rule.action != _NO_FINDINGS]
    return margin * min(acting) if acting else float("inf")


def _at_threshold(item: ActiveScanner, rows: list[dict[str, float]]) -> np.ndarray:
    """Per text: some acting category of ``item`` scores at its threshold."""
    acting = [
        (category, rule.threshold)
        for category, rule in item.rules.items()
        if rule.action != _NO_FINDINGS
    ]
    return np.fromiter(
        (any(row.get(c, 0.0) >= cut for c, cut in acting) for row in rows),
        dtype=bool,
        count=len(rows),
    )


class GuardTriage:
    """Screens batches of texts for ``guard`` (see the module docstring)."""

    def __init__(self, guard: Guard, *, margin: float = TRIAGE_MARGIN) -> None:
        if not 0.0 < margin <= 1.0:
            raise ValueError(f"triage margin must be in (0, 1], got {margin}")
        self.guard = guard
        self.margin = margin
        self._stacks: dict[int, StackedHeads] = {}

    def _stack(self, classifiers: list[TextClassifier]) -> StackedHeads:
        key = hash(tuple(id(c) for c in classifiers))
        if key not in self._stacks:
            self._stacks[key] = StackedHeads(classifiers)
        return self._stacks[key]

    def screen(self, texts: Sequence[str], *, side: Side) -> TriageBatch:
        """Which of ``texts`` the guard must check on ``side``."""
        count = len(texts)
        cleaned = [clean_text(t) for t in texts]
        if self.guard.cascade is not None:
            return TriageBatch(np.ones(count, dtype=bool), reasons={"cascade": count})
        limit = self.guard.policy.limits.max_chars
        views = [self.guard.classification_view(t) for t in cleaned]
        uncertain = np.array([len(t) > limit for t in cleaned], dtype=bool)
        reasons = {"oversize": int(uncertain.sum())}
        facts = BatchFacts(views)
        active = [
            item
            for item in self.guard.active_scanners(side)
            if any(rule.action != _NO_FINDINGS for rule in item.rules.values())
        ]
        shared_scores: list[tuple[SharedHeads, np.ndarray]] = []
        windowed: list[tuple[ClassifierScores, list[int], np.ndarray]] = []
        features, config = self._heads(
            active, views, side, uncertain, reasons, shared_scores, windowed
        )
        for item in active:
            bar = _bar(item, self.margin)
            scanner = item.scanner
            # A text already sent on needs no further screen (the guard checks it with
            # every scanner anyway): the costly screens look at the others only.
            pending = np.flatnonzero(~uncertain)
            found = np.zeros(count, dtype=bool)
            if not len(pending):
                break
            if isinstance(scanner, _HEAD_SCANNERS):
                # Phrase-rule scores are computed exactly as the scanner does: no margin.
                found[pending] = self._rules_and_views(
                    scanner, [views[i] for i in pending], bar / self.margin, side
                )
            elif isinstance(scanner, PIIScanner | SecretsScanner):
                # Scores at least the detector's own: exact, so no margin.
                scores = scanner.detector.screen_scores([views[i] for i in pending])
                found[pending] = _at_threshold(item, scores)
            elif isinstance(scanner, ExfiltrationScanner):
                found = facts.containing(("http",))
            elif isinstance(scanner, InvisibleTextScanner):
                found = BatchFacts(cleaned).matching(_INVISIBLE_HINT)
            elif isinstance(scanner, CodePayloadScanner):
                maybe = facts.allows_any(code_rule_needs()) & ~uncertain
                found = self._scanned(item, views, side, bar, only=maybe)
            else:
                found = self._scanned(item, views, side, bar, only=~uncertain, raw=cleaned)
            found &= ~uncertain
            reasons[item.name] = reasons.get(item.name, 0) + int(found.sum())
            uncertain |= found
        as_given = np.fromiter(
            (v == t for v, t in zip(views, texts, strict=True)), dtype=bool, count=count
        )
        return TriageBatch(
            uncertain=uncertain,
            features=features,
            feature_config=config,
            as_given=as_given,
            reasons=reasons,
            views=views,
            shared_scores=shared_scores,
            windowed=windowed,
        )

    @staticmethod
    def prime(batch: TriageBatch, indices: Sequence[int]) -> None:
        """Hand the heads' scores of ``indices`` of a screened batch to the guard,
        for a ``check_batch`` of exactly those texts on this thread next: its
        classifier scanners then reuse them instead of featurizing the texts again
        (the same numbers: the guard's own heads, on the same views)."""
        chosen = list(indices)
        views = [batch.views[i] for i in chosen]
        for heads, probabilities in batch.shared_scores:
            heads.remember(views, probabilities[chosen])
        wanted = set(chosen)
        for scores, long, rows in batch.windowed:
            # The guard windows the long texts among those it checks, in order.
            keep = [n for n, i in enumerate(long) if i in wanted]
            if keep:
                scores.remember_windowed([batch.views[long[n]] for n in keep], rows[keep])

    def _heads(
        self,
        active: list[ActiveScanner],
        views: list[str],
        side: Side,
        uncertain: np.ndarray,
        reasons: dict[str, int],
        shared_scores: list[tuple[SharedHeads, np.ndarray]],
        windowed: list[tuple[ClassifierScores, list[int], np.ndarray]],
    ) -> tuple[sp.csr_matrix | None, FeatureConfig | None]:
        """Scores every head of the active classifier scanners in one product per
        feature configuration; marks texts at or over their scanner's bar."""
        owned: list[tuple[ClassifierScores, float, ActiveScanner]] = []
        for item in active:
            for scores in getattr(item.scanner, "classifier_scores", ()):
                if not isinstance(scores.classifier, TextClassifier):
                    # Not a linear head: its scanner is screened by running it.
                    continue
                owned.append((scores, _bar(item, self.margin), item))
        if not owned or not views:
            return None, None
        features: sp.csr_matrix | None = None
        config: FeatureConfig | None = None
        # Texts past the policy's max_chars are sent on already and chunked by the
        # guard, which never reads their windows' scores: windowing one (hundreds of
        # windows) would be wasted.
        oversize = uncertain.copy()
        # The guard's own shared heads where it has them (so their scores can be
        # handed on, see ``prime``), else a stack per feature configuration.
        groups: dict[Any, list[tuple[ClassifierScores, float, ActiveScanner]]] = {}
        for entry in owned:
            shared = entry[0].shared
            key = shared[0] if shared is not None else entry[0].classifier.features
            groups.setdefault(key, []).append(entry)
        for key, group in groups.items():
            if isinstance(key, SharedHeads):
                stack = key.stack
                columns = [entry[0].shared[1] for entry in group if entry[0].shared]
            else:
                stack = self._stack([entry[0].classifier for entry in group])
                columns = [stack.columns(index) for index in range(len(group))]
            matrix = stack.featurizer.transform(views)
            if features is None:
                features, config = matrix, stack.featurizer.config
            probabilities = stack.probabilities_of(matrix)
            if isinstance(key, SharedHeads):
                shared_scores.append((key, probabilities))
            for (scores, bar, item), column in zip(group, columns, strict=True):
                owner, name = item.scanner, item.name
                block = probabilities[:, column]
                window = scores.classifier.window_chars
                if window:
                    long = [
                        i for i, text in enumerate(views) if len(text) > window and not oversize[i]
                    ]
                    if long:
                        # Windowed like the scanner: the highest window counts.
                        block = block.copy()
                        block[long] = scores.windowed([views[i] for i in long])
                        windowed.append((scores, long, block[long]))
                rescaled = scores.rescaled(block, side=side)
                if isinstance(owner, HarmScanner) and owner.gates_categories:
                    # Categories are capped by the combined score: it alone decides.
                    peak = rescaled[:, -1]
                else:
                    peak = rescaled.max(axis=1)
                found = (peak >= bar) & ~uncertain  # counted once, by its first screen
                reasons[f"{name}.model"] = reasons.get(f"{name}.model", 0) + int(found.sum())
                uncertain |= found
        return features, config

    def _rules_and_views(
        self, scanner: Any, views: list[str], bar: float, side: Side
    ) -> np.ndarray:
        """Phrase-rule scores (jailbreak, injection); decoded readings and the
        hazard and sexual-content rules (harm)."""
        rules = next((r for kind, r in _PHRASE_RULES.items() if isinstance(scanner, kind)), None)
        if rules is not None:
            return np.fromiter(
                (match_rules(rules, text, category="").score >= bar for text in views),
                dtype=bool,
                count=len(views),
            )
        if isinstance(scanner, HarmScanner):
            return np.fromiter(
                (
                    bool(decoded_views(text)) or scanner.finds_rule_match(text, side)
                    for text in views
                ),
                dtype=bool,
                count=len(views),
            )
        return np.zeros(len(views), dtype=bool)

    @staticmethod
    def _scanned(
        item: ActiveScanner,
        views: list[str],
        side: Side,
        bar: float,
        *,
        only: np.ndarray | None,
        raw: list[str] | None = None,
    ) -> np.ndarray:
        """The scanner itself on each text (on those in ``only``): any score at the bar."""
        found = np.zeros(len(views), dtype=bool)
        context = ScanContext(side=side)
        readings = [views] if item.reads == "normalised" or raw is None else [raw]
        if item.reads == "both" and raw is not None:
            readings = [views, raw]
        for texts in readings:
            for index, text in enumerate(texts):
                if found[index] or (only is not None and not only[index]):
                    continue
                result = item.scanner.scan(text, context)
                found[index] = any(score >= bar for score in result.scores.values())
        return found
