"""The hazard rules of the harm scanner (``redline.detectors.hazard_requests``: requests
to make a dangerous thing, and synthesis routes named by their ingredients): how
often they fire on public sets, and what they change in the default policy.

    OMP_NUM_THREADS=1 python bench/guard_hazard_requests.py [--data-dir ../shared/data] [--json OUT]

1. The rules alone on public sets no guard model or rule was written from: benign
   ones (their false positives, with the first hits printed) and harmful or mixed
   ones (their reach); prompts get both rules, model replies the recipes only, as
   in the guard. ToxicChat and Alpaca are CC-BY-NC, measurement only.
2. The default input policy with the rules on and off (``hazard_rules`` in the harm
   scanner's options) on ``bench/data/hazard_requests_probes.jsonl``: hazard
   requests and benign look-alikes in seven languages, written by us *after* the rule
   (and the rule's exclusions widened once after reading them), so they show what
   the rule does and misses, not a held-out rate.
3. The issue's hand cases, input and output, on and off.
4. The default policy (rules on) on every public set of section 1: texts blocked,
   prompts on the input side, replies on the output side. Run it a second time with
   ``PYTHONPATH`` at another checkout's ``src`` for the figure before a rules change.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from guard_failure_cases import (
    GPTFUZZ,
    HAND_CASES,
    bench_args,
    default_policy_with,
    gptfuzz_replies,
    harm_score,
    harmbench_safe_responses,
    jsonl_gz,
)
from guard_inline_roleplay import tally

from redline.data.bad_lines import BadLines, jsonl_objects
from redline.detectors.hazard_requests import hazard_rules
from redline.guard import Guard
from redline.stats.detection import detection_metrics

ROOT = Path(__file__).resolve().parents[1]
PROBES = ROOT / "bench/data/hazard_requests_probes.jsonl"
LANGUAGES = ("en", "es", "fr", "de", "it", "pt", "th")
# Sets whose every hit is printed (their hits are the rule's false positives).
SHOW_HITS = 12


def _csv_column(path: Path, column: str | int) -> list[str]:
    with path.open(newline="", encoding="utf-8") as fh:
        if isinstance(column, int):
            return [row[column] for row in csv.reader(fh) if row]
        return [row[column] for row in csv.DictReader(fh)]


def dices_replies(data: Path, label: str) -> list[str]:
    """DICES' model replies whose raters' majority gave ``label`` (safe, unsafe)."""
    return [
        r["text"]
        for f in sorted(data.glob("dices/dices_*.jsonl.gz"))
        for r in jsonl_gz(f)
        if r["label"] == label
    ]


def public_sets(data: Path) -> dict[str, tuple[str, Callable[[], list[str]]]]:
    """name -> (kind, loader) of the public sets the rules are run on; a kind ending
    in "reply" is read as a model's output (recipes only, no requests)."""

    def toxicchat(toxic: int) -> list[str]:
        rows = jsonl_gz(data / "toxicchat/toxicchat_human_train.jsonl.gz")
        rows += jsonl_gz(data / "toxicchat/toxicchat_human_test.jsonl.gz")
        return [r["text"] for r in rows if r["toxicity"] == toxic]

    def alpaca() -> list[str]:
        return [
            row["instruction"]
            for name in ("harmless_train.json", "harmless_val.json")
            for row in json.loads((data / "benign" / name).read_text())
        ]

    def mmlu() -> list[str]:
        return [q for f in sorted(data.glob("capability/mmlu/*/*.csv")) for q in _csv_column(f, 0)]

    def cyberseceval(name: str) -> list[str]:
        return [r["mutated_prompt"] for r in json.loads((data / "cyberseceval" / name).read_text())]

    def lines(path: str, field: str) -> list[str]:
        return [json.loads(line)[field] for line in (data / path).read_text().splitlines()]

    def bipia() -> list[str]:
        return [
            str(json.loads(line).get("context", ""))
            for kind in ("email", "code", "table")
            for line in (data / f"bipia/{kind}/train.jsonl").read_text().splitlines()
        ]

    def texts(path: str, field: str = "text") -> Callable[[], list[str]]:
        return lambda: [r[field] for r in jsonl_gz(data / path)]

    return {
        "ToxicChat non-toxic (train + test)": ("benign", lambda: toxicchat(0)),
        "Alpaca instructions": ("benign", alpaca),
        "MMLU questions": ("benign", mmlu),
        "CyberSecEval FRR, English": ("benign", lambda: cyberseceval("mitre_frr.json")),
        "CyberSecEval FRR, 7 languages": (
            "benign",
            lambda: cyberseceval("frr_multilingual_machine_translated.json"),
        ),
        "awesome-prompts roles": (
            "benign",
            texts("awesome-prompts/awesome_chatgpt_prompts.jsonl.gz"),
        ),
        "fabric system prompts": (
            "benign",
            texts("fabric-patterns/fabric_system_prompts.jsonl.gz"),
        ),
        "GSM8K questions": ("benign", lambda: lines("capability/gsm8k_train.jsonl", "question")),
        "BIPIA contexts": ("benign", bipia),
        "Davidson tweets (all labels)": (
            "benign",
            texts("davidson-hate/davidson_labeled_tweets.jsonl.gz"),
        ),
        "ToxicChat toxic (train + test)": ("harmful", lambda: toxicchat(1)),
        "hh-rlhf red-team openers": ("harmful", texts("hh-rlhf/harmless_base_test.jsonl.gz")),
        "AdvBench": ("harmful", lambda: _csv_column(data / "advbench/advbench.csv", "goal")),
        "HarmBench": (
            "harmful",
            lambda: _csv_column(data / "harmbench/harmbench_behaviors_text_all.csv", "Behavior"),
        ),
        "red-instruct": ("harmful", texts("red-instruct/harmful_questions.jsonl.gz")),
        "GPTFuzz replies judged not jailbroken, evaluate split (mostly refusals)": (
            "benign reply",
            lambda: gptfuzz_replies(data, "not_jailbroken"),
        ),
        "HarmBench safe responses": ("benign reply", lambda: harmbench_safe_responses(data)),
        "DICES replies judged safe": ("benign reply", lambda: dices_replies(data, "safe")),
        "GPTFuzz replies judged jailbroken": (
            "harmful reply",
            lambda: gptfuzz_replies(data, "jailbroken", split=None),
        ),
        "GPTFuzz questions": (
            "harmful",
            lambda: sorted({r["prompt"] for r in jsonl_gz(data / GPTFUZZ)}),
        ),
        "CyberSecEval code-interpreter abuse": (
            "harmful",
            lambda: cyberseceval("interpreter.json"),
        ),
    }


