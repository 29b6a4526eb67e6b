import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests

from redline.stats import StatsInputError, holm_adjust, mcnemar_exact


def test_mcnemar_exact_hand_case():
    # 7 discordant pairs split 1 vs 6: P(X <= 1) = (1 + 7) / 2**7, doubled.
    assert mcnemar_exact(1, 6) == pytest.approx(2 * 8 / 128)
    assert mcnemar_exact(6, 1) == pytest.approx(0.125)
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(5, 5) == 1.0
    assert mcnemar_exact(0, 10) == pytest.approx(2 / 1024)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 300), st.integers(0, 300))
def test_mcnemar_matches_statsmodels(b, c):
    expected = mcnemar([[10, b], [c, 10]], exact=True).pvalue
    assert mcnemar_exact(b, c) == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_mcnemar_rejects_bad_counts():
    with pytest.raises(StatsInputError, match="b must be"):
        mcnemar_exact(-1, 3)


@settings(max_examples=60, deadline=None)  # multipletests costs ~25 ms a call here
@given(st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=30))
def test_holm_matches_statsmodels(pvalues):
    expected = multipletests(pvalues, method="holm")[1]
    assert holm_adjust(pvalues) == pytest.approx(list(expected), abs=1e-12)


def test_holm_hand_case_and_errors():
    assert holm_adjust([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm_adjust([]) == []
    with pytest.raises(StatsInputError, match=r"pvalues\[1\]"):
        holm_adjust([0.1, 1.5])
