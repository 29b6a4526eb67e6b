"""CPU of each piece a scan imports before its first request, in the order it imports them.

Each repeat runs a fresh interpreter that imports the modules one after another
and reads its own CPU clock (``time.process_time``) around each import, so a
module's figure is what it adds on top of those before it (its own code and the
dependencies nothing earlier loaded). The default order follows ``redline scan
--json`` against an OpenAI-compatible target; ``rich.console`` is last because a
``--json`` or ``--no-progress`` scan no longer loads it (it shows what that saves).
The figure per module is the median over the repeats, in milliseconds. Also timed:
parsing the attack families' YAML with PyYAML's pure-Python loader and with libyaml's.

    PYTHONPATH=<tree>/src python bench/start_up_pieces.py [--repeat 7] [--modules a,b,c]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import timeit
from collections.abc import Callable
from importlib import resources

DEFAULT_ORDER = (
    "redline.cli.app",  # typer, click, the command table
    "redline.cli.scan",  # the scan command's module and its options
    "pydantic",
    "asyncio",
    "redline.core.images",  # the first pydantic model: pydantic's one-off schema machinery
    "redline.targets",
    "redline.engine",
    "redline.attacks.compose",
    "redline.store",
    "redline.data",
    "redline.run",
    "redline.targets.lean_http",
    "rich.console",
)

CHILD = """
import json, sys, time
started = time.process_time()
pieces = {"interpreter": started}
for name in sys.argv[1:]:
    before = time.process_time()
    __import__(name)
    pieces[name] = time.process_time() - before
pieces["modules"] = len(sys.modules)
print(json.dumps(pieces))
"""


def measure(modules: list[str], repeat: int) -> dict[str, float]:
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", CHILD, *modules], check=True, capture_output=True, text=True
            ).stdout
        )
        for _ in range(repeat)
    ]
    names = ["interpreter", *modules]
    figures = {
        name: round(1000 * statistics.median(run[name] for run in runs), 1) for name in names
    }
    figures["total_before_rich"] = round(
        sum(value for name, value in figures.items() if name != "rich.console"), 1
    )
    figures["modules_loaded"] = runs[-1]["modules"]
    return figures


def families_yaml_ms() -> dict[str, float]:
    """Milliseconds to parse families.yaml (best of 5 x 20) with each of PyYAML's safe loaders."""
    import yaml

    text = resources.files("redline.attacks").joinpath("families.yaml").read_text("utf-8")
    loaders = {"pure_python": yaml.SafeLoader, "libyaml": getattr(yaml, "CSafeLoader", None)}
    return {
        name: _best_ms(lambda loader=loader: yaml.load(text, Loader=loader))
        for name, loader in loaders.items()
        if loader is not None
    }


def _best_ms(call: Callable[[], object], number: int = 20) -> float:
    return round(1000 * min(timeit.repeat(call, number=number, repeat=5)) / number, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--modules", default=",".join(DEFAULT_ORDER))
    args = parser.parse_args()
    figures = measure(args.modules.split(","), args.repeat)
    print(json.dumps({**figures, "families_yaml_ms": families_yaml_ms()}))


if __name__ == "__main__":
    main()
