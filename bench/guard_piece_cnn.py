"""A word-piece CNN beside the harm head, measured (issue 10 item 3: "their combinations").

    OMP_NUM_THREADS=1 python bench/guard_piece_cnn.py [--data-dir ../shared/data]
        [--epochs 2] [--width 64] [--cnn-skip disguised] [--sources harmbench,...]
        [--resamples 100] [--json OUT]
    OMP_NUM_THREADS=1 python bench/guard_piece_cnn.py --latency-only
    OMP_NUM_THREADS=1 python bench/guard_piece_cnn.py --explain harmbench
    python bench/guard_piece_cnn.py --markdown OUT      # the tables in docs/benchmarks.md

The shipped harm head is linear over hashed n-grams and the mean of the
static MiniLM word-piece vectors. Read by hand, its misses are harmful words
diluted by ordinary ones ("I want to rob a bank." 0.13, "rob a family" 0.89):
a bag of n-grams weighs every word of a short request alike. The candidate is
``redline.classifiers.piece_cnn``: a small convolutional network over the same
word pieces (the frozen ``static-minilm`` table the guard already loads), widths
1-3, ``--width`` filters each, max-pooled over the text, one logistic output, so
a local pattern counts wherever it sits. Trained with torch on the CPU
(``piece_cnn_training``) on the harm task of the guard's training assembly;
scored with the numpy pass a guard would run.

Two ways of joining the two models' logits, each standardised on the
reference split (held out from both models):
- ``stack``: their mean (a fixed rule, nothing fitted);
- ``stack_fit``: weighed by a logistic regression fitted on the reference
  split's rows and labels (the weights are printed).

Two measurements, for the linear head alone, the CNN alone and both stacks:
1. leave-one-source-out on ``--sources`` (guard_loso's folds, reference split,
   balanced 1% cut-off and bootstrap);
2. trained on every source less the reference split (whose input-side benign
   mix sets the cut-off) and tested on sets never trained on: AUPRC on
   ToxicChat, ETHOS, TweetEval hate; flagged at the cut-off among ToxicChat
   non-toxic prompts, long BIPIA tables, Alpaca instructions; and GPTFuzz's 100
   harmful questions (recall).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
from guard_candidates import external_sets, jsonl_gz, wilson
from guard_loso import (
    MIN_SOURCE_ROWS,
    REFERENCE_SEED,
    TWINS,
    bootstrap,
    family,
    metrics,
    rendered_or_missing_data,
)
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score

from redline.attacks.guard_disguises import AttackDisguiser
from redline.classifiers.features import FeatureConfig, TextFeaturizer
from redline.classifiers.piece_cnn import piece_ids
from redline.classifiers.piece_cnn_training import train_piece_cnn
from redline.classifiers.splits import dev_group
from redline.classifiers.static_embedding import load_static_embedding
from redline.classifiers.training import (
    cut_at_balanced_fpr,
    is_response,
    make_head,
    mix_source,
    thousand_char_messages,
)
from redline.classifiers.training_data import assemble_training_data

SOURCES = "harmbench,donotanswer,red-instruct,advbench,toxigen,dices,gptfuzz,realtoxicityprompts"
KINDS = ("linear", "cnn", "stack", "stack_fit")


def pieces_of(texts: Sequence[str]) -> list[list[int]]:
    table = load_static_embedding()
    return [piece_ids(table, t) for t in texts]


def latency(data) -> dict:
    """Milliseconds per message of the numpy pass (``PieceCNN.logit_of_ids``) on
    ~1,000-character messages, pieces looked up beforehand (the guard's static
    block looks them up already)."""
    examples = data.for_task("harm")
    texts = [e.text for e in examples]
    cnn = train_piece_cnn(texts, [bool(e.label("harm")) for e in examples], epochs=1)
    messages = thousand_char_messages(texts, count=200)
    message_ids = [cnn.piece_ids(m) for m in messages]
    times = []
    for ids in message_ids * 3:
        start = time.perf_counter()
        cnn.logit_of_ids(ids)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {
        "messages": len(messages),
        "pieces_median": int(np.median([len(ids) for ids in message_ids])),
        "numpy_p50_ms": round(times[len(times) // 2], 3),
        "numpy_p99_ms": round(times[int(len(times) * 0.99)], 3),
    }


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def standardised(z: np.ndarray, on: np.ndarray) -> np.ndarray:
    return (z - on.mean()) / on.std()


def fit_both(args, matrix, texts, train: np.ndarray, y: np.ndarray, families: np.ndarray):
    """The linear head and the CNN fitted on ``train`` rows (the CNN without the
    families in ``--cnn-skip``); returns a scorer giving both models' logits for
    (matrix rows, piece lists)."""
    head = make_head(seed=0).fit(matrix[train], y[train])
    cnn_train = train & ~np.isin(families, args.cnn_skip.split(",") if args.cnn_skip else [])
    cnn = train_piece_cnn(
        [texts[i] for i in np.flatnonzero(cnn_train)],
        y[cnn_train],
        epochs=args.epochs,
        filters=args.width,
    )

    def score(m, seqs) -> dict[str, np.ndarray]:
        cnn_logits = np.array([cnn.logit_of_ids(ids) for ids in seqs])
        return {"linear": head.decision_function(m), "cnn": cnn_logits}

    return score


def kinds(args) -> tuple[str, ...]:
    return (*KINDS, *(f"stack_w{w:g}" for w in args.cnn_weights))


def stackers(ref_raw: dict[str, np.ndarray], ref_y: np.ndarray, weights: Sequence[float] = ()):
    """Scores of every kind from both models' logits. Each model's logits are
    standardised on the reference rows (``ref_raw``, held out from both models);
    ``stack`` averages them, ``stack_fit`` weighs them by a logistic regression
    fitted on those reference rows and their labels ``ref_y``, and ``stack_wW``
    adds W times the CNN's to the linear head's (``stack`` is W = 1)."""

    def z(raw: dict[str, np.ndarray]) -> np.ndarray:
        return np.stack([standardised(raw[m], ref_raw[m]) for m in ("linear", "cnn")], axis=1)

    fitted = LogisticRegression(class_weight="balanced").fit(z(ref_raw), ref_y)

    def probabilities(raw: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        both = z(raw)
        return {
            "linear": sigmoid(raw["linear"]),
            "cnn": sigmoid(raw["cnn"]),
            "stack": sigmoid(both.mean(axis=1)),
            "stack_fit": fitted.predict_proba(both)[:, 1],
            **{f"stack_w{w:g}": sigmoid(both[:, 0] + w * both[:, 1]) for w in weights},
        }

    probabilities.weights = fitted.coef_[0].tolist()  # type: ignore[attr-defined]
    return probabilities


def loso(args, data, matrix, seqs) -> list[dict]:
    examples = data.for_task("harm")
    texts = [e.text for e in examples]
    y_all = np.array([bool(e.label("harm")) for e in examples])
    families = np.array([family(e.source) for e in examples])
    groups = np.array([e.group for e in examples])
    reference = np.array([dev_group(g, seed=REFERENCE_SEED, dev_fraction=0.2) for g in groups])
    rng = np.random.default_rng(0)
    out = []
    for held in args.sources.split(","):
        test = families == held
        if held == TWINS or test.sum() < MIN_SOURCE_ROWS:
            log(f"{held}: not a source with enough rows, skipped")
            continue
        held_groups = set(groups[test])
        in_held = np.array([g in held_groups for g in groups])
        train, ref = ~test & ~in_held & ~reference, ~test & reference & ~in_held
        start = time.perf_counter()
        raw = fit_both(args, matrix, texts, train, y_all, families)(matrix, seqs)
        stack = stackers({k: v[ref] for k, v in raw.items()}, y_all[ref], args.cnn_weights)
        probs = stack(raw)
        mix = ref & ~y_all
        lacks_neg, lacks_pos = y_all[test].all(), not y_all[test].any()
        fold = test | (ref & ((~y_all & lacks_neg) | (y_all & lacks_pos)))
        entry: dict = {"held_out": held, "test_rows": int(test.sum()),
                       "test_positives": int(y_all[test].sum()),
                       "stack_fit_weights": [round(w, 3) for w in stack.weights]}  # fmt: skip
        for kind in kinds(args):
            scores = probs[kind]
            cut = cut_at_balanced_fpr(
                scores[mix], [mix_source(examples[i]) for i in np.flatnonzero(mix)]
            )
            y, s = y_all[fold], scores[fold]
            result = {
                "cut": round(cut, 4),
                **{k: round(v, 4) for k, v in metrics(y, s, cut).items()},
            }
            result["ci95"] = {
                k: [round(a, 4), round(b, 4)]
                for k, (a, b) in bootstrap(y, s, cut, args.resamples, rng).items()
            }
            entry[kind] = result
        out.append(entry)
        log(f"{held} done in {time.perf_counter() - start:.0f} s: "
            + ", ".join(f"{k} {entry[k]['auprc']}" for k in kinds(args)))  # fmt: skip
    return out


def explain(args, data, source: str, show: int = 8) -> dict:
    """The CNN of ``source``'s leave-one-source-out fold: its lowest-scored
    held-out positives, its highest-scored reference negatives, and the sources of
    the negatives scored above the positives' median."""
    examples = data.for_task("harm")
    y = np.array([bool(e.label("harm")) for e in examples])
    families = np.array([family(e.source) for e in examples])
    groups = np.array([e.group for e in examples])
    reference = np.array([dev_group(g, seed=REFERENCE_SEED, dev_fraction=0.2) for g in groups])
    test = families == source
    if not (test & y).any():
        sys.exit(f"--explain {source}: no harm positives from that source (sources: "
                 f"{', '.join(sorted(set(families[y])))})")  # fmt: skip
    in_held = np.isin(groups, list(set(groups[test])))
    train, ref = ~test & ~in_held & ~reference, ~test & reference & ~in_held
    cnn = train_piece_cnn(
        [examples[i].text for i in np.flatnonzero(train)], y[train], epochs=args.epochs,
        filters=args.width,
    )  # fmt: skip
    positives = np.flatnonzero(test & y)
    negatives = np.flatnonzero(ref & ~y)
    pos = cnn.logits([examples[i].text for i in positives])
    neg = cnn.logits([examples[i].text for i in negatives])
    above = Counter(families[negatives[neg > np.median(pos)]])
    return {
        "held_out": source,
        "positives": len(positives),
        "negatives": len(negatives),
        "positives_median_logit": round(float(np.median(pos)), 3),
        "negatives_above_that_median_by_source": dict(above.most_common()),
        "lowest_positives": [
            [round(float(pos[j]), 2), examples[positives[j]].text[:120]]
            for j in np.argsort(pos)[:show]
        ],
        "highest_negatives": [
            [
                round(float(neg[j]), 2),
                str(families[negatives[j]]),
                examples[negatives[j]].text[:120],
            ]
            for j in np.argsort(-neg)[:show]
        ],
    }


