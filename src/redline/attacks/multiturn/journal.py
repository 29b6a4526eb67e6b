"""A per-attempt state file: every model call of a conversation, appended as it completes.

A multi-turn attacker is deterministic given the answers its calls get (and its
seeded random generator), so replaying the recorded answers in order rebuilds
its state exactly; a resumed run replays the file and carries on live from the
first call it has no answer for. Lines are flushed after every call, so a kill
loses at most the call in flight.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from redline.core import Completion, content_hash
from redline.store import iter_jsonl, truncate_torn_tail


class CallJournal:
    """Recorded calls for one attempt; ``path`` None keeps nothing (no resume)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._recorded: list[dict[str, Any]] = []
        self._position = 0
        self.replayed = 0
        if path is not None and path.exists():
            truncate_torn_tail(path)
            self._recorded = [
                row
                for _, row in iter_jsonl(path)
                if isinstance(row, dict) and row.get("type") == "call"
            ]

    @property
    def recorded(self) -> int:
        return len(self._recorded)

    def replay(self, role: str, request: Any) -> Completion | None:
        """The recorded answer to this call, if the file has it at this position."""
        if self._position >= len(self._recorded):
            return None
        row = self._recorded[self._position]
        if row.get("role") != role or row.get("request") != content_hash(request):
            # The recorded conversation went elsewhere (changed settings): drop
            # the rest and continue live from here.
            self._recorded = self._recorded[: self._position]
            self._rewrite()
            return None
        self._position += 1
        self.replayed += 1
        return Completion.model_validate(row["completion"])

    def record(self, role: str, request: Any, completion: Completion, **extra: Any) -> None:
        """Append one finished call (and anything worth reading later, e.g. the turn)."""
        row = {
            "type": "call",
            "role": role,
            "request": content_hash(request),
            "completion": completion.model_dump(mode="json"),
            **extra,
        }
        self._recorded.append(row)
        self._position = len(self._recorded)
        self._append(row)

    def note(self, **fields: Any) -> None:
        """Append a non-call line (a turn summary, a pruning decision) for readers."""
        self._append({"type": "note", **fields})

    def _append(self, row: dict[str, Any]) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            handle.flush()

    def _rewrite(self) -> None:
        if self.path is None:
            return
        text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in self._recorded)
        self.path.write_text(text, encoding="utf-8")
