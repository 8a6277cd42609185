"""Results: one figure per (workload, metric) for each server, and the Markdown table.

Every figure is recorded with its unit and which direction is better, so the
table can show the ratio roost/Dovecot and whether roost is ahead. A figure a
server cannot give (roost has no auth cache) is a string such as "n/a" and
has no ratio. Percentiles use the nearest-rank method.
"""

from __future__ import annotations

import math
import os
import platform
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from bench.procstat import PeakSampler, cpu_seconds, machine_busy

SERVERS = ("roost", "Dovecot")


def percentile(values: list[float], p: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class Row:
    workload: str
    metric: str
    unit: str
    better: str  # "higher", "lower" or ""
    values: dict[str, float | str] = field(default_factory=dict)


@dataclass
class Usage:
    """CPU from ``cpu0`` (reset by ``restart`` when the timed part begins) to the end."""

    pid: int
    cpu0: float = 0.0
    cpu: float = 0.0
    peak_rss: int = 0

    def restart(self) -> None:
        self.cpu0 = cpu_seconds(self.pid)


class Results:
    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.notes: list[str] = []
        self.details: list[str] = []
        self._index: dict[tuple[str, str], Row] = {}

    def set(self, workload: str, metric: str, unit: str, better: str, server: str,
            value: float | str) -> None:  # fmt: skip
        key = (workload, metric)
        row = self._index.get(key)
        if row is None:
            row = Row(workload, metric, unit, better)
            self._index[key] = row
            self.rows.append(row)
        row.values[server] = value

    def note(self, text: str) -> None:
        self.notes.append(text)

    def detail(self, text: str) -> None:
        self.details.append(text)

    @contextmanager
    def usage(self, workload: str, server: object) -> Iterator[Usage]:
        """Record the server's CPU time and peak RSS over the block."""
        pid = server.pid  # type: ignore[attr-defined]
        name = server.name  # type: ignore[attr-defined]
        usage = Usage(pid)
        usage.restart()
        ours0, busy0, wall0 = cpu_seconds(os.getpid()), machine_busy(), time.monotonic()
        with PeakSampler(pid) as sampler:
            yield usage
        usage.cpu = cpu_seconds(pid) - usage.cpu0
        usage.peak_rss = sampler.peak
        # CPU that neither the suite nor its servers used: other work on a shared machine
        foreign = (machine_busy() - busy0) - (cpu_seconds(os.getpid()) - ours0)
        capacity = (time.monotonic() - wall0) * (os.cpu_count() or 1)
        if foreign > 0.05 * capacity:
            self.note(f"{workload} on {name}: other processes on the machine used "
                      f"{foreign:.0f} CPU-s of {capacity:.0f} available; figures may be low")  # fmt: skip
        self.set(workload, "server CPU time", "s", "lower", name, usage.cpu)
        self.set(workload, "server peak RSS", "MiB", "lower", name, usage.peak_rss / 2**20)

    # ------------------------------------------------------------ rendering

    def table(self) -> str:
        lines = [
            "| Workload | Metric | Unit | roost | Dovecot | roost/Dovecot | better |",
            "|---|---|---|---:|---:|---:|---|",
        ]
        for row in self.rows:
            r, d = row.values.get("roost", "-"), row.values.get("Dovecot", "-")
            lines.append(
                f"| {row.workload} | {row.metric} | {row.unit} | {fmt(r)} | {fmt(d)} | "
                f"{ratio(r, d)} | {row.better} |"
            )
        return "\n".join(lines)

    def markdown(self, header: list[str]) -> str:
        parts = ["# roost vs Dovecot: benchmark results", "", *header, "", self.table(), ""]
        if self.notes:
            parts += ["## Notes", "", *(f"- {n}" for n in self.notes), ""]
        if self.details:
            parts += ["## Details", "", *self.details, ""]
        return "\n".join(parts)


def fmt(value: float | str) -> str:
    if isinstance(value, str):
        return value
    if math.isnan(value):
        return "-"
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 0.01:
        return f"{value:.3g}"
    return f"{value:.2e}"


def ratio(a: float | str, b: float | str) -> str:
    if isinstance(a, str) or isinstance(b, str) or math.isnan(a) or math.isnan(b) or b == 0:
        return "n/a"
    return f"{a / b:.2f}x"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as fh:
            mem = int(fh.readline().split()[1]) / 2**20
    except OSError:
        mem = 0.0
    return (f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, "
            f"Linux {platform.release()}, Python {platform.python_version()}")  # fmt: skip
