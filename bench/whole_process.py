"""Whole-process speed and memory: `redline scan` start to exit against the stub.

Runs the real CLI in a child process (interpreter start, imports, planning,
sending, scoring, summary, report) against the OpenAI-compatible stub on
127.0.0.1 and reports the wall time against the physical limit
(attempts x delay / concurrency; with retries, also against a limit that counts
the retried requests, (attempts + retries) x delay / concurrency, so what is
left over that is the tail of the retries), the child's peak RSS and CPU seconds, and
the time to the first request: from spawning the child to the stub's arrival
time of its first chat request (both ``time.monotonic``, one clock for every
process on the machine), and from the last arrival to the child's exit.

    python bench/whole_process.py [--attempts 10000] [--concurrency 64] [--delay 0.05]
                                  [--behaviours K]  (K prompts x attempts/K epochs; default: one
                                                     prompt per attempt)
                                  [--fail-rate 0.0] [--executor local|ray] [--profile FILE]
                                  [--scorer NAME ...]  (default: the scan's, refusal and harm)
                                  [--stub-cpu N]  (pin the stub to CPU N; default: the scan's CPUs)
                                  [--keep-runs DIR]  (keep the run there, for finish_steps.py)
                                  [--sample-rss]  (the child's RSS every 0.25 s: peak while
                                                   sending and after the last request)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from engine_overhead import start_stub, write_prompts

# `python -m cProfile` writes its file after the program returns, which `redline scan`
# never does (it ends with os._exit after the exit handlers: redline.cli.quick_exit),
# so the profile is written by an exit handler.
PROFILE = """
import atexit, cProfile, runpy, sys
profile = cProfile.Profile()
def dump():
    profile.disable()
    profile.dump_stats({path!r})
