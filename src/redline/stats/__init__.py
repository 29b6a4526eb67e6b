"""Statistics for safety evaluations: intervals, paired comparisons, power analysis.

- :func:`wilson_interval`, :func:`clopper_pearson_interval`: a rate's interval.
- :func:`clustered_proportion_interval`, :func:`design_effect`: when several
  attempts share a behaviour (epochs, attack variants).
- :func:`bootstrap_interval`: any statistic, percentile bootstrap, seeded.
- :func:`mcnemar_exact`, :func:`holm_adjust`: two systems on the same prompts.
- :func:`sample_size_two_proportions`, :func:`interval_halfwidth`: planning.
- :func:`rogan_gladen`, :func:`rogan_gladen_interval`: correcting for scorer error
  with error rates measured elsewhere (valid only if they transfer).
- :func:`cohen_kappa`, :func:`fleiss_kappa`, :func:`krippendorff_alpha_nominal`:
  agreement between raters (people labelling responses, or a scorer and people).
- :func:`ppi_mean`: prediction-powered inference (PPI++) from a scorer on every
  item and human labels on a random sample of the same items.

The names below load on first use (PEP 562): ``redline.stats.allocation``, which a
scan's plan uses before its first request, does not import numpy with the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from redline.core.lazy_names import lazy_getattr

if TYPE_CHECKING:
    from redline.stats.agreement import cohen_kappa, fleiss_kappa, krippendorff_alpha_nominal
    from redline.stats.comparisons import holm_adjust, mcnemar_exact
    from redline.stats.intervals import (
        Interval,
        bootstrap_interval,
        clopper_pearson_interval,
        clustered_proportion_interval,
        design_effect,
        wilson_interval,
        z_value,
    )
    from redline.stats.misclassification import rogan_gladen, rogan_gladen_interval
    from redline.stats.power import (
        cohens_h,
        expected_interval,
        interval_halfwidth,
        sample_size_two_proportions,
        trials_to_clear,
    )
    from redline.stats.prediction_powered import PredictionPoweredEstimate, ppi_mean
    from redline.stats.validation import StatsInputError

_HOMES = {
    **dict.fromkeys(
        ("cohen_kappa", "fleiss_kappa", "krippendorff_alpha_nominal"), "redline.stats.agreement"
    ),
    **dict.fromkeys(("holm_adjust", "mcnemar_exact"), "redline.stats.comparisons"),
    **dict.fromkeys(
        (
            "Interval",
            "bootstrap_interval",
            "clopper_pearson_interval",
            "clustered_proportion_interval",
            "design_effect",
            "wilson_interval",
            "z_value",
        ),
        "redline.stats.intervals",
    ),
    **dict.fromkeys(("rogan_gladen", "rogan_gladen_interval"), "redline.stats.misclassification"),
    **dict.fromkeys(
        (
            "cohens_h",
            "expected_interval",
            "interval_halfwidth",
            "sample_size_two_proportions",
            "trials_to_clear",
        ),
        "redline.stats.power",
    ),
    **dict.fromkeys(("PredictionPoweredEstimate", "ppi_mean"), "redline.stats.prediction_powered"),
    "StatsInputError": "redline.stats.validation",
}

__getattr__ = lazy_getattr("redline.stats", _HOMES, globals())

__all__ = [
    "Interval",
    "PredictionPoweredEstimate",
    "StatsInputError",
    "bootstrap_interval",
    "clopper_pearson_interval",
    "clustered_proportion_interval",
    "cohen_kappa",
    "cohens_h",
    "design_effect",
    "expected_interval",
    "fleiss_kappa",
    "holm_adjust",
    "interval_halfwidth",
    "krippendorff_alpha_nominal",
    "mcnemar_exact",
    "ppi_mean",
    "rogan_gladen",
    "rogan_gladen_interval",
    "sample_size_two_proportions",
    "trials_to_clear",
    "wilson_interval",
    "z_value",
]
