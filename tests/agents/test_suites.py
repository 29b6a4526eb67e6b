"""The suites are consistent data: tools implemented, reference solutions pass their checks."""

from __future__ import annotations

import inspect
import json

import pytest

from redline.agents import Environment, load_suite, suite_names
from redline.agents.checks import CallRecord, failed_checks
from redline.agents.planning import oracle_answer, run_solution, seen_slots
from redline.agents.tools import toolset
from redline.core import UnknownNameError

SUITES = suite_names()


def test_four_suites_with_enough_tasks_and_goals() -> None:
    assert {"workspace", "banking", "travel", "team_chat"} <= set(SUITES)
    for name in SUITES:
        suite = load_suite(name)
        assert len(suite.user_tasks) >= 15, name
        assert len(suite.injection_tasks) >= 8, name
        assert len({t.id for t in suite.user_tasks}) == len(suite.user_tasks)


@pytest.mark.parametrize("name", SUITES)
def test_every_documented_tool_is_implemented_with_its_parameters(name: str) -> None:
    suite = load_suite(name)
    functions = toolset(name)
    assert {t.name for t in suite.tools} == set(functions)
    for doc in suite.tools:
        signature = inspect.signature(functions[doc.name])
        accepted = set(list(signature.parameters)[1:])
        assert set(doc.parameters.get("properties", {})) == accepted, doc.name


def _exercise(name: str, task_id: str, *, injection: bool) -> tuple[list[str], list[str]]:
    suite = load_suite(name)
    task = suite.injection_task(task_id) if injection else suite.user_task(task_id)
    env = Environment(suite, slot_texts={}, code_executor=lambda code, lang: ("391\n", False))
    offered = [t.name for t in suite.tools]
    statuses = [env.call(c.tool, json.dumps(c.args), offered=offered).status for c in task.solution]
    calls = [CallRecord(tool=c.tool, arguments=dict(c.args)) for c in task.solution]
    failed = failed_checks(task.checks, state=env.state, answer=oracle_answer(task), calls=calls)
    return statuses, failed


@pytest.mark.parametrize(
    ("name", "task_id"), [(n, t.id) for n in SUITES for t in load_suite(n).user_tasks]
)
def test_user_task_solution_passes_its_checks(name: str, task_id: str) -> None:
    statuses, failed = _exercise(name, task_id, injection=False)
    assert set(statuses) <= {"ok"}
    assert failed == []


@pytest.mark.parametrize(
    ("name", "goal_id"), [(n, g.id) for n in SUITES for g in load_suite(n).injection_tasks]
)
def test_goal_solution_reaches_the_goal_and_a_clean_state_does_not(name: str, goal_id: str) -> None:
    statuses, failed = _exercise(name, goal_id, injection=True)
    assert failed == []
    assert set(statuses) <= {"ok", "unknown"}  # the unoffered-tool probe calls no real tool
    suite = load_suite(name)
    untouched = Environment(suite, slot_texts={})
    goal = suite.injection_task(goal_id)
    assert failed_checks(goal.checks, state=untouched.state, answer="Done.", calls=[])


def test_every_suite_has_tasks_that_read_injection_slots() -> None:
    for name in SUITES:
        suite = load_suite(name)
        assert sum(1 for t in suite.user_tasks if seen_slots(name, t.id)) >= 4, name


def test_slot_text_reaches_the_tool_output() -> None:
    suite = load_suite("banking")
    env = Environment(suite, slot_texts={"bill_note": "INJECTED TEXT"})
    outputs = run_solution(suite, suite.user_task("pay_bill"), env)
    assert "INJECTED TEXT" in outputs[0][1]


def test_unknown_suite_and_task_say_did_you_mean() -> None:
    with pytest.raises(UnknownNameError, match="Did you mean 'banking'"):
        load_suite("bankin")
    with pytest.raises(UnknownNameError, match="Did you mean 'pay_bill'"):
        load_suite("banking").user_task("pay_bil")
