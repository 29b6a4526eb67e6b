"""Plugin registries: built-ins register by decorator, third parties by entry point."""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from redline.core.errors import UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """Names mapped to factories of one kind of plugin (targets, attacks, ...).

    ``group`` is the entry-point group third-party packages register under,
    e.g. ``redline.targets``. ``builtin_modules`` are imported on the first
    look-up, not before: their imports register the built-ins, and a command
    that never looks one up (``redline scan`` of plain prompts) does not pay
    for them at start-up. A module that is not installed is skipped, so each
    can land on its own; an import error inside one is raised. Given as a
    mapping from each built-in's name to its module, a look-up of that name
    imports only that module (a scan of one target does not import the others);
    listing the names, or looking up any other name, imports them all.
    """

    def __init__(
        self,
        kind: str,
        *,
        group: str,
        builtin_modules: Sequence[str] | Mapping[str, str] = (),
    ) -> None:
        self.kind = kind
        self.group = group
        self._items: dict[str, T] = {}
        self._entry_points_loaded = False
        self._looked_up: set[str] = set()  # names already searched for among the plugins
        homes = builtin_modules if isinstance(builtin_modules, Mapping) else {}
        self._homes: dict[str, str] = dict(homes)  # a built-in's name -> its module
        self._builtin_modules = tuple(dict.fromkeys(homes.values() if homes else builtin_modules))
        self._builtins_loaded = not self._builtin_modules

    def _load_builtins(self) -> None:
        if self._builtins_loaded:
            return
        self._builtins_loaded = True  # first, so a module that looks itself up cannot recurse
        for module in self._builtin_modules:
            _import_if_installed(module)

    def _load_builtin(self, name: str) -> None:
        """Import what registers the built-in ``name``: its own module where it is known."""
        home = self._homes.get(name)
        if home is None or self._builtins_loaded:
            self._load_builtins()
        else:
            _import_if_installed(home)

    def register(self, name: str) -> Callable[[T], T]:
        def decorate(item: T) -> T:
            if name in self._items and self._items[name] is not item:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._items[name] = item
            return item

        return decorate

    def _load_entry_points(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        for ep in entry_points(group=self.group):
            self._items.setdefault(ep.name, ep.load())

    def _load_entry_point(self, name: str) -> None:
        """Load only the entry point called ``name``, if there is one.

        Loading every plugin to find one would import each plugin's module, and
        some import a lot (the reward scorer: the run loop, scikit-learn): a
        scan's start-up once spent seconds on plugins it never used.
        """
        if self._entry_points_loaded or name in self._looked_up:
            return
        self._looked_up.add(name)
        for ep in entry_points(group=self.group, name=name):
            self._items.setdefault(ep.name, ep.load())
            return

    def get(self, name: str) -> T:
        # Built-ins win over plugins of the same name, so a built-in needs no look-up.
        if name not in self._items:
            self._load_builtin(name)
        if name not in self._items:
            self._load_entry_point(name)
        try:
            return self._items[name]
        except KeyError:
            raise UnknownNameError(self.unknown_message(name)) from None

    def unknown_message(self, name: str) -> str:
        close = difflib.get_close_matches(name, self.names(), n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        return f"unknown {self.kind} {name!r}.{hint} Known: {', '.join(self.names())}."

    def names(self) -> list[str]:
        self._load_builtins()
        self._load_entry_points()
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        if name not in self._items and isinstance(name, str):
            self._load_builtin(name)
        if name not in self._items and isinstance(name, str):
            self._load_entry_point(name)
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())


def _import_if_installed(module: str) -> None:
    try:
        importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
