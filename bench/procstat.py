"""CPU time and memory of a server's whole process tree, read from /proc.

Rules:
- A server is its root process and every descendant (Dovecot forks a process
  per IMAP session; roost is one process). The tree is rebuilt on each call
  from the ``ppid`` fields of ``/proc/*/stat``.
- CPU time = sum over live processes of utime + stime + cutime + cstime:
  ``cutime``/``cstime`` hold the time of children that already exited and
  were reaped, so short-lived processes (logins) are counted too, and never
  twice (a reaped child is no longer live).
- RSS sums ``/proc/<pid>/stat`` rss pages; it counts shared pages once per
  process, which overstates a multi-process server. PSS (from
  ``smaps_rollup``) divides shared pages among the processes that map them;
  the report gives both for the idle-connection workload.
- ``machine_busy`` (all CPUs, from /proc/stat) lets the report spot other
  work on a shared machine: busy time that is neither the suite's nor its
  servers' (both servers are children of the suite).
- ``PeakSampler`` samples RSS on a background thread; its interval grows
  with the cost of one sample so it never eats a core itself.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def _read_stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            raw = fh.read().decode("ascii", "replace")
    except OSError:
        return None
    # the command name (field 2) may contain spaces and parentheses
    return raw[raw.rfind(")") + 2 :].split()


def _all_stats() -> dict[int, list[str]]:
    stats = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            fields = _read_stat(int(name))
            if fields is not None:
                stats[int(name)] = fields
    return stats


def tree(root: int, stats: dict[int, list[str]] | None = None) -> list[int]:
    """``root`` and all its live descendants."""
    stats = _all_stats() if stats is None else stats
    children: dict[int, list[int]] = {}
    for pid, fields in stats.items():
        children.setdefault(int(fields[1]), []).append(pid)  # fields[1] = ppid
    out, todo = [], [root] if root in stats else []
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, ()))
    return out


def cpu_seconds(root: int) -> float:
    stats = _all_stats()
    ticks = 0
    for pid in tree(root, stats):
        f = stats[pid]
        # after the name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
        ticks += int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])
    return ticks / CLOCK_TICKS


def rss_bytes(root: int) -> int:
    stats = _all_stats()
    return sum(int(stats[pid][21]) for pid in tree(root, stats)) * PAGE_SIZE  # rss(21)


def process_count(root: int) -> int:
    return len(tree(root))


def pss_bytes(pids: Iterable[int]) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
                for line in fh:
                    if line.startswith(b"Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            continue
    return total


def machine_busy() -> float:
    """CPU seconds the whole machine spent not idle since boot (/proc/stat)."""
    with open("/proc/stat", "rb") as fh:
        fields = [int(x) for x in fh.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / CLOCK_TICKS


def mem_available() -> int:
    with open("/proc/meminfo", "rb") as fh:
        for line in fh:
            if line.startswith(b"MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


class PeakSampler:
    """Peak RSS of a process tree while a block runs (``with PeakSampler(pid) as s``)."""

    def __init__(self, root: int, interval: float = 0.5) -> None:
        self.root = root
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="peak-rss", daemon=True)

    def __enter__(self) -> PeakSampler:
        self.peak = rss_bytes(self.root)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)
        self.peak = max(self.peak, rss_bytes(self.root))

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.perf_counter()
            self.peak = max(self.peak, rss_bytes(self.root))
            cost = time.perf_counter() - started
            self._stop.wait(max(self.interval, cost * 20))
