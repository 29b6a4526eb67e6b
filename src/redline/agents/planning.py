"""Episodes planned as engine jobs, with ids made by :func:`redline.run.plan_job`.

One clean episode per user task (utility), and one per user task x attacker
goal x attack (utility under attack, targeted ASR), for every defence set.
An attacked episode puts the attack's text into the injection slots the user
task's own solution reads (found by running the solution with markers in the
slots), so the injection sits where a correct agent will see it; tasks that
read no slot are measured clean only. Pairs where doing the user task already
reaches the attacker's goal are left out (they would count as attack success
for a perfect agent).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

from redline.agents.checks import CallRecord, failed_checks
from redline.agents.defences import DefenceSet, OutputScreen
from redline.agents.environment import Environment
from redline.agents.episode import EpisodeSpec, episode_driver
from redline.agents.injection import NO_ATTACK, injection_template
from redline.agents.mcp_environment import SERVER_ATTACK
from redline.agents.protocol import ToolProtocol
from redline.agents.state import CodeExecutor
from redline.agents.suite import InjectionTask, Suite, UserTask, load_suite
from redline.core import Behavior, GenerationParams
from redline.engine import Job
from redline.mcp import McpServer
from redline.run.plan import plan_job

CODE_EXECUTION = "code_execution"
_MARK = "\u2063SLOT:{}\u2063"
USER_NAMES = {"workspace": "Emma", "banking": "Jonas", "travel": "Sofia", "team_chat": "Ines"}


def oracle_answer(checks_source: UserTask | InjectionTask) -> str:
    """The final answer a reference agent gives: what the task's answer checks ask for."""
    parts = [p for c in checks_source.checks for p in (c.answer_has or ())]
    return "Done. " + " ".join(parts) if parts else "Done."


def run_solution(
    suite: Suite, task: UserTask | InjectionTask, env: Environment
) -> list[tuple[str, str]]:
    """Replay a task's reference calls in ``env``; (tool, output) per call."""
    offered = [t.name for t in suite.tools]
    return [
        (call.tool, env.call(call.tool, json.dumps(call.args), offered=offered).output)
        for call in task.solution
    ]


@cache
def seen_slots(suite_name: str, task_id: str) -> tuple[str, ...]:
    """The injection slots the user task's reference solution reads."""
    suite = load_suite(suite_name)
    task = suite.user_task(task_id)
    marks = {slot: _MARK.format(slot) for slot in suite.injection_slots}
    env = Environment(suite, slot_texts=marks, code_executor=lambda code, lang: ("", False))
    outputs = " ".join(output for _, output in run_solution(suite, task, env))
    return tuple(slot for slot, mark in marks.items() if mark in outputs)


@cache
def goal_met_by_task(suite_name: str, task_id: str, goal_id: str) -> bool:
    """Whether doing the user task alone already satisfies the attacker's checks."""
    suite = load_suite(suite_name)
    task, goal = suite.user_task(task_id), suite.injection_task(goal_id)
    env = Environment(suite, slot_texts={}, code_executor=lambda code, lang: ("", False))
    run_solution(suite, task, env)
    calls = [CallRecord(tool=c.tool, arguments=dict(c.args)) for c in task.solution]
    return not failed_checks(goal.checks, state=env.state, answer=oracle_answer(task), calls=calls)


@dataclass
class EpisodePlan:
    """The jobs of an agent run, and what was left out and why."""

    jobs: list[Job] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


@dataclass(frozen=True)
class EpisodeOptions:
    """How episodes run: the protocol, step bound, code executor and guard screen."""

    protocol: ToolProtocol = "native"
    max_steps: int = 10
    code_executor: CodeExecutor | None = None
    output_screen: OutputScreen | None = None


@dataclass(frozen=True)
class _Context:
    """What every job of one plan shares."""

    run_id: str
    target_name: str
    generation: GenerationParams
    options: EpisodeOptions
    seed: int


def plan_episodes(
    suites: Sequence[Suite],
    *,
    attacks: Sequence[str],
    defences: Sequence[DefenceSet],
    run_id: str,
    target_name: str,
    generation: GenerationParams,
    options: EpisodeOptions,
    seed: int = 0,
    tasks: Sequence[str] | None = None,
    limit: int | None = None,
    goal_limit: int | None = None,
    server: tuple[Suite, McpServer] | None = None,
) -> EpisodePlan:
    """Every episode of a run: the user tasks named in ``tasks`` (all when None), at
    most ``limit`` of them and ``goal_limit`` goals per suite; with ``server``, the
    episodes of an MCP server's suite too (see :func:`_server_episodes`)."""
    plan = EpisodePlan()
    context = _Context(run_id, target_name, generation, options, seed)
    if server is not None:
        _server_episodes(
            plan, *server, defences=defences, context=context, tasks=tasks, limit=limit
        )
    for suite in suites:
        chosen = [t for t in suite.user_tasks if tasks is None or t.id in tasks]
        chosen = chosen[:limit] if limit else chosen
        goals = suite.injection_tasks[:goal_limit] if goal_limit else suite.injection_tasks
        for defence in defences:
            for task in chosen:
                if CODE_EXECUTION in task.requires and options.code_executor is None:
                    plan.skip("needs a code executor (no sandbox given)")
                    continue
                plan.jobs.append(_job(suite, task, None, NO_ATTACK, defence, context))
                for attack in attacks:
                    if attack != NO_ATTACK:
                        _attacked(plan, suite, task, goals, attack, defence, context)
    return plan


