"""Terminal tables for `guard eval` and `judge eval`."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from redline.analysis.detection_eval import ScoreEvaluation
from redline.stats.detection import DetectionMetrics


def print_detection(evaluations: list[ScoreEvaluation], console: Console, *, title: str) -> None:
    """A row per score (and per category of the first score): AUPRC, recall at FPR,
    and the threshold that gives each FPR."""
    table = Table(title=title)
    for column in ("score", "pos", "neg", "AUPRC", "recall@1%FPR (thr)", "recall@5%FPR (thr)"):
        table.add_column(column)
    for index, evaluation in enumerate(evaluations):
        table.add_row(evaluation.score, *_cells(evaluation.overall))
        if index == 0:
            for category, metrics in sorted(evaluation.by_category.items()):
                table.add_row(f"  category {category}", *_cells(metrics))
    console.print(table)


def _cells(metrics: DetectionMetrics) -> list[str]:
    cells = [str(metrics.positives), str(metrics.negatives), metrics.auprc.format()]
    for row in metrics.recall_at_fpr[:2]:
        cells.append(f"{row.recall.format()} ({row.threshold:.3g})")
    return cells
