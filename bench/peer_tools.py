"""redline against its peers (promptfoo, garak, PyRIT): whole process, same stub, same prompts.

Each tool sends N distinct prompts to the same OpenAI-compatible stub on 127.0.0.1
(a fresh stub for every run, answering after --delay seconds) at concurrency C, and
is timed from spawn to exit: its own start-up, the sending, and writing its results
or report, with its response cache off. The figure is the wall time against the
physical limit N x delay / C, and redline's speed-up over each peer (the ratio of
median wall times). The stub's request count is checked against N: a tool that
sends more or fewer requests is reported, not hidden. Tools and stub run in
alternation (redline, then each peer, then again), pinned with --scan-cpu and
--stub-cpu. The peers are installed outside the repository (docs/benchmarks.md,
"The peers on this machine"); their configs are the data files in bench/peers/.

    python bench/peer_tools.py [--attempts 2000] [--concurrency 32] [--delay 0.05]
                               [--peers redline,promptfoo,garak,pyrit] [--repeat 2]
                               [--scan-cpu N] [--stub-cpu N] [--peers-dir /work/peers]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from string import Template

from engine_overhead import start_stub, write_prompts
from whole_process import scan_command, stub_arrivals

import redline

CONFIGS = Path(__file__).parent / "peers"
TOOLS = ("redline", "promptfoo", "garak", "pyrit")


class BenchError(Exception):
    """A failure the bench reports in one line (no traceback)."""


@dataclass
class Run:
    """What one tool needs for one run: its command line, extra environment, and
    how to tell it finished its job (None if so, else what is missing)."""

    command: list[str]
    env: dict[str, str]
    check: Callable[[str], str | None]


@dataclass
class Tool:
    name: str
    executable: Path  # must exist for the tool to run
    install: str  # how to install it, printed when it is missing
    version: Callable[[], str]
    prepare: Callable[[Path, str, list[str], int], Run]  # tmp, base URL, prompts, C


def tools(peers_dir: Path, args: argparse.Namespace) -> dict[str, Tool]:
    promptfoo = Path(args.promptfoo or peers_dir / "promptfoo/node_modules/.bin/promptfoo")
    garak = Path(args.garak_python or peers_dir / "garak/bin/python")
    pyrit = Path(args.pyrit_python or peers_dir / "pyrit/bin/python")
    venv = "/root/.pyenv/versions/3.11.7/bin/python -m venv"
    return {
        "redline": Tool(
            "redline", Path(sys.executable), "", lambda: redline.__version__, prepare_redline
        ),
        "promptfoo": Tool(
            "promptfoo",
            promptfoo,
            f"mkdir -p {peers_dir}/promptfoo && cd {peers_dir}/promptfoo && npm install promptfoo",
            lambda: json.loads((promptfoo.parent.parent / "promptfoo/package.json").read_text())[
                "version"
            ],
            lambda *a: prepare_promptfoo(promptfoo, args.promptfoo_home, *a),
        ),
        "garak": Tool(
            "garak",
            garak,
            f"{venv} {peers_dir}/garak && {peers_dir}/garak/bin/pip install torch==2.13.0 "
            f"&& {peers_dir}/garak/bin/pip install garak",
            lambda: package_version(garak, "garak"),
            lambda *a: prepare_garak(garak, *a),
        ),
        "pyrit": Tool(
            "pyrit",
            pyrit,
            f"{venv} {peers_dir}/pyrit && {peers_dir}/pyrit/bin/pip install torch==2.13.0 "
            f"&& {peers_dir}/pyrit/bin/pip install pyrit",
            lambda: package_version(pyrit, "pyrit"),
            lambda *a: prepare_pyrit(pyrit, *a),
        ),
    }


def package_version(python: Path, package: str) -> str:
    code = f"import importlib.metadata as m; print(m.version({package!r}))"
    return subprocess.run([str(python), "-c", code], capture_output=True, text=True).stdout.strip()


def fill(template: str, **values: object) -> str:
    return Template((CONFIGS / template).read_text(encoding="utf-8")).substitute(values)


def prepare_redline(tmp: Path, base_url: str, prompts: list[str], concurrency: int) -> Run:
    runs = tmp / "runs"
    command = scan_command(
        base_url=base_url,
        prompts=tmp / "prompts.jsonl",
        runs=runs,
        concurrency=concurrency,
        executor="local",
        scorers=[],  # the scan's default scorers, refusal and harm
    )

    def check(output: str) -> str | None:
        status = json.loads(output.strip().splitlines()[-1])["status"]
        return None if status == "completed" else f"scan status {status!r}"

    return Run([sys.executable, *command], {}, check)


def prepare_promptfoo(
    executable: Path,
    home: Path | None,
    tmp: Path,
    base_url: str,
    prompts: list[str],
    concurrency: int,
) -> Run:
    tests = tmp / "tests.csv"
    with tests.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["prompt"])
        writer.writerows([prompt] for prompt in prompts)
    config = tmp / "promptfooconfig.yaml"
    config.write_text(fill("promptfoo.yaml", base_url=base_url, tests=tests), encoding="utf-8")
    output = tmp / "promptfoo-results.json"
    command = [
        str(executable),
        "eval",
        "--config",
        str(config),
        "--max-concurrency",
        str(concurrency),
        "--no-cache",
        "--output",
        str(output),
        "--no-progress-bar",
        "--no-table",
    ]
    env = {
        # A fresh results database each run, as redline's runs directory is fresh
        # (--promptfoo-home keeps one, as a user's ~/.promptfoo is kept).
        "PROMPTFOO_CONFIG_DIR": str(home or tmp / "promptfoo-home"),
        "PROMPTFOO_DISABLE_TELEMETRY": "1",
        "PROMPTFOO_DISABLE_UPDATE": "1",
    }

    def check(_: str) -> str | None:
        return None if output.exists() else f"no results file {output}"

    return Run(command, env, check)


def prepare_garak(
    python: Path, tmp: Path, base_url: str, prompts: list[str], concurrency: int
) -> Run:
    reports = tmp / "garak-reports"
    config = tmp / "garak.yaml"
    text = fill(
        "garak.yaml",
        base_url=base_url,
        concurrency=concurrency,
        attempts=len(prompts),
        report_dir=reports,
        prompts=json.dumps(prompts),
    )
    config.write_text(text, encoding="utf-8")
    config.chmod(0o600)  # garak warns about a readable api_key otherwise
    command = [str(python), "-m", "garak", "--config", str(config), "--probes", "test.Test"]

    def check(_: str) -> str | None:
        found = list(reports.glob("*.report.jsonl"))
        return None if found else f"no report in {reports}"

    return Run(command, {}, check)


def prepare_pyrit(
    python: Path, tmp: Path, base_url: str, prompts: list[str], concurrency: int
) -> Run:
    lines = tmp / "prompts.txt"
    lines.write_text("".join(f"{prompt}\n" for prompt in prompts), encoding="utf-8")
    driver = CONFIGS / "pyrit_send.py"
    database = tmp / "pyrit.sqlite"
    command = [str(python), str(driver), str(lines), base_url, str(concurrency), str(database)]

    def check(output: str) -> str | None:
        done = f"pyrit completed {len(prompts)} of {len(prompts)}"
        return None if done in output else f"expected {done!r}, got {output.strip()[-200:]!r}"

    return Run(command, {}, check)


def pinned(cpu: int | None) -> Callable[[], None] | None:
    """A preexec_fn that pins the child (and so all its own children) to ``cpu``."""
    if cpu is None:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


def cpu_times() -> dict[str, tuple[int, int]]:
    """Busy and total jiffies of each CPU, from /proc/stat."""
    times = {}
    with open("/proc/stat", encoding="ascii") as stat:
        for line in stat:
            name, *fields = line.split()
            if name.startswith("cpu") and name != "cpu":
                ticks = [int(field) for field in fields]
                idle = ticks[3] + ticks[4]  # idle and iowait
                times[name.removeprefix("cpu")] = (sum(ticks) - idle, sum(ticks))
    return times


def busy_shares(before: dict[str, tuple[int, int]]) -> dict[str, float]:
    """Each CPU's busy share since ``before``: the load a run had beside it."""
    shares = {}
    for cpu, (busy, total) in cpu_times().items():
        elapsed = total - before[cpu][1]
        shares[cpu] = round((busy - before[cpu][0]) / elapsed, 2) if elapsed else 0.0
    return shares


