"""A pytest plugin that runs a regression suite as tests, one item per case.

    pytest --redline-suite suites/support-bot.yaml --redline-target openai:gpt-4o-mini

Each case is replayed ``--redline-epochs`` times; it passes when at least
``--redline-min-pass-rate`` of the replies meet its expected behaviour. A
failure shows the transcript of every failing reply. Installed with redline
(entry point ``pytest11``); it does nothing unless ``--redline-suite`` is given.
"""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from redline.regress import CaseSample, RegressionCase
    from redline.run import RunLoop
    from redline.targets import TargetSpec

# The plugin is loaded (entry point pytest11) by every pytest session where redline is
# installed; redline itself is imported only when --redline-suite is given, so other
# projects' test runs do not pay its several seconds of import time.

_RUNNER_KEY = pytest.StashKey["_SuiteRunner"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("redline", "redline regression suites")
    group.addoption("--redline-suite", help="Regression suite YAML: each case becomes a test.")
    group.addoption(
        "--redline-target", help="Target to replay against (as redline --target).", default=None
    )
    group.addoption("--redline-model", help="Model for openai/anthropic targets.", default=None)
    group.addoption("--redline-base-url", help="Base URL of the target API.", default=None)
    group.addoption(
        "--redline-api-key-env", help="Environment variable holding the API key.", default=None
    )
    group.addoption("--redline-epochs", type=int, default=1, help="Replies per case.")
    group.addoption(
        "--redline-min-pass-rate",
        type=float,
        default=1.0,
        help="Share of replies that must pass (default 1.0: all).",
    )
    group.addoption("--redline-max-new-tokens", type=int, default=128, help="Reply length cap.")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "redline_case: a case of a redline regression suite")
    if not config.getoption("--redline-suite", default=None):
        return
    epochs = config.getoption("--redline-epochs")
    rate = config.getoption("--redline-min-pass-rate")
    if epochs < 1:
        raise pytest.UsageError(f"--redline-epochs must be at least 1, got {epochs}")
    if not 0.0 <= rate <= 1.0:
        raise pytest.UsageError(f"--redline-min-pass-rate must be in [0, 1], got {rate}")
    # A misspelt target is one line and one exit here, before any case runs (each case
    # would otherwise fail on its own, burying the did-you-mean in tracebacks).
    _target_spec(config)


def _target_spec(config: pytest.Config) -> TargetSpec:
    from pydantic import ValidationError

    from redline.core import RedlineError
    from redline.targets import TargetSpec

    option = config.getoption
    try:
        return TargetSpec.parse(
            option("--redline-target"),
            model=option("--redline-model"),
            base_url=option("--redline-base-url"),
            api_key_env=option("--redline-api-key-env"),
        )
    except (RedlineError, ValidationError) as exc:
        problem = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        raise pytest.UsageError(f"--redline-target: {problem}") from None


class _SuiteRunner:
    """One event loop and one run loop (target, engine) for the whole session, built on
    first use, so the budget, rate limits and circuit breaker span every case."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.loop: asyncio.AbstractEventLoop | None = None
        self.run_loop: RunLoop | None = None

    def _start(self) -> RunLoop:
        from redline.run import EngineSettings, RunLoop

        option = self.config.getoption
        spec = _target_spec(self.config)
        self.loop = asyncio.new_event_loop()
        settings = EngineSettings(concurrency=min(option("--redline-epochs"), 8), cache=False)
        self.run_loop = RunLoop.for_target(spec, settings=settings)
        return self.run_loop

    def replay(self, case: RegressionCase) -> list[CaseSample]:
        from redline.core import GenerationParams
        from redline.regress import replay

        run_loop = self.run_loop or self._start()
        assert self.loop is not None
        generation = GenerationParams(max_tokens=self.config.getoption("--redline-max-new-tokens"))
        return self.loop.run_until_complete(
            replay(
                case,
                run_loop,
                epochs=self.config.getoption("--redline-epochs"),
                generation=generation,
            )
        )

    def close(self) -> None:
        if self.loop is None:
            return
        if self.run_loop is not None:
            self.loop.run_until_complete(self.run_loop.aclose())
        self.loop.close()
        self.loop = None


class CaseFailed(Exception):
    """A case's replies did not meet its expected behaviour often enough."""

    def __init__(self, summary: str, transcripts: list[str]) -> None:
        super().__init__(summary)
        self.summary = summary
        self.transcripts = transcripts


class RegressionCaseItem(pytest.Item):
    """One regression case as a test."""

    def __init__(self, *, case: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.add_marker("redline_case")

    def runtest(self) -> None:
        runner = self.config.stash[_RUNNER_KEY]
        samples = runner.replay(self.case)
        answered = [s for s in samples if s.passed is not None]
        if not answered:
            first = samples[0].attempt.error if samples else None
            detail = f"{first.kind}: {first.message}" if first else "no reply"
            raise CaseFailed(f"the target gave no reply ({detail})", [])
        passed = sum(1 for s in answered if s.passed)
        needed = math.ceil(self.config.getoption("--redline-min-pass-rate") * len(answered))
        if passed < needed:
            failing = [s.transcript() for s in answered if not s.passed]
            summary = (
                f"case {self.case.id} ({self.case.policy}, expected {self.case.expected}): "
                f"{passed}/{len(answered)} replies passed, {needed} needed"
            )
            raise CaseFailed(summary, failing)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        from redline.core import TargetUnreachableError

        if isinstance(excinfo.value, TargetUnreachableError):
            # The circuit breaker: one line naming the URL, not a traceback per case.
            return f"case {self.case.id}: {excinfo.value}"
        if isinstance(excinfo.value, CaseFailed):
            parts = [excinfo.value.summary]
            for number, transcript in enumerate(excinfo.value.transcripts, start=1):
                parts.append(f"--- failing reply {number} ---\n{transcript}")
            return "\n".join(parts)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"redline case {self.case.id}"


class RegressionSuiteFile(pytest.File):
    """A regression suite file; collects one item per case."""

    def collect(self) -> list[pytest.Item]:
        from redline.core import RedlineError
        from redline.regress import load_regression_suite

        try:
            suite = load_regression_suite(self.path)
        except RedlineError as exc:
            raise pytest.UsageError(f"--redline-suite: {exc}") from None
        return [RegressionCaseItem.from_parent(self, name=c.id, case=c) for c in suite.cases]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    suite = config.getoption("--redline-suite", default=None)
    if not suite:
        return
    path = Path(suite).resolve()
    if not path.is_file():
        raise pytest.UsageError(f"--redline-suite {suite}: file not found")
    config.stash[_RUNNER_KEY] = _SuiteRunner(config)
    node = RegressionSuiteFile.from_parent(session, path=path)
    items.extend(node.collect())


def pytest_unconfigure(config: pytest.Config) -> None:
    runner = config.stash.get(_RUNNER_KEY, None)
    if runner is not None:
        runner.close()
