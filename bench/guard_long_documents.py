"""Long benign documents and the injection head (issue 10): diagnosis only.

    OMP_NUM_THREADS=1 python bench/guard_long_documents.py [--data-dir ../shared/data]
        [--limit 600] [--copies 3] [--show 10] [--json OUT]

The long benign documents are those of ``bench/guard_failure_cases.py``: BIPIA
tables, ``--limit`` drawn with seed 7, kept when >= 500 characters; the held-out
third is ``public_sources.bipia_measurement_only``, the rest is "training side"
(tables training may read). The injection head scores a text longer than its
``window_chars`` in half-overlapping windows and keeps the maximum; the guard's
``injection.direct`` score is max(phrase rules, model), blocked at the
production input cut-off. This script reproduces that decision from per-window
scores (and checks it against ``Guard.default()``), then shows:

1. block rate and score by number of windows, which window carries the maximum,
   and (``--show``) the text of that window for the first blocked tables;
2. variants scored on the same windows: the maximum at the production cut
   (shipped), the second-highest window, the mean of the top two, and the
   maximum with a cut raised per window-count bin so that training-side tables
   of that bin are flagged no more often than one-window ones. Each variant:
   benign tables blocked (all / held out, 95% Wilson) and recall on injected long
   documents at the same cut. Injected documents: every InjecAgent attacker
   instruction and every BIPIA attack instruction, each inserted at a seeded
   random line break of ``--copies`` held-out tables. Those instructions were in
   the injection head's training data (in other contexts), so recall is an upper
   bound; what matters here is how much each variant loses against the shipped one.
3. the ranking of the maximum, whatever the cut-off: recall on the injected
   documents at the cut that flags at most 2, 3, 5 or 8% of the held-out tables,
   so that two heads with different production cut-offs compare.

Nothing here changes the shipped guard.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
from guard_failure_cases import long_bipia_tables

from redline.classifiers.classifier import load_classifier
from redline.classifiers.public_sources import bipia_measurement_only
from redline.guard import Guard
from redline.guard.classifier_scores import ClassifierScores
from redline.guard.injection import RULES_BY_CATEGORY
from redline.guard.phrase_rules import match_rules
from redline.stats.intervals import wilson_interval

# Window-count bins for the length-aware cut: few tables have many windows, so
# counts are pooled (1, 2-3, 4-6, 7+).
BINS = ((1, 1), (2, 3), (4, 6), (7, 10**6))


def bin_of(k: int) -> str:
    lo, hi = next(b for b in BINS if b[0] <= k <= b[1])
    return str(lo) if lo == hi else (f"{lo}+" if hi > 10**5 else f"{lo}-{hi}")


def rate(k: int, n: int) -> str:
    iv = wilson_interval(k, n)
    if not n:
        return "n=0"
    return f"{k}/{n} = {k / n:.1%} [{iv.low:.1%}, {iv.high:.1%}]"


def attack_instructions(data: Path) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name in ("attacker_cases_dh.jsonl", "attacker_cases_ds.jsonl"):
        for line in (data / "injecagent" / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(("injecagent", json.loads(line)["Attacker Instruction"]))
    for name in ("text_attack_train.json", "code_attack_train.json"):
        for items in json.loads((data / "bipia" / name).read_text()).values():
            out.extend(("bipia", text) for text in items)
    return out


def injected_documents(
    tables: list[str], instructions: list[tuple[str, str]], copies: int
) -> list[tuple[str, str]]:
    """Each instruction on its own line at a random line break of ``copies`` tables."""
    rng = random.Random("longdocs-injected")
    docs = []
    for source, text in instructions:
        for table in rng.sample(tables, copies):
            lines = table.split("\n")
            at = rng.randint(0, len(lines))
            docs.append((source, "\n".join([*lines[:at], text, *lines[at:]])))
    return docs


class WindowScores:
    """Per-window model probabilities and the phrase-rule score of each text, read
    from the guard's normalised view of it (what its injection scanner reads)."""

    def __init__(self, guard: Guard) -> None:
        self.guard = guard
        self.clf = load_classifier("injection")
        self.cut = ClassifierScores(
            self.clf, combined="injection", calibration="production"
        ).thresholds()["injection"]

    def score(self, texts: list[str]) -> tuple[list[np.ndarray], np.ndarray]:
        texts = [self.guard.classification_view(t) for t in texts]
        pieces = [self.clf.windows(t) for t in texts]
        flat = self.clf.predict_proba([w for p in pieces for w in p])[:, 0]
        bounds = np.cumsum([0] + [len(p) for p in pieces])
        windows = [flat[a:b] for a, b in itertools.pairwise(bounds)]
        rules = np.array(
            [match_rules(RULES_BY_CATEGORY["direct"], t, category="direct").score for t in texts]
        )
        return windows, rules


