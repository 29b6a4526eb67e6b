"""ScoreIndex holds scores compactly and gives back the same Score records."""

from __future__ import annotations

from redline.analysis import ScoreIndex
from redline.analysis.summary import BehaviorCells, BehaviorNumbers
from redline.core import RunInfo, Score
from redline.store import RunStore


def _scores() -> list[Score]:
    return [
        Score(attempt_id="a1", scorer="refusal", scorer_version="v2", label="full_refusal",
              value=1.0, rationale="declines"),
        Score(attempt_id="a1", scorer="harm", scorer_version="h1", label="unsafe", value=0.8,
              raw_output="UNSAFE"),
        Score(attempt_id="a2", scorer="refusal", scorer_version="v2", label="full_compliance",
              value=0.0),
        # A later score for the same attempt and scorer replaces the first.
        Score(attempt_id="a1", scorer="refusal", scorer_version="v3", label="partial_refusal",
              value=0.5, rationale="hedges"),
    ]  # fmt: skip


def test_get_iterate_and_labels_give_back_the_recorded_scores():
    scores = _scores()
    index = ScoreIndex(scores)
    assert index.get("refusal", "a1") == scores[3]
    assert index.get("harm", "a1") == scores[1]
    assert index.get("harm", "a2") is None and index.get("judge", "a1") is None
    assert sorted(index, key=lambda s: (s.scorer, s.attempt_id)) == sorted(
        scores[1:], key=lambda s: (s.scorer, s.attempt_id)
    )
    assert len(index) == 3 and scores[1] in index and scores[0] not in index
    assert index.labels("refusal") == {"a1": "partial_refusal", "a2": "full_compliance"}
    assert index.scorers == ["refusal", "harm"]
    assert index.has("harm", "a1") and not index.has("harm", "a2")


def test_label_reads_the_latest_label_without_the_score():
    index = ScoreIndex(_scores())
    assert index.label("refusal", "a1") == "partial_refusal"
    assert index.label("harm", "a1") == "unsafe"
    assert index.label("harm", "a2") is None and index.label("judge", "a1") is None


def test_behavior_cells_sum_each_behaviours_events_and_trials():
    cells = BehaviorCells()
    assert len(cells) == 0 and list(cells.values()) == []
    cells.add("b1", True)
    cells.add("b2", 0)
    cells.add("b1", False)
    cells.add("b1", 2, trials=3)
    assert len(cells) == 2
    assert list(cells.values()) == [(3, 5), (0, 1)]


def test_cells_of_one_summary_share_one_table_of_behaviour_numbers():
    # One table per summary; each cell keeps its own first-added order whatever
    # order the table numbered the behaviours in.
    numbers = BehaviorNumbers()
    first, second = BehaviorCells(numbers), BehaviorCells(numbers)
    for index in range(3000):
        first.add(f"b{index}", index % 2)
    for index in reversed(range(0, 3000, 3)):
        second.add(f"b{index}", 1, trials=2)
    second.add("b0", 0)
    second.add("new", 1)
    assert len(numbers) == 3001 and len(first) == 3000 and len(second) == 1001
    assert list(first.values()) == [(i % 2, 1) for i in range(3000)]
    assert list(second.values()) == [(1, 2)] * 999 + [(1, 3), (1, 1)]
    assert numbers.number("b2999") == 2999 and numbers.number("new") == 3000


def _index_over_a_run_file(tmp_path, scores: list[Score]) -> ScoreIndex:
    store = RunStore(tmp_path)
    with store.create(RunInfo(id="r1")) as run:
        for score in scores:
            run.append_score(score)
    return ScoreIndex(store.open("r1").stored_scores())


def test_an_index_over_a_run_file_gives_the_same_scores_as_one_over_a_list(tmp_path):
    scores = _scores()
    streamed = _index_over_a_run_file(tmp_path, scores)
    listed = ScoreIndex(scores)
    assert streamed.get("refusal", "a1") == listed.get("refusal", "a1") == scores[3]
    assert streamed.get("harm", "a1") == scores[1] and streamed.get("harm", "a2") is None
    assert list(streamed) == list(listed)
    assert streamed.label("refusal", "a2") == "full_compliance"
    assert len(streamed) == 3 and scores[1] in streamed and scores[0] not in streamed


def test_get_many_reads_the_scores_asked_for_in_order(tmp_path):
    scores = _scores()
    index = _index_over_a_run_file(tmp_path, scores)
    wanted = [("harm", "a1"), ("refusal", "a2"), ("harm", "a2"), ("refusal", "a1"), ("x", "a1")]
    assert index.get_many(wanted) == [scores[1], scores[2], None, scores[3], None]
    assert index.position("a1") >= 0 and index.position("nowhere") == -1
    assert index.label_at("refusal", index.position("a2")) == "full_compliance"
    assert index.label_at("refusal", -1) is None


class _CollidingIndex(ScoreIndex):
    """Every attempt id hashes alike until the index salts its hashes."""

    def _hash(self, attempt_id: str) -> int:
        return 7 if not self._salt else super()._hash(attempt_id)


def test_attempt_ids_sharing_a_hash_are_told_apart_by_a_salted_rebuild():
    scores = _scores()
    index = _CollidingIndex(scores)
    assert index._salt  # the first build found a2 and a1 sharing a hash
    assert index.label("refusal", "a1") == "partial_refusal"
    assert index.label("refusal", "a2") == "full_compliance"
    assert index.get("harm", "a1") == scores[1] and index.label("harm", "a2") is None