def rule_on_public_sets(
    sets: dict[str, tuple[str, Callable[[], list[str]]]],
    find: Callable[[str, bool], list[Any]],
) -> list[dict[str, Any]]:
    """Hits of ``find(text, requests)`` on each set (``requests`` false for replies);
    every hit of a benign set, up to ``SHOW_HITS``, as an example."""
    rows = []
    for name, (kind, load) in sets.items():
        texts = load()
        requests = not kind.endswith("reply")
        hits = [(t, found) for t in texts if (found := find(t, requests))]
        rows.append(
            {
                "set": name,
                "kind": kind,
                "n": len(texts),
                "hits": len(hits),
                "examples": [f"{m[0].describe()}: {t[:120]!r}" for t, m in hits[:SHOW_HITS]]
                if kind.startswith("benign")
                else [],
            }
        )
    return rows


def blocked_on_public_sets(
    guard: Guard, sets: dict[str, tuple[str, Callable[[], list[str]]]]
) -> list[dict[str, Any]]:
    """Texts of each set ``guard`` blocks: prompts as inputs, replies as outputs."""
    rows = []
    for name, (kind, load) in sets.items():
        texts = load()
        side = "output" if kind.endswith("reply") else "input"
        blocked = sum(v.blocked for v in guard.check_batch(texts, side=side))
        rows.append({"set": name, "kind": kind, "n": len(texts), "blocked": blocked})
    return rows


