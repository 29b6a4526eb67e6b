"""A run summary as rich tables for the terminal."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from redline.analysis.summary import GroupSummary, OutcomeRate, RunSummary, engine_items
from redline.data.taxonomy import category_label
from redline.stats import Interval


def _rate(interval: Interval) -> Text:
    if interval.estimate is None:
        return Text("–", style="dim")
    text = Text(f"{interval.estimate * 100:5.1f}%")
    text.append(f" [{interval.low * 100:.1f}–{interval.high * 100:.1f}]", style="dim")
    return text


def _outcome(outcome: OutcomeRate, *, prefix: str, style: str) -> Text:
    text = Text(f"{prefix} ", style="dim")
    if outcome.scored == 0:
        text.append("n/a", style="dim")
        return text
    rate = _rate(outcome.rate)
    if outcome.events:
        rate.stylize(style, 0, 6)
    text.append(rate)
    text.append(f" {outcome.events}/{outcome.scored}", style="dim")
    return text


def _outcomes(group: GroupSummary) -> Text:
    # A harmful category shows its attack success rate, a benign one its
    # over-refusal rate; mixed groups (overall, attacks) show both.
    parts = []
    if group.harmful_attempts:
        prefix = "non-refusal" if group.attack_success_name == "non-refusal rate" else "ASR"
        parts.append(_outcome(group.attack_success, prefix=prefix, style="bold red"))
        if group.harmful_completion is not None:
            parts.append(_outcome(group.harmful_completion, prefix="harmful", style="bold red"))
    if group.benign_attempts:
        parts.append(_outcome(group.over_refusal, prefix="over", style="bold yellow"))
    return Text("\n").join(parts) if parts else Text("–", style="dim")


def _errors(group: GroupSummary) -> Text:
    if not group.errors:
        return Text("0", style="dim")
    kinds = ", ".join(f"{k} {v}" for k, v in group.errors_by_kind.items())
    return Text(f"{group.errors} ({kinds})", style="yellow")


# What the errors column is sure of on a narrow terminal ("2 (timeout 1,").
ERRORS_MIN_WIDTH = 14


def column_width(header: str, cells: Iterable[Text | str]) -> int:
    """The widest line of a column's header and cells, in characters."""
    plains = (c.plain if isinstance(c, Text) else c for c in cells)
    return max([len(header), *(len(line) for p in plains for line in p.splitlines())])


def room_for_first_column(width: int, other_widths: Iterable[int]) -> int:
    """What a table ``width`` wide leaves for its first column (a name) once the
    other columns have their widths: each is padded by a space on either side and
    the box's edges take the rest. At least 8, so a name never vanishes."""
    return max(8, width - sum(w + 2 for w in other_widths) - 4)


def _table(
    title: str,
    groups: Sequence[GroupSummary],
    overall: GroupSummary | None,
    *,
    width: int,
    label: Callable[[str], str] = str,
) -> Table:
    table = Table(
        title=title, box=box.SIMPLE_HEAD, title_justify="left", title_style="bold", pad_edge=False
    )
    rows = list(groups) + ([overall] if overall is not None else [])
    with_errors = any(group.errors for group in rows)
    cells: list[list[Text | str]] = [
        [
            "overall" if overall is not None and index == len(rows) - 1 else label(group.name),
            str(group.attempts),
            _rate(group.refusal_rate),
            _outcomes(group),
            *([_errors(group)] if with_errors else []),
        ]
        for index, group in enumerate(rows)
    ]
    # The figures keep their width; on a narrow terminal a long group name is cut
    # short with an ellipsis rather than split over lines. Errors only when there are some.
    headers = ["group", "n", "refusal [95% CI]", "outcomes [95% CI]", "errors"][: len(cells[0])]
    widths = [column_width(h, (row[i] for row in cells)) for i, h in enumerate(headers)]
    # The errors column may fold, so it is not given all it asks for.
    widths[4:] = [min(w, ERRORS_MIN_WIDTH) for w in widths[4:]]
    table.add_column(
        "group",
        style="bold",
        no_wrap=True,
        overflow="ellipsis",
        max_width=room_for_first_column(width, widths[1:]),
    )
    for header, min_width in zip(headers[1:4], widths[1:4], strict=True):
        justify: Literal["left", "right"] = "right" if header == "n" else "left"
        table.add_column(header, justify=justify, no_wrap=True, min_width=min_width)
    if with_errors:
        table.add_column("errors", overflow="fold")
    for index, row in enumerate(cells):
        is_overall = overall is not None and index == len(rows) - 1
        table.add_row(
            *row,
            end_section=overall is not None and index == len(rows) - 2,
            style="bold" if is_overall else None,
        )
    return table


