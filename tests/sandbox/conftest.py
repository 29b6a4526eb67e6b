import shutil
import tempfile
from pathlib import Path

import pytest

from redline.sandbox import sandbox_unavailable_reason


def pytest_collection_modifyitems(items):
    reason = sandbox_unavailable_reason()
    if reason is None:
        return
    for item in items:
        if "needs_sandbox" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


def pytest_configure(config):
    config.addinivalue_line("markers", "needs_sandbox: runs code under bubblewrap")


@pytest.fixture
def tmp_path(tmp_path_factory):
    """A temporary directory the sandbox can bind: when the tests run as root the
    sandbox runs as nobody, who cannot enter pytest's private (0700) base directory."""
    path = Path(tempfile.mkdtemp(prefix="redline-sandbox-test-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)