def print_public_sets(rows: list[dict[str, Any]]) -> None:
    print("1. The rules alone on public sets")
    print("| set | kind | texts | hits |\n|---|---|---|---|")
    for row in rows:
        print(f"| {row['set']} | {row['kind']} | {row['n']:,} | {row['hits']} |")
    for row in rows:
        for example in row["examples"]:
            print(f"   {row['set']}: {example}")


def toxicchat_rows(
    guard_variants: dict[str, Guard], data: Path, option: str
) -> list[dict[str, Any]]:
    """The default input policy's variants (``option``'s values) on ToxicChat's
    human-labelled prompts, both splits: harm AUPRC with a stratified bootstrap
    interval, recall at 1% FPR, toxic and non-toxic prompts blocked."""
    rows = []
    for split in ("train", "test"):
        records = jsonl_gz(data / f"toxicchat/toxicchat_human_{split}.jsonl.gz")
        texts = [r["text"] for r in records]
        labels = [int(r["toxicity"]) for r in records]
        for name, guard in guard_variants.items():
            verdicts = guard.check_batch(texts, side="input")
            metrics = detection_metrics(labels, [harm_score(v) for v in verdicts], fprs=(0.01,))
            blocked = [v.blocked for v in verdicts]
            rows.append(
                {
                    "split": split,
                    option: name,
                    "n": len(texts),
                    "toxic": sum(labels),
                    "auprc": round(metrics.auprc.estimate, 4),
                    "auprc_low": round(metrics.auprc.low, 4),
                    "auprc_high": round(metrics.auprc.high, 4),
                    "recall_at_1pct_fpr": round(metrics.recall_at_fpr[0].recall.estimate, 4),
                    "toxic_blocked": sum(b for b, y in zip(blocked, labels, strict=True) if y),
                    "nontoxic_blocked": sum(
                        b for b, y in zip(blocked, labels, strict=True) if not y
                    ),
                }
            )
    return rows


def print_toxicchat_rows(rows: list[dict[str, Any]], option: str) -> None:
    print(
        f"| split | {option} | AUPRC [95% CI] | recall@1%FPR | toxic blocked | "
        "non-toxic blocked |\n|---|---|---|---|---|---|"
    )
    for row in rows:
        negatives = row["n"] - row["toxic"]
        print(
            f"| {row['split']} | {row[option]} | {row['auprc']:.3f} "
            f"[{row['auprc_low']:.3f}, {row['auprc_high']:.3f}] | "
            f"{row['recall_at_1pct_fpr']:.3f} | {row['toxic_blocked']} of {row['toxic']} | "
            f"{row['nontoxic_blocked']} of {negatives} |"
        )


def read_probes(
    path: Path, problem: Callable[[dict[str, Any]], str | None]
) -> list[dict[str, str]]:
    """A probes file's rows: each needs a non-empty text, and ``problem(row)`` says
    what else is wrong with it (None: nothing); FILE:LINE errors for every bad row."""
    bad = BadLines(path)
    probes = []
    for number, row in jsonl_objects(path.read_text(encoding="utf-8").splitlines(), bad):
        wrong = problem(row)
        if wrong is not None:
            bad.add(number, wrong)
        elif not isinstance(row.get("text"), str) or not row["text"].strip():
            bad.add(number, "needs a non-empty text")
        else:
            probes.append(row)
    bad.raise_if_any()
    return probes