def measure(
    tool: Tool,
    *,
    attempts: int,
    concurrency: int,
    delay: float,
    scan_cpu: int | None,
    stub_cpu: int | None,
    timeout: float,
) -> dict[str, object]:
    try:
        stub, base_url = start_stub(delay=delay, fail_rate=0.0)
    except RuntimeError as exc:
        raise BenchError(f"stub: {exc}") from None
    if stub_cpu is not None:
        os.sched_setaffinity(stub.pid, {stub_cpu})
    try:
        with tempfile.TemporaryDirectory(prefix=f"peer-{tool.name}-") as name:
            tmp = Path(name)
            write_prompts(tmp / "prompts.jsonl", attempts)
            with (tmp / "prompts.jsonl").open(encoding="utf-8") as handle:
                prompts = [json.loads(line)["prompt"] for line in handle]
            run = tool.prepare(tmp, base_url, prompts, concurrency)
            log = tmp / "stderr.log"
            with log.open("wb") as stderr:
                jiffies = cpu_times()
                started = time.monotonic()
                child = subprocess.Popen(
                    run.command,
                    stdout=subprocess.PIPE,
                    stderr=stderr,
                    env={**os.environ, **run.env},
                    cwd=tmp,
                    preexec_fn=pinned(scan_cpu),
                )
                try:
                    output, _ = child.communicate(timeout=timeout)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
                    raise BenchError(f"{tool.name}: still running after {timeout:.0f} s") from None
                wall = time.monotonic() - started
                shares = busy_shares(jiffies)
            text = output.decode(errors="replace")
            if child.returncode != 0:
                said = log.read_text(errors="replace").strip() or text.strip()
                tail = said.splitlines()[-5:]
                raise BenchError(
                    f"{tool.name} exited with status {child.returncode}: " + " | ".join(tail)
                )
            missing = run.check(text)
            if missing:
                raise BenchError(f"{tool.name} exited 0 but did not finish its job: {missing}")
            requests = len(stub_arrivals(base_url))
    finally:
        stub.terminate()
        stub.wait()
    limit = attempts * delay / concurrency
    return {
        "tool": tool.name,
        "attempts": attempts,
        "concurrency": concurrency,
        "stub_delay_s": delay,
        "physical_limit_s": round(limit, 3),
        "whole_process_s": round(wall, 2),
        "ratio": round(wall / limit, 2),
        "stub_requests": requests,
        "requests_match": requests == attempts,
        "scan_cpu": "any" if scan_cpu is None else scan_cpu,
        "stub_cpu": "any" if stub_cpu is None else stub_cpu,
        # Busy share of each CPU over the run (the tool and stub included): what else ran.
        "cpu_busy": shares,
        "load_1min": round(os.getloadavg()[0], 2),
    }