def _headline(summary: RunSummary) -> Text:
    overall = summary.overall
    text = Text()
    text.append(f"run {summary.run_id}", style="bold")
    text.append(f"  target {', '.join(summary.targets) or '?'}  status {summary.status}")
    text.append(f"  {scorer_line(summary)}\n", style="dim")
    text.append(f"{overall.attempts} attempts, {overall.scored} labelled, ")
    text.append(f"{overall.errors} errors", style="yellow" if overall.errors else "")
    if overall.unscored:
        text.append(f", {overall.unscored} unlabelled")
    text.append(f"; {summary.behaviors} behaviours x {summary.epochs} epoch(s)\n")
    harm_name = f"harmful-completion rate (by {summary.harm_scorer})"
    for label, outcome in (
        (overall.attack_success_name, overall.attack_success),
        (harm_name, overall.harmful_completion),
        ("over-refusal rate", overall.over_refusal),
    ):
        if outcome is None or outcome.scored == 0:
            continue
        text.append(f"{label}: ")
        text.append(_rate(outcome.rate))
        if outcome.clustered is not None:
            text.append(
                f"  by behaviour [{outcome.clustered.low * 100:.1f}–"
                f"{outcome.clustered.high * 100:.1f}]",
                style="dim",
            )
        if outcome.reduced is not None:
            text.append(f"  {outcome.reduced.reducer} over epochs: ", style="dim")
            text.append(_rate(outcome.reduced.rate))
            text.append(f" of {outcome.reduced.units} behaviours", style="dim")
        text.append("\n")
    if overall.harmful_attempts and overall.harmful_completion is None:
        text.append("harmful-completion rate: not measured (add --scorer harm)\n", style="dim")
    # Both sides together: refusing harm is only worth something next to answering the benign.
    sides = []
    if overall.attack_success.scored:
        sides.append((overall.harmlessness_name, overall.harmlessness))
    if overall.over_refusal.scored:
        sides.append(("helpfulness (benign answered)", overall.helpfulness))
    for index, (label, interval) in enumerate(sides):
        text.append(f"{label}: " if index == 0 else f"  {label}: ")
        text.append(_rate(interval))
    if sides:
        text.append("\n")
    text.append("refusal accuracy: ")
    text.append(_rate(overall.accuracy))
    return text


def scorer_line(summary: RunSummary) -> str:
    """Which scorer decides: the headline for all, or each family's own."""
    if not summary.by_family:
        return f"headline scorer {summary.scorer} (every attempt)"
    others = [name for name in summary.overall.decided_by if name != summary.scorer]
    extra = f"; by attack family: {', '.join(others)}" if others else ""
    return f"scorer {summary.scorer}{extra}"


def _engine_line(stats: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" if v != "yes" else k for k, v in engine_items(stats))


def print_summary(summary: RunSummary, console: Console) -> None:
    """Print the headline numbers, a table per category and, when the run used
    several attacks or benign types, a table for each of those."""
    parts: list[object] = [
        _headline(summary),
        _table(
            "By category",
            summary.by_category,
            summary.overall,
            width=console.width,
            label=category_label,
        ),
    ]
    if summary.multiple_attacks:
        parts.append(_table("By attack", summary.by_attack, None, width=console.width))
    if len(summary.by_benign_type) > 1:
        parts.append(
            _table("Benign prompts by type", summary.by_benign_type, None, width=console.width)
        )
    if summary.queries_to_success:
        parts.append(_queries_table(summary))
    engine = _engine_line(summary.engine_stats)
    if engine:
        parts.append(Text(f"engine: {engine}", style="dim"))
    console.print(Group(*parts))  # type: ignore[arg-type]


def _queries_table(summary: RunSummary) -> Table:
    table = Table(title="Multi-turn attacks: target queries to success", title_justify="left")
    for column in ("attack", "attempts", "successes", "errors", "mean to success", "max"):
        table.add_column(column, justify="left" if column == "attack" else "right")
    for row in summary.queries_to_success:
        mean = "–" if row.to_success_mean is None else f"{row.to_success_mean:.1f}"
        most = "–" if row.to_success_max is None else str(row.to_success_max)
        table.add_row(
            row.attack, str(row.attempts), str(row.successes), str(row.errors), mean, most
        )
    return table
