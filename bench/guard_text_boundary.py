"""The guard's text boundary (redline.guard.normalisation): what the classification view
costs, what it catches, and what the proxy's own placeholders cost without it.

    python bench/guard_text_boundary.py [--n 300] [--json]

1. Unicode tricks: AdvBench behaviours stopped by the default policy as written and
   with each trick applied (zero-width characters, fullwidth forms, Cyrillic look-alikes,
   combining accents), scanning the normalised view (now) and the raw text (before).
2. Own placeholders: benign instructions with a card number, e-mail and phone appended
   are redacted on input and echoed back (as the stub upstream does); how many echoed
   replies the output side blocks when placeholders reach the scanners as written
   (before), as a space, and as the stand-in word (now).
3. Cost: Normaliser.view per ~1,000-character text by script, p50/p99 in microseconds.

Needs ../shared/data (AdvBench, the harmless instructions); exits 2 without it.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from redline.core import Message
from redline.guard import Guard, normalisation
from redline.guard.normalisation import Normaliser, TextView

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
CYRILLIC = str.maketrans("aeopcxy", "аеорсху")
PII_TAILS = [
    " My card is 4111 1111 1111 1111 and my email is ann@example.org.",
    " Charge 5500 0000 0000 0004, receipt to bob.smith@corp.test, call +1 415 555 0100.",
    " card 4111 1111 1111 1111 mail ann@example.org phone +1 415 555 0100",
    " You can reach me at carol@example.com or 020 7946 0958.",
]
SCRIPTS = {
    "ascii": None,
    "latin accents": "Le café à côté de l'hôtel était fermé; nous avons marché jusqu'à la gare. ",
    "cyrillic": "Мы вчера гуляли по городу и зашли в маленькое кафе рядом с вокзалом. ",
    "cjk": "昨日は駅の近くの小さな喫茶店でコーヒーを飲みながら本を読みました。",
}


def zero_width(text: str) -> str:
    return "".join(c + "\u200b" if c.isalpha() and i % 2 else c for i, c in enumerate(text))


def fullwidth(text: str) -> str:
    return "".join(
        chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in text
    )


def homoglyphs(text: str) -> str:
    return text.translate(CYRILLIC)


def combining(text: str) -> str:
    return "".join(c + "\u0301" if c in "aeiou" else c for c in text)


TRICKS: dict[str, Callable[[str], str]] = {
    "none": lambda text: text,
    "zero-width": zero_width,
    "fullwidth": fullwidth,
    "cyrillic look-alikes": homoglyphs,
    "combining accents": combining,
}


class RawView(Normaliser):
    """The text as written: how the guard scanned before the classification view."""

    def view(self, text: str) -> TextView:
        return TextView.identity(text)


def stopped(guard: Guard, texts: list[str]) -> float:
    return sum(guard.check_input(t).blocked for t in texts) / len(texts)


def tricks(guard: Guard, attacks: list[str]) -> dict[str, dict[str, float]]:
    normalised = guard._normaliser
    out: dict[str, dict[str, float]] = {}
    for name, trick in TRICKS.items():
        tricked = [trick(t) for t in attacks]
        guard._normaliser = RawView()
        raw = stopped(guard, tricked)
        guard._normaliser = normalised
        out[name] = {"raw": raw, "normalised": stopped(guard, tricked)}
    return out


def placeholders(guard: Guard, benign: list[str]) -> dict[str, float]:
    normalised = guard._normaliser
    stand_in = normalisation.PLACEHOLDER_STAND_IN
    rng = random.Random(0)
    pairs = []
    for text in benign:
        verdict = guard.check_input([Message(role="user", content=text + rng.choice(PII_TAILS))])
        if verdict.action == "redact" and verdict.redacted_messages:
            redacted = verdict.redacted_messages
            pairs.append((redacted, "Sure: " + redacted[-1].content))
    out: dict[str, float] = {"replies": len(pairs)}
    variants = {"as written (before)": None, "space": " ", f"'{stand_in}' (now)": stand_in}
    for label, word in variants.items():
        if word is None:
            guard._normaliser = Normaliser()  # knows no placeholders: they reach scanners
        else:
            normalisation.PLACEHOLDER_STAND_IN = word
        out[label] = sum(guard.check_output(m, r).blocked for m, r in pairs) / len(pairs)
        guard._normaliser = normalised
    normalisation.PLACEHOLDER_STAND_IN = stand_in
    return out


def cost(benign: list[str], length: int) -> dict[str, dict[str, float]]:
    normaliser = Normaliser(["[EMAIL]", "[CREDIT_CARD]"])
    out = {}
    for name, sample in {**SCRIPTS, "zero-width trick": None}.items():
        texts = []
        for index in range(200):
            base = benign[index % len(benign)]
            text = (sample or base + " ") * (length // len(sample or base + " ") + 1)
            text = text[:length]
            texts.append(zero_width(text) if name == "zero-width trick" else text)
        times = []
        for text in texts:
            t0 = time.perf_counter()
            normaliser.view(text)
            times.append((time.perf_counter() - t0) * 1e6)
        times.sort()
        out[name] = {"p50_us": statistics.median(times), "p99_us": times[int(0.99 * len(times))]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="texts per measurement")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    advbench = DATA / "advbench" / "advbench.csv"
    harmless = DATA / "benign" / "harmless_val.json"
    if not advbench.exists() or not harmless.exists():
        print(f"needs {advbench} and {harmless}", file=sys.stderr)
        sys.exit(2)
    rows = advbench.read_text(encoding="utf-8").splitlines()[1:]
    attacks = [line.split(",")[0].strip('"') for line in rows][: args.n]
    benign = [r["instruction"] for r in json.loads(harmless.read_text())][: args.n]
    guard = Guard.default()
    report = {
        "attacks": len(attacks),
        "benign": len(benign),
        "tricks_stopped": tricks(guard, attacks),
        "placeholder_replies_blocked": placeholders(guard, benign),
        "view_cost_1000_chars": cost(benign, 1000),
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"AdvBench behaviours stopped ({len(attacks)}), raw text -> normalised view:")
    for name, row in report["tricks_stopped"].items():
        print(f"  {name:22s} {row['raw']:6.1%} -> {row['normalised']:6.1%}")
    blocked = report["placeholder_replies_blocked"]
    print(f"Echoed redacted replies blocked on output ({blocked.pop('replies'):.0f}):")
    for label, share in blocked.items():
        print(f"  placeholders {label:22s} {share:6.1%}")
    print("Normaliser.view per 1,000 characters:")
    for name, row in report["view_cost_1000_chars"].items():
        print(f"  {name:18s} p50 {row['p50_us']:7.1f} us  p99 {row['p99_us']:7.1f} us")


if __name__ == "__main__":
    main()
