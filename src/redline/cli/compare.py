"""`redline compare RUN_A RUN_B`: did run B regress against run A, per category and overall?"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from redline.cli.options import DEFAULT_RUNS_DIR, JsonOption, RunsDirOption
from redline.data.taxonomy import category_label
from redline.report.terminal import column_width, room_for_first_column

if TYPE_CHECKING:
    from redline.analysis.compare import Comparison, MetricComparison


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def _difference(row: MetricComparison) -> Text:
    diff = row.difference
    if diff is None or diff.estimate is None:
        return Text("–", style="dim")
    text = Text(f"{diff.estimate * 100:+.1f}")
    text.append(f" [{diff.low * 100:+.1f}, {diff.high * 100:+.1f}]", style="dim")
    if row.regressed:
        text.stylize("bold red", 0, 5)
    elif row.improved:
        text.stylize("bold green", 0, 5)
    return text


def _verdict(row: MetricComparison) -> Text:
    if row.regressed:
        return Text("regressed", style="bold red")
    if row.improved:
        return Text("improved", style="green")
    return Text("n.s." if row.p_value is not None else "–", style="dim")


_METRIC_SHORT = {"attack_success": "ASR", "over_refusal": "over"}
_TEST_SHORT = {"mcnemar-exact": "", "sign-test": "", "fisher-exact": "*", "z-test": "*"}


def _p(row: MetricComparison) -> str:
    # Category rows show the Holm-adjusted p (the one the verdict uses); the raw
    # p-values are in --json.
    p = row.p_value if row.group == "all" else row.p_adjusted
    return "–" if p is None else f"{p:.2g}"


_HEADERS = ("group", "rate", "n", "A", "B", "B−A points [CI]", "p", "")


def _table(comparison: Comparison, *, width: int) -> Table:
    rows = [*comparison.by_category, *comparison.overall]
    cells: list[list[Text | str]] = []
    for row in rows:
        n = str(row.shared) if row.paired else f"{row.units_a}/{row.units_b}"
        cells.append(
            [
                "overall" if row.group == "all" else category_label(row.group),
                _METRIC_SHORT[row.metric],
                n + _TEST_SHORT.get(row.test or "", ""),
                _pct(row.rate_a.estimate),
                _pct(row.rate_b.estimate),
                _difference(row),
                _p(row),
                _verdict(row),
            ]
        )
    widths = [column_width(h, (c[i] for c in cells)) for i, h in enumerate(_HEADERS)]
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, header_style="bold", collapse_padding=True)
    # The figures keep their width; a long category name ends in an ellipsis on a
    # narrow terminal rather than breaking over lines.
    table.add_column(
        "group",
        no_wrap=True,
        overflow="ellipsis",
        max_width=room_for_first_column(width, widths[1:]),
    )
    for header, column_min in zip(_HEADERS[1:], widths[1:], strict=True):
        right = header in {"n", "A", "B"}
        table.add_column(
            header, justify="right" if right else "left", no_wrap=True, min_width=column_min
        )
    for index, row_cells in enumerate(cells):
        table.add_row(*row_cells, end_section=index == len(comparison.by_category) - 1)
    return table


def _legend(comparison: Comparison) -> str:
    rows = [*comparison.by_category, *comparison.overall]
    tests = sorted({r.test for r in rows if r.test})
    text = "tests: " + ", ".join(tests) if tests else "no tests"
    if any(not r.paired and r.test for r in rows):
        text += "; * unpaired (n = A/B units)"
    return text + "; category p-values Holm-adjusted"


def print_comparison(comparison: Comparison, console: Console) -> None:
    """The comparison as a table, its notes, and what regressed significantly."""
    head = Text()
    head.append(f"B {comparison.run_b}", style="bold")
    head.append(f" against A {comparison.run_a}  ")
    head.append(
        f"scorer {comparison.scorer}, pairing {comparison.pairing}"
        + (f", reducer {comparison.reducer}" if comparison.reducer else "")
        + f", {comparison.shared_units} shared units",
        style="dim",
    )
    console.print(head)
    for note in comparison.notes:
        console.print(Text(f"note: {note}", style="yellow"))
    console.print(_table(comparison, width=console.width))
    console.print(Text(_legend(comparison), style="dim"))
    alpha = f"Holm-adjusted p ≤ {comparison.alpha:g}"
    rows = [*comparison.overall, *comparison.by_category]
    regressed = [r for r in rows if r.regressed]
    if regressed:
        console.print(Text(f"Regressed significantly ({alpha}):", style="bold red"))
        for row in regressed:
            console.print(Text(f"  {row.title}: ", style="red") + _difference(row))
    else:
        console.print(Text(f"No significant regression ({alpha}).", style="green"))
    improved = [r.title for r in rows if r.improved]
    if improved:
        console.print(Text("Improved: " + ", ".join(improved), style="green"))


def compare(
    run_a: Annotated[str, typer.Argument(help="The baseline run (id or unique prefix).")],
    run_b: Annotated[str, typer.Argument(help="The run to check against the baseline.")],
    scorer: Annotated[str, typer.Option(help="Whose labels to compare.")] = "refusal",
    reducer: Annotated[
        str | None,
        typer.Option(help="Reduce epochs per behaviour first: mean, any, all or majority."),
    ] = None,
    confidence: Annotated[float, typer.Option(help="Confidence of the intervals.")] = 0.95,
    alpha: Annotated[
        float, typer.Option(help="Significance level after Holm's correction.")
    ] = 0.05,
    fail_on_regression: Annotated[
        bool, typer.Option(help="Exit with code 1 when something regressed significantly.")
    ] = False,
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    as_json: JsonOption = False,
) -> None:
    """Compare run B with run A: per category and overall, the difference in attack
    success and over-refusal with its interval, an exact McNemar test on shared
    behaviours (unpaired Fisher test when none are shared), Holm-corrected."""
    from redline.analysis.compare import compare_runs
    from redline.core.errors import ConfigError
    from redline.store import RunStore

    if not 0.0 < confidence < 1.0:
        raise ConfigError(f"--confidence must be strictly between 0 and 1, got {confidence}")
    store = RunStore(runs_dir)
    comparison = compare_runs(
        store.open(run_a), store.open(run_b), scorer=scorer, reducer=reducer,
        confidence=confidence, alpha=alpha,
    )  # fmt: skip
    if as_json:
        typer.echo(json.dumps(comparison.model_dump(mode="json")))
    else:
        print_comparison(comparison, Console())
    if fail_on_regression and comparison.regressions:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``redline compare`` to the app."""
    app.command("compare")(compare)
