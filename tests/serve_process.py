"""``roost serve`` as a real child process, for tests that need the command itself."""

from __future__ import annotations

import re
import select
import subprocess
import sys
import time

LISTENING = re.compile(r"listening listener=(\w+) address=127\.0\.0\.1:(\d+)")


def start_serve(*args: str) -> subprocess.Popen[bytes]:
    """``python -m roost serve ARGS`` with stderr (the log) on an unbuffered pipe."""
    return subprocess.Popen(
        [sys.executable, "-m", "roost", "serve", *args], stderr=subprocess.PIPE, bufsize=0
    )


def wait_for_listeners(
    process: subprocess.Popen[bytes], count: int, *, until: str | None = None
) -> tuple[dict[str, int], list[str]]:
    """Ports by listener name from the "listening" log lines (and, with
    ``until``, reading on until a line holding that text), with every line read."""
    ports: dict[str, int] = {}
    lines: list[str] = []
    deadline = time.monotonic() + 30
    assert process.stderr is not None
    while time.monotonic() < deadline:
        if len(ports) >= count and (until is None or any(until in x for x in lines)):
            break
        ready, _, _ = select.select([process.stderr], [], [], 0.5)
        if not ready:
            continue
        line = process.stderr.readline().decode()
        if not line:
            break
        lines.append(line)
        match = LISTENING.search(line)
        if match:
            ports[match.group(1)] = int(match.group(2))
    return ports, lines


def stop(process: subprocess.Popen[bytes]) -> str:
    """Kill the process if it still runs; the rest of its log."""
    if process.poll() is None:
        process.kill()
        process.wait()
    if process.stderr is None or process.stderr.closed:
        return ""
    output = process.stderr.read().decode()
    process.stderr.close()
    return output
