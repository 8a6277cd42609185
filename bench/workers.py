"""Load-generator processes: fork N workers, start them together, collect results.

``run_workers(fn, args_list, timeout)`` forks one process per element of
``args_list``; each runs ``fn(args, ready)`` where ``ready()`` blocks until
every worker (and the parent) has finished its preparation (making messages,
say), so timing starts at the same moment everywhere. ``fn`` returns a
picklable result. The parent gets ``(t0, results)`` with ``t0`` the
``time.monotonic()`` of the common start (CLOCK_MONOTONIC is system-wide on
Linux, so workers can use the same clock for deadlines).

``on_start`` runs in the parent at that moment (to start measuring there).

Rules: workers that fail send their traceback text instead of a result and
the parent raises; any worker still alive after ``timeout`` is killed. The
fork start method keeps arguments cheap (no pickling of the parent's state).
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import queue
import time
import traceback
from collections.abc import Callable
from typing import Any

_CTX = mp.get_context("fork")


class WorkerError(RuntimeError):
    pass


def _entry(fn: Callable[[Any, Callable[[], None]], Any], index: int, args: Any,
           barrier: Any, results: Any) -> None:  # fmt: skip
    called = []

    def ready() -> None:
        called.append(True)
        barrier.wait(600)

    try:
        result = fn(args, ready)
        if not called:  # a worker with nothing to prepare still joins the start
            ready()
        results.put((index, True, result))
    except BaseException:  # noqa: BLE001 - reported to the parent
        with contextlib.suppress(Exception):
            barrier.abort()
        results.put((index, False, traceback.format_exc()))


def run_workers(
    fn: Callable[[Any, Callable[[], None]], Any],
    args_list: list[Any],
    timeout: float,
    on_start: Callable[[], None] | None = None,
) -> tuple[float, list[Any]]:
    barrier = _CTX.Barrier(len(args_list) + 1)
    results = _CTX.Queue()
    procs = [
        _CTX.Process(target=_entry, args=(fn, i, args, barrier, results), daemon=True)
        for i, args in enumerate(args_list)
    ]
    for proc in procs:
        proc.start()
    deadline = time.monotonic() + timeout
    out: dict[int, Any] = {}
    failures: list[str] = []
    try:
        with contextlib.suppress(Exception):  # a worker failed while preparing
            barrier.wait(timeout)
        t0 = time.monotonic()
        if on_start is not None:
            on_start()
        while len(out) + len(failures) < len(procs):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WorkerError(f"workers did not finish within {timeout:.0f}s")
            try:
                index, ok, value = results.get(timeout=min(remaining, 5))
            except queue.Empty:
                if not any(p.is_alive() for p in procs) and results.empty():
                    raise WorkerError("workers died without a result") from None
                continue
            if ok:
                out[index] = value
            else:
                failures.append(value)
    finally:
        for proc in procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
                proc.join(5)
    if failures:
        raise WorkerError("worker failed:\n" + failures[0])
    return t0, [out[i] for i in range(len(procs))]


def split(items: list[Any], parts: int) -> list[list[Any]]:
    """``items`` dealt round-robin into ``parts`` non-empty lists."""
    parts = max(1, min(parts, len(items)))
    return [items[i::parts] for i in range(parts)]
