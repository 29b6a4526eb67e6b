"""Cut-offs from out-of-fold scores: folds that nest the dev split, every example
scored by a model that never trained on its group, and the disguises that draw
from streams of their own."""

from __future__ import annotations

import random

import numpy as np

from redline.classifiers import FeatureConfig
from redline.classifiers.labelled import Example, benign
from redline.classifiers.splits import DEV_FRACTION, dev_group, group_fold, split_by_group
from redline.classifiers.training import (
    CROSS_FIT_FOLDS,
    HeadSpec,
    calibrate_sides,
    f1_plateau_cutoffs,
    fit_classifier,
    max_f1_cutoffs,
    out_of_fold_scores,
    production_floors,
    threshold_f1_plateau,
)

SMALL = FeatureConfig(word_features=2**10, char_features=2**10)
SPECS = [HeadSpec("harmful", lambda e: e.harm)]


def _pool(n: int = 400) -> list[Example]:
    rng = random.Random(5)
    bad = ["build a bomb", "poison the well", "steal the car", "burn the house"]
    good = ["bake a cake", "plant a tree", "fix the bike", "paint the fence"]
    out = []
    for i in range(n):
        harmful = i % 3 == 0
        text = f"tell me how to {rng.choice(bad if harmful else good)} {rng.randrange(1000)}"
        out.append(Example(text=text, source=f"src{i % 4}", group=f"g{i // 2}", harm=harmful))
    return out


def test_fold_zero_is_exactly_the_dev_split() -> None:
    groups = [f"group-{i}" for i in range(3000)]
    assert round(1 / DEV_FRACTION) == CROSS_FIT_FOLDS
    for seed in (0, 1):
        folds = [group_fold(g, seed=seed, folds=CROSS_FIT_FOLDS) for g in groups]
        assert [f == 0 for f in folds] == [
            dev_group(g, seed=seed, dev_fraction=DEV_FRACTION) for g in groups
        ]
        sizes = np.bincount(folds, minlength=CROSS_FIT_FOLDS)
        assert sizes.min() > 0.8 * len(groups) / CROSS_FIT_FOLDS  # every fold about a fifth


def test_every_example_is_scored_by_a_model_that_never_saw_its_group() -> None:
    pool = _pool()
    train, _dev = split_by_group(pool, seed=0)
    shipped = fit_classifier("toy", train, SPECS, seed=0, features=SMALL)
    scores = out_of_fold_scores("toy", pool, SPECS, dev_model=shipped, seed=0, features=SMALL)
    assert scores.shape == (len(pool), 1) and not np.isnan(scores).any()
    folds = np.array([group_fold(e.group, seed=0, folds=CROSS_FIT_FOLDS) for e in pool])
    # fold 0, the dev split, is the shipped model's scores
    dev_rows = np.nonzero(folds == 0)[0]
    assert np.allclose(
        scores[dev_rows, 0], shipped.predict_proba([pool[i].text for i in dev_rows])[:, 0]
    )
    # fold 2: a model trained on every other fold, refitted here, gives the same
    held = np.nonzero(folds == 2)[0]
    refit = fit_classifier(
        "toy",
        [e for e, f in zip(pool, folds, strict=True) if f != 2],
        SPECS,
        seed=0,
        features=SMALL,
    )
    assert np.allclose(scores[held, 0], refit.predict_proba([pool[i].text for i in held])[:, 0])
    # and it differs from the shipped model, which trained on those rows
    assert not np.allclose(
        scores[held, 0], shipped.predict_proba([pool[i].text for i in held])[:, 0]
    )
    # the cut-offs read the scores they are given
    f1 = max_f1_cutoffs(pool, scores, SPECS)["harmful"]
    assert 0.0 < f1 < 1.0


def _f1(y: np.ndarray, scores: np.ndarray, cut: float) -> float:
    flagged = scores >= cut
    tp = int((flagged & y).sum())
    return 2 * tp / max(1, int(flagged.sum()) + int(y.sum()))


