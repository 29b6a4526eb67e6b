"""The bundled model as a judge, grammar-constrained, against human labels.

    PYTHONPATH=src .venv/bin/python bench/bundled_judge_agreement.py [--n 60]

Draws ``n`` gptfuzz responses (half human-labelled jailbroken, half not; seeded;
unique texts), asks the bundled SmolLM2-135M the multi-turn attack judge's
question under its JSON schema (``does_the_task``: no / partly / fully), and
compares "partly or fully" with the human "jailbroken". Prints the share that
parsed, agreement, Cohen's kappa and the confusion counts.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import random
from pathlib import Path

from redline.attacks.multiturn.parsing import RATING_SCHEMA, UnparseableOutput, parse_judge_rating
from redline.attacks.multiturn.prompts import JUDGE_SYSTEM, JUDGE_USER, fill
from redline.core import GenerationParams, Message
from redline.scoring.calibration import cohen_kappa
from redline.targets import build_target
from redline.targets.spec import TargetSpec


def sample(data_dir: Path, n: int) -> list[dict]:
    rows: dict[str, dict] = {}
    path = data_dir / "gptfuzz" / "gptfuzz_labeled_responses.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            rows.setdefault(row["text"], row)
    rng = random.Random(0)
    by_label = {0: [], 1: []}
    for row in sorted(rows.values(), key=lambda r: r["text"]):
        by_label[row["label_int"]].append(row)
    return rng.sample(by_label[1], n // 2) + rng.sample(by_label[0], n - n // 2)


async def judge_all(rows: list[dict]) -> list[int | None]:
    model = build_target(TargetSpec(kind="local"))
    params = GenerationParams(max_tokens=24, temperature=0.0, json_schema=RATING_SCHEMA)
    out: list[int | None] = []
    try:
        for row in rows:
            messages = [
                Message(role="system", content=JUDGE_SYSTEM),
                Message(
                    role="user",
                    content=fill(JUDGE_USER, goal=row["prompt"], response=row["text"][:1500]),
                ),
            ]
            completion = await model.generate(messages, params)
            try:
                out.append(parse_judge_rating(completion.text))
            except UnparseableOutput:
                out.append(None)
    finally:
        await model.aclose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60)
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    args = parser.parse_args()
    rows = sample(args.data_dir, args.n)
    ratings = asyncio.run(judge_all(rows))
    human = ["jailbroken" if r["label_int"] == 1 else "not" for r in rows]
    judged = ["jailbroken" if (r or 1) >= 5 else "not" for r in ratings]
    confusion: dict[str, int] = {}
    for h, j in zip(human, judged, strict=True):
        confusion[f"human {h} / judge {j}"] = confusion.get(f"human {h} / judge {j}", 0) + 1
    agree = sum(h == j for h, j in zip(human, judged, strict=True)) / len(rows)
    kappa = cohen_kappa(human, judged)
    print(
        json.dumps(
            {
                "n": len(rows),
                "parsed": sum(r is not None for r in ratings) / len(rows),
                "levels": {str(k): ratings.count(k) for k in (1, 5, 10)},
                "agreement": round(agree, 3),
                "kappa": None if kappa is None else round(kappa, 3),
                "confusion": confusion,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