def _attacked(
    plan: EpisodePlan,
    suite: Suite,
    task: UserTask,
    goals: Sequence[InjectionTask],
    attack: str,
    defence: DefenceSet,
    context: _Context,
) -> None:
    if not seen_slots(suite.name, task.id):
        plan.skip("user task reads no injection slot")
        return
    for goal in goals:
        if goal_met_by_task(suite.name, task.id, goal.id):
            plan.skip("user task already reaches the attacker's goal")
            continue
        plan.jobs.append(_job(suite, task, goal, attack, defence, context))


def _job(
    suite: Suite,
    task: UserTask,
    goal: InjectionTask | None,
    attack: str,
    defence: DefenceSet,
    context: _Context,
) -> Job:
    slot_texts: dict[str, str] = {}
    if goal is not None:
        text = injection_template(attack).render(goal, user=USER_NAMES.get(suite.name, "the user"))
        slot_texts = {slot: text for slot in seen_slots(suite.name, task.id)}
    options = context.options
    spec = EpisodeSpec(
        suite=suite,
        user_task=task,
        injection_task=goal,
        attack=attack,
        slot_texts=slot_texts,
        defences=defence,
        protocol=options.protocol,
        max_steps=options.max_steps,
        code_executor=options.code_executor,
        output_screen=options.output_screen,
    )
    return _episode_job(spec, context)


def _episode_job(spec: EpisodeSpec, context: _Context) -> Job:
    """The engine job of one episode, its id made from what the episode measures."""
    suite, task, goals = spec.suite, spec.user_task, spec.attacker_goals()
    goal_ids = "|".join(g.id for g in goals)
    episode_id = f"{suite.name}/{task.id}" + (f"/{goal_ids}" if goal_ids else "")
    behavior = Behavior(
        id=episode_id,
        prompt=task.prompt,
        category=suite.name,
        expected="comply",
        source=f"agent-suite:{suite.name}",
        tags=["agent", *dict.fromkeys(g.kind for g in goals)],
    )
    job = plan_job(
        behavior,
        messages=spec.initial_messages(),
        run_id=context.run_id,
        target_name=context.target_name,
        generation=context.generation,
        seed=context.seed,
        epoch=0,
        attack=f"agent:{spec.attack}",
        attack_params={
            "suite": suite.name,
            "user_task": task.id,
            "injection_task": goal_ids or None,
            "defences": spec.defences.label,
            "protocol": spec.protocol,
            "max_steps": spec.max_steps,
            "slots": sorted(spec.slot_texts),
            **({"mcp_server": spec.mcp_server.label} if spec.mcp_server else {}),
        },
    )
    return Job(attempt=job.attempt, params=job.params, driver=episode_driver(spec))


def _server_episodes(
    plan: EpisodePlan,
    suite: Suite,
    server: McpServer,
    *,
    defences: Sequence[DefenceSet],
    context: _Context,
    tasks: Sequence[str] | None,
    limit: int | None,
) -> None:
    """One episode per user task and defence set, over an MCP server's tools.

    The server's outputs are what they are: any injection in them is the
    server's (or its data's), so with goals in the task file every episode is
    an attacked one (attack ``mcp_server``, success = any goal reached), and
    without goals every episode is a clean one.
    """
    options = context.options
    chosen = [t for t in suite.user_tasks if tasks is None or t.id in tasks]
    chosen = chosen[:limit] if limit else chosen
    goals = tuple(suite.injection_tasks)
    attack = SERVER_ATTACK if goals else NO_ATTACK
    for defence in defences:
        for task in chosen:
            spec = EpisodeSpec(
                suite=suite,
                user_task=task,
                injection_task=None,
                attack=attack,
                slot_texts={},
                defences=defence,
                protocol=options.protocol,
                max_steps=options.max_steps,
                output_screen=options.output_screen,
                mcp_server=server,
                goals=goals,
            )
            plan.jobs.append(_episode_job(spec, context))