def test_the_floor_is_the_middle_of_the_f1_plateau() -> None:
    rng = np.random.default_rng(3)
    y = np.r_[np.ones(400, bool), np.zeros(400, bool)]
    scores = np.r_[rng.uniform(0.3, 1.0, 400), rng.uniform(0.0, 0.7, 400)]
    # by brute force: every score as a cut-off, those within 0.01 of the best F1
    f1 = np.array([_f1(y, scores, c) for c in scores])
    near = np.sort(scores[f1 >= f1.max() - 0.01])
    assert threshold_f1_plateau(y, scores) == np.median(near)
    assert threshold_f1_plateau(y, scores, tolerance=0.0) == np.median(scores[f1 == f1.max()])
    # two separated classes: the middle of the gap, not the lowest positive
    y = np.r_[np.ones(50, bool), np.zeros(50, bool)]
    apart = np.r_[np.linspace(0.8, 0.9, 50), np.linspace(0.1, 0.2, 50)]
    assert 0.2 < threshold_f1_plateau(y, apart) < 0.8
    # the combined head's production floor is that cut; category heads take 0.5
    pool = [Example(text=str(i), source="s", group=str(i), harm=bool(v)) for i, v in enumerate(y)]
    specs = [*SPECS, HeadSpec("s1", lambda e: e.harm)]
    both = np.c_[apart, apart]
    floors = production_floors(pool, both, specs)
    assert floors == {"harmful": f1_plateau_cutoffs(pool, both, SPECS)["harmful"], "s1": 0.5}
    assert floors["harmful"] != max_f1_cutoffs(pool, both, SPECS)["harmful"]


def test_calibration_uses_given_scores_and_floors_and_skips_missing_scores() -> None:
    class _Unused:
        def __init__(self) -> None:
            self.thresholds = {"harmful": 0.9}
            self.side_thresholds: dict[str, dict[str, float]] = {}

        def predict_proba(self, texts: list[str]) -> np.ndarray:
            raise AssertionError("scores were given: nothing to predict")

    pool = [benign(f"prompt {i}", f"src{i % 2}", f"g{i}") for i in range(400)]
    pool += [Example(text=f"bad {i}", source="x", group=f"b{i}", harm=True) for i in range(20)]
    scores = np.array([[(i % 100) / 1000] for i in range(400)] + [[0.95]] * 20)
    scores[:200:2, 0] = np.nan  # no out-of-fold score for these: left out of the mix
    clf = _Unused()
    report = calibrate_sides(clf, pool, SPECS, scores=scores, floors={"harmful": 0.05})
    assert report["input"]["benign_mix"] == 400
    assert 0.09 < clf.side_thresholds["input"]["harmful"] < 0.1  # the 1% cut, over the floor
    calibrate_sides(clf, pool, SPECS, scores=scores, floors={"harmful": 0.5})
    assert clf.side_thresholds["input"]["harmful"] == 0.5
    # no output texts: the output side takes the input side's cut-offs
    assert clf.side_thresholds["output"] == clf.side_thresholds["input"]


def test_added_disguises_draw_from_their_own_streams() -> None:
    from redline.attacks.guard_disguises import DISGUISES, STREAMED_DISGUISES, disguised_examples

    base = tuple(d for d in DISGUISES if d not in STREAMED_DISGUISES)[:4]
    requests = [
        Example(text=f"how do I pick lock number {i}", source="s", group=f"r{i}", harm=True)
        for i in range(30)
    ]

    def draw(disguises: tuple) -> tuple[list[Example], float]:
        rng = random.Random(11)
        out = disguised_examples(requests, rng=rng, per_converter=5, disguises=disguises)
        return out, rng.random()

    alone, after_alone = draw(base)
    both, after_both = draw(base + STREAMED_DISGUISES)
    assert both[: len(alone)] == alone and after_both == after_alone  # nothing else moved
    added = both[len(alone) :]
    assert {e.source for e in added} == {f"disguised:{d.converter}" for d in STREAMED_DISGUISES}
    heads = {f"disguised:{d.converter}": d.heads for d in STREAMED_DISGUISES}
    assert all(e.jailbreak for e in added)
    # harm follows the request for the disguises the harm head trains on, and only those
    assert all(e.harm is ("harm" in heads[e.source] or None) for e in added)
    assert draw(base + STREAMED_DISGUISES)[0] == both  # deterministic
