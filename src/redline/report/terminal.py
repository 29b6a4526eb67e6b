"""A run summary as rich tables for the terminal."""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from redline.report.summary import GroupSummary, OutcomeRate, RunSummary
from redline.stats import Interval


def _rate(interval: Interval, *, count: int | None = None) -> Text:
    if interval.estimate is None:
        return Text("–", style="dim")
    text = Text(f"{interval.estimate * 100:5.1f}%")
    text.append(f" [{interval.low * 100:.1f}, {interval.high * 100:.1f}]", style="dim")
    if count is not None:
        text.append(f" {count}", style="dim")
    return text


def _outcome(outcome: OutcomeRate, *, style: str) -> Text:
    if outcome.scored == 0:
        return Text("–", style="dim")
    text = _rate(outcome.rate)
    if outcome.events:
        text.stylize(style, 0, 6)
    text.append(f" ({outcome.events}/{outcome.scored})", style="dim")
    return text


def _errors(group: GroupSummary) -> Text:
    if not group.errors:
        return Text("0", style="dim")
    kinds = ", ".join(f"{k} {v}" for k, v in group.errors_by_kind.items())
    return Text(f"{group.errors} ({kinds})", style="yellow")


def _table(title: str, groups: Sequence[GroupSummary], overall: GroupSummary | None) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", show_footer=False)
    table.add_column("group", style="bold")
    table.add_column("attempts", justify="right")
    table.add_column("refusal rate [95% CI]", justify="left")
    table.add_column("attack success", justify="left")
    table.add_column("over-refusal", justify="left")
    table.add_column("errors", justify="left")
    rows = list(groups) + ([overall] if overall is not None else [])
    for index, group in enumerate(rows):
        is_overall = overall is not None and index == len(rows) - 1
        table.add_row(
            group.name if not is_overall else "overall",
            str(group.attempts),
            _rate(group.refusal_rate),
            _outcome(group.attack_success, style="bold red"),
            _outcome(group.over_refusal, style="bold yellow"),
            _errors(group),
            end_section=index == len(rows) - 2 and overall is not None,
            style="bold" if is_overall else None,
        )
    return table


def _headline(summary: RunSummary) -> Text:
    overall = summary.overall
    text = Text()
    text.append(f"run {summary.run_id}", style="bold")
    text.append(f"  target {', '.join(summary.targets) or '?'}  status {summary.status}")
    text.append(f"  scorer {summary.scorer}\n", style="dim")
    text.append(f"{overall.attempts} attempts, {overall.scored} labelled, ")
    text.append(f"{overall.errors} errors", style="yellow" if overall.errors else "")
    if overall.unscored:
        text.append(f", {overall.unscored} unlabelled")
    text.append(f"; {summary.behaviors} behaviours x {summary.epochs} epoch(s)\n")
    for label, outcome in (
        ("attack success rate", overall.attack_success),
        ("over-refusal rate", overall.over_refusal),
    ):
        if outcome.scored == 0:
            continue
        text.append(f"{label}: ")
        text.append(_rate(outcome.rate))
        if outcome.clustered is not None:
            text.append(
                f"  clustered [{outcome.clustered.low * 100:.1f}, "
                f"{outcome.clustered.high * 100:.1f}]",
                style="dim",
            )
        text.append("\n")
    text.append("refusal accuracy: ")
    text.append(_rate(overall.accuracy))
    return text


def print_summary(summary: RunSummary, console: Console) -> None:
    """Print the headline numbers, a table per category and, when the run used
    several attacks or benign types, a table for each of those."""
    parts: list[object] = [
        _headline(summary),
        _table("By category", summary.by_category, summary.overall),
    ]
    if summary.multiple_attacks:
        parts.append(_table("By attack", summary.by_attack, None))
    if len(summary.by_benign_type) > 1:
        parts.append(_table("Benign prompts by type", summary.by_benign_type, None))
    engine = summary.engine_stats
    if engine:
        shown = ", ".join(
            f"{key} {value}"
            for key, value in engine.items()
            if isinstance(value, int | float | bool) and not isinstance(value, dict)
        )
        if shown:
            parts.append(Text(f"engine: {shown}", style="dim"))
    console.print(Group(*parts))  # type: ignore[arg-type]
