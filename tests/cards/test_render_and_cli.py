"""`redline card` end to end: every output format, the PDF printed by a real
headless Chromium and read back, --json, and bad input with its exit code."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from redline.cli.app import app

runner = CliRunner()


def _chromium_available() -> bool:
    return any(shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome"))


def invoke(*args: str):
    return runner.invoke(app, list(args))


def test_card_help_lists_both_kinds_and_the_options() -> None:
    result = invoke("card", "--help")
    assert result.exit_code == 0
    assert "model" in result.output and "system" in result.output
    result = invoke("card", "system", "--help")
    for option in ("--runs", "--spec", "--ablation", "--facts", "--output", "--json"):
        assert option in result.output


@pytest.mark.parametrize("suffix", [".md", ".html", ".json"])
def test_card_writes_each_text_format(card_runs, tmp_path: Path, suffix: str) -> None:
    output = tmp_path / f"card{suffix}"
    result = invoke(
        "card", "model", "--runs", f"{card_runs.attacked},{card_runs.plain}",
        "--runs-dir", str(card_runs.runs_dir), "-o", str(output), "--json", "--no-progress",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["runs"] == [card_runs.attacked, card_runs.plain]
    assert document["figures"] > 0
    assert sum(document["crosswalk"].values()) == 72 + 12 + 13
    text = output.read_text()
    assert card_runs.attacked in text and card_runs.plain in text


@pytest.mark.slow
@pytest.mark.skipif(not _chromium_available(), reason="no chromium on PATH")
def test_pdf_is_printed_by_chromium_and_reads_back(card_runs, tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    output = tmp_path / "card.pdf"
    result = invoke(
        "card", "system", "--runs", card_runs.attacked, "--runs-dir", str(card_runs.runs_dir),
        "-o", str(output), "--no-progress",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    reader = pypdf.PdfReader(str(output))
    assert len(reader.pages) >= 2
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "System card" in text
    # Read back as written: no "ﬁ" or "ﬀ" ligature in "figure" or in a run id
    # ending "dff" (which failed this test now and then when a random id had "ff").
    assert "Every figure" in text
    assert card_runs.attacked in text
    assert "Governance crosswalk" in text
    assert "MEASURE 2.7" in text


def test_a_bad_output_suffix_is_a_usage_error(card_runs, tmp_path: Path) -> None:
    result = invoke(
        "card", "model", "--runs", card_runs.plain, "--runs-dir", str(card_runs.runs_dir),
        "-o", str(tmp_path / "card.docx"),
    )  # fmt: skip
    assert result.exit_code == 2
    assert "unknown format .docx" in result.output


def test_an_unknown_run_is_a_usage_error(card_runs, tmp_path: Path) -> None:
    result = invoke(
        "card", "model", "--runs", "nosuchrun", "--runs-dir", str(card_runs.runs_dir),
        "-o", str(tmp_path / "card.md"),
    )  # fmt: skip
    assert result.exit_code == 2
    assert "nosuchrun" in result.output


def test_an_unknown_facts_field_exits_2_with_file_and_line(card_runs, tmp_path: Path) -> None:
    facts = tmp_path / "facts.yaml"
    facts.write_text("system_details:\n  nam: x\n")
    result = invoke(
        "card", "system", "--runs", card_runs.plain, "--runs-dir", str(card_runs.runs_dir),
        "--facts", str(facts), "-o", str(tmp_path / "card.md"),
    )  # fmt: skip
    assert result.exit_code == 2
    assert "facts.yaml:2: system_details.nam: unknown field" in result.output


def test_labels_on_a_sample_of_the_run_measure_the_scorer_on_its_own_responses(
    card_runs, tmp_path: Path
) -> None:
    sample = tmp_path / "sample.jsonl"
    result = invoke(
        "judge", "sample", card_runs.attacked, "-n", "10", "--scorer", "refusal",
        "-o", str(sample), "--runs-dir", str(card_runs.runs_dir),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in sample.read_text().splitlines()]
    # A person agrees with the scorer on every row but the first.
    flip = {"full_refusal": "full_compliance"}
    for index, row in enumerate(rows):
        label = row["scorer_label"]
        row["human_label"] = flip.get(label, "full_refusal") if index == 0 else label
    sample.write_text("".join(json.dumps(r) + "\n" for r in rows))
    output = tmp_path / "card.json"
    result = invoke(
        "card", "system", "--runs", card_runs.attacked, "--labels", str(sample),
        "--runs-dir", str(card_runs.runs_dir), "-o", str(output), "--no-progress",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    card = json.loads(output.read_text())
    refusal = next(row for row in card["scorers"] if row["scorer"] == "refusal")
    agreement = refusal["agreement"]
    assert agreement["n"] == len(rows)
    assert agreement["agreement"]["estimate"] == (len(rows) - 1) / len(rows)
    assert "this run's own responses" in agreement["basis"]
