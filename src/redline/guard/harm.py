"""Harmful content by hazard category (MLCommons S1-S14 and ours), on inputs and
outputs, from the trained ``harm`` classifier."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Literal, get_args

import numpy as np

from redline.classifiers.refusal_model import shipped_refusal_classifier
from redline.core import ConfigError
from redline.core.outcome import FULL_REFUSAL
from redline.detectors.crime_requests import crime_rules as _shipped_crimes
from redline.detectors.harm_statements import StatementMatch, StatementRules
from redline.detectors.harm_statements import statement_rules as statement_rules_of
from redline.detectors.hazard_requests import RequestMatch, RequestRules
from redline.detectors.hazard_requests import hazard_rules as _shipped_hazards
from redline.detectors.self_harm_support import SupportRules, support_rules
from redline.detectors.sexual_content import SexualContentRules, SexualMatch
from redline.detectors.sexual_content import sexual_content_rules as _shipped_sexual
from redline.detectors.spans import Span
from redline.detectors.word_rules import folded_pieces
from redline.guard.classifier_scores import (
    RULE_SCALE_CUTOFF,
    Calibration,
    ClassifierScores,
    ModelMode,
    load_model,
)
from redline.guard.decoded_views import decoded_views
from redline.guard.scanner import SCANNERS, ScanContext, ScanResult, Side
from redline.guard.spelling import vocabulary

# The score a match of the word rules (hazard and crime requests, recipes, sexual content)
# gets on the policy scale (0.5 is the cut-off): a match blocks at the default
# threshold, and a threshold above 0.9 turns it off.
RULE_MATCH_SCORE = 0.9
# A first-person statement of intent to self-harm: its own category, never ``harm``,
# so a policy can flag it (the default) and not block the person who says it.
SELF_HARM_INTENT = "self_harm_intent"
# The note of an input the self-harm support reading lowered.
SUPPORT_NOTE = "about self-harm, asking for help or as a topic: scored without its self-harm words"
# The longest view a reason quotes; a longer one (a decoded document) is cut.
VIEW_NOTE_CHARS = 80
# What the sexual-content rules look for: everything, sexualised minors only (for a
# deployment that allows adult content), or nothing.
SexualRules = Literal["all", "minors", "off"]
# On the output side, the harm scores of a reply the refusal classifier calls a full
# refusal are capped here: it names what it declines ("I won't explain how to
# synthesize fentanyl."), and its words are no harm.
REFUSAL_HARM_CAP = 0.25


@SCANNERS.register("harm")
class HarmScanner:
    """Per-category harm probabilities plus ``harm`` (any category).

    The classifier is the whole scanner: with ``model="auto"`` and no classifier
    installed the scanner reports itself unavailable (``available`` is False) and
    the guard leaves it out with a warning; ``required`` makes that an error.

    Text that hides a request (Morse code, base64, leetspeak, look-alike letters,
    reversed text, scrambled or noised words) is also scored decoded, and each
    category takes the higher score. With ``calibration="production"`` (the
    default) scores are rescaled so that 0.5 is the classifier's cut-off for the
    text's side: inputs and outputs are calibrated apart, each to flag at most 1%
    of a benign mix, and category scores are capped by the combined ``harm``
    score, so a category fires only on text the combined head finds harmful.

    ``hazard_rules`` (default on): on the input side, a request to make one of the
    most severe hazards ("cook methamphetamine", "fabrico una bomba casera", "write
    a keylogger"; ``hazard_requests``) scores ``RULE_MATCH_SCORE`` for its category and for
    ``harm``, whatever the classifier says, in six languages and on the decoded
    views; on both sides, so does a synthesis route named by its ingredients
    ("pseudoephedrine ... red phosphorus and iodine"). Requests on outputs are left
    to the classifier: a refusal names what it refuses.

    ``crime_rules`` (default on): on the input side, a request to commit an everyday
    crime ("how can I steal a laptop", "the best way to knock someone out";
    ``crime_requests``: a request frame, an act and its target) scores
    ``RULE_MATCH_SCORE`` for its category (``s1``, ``s2``, ``s5``, ``harassment``) and
    for ``harm``, on the text and its decoded views, in six languages.

    ``sexual_rules`` (``detectors.sexual_content``, default ``"all"``): sexualised
    minors (``s4``) and explicit sexual content (``s12``) on both sides, and requests
    for sexual stories or role-play (``s12``) on inputs, score
    ``RULE_MATCH_SCORE`` for their category and for ``harm``; ``"minors"``
    keeps only the first (a deployment that allows adult content), ``"off"`` (or
    false) none.

    ``statement_rules`` (``detectors.harm_statements``, default on), both sides: a
    threat or a wish of violence against a person ("I'll stab you", "I hope you
    die") scores ``RULE_MATCH_SCORE`` for ``harassment`` and for ``harm``; a
    first-person statement of intent to harm oneself ("I'm going to kill myself",
    "I want to die") scores it for ``SELF_HARM_INTENT`` only, a category of its own
    that the default policy flags: the person needs an answer that cares, not a
    refusal. On inputs, a request for a way to do it ("what's the most painless way
    to kill myself") scores it for ``s11`` and ``harm``: it asks for the means.

    ``self_harm_support`` (``detectors.self_harm_support``, default on), inputs: a
    text about suicide or self-harm that asks for help, helps someone or studies the
    topic ("How do I stop wanting to kill myself?", "Why are suicide rates higher
    among men?"), with no method, dose or push in it, is scored again with its
    self-harm words made neutral, and each category keeps the lower of the two
    scores: those words alone do not block it, anything else harmful in it does. The
    rules above score after this, so a request for the means is blocked still.

    ``refusal_gate`` (default on): an output scoring above ``REFUSAL_HARM_CAP`` is
    read by the refusal classifier, and if it is a full refusal its scores are
    capped there, so a refusal is not blocked for the words of what it declines.
    """

    name = "harm"
    sides: frozenset[Side] = frozenset({"input", "output"})
    redactable = False

    def __init__(
        self,
        *,
        model: ModelMode = "auto",
        classifier: str = "harm",
        calibration: Calibration = "production",
        hazard_rules: bool = True,
        crime_rules: bool = True,
        sexual_rules: SexualRules | bool = "all",
        statement_rules: bool = True,
        self_harm_support: bool = True,
        refusal_gate: bool = True,
    ) -> None:
        if model == "off":
            raise ConfigError("the harm scanner is its classifier; disable the scanner instead")
        if not isinstance(statement_rules, bool):
            raise ConfigError(
                f"harm: statement_rules must be true or false, not {statement_rules!r}"
            )
        if not isinstance(self_harm_support, bool):
            raise ConfigError(
                f"harm: self_harm_support must be true or false, not {self_harm_support!r}"
            )
        if isinstance(sexual_rules, bool):  # YAML reads a bare off / on as a boolean
            sexual_rules = "all" if sexual_rules else "off"
        if sexual_rules not in get_args(SexualRules):
            raise ConfigError(
                f"harm: sexual_rules must be one of {', '.join(get_args(SexualRules))}, "
                f"not {sexual_rules!r}"
            )
        loaded, self.unavailable_reason = load_model(classifier, model)
        self.available = loaded is not None
        rescale = RULE_SCALE_CUTOFF if calibration == "production" else None
        self._scores = (
            ClassifierScores(loaded, combined="harm", calibration=calibration, rescale_to=rescale)
            if loaded
            else None
        )
        # Self-harm intent is a category whether or not its rule is on, so a policy
        # that sets its action still loads with ``statement_rules: false``.
        classified = (*self._scores.categories, "harm") if self._scores else ("harm",)
        self.categories = (*classified, SELF_HARM_INTENT)
        self._statements: tuple[StatementRules, ...] = ()
        if statement_rules:
            self._statements = tuple(
                statement_rules_of(kind) for kind in ("threat", "self_harm", "self_harm_request")
            )
        self._support: SupportRules | None = support_rules() if self_harm_support else None
        self._gate_categories = calibration == "production"
        self._hazards: RequestRules | None = _shipped_hazards() if hazard_rules else None
        self._crimes: RequestRules | None = _shipped_crimes() if crime_rules else None
        self._sexual: SexualContentRules | None = (
            _shipped_sexual() if sexual_rules != "off" else None
        )
        self._sexual_adults = sexual_rules == "all"
        self._refusal_gate = refusal_gate
        if loaded:
            vocabulary()  # the spelling view's words, read with the guard, not on a request

    @property
    def gates_categories(self) -> bool:
        """Whether category scores are capped by the combined ``harm`` score (so no
        category fires unless ``harm`` reaches its threshold too)."""
        return self._gate_categories

    @property
    def classifier_scores(self) -> tuple[ClassifierScores, ...]:
        """The classifiers this scanner scores with (the guard shares their features)."""
        return (self._scores,) if self._scores else ()

    def default_thresholds(self) -> dict[str, float]:
        return self._scores.thresholds() if self._scores else {}

    def scan(self, text: str, context: ScanContext) -> ScanResult:
        return self.scan_many([text], [context])[0]

    def scan_many(self, texts: Sequence[str], contexts: Sequence[ScanContext]) -> list[ScanResult]:
        if self._scores is None:
            raise RuntimeError(self.unavailable_reason)
        probabilities, views, viewed = self._probabilities(texts)
        by_side: dict[Side, list[int]] = {}
        for index, context in enumerate(contexts):
            by_side.setdefault(context.side, []).append(index)
        results: list[ScanResult | None] = [None] * len(texts)
        for side, indices in by_side.items():
            for index, scores in zip(
                indices, self._scores.rows(probabilities[indices], side=side), strict=True
            ):
                # Read here, text by text, so the rules below find its words folded.
                calm = self._neutral_scores(texts[index], side)
                lowered = calm is not None and calm["harm"] < scores["harm"]
                if calm is not None:
                    # Each category keeps the lower of the two readings: the words of
                    # self-harm alone do not block a request for help.
                    scores = {k: min(v, calm[k]) for k, v in scores.items()}
                if self._gate_categories:
                    # A category names *what* harm the combined head found; on its own
                    # a rare category head is too poorly calibrated to block, so it is
                    # capped by the combined score (whose cut-off holds the 1% FPR).
                    combined = scores["harm"]
                    scores = {k: v if k == "harm" else min(v, combined) for k, v in scores.items()}
                result = ScanResult(scores=scores)
                if index in viewed:
                    note = self._view_note(*viewed[index], views[index], side)
                    if note:
                        result.notes["harm"] = note
                if lowered:
                    result.notes["harm"] = SUPPORT_NOTE
                self._add_rules(result, texts[index], views[index], side)
                results[index] = result
        done = [result for result in results if result is not None]
        if self._refusal_gate:
            outputs = [i for i, c in enumerate(contexts) if c.side == "output"]
            self._cap_refusals(done, texts, outputs)
        return done

    def _probabilities(
        self, texts: Sequence[str]
    ) -> tuple[np.ndarray, list[list[str]], dict[int, tuple[np.ndarray, np.ndarray]]]:
        """The classifier's probabilities of each text, each the higher of the text's
        and its decoded views'; the views; and, for each text with views, its own
        probabilities and its views' (for the note that names the view a verdict was
        read from)."""
        assert self._scores is not None
        probabilities = np.asarray(self._scores.probabilities(texts), dtype=np.float64)
        views = [decoded_views(text) for text in texts]
        extra = [view for text_views in views for view in text_views]
        viewed: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        if extra:
            extra_scores = np.asarray(self._scores.probabilities(extra), dtype=np.float64)
            start = 0
            for row, text_views in enumerate(views):
                if text_views:
                    block = extra_scores[start : start + len(text_views)]
                    viewed[row] = (probabilities[row].copy(), block)
                    probabilities[row] = np.maximum(probabilities[row], block.max(axis=0))
                    start += len(text_views)
        return probabilities, views, viewed

    def _neutral_scores(self, text: str, side: Side) -> dict[str, float] | None:
        """An input about self-harm that asks for help, helps someone or studies it
        (``detectors.self_harm_support``): its scores with its self-harm words made
        neutral. None for any other text (most: a substring test each)."""
        if self._support is None or side != "input":
            return None
        view = self._support.neutral_view(text)
        if view is None:
            return None
        assert self._scores is not None
        again, _, _ = self._probabilities([view])
        (scores,) = self._scores.rows(again, side=side)
        return scores

    def _view_note(self, own: np.ndarray, block: np.ndarray, views: list[str], side: Side) -> str:
        """Names the view whose ``harm`` score is the text's, when a view scored
        higher than the text itself (a reason then says what was read: "read as
        \"How to break someone out of jail?\""); "" otherwise."""
        assert self._scores is not None
        rows = self._scores.rows(np.vstack([own, block]), side=side)
        best = max(range(1, len(rows)), key=lambda i: rows[i]["harm"])
        if rows[best]["harm"] <= rows[0]["harm"]:
            return ""
        view = " ".join(views[best - 1].split())
        shown = view if len(view) <= VIEW_NOTE_CHARS else view[: VIEW_NOTE_CHARS - 1] + "…"
        return f"read as {json.dumps(shown, ensure_ascii=False)}"

    def _cap_refusals(
        self, results: list[ScanResult], texts: Sequence[str], outputs: list[int]
    ) -> None:
        """Caps the harm scores of outputs the refusal classifier calls full refusals;
        only outputs above the cap are read (most score far below it)."""
        high = [i for i in outputs if max(results[i].scores.values()) > REFUSAL_HARM_CAP]
        if not high:
            return
        verdicts = shipped_refusal_classifier().classify([texts[i] for i in high])
        for index, verdict in zip(high, verdicts, strict=True):
            if verdict.label != FULL_REFUSAL:
                continue
            result = results[index]
            result.scores = {k: min(v, REFUSAL_HARM_CAP) for k, v in result.scores.items()}
            result.spans = []
            result.notes = {"harm": f"a full refusal, capped at {REFUSAL_HARM_CAP}"}

    def finds_rule_match(self, text: str, side: Side) -> bool:
        """Whether the hazard, crime or sexual-content rules match ``text`` itself on
        ``side`` (the triage screen sends such texts to the guard; decoded views it
        sends anyway)."""
        return bool(self._rule_matches(text, side))

    def _rule_matches(
        self, text: str, side: Side
    ) -> list[RequestMatch | SexualMatch | StatementMatch]:
        """Hazard and crime requests on inputs (a refusal names what it refuses, so
        outputs are left to the classifier for those) and hazard recipes on both
        sides; sexual content the same way (requests for it on inputs only); threats
        and self-harm intent on both sides, requests for a way to self-harm on inputs."""
        requests = side == "input"
        found: list[RequestMatch | SexualMatch | StatementMatch] = []
        pieces = frozenset(folded_pieces(text))  # the word rules' first look, made once
        if self._hazards is not None:
            found += self._hazards.find(text, requests=requests, pieces=pieces)
        if self._crimes is not None and requests:
            found += self._crimes.find(text, pieces=pieces)
        if self._sexual is not None:
            found += self._sexual.find(
                text, requests=requests, adults=self._sexual_adults, pieces=pieces
            )
        for rules in self._statements:
            if requests or not rules.inputs_only:
                found += rules.find(text, pieces=pieces)
        return found

    def _add_rules(self, result: ScanResult, text: str, views: list[str], side: Side) -> None:
        """The rules' matches in the text and its decoded views, each scored
        ``RULE_MATCH_SCORE`` for its category and (but self-harm intent) ``harm``."""
        matches = [(m, True) for m in self._rule_matches(text, side)]
        matches += [(m, False) for view in views for m in self._rule_matches(view, side)]
        if not matches:
            return
        for match, in_text in matches:
            alone = match.category == SELF_HARM_INTENT
            for key in (match.category,) if alone else (match.category, "harm"):
                result.scores[key] = max(result.scores.get(key, 0.0), RULE_MATCH_SCORE)
            if in_text:
                result.spans.append(Span(match.start, match.end, match.category, RULE_MATCH_SCORE))
        # Each category's note names its first match; ``harm``'s the first of those
        # that score it.
        for match, in_text in reversed(matches):
            note = match.describe() + ("" if in_text else " (decoded)")
            result.notes[match.category] = note
            if match.category != SELF_HARM_INTENT:
                result.notes["harm"] = note
