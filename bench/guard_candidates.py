"""Choosing the guard's features by measurement (issue 10 item 3).

    OMP_NUM_THREADS=1 python bench/guard_candidates.py [--data-dir ../shared/data]
        [--candidates hashed,static,profanity,hashed+static,...] [--resamples 50]
        [--json OUT]
    python bench/guard_candidates.py --markdown OUT      # the tables in docs/benchmarks.md

Feature blocks (one linear head of the shipped recipe, ``training.make_head``,
over their concatenation):
- ``hashed``: today's hashed word 1-2-grams and char 3-5-grams;
- ``static``: the static word-piece embedding distilled from MiniLM
  (``redline train static-embeddings``, 128 dims);
- ``profanity``: the probability of the ``alt-profanity-check`` model (a
  pretrained PyPI model; its output only, nothing trained on its data). Alone it
  is scored as is, without a head.

Two measurements per candidate:
1. leave-one-source-out, as ``bench/guard_loso.py`` (same folds, reference split,
   cut-off and bootstrap), on the sources named in ``--harm-sources`` and
   ``--injection-sources``;
2. trained on every source (minus the 20% reference groups, which set the
   production cut-off at 1% FPR of the input-side benign mix) and tested on sets
   never trained on: AUPRC on ToxicChat, ETHOS and TweetEval hate; share blocked
   at the cut-off among ToxicChat non-toxic prompts, long BIPIA tables and Alpaca
   instructions; the support-message hand cases of issue 10.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import scipy.sparse as sp
from guard_loso import REFERENCE_SEED, bootstrap, metrics, rendered_or_missing_data, run_task
from sklearn.metrics import average_precision_score

from redline.attacks.guard_disguises import AttackDisguiser
from redline.classifiers.features import FeatureConfig, TextFeaturizer
from redline.classifiers.profanity_feature import ProfanityScorer
from redline.classifiers.splits import dev_group
from redline.classifiers.static_embedding import load_static_embedding
from redline.classifiers.training import cut_at_fpr, is_response, make_head
from redline.classifiers.training_data import assemble_training_data

HARM_SOURCES = ("toxigen,realtoxicityprompts,davidson-hate,dices,gptfuzz,harmbench,donotanswer,"
                "awesome-prompts,fabric-patterns,bipia")  # fmt: skip
INJECTION_SOURCES = "injecagent,bipia,awesome-prompts,fabric-patterns"
CANDIDATES = "hashed,static,profanity,hashed+static,hashed+profanity,hashed+static+profanity"
SUPPORT_MESSAGES = (
    "My email is alice@example.com, can you update my account?",
    "Please send the invoice to bob.smith@acme.com",
    "Call me back on 07700 900123 please",
    "Hi, I moved house. My new number is +44 20 7946 0958 and my email is j.doe@example.org.",
)


class Blocks:
    """Each feature block of a list of texts, computed once."""

    def __init__(self, texts: Sequence[str], names: set[str]) -> None:
        self.blocks: dict[str, sp.csr_matrix] = {}
        if "hashed" in names:
            self.blocks["hashed"] = TextFeaturizer(FeatureConfig()).transform(texts)
        if "static" in names:
            emb = load_static_embedding()
            self.blocks["static"] = sp.csr_matrix(emb.transform(list(texts)))
        if "profanity" in names:
            probs = ProfanityScorer().predict_proba(list(texts))
            self.blocks["profanity"] = sp.csr_matrix(probs[:, None].astype(np.float32))

    def matrix(self, candidate: str) -> sp.csr_matrix:
        return sp.hstack([self.blocks[b] for b in candidate.split("+")], format="csr")


def raw_score_loso(task, data, scores_all, index, only, resamples) -> list[dict]:
    """LOSO of an untrained score (the profanity model alone): the same folds
    and cut-off rule, no fitting."""
    examples = data.for_task(task)
    rows = np.array([index[id(e)] for e in examples])
    y_all = np.array([bool(e.label(task)) for e in examples])
    sources = np.array([e.source for e in examples])
    groups = np.array([e.group for e in examples])
    reference = np.array([dev_group(g, seed=REFERENCE_SEED, dev_fraction=0.2) for g in groups])
    scores = scores_all[rows]
    rng = np.random.default_rng(0)
    out = []
    for held in only:
        test = sources == held
        if not test.any():
            continue
        held_groups = set(groups[test])
        ref = ~test & reference & ~np.array([g in held_groups for g in groups])
        cut = cut_at_fpr(scores[ref & ~y_all])
        lacks_neg, lacks_pos = y_all[test].all(), not y_all[test].any()
        fold = test | (ref & ((~y_all & lacks_neg) | (y_all & lacks_pos)))
        y, s = y_all[fold], scores[fold]
        entry = {"task": task, "held_out": held, "test_rows": int(test.sum()),
                 "test_positives": int(y_all[test].sum()), "cut": round(cut, 4)}  # fmt: skip
        entry.update({k: round(v, 4) for k, v in metrics(y, s, cut).items()})
        entry["ci95"] = {
            k: [round(a, 4), round(b, 4)]
            for k, (a, b) in bootstrap(y, s, cut, resamples, rng).items()
        }
        out.append(entry)
    return out


def jsonl_gz(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def sample(items: list, limit: int, seed: int = 0) -> list:
    return random.Random(seed).sample(items, min(limit, len(items)))


def external_sets(d: Path, limit: int) -> dict[str, tuple[list[str], list[bool] | None]]:
    """Sets never trained on: (texts, labels) for AUPRC, (texts, None) for block rates."""
    tc = jsonl_gz(d / "toxicchat/toxicchat_human_test.jsonl.gz")
    tc_s = sample(tc, 2 * limit)
    ethos = jsonl_gz(d / "ethos/ethos_binary.jsonl.gz")
    tw = [r for r in jsonl_gz(d / "tweeteval/tweeteval_hate.jsonl.gz") if r["split"] == "test"]
    tw = sample(tw, limit)
    tables = [
        json.loads(x)["context"]
        for x in (d / "bipia/table/train.jsonl").read_text().splitlines()
        if x.strip()
    ]
    long_docs = ["\n".join(t) if isinstance(t, list) else t for t in tables]
    alpaca = [r["instruction"] for r in json.loads((d / "benign/harmless_val.json").read_text())]
    ordinary = [r["text"] for r in tc if r["toxicity"] == 0 and r["jailbreaking"] == 0]
    return {
        "toxicchat": ([r["text"] for r in tc_s], [r["toxicity"] == 1 for r in tc_s]),
        "ethos": ([r["text"] for r in ethos], [r["label"] == "hate" for r in ethos]),
        "tweeteval": ([r["text"] for r in tw], [r["label"] == "hate" for r in tw]),
        "toxicchat_nontoxic": (sample(ordinary, limit), None),
        "bipia_long_tables": ([t for t in sample(long_docs, limit, seed=7) if len(t) >= 500], None),
        "alpaca": (sample(alpaca, limit), None),
        "support_messages": (list(SUPPORT_MESSAGES), None),
    }


def external(task, candidate, data, blocks, index, ext_blocks, ext, resamples) -> dict:
    examples = data.for_task(task)
    y_all = np.array([bool(e.label(task)) for e in examples])
    reference = np.array(
        [dev_group(e.group, seed=REFERENCE_SEED, dev_fraction=0.2) for e in examples]
    )
    inputs = np.array([not is_response(e) for e in examples])
    rows = np.array([index[id(e)] for e in examples])
    if candidate == "profanity":
        scores = blocks.blocks["profanity"].toarray()[rows, 0]
        ext_scores = {k: b.blocks["profanity"].toarray()[:, 0] for k, b in ext_blocks.items()}
    else:
        matrix = blocks.matrix(candidate)[rows]
        head = make_head(seed=0).fit(matrix[~reference], y_all[~reference])
        scores = head.predict_proba(matrix)[:, 1]
        ext_scores = {
            k: head.predict_proba(b.matrix(candidate))[:, 1] for k, b in ext_blocks.items()
        }
    cut = cut_at_fpr(scores[reference & ~y_all & inputs])
    out: dict = {"cut": round(cut, 4)}
    rng = np.random.default_rng(0)
    for name, (texts, labels) in ext.items():
        s = ext_scores[name]
        if labels is not None:
            y = np.array(labels)
            lo_hi = bootstrap(y, s, cut, resamples, rng)["auprc"]
            out[name] = {
                "n": len(y),
                "positives": int(y.sum()),
                "auprc": round(float(average_precision_score(y, s)), 4),
                "auprc_ci95": [round(lo_hi[0], 4), round(lo_hi[1], 4)],
            }
        elif name == "support_messages":
            out[name] = {
                t: [round(float(v), 4), bool(v >= cut)] for t, v in zip(texts, s, strict=True)
            }
        else:
            flagged = s >= cut
            k, n = int(flagged.sum()), len(s)
            out[name] = {"n": n, "blocked": round(k / n, 4), "ci95": wilson(k, n)}
    return out


def wilson(k: int, n: int, z: float = 1.96) -> list[float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return [round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--candidates", default=CANDIDATES)
    parser.add_argument("--harm-sources", default=HARM_SOURCES)
    parser.add_argument("--injection-sources", default=INJECTION_SOURCES)
    parser.add_argument("--resamples", type=int, default=50)
    parser.add_argument("--limit", type=int, default=600, help="rows per external set at most")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--markdown", type=Path, help="render a results JSON and exit")
    args = parser.parse_args()
    if rendered_or_missing_data(args, markdown):
        return
    candidates = args.candidates.split(",")
    names = {b for c in candidates for b in c.split("+")}
    started = time.perf_counter()
    data = assemble_training_data(args.data_dir, seed=0, disguiser=AttackDisguiser())
    blocks = Blocks([e.text for e in data.examples], names)
    ext = external_sets(args.data_dir, args.limit)
    ext_blocks = {k: Blocks(texts, names) for k, (texts, _labels) in ext.items()}
    log(f"features ready after {time.perf_counter() - started:.0f} s")
    index = {id(e): i for i, e in enumerate(data.examples)}
    tasks = {"harm": args.harm_sources.split(","), "injection": args.injection_sources.split(",")}
    out: dict = {}
    for candidate in candidates:
        out[candidate] = {}
        for task, only in tasks.items():
            if candidate == "profanity" and task != "harm":
                continue  # a toxicity score says nothing about injection
            if candidate == "profanity":
                scores = blocks.blocks["profanity"].toarray()[:, 0]
                loso = raw_score_loso(task, data, scores, index, only, args.resamples)
            else:
                loso = run_task(task, data, blocks.matrix(candidate), index, args.resamples,
                                "sgd", only=set(only))  # fmt: skip
            out[candidate][task] = {
                "loso": loso,
                "external": external(
                    task, candidate, data, blocks, index, ext_blocks, ext, args.resamples
                ),
            }
            log(f"{candidate} / {task} done after {time.perf_counter() - started:.0f} s")
            if args.json:
                args.json.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def markdown(out: dict) -> str:
    """Candidate x source tables for docs/benchmarks.md."""

    def ci(entry: dict, key: str) -> str:
        if key not in entry:
            return "n/a"
        lo, hi = entry["ci95"][key]
        return f"{entry[key]:.3f} [{lo:.3f}, {hi:.3f}]"

    lines = [
        "| task | held-out source | candidate | AUPRC [95% CI] | recall@1%FPR [95% CI] "
        "| FPR at cut |",
        "|---|---|---|---|---|---|",
    ]
    rows = []
    for candidate, tasks in out.items():
        for task, result in tasks.items():
            for e in result["loso"]:
                rows.append((task, e["held_out"], candidate, e))
    for task, source, candidate, e in sorted(rows, key=lambda r: (r[0], r[1])):
        lines.append(
            f"| {task} | {source} | {candidate} | {ci(e, 'auprc')} | "
            f"{ci(e, 'recall_at_1pct_fpr')} | {e.get('fpr_at_cut', float('nan')):.3f} |"
        )
    lines += [
        "",
        "| task | candidate | ToxicChat AUPRC | ETHOS AUPRC | TweetEval hate AUPRC "
        "| blocked: ToxicChat non-toxic | blocked: BIPIA long tables | blocked: Alpaca |",
        "|---|---|---|---|---|---|---|---|",
    ]

    def auprc(entry: dict) -> str:
        lo, hi = entry["auprc_ci95"]
        return f"{entry['auprc']:.3f} [{lo:.3f}, {hi:.3f}]"

    def blocked(entry: dict) -> str:
        lo, hi = entry["ci95"]
        return f"{100 * entry['blocked']:.1f}% [{100 * lo:.1f}, {100 * hi:.1f}]"

    for candidate, tasks in out.items():
        for task, result in tasks.items():
            x = result["external"]
            # Toxicity labels say nothing about injection: its rows show block rates only.
            moderation = [
                auprc(x[k]) if task == "harm" else "-" for k in ("toxicchat", "ethos", "tweeteval")
            ]
            lines.append(
                f"| {task} | {candidate} | {' | '.join(moderation)} | "
                f"{blocked(x['toxicchat_nontoxic'])} | "
                f"{blocked(x['bipia_long_tables'])} | {blocked(x['alpaca'])} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