def needs_kind(kinds: tuple[str, ...]) -> Callable[[dict[str, Any]], str | None]:
    """A probe-row check for ``read_probes``: the row's ``kind`` is one of ``kinds``."""

    def problem(row: dict[str, Any]) -> str | None:
        return None if row.get("kind") in kinds else f"needs kind in {list(kinds)}"

    return problem


def probe_rows(
    variants: dict[str, Guard], probes: list[dict[str, Any]], kinds: tuple[str, ...]
) -> dict[str, dict[str, Any]]:
    """The default policy's variants on a probes file, blocked per kind, English and
    the other languages apart (a table), then every probe's actions in variant order."""
    names = list(variants)
    rows: dict[str, dict[str, Any]] = {}
    print(f"| probes | {' | '.join(names)} |\n|---|{'---|' * len(names)}")
    for kind in kinds:
        for english in (True, False):
            texts = [
                p["text"]
                for p in probes
                if p["kind"] == kind and (p.get("lang", "en") == "en") == english
            ]
            langs = dict.fromkeys(p.get("lang", "en") for p in probes)
            others = [lang for lang in langs if lang != "en"]
            key = kind if english else f"{kind} ({', '.join(others)})"
            counts = {name: tally(guard, texts) for name, guard in variants.items()}
            rows[key] = counts
            cells = " | ".join(f"{counts[name]['blocked']} of {len(texts)}" for name in names)
            print(f"| {key} | {cells} |")
    for probe in probes:
        actions = [variants[name].check_text(probe["text"]).action for name in names]
        print(f"   {probe['kind']}: {' -> '.join(actions)}: {probe['text'][:90]!r}")
    return rows


def _hazard_probe_problem(row: dict[str, Any]) -> str | None:
    if row.get("lang") not in LANGUAGES or row.get("label") not in ("harmful", "benign"):
        return f"needs lang in {list(LANGUAGES)} and label harmful or benign"
    return None


def guards() -> dict[str, Guard]:
    off = default_policy_with("hazard_rules: true", "hazard_rules: false", "off")
    return {"rule on": Guard.default(), "rule off": off}


def main() -> None:
    args = bench_args(__doc__)
    rules = hazard_rules()
    out: dict[str, Any] = {
        "public_sets": rule_on_public_sets(
            public_sets(args.data_dir), lambda text, requests: rules.find(text, requests=requests)
        )
    }
    print_public_sets(out["public_sets"])

    variants = guards()
    probes = read_probes(PROBES, _hazard_probe_problem)
    out["probes"] = {}
    print("\n2. Default input policy on the probes, blocked (rules off -> on)")
    print("| language | harmful | benign look-alikes |\n|---|---|---|")
    for lang in LANGUAGES:
        row: dict[str, Any] = {}
        for label in ("harmful", "benign"):
            texts = [p["text"] for p in probes if p["lang"] == lang and p["label"] == label]
            row[label] = {name: tally(guard, texts) for name, guard in variants.items()}
        out["probes"][lang] = row
        cells = [
            f"{row[label]['rule off']['blocked']} -> {row[label]['rule on']['blocked']} "
            f"of {row[label]['rule on']['n']}"
            for label in ("harmful", "benign")
        ]
        print(f"| {lang} | {cells[0]} | {cells[1]} |")

    out["hand_cases"] = []
    print("\n3. The issue's hand cases: rules off -> on")
    for side, cases in HAND_CASES.items():
        for _, text in cases:
            actions = {name: g.check_text(text, side=side).action for name, g in variants.items()}
            out["hand_cases"].append({"side": side, "text": text, **actions})
            print(f"   {side}: {actions['rule off']} -> {actions['rule on']}: {text[:80]!r}")

    out["blocked"] = blocked_on_public_sets(variants["rule on"], public_sets(args.data_dir))
    print("\n4. The default policy on the public sets, blocked")
    print("| set | kind | texts | blocked |\n|---|---|---|---|")
    for row in out["blocked"]:
        print(f"| {row['set']} | {row['kind']} | {row['n']:,} | {row['blocked']} |")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
