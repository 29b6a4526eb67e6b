"""The runs under a runs directory as the dashboard lists them, problems included.

A directory that cannot be read as a run (no ``run.json``, a broken one, a
corrupt JSONL line) is listed with what is wrong instead of breaking the page.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from redline.core import ConfigError, RedlineError
from redline.store import ATTEMPTS_FILE, RUN_FILE, RunHandle, RunStore, read_run_info
from redline.ui.run_index import IndexCache, RunIndex

# Display names live in run.json's config, so renaming never moves a run directory
# (attempt records carry the run id).
DISPLAY_NAME = "display_name"


@dataclass
class RunEntry:
    """One directory of the runs dir: a readable run with its headline numbers, or a problem."""

    id: str
    path: Path
    handle: RunHandle | None = None
    index: RunIndex | None = None
    problem: str | None = None

    @property
    def info(self) -> Any:
        return self.handle.info if self.handle else None

    @property
    def name(self) -> str:
        if self.handle is None:
            return self.id
        return str(self.handle.info.config.get(DISPLAY_NAME) or self.id)

    @property
    def target(self) -> str:
        if self.index is not None and self.index.summary.get("targets"):
            return ", ".join(self.index.summary["targets"])
        target = self.handle.info.config.get("target") if self.handle else None
        if isinstance(target, dict):
            return str(target.get("name") or target.get("kind") or "")
        return str(target or "")

    @property
    def suites(self) -> str:
        config = self.handle.info.config if self.handle else {}
        suites = config.get("suites") or config.get("suite") or []
        return ", ".join(map(str, suites)) if isinstance(suites, list) else str(suites)

    @property
    def attacks(self) -> str:
        if self.index is not None:
            return ", ".join(g["name"] for g in self.index.summary.get("by_attack", []))
        return ""

    @property
    def kind(self) -> str:
        return str(self.handle.info.config.get("kind", "scan")) if self.handle else ""

    def matches(self, text: str) -> bool:
        haystack = " ".join([self.id, self.name, self.target, self.suites, self.attacks]).lower()
        return text.lower() in haystack


class RunCatalog:
    """Reads the runs directory; indexes runs through an :class:`IndexCache`."""

    def __init__(self, runs_dir: Path, indexes: IndexCache) -> None:
        self.store = RunStore(runs_dir)
        self.indexes = indexes

    @property
    def root(self) -> Path:
        return self.store.root

    def directories(self) -> list[Path]:
        """Every run-like directory: has a run.json or an attempts file (hidden ones skipped)."""
        if not self.root.is_dir():
            return []
        return sorted(
            p
            for p in self.root.iterdir()
            if p.is_dir()
            and not p.name.startswith(".")
            and ((p / RUN_FILE).exists() or (p / ATTEMPTS_FILE).exists())
        )

    def entry(self, path: Path, *, index: bool = True) -> RunEntry:
        """A run directory read (and indexed) as far as it goes."""
        entry = RunEntry(id=path.name, path=path)
        if not (path / RUN_FILE).is_file():
            entry.problem = f"partial run: {path.name}/ has {ATTEMPTS_FILE} but no {RUN_FILE}"
            return entry
        try:
            entry.handle = RunHandle(path, read_run_info(path / RUN_FILE))
        except (ConfigError, ValueError) as exc:
            entry.problem = f"unreadable {RUN_FILE}: {exc}"
            return entry
        if index:
            try:
                entry.index = self.indexes.get(entry.handle)
            except RedlineError as exc:
                entry.problem = str(exc)
        return entry

    def entries(self) -> list[RunEntry]:
        """Every run directory, newest first (unreadable ones last)."""
        found = [self.entry(p) for p in self.directories()]
        found.sort(key=lambda e: (e.handle is not None, e.info.created_at if e.info else "", e.id))
        return found[::-1]

    def open(self, run_id: str) -> RunEntry | None:
        """The run with exactly this id, or None."""
        if not run_id or "/" in run_id or "\\" in run_id or run_id.startswith("."):
            return None
        path = self.root / run_id
        if path not in self.directories():
            return None
        return self.entry(path)

    def delete(self, run_id: str) -> None:
        entry = self.open(run_id)
        if entry is None:
            raise ConfigError(f"no run {run_id!r} in {self.root}")
        self.indexes.forget(run_id)
        shutil.rmtree(entry.path)

    def rename(self, run_id: str, name: str) -> None:
        entry = self.open(run_id)
        if entry is None or entry.handle is None:
            raise ConfigError(f"no readable run {run_id!r} in {self.root}")
        name = name.strip()
        if not name or len(name) > 120:
            raise ConfigError("a run's display name must be 1-120 characters")
        entry.handle.update(config={**entry.handle.info.config, DISPLAY_NAME: name})
