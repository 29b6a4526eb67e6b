"""Agent red-teaming: tool-calling episodes over simulated environments.

Suites (workspace, banking, travel, team chat) are data files of tools, state,
user tasks and attacker goals; episodes are engine jobs planned with the run
plan and stored in runs; success is decided by checks over the final state.

>>> from redline.agents import AgentRunConfig, run_agent_suites, suite_names
"""

from redline.agents.defences import DEFENCES, DefenceSet, defence_sets, parse_defences
from redline.agents.environment import Environment
from redline.agents.episode import EpisodeSpec, run_episode
from redline.agents.injection import injection_template, injection_templates
from redline.agents.metrics import AgentMetricsRow, Rate, agent_metrics
from redline.agents.planning import EpisodeOptions, EpisodePlan, plan_episodes
from redline.agents.reference import reference_script
from redline.agents.runner import AgentRunConfig, AgentRunResult, guard_screen, run_agent_suites
from redline.agents.state import AgentState, CodeExecutor, ToolError
from redline.agents.suite import Suite, load_suite, suite_names
from redline.agents.taint import taint_flows

__all__ = [
    "DEFENCES",
    "AgentMetricsRow",
    "AgentRunConfig",
    "AgentRunResult",
    "AgentState",
    "CodeExecutor",
    "DefenceSet",
    "Environment",
    "EpisodeOptions",
    "EpisodePlan",
    "EpisodeSpec",
    "Rate",
    "Suite",
    "ToolError",
    "agent_metrics",
    "defence_sets",
    "guard_screen",
    "injection_template",
    "injection_templates",
    "load_suite",
    "parse_defences",
    "plan_episodes",
    "reference_script",
    "run_agent_suites",
    "run_episode",
    "suite_names",
    "taint_flows",
]
