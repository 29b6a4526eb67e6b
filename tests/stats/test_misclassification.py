import pytest

from redline.stats import StatsInputError, rogan_gladen, rogan_gladen_interval, wilson_interval


def test_rogan_gladen_hand_case():
    assert rogan_gladen(0.20, 0.90, 0.95) == pytest.approx(0.15 / 0.85)
    assert rogan_gladen(0.30, 1.0, 1.0) == pytest.approx(0.30)
    # More false positives than the observed rate allows clips to zero.
    assert rogan_gladen(0.02, 0.9, 0.95) == 0.0


def test_rogan_gladen_interval_maps_the_wilson_bounds():
    interval = rogan_gladen_interval(40, 200, sensitivity=0.9, specificity=0.95)
    observed = wilson_interval(40, 200)
    assert interval.estimate == pytest.approx(rogan_gladen(0.2, 0.9, 0.95))
    assert interval.low == pytest.approx((observed.low - 0.05) / 0.85)
    assert interval.high == pytest.approx((observed.high - 0.05) / 0.85)
    assert rogan_gladen_interval(0, 0, sensitivity=0.9, specificity=0.9).estimate is None


def test_rogan_gladen_rejects_a_chance_classifier():
    with pytest.raises(StatsInputError, match="exceed 1"):
        rogan_gladen(0.2, 0.5, 0.5)
    with pytest.raises(StatsInputError, match="sensitivity"):
        rogan_gladen(0.2, 1.2, 0.5)
