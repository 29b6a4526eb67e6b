"""Leave-one-source-out validation of the guard classifiers' training recipe.

    OMP_NUM_THREADS=1 python bench/guard_loso.py [--data-dir ../shared/data]
        [--tasks harm,jailbreak,injection] [--resamples 200] [--json OUT]
        [--sources toxigen,bipia,...]   # a reduced run: these held-out sources only

For every source of a task's training data (each public set, our written and
generated examples, and the attack-library disguises as one family), a head is
trained on every other source, with the same features (``--features``), solver and C as
``redline train guard``, and tested on the held-out source. Examples sharing a
group with the held-out source are dropped from training, so near-copies never
leak. A fixed 20% group split of the other sources is kept out of every fold's
training: it supplies the class the held-out source lacks (most sources are all
positive or all negative) and the benign mix the production cut-off is set on
(at most 1% of it flagged with every source weighing the same, as in training:
``training.cut_at_balanced_fpr``).

Reported per fold, with 95% bootstrap intervals over test rows: AUPRC, recall at
1% FPR (on the fold's test negatives), and at the production cut-off F1 and the
false-positive rate. This is the proxy for traffic nobody has seen.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_curve

from redline.attacks.guard_disguises import AttackDisguiser
from redline.classifiers.features import TextFeaturizer
from redline.classifiers.labelled import SOURCE_PREFIX
from redline.classifiers.splits import dev_group
from redline.classifiers.training import (
    DEFAULT_FEATURES,
    cut_at_balanced_fpr,
    mix_source,
    parse_features,
)
from redline.classifiers.training import make_head as shipped_head
from redline.classifiers.training_data import assemble_training_data, is_role_twin

REFERENCE_SEED = 1
MIN_SOURCE_ROWS = 20


# Role-prompt twins are training aids, not traffic: never a held-out source (they
# leave training with their prompt's groups when its source is held out).
TWINS = "role-twins"


def family(source: str) -> str:
    """Disguises are held out together: a fold with no disguise seen at all."""
    if is_role_twin(source):
        return TWINS
    return "disguised" if source.startswith(SOURCE_PREFIX) else source


def recall_at_fpr(y: np.ndarray, s: np.ndarray, fpr_cap: float = 0.01) -> float:
    fpr, tpr, _ = roc_curve(y, s)
    ok = fpr <= fpr_cap
    return float(tpr[ok].max()) if ok.any() else 0.0


def f1_at(y: np.ndarray, s: np.ndarray, cut: float) -> tuple[float, float]:
    flagged = s >= cut
    tp = int((flagged & y).sum())
    fp = int((flagged & ~y).sum())
    fn = int((~flagged & y).sum())
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    fpr = fp / int((~y).sum()) if (~y).any() else float("nan")
    return f1, fpr


def metrics(y: np.ndarray, s: np.ndarray, cut: float) -> dict[str, float]:
    f1, fpr = f1_at(y, s, cut)
    return {
        "auprc": float(average_precision_score(y, s)),
        "recall_at_1pct_fpr": recall_at_fpr(y, s),
        "f1_at_cut": f1,
        "fpr_at_cut": fpr,
        "recall_at_cut": float((s[y] >= cut).mean()),
    }


def bootstrap(
    y: np.ndarray, s: np.ndarray, cut: float, resamples: int, rng: np.random.Generator
) -> dict[str, list[float]]:
    draws = defaultdict(list)
    pos, neg = np.flatnonzero(y), np.flatnonzero(~y)
    for _ in range(resamples):
        # Stratified: each resample keeps the fold's class balance.
        idx = np.concatenate([rng.choice(pos, len(pos)), rng.choice(neg, len(neg))])
        for key, value in metrics(y[idx], s[idx], cut).items():
            draws[key].append(value)
    return {
        k: [float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))] for k, v in draws.items()
    }


def make_head(solver: str, seed: int = 0):
    """The shipped recipe's head (``sgd``: ``redline.classifiers.training.make_head``),
    or the previous recipe's liblinear logistic regression for comparison."""
    if solver == "liblinear":
        return LogisticRegression(
            C=16.0, class_weight="balanced", solver="liblinear", max_iter=200, random_state=seed
        )
    return shipped_head(seed=seed)


