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
        loader = spec.loader
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        run_module = loader.exec_module

        def run_then_hook(module: ModuleType) -> None:
            run_module(module)
            _set_rich_hook(module)

        # The loader is this spec's own instance (one per module file).
        loader.exec_module = run_then_hook  # type: ignore[method-assign]
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
