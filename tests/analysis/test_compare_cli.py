"""`redline compare` through the real CLI app (exit codes included)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from typer.testing import CliRunner

from redline.cli.app import app

from .conftest import harmful_pairs, row, write_run


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def _runs(runs_root):
    a, b = harmful_pairs("s1", both=1, only_a=0, only_b=12, neither=7)
    c, d = harmful_pairs("s2", both=0, only_a=1, only_b=2, neither=17)
    write_run(runs_root, "20260102-000000-aaaaaa", a + c)
    write_run(runs_root, "20260102-000000-bbbbbb", b + d)
    return "20260102-000000-aaaaaa", "20260102-000000-bbbbbb"


def test_compare_text_names_what_regressed(runs_root):
    run_a, run_b = _runs(runs_root)
    result = invoke("compare", run_a, run_b, "--runs-dir", str(runs_root))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Regressed significantly" in out and "s1 attack success" in out
    assert "s2 attack success" not in out.split("Regressed significantly")[1]
    assert "tests: mcnemar-exact" in out
    # At 80 columns the figures stay whole; a long category title may end in an
    # ellipsis, but rows come in natural order with the taxonomy's names.
    assert "+60.0 [+31.4, +77.4]" in out and "0.00098  regressed" in out
    lines = [line.strip() for line in out.splitlines()]
    assert [line[:2] for line in lines if line.startswith("S")] == ["S1", "S2"]
    assert any(line.startswith("S1 Violent") for line in lines)


def test_compare_json_and_fail_on_regression(runs_root):
    run_a, run_b = _runs(runs_root)
    args = ["compare", run_a[:17] + "a", run_b, "--runs-dir", str(runs_root), "--json"]
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["run_a"] == run_a and document["paired"] is True
    assert document["regressions"] == ["overall attack success", "s1 attack success"]
    s1 = next(c for c in document["by_category"] if c["group"] == "s1")
    assert (s1["only_a"], s1["only_b"]) == (0, 12) and s1["difference"]["estimate"] > 0
    assert invoke(*args, "--fail-on-regression").exit_code == 1
    # The other way round there is nothing to fail on.
    reverse = ["compare", run_b, run_a, "--runs-dir", str(runs_root), "--fail-on-regression"]
    assert invoke(*reverse).exit_code == 0


def test_compare_unpaired_runs_say_so(runs_root):
    write_run(runs_root, "x", [row(f"x{i}", "full_refusal") for i in range(5)])
    write_run(runs_root, "y", [row(f"y{i}", "full_compliance") for i in range(5)])
    result = invoke("compare", "x", "y", "--runs-dir", str(runs_root))
    assert result.exit_code == 0, result.output
    assert "share no behaviours" in result.stdout
    assert "fisher-exact; * unpaired" in result.stdout and "5/5*" in result.stdout


def test_compare_bad_input_exits_2(runs_root):
    run_a, _ = _runs(runs_root)
    for args, message in (
        (["compare", run_a, "nope"], "no run 'nope'"),
        (["compare", "nope", run_a], "no run 'nope'"),
        (["compare", run_a, run_a, "--reducer", "avg"], "unknown reducer 'avg'"),
        (["compare", run_a, run_a, "--confidence", "2"], "--confidence"),
        (["compare", run_a, run_a, "--scorer", "harm"], "scorer 'harm'"),
    ):
        result = invoke(*args, "--runs-dir", str(runs_root))
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output


def test_redline_compare_as_a_process(runs_root):
    run_a, _ = _runs(runs_root)
    code = "import sys; from redline.cli.app import main; sys.argv[0] = 'redline'; main()"
    done = subprocess.run(
        [sys.executable, "-c", code, "compare", run_a, "missing", "--runs-dir", str(runs_root)],
        capture_output=True, text=True, timeout=120, env={**os.environ},
    )  # fmt: skip
    assert done.returncode == 2 and done.stderr.startswith("error: no run 'missing'")
