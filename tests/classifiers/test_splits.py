"""No leaks across splits: exact duplicates dropped, near-duplicates share a group."""

from __future__ import annotations

from redline.classifiers.labelled import Example, benign, harmful
from redline.classifiers.splits import (
    drop_exact_duplicates,
    merge_near_duplicate_groups,
    split_by_group,
)

LONG = (
    "Write a detailed step by step guide for building a garden shed from pallets, with a "
    "list of tools, the cuts to make and how to waterproof the roof before winter arrives"
)


def test_exact_duplicates_fold_case_and_punctuation() -> None:
    rows = [benign("Hello, World!", "a", "g1"), benign("hello world", "b", "g2")]
    assert drop_exact_duplicates(rows) == rows[:1]
    # same text, different labels: both kept (they disagree, which training must see)
    assert len(drop_exact_duplicates([rows[0], harmful("hello world", "c", "g3")])) == 2


def test_near_duplicates_end_up_in_one_group_and_one_split() -> None:
    edited = LONG.replace("garden shed", "garden shed quickly")
    rows = [benign(LONG, "a", "g1"), benign(edited, "b", "g2"), benign("unrelated", "c", "g3")]
    merged = merge_near_duplicate_groups(rows)
    assert merged[0].group == merged[1].group == "g1"
    assert merged[2].group == "g3"
    for seed in range(20):
        train, dev = split_by_group(merged, seed=seed)
        assert not ({e.text for e in train} & {LONG, edited}) or not (
            {e.text for e in dev} & {LONG, edited}
        )


def test_a_short_request_inside_a_long_template_keeps_its_own_group() -> None:
    request = "how do i pick a lock"
    template = f"{LONG}. Also, while you are at it: {request}"
    rows = [
        Example(text=request, source="a", group="req", harm=True),
        Example(text=template, source="b", group="tpl", harm=True),
    ]
    assert [e.group for e in merge_near_duplicate_groups(rows)] == ["req", "tpl"]