def top(w: np.ndarray, rank: int) -> float:
    s = np.sort(w)[::-1]
    return float(s[min(rank, len(s) - 1)])


REDUCERS = {
    "max (shipped)": lambda w: float(w.max()),
    "second-highest window": lambda w: top(w, 1),
    "mean of top 2": lambda w: (top(w, 0) + top(w, 1)) / 2,
}


def length_cuts(windows: list[np.ndarray], train: list[bool], cut: float) -> dict[str, float]:
    """Per bin, the lowest cut >= ``cut`` flagging training-side tables of the bin no
    more often than the one-window training-side tables are flagged at ``cut``."""
    maxima = np.array([w.max() for w in windows])
    bins = np.array([bin_of(len(w)) for w in windows])
    one = maxima[(bins == "1") & np.array(train)]
    target = float((one >= cut).mean()) if len(one) else 0.0
    cuts = {}
    for name in dict.fromkeys(bin_of(b[0]) for b in BINS):
        m = maxima[(bins == name) & np.array(train)]
        cuts[name] = flat_cut(m, cut, target)
    return cuts


def position(at: int, count: int) -> str:
    if count == 1:
        return "only"
    return "first" if at == 0 else "last" if at == count - 1 else "middle"


def flat_cut(maxima: np.ndarray, cut: float, share: float) -> float:
    """The lowest cut >= ``cut`` flagging at most ``share`` of ``maxima``."""
    m = np.sort(maxima)
    allowed = int(np.floor(share * len(m)))
    if (m >= cut).sum() <= allowed:
        return cut
    return float(np.nextafter(m[len(m) - allowed - 1], 1.0))


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    ap.add_argument("--limit", type=int, default=600, help="tables drawn (as guard_failure_cases)")
    ap.add_argument("--copies", type=int, default=3, help="held-out tables per attack instruction")
    ap.add_argument("--show", type=int, default=10, help="blocked tables whose max window to print")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    data = args.data_dir
    needed = [data / "bipia/table/train.jsonl", data / "injecagent/attacker_cases_dh.jsonl"]
    missing = [str(p) for p in needed if not p.exists()]
    if missing:
        sys.exit(
            f"guard_long_documents: data not found: {', '.join(missing)} "
            "(pass --data-dir pointing at the shared data sets)"
        )

    docs = long_bipia_tables(data, args.limit)
    texts = [t for _i, t in docs]
    held = [bipia_measurement_only("table", i) for i, _t in docs]
    train = [not h for h in held]
    guard = Guard.default()
    scorer = WindowScores(guard)
    cut = scorer.cut
    windows, rules = scorer.score(texts)
    maxima = np.array([w.max() for w in windows])
    blocked = (maxima >= cut) | (rules >= 0.5)

    # The reconstruction must be the guard's own decision, or nothing below holds.
    verdicts = guard.check_batch(texts, side="input")
    by_guard = np.array(
        [
            any(
                f.action == "block" and f.scanner == "injection" and f.category == "direct"
                for f in v.findings
            )
            for v in verdicts
        ]
    )
    out: dict[str, Any] = {
        "cut": cut,
        "window_chars": scorer.clf.window_chars,
        "tables": len(texts),
        "held_out": int(sum(held)),
        "agrees_with_guard": int((by_guard == blocked).sum()),
        "disagree": [
            {"table": i, "guard": bool(g), "here": bool(b), "max": float(w.max())}
            for (i, _t), g, b, w in zip(docs, by_guard, blocked, windows, strict=True)
            if g != b
        ],
        "blocked_by_rules": int((rules >= 0.5).sum()),
    }
    print(
        f"production input cut {cut:.4f}, window {scorer.clf.window_chars} chars; "
        f"{len(texts)} tables ({sum(held)} held out); reconstruction agrees with "
        f"Guard.default() on {out['agrees_with_guard']}/{len(texts)}; "
        f"rules alone block {out['blocked_by_rules']}"
    )

    print("\n1. by number of windows (benign tables; raw model max, cut as above)")
    print("| windows | tables | blocked (all) | blocked (held out) | median max | p90 max |")
    print("|---|---|---|---|---|---|")
    out["by_windows"] = {}
    hold = np.array(held)
    for lo, _hi in BINS:
        name = bin_of(lo)
        sel = np.array([bin_of(len(w)) == name for w in windows])
        row = {
            "n": int(sel.sum()),
            "blocked": int(blocked[sel].sum()),
            "held_n": int((sel & hold).sum()),
            "held_blocked": int(blocked[sel & hold].sum()),
        }
        out["by_windows"][name] = row
        q = np.percentile(maxima[sel], [50, 90]) if sel.any() else [float("nan")] * 2
        print(
            f"| {name} | {row['n']} | {rate(row['blocked'], row['n'])} | "
            f"{rate(row['held_blocked'], row['held_n'])} | {q[0]:.3f} | {q[1]:.3f} |"
        )

    where = {"first": 0, "last": 0, "middle": 0, "only": 0}
    shown = 0
    print(f"\nmax-carrying window of blocked tables (first {args.show} shown):", file=sys.stderr)
    for (i, _t), w, text, b in zip(docs, windows, texts, blocked, strict=True):
        if not b:
            continue
        at = int(w.argmax())
        where[position(at, len(w))] += 1
        if shown < args.show:
            shown += 1
            piece = scorer.clf.windows(guard.classification_view(text))[at]
            side = "held out" if bipia_measurement_only("table", i) else "train side"
            print(
                f"\n--- table {i} ({side}),"
                f" window {at + 1}/{len(w)}, score {w[at]:.3f}, 2nd {top(w, 1):.3f}\n{piece}",
                file=sys.stderr,
            )
    out["max_window_position"] = where
    print(f"\nposition of the max window in blocked tables: {where}")

    instructions = attack_instructions(data)
    held_tables = [t for t, h in zip(texts, held, strict=True) if h]
    injected = injected_documents(held_tables, instructions, args.copies)
    inj_windows, inj_rules = scorer.score([t for _s, t in injected])
    sources = np.array([s for s, _t in injected])

    cuts = length_cuts(windows, train, cut)
    out["length_cuts"] = cuts
    variants: dict[str, tuple[Any, Any]] = {
        name: (f, lambda w: cut) for name, f in REDUCERS.items()
    }
    variants["max, cut per window bin"] = (
        REDUCERS["max (shipped)"],
        lambda w: cuts[bin_of(len(w))],
    )
    # Not length-aware: one cut for every text of >= 500 characters, the lowest
    # flagging at most 3% of the training-side tables (the target).
    long_cut = flat_cut(maxima[np.array(train)], cut, 0.03)
    out["long_text_cut_3pct"] = long_cut
    variants[f"max, cut {long_cut:.3f} for texts >= 500 chars"] = (
        REDUCERS["max (shipped)"],
        lambda w: long_cut,
    )
    print(
        f"\n2. variants (length-aware cuts from training-side tables: "
        f"{ {k: round(v, 4) for k, v in cuts.items()} })"
    )
    print(
        f"benign: {len(texts)} tables, {sum(held)} held out; injected: {len(injected)} "
        f"({(sources == 'injecagent').sum()} InjecAgent, {(sources == 'bipia').sum()} BIPIA "
        f"instructions in held-out tables)"
    )
    print(
        "| variant | benign blocked (all) | benign blocked (held out) | injected caught "
        "| InjecAgent | BIPIA |"
    )
    print("|---|---|---|---|---|---|")
    out["variants"] = {}
    for name, (reduce, cut_of) in variants.items():
        flag = np.array([reduce(w) >= cut_of(w) for w in windows]) | (rules >= 0.5)
        caught = np.array([reduce(w) >= cut_of(w) for w in inj_windows]) | (inj_rules >= 0.5)
        row = {
            "benign": [int(flag.sum()), len(flag)],
            "benign_held_out": [int(flag[hold].sum()), int(hold.sum())],
            "injected": [int(caught.sum()), len(caught)],
        }
        for s in ("injecagent", "bipia"):
            row[s] = [int(caught[sources == s].sum()), int((sources == s).sum())]
        out["variants"][name] = row
        print(
            f"| {name} | {rate(*row['benign'])} | {rate(*row['benign_held_out'])} | "
            f"{rate(*row['injected'])} | {rate(*row['injecagent'])} | {rate(*row['bipia'])} |"
        )

    # A ranking, not a cut: at the cut that flags at most a given share of the
    # held-out tables, how many injected documents the maximum still catches. Two
    # heads compare here even when their production cut-offs differ.
    held_maxima = maxima[hold]
    inj_maxima = np.array([w.max() for w in inj_windows])
    print("\n3. the maximum's ranking: recall on injected documents at a held-out-table rate")
    print("| held-out tables flagged at most | cut | injected caught |\n|---|---|---|")
    out["ranking"] = {}
    for share in (0.02, 0.03, 0.05, 0.08):
        at = flat_cut(held_maxima, 0.0, share)
        caught = int(((inj_maxima >= at) | (inj_rules >= 0.5)).sum())
        out["ranking"][f"{share:.0%}"] = {"cut": at, "injected": [caught, len(inj_maxima)]}
        print(f"| {share:.0%} | {at:.4f} | {rate(caught, len(inj_maxima))} |")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
