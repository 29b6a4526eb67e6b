"""How far annotators agree on a queue, and with the run's scorer."""

from __future__ import annotations

from itertools import combinations

from pydantic import BaseModel

from redline.annotation.storage import QueueFiles
from redline.stats.agreement import cohen_kappa, fleiss_kappa, krippendorff_alpha_nominal


class PairAgreement(BaseModel):
    """Two raters over the items both labelled."""

    first: str
    second: str
    items: int
    observed: float | None
    cohen_kappa: float | None


class QueueAgreement(BaseModel):
    """Agreement statistics of one queue (``None`` where undefined or too few items)."""

    queue_id: str
    task: str
    annotators: list[str]
    items: int
    labelled_items: int
    # Items with two or more labels: what the statistics below are computed over.
    multiply_labelled: int
    pairs: list[PairAgreement]
    # Over items every annotator labelled (Fleiss needs the same count per item).
    fleiss_items: int
    fleiss_kappa: float | None
    krippendorff_alpha: float | None
    # Each annotator against the scorer whose labels use the task's vocabulary.
    scorer: str | None = None
    with_scorer: list[PairAgreement] = []


def _pair(first: str, second: str, rows: list[tuple[str, str]]) -> PairAgreement:
    a = [x for x, _ in rows]
    b = [y for _, y in rows]
    return PairAgreement(
        first=first,
        second=second,
        items=len(rows),
        observed=sum(x == y for x, y in rows) / len(rows) if rows else None,
        cohen_kappa=cohen_kappa(a, b),
    )


def queue_agreement(files: QueueFiles) -> QueueAgreement:
    """Cohen's kappa per pair of annotators, Fleiss' kappa over fully labelled items,
    Krippendorff's alpha over every item with two or more labels."""
    labels = files.labels()
    annotators = sorted({name for by in labels.values() for name in by})
    values = files.task.values
    pairs = [
        _pair(
            x,
            y,
            [(by[x], by[y]) for by in labels.values() if x in by and y in by],
        )
        for x, y in combinations(annotators, 2)
    ]
    full = [by for by in labels.values() if len(annotators) >= 2 and len(by) == len(annotators)]
    fleiss = (
        fleiss_kappa([[list(by.values()).count(v) for v in values] for by in full])
        if full
        else None
    )
    scorer = files.task.calibrate_scorer
    with_scorer = []
    if scorer is not None:
        items = {item.id: item for item in files.queue.items}
        for name in annotators:
            rows = [
                (by[name], items[item_id].scorer_labels[scorer])
                for item_id, by in labels.items()
                if name in by and scorer in items[item_id].scorer_labels
            ]
            if rows:
                with_scorer.append(_pair(name, scorer, rows))
    return QueueAgreement(
        queue_id=files.queue.id,
        task=files.task.name,
        annotators=annotators,
        items=len(files.queue.items),
        labelled_items=len(labels),
        multiply_labelled=sum(len(by) >= 2 for by in labels.values()),
        pairs=pairs,
        fleiss_items=len(full),
        fleiss_kappa=fleiss,
        krippendorff_alpha=krippendorff_alpha_nominal(list(labels.values())),
        scorer=scorer if with_scorer else None,
        with_scorer=with_scorer,
    )
