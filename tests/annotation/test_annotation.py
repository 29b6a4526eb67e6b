"""Queues from a stored run, labels from several annotators, agreement, adjudication, exports."""

from __future__ import annotations

import json

import pytest

from redline.annotation import (
    AnnotationStore,
    calibration_rows,
    disagreement_queue,
    final_labels,
    pairwise_queue,
    preference_rows,
    queue_agreement,
    stratified_queue,
    write_jsonl,
)
from redline.annotation.disagreement import scorers_disagree
from redline.core import ConfigError
from redline.scoring.calibration import read_labels, scorer_vocabulary
from redline.store import RunStore

from .conftest import RUN_B


def test_stratified_queue_covers_every_label_and_is_reproducible(run_a):
    attempts, scores = run_a
    queue = stratified_queue(attempts, scores, n=12, seed=3)
    again = stratified_queue(attempts, scores, n=12, seed=3)
    assert [i.a.attempt_id for i in queue.items] == [i.a.attempt_id for i in again.items]
    assert len(queue.items) == 12
    assert {i.scorer_labels["refusal"] for i in queue.items} == {
        "full_refusal", "partial_refusal", "full_compliance",
    }  # fmt: skip
    assert all(i.a.response for i in queue.items)  # errored attempts are never sampled


def test_disagreement_queue_is_exactly_the_disagreeing_attempts(run_a):
    attempts, scores = run_a
    queue = disagreement_queue(attempts, scores)
    by_attempt: dict[str, dict[str, str]] = {}
    for s in scores:
        by_attempt.setdefault(s.attempt_id, {})[s.scorer] = s.label
    expected = {
        a.id for a in attempts if a.error is None and scorers_disagree(by_attempt.get(a.id, {}))
    }
    assert expected and {i.a.attempt_id for i in queue.items} == expected
    for item in queue.items:  # refusal says success iff harm says not harmful
        labels = item.scorer_labels
        assert (labels["refusal"] == "full_compliance") != (labels["harm"] == "harmful")


def test_scorers_disagree_ignores_labels_that_cannot_judge():
    assert not scorers_disagree({"refusal": "full_refusal", "harm": "judge_error"})
    assert scorers_disagree({"refusal": "full_refusal", "harm": "harmful"})
    assert not scorers_disagree({"refusal": "full_compliance"})


def test_labels_agreement_adjudication_and_calibrate_export(runs_dir, run_a, tmp_path):
    attempts, scores = run_a
    store = AnnotationStore(runs_dir)
    files = store.save(stratified_queue(attempts, scores, n=6, queue_id="q1"))
    with pytest.raises(ConfigError, match="already exists"):
        store.save(files.queue)
    ids = [i.id for i in files.queue.items]
    ann = ["full_refusal", "full_refusal", "partial_refusal", "full_compliance",
           "full_compliance", "full_refusal"]  # fmt: skip
    bob = ["full_refusal", "partial_refusal", "partial_refusal", "full_compliance",
           "full_refusal", "full_refusal"]  # fmt: skip
    for item_id, a, b in zip(ids, ann, bob, strict=True):
        files.add_label(item_id=item_id, annotator="ann", label=a)
        files.add_label(item_id=item_id, annotator="bob", label=b)
    # A later answer replaces the earlier one.
    files.add_label(item_id=ids[0], annotator="bob", label="full_refusal")
    with pytest.raises(ConfigError, match="not an answer"):
        files.add_label(item_id=ids[0], annotator="bob", label="maybe")
    with pytest.raises(ConfigError, match="no item"):
        files.add_label(item_id="nope", annotator="bob", label="full_refusal")

    reopened = store.open("q1")
    agreement = queue_agreement(reopened)
    # Hand count: 4 of 6 agree; ann marginals R3 P1 C2, bob R3 P2 C1:
    # p_e = (3*3 + 1*2 + 2*1) / 36 = 13/36, kappa = (4/6 - 13/36) / (1 - 13/36) = 11/23.
    (pair,) = agreement.pairs
    assert pair.items == 6 and pair.observed == pytest.approx(4 / 6)
    assert pair.cohen_kappa == pytest.approx(11 / 23)
    assert agreement.fleiss_items == 6 and agreement.fleiss_kappa is not None
    assert agreement.krippendorff_alpha is not None
    assert {p.first for p in agreement.with_scorer} == {"ann", "bob"}

    # Two annotators who disagree: no majority until someone adjudicates.
    resolution = final_labels(reopened)
    assert sorted(resolution.disputed) == [ids[1], ids[4]]
    reopened.adjudicate(item_id=ids[1], adjudicator="lead", label="partial_refusal")
    rows = calibration_rows(reopened)
    assert len(rows) == 5
    row = next(r for r in rows if r["id"] == files.queue.item(ids[1]).a.attempt_id)
    assert row["human_label"] == "partial_refusal" and row["label_source"] == "adjudicated"

    # The export is a labels file `redline judge calibrate` reads.
    path = write_jsonl(rows, tmp_path / "labels.jsonl")
    records = read_labels(path, allowed=scorer_vocabulary("refusal"))
    assert len(records) == 5 and {r.human_label for r in records} <= {
        "full_refusal", "partial_refusal", "full_compliance",
    }  # fmt: skip


def test_pairwise_queue_exports_trl_preference_pairs(runs_dir, run_a):
    attempts, _ = run_a
    other = RunStore(runs_dir).open(RUN_B).read_attempts()
    # Make run B answer differently so the pairs differ.
    other = [a.model_copy(update={"response": (a.response or "") + " (v2)"}) for a in other]
    queue = pairwise_queue(attempts, other, n=4, seed=1, queue_id="pw")
    assert len(queue.items) == 4 and all(i.b is not None for i in queue.items)
    files = AnnotationStore(runs_dir).save(queue)
    choices = ["a", "b", "tie", "a"]
    for item, choice in zip(queue.items, choices, strict=True):
        files.add_label(item_id=item.id, annotator="ann", label=choice)
    rows = preference_rows(files)
    assert len(rows) == 3  # the tie is no preference
    first = queue.items[0]
    assert rows[0]["chosen"] == [{"role": "assistant", "content": first.a.response}]
    assert rows[0]["rejected"] == [{"role": "assistant", "content": first.b.response}]
    assert rows[0]["prompt"][-1]["role"] == "user"
    assert rows[1]["chosen"][0]["content"] == queue.items[1].b.response
    json.dumps(rows)  # plain JSON
    with pytest.raises(ConfigError, match="--format labels"):
        preference_rows(AnnotationStore(runs_dir).save(stratified_queue(
            *run_a, n=3, queue_id="lab")))  # fmt: skip


def test_unknown_queue_and_bad_names(runs_dir):
    store = AnnotationStore(runs_dir)
    with pytest.raises(ConfigError, match="no annotation queue"):
        store.open("missing")
    with pytest.raises(ConfigError, match="queue id"):
        store.open("../etc")