def external(args, data, matrix, seqs) -> dict:
    examples = data.for_task("harm")
    texts = [e.text for e in examples]
    y_all = np.array([bool(e.label("harm")) for e in examples])
    reference = np.array(
        [dev_group(e.group, seed=REFERENCE_SEED, dev_fraction=0.2) for e in examples]
    )
    inputs = np.array([not is_response(e) for e in examples])
    sets = external_sets(args.data_dir, args.limit)
    sets.pop("support_messages")
    gptfuzz = jsonl_gz(args.data_dir / "gptfuzz/gptfuzz_labeled_responses.jsonl.gz")
    sets["gptfuzz_questions"] = (sorted({r["prompt"] for r in gptfuzz}), None)
    families = np.array([family(e.source) for e in examples])
    score = fit_both(args, matrix, texts, ~reference, y_all, families)
    raw = score(matrix, seqs)
    stack = stackers({k: v[reference] for k, v in raw.items()}, y_all[reference], args.cnn_weights)
    probs = stack(raw)
    featurizer = TextFeaturizer(FEATURES)
    ext_probs = {
        name: stack(score(featurizer.transform(ext_texts), pieces_of(ext_texts)))
        for name, (ext_texts, _labels) in sets.items()
    }
    mix = reference & ~y_all & inputs
    rng = np.random.default_rng(0)
    out: dict = {"stack_fit_weights": [round(w, 3) for w in stack.weights]}
    for kind in kinds(args):
        cut = cut_at_balanced_fpr(
            probs[kind][mix], [mix_source(examples[i]) for i in np.flatnonzero(mix)]
        )
        entry: dict = {"cut": round(cut, 4)}
        for name, (_texts, labels) in sets.items():
            s = ext_probs[name][kind]
            if labels is not None:
                y = np.array(labels)
                low, high = bootstrap(y, s, cut, args.resamples, rng)["auprc"]
                entry[name] = {"n": len(y), "positives": int(y.sum()),
                               "auprc": round(float(average_precision_score(y, s)), 4),
                               "auprc_ci95": [round(low, 4), round(high, 4)]}  # fmt: skip
            else:
                k, n = int((s >= cut).sum()), len(s)
                entry[name] = {"n": n, "flagged": round(k / n, 4), "ci95": wilson(k, n)}
        out[kind] = entry
    return out


