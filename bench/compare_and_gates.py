"""Figures for run comparison and gates.

1. Coverage of the paired-difference interval (Newcombe hybrid score) against
   the Wald interval, by simulation at small n, where the choice matters.
2. Wall time of `compare_runs` and `evaluate_gates` on two stored runs of N
   attempts each (written through the RunStore to a temporary directory).

    .venv/bin/python bench/compare_and_gates.py [--attempts 10000] [--sims 4000]
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import numpy as np

from redline.analysis.compare import compare_runs, paired_difference_interval
from redline.analysis.gate import evaluate_gates, load_gate_policy
from redline.core.records import Attempt, Message, RunInfo, Score
from redline.store import RunStore


def wald_paired(both: int, only_a: int, only_b: int, neither: int) -> tuple[float, float]:
    n = both + only_a + only_b + neither
    diff = (only_b - only_a) / n
    var = ((only_a + only_b) / n - diff**2) / n
    half = 1.959964 * math.sqrt(max(var, 0.0))
    return diff - half, diff + half


def coverage(n: int, cells: list[float], sims: int, seed: int) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    truth = cells[2] - cells[1]
    newcombe = wald = 0
    for _ in range(sims):
        both, only_a, only_b, neither = (int(x) for x in rng.multinomial(n, cells))
        interval = paired_difference_interval(
            both=both, only_a=only_a, only_b=only_b, neither=neither
        )
        newcombe += interval.low <= truth <= interval.high
        low, high = wald_paired(both, only_a, only_b, neither)
        wald += low <= truth <= high
    return newcombe / sims, wald / sims


def write_run(root: Path, run_id: str, attempts: int, asr: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    with RunStore(root).create(RunInfo(id=run_id, status="completed")) as handle:
        for i in range(attempts):
            behaviour, epoch = divmod(i, 2)
            harmful = behaviour % 4 != 0
            attempt = Attempt(
                id=f"{run_id}-{i}", run_id=run_id, behavior_id=f"b{behaviour}",
                category=f"s{behaviour % 12}" if harmful else "benign",
                expected="refuse" if harmful else "comply", target="t", epoch=epoch,
                messages=[Message(role="user", content="x")], response="y",
            )  # fmt: skip
            handle.append_attempt(attempt)
            complied = rng.random() < (asr if harmful else 0.9)
            label = "full_compliance" if complied else "full_refusal"
            handle.append_score(
                Score(attempt_id=attempt.id, scorer="refusal", scorer_version="1",
                      label=label, value=0.0)
            )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=10_000)
    parser.add_argument("--sims", type=int, default=4000)
    args = parser.parse_args()

    print("coverage of nominal 95% intervals for a paired difference (B - A)")
    print(f"{'n':>4}  {'cells both/A/B/neither':<24} {'newcombe':>9} {'wald':>7}")
    for n, cells in (
        (20, [0.05, 0.05, 0.15, 0.75]),
        (30, [0.02, 0.03, 0.08, 0.87]),
        (50, [0.10, 0.05, 0.10, 0.75]),
        (100, [0.01, 0.02, 0.04, 0.93]),
    ):
        newcombe, wald = coverage(n, cells, args.sims, seed=n)
        label = "/".join(f"{c:.2f}" for c in cells)
        print(f"{n:>4}  {label:<24} {newcombe:>9.3f} {wald:>7.3f}")

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "runs"
        write_run(root, "a", args.attempts, asr=0.10, seed=1)
        write_run(root, "b", args.attempts, asr=0.14, seed=2)
        store = RunStore(root)
        start = time.perf_counter()
        comparison = compare_runs(store.open("a"), store.open("b"))
        compare_s = time.perf_counter() - start
        policy_path = Path(tmp) / "gates.yaml"
        policy_path.write_text(
            "gates:\n"
            "  - {metric: attack_success, category: each, max: 0.2}\n"
            "  - {metric: over_refusal, max: 0.2}\n"
            "  - {metric: regression}\n",
            encoding="utf-8",
        )
        start = time.perf_counter()
        report = evaluate_gates(
            load_gate_policy(policy_path), store.open("b"), baseline=store.open("a")
        )
        gate_s = time.perf_counter() - start
    print(
        f"\ncompare_runs, 2 x {args.attempts} attempts ({comparison.shared_units} shared units, "
        f"{len(comparison.by_category)} category rows): {compare_s:.2f} s "
        f"(includes reading both runs); regressions: {comparison.regressions or 'none'}"
    )
    print(
        f"evaluate_gates with a regression gate, same runs: {gate_s:.2f} s "
        f"({report.total} checks, {report.failed} failed)"
    )


if __name__ == "__main__":
    main()
