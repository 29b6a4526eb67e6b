"""`redline power` through the real entry point (exit codes and stdout/stderr split)."""

import json
import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from redline.cli import stats as stats_cli
from redline.core.errors import ConfigError
from redline.stats import interval_halfwidth, sample_size_two_proportions


def _redline(*args):
    code = "import sys; from redline.cli.app import main; sys.argv[0] = 'redline'; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def app():
    app = typer.Typer()
    stats_cli.register(app)

    @app.callback()
    def _root() -> None:  # a group, so `power` is a subcommand as in the real app
        pass

    return app


def test_power_json_independent(app):
    result = CliRunner().invoke(app, ["power", "--p1", "0.10", "--p2", "0.05", "--json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["n_per_group"] == sample_size_two_proportions(0.10, 0.05) == 424
    assert plan["n_total"] == 848 and plan["paired"] is False


def test_power_paired_text(app):
    result = CliRunner().invoke(
        app, ["power", "--p1", "0.10", "--p2", "0.05", "--paired", "--discordant", "0.1"]
    )
    assert result.exit_code == 0, result.output
    n = sample_size_two_proportions(0.10, 0.05, paired=True, discordant=0.1)
    assert f"{n} prompts" in result.stdout and "McNemar" in result.stdout


def test_power_precision_json(app):
    result = CliRunner().invoke(app, ["power", "--rate", "0.1", "--n", "200", "--json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["halfwidth"] == pytest.approx(interval_halfwidth(0.1, 200))
    assert plan["low"] < 0.1 < plan["high"]


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ([], "either --p1 and --p2"),
        (["--p1", "0.1"], "together"),
        (["--p1", "0.1", "--p2", "0.05", "--rate", "0.1"], "either"),
        (["--p1", "0.1", "--p2", "0.05", "--paired"], "discordant"),
        (["--rate", "0.1", "--n", "0"], "n must be"),
    ],
)
def test_power_bad_input_is_a_config_error(app, args, match):
    result = CliRunner().invoke(app, ["power", *args])
    assert isinstance(result.exception, ConfigError)
    assert match in str(result.exception)


def test_power_through_the_real_cli():
    ok = _redline("power", "--p1", "0.2", "--p2", "0.1", "--json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["n_per_group"] == sample_size_two_proportions(0.2, 0.1)
    bad = _redline("power", "--p1", "0.1", "--p2", "0.05", "--paired", "--discordant", "0.9")
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert bad.stderr.startswith("error: ") and "discordant=0.9 is impossible" in bad.stderr
    helped = _redline("power", "--help")
    assert helped.returncode == 0 and "--discordant" in helped.stdout