def run_task(
    task: str,
    data,
    matrix,
    index: dict[int, int],
    resamples: int,
    solver: str,
    only: set[str] | None = None,
) -> list[dict]:
    examples = data.for_task(task)
    rows = np.array([index[id(e)] for e in examples])
    y_all = np.array([bool(e.label(task)) for e in examples])
    families = np.array([family(e.source) for e in examples])
    groups = np.array([e.group for e in examples])
    reference = np.array(
        [dev_group(g, seed=REFERENCE_SEED, dev_fraction=0.2) for g in groups], dtype=bool
    )
    rng = np.random.default_rng(0)
    results = []
    for held in sorted(set(families)):
        test = families == held
        if held == TWINS or test.sum() < MIN_SOURCE_ROWS or (only is not None and held not in only):
            continue
        held_groups = set(groups[test])
        in_held_group = np.array([g in held_groups for g in groups])
        train = ~test & ~in_held_group & ~reference
        ref = ~test & reference & ~in_held_group
        if y_all[train].all() or not y_all[train].any():
            continue
        start = time.perf_counter()
        head = make_head(solver)
        head.fit(matrix[rows[train]], y_all[train])
        scores = head.predict_proba(matrix[rows])[:, 1]
        mix = ref & ~y_all
        cut = cut_at_balanced_fpr(
            scores[mix], [mix_source(examples[i]) for i in np.nonzero(mix)[0]]
        )
        # The held-out source, plus reference rows of the class it lacks.
        lacks_neg, lacks_pos = y_all[test].all(), not y_all[test].any()
        fold = test | (ref & ((~y_all & lacks_neg) | (y_all & lacks_pos)))
        y, s = y_all[fold], scores[fold]
        entry = {
            "task": task,
            "held_out": held,
            "test_rows": int(test.sum()),
            "test_positives": int(y_all[test].sum()),
            "added_reference_rows": int(fold.sum() - test.sum()),
            "train_rows": int(train.sum()),
            "cut": round(cut, 4),
            "fit_s": round(time.perf_counter() - start, 1),
        }
        if lacks_neg or lacks_pos or (y.any() and (~y).any()):
            entry.update({k: round(v, 4) for k, v in metrics(y, s, cut).items()})
            entry["ci95"] = {
                k: [round(a, 4), round(b, 4)]
                for k, (a, b) in bootstrap(y, s, cut, resamples, rng).items()
            }
        if held == "disguised":
            entry["by_converter"] = {
                e.source.removeprefix(SOURCE_PREFIX): None
                for e in examples
                if e.source.startswith(SOURCE_PREFIX)
            }
            for name in entry["by_converter"]:
                mask = np.array([e.source == SOURCE_PREFIX + name for e in examples]) & y_all
                entry["by_converter"][name] = {
                    "positives": int(mask.sum()),
                    "recall_at_cut": round(float((scores[mask] >= cut).mean()), 4)
                    if mask.any()
                    else None,
                }
        results.append(entry)
        print(
            json.dumps({k: v for k, v in entry.items() if k not in ("ci95", "by_converter")}),
            file=sys.stderr,
            flush=True,
        )
    return results


def markdown(out: dict) -> str:
    """The results as the table in docs/benchmarks.md."""
    lines = [
        "| task | held-out source | rows (pos) | AUPRC [95% CI] | recall@1%FPR [95% CI] "
        "| F1 at cut | FPR at cut |",
        "|---|---|---|---|---|---|---|",
    ]

    def ci(entry: dict, key: str) -> str:
        if key not in entry:
            return "n/a"
        lo, hi = entry["ci95"][key]
        return f"{entry[key]:.3f} [{lo:.3f}, {hi:.3f}]"

    nan = float("nan")
    for task, entries in out.items():
        if task in ("solver", "features"):
            continue
        for e in entries:
            lines.append(
                f"| {task} | {e['held_out']} | {e['test_rows']} ({e['test_positives']}) | "
                f"{ci(e, 'auprc')} | {ci(e, 'recall_at_1pct_fpr')} | "
                f"{e.get('f1_at_cut', nan):.3f} | {e.get('fpr_at_cut', nan):.3f} |"
            )
    for e in out.get("harm", []):
        if "by_converter" in e:
            lines += [
                "",
                "| converter (no disguise in training) | harmful rows | recall at cut |",
                "|---|---|---|",
            ]
            for name, v in sorted(e["by_converter"].items()):
                lines.append(f"| {name} | {v['positives']} | {v['recall_at_cut']} |")
    return "\n".join(lines)


def rendered_or_missing_data(args: argparse.Namespace, render) -> bool:
    """``--markdown FILE``: print the rendered tables and say so (True); otherwise
    exit when ``--data-dir`` is missing."""
    if args.markdown:
        print(render(json.loads(args.markdown.read_text())))
        return True
    if not args.data_dir.is_dir():
        sys.exit(f"{args.data_dir}: not found (the public sets are needed)")
    return False


def emit(out: dict, path: Path | None) -> None:
    """Print the results as JSON, and write them to ``path`` when given."""
    text = json.dumps(out, indent=2)
    if path:
        path.write_text(text + "\n")
    print(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--tasks", default="harm,jailbreak,injection")
    parser.add_argument("--resamples", type=int, default=200)
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--solver", choices=("sgd", "liblinear"), default="sgd")
    parser.add_argument(
        "--features", default=DEFAULT_FEATURES, help="feature blocks, as `redline train guard`"
    )
    parser.add_argument("--markdown", type=Path, help="render a results JSON as a table and exit")
    parser.add_argument(
        "--sources", help="comma-separated held-out sources only (a reduced run; default: all)"
    )
    args = parser.parse_args()
    if rendered_or_missing_data(args, markdown):
        return
    data = assemble_training_data(args.data_dir, seed=0, disguiser=AttackDisguiser())
    featurizer = TextFeaturizer(parse_features(args.features))
    matrix = featurizer.transform([e.text for e in data.examples])
    index = {id(e): i for i, e in enumerate(data.examples)}
    only = set(args.sources.split(",")) if args.sources else None
    out: dict = {"solver": args.solver, "features": args.features}
    out |= {
        task: run_task(task, data, matrix, index, args.resamples, args.solver, only)
        for task in args.tasks.split(",")
    }
    emit(out, args.json)


if __name__ == "__main__":
    main()