atexit.register(dump)
sys.argv = ["redline", *sys.argv[1:]]
profile.enable()
runpy.run_module("redline", run_name="__main__")
"""


def scan_command(
    *,
    base_url: str,
    prompts: Path,
    runs: Path,
    concurrency: int,
    executor: str,
    scorers: list[str],
    epochs: int = 1,
) -> list[str]:
    return [
        "-m",
        "redline",
        "scan",
        "--target",
        "openai",
        "--model",
        "stub",
        "--base-url",
        base_url,
        "--prompts",
        str(prompts),
        "--concurrency",
        str(concurrency),
        "--max-retries",
        "20",
        "--no-cache",
        "--json",
        "--runs-dir",
        str(runs),
        *(["--executor", executor] if executor != "local" else []),
        *(["--epochs", str(epochs)] if epochs > 1 else []),
        *[option for name in scorers for option in ("--scorer", name)],
    ]


def wrapped_scan(
    tmp: Path, *, wrapper: str, base_url: str, attempts: int, concurrency: int
) -> tuple[list[str], Path]:
    """A child's command line that runs ``redline scan`` (default scorers) under
    ``wrapper``, Python source that runs ``redline`` itself and writes its findings
    to the path in ``MARKS``; and that path. The prompts are written into ``tmp``."""
    prompts = tmp / "prompts.jsonl"
    write_prompts(prompts, attempts)
    marks = tmp / "marks.json"
    args = scan_command(
        base_url=base_url,
        prompts=prompts,
        runs=tmp / "runs",
        concurrency=concurrency,
        executor="local",
        scorers=[],
    )[2:]  # the wrapper runs `redline` itself: drop "-m redline"
    return [sys.executable, "-c", f"MARKS = {str(marks)!r}\n{wrapper}", *args], marks


def measure(
    *,
    attempts: int,
    concurrency: int,
    delay: float,
    fail_rate: float,
    executor: str,
    profile: Path | None,
    scorers: list[str],
    stub_cpu: int | None = None,
    behaviours: int | None = None,
    keep_runs: Path | None = None,
    sample_rss: bool = False,
) -> dict[str, object]:
    # A real large run repeats its behaviours (epochs, attacks): K prompts x N/K epochs
    # keeps what grows with the behaviours apart from what grows with the attempts.
    behaviours = behaviours or attempts
    if attempts % behaviours:
        raise ValueError(f"--attempts {attempts} is not a multiple of --behaviours {behaviours}")
    stub, base_url = start_stub(delay=delay, fail_rate=fail_rate)
    if stub_cpu is not None:
        # The target's CPU is not the scan's: on the same core as the scan, the stub's
        # work on every response delays the scan's next request.
        os.sched_setaffinity(stub.pid, {stub_cpu})
    try:
        with tempfile.TemporaryDirectory() as tmp:
            prompts = Path(tmp) / "prompts.jsonl"
            write_prompts(prompts, behaviours)
            args = scan_command(
                base_url=base_url,
                prompts=prompts,
                runs=keep_runs or Path(tmp) / "runs",
                concurrency=concurrency,
                executor=executor,
                scorers=scorers,
                epochs=attempts // behaviours,
            )
            if profile is not None:
                args = ["-c", PROFILE.format(path=str(profile)), *args[2:]]
            started = time.monotonic()
            child = subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE)
            samples: list[tuple[float, float]] = []
            sampler = threading.Thread(target=_sample_rss, args=(child.pid, samples), daemon=True)
            if sample_rss:
                sampler.start()
            output = child.stdout.read() if child.stdout else b""
            _, status, usage = os.wait4(child.pid, 0)
            exited = time.monotonic()
            wall = exited - started
            if status != 0:
                raise RuntimeError(f"redline scan exited with status {status >> 8}")
            document = json.loads(output.decode().strip().splitlines()[-1])
            arrivals = stub_arrivals(base_url)
    finally:
        stub.terminate()
        stub.wait()
    limit = attempts * delay / concurrency
    engine = document["engine"]
    # Every retried request costs a slot for one delay too: the limit of the
    # requests actually sent.
    sent_limit = (attempts + engine["retries"]) * delay / concurrency
    phases: dict[str, object] = {}
    if samples and arrivals:
        # RSS sampled up to the stub's last arrival is the sending's; after it, the
        # last responses' scoring and the finish (summary, report).
        sending = [rss for at, rss in samples if at <= arrivals[-1]]
        after = [rss for at, rss in samples if at > arrivals[-1]]
        phases = {
            "sending_peak_rss_mb": round(max(sending), 1) if sending else None,
            "after_last_request_peak_rss_mb": round(max(after), 1) if after else None,
        }
    return {
        "attempts": attempts,
        "behaviours": behaviours,
        "concurrency": concurrency,
        "executor": executor,
        "scorers": scorers or "default",
        "stub_fail_rate": fail_rate,
        "stub_cpu": "same as the scan" if stub_cpu is None else stub_cpu,
        "physical_limit_s": round(limit, 2),
        "whole_process_s": round(wall, 2),
        "whole_process_ratio": round(wall / limit, 3),
        "limit_with_retries_s": round(sent_limit, 2),
        "ratio_with_retries": round(wall / sent_limit, 3),
        "engine_ratio_with_retries": round(engine["wall_s"] / sent_limit, 3),
        "engine_wall_s": round(engine["wall_s"], 2),
        # Spawn to the stub's first chat request: interpreter, imports, planning.
        "first_request_s": round(arrivals[0] - started, 3) if arrivals else None,
        # The stub's last arrival to exit: the last responses, scoring, summary, report.
        "after_last_request_s": round(exited - arrivals[-1], 3) if arrivals else None,
        "completed": engine["completed"],
        "retries": engine["retries"],
        "status": document["status"],
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        **phases,
        # CPU seconds of the scan (user + system): steadier than wall time on a shared machine.
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "load_1min": round(os.getloadavg()[0], 2),
    }


def _sample_rss(pid: int, samples: list[tuple[float, float]]) -> None:
    """Append (monotonic time, RSS in MB) of process ``pid`` every 0.25 s until it ends."""
    while True:
        try:
            with open(f"/proc/{pid}/status", encoding="ascii") as status:
                rss = next(line for line in status if line.startswith("VmRSS"))
        except (OSError, StopIteration):
            return  # gone (or a zombie: no VmRSS line)
        samples.append((time.monotonic(), int(rss.split()[1]) / 1024))
        time.sleep(0.25)


def stub_arrivals(base_url: str) -> list[float]:
    """The monotonic arrival times of every chat request the stub has had."""
    stats_url = base_url.removesuffix("/v1") + "/stats?arrivals=1"
    with urllib.request.urlopen(stats_url, timeout=10) as response:
        return sorted(json.loads(response.read())["arrivals"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attempts", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument(
        "--behaviours",
        type=int,
        help="distinct prompts (attempts must be a multiple: the rest are epochs; "
        "default: one prompt per attempt)",
    )
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--fail-rate", type=float, default=0.0)
    parser.add_argument("--executor", default="local", choices=["local", "ray"])
    parser.add_argument("--profile", type=Path, help="write the child's cProfile stats here")
    parser.add_argument(
        "--stub-cpu", type=int, help="pin the stub to this CPU (default: the scan's CPUs)"
    )
    parser.add_argument("--keep-runs", type=Path, help="write the run here and keep it")
    parser.add_argument(
        "--sample-rss", action="store_true", help="peak RSS while sending and after it"
    )
    parser.add_argument(
        "--scorer", action="append", default=[], help="scorer to apply (repeatable)"
    )
    args = parser.parse_args()
    result = measure(
        attempts=args.attempts,
        concurrency=args.concurrency,
        delay=args.delay,
        fail_rate=args.fail_rate,
        executor=args.executor,
        profile=args.profile,
        scorers=args.scorer,
        stub_cpu=args.stub_cpu,
        behaviours=args.behaviours,
        keep_runs=args.keep_runs,
        sample_rss=args.sample_rss,
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