FEATURES = FeatureConfig(static_embedding="static-minilm", static_dims=128)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--width", type=int, default=64, help="filters per width (1, 2, 3)")
    parser.add_argument("--sources", default=SOURCES, help="LOSO sources; '' for none")
    parser.add_argument(
        "--cnn-skip", default="", help="source families the CNN does not train on, e.g. disguised"
    )
    parser.add_argument(
        "--cnn-weights",
        type=lambda text: [float(w) for w in text.split(",") if w],
        default=[],
        help="also stack the linear logit plus W times the CNN's, for each W (comma-separated)",
    )
    parser.add_argument("--resamples", type=int, default=100)
    parser.add_argument("--limit", type=int, default=600, help="rows per external set at most")
    parser.add_argument(
        "--latency-only", action="store_true", help="time the numpy forward pass (1 epoch)"
    )
    parser.add_argument("--explain", metavar="SOURCE", help="why the CNN ranks SOURCE as it does")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--markdown", type=Path, help="render a results JSON and exit")
    args = parser.parse_args()
    if rendered_or_missing_data(args, markdown):
        return
    started = time.perf_counter()
    data = assemble_training_data(args.data_dir, seed=0, disguiser=AttackDisguiser())
    texts = [e.text for e in data.for_task("harm")]
    matrix = TextFeaturizer(FEATURES).transform(texts)
    seqs = pieces_of(texts)
    log(f"{len(texts)} harm examples featurized after {time.perf_counter() - started:.0f} s")
    out: dict = {
        "config": {"epochs": args.epochs, "filters": args.width, "cnn_skip": args.cnn_skip}
    }
    if args.explain:
        print(json.dumps(explain(args, data, args.explain), indent=2, ensure_ascii=False))
        return
    if args.latency_only:
        print(json.dumps(latency(data), indent=2))
        return
    out["external"] = external(args, data, matrix, seqs)
    log(f"external done after {time.perf_counter() - started:.0f} s")
    emit_partial(out, args.json)
    out["loso"] = loso(args, data, matrix, seqs) if args.sources else []
    emit_partial(out, args.json)
    print(json.dumps(out, indent=2))