def summarise(results: list[dict[str, object]], versions: dict[str, str]) -> dict[str, object]:
    walls: dict[str, list[float]] = {}
    for result in results:
        walls.setdefault(str(result["tool"]), []).append(float(str(result["whole_process_s"])))
    limit = float(str(results[0]["physical_limit_s"]))
    medians = {tool: statistics.median(values) for tool, values in walls.items()}
    summary: dict[str, object] = {
        "summary": {
            tool: {
                "version": versions[tool],
                "runs": len(walls[tool]),
                "median_s": round(median, 2),
                "median_ratio": round(median / limit, 2),
                "all_s": walls[tool],
            }
            for tool, median in medians.items()
        }
    }
    if "redline" in medians:
        summary["redline_speedup"] = {
            tool: round(median / medians["redline"], 2)
            for tool, median in medians.items()
            if tool != "redline"
        }
    return summary


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attempts", type=int, default=2000, help="distinct prompts (N)")
    parser.add_argument("--concurrency", type=int, default=32, help="requests at a time (C)")
    parser.add_argument("--delay", type=float, default=0.05, help="the stub's latency, seconds")
    parser.add_argument(
        "--peers",
        default=",".join(TOOLS),
        help=f"comma-separated tools to run, of {', '.join(TOOLS)} (default: all)",
    )
    parser.add_argument("--repeat", type=int, default=2, help="runs of each tool, alternated")
    parser.add_argument("--scan-cpu", type=int, help="pin the tool under test to this CPU")
    parser.add_argument("--stub-cpu", type=int, help="pin the stub to this CPU")
    parser.add_argument(
        "--timeout", type=float, default=900, help="seconds one run may take (default 900)"
    )
    parser.add_argument(
        "--peers-dir",
        type=Path,
        default=Path(os.environ.get("REDLINE_PEERS_DIR", "/work/peers")),
        help="where the peers are installed (env REDLINE_PEERS_DIR; default /work/peers)",
    )
    parser.add_argument(
        "--promptfoo",
        default=os.environ.get("REDLINE_PROMPTFOO"),
        help="promptfoo executable (env REDLINE_PROMPTFOO; default "
        "PEERS_DIR/promptfoo/node_modules/.bin/promptfoo)",
    )
    parser.add_argument(
        "--promptfoo-home",
        type=Path,
        help="promptfoo's config and results database, kept between runs "
        "(default: a fresh one for each run)",
    )
    parser.add_argument(
        "--garak-python",
        default=os.environ.get("REDLINE_GARAK_PYTHON"),
        help="python of garak's venv "
        "(env REDLINE_GARAK_PYTHON; default PEERS_DIR/garak/bin/python)",
    )
    parser.add_argument(
        "--pyrit-python",
        default=os.environ.get("REDLINE_PYRIT_PYTHON"),
        help="python of PyRIT's venv "
        "(env REDLINE_PYRIT_PYTHON; default PEERS_DIR/pyrit/bin/python)",
    )
    args = parser.parse_args()
    unknown = set(args.peers.split(",")) - set(TOOLS)
    if unknown:
        parser.error(f"unknown tool(s) {', '.join(sorted(unknown))}; of {', '.join(TOOLS)}")
    return args


def main() -> int:
    args = parse_args()
    available = tools(args.peers_dir, args)
    chosen = []
    for name in args.peers.split(","):
        tool = available[name]
        if tool.executable.exists():
            chosen.append(tool)
        else:
            print(f"skipping {name}: {tool.executable} not found; install: {tool.install}")
    versions = {tool.name: tool.version() for tool in chosen}
    results = []
    try:
        for _ in range(args.repeat):
            for tool in chosen:
                result = measure(
                    tool,
                    attempts=args.attempts,
                    concurrency=args.concurrency,
                    delay=args.delay,
                    scan_cpu=args.scan_cpu,
                    stub_cpu=args.stub_cpu,
                    timeout=args.timeout,
                )
                print(json.dumps({**result, "version": versions[tool.name]}), flush=True)
                if not result["requests_match"]:
                    print(
                        f"WARNING: {tool.name} sent {result['stub_requests']} requests "
                        f"for {args.attempts} prompts",
                        flush=True,
                    )
                results.append(result)
    except BenchError as exc:
        print(f"peer_tools: {exc}", file=sys.stderr)
        return 1
    if results:
        print(json.dumps(summarise(results, versions)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
