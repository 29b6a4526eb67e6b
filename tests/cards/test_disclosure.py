"""`redline disclose` on real stub runs: the report's parts, redaction of personal
data and secrets, the severity rubric, the AVID export, and non-findings refused."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from redline.analysis import summarize_run
from redline.analysis.summary import AttemptJudge
from redline.cards.disclosure import disclosure_data
from redline.cli.app import app
from redline.store import RunStore

runner = CliRunner()
AVID_FIELDS = {
    "data_type", "data_version", "metadata", "affects", "problemtype", "metrics",
    "references", "description", "impact", "credit", "reported_date",
}  # fmt: skip


def _attempts(card_runs, *, success: bool, behavior: str, attack: str = "none") -> list[str]:
    with RunStore(card_runs.runs_dir).open(card_runs.attacked) as handle:
        attempts, scores = handle.read_attempts(), handle.read_scores()
        judge = AttemptJudge.for_summary(summarize_run(handle.info, attempts, scores), scores)
    return [
        a.id
        for a in attempts
        if a.behavior_id == behavior and a.attack == attack and judge.success(a) is success
    ]


def disclose(card_runs, attempt: str, output: Path, *extra: str):
    return runner.invoke(
        app,
        ["disclose", "--run", card_runs.attacked, "--attempt", attempt,
         "--runs-dir", str(card_runs.runs_dir), "-o", str(output), *extra],
    )  # fmt: skip


def test_a_finding_gets_markdown_and_avid_json_with_pii_and_secrets_redacted(
    card_runs, tmp_path: Path
) -> None:
    (attempt,) = _attempts(card_runs, success=True, behavior="h0")
    result = disclose(card_runs, attempt, tmp_path, "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    markdown = Path(document["markdown"]).read_text()
    avid_text = Path(document["avid_json"]).read_text()
    for text in (markdown, avid_text):
        assert card_runs.email not in text
        assert card_runs.secret not in text
    assert "[EMAIL]" in markdown
    assert document["redactions"]  # counted by category
    for heading in ("## Affected system", "## Minimal reproduction", "## Severity",
                    "## Impact", "## Suggested mitigations", "## Timeline"):  # fmt: skip
        assert heading in markdown
    assert "- reported to vendor: (to fill)" in markdown
    avid = json.loads(avid_text)
    assert set(avid) == AVID_FIELDS
    assert avid["data_type"] == "AVID"
    assert avid["affects"]["artifacts"] == [{"type": "Model", "name": "stub"}]
    assert avid["impact"]["avid"]["sep_view"] == ["S0400"]
    assert card_runs.attacked in avid["references"][0]["label"]


def test_severity_follows_the_stated_rubric(card_runs, tmp_path: Path) -> None:
    # h0 is an s9 (CBRNE) prompt answered as a direct request, tried once.
    (attempt,) = _attempts(card_runs, success=True, behavior="h0")
    result = disclose(card_runs, attempt, tmp_path, "--json")
    document = json.loads(result.stdout)
    rubric = disclosure_data().severity
    harm, ease = rubric.harm_by_category["s9"], rubric.ease_by_family["none"]
    expected = harm + ease + 0
    level = next(name for name, low in rubric.levels.items() if expected >= low)
    assert (document["severity_score"], document["severity"]) == (expected, level)
    assert document["attack_family"] == "none"
    markdown = Path(document["markdown"]).read_text()
    assert rubric.rubric[:60] in markdown


def test_an_encoded_finding_names_its_family_and_mitigations(card_runs, tmp_path: Path) -> None:
    (attempt,) = _attempts(card_runs, success=True, behavior="h2", attack="base64")
    result = disclose(card_runs, attempt[:10], tmp_path, "--json")  # a unique prefix will do
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["attack_family"] == "encoding"
    markdown = Path(document["markdown"]).read_text()
    for mitigation in disclosure_data().families["encoding"].mitigations:
        assert mitigation in markdown


def test_an_attempt_that_was_refused_is_not_a_finding(card_runs, tmp_path: Path) -> None:
    (attempt,) = _attempts(card_runs, success=False, behavior="h1")
    result = disclose(card_runs, attempt, tmp_path)
    assert result.exit_code == 2
    assert "not a finding" in result.output
    assert not list(tmp_path.iterdir())


def test_an_unknown_attempt_is_a_usage_error(card_runs, tmp_path: Path) -> None:
    result = disclose(card_runs, "zzzz", tmp_path)
    assert result.exit_code == 2
    assert "no attempt" in result.output


def test_disclose_help() -> None:
    result = runner.invoke(app, ["disclose", "--help"])
    assert result.exit_code == 0
    assert "--attempt" in result.output and "--run" in result.output