def emit_partial(out: dict, path: Path | None) -> None:
    if path:
        path.write_text(json.dumps(out, indent=2) + "\n")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def markdown(out: dict) -> str:
    """External and LOSO tables, one column per kind, for docs/benchmarks.md."""
    ext = out["external"]
    shown = [k for k in ext if k != "stack_fit_weights"]
    names = [{"linear": "linear (shipped recipe)", "cnn": "CNN"}.get(k, k) for k in shown]
    lines = [
        "| set (never trained on) | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(shown),
    ]
    for name, first in ext["linear"].items():
        if name == "cut":
            continue
        cells = []
        for kind in shown:
            e = ext[kind][name]
            if "auprc" in e:
                lo, hi = e["auprc_ci95"]
                cells.append(f"{e['auprc']:.3f} [{lo:.3f}, {hi:.3f}]")
            else:
                lo, hi = e["ci95"]
                cells.append(f"{e['flagged']:.1%} [{lo:.1%}, {hi:.1%}]")
        what = "AUPRC" if "auprc" in first else "flagged at the cut"
        lines.append(f"| {name} ({first['n']}), {what} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "| held-out source (rows, positives) | metric | " + " | ".join(names) + " |",
        "|---|---|" + "---|" * len(shown),
    ]
    for entry in out["loso"]:
        head = f"{entry['held_out']} ({entry['test_rows']}, {entry['test_positives']})"
        for metric in ("auprc", "recall_at_1pct_fpr", "fpr_at_cut"):
            cells = []
            for kind in shown:
                value = entry[kind].get(metric)
                ci = entry[kind]["ci95"].get(metric)
                interval = f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else ""
                cells.append("-" if value is None else f"{value:.3f}{interval}")
            lines.append(f"| {head} | {metric} | " + " | ".join(cells) + " |")
            head = ""
    return "\n".join(lines)


if __name__ == "__main__":
    main()
