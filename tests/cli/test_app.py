"""The `redline` command itself: lazy start-up, --version, pipes."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest
from typer.testing import CliRunner

import redline
from redline.cli.app import COMMANDS, app, load_command
from redline.cli.broken_pipe import EXIT_BROKEN_PIPE

runner = CliRunner()

# Modules `redline --help` must not import: they are what made start-up slow.
HEAVY = (
    "numpy", "scipy", "sklearn", "duckdb", "aiohttp", "llama_cpp", "pydantic",
    "redline.attacks", "redline.targets", "redline.analysis", "redline.store",
)  # fmt: skip


def imported_by(*argv: str) -> set[str]:
    """Top-level and redline module names a fresh interpreter imports running redline ARGV."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "redline", *argv],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    names = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


def test_help_lists_every_command_without_importing_heavy_modules():
    modules = imported_by("--help")
    loaded = sorted(
        m for m in modules for heavy in HEAVY if m == heavy or m.startswith(heavy + ".")
    )
    assert loaded == []
    assert "redline.cli.app" in modules


def test_help_output_lists_the_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for name, entry in COMMANDS.items():
        assert name in result.output and entry.help in result.output


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_listed_command_loads_from_its_module(name):
    command = load_command(name)
    assert command.name == name
    assert command.help or command.callback is None


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"redline {redline.__version__}"


def test_output_into_a_closed_pipe_exits_quietly_not_1():
    # Like `redline suites show default | head -1` once head has gone: the reader is
    # closed before redline writes, so the first write fails (EPIPE).
    process = subprocess.Popen(
        [sys.executable, "-m", "redline", "suites", "show", "default"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == EXIT_BROKEN_PIPE
    assert "Traceback" not in stderr and "Exception ignored" not in stderr


def test_unknown_command_is_a_usage_error():
    result = runner.invoke(app, ["scna"])
    assert result.exit_code == 2


def test_scan_help_imports_no_runner_attack_library_or_numpy():
    # typer renders a command's help with pydantic, so pydantic is allowed here.
    heavy = [h for h in HEAVY if h != "pydantic"] + ["redline.run", "redline.classifiers"]
    modules = imported_by("scan", "--help")
    loaded = sorted(m for m in modules for h in heavy if m == h or m.startswith(h + "."))
    assert loaded == []


def test_a_plain_http_scan_does_not_import_aiohttp():
    probe = (
        "import sys, redline.run, redline.analysis, redline.report, redline.targets.openai_chat\n"
        "print('aiohttp' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_rich_broken_pipe_hook_is_set_when_rich_console_is_first_imported():
    # In a fresh interpreter: rich is not loaded until the command imports it, and
    # loading a command that never uses rich leaves it unloaded.
    code = (
        "import sys\n"
        "from redline.cli.app import load_command\n"
        "load_command('scan')\n"
        "assert 'rich.console' not in sys.modules, 'loaded early'\n"
        "import rich.console\n"
        "from redline.cli import broken_pipe\n"
        "assert rich.console.Console.on_broken_pipe is broken_pipe._rich_broken_pipe\n"
        "print('hooked')\n"
    )
    assert _fresh_python(code) == "hooked"


def test_rich_broken_pipe_hook_leaves_the_other_modules_of_a_shared_loader_alone(tmp_path):
    # zipimport finds every module of an archive with one loader: hooking rich.console
    # must not run the hook on the next module that loader runs.
    archive = tmp_path / "site.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("rich/__init__.py", "")
        bundle.writestr("rich/console.py", "class Console:\n    pass\n")
        bundle.writestr("rich/table.py", "ROWS = 3\n")
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(archive)!r})\n"
        "from redline.cli import broken_pipe\n"
        "broken_pipe.hook_rich_broken_pipe()\n"
        "import rich.console, rich.table\n"
        "assert rich.console.__file__.startswith(sys.path[0]), rich.console.__file__\n"
        "assert rich.console.Console.on_broken_pipe is broken_pipe._rich_broken_pipe\n"
        "assert rich.table.ROWS == 3\n"
        "print('hooked once')\n"
    )
    assert _fresh_python(code) == "hooked once"


def _fresh_python(code: str) -> str:
    """What ``code`` prints in a fresh interpreter (which must exit 0)."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()
