"""Runs inside the sandbox, as the sandbox's first process after bubblewrap's init.

``python3 -I -c SOURCE LIMITS_JSON STATUS_FD ARGV...``: forks, applies the resource
limits in the child only (so this process can always report), executes ARGV, waits
for it and writes how it ended to STATUS_FD as JSON: exit code (negative: the
signal), CPU seconds and peak memory. The code never sees STATUS_FD (it is closed
on exec), so it cannot forge the report.

Standard library only, and no redline imports: it runs on the sandbox's own
python3, which has no redline installed.
"""

import json
import os
import resource
import sys


def main(argv: list[str]) -> int:
    limits = json.loads(argv[1])
    status_fd = int(argv[2])
    command = argv[3:]
    os.set_inheritable(status_fd, False)
    pid = os.fork()
    if pid == 0:
        try:
            for name, (soft, hard) in limits.items():
                resource.setrlimit(getattr(resource, name), (soft, hard))
            os.execvp(command[0], command)
        except OSError as exc:
            os.write(2, f"sandbox: cannot run {command[0]}: {exc.strerror}\n".encode())
        os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    exit_code = os.waitstatus_to_exitcode(status)
    report = {
        "exit": exit_code,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "max_rss_kib": usage.ru_maxrss,
    }
    os.write(status_fd, json.dumps(report).encode())
    os.close(status_fd)
    return exit_code if exit_code >= 0 else 128 - exit_code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
