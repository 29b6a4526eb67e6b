"""`redline power`: plan how many prompts an evaluation needs."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from redline.cli.options import JsonOption
from redline.core.errors import ConfigError


def _sample_size_plan(
    *, p1: float, p2: float, alpha: float, power: float, paired: bool, discordant: float | None
) -> dict[str, Any]:
    from redline.stats import sample_size_two_proportions

    n = sample_size_two_proportions(
        p1, p2, alpha=alpha, power=power, paired=paired, discordant=discordant
    )
    return {
        "mode": "sample_size",
        "p1": p1,
        "p2": p2,
        "alpha": alpha,
        "power": power,
        "paired": paired,
        "discordant": discordant,
        "test": "mcnemar (Connor 1987)" if paired else "two-proportion z-test on Cohen's h",
        "n_per_group": n,
        "n_total": n if paired else 2 * n,
    }


def _precision_plan(*, rate: float, n: int, confidence: float) -> dict[str, Any]:
    from redline.stats import expected_interval, interval_halfwidth

    low, high = expected_interval(rate, n, confidence=confidence)
    return {
        "mode": "precision",
        "rate": rate,
        "n": n,
        "confidence": confidence,
        "low": low,
        "high": high,
        "halfwidth": interval_halfwidth(rate, n, confidence=confidence),
        "halfwidth_wald": interval_halfwidth(rate, n, confidence=confidence, method="wald"),
    }


def _describe(plan: dict[str, Any]) -> str:
    if plan["mode"] == "precision":
        return (
            f"With n={plan['n']} and a true rate of {plan['rate']:.1%}, the "
            f"{plan['confidence']:.0%} Wilson interval is about "
            f"[{plan['low']:.1%}, {plan['high']:.1%}] "
            f"(±{plan['halfwidth'] * 100:.1f} points; Wald ±{plan['halfwidth_wald'] * 100:.1f})."
        )
    head = (
        f"To detect {plan['p1']:.1%} -> {plan['p2']:.1%} "
        f"(two-sided alpha {plan['alpha']:g}, power {plan['power']:g})"
    )
    if plan["paired"]:
        return (
            f"{head} with both systems on the same prompts "
            f"(McNemar, {plan['discordant']:.1%} discordant): {plan['n_per_group']} prompts."
        )
    return (
        f"{head} on independent prompt sets: {plan['n_per_group']} prompts per system "
        f"({plan['n_total']} total)."
    )


def power(
    p1: Annotated[float | None, typer.Option(help="Rate of the first system (e.g. 0.10).")] = None,
    p2: Annotated[
        float | None, typer.Option(help="Rate to detect a change to (e.g. 0.05).")
    ] = None,
    alpha: Annotated[float, typer.Option(help="Two-sided significance level.")] = 0.05,
    power_: Annotated[
        float, typer.Option("--power", help="Probability of detecting the change.")
    ] = 0.8,
    paired: Annotated[
        bool, typer.Option("--paired", help="Both systems answer the same prompts (McNemar).")
    ] = False,
    discordant: Annotated[
        float | None,
        typer.Option(help="Paired only: expected share of prompts where the systems disagree."),
    ] = None,
    rate: Annotated[
        float | None, typer.Option(help="Precision mode: the rate you expect to measure.")
    ] = None,
    n: Annotated[int | None, typer.Option(help="Precision mode: number of prompts.")] = None,
    confidence: Annotated[float, typer.Option(help="Precision mode: interval level.")] = 0.95,
    as_json: JsonOption = False,
) -> None:
    """Prompts to detect a change (--p1 --p2), or the precision n prompts buy (--rate --n)."""
    comparison = p1 is not None or p2 is not None
    precision = rate is not None or n is not None
    if comparison == precision:
        raise ConfigError(
            "power: give either --p1 and --p2 (sample size) or --rate and --n (precision)"
        )
    if comparison:
        if p1 is None or p2 is None:
            raise ConfigError("power: --p1 and --p2 must be given together")
        plan = _sample_size_plan(
            p1=p1, p2=p2, alpha=alpha, power=power_, paired=paired, discordant=discordant
        )
    else:
        if rate is None or n is None:
            raise ConfigError("power: --rate and --n must be given together")
        if paired or discordant is not None:
            raise ConfigError("power: --paired/--discordant apply to --p1/--p2 only")
        plan = _precision_plan(rate=rate, n=n, confidence=confidence)
    if as_json:
        typer.echo(json.dumps(plan))
    else:
        typer.echo(_describe(plan))


def register(app: typer.Typer) -> None:
    """Add ``redline power`` to the app."""
    app.command("power")(power)
