"""A real scan with what finishing a run depends on: errors, categories, attacks."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from redline.cli.app import app

CATEGORIES = ("cybercrime", "chemical_biological", "harassment")


def scan_with_errors_categories_and_attacks(tmp_path: Path, base_url: str, *extra: str) -> str:
    """Scan 45 prompts x 3 attacks (none, base64, rot13) over three categories, harmful
    and benign, against the stub at ``base_url``; the run's id (in tmp_path/runs)."""
    prompts = tmp_path / "prompts.jsonl"
    with prompts.open("w", encoding="utf-8") as handle:
        for index in range(45):
            harmful = index % 3 != 0
            record = {
                "id": f"p{index}",
                "prompt": f"ask {index}{' [refuse]' if index % 2 else ''}",
                "category": CATEGORIES[index % len(CATEGORIES)],
                "expected": "refuse" if harmful else "comply",
            }
            handle.write(json.dumps(record) + "\n")
    args = [
        "scan", "--target", "openai", "--model", "stub", "--base-url", base_url,
        "--runs-dir", str(tmp_path / "runs"), "--no-progress", "--no-cache",
        "--prompts", str(prompts), "--max-retries", "0", "--json",
        "--attacks", "none,base64,rot13", *extra,
    ]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code in (0, 3), result.output
    return str(json.loads(result.output.strip().splitlines()[-1])["run_id"])


@pytest.fixture
def varied_scan() -> Callable[..., str]:
    """:func:`scan_with_errors_categories_and_attacks`."""
    return scan_with_errors_categories_and_attacks
