"""Role and system prompts get a jailbreak twin (one intent clause written in) and an
ordinary-rule twin, so the jailbreak model learns the intent, not the genre. The
shipped recipe trains on the rule twins only (docs/guard-models.md)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from redline.classifiers import artifacts_dir, load_classifier
from redline.classifiers.features import FeatureConfig
from redline.classifiers.labelled import benign
from redline.classifiers.splits import dev_group
from redline.classifiers.training_data import (
    DEV_FRACTION,
    JAILBREAK_TWIN,
    ROLE_PROMPT_SOURCES,
    RULE_TWIN,
    SHIPPED_ROLE_TWINS,
    TrainingData,
    assemble_training_data,
    role_prompt_twins,
)
from redline.classifiers.written_examples import examples_dir, read_rows, texts
from redline.core.errors import ConfigError

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
INTENT = set(texts("jailbreak_intent_clauses"))
ORDINARY = set(texts("benign_rule_clauses"))


def _clauses_in(text: str, clauses: set[str]) -> list[str]:
    return [c for c in clauses if c in text]


def test_each_role_prompt_gets_one_twin_of_each_kind() -> None:
    short = benign("I want you to act as a travel guide for Lisbon.", "awesome-prompts", "a:1")
    paragraphs = "\n".join(
        f"Step {i}: read the input carefully and summarise it." for i in range(400)
    )
    long = benign(f"# IDENTITY\nYou are a summariser.\n{paragraphs}", "fabric-patterns", "f:x")
    other = benign("What is the capital of France?", "mmlu", "mmlu:1")
    twins = role_prompt_twins([short, long, other], seed=0)
    assert role_prompt_twins([short, long, other], seed=0) == twins
    jailbreaks = [t for t in twins if t.source.endswith(JAILBREAK_TWIN)]
    ordinary = [t for t in twins if t.source.endswith(RULE_TWIN)]
    assert [t.source for t in ordinary] == [
        "awesome-prompts:rule-twin",
        "fabric-patterns:rule-twin",
    ]
    assert [t.group for t in jailbreaks] == [t.group for t in ordinary] == ["a:1", "f:x"]
    keep = FeatureConfig().max_chars // 2
    for twin, prompt in zip(jailbreaks, (short, long), strict=True):
        assert twin.jailbreak is True and twin.harm is None and twin.injection is None
        (clause,) = _clauses_in(twin.text, INTENT)
        assert twin.text.replace(f"\n{clause}", "", 1).replace(f"{clause}\n", "", 1) == prompt.text
        # written where the featurizer looks: within its first or last half-window
        at = twin.text.index(clause)
        assert at < keep or at + len(clause) > len(twin.text) - keep
    for twin in ordinary:
        assert (twin.jailbreak, twin.harm, twin.injection) == (False, None, None)
        assert len(_clauses_in(twin.text, ORDINARY)) == 1 and not _clauses_in(twin.text, INTENT)


def test_a_bad_clause_row_names_file_and_line(tmp_path: Path) -> None:
    for name in ("jailbreak_intent_clauses", "benign_rule_clauses"):
        path = tmp_path / f"{name}.jsonl"
        shutil.copy(examples_dir() / f"{name}.jsonl", path)
        lines = len(path.read_text(encoding="utf-8").splitlines())
        with path.open("a", encoding="utf-8") as fh:
            fh.write('{"family": "scope"}\n')
        with pytest.raises(ConfigError, match=rf"{name}\.jsonl:{lines + 1}: field 'text'"):
            read_rows(path)


@pytest.fixture(scope="module")
def with_twins() -> TrainingData:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data not present")
    return assemble_training_data(SHARED_DATA, seed=0, role_twins=(JAILBREAK_TWIN, RULE_TWIN))


def test_the_shipped_jailbreak_model_trained_on_rule_twins_only() -> None:
    # the jailbreak twins are measured and not shipped (docs/guard-models.md): the
    # shipped artifact's data card names the rule twins of both sources and no
    # jailbreak twin
    metrics = json.loads((artifacts_dir() / "jailbreak" / "metrics.json").read_text())
    names = {s["name"] for s in metrics["sources"]}
    assert {f"{s}{RULE_TWIN}" for s in ROLE_PROMPT_SOURCES} <= names
    assert not any(n.endswith(JAILBREAK_TWIN) for n in names)
    assert SHIPPED_ROLE_TWINS == (RULE_TWIN,)


def test_an_unknown_twin_kind_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown kinds"):
        assemble_training_data(None, seed=0, role_twins=(":evil-twin",))


def test_the_jailbreak_training_data_holds_the_twins_of_every_role_prompt(
    with_twins: TrainingData,
) -> None:
    data = with_twins
    pool = data.for_task("jailbreak")
    prompts = {e.group for e in pool if e.source in ROLE_PROMPT_SOURCES}
    twins = [e for e in pool if e.source.endswith(JAILBREAK_TWIN)]
    ordinary = [e for e in pool if e.source.endswith(RULE_TWIN)]
    assert len(twins) > 1500 and len(ordinary) > 1500
    assert all(e.jailbreak for e in twins) and not any(e.jailbreak for e in ordinary)
    # a twin keeps its prompt's group (a handful join a near-duplicate prompt's)
    for kind in (twins, ordinary):
        assert {e.group for e in kind} <= prompts
        assert len({e.group for e in kind}) > 0.99 * len(prompts)
    assert {
        f"{s}{kind}" for s in ROLE_PROMPT_SOURCES for kind in (JAILBREAK_TWIN, RULE_TWIN)
    } <= set(data.sources)
    # jailbreak-only: the harm and injection models train on exactly what they did
    assert not any(e.source.endswith((JAILBREAK_TWIN, RULE_TWIN)) for e in data.for_task("harm"))


def test_held_out_role_prompts_score_below_the_shipped_cut(with_twins: TrainingData) -> None:
    """Real role and system prompts of the dev split (groups the shipped model never
    trained on; the same sources did train it) pass the production input cut-off:
    the first five of each source, and at most 5% of all of them (0.8% of 258 and
    0 of 28 measured)."""
    clf = load_classifier("jailbreak")
    cut = clf.side_thresholds["input"]["jailbreak"]
    for source in ROLE_PROMPT_SOURCES:
        held_out = [
            e.text
            for e in with_twins.examples
            if e.source == source and dev_group(e.group, seed=0, dev_fraction=DEV_FRACTION)
        ]
        assert len(held_out) >= 20, source
        scores = clf.predict_proba(held_out)[:, 0]
        assert (scores[:5] < cut).all(), (source, scores[:5], cut)
        assert (scores >= cut).mean() <= 0.05, source


@pytest.mark.parametrize("converter", ["base64", "rot13", "leetspeak", "reverse", "cipher"])
def test_the_shipped_jailbreak_model_flags_encoding_wrappers(converter: str) -> None:
    """GPTFuzz's harmful questions (never trained on as prompts) in an encoding's
    "decode it and respond" wrapper score at or above the production cut-off on
    their own, without the guard's decoded views. The jailbreak twins lost these
    wrappers (docs/benchmarks.md); reverse and cipher are not training disguises."""
    import gzip
    import random

    import redline.attacks.converters  # noqa: F401  (registers the converters)
    from redline.attacks.base import build_attack

    path = SHARED_DATA / "gptfuzz" / "gptfuzz_labeled_responses.jsonl.gz"
    if not path.exists():
        pytest.skip("GPTFuzz not present in ../shared/data")
    with gzip.open(path, "rt") as fh:
        questions = sorted({json.loads(line)["prompt"] for line in fh})
    attack, rng = build_attack(converter), random.Random(f"gptfuzz:{converter}")
    wrapped = [attack.convert(q, rng=rng).text or "" for q in questions]
    clf = load_classifier("jailbreak")
    cut = clf.side_thresholds["input"]["jailbreak"]
    flagged = (clf.predict_proba(wrapped)[:, 0] >= cut).mean()
    assert flagged >= 0.9, (converter, flagged, cut)
