"""Shared parts for the monitoring tests: the real guard, a real tokenizer, log files."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from redline.monitor import IngestSettings, RecordScorer, StaticEmbedder


@pytest.fixture(scope="session")
def guard_scorer() -> RecordScorer:
    """The shipped guard with the phrase-pattern refusal scorer (the --guard-only path),
    scoring with ``fast`` (triage, then the guard on what it is unsure of): the
    guard's own verdicts, which these tests check (the screen has its own tests)."""
    return RecordScorer(refusal="patterns", scoring="fast")


@pytest.fixture(scope="session")
def full_scorer() -> RecordScorer:
    """The same with every text through the guard (``--scoring full``)."""
    return RecordScorer(refusal="patterns", scoring="full")


@pytest.fixture(scope="session")
def small_embedder() -> StaticEmbedder:
    """The shipped static-MiniLM embedder (128 dimensions, loads in well under a second)."""
    return StaticEmbedder.packaged()


@pytest.fixture
def settings(guard_scorer: RecordScorer, small_embedder: StaticEmbedder) -> IngestSettings:
    return IngestSettings(scorer=guard_scorer, embedder=small_embedder, batch_size=8)


@pytest.fixture
def write_log(tmp_path: Path) -> Callable[..., Path]:
    """Write records (dicts are JSON-encoded, strings written as they are) to a file."""

    def write(lines: Iterable[dict[str, Any] | str], name: str = "log.jsonl") -> Path:
        path = tmp_path / name
        with path.open("w", encoding="utf-8") as handle:
            for line in lines:
                handle.write((line if isinstance(line, str) else json.dumps(line)) + "\n")
        return path

    return write


def _chat(index: int, *, minute: int | None = None, prompt: str | None = None) -> dict[str, Any]:
    """A chat record at 2026-01-01 00:MM (minute defaults to the index)."""
    minute = index if minute is None else minute
    return {
        "id": f"r{index}",
        "timestamp": f"2026-01-01T{minute // 60:02d}:{minute % 60:02d}:00Z",
        "prompt": prompt or f"What is a good name for a pet turtle, idea {index}?",
        "response": "Shelly is a classic name for a turtle.",
    }


@pytest.fixture
def chat() -> Callable[..., dict[str, Any]]:
    """``chat(index, minute=None, prompt=None)``: one chat record."""
    return _chat
