"""The latest results of the tests a threat model names, from a runs directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from redline.analysis.summary import summarize_run
from redline.attacks import ATTACKS
from redline.stats import wilson_interval
from redline.store import RunStore


@dataclass(frozen=True)
class FamilyResult:
    """Attack success of one attack family in the newest run that tried it."""

    family: str
    run_id: str
    created_at: str
    successes: int
    scored: int
    rate: float | None
    low: float
    high: float

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()

    def describe(self) -> str:
        if self.rate is None:
            return f"no scored attempts (run {self.run_id})"
        return (
            f"{self.rate:.0%} attack success [{self.low:.0%}, {self.high:.0%}], "
            f"{self.successes}/{self.scored} (run {self.run_id})"
        )


def _families_of(attack: str) -> set[str]:
    found = set()
    for step in attack.split("+"):
        if step in ATTACKS:
            family = getattr(ATTACKS.get(step), "family", None)
            if isinstance(family, str):
                found.add(family)
    return found


def latest_family_results(runs_dir: Path, families: set[str]) -> dict[str, FamilyResult]:
    """For each family, its attack success in the newest run with attempts of it."""
    if not runs_dir.is_dir():
        return {}
    store = RunStore(runs_dir)
    results: dict[str, FamilyResult] = {}
    for info in store.list():  # newest first
        if families <= set(results):
            break
        handle = store.open(info.id)
        summary = summarize_run(info, handle.read_attempts(), handle.read_scores())
        tallies: dict[str, tuple[int, int]] = {}
        for group in summary.by_attack:
            for family in _families_of(group.name) & families:
                events, scored = tallies.get(family, (0, 0))
                tallies[family] = (
                    events + group.attack_success.events,
                    scored + group.attack_success.scored,
                )
        for family, (events, scored) in tallies.items():
            if family in results:
                continue
            results[family] = _result(family, info.id, info.created_at, events, scored)
    return results


def _result(family: str, run_id: str, created_at: str, events: int, scored: int) -> FamilyResult:
    interval = wilson_interval(events, scored)
    return FamilyResult(
        family=family,
        run_id=run_id,
        created_at=created_at,
        successes=events,
        scored=scored,
        rate=interval.estimate,
        low=interval.low,
        high=interval.high,
    )
