"""The monitor screen's data card (CARD.md), from the summary distillation writes."""

from __future__ import annotations

from typing import Any


def _figure(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def render_screen_card(summary: dict[str, Any]) -> str:
    """CARD.md for ``classifiers/artifacts/monitor-screen``."""
    features = summary["features"]
    lines = [
        "# Monitor screen (distilled from the full guard)",
        "",
        f"Rebuild: `{summary['command']}` (seed {summary['seed']}; same data, same artifact).",
        "",
        "## What it does",
        "Predicts, for `redline monitor ingest --scoring screen`, the categories the full "
        "guard's classifier-head scanners would report for a text: the input side's "
        "jailbreak, injection and harm labels and the output side's harm label (a label "
        'whose table row below says "no head" is never predicted), and harm\'s categories '
        "(`harm.s1` ...) for texts it finds harmful. "
        "One logistic head per label over hashed byte n-grams "
        f"(n = {', '.join(map(str, features['sizes']))}; 2^{features['bits']} buckets, "
        f"windows of {features['window_bytes']} bytes, a text scores as its worst window), "
        "float16 weights. It is a monitoring signal for window rates, **not a blocking "
        "guard**.",
        "",
        "**Not covered** (rule scanners, left to `--scoring fast` / `full` and the audit "
        f"sample): {', '.join(summary['excluded_scanners'])}. PII and secrets are never "
        "predicted by the screen.",
        "",
        "## Teacher and data",
        "Labels are the full guard's verdicts (`Guard.default()`), input side and output "
        "side, on every window of every text. Texts (permissive licences only):",
        "",
        "| source | texts | licence |",
        "|---|---|---|",
    ]
    for name, info in summary["sources"].items():
        lines.append(f"| {name} | {info['texts']} | {info['licence']} |")
    lines += [
        "",
        f"{summary['texts']} texts, {summary['windows']} windows; at most "
        f"{summary['per_source']} texts per source.",
        "",
        "**Held out of distillation** (measured on in `bench/monitor_screen.py`): "
        + "; ".join(f"{k} ({v})" for k, v in summary["held_out_sources"].items())
        + ".",
        "",
        "**Measurement only, never trained on**: "
        + "; ".join(f"{k} ({v})" for k, v in summary["measurement_only"].items())
        + ".",
        "",
        "## Agreement with the guard on the dev tenth (windows, by a hash of the text)",
        "",
        "These texts come from the distilled sources; figures on held-out sources are in "
        'docs/benchmarks.md ("Production monitoring").',
        "",
        "| table | label | guard positives | screen positives | recall | precision |",
        "|---|---|---|---|---|---|",
    ]
    for table, labels in summary["dev_agreement"].items():
        for label, figures in labels.items():
            if "skipped" in figures:
                lines.append(f"| {table} | {label} | no head: {figures['skipped']} | | | |")
                continue
            lines.append(
                f"| {table} | {label} | {figures['guard_positives']} | "
                f"{figures['screen_positives']} | {_figure(figures['recall'])} | "
                f"{_figure(figures['precision'])} |"
            )
    lines += [
        "",
        "## Limits",
        "- Distilled agreement, not accuracy: where the guard is wrong the screen learns "
        "to be wrong the same way.",
        "- Lower-cases ASCII only; other scripts are read as raw UTF-8 bytes.",
        "- English-heavy pool; the guard's decoded views (base64, Morse, leetspeak) are "
        "not reproduced.",
        f"- Weights file: {summary['artifact_bytes']:,} bytes.",
        "",
    ]
    return "\n".join(lines)
