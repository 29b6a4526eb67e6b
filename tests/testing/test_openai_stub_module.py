from __future__ import annotations

import subprocess
import sys


def test_running_the_stub_module_prints_no_runtime_warning():
    # `python -m redline.testing.openai_stub` used to find the module already
    # imported by its package and warn (runpy RuntimeWarning); as an error it fails.
    done = subprocess.run(
        [sys.executable, "-W", "error::RuntimeWarning", "-m", "redline.testing.openai_stub", "-h"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "RuntimeWarning" not in done.stderr
