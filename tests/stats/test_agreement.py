"""Agreement statistics against published worked examples."""

from __future__ import annotations

import pytest

from redline.stats import StatsInputError
from redline.stats.agreement import cohen_kappa, fleiss_kappa, krippendorff_alpha_nominal


def test_cohen_kappa_worked_example():
    # 50 items: both yes 20, A yes / B no 5, A no / B yes 10, both no 15.
    # p_o = 0.7, p_e = 0.5*0.6 + 0.5*0.4 = 0.5, kappa = 0.4 (the textbook example).
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)


def test_cohen_kappa_edges():
    assert cohen_kappa([], []) is None
    assert cohen_kappa(["x", "x"], ["x", "x"]) is None  # chance agreement is already 1
    assert cohen_kappa(["a", "b"], ["b", "a"]) == pytest.approx(-1.0)
    with pytest.raises(StatsInputError, match="same items"):
        cohen_kappa(["a"], ["a", "b"])


# Fleiss (1971)-style worked example: 10 subjects, 14 raters, 5 categories;
# P-bar = 0.378, P-bar_e = 0.213, kappa = 0.210.
FLEISS_TABLE = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


def test_fleiss_kappa_worked_example():
    assert fleiss_kappa(FLEISS_TABLE) == pytest.approx(0.2099, abs=5e-4)


def test_fleiss_kappa_equals_cohen_like_agreement_when_perfect():
    assert fleiss_kappa([[3, 0], [0, 3], [3, 0]]) == pytest.approx(1.0)
    assert fleiss_kappa([]) is None
    with pytest.raises(StatsInputError, match="same number"):
        fleiss_kappa([[2, 0], [1, 2]])


# Krippendorff (2011), "Computing Krippendorff's alpha-reliability": four coders,
# twelve units, missing values; nominal alpha = 0.743.
KRIPPENDORFF_DATA = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
}


def test_krippendorff_alpha_published_example():
    units = [[KRIPPENDORFF_DATA[c][i] for c in "ABCD"] for i in range(12)]
    assert krippendorff_alpha_nominal(units) == pytest.approx(0.743, abs=5e-4)
    # The same data as rater -> label mappings.
    mapped = [
        {c: KRIPPENDORFF_DATA[c][i] for c in "ABCD" if KRIPPENDORFF_DATA[c][i] is not None}
        for i in range(12)
    ]
    assert krippendorff_alpha_nominal(mapped) == pytest.approx(0.743, abs=5e-4)


def test_krippendorff_alpha_matches_fleiss_style_data_closely():
    # Two raters, no missing data: alpha is close to (and slightly above) Cohen's kappa,
    # by the small-sample correction n/(n-1).
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    alpha = krippendorff_alpha_nominal(list(zip(a, b, strict=True)))
    assert alpha is not None and 0.38 < alpha < 0.41
    assert krippendorff_alpha_nominal([[1, None], [2, None]]) is None
