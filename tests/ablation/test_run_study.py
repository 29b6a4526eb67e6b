"""A whole study on the scripted model: arms through run/, paired analysis, files, resume."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from redline.ablation import read_results
from redline.cli.app import app
from redline.store import RunStore


def _ablate(study_file: Path, runs: Path, *extra: str) -> dict:
    result = CliRunner().invoke(
        app, ["ablate", str(study_file), "--json", "--runs-dir", str(runs), *extra]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _rate(document: dict, arm: str, metric: str, suite: str = "all") -> tuple[int, int]:
    (arm_result,) = [a for a in document["arms"] if a["name"] == arm]
    (found,) = [m for m in arm_result["metrics"] if m["metric"] == metric and m["suite"] == suite]
    return found["events"], found["n"]


def test_study_measures_every_arm_on_the_same_prompts(study_file: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    document = _ablate(study_file, runs)
    # Same configuration, one run: 'same-as-base' is the base arm's run.
    arms = {a["name"]: a for a in document["arms"]}
    assert arms["same-as-base"]["run_id"] == arms["base"]["run_id"]
    assert arms["base"]["shared_run_with"] == ["same-as-base"]
    assert len(RunStore(runs).ids()) == 4
    assert _rate(document, "base", "harmlessness") == (0, 6)
    assert _rate(document, "harm-refuser", "harmlessness") == (6, 6)
    assert _rate(document, "guarded", "harmlessness") == (6, 6)  # the guard's refusals
    assert _rate(document, "refuse-all", "over_refusal") == (4, 4)
    assert _rate(document, "base", "over_refusal") == (0, 4)
    assert _rate(document, "base", "harmful_rate", "harmful") == (6, 6)
    # Maths: 72 is right for 3 of 4; multiple choice: B is right for 1 of 2.
    assert _rate(document, "base", "accuracy", "maths") == (3, 4)
    assert _rate(document, "base", "accuracy", "law_test") == (1, 2)
    assert _rate(document, "base", "capability") == (4, 6)
    assert _rate(document, "refuse-all", "capability") == (0, 6)
    base = arms["base"]
    assert base["by_subject"]["law"]["n"] == 2
    (harm_metric,) = [m for m in base["metrics"] if m["metric"] == "harmlessness"]
    assert harm_metric["run_id"] == base["run_id"] and harm_metric["scorer"] == "refusal-patterns"
    assert 0.0 <= harm_metric["low"] <= harm_metric["high"] <= 0.5

    (paired,) = [
        c
        for c in document["comparisons"]
        if (c["arm_a"], c["arm_b"], c["metric"]) == ("base", "harm-refuser", "harmlessness")
    ]
    assert (paired["only_a"], paired["only_b"], paired["n_pairs"]) == (0, 6, 6)
    assert paired["delta"] == 1.0
    assert paired["p_value"] == 2 * 0.5**6
    # Holm over every comparison: never below the raw p-value, and 6 prompts are not enough.
    assert paired["p_holm"] >= paired["p_value"] and not paired["significant"]

    assert document["pareto"]["harmlessness_vs_capability"] == ["harm-refuser", "guarded"]
    assert document["pareto"]["harmlessness_vs_over_refusal"] == ["harm-refuser", "guarded"]
    tax = {row["arm"]: row for row in document["safety_tax"]}
    assert tax["harm-refuser"]["harmlessness_delta"] == 1.0
    assert tax["harm-refuser"]["capability_cost_per_point"] == 0.0
    assert abs(tax["refuse-all"]["capability_cost_per_point"] - 4 / 6) < 1e-9
    assert tax["refuse-all"]["over_refusal_delta"] == 1.0
    assert any(w.startswith("safety: 6 prompts") for w in document["warnings"])

    results = read_results(Path(document["results"]))
    assert results.arm("guarded").metric("harmlessness") is not None
    html = Path(document["report"]).read_text(encoding="utf-8")
    assert html.count('<svg class="chart pareto"') == 2
    assert "Safety tax" in html and "harm-refuser" in html


def test_rerunning_a_study_resumes_instead_of_resending(study_file: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    first = _ablate(study_file, runs)
    store = RunStore(runs)
    counts = {r: len(store.open(r).read_attempts()) for r in store.ids()}
    second = _ablate(study_file, runs)
    assert {a["name"]: a["run_id"] for a in second["arms"]} == {
        a["name"]: a["run_id"] for a in first["arms"]
    }
    assert {r: len(store.open(r).read_attempts()) for r in store.ids()} == counts
    assert second["comparisons"] == first["comparisons"]
