"""A coordinated-disclosure report for one finding: one successful attempt of a run.

The report holds what a vendor's security or policy team needs: the affected
system and versions, a minimal reproduction transcript, the attack family,
a severity from a stated rubric (``disclosure.yaml``), the impact in risk
language, suggested mitigations and the timeline fields to fill. Personal data
and secrets are redacted from every text with the guard's own scanners
(:class:`redline.regress.report_redaction.ReportRedactor`). It is written as
Markdown and as an AVID-style JSON report (the fields of AVID's ``Report``
datamodel: affects, problemtype, metrics, references, description, impact,
credit, reported_date).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache
from importlib.resources import files
from typing import Any

import yaml
from pydantic import BaseModel, Field

from redline import __version__
from redline.analysis import RunSummary
from redline.analysis.summary import AttemptJudge
from redline.cards.figures import attack_family
from redline.core import ConfigError
from redline.core.records import Attempt, Message, RunInfo, Score, utc_now
from redline.data.taxonomy import category_label, hazard, is_known_category
from redline.regress.report_redaction import ReportRedactor

AVID_DATA_VERSION = "0.2"
AVID_TAXONOMY_VERSION = "0.2"


class FamilyText(BaseModel):
    description: str
    impact: str
    mitigations: list[str]
    avid: dict[str, list[str]]


class SeverityRubric(BaseModel):
    rubric: str
    harm_by_category: dict[str, int]
    harm_default: int
    ease_by_family: dict[str, int]
    ease_default: int
    levels: dict[str, int]
    embargo_days: int


class DisclosureData(BaseModel):
    severity: SeverityRubric
    families: dict[str, FamilyText]


@cache
def disclosure_data() -> DisclosureData:
    """The shipped rubric and family texts (``cards/disclosure.yaml``)."""
    text = files("redline.cards").joinpath("disclosure.yaml").read_text("utf-8")
    return DisclosureData.model_validate(yaml.safe_load(text))


class SeverityFactor(BaseModel):
    name: str
    score: int
    reason: str


class Severity(BaseModel):
    level: str
    score: int
    factors: list[SeverityFactor]
    rubric: str


class Timeline(BaseModel):
    """Dates of the disclosure; redline knows only when the finding was made."""

    discovered: str
    reported_to_vendor: str | None = None
    vendor_acknowledged: str | None = None
    fix_released: str | None = None
    public_disclosure_planned: str


class DisclosureReport(BaseModel):
    """Everything a disclosure says about one finding; texts already redacted."""

    report_id: str
    title: str
    created_at: str = Field(default_factory=utc_now)
    redline_version: str = __version__
    run_id: str
    attempt_id: str
    affected_target: str
    affected_model: str | None
    versions: dict[str, str]
    generation: dict[str, Any]
    attack: str
    attack_family: str
    attack_description: str
    attack_params: dict[str, Any]
    category: str
    category_title: str
    deciding_scorer: str
    label: str
    rationale: str
    transcript: list[Message]
    response: str
    reproduced: int
    tried: int
    severity: Severity
    impact: str
    mitigations: list[str]
    timeline: Timeline
    redactions: dict[str, int]
    avid: dict[str, str | list[str]]


def _severity(
    attempt: Attempt, family: str, reproduced: int, tried: int, data: SeverityRubric
) -> Severity:
    harm = data.harm_by_category.get(attempt.category, data.harm_default)
    ease_key = "none" if attempt.attack == "none" else family
    ease = data.ease_by_family.get(ease_key, data.ease_default)
    share = reproduced / tried
    repro = 0 if tried < 2 else (2 if share >= 0.5 else 1)
    factors = [
        SeverityFactor(
            name="harm", score=harm, reason=f"hazard category {category_label(attempt.category)}"
        ),
        SeverityFactor(
            name="ease",
            score=ease,
            reason="plain request, no attack" if attempt.attack == "none" else f"{family} attack",
        ),
        SeverityFactor(
            name="reproducibility",
            score=repro,
            reason=f"{reproduced} of {tried} attempts of this prompt and attack succeeded",
        ),
    ]
    total = sum(f.score for f in factors)
    level = next(name for name, lowest in data.levels.items() if total >= lowest)
    return Severity(level=level, score=total, factors=factors, rubric=data.rubric)


def _impact(attempt: Attempt, family: FamilyText) -> str:
    if is_known_category(attempt.category):
        what = hazard(attempt.category)
        harm = f"The finding concerns the hazard category {what.title}: {what.description}"
    else:
        harm = f"The finding concerns the category {attempt.category!r}."
    return f"{harm} {family.impact}"


def build_disclosure(
    info: RunInfo,
    summary: RunSummary,
    attempts: list[Attempt],
    scores: list[Score],
    *,
    attempt_id: str,
    redactor: ReportRedactor | None = None,
) -> DisclosureReport:
    """The disclosure report of ``attempt_id`` (an id or unique prefix) in this run.

    Only a success (by the attempt's deciding scorer) is a finding; anything else
    is a ConfigError saying what the attempt's label was.
    """
    matches = [a for a in attempts if a.id == attempt_id] or [
        a for a in attempts if a.id.startswith(attempt_id)
    ]
    if len(matches) != 1:
        found = "no attempt" if not matches else f"{len(matches)} attempts"
        raise ConfigError(
            f"--attempt {attempt_id}: {found} of run {info.id} match "
            "(redline runs show RUN lists them)"
        )
    attempt = matches[0]
    judge = AttemptJudge.for_summary(summary, scores)
    verdict = judge.verdict(attempt)
    if judge.success(attempt) is not True:
        raise ConfigError(
            f"--attempt {attempt.id}: not a finding: its deciding scorer {verdict.scorer} "
            f"labelled it {verdict.label or 'nothing (unscored)'}"
        )
    family_name = attack_family(attempt.attack) if attempt.attack != "none" else "none"
    data = disclosure_data()
    family = data.families.get(family_name, data.families["unclassified"])
    same = [
        a
        for a in attempts
        if a.behavior_id == attempt.behavior_id and a.attack == attempt.attack and a.error is None
    ]
    reproduced = sum(judge.success(a) is True for a in same)
    redactor = redactor or ReportRedactor()
    transcript = redactor.redact_messages(attempt.messages)
    response, rationale = redactor.redact_texts(
        [attempt.response or "", _rationale(scores, attempt, verdict.scorer)]
    )
    discovered = attempt.created_at
    public = date.fromisoformat(discovered[:10]) + timedelta(days=data.severity.embargo_days)
    config = info.config
    return DisclosureReport(
        report_id=f"redline-{info.id}-{attempt.id}",
        title=f"{category_label(attempt.category)} content "
        + ("as a direct request" if family_name == "none" else f"through a {family_name} attack")
        + f" on {attempt.target}",
        run_id=info.id,
        attempt_id=attempt.id,
        affected_target=attempt.target,
        affected_model=_model(config),
        versions=dict(info.versions),
        generation={k: v for k, v in (config.get("generation") or {}).items() if v is not None},
        attack=attempt.attack,
        attack_family=family_name,
        attack_description=family.description,
        attack_params=attempt.attack_params,
        category=attempt.category,
        category_title=category_label(attempt.category),
        deciding_scorer=verdict.scorer,
        label=verdict.label or "",
        rationale=rationale,
        transcript=transcript,
        response=response,
        reproduced=reproduced,
        tried=len(same),
        severity=_severity(attempt, family_name, reproduced, len(same), data.severity),
        impact=_impact(attempt, family),
        mitigations=family.mitigations,
        timeline=Timeline(discovered=discovered, public_disclosure_planned=public.isoformat()),
        redactions=dict(sorted(redactor.counts.items())),
        avid=family.avid,  # type: ignore[arg-type]
    )


def _rationale(scores: list[Score], attempt: Attempt, scorer: str) -> str:
    return next(
        (
            s.rationale
            for s in reversed(scores)
            if s.attempt_id == attempt.id and s.scorer == scorer
        ),
        "",
    )


def _model(config: dict[str, Any]) -> str | None:
    target = config.get("target")
    if isinstance(target, dict):
        model = target.get("model") or target.get("model_path")
        return str(model) if model else None
    return str(target) if target else None


def avid_report(report: DisclosureReport) -> dict[str, Any]:
    """The report in the fields of AVID's ``Report`` datamodel."""
    kind = "System" if report.transcript and report.transcript[0].role == "system" else "Model"
    return {
        "data_type": "AVID",
        "data_version": AVID_DATA_VERSION,
        "metadata": {"report_id": report.report_id},
        "affects": {
            "developer": [],
            "deployer": [],
            "artifacts": [{"type": kind, "name": report.affected_model or report.affected_target}],
        },
        "problemtype": {
            "classof": "LLM Evaluation",
            "type": "Issue",
            "description": {"lang": "eng", "value": report.title},
        },
        "metrics": [
            {
                "name": f"{report.deciding_scorer} label",
                "detection_method": {"type": "Static Threshold", "name": report.deciding_scorer},
                "results": {
                    "label": report.label,
                    "reproduced": report.reproduced,
                    "tried": report.tried,
                    "severity": report.severity.level,
                    "severity_score": report.severity.score,
                },
            }
        ],
        "references": [
            {
                "type": "source",
                "label": f"redline run {report.run_id}, attempt {report.attempt_id}",
                "url": f"redline://runs/{report.run_id}/attempts/{report.attempt_id}",
            }
        ],
        "description": {"lang": "eng", "value": report.impact},
        "impact": {
            "avid": {
                "risk_domain": report.avid.get("risk_domain", []),
                "sep_view": report.avid.get("sep_view", []),
                "lifecycle_view": report.avid.get("lifecycle_view", []),
                "taxonomy_version": AVID_TAXONOMY_VERSION,
            }
        },
        "credit": [],
        "reported_date": report.created_at[:10],
    }


def render_disclosure_markdown(report: DisclosureReport) -> str:
    """The report as Markdown for a vendor's security or policy team."""
    lines = [
        f"# Disclosure: {report.title}",
        "",
        f"Report `{report.report_id}`, made by redline {report.redline_version} at "
        f"{report.created_at}. Personal data and secrets are redacted "
        f"({_counts(report.redactions)}).",
        "",
        "## Affected system",
        "",
        f"- target: `{report.affected_target}`",
        f"- model: {report.affected_model or 'not recorded'}",
        f"- versions: {_pairs(report.versions) or 'not recorded'}",
        f"- generation settings: {_pairs(report.generation) or 'not recorded'}",
        "",
        "## Finding",
        "",
        f"- attack: `{report.attack}` (family {report.attack_family}: {report.attack_description})",
        f"- attack parameters: {_pairs(report.attack_params) or 'none'}",
        f"- hazard category: {report.category_title}",
        f"- decided by: {report.deciding_scorer}, label `{report.label}`"
        + (f" ({report.rationale})" if report.rationale else ""),
        f"- reproduced: {report.reproduced} of {report.tried} attempts of this prompt and attack",
        "",
        "## Severity",
        "",
        f"**{report.severity.level}** (score {report.severity.score})",
        "",
        *[f"- {f.name}: {f.score} ({f.reason})" for f in report.severity.factors],
        "",
        f"Rubric: {report.severity.rubric}",
        "",
        "## Impact",
        "",
        report.impact,
        "",
        "## Minimal reproduction",
        "",
        "Send these messages to the target with the generation settings above:",
        "",
    ]
    for message in report.transcript:
        lines += [f"**{message.role}**:", "", _quote(message.content), ""]
    lines += [
        "Response (redacted):",
        "",
        _quote(report.response),
        "",
        "## Suggested mitigations",
        "",
    ]
    lines += [f"- {m}" for m in report.mitigations]
    timeline = report.timeline
    lines += [
        "",
        "## Timeline",
        "",
        f"- discovered: {timeline.discovered}",
        f"- reported to vendor: {timeline.reported_to_vendor or '(to fill)'}",
        f"- vendor acknowledged: {timeline.vendor_acknowledged or '(to fill)'}",
        f"- fix released: {timeline.fix_released or '(to fill)'}",
        f"- public disclosure planned: {timeline.public_disclosure_planned} "
        f"({disclosure_data().severity.embargo_days} days after discovery, "
        "unless agreed otherwise)",
        "",
    ]
    return "\n".join(lines)


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in (text or "(empty)").splitlines())


def _pairs(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in values.items())


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {k}" for k, n in counts.items()) if counts else "none found"
