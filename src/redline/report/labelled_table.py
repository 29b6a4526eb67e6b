"""The terminal table of raw and PPI++ rates from human labels on a run's sample."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from redline.analysis.labelled_estimates import LabelledEstimates


def print_labelled_estimates(estimates: LabelledEstimates, console: Console) -> None:
    """One row per rate and group: scored, labelled, raw rate, PPI++ rate."""
    table = Table(
        title=f"Rates with human labels ({estimates.labels_used} labels, scorer "
        f"{estimates.scorer}): raw = scorer labels as truth; PPI++ = corrected by the labels"
    )
    for column in ("group", "rate", "scored", "labelled", "raw", "PPI++", "lambda"):
        table.add_column(column)
    for row in estimates.rates:
        if row.scored == 0:
            continue
        table.add_row(
            row.group,
            row.rate,
            str(row.scored),
            str(row.labelled),
            row.raw.format(),
            row.ppi.format() if row.ppi is not None else f"n/a ({row.note})",
            f"{row.tuning:.2f}" if row.tuning is not None else "",
        )
    console.print(table)
