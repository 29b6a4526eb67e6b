"""Agreement between raters on nominal labels: Cohen's kappa, Fleiss' kappa and
Krippendorff's alpha.

- :func:`cohen_kappa`: two raters, every item labelled by both.
- :func:`fleiss_kappa`: any number of raters, the same number of ratings per item
  (Fleiss 1971), from a table of category counts per item.
- :func:`krippendorff_alpha_nominal`: any number of raters with missing ratings;
  items with fewer than two ratings carry no information about agreement and are
  left out (Krippendorff 2011, "Computing Krippendorff's alpha-reliability").

Each returns ``None`` where the statistic is undefined (no items, or agreement
expected by chance is already perfect, so there is nothing to beat).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

from redline.stats.validation import StatsInputError


def cohen_kappa(first: Sequence[Hashable], second: Sequence[Hashable]) -> float | None:
    """Cohen's kappa of two labelings of the same items, in the same order."""
    if len(first) != len(second):
        raise StatsInputError(
            f"cohen_kappa: the raters labelled {len(first)} and {len(second)} items; "
            "give the same items to both"
        )
    n = len(first)
    if n == 0:
        return None
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / n
    counts_a, counts_b = Counter(first), Counter(second)
    expected = sum(counts_a[k] * counts_b.get(k, 0) for k in counts_a) / (n * n)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1.0 - expected)


def fleiss_kappa(table: Sequence[Sequence[int]]) -> float | None:
    """Fleiss' kappa from ``table[item][category]`` = raters who chose that category.

    Every item must have the same number of ratings (at least two).
    """
    rows = [list(row) for row in table]
    if not rows:
        return None
    raters = sum(rows[0])
    for index, row in enumerate(rows):
        if any(count < 0 for count in row):
            raise StatsInputError(f"fleiss_kappa: item {index} has a negative count")
        if sum(row) != raters:
            raise StatsInputError(
                f"fleiss_kappa: item {index} has {sum(row)} ratings, item 0 has {raters}; "
                "Fleiss' kappa needs the same number per item (use Krippendorff's alpha)"
            )
    if raters < 2:
        raise StatsInputError("fleiss_kappa: each item needs at least two ratings")
    items = len(rows)
    per_item = [(sum(c * c for c in row) - raters) / (raters * (raters - 1)) for row in rows]
    observed = sum(per_item) / items
    totals = [sum(row[j] for row in rows) for j in range(len(rows[0]))]
    shares = [t / (items * raters) for t in totals]
    expected = sum(p * p for p in shares)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1.0 - expected)


def krippendorff_alpha_nominal(
    units: Sequence[Mapping[Any, Any]] | Sequence[Sequence[Any]],
) -> float | None:
    """Krippendorff's alpha for nominal data.

    ``units`` holds one entry per item: either a mapping rater -> label (raters
    who did not label it are absent) or a sequence of labels with ``None`` for
    missing ones. Items with fewer than two labels are not pairable and are left out.
    """
    coincidences: dict[tuple[Hashable, Hashable], float] = {}
    for unit in units:
        values = [
            v for v in (unit.values() if isinstance(unit, Mapping) else unit) if v is not None
        ]
        m = len(values)
        if m < 2:
            continue
        counts = Counter(values)
        # Each ordered pair of values from different raters in the unit, weighted 1/(m-1).
        for c, n_c in counts.items():
            for k, n_k in counts.items():
                pairs = n_c * (n_k - 1) if c == k else n_c * n_k
                if pairs:
                    coincidences[(c, k)] = coincidences.get((c, k), 0.0) + pairs / (m - 1)
    total = sum(coincidences.values())
    if total <= 1:
        return None
    marginals: dict[Hashable, float] = {}
    for (c, _), weight in coincidences.items():
        marginals[c] = marginals.get(c, 0.0) + weight
    observed_disagreement = sum(w for (c, k), w in coincidences.items() if c != k) / total
    expected_disagreement = sum(
        marginals[c] * marginals[k] for c in marginals for k in marginals if c != k
    ) / (total * (total - 1))
    if expected_disagreement == 0:
        return None
    return 1.0 - observed_disagreement / expected_disagreement
