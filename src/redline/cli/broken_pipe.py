"""Output piped into `head` and the like: stop quietly with exit status 141.

rich handles a broken pipe itself by exiting 1, which here means "a gate
failed"; its documented hook is ``Console.on_broken_pipe``. Importing
``rich.console`` only to set that hook cost every command 44 modules and ~15 ms
of CPU before its first line of work (``bench/start_up_pieces.py``; a scan that
prints ``--json`` never draws with rich), so the hook is set by a finder on
``sys.meta_path`` at the moment something imports ``rich.console``, and not at
all when nothing does.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    # Only for the types: `redline --help` does not otherwise import importlib.abc.
    from importlib.abc import Loader

# What a shell reports for a process killed by SIGPIPE (128 + 13): the reader
# went away, which is not a failed gate (1) nor a runtime error (3).
EXIT_BROKEN_PIPE = 141

_RICH_CONSOLE = "rich.console"


def stop_quietly_on_broken_pipe() -> None:
    """Exit with EXIT_BROKEN_PIPE; stdout goes to /dev/null first so the
    interpreter's final flush cannot fail again."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    raise SystemExit(EXIT_BROKEN_PIPE)


def _rich_broken_pipe(console: object) -> None:
    stop_quietly_on_broken_pipe()


def _set_rich_hook(rich_console: ModuleType) -> None:
    # On the class, because every command makes its own consoles.
    rich_console.Console.on_broken_pipe = _rich_broken_pipe


class _HookAfterRunning:
    """Runs ``rich.console`` with the loader that found it, then sets the hook.

    A wrapper, not a patched ``exec_module`` on that loader: one loader may serve
    many modules (zipimport's serves its whole archive). Everything else asked of
    the loader (source for tracebacks, resources) goes to the one that found it.
    """

    def __init__(self, found_by: Loader) -> None:
        self._found_by = found_by

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self._found_by.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._found_by.exec_module(module)
        _set_rich_hook(module)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._found_by, name)


class _HookRichConsoleOnImport:
    """A meta-path finder that only ever answers for ``rich.console``: it lets the
    other finders find the module and sets the hook once the module has run."""

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name != _RICH_CONSOLE:
            return None
        for finder in sys.meta_path:
            if isinstance(finder, _HookRichConsoleOnImport) or not hasattr(finder, "find_spec"):
                continue
            spec: ModuleSpec | None = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        if spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = cast("Loader", _HookAfterRunning(spec.loader))
        return spec


def hook_rich_broken_pipe() -> None:
    """Make every rich Console exit with EXIT_BROKEN_PIPE on a broken pipe, now if
    ``rich.console`` is loaded, else when it is first imported. Idempotent."""
    loaded = sys.modules.get(_RICH_CONSOLE)
    if loaded is not None:
        _set_rich_hook(loaded)
        return
    if not any(isinstance(finder, _HookRichConsoleOnImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _HookRichConsoleOnImport())
