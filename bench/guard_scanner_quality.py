"""Quality of the guard's scanners as the default policy wires them, on the dev split
the trained classifiers never saw.

    OMP_NUM_THREADS=1 python bench/guard_scanner_quality.py [--data-dir ../shared/data]
        [--policy FILE] [--json]

For each task (harm, jailbreak, injection) it takes the models' dev split (same
seed and grouping as `redline train guard`), scores every text with the guard's
scanner (rules and classifier together, as in the pipeline) and reports AUPRC,
precision, recall and F1 at the policy's threshold, and the false-positive rate;
then the whole pipeline on the union of the dev splits: the share of attacks
(any label true) the guard stops (flag, redact or block), the share of benign
dev texts (every label false) it stops by mistake, and the same on the Alpaca
benign instructions (never trained on; ../shared/data/benign/harmless_val.json).

With ``--band B`` it adds a cascade with that band whose guard model is an oracle
(a python: target that answers in Llama Guard format from the true label): the
share of traffic a cascade would send to a guard model, and the most it could
buy at that band with a perfect one.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
from sklearn.metrics import average_precision_score

from redline.attacks.guard_disguises import AttackDisguiser
from redline.classifiers.training_data import assemble_training_data, split_by_group
from redline.guard import Guard

# Scanner and categories whose score stands for each task; the threshold is the policy's.
TASKS = {"harm": ("harm", ("harm",)), "jailbreak": ("jailbreak", ("jailbreak",)),
         "injection": ("injection", ("direct", "indirect"))}  # fmt: skip


# The oracle guard model's answers, by checked text (filled before a cascade run).
ORACLE: dict[str, bool] = {}


def oracle_guard(prompt: str) -> str:
    """A python: target answering Llama Guard prompts from the true label."""
    conversation = prompt.split("<BEGIN CONVERSATION>\n\nUser: ", 1)[-1]
    text = conversation.split("\n\n<END CONVERSATION>", 1)[0]
    return "unsafe\nS1" if ORACLE.get(text, False) else "safe"


def _cascade_guard(policy_text: str, band: float, route: str | None) -> Guard:
    here = Path(__file__).resolve()
    extra = (
        "  guard_model:\n"
        "    options:\n"
        "      format: llama_guard_3\n"
        "      max_chars: 100000\n"
        f'      target: {{kind: "python:{here}:oracle_guard"}}\n'
    )
    cascade = f"\ncascade:\n  model: guard_model\n  band: {band}\n  budget_ms: 100000\n"
    if route:
        cascade += f"  scanners: [{route}]\n"
    text = policy_text.replace("\nscanners:\n", "\nscanners:\n" + extra, 1) + cascade
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
        handle.write(text)
    return Guard.from_policy(handle.name)


def _rates(labels: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    tp = int(np.sum(predicted & labels))
    fp = int(np.sum(predicted & ~labels))
    fn = int(np.sum(~predicted & labels))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    negatives = int(np.sum(~labels))
    return {
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "f1": round(f1, 3),
        "fpr": round(fp / negatives, 4) if negatives else 0.0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--policy", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--band", type=float, help="also measure a cascade with this band")
    parser.add_argument("--route", help="the cascade's scanners, e.g. harm.harm,jailbreak")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    guard = Guard.from_policy(args.policy) if args.policy else Guard.default()
    data = assemble_training_data(
        args.data_dir if args.data_dir.is_dir() else None, seed=0, disguiser=AttackDisguiser()
    )
    report: dict[str, object] = {"skipped": guard.skipped, "tasks": {}}
    for task, (scanner, categories) in TASKS.items():
        _train, dev = split_by_group(data.for_task(task), seed=args.seed)
        dev = [e for e in dev if e.label(task) is not None]
        labels = np.array([bool(e.label(task)) for e in dev])
        verdicts = guard.check_batch([e.text for e in dev], side="input")
        scores = np.array([max(v.scores[scanner][c] for c in categories) for v in verdicts])
        fired = np.array(
            [
                any(f.scanner == scanner and f.category in categories for f in v.findings)
                for v in verdicts
            ]
        )
        report["tasks"][task] = {  # type: ignore[index]
            "dev_positives": int(labels.sum()),
            "dev_negatives": int((~labels).sum()),
            "scanner": {"auprc": round(float(average_precision_score(labels, scores)), 3)}
            | _rates(labels, fired),
        }
    # The whole pipeline: every dev text once, an attack if any task labels it so.
    union: dict[str, bool] = {}
    for task in TASKS:
        _train, dev = split_by_group(data.for_task(task), seed=args.seed)
        for e in dev:
            union[e.text] = union.get(e.text, False) or bool(e.label(task))
    texts = list(union)
    labels = np.array([union[t] for t in texts])
    stopped = np.array([v.action != "allow" for v in guard.check_batch(texts, side="input")])
    report["pipeline"] = {"attacks": int(labels.sum()), "benign": int((~labels).sum())} | _rates(
        labels, stopped
    )
    if args.band is not None:
        from redline.guard import default_policy_text

        policy_text = args.policy.read_text() if args.policy else default_policy_text()
        cascaded = _cascade_guard(policy_text, args.band, args.route)
        # The python: target imported this file under its own module name.
        for module in list(sys.modules.values()):
            if hasattr(module, "oracle_guard") and hasattr(module, "ORACLE"):
                module.ORACLE.update(union)
        verdicts = cascaded.check_batch(texts, side="input")
        sent = cascaded.cascade.requests if cascaded.cascade else 0
        stopped = np.array([v.action != "allow" for v in verdicts])
        report["cascade"] = {
            "band": args.band,
            "route": args.route,
            "sent_share": round(sent / len(texts), 4),
        } | _rates(labels, stopped)
        cascaded.close()
    alpaca = args.data_dir / "benign" / "harmless_val.json"
    if alpaca.exists():
        benign = [row["instruction"] for row in json.loads(alpaca.read_text())]
        verdicts = guard.check_batch(benign, side="input")
        report["alpaca_benign"] = {
            "n": len(benign),
            "stopped": round(sum(v.action != "allow" for v in verdicts) / len(benign), 4),
            "by_scanner": {
                name: round(
                    sum(any(f.scanner == name for f in v.findings) for v in verdicts) / len(benign),
                    4,
                )
                for name in guard.scanner_names("input")
            },
        }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    for task, row in report["tasks"].items():  # type: ignore[attr-defined]
        s = row["scanner"]
        print(
            f"{task:10s} dev {row['dev_positives']}/{row['dev_negatives']}  scanner AUPRC "
            f"{s['auprc']}  P {s['precision']} R {s['recall']} F1 {s['f1']} FPR {s['fpr']}"
        )
    p = report["pipeline"]
    print(
        f"pipeline   dev {p['attacks']} attacks / {p['benign']} benign: stops "  # type: ignore[index]
        f"{p['recall']} of attacks, {p['fpr']} of benign"  # type: ignore[index]
    )
    if "cascade" in report:
        c = report["cascade"]
        print(
            f"cascade    band {c['band']} route {c['route'] or 'all'}: "  # type: ignore[index]
            f"sends {c['sent_share']} of texts to the model; with "  # type: ignore[index]
            f"an oracle model stops {c['recall']} of attacks, {c['fpr']} of benign"  # type: ignore[index]
        )
    if "alpaca_benign" in report:
        a = report["alpaca_benign"]
        print(f"alpaca     {a['n']} benign: stopped {a['stopped']}  by scanner {a['by_scanner']}")  # type: ignore[index]
    if guard.skipped:
        print("skipped:", guard.skipped)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
