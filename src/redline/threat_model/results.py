"""The latest results of the tests a threat model names, from a runs directory:
attack success per attack family (scans), targeted attack success per agent suite
(``redline agent run``), each with its 95% Wilson interval."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redline.agents.defences import NO_DEFENCE
from redline.analysis.summary import summarize_run
from redline.attacks import ATTACKS
from redline.core import Attempt, ConfigError, RunInfo
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


@dataclass(frozen=True)
class SuiteResult:
    """Targeted attack success in one agent suite's attacked episodes, from one run.

    ``defences`` is the defence set the episodes ran with: ``none`` when the run
    has undefended episodes (the exposure a threat model asks about), else the
    defence set with the most episodes, named in :meth:`describe`.
    """

    suite: str
    run_id: str
    created_at: str
    defences: str
    successes: int
    attacked: int
    rate: float | None
    low: float
    high: float
    utility_under_attack: int = 0

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()

    def describe(self) -> str:
        if self.rate is None:
            return f"no attacked episodes (agent run {self.run_id})"
        defended = "" if self.defences == NO_DEFENCE else f" with defences {self.defences}"
        return (
            f"{self.rate:.0%} targeted attack success [{self.low:.0%}, {self.high:.0%}], "
            f"{self.successes}/{self.attacked} attacked episodes{defended} "
            f"(agent run {self.run_id})"
        )


def _is_agent_run(info: RunInfo) -> bool:
    return info.config.get("kind") == "agent"


def _agent_run_info(store: RunStore, run_id: str) -> RunInfo:
    handle = store.open(run_id)  # an unknown id: ConfigError listing the nearest
    handle.close()
    if not _is_agent_run(handle.info):
        raise ConfigError(
            f"--agent-run {run_id}: run {handle.info.id} is not an agent run "
            "(made by redline agent run)"
        )
    return handle.info


def _attacked_episodes(attempts: Sequence[Attempt], suite: str) -> dict[str, list[Attempt]]:
    """The suite's finished attacked episodes, by defence set."""
    by_defence: dict[str, list[Attempt]] = {}
    for attempt in attempts:
        agent = attempt.agent
        if attempt.error is not None or agent is None or agent.get("suite") != suite:
            continue
        if agent.get("attack_success") is None:
            continue  # a clean episode: utility only
        by_defence.setdefault(str(agent.get("defences")), []).append(attempt)
    return by_defence


def _suite_result(info: RunInfo, suite: str, episodes: dict[str, list[Attempt]]) -> SuiteResult:
    defences = (
        NO_DEFENCE if NO_DEFENCE in episodes else max(episodes, key=lambda d: len(episodes[d]))
    )
    chosen = [a.agent for a in episodes[defences] if a.agent is not None]
    successes = sum(1 for agent in chosen if agent["attack_success"])
    interval = wilson_interval(successes, len(chosen))
    return SuiteResult(
        suite=suite,
        run_id=info.id,
        created_at=info.created_at,
        defences=defences,
        successes=successes,
        attacked=len(chosen),
        rate=interval.estimate,
        low=interval.low,
        high=interval.high,
        utility_under_attack=sum(1 for agent in chosen if agent["utility"]),
    )


def latest_suite_results(
    runs_dir: Path, suites: set[str], run_ids: Sequence[str] = ()
) -> dict[str, SuiteResult]:
    """For each agent suite, its targeted attack success in the newest agent run that
    attacked it; with ``run_ids``, only those runs are read (newest first)."""
    store = RunStore(runs_dir)
    if run_ids:
        infos = sorted(
            (_agent_run_info(store, run_id) for run_id in run_ids),
            key=lambda info: (info.created_at, info.id),
            reverse=True,
        )
    elif runs_dir.is_dir():
        infos = [info for info in store.list() if _is_agent_run(info)]
    else:
        return {}
    results: dict[str, SuiteResult] = {}
    for info in infos:
        wanted = suites - set(results)
        if not wanted:
            break
        handle = store.open(info.id)
        try:
            attempts = handle.read_attempts()
        finally:
            handle.close()
        for suite in sorted(wanted):
            episodes = _attacked_episodes(attempts, suite)
            if episodes:
                results[suite] = _suite_result(info, suite, episodes)
    return results


@dataclass(frozen=True)
class MeasuredResults:
    """What the runs say about a threat model's tests: per attack family and per agent suite."""

    families: dict[str, FamilyResult] = field(default_factory=dict)
    suites: dict[str, SuiteResult] = field(default_factory=dict)

    def for_tests(self, families: Sequence[str], suites: Sequence[str]) -> list[str]:
        """``name: result`` for each named family and suite that has a result."""
        return [f"{f}: {self.families[f].describe()}" for f in families if f in self.families] + [
            f"agent suite {s}: {self.suites[s].describe()}" for s in suites if s in self.suites
        ]
