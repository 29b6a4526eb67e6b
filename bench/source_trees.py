"""Running a bench script against another checkout's source tree.

The compare scripts measure two trees (``--trees A B``) side by side: each
measurement runs in a fresh interpreter with ``PYTHONPATH`` set to one tree, one
numpy thread, optionally pinned to a core, and prints its result as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def run_in_tree(tree: Path, script: Path | str, *args: str, core: int | None = None) -> Any:
    """Run ``python SCRIPT ARGS`` importing redline from ``tree``; its stdout parsed as JSON."""
    env = {**os.environ, "PYTHONPATH": str(tree.resolve()), "OMP_NUM_THREADS": "1"}
    command = [sys.executable, str(script), *args]
    if core is not None:
        command = ["taskset", "-c", str(core), *command]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)
