"""Worker threads for blocking calls, with a short path back to the event loop.

Every command a session runs crosses to a worker thread and back (storage
and password hashing block). ``loop.run_in_executor`` on a
``ThreadPoolExecutor`` spends, per call, a ``concurrent.futures.Future``, a
work item, a queue built on a ``Condition`` and a second, chained asyncio
future; on this server that hop cost about as much CPU as a whole NOOP.
``WorkerPool.run`` hands the call straight to one idle thread and the
result back with one ``call_soon_threadsafe`` that settles the awaited
future directly.

Each thread sleeps on a lock of its own, and a call wakes exactly the thread
it is given to. A shared ``queue.SimpleQueue`` (as ``ThreadPoolExecutor``
uses) wakes a second sleeping thread each time one takes a job: the taker
releases the queue's lock on its way out, the next sleeper wakes, takes the
GIL, finds nothing and sleeps again. One session APPENDing went from 16.5
to 10.3 context switches per message with this (counted in ``/proc``).
Idle threads are reused last-in first-out, so a quiet server keeps using
the same warm thread.

Rules:
- ``run(fn, *args)`` is awaited on the event loop; the call runs on a pool
  thread. Cancelling the awaiting task does not stop a call that has started
  (as with ``run_in_executor``): its result is dropped.
- ``WorkerPool`` is also a ``concurrent.futures.Executor`` (``submit``), so
  ``loop.run_in_executor`` keeps working for the rare callers that use it.
- The threads start with the pool and end at ``shutdown`` (which waits for
  queued calls to finish); a call after ``shutdown`` raises ``RuntimeError``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_Job = tuple[Any, Any, Callable[..., Any], tuple[Any, ...], dict[str, Any]]


class _Thread:
    """One pool thread: the job it was handed and the lock it sleeps on."""

    def __init__(self) -> None:
        self.job: _Job | None = None
        self.wake = threading.Lock()
        self.wake.acquire()  # held while the thread has nothing to do


class WorkerPool(concurrent.futures.Executor):
    def __init__(self, threads: int, name: str = "roost-worker") -> None:
        self._lock = threading.Lock()  # guards _queued, _idle, _closed
        self._queued: deque[_Job] = deque()  # jobs waiting for a thread
        self._idle: list[_Thread] = []  # threads waiting for a job (last in, first out)
        self._closed = False
        self._threads = [
            threading.Thread(target=self._work, args=(_Thread(),), name=f"{name}_{n}", daemon=True)
            for n in range(max(1, threads))
        ]
        for thread in self._threads:
            thread.start()

    @property
    def size(self) -> int:
        return len(self._threads)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on a worker thread; its result (or exception) here."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._put((loop, future, fn, args, {}))
        return await future

    def submit(
        self, fn: Callable[..., T], /, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future[T]:  # noqa: E501
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._put((None, future, fn, args, kwargs))
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:  # queued jobs still run: busy threads drain them first
            worker.wake.release()
        if wait:
            for thread in self._threads:
                if thread is not threading.current_thread():
                    thread.join()

    def _put(self, job: _Job) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("worker pool is shut down")
            if not self._idle:
                self._queued.append(job)
                return
            worker = self._idle.pop()
            worker.job = job
        worker.wake.release()

    def _next(self, me: _Thread) -> _Job | None:
        """The next job for this thread, sleeping until there is one (None: shut down)."""
        with self._lock:
            if self._queued:
                return self._queued.popleft()
            if self._closed:
                return None
            self._idle.append(me)
        me.wake.acquire()
        job, me.job = me.job, None
        return job

    def _work(self, me: _Thread) -> None:
        while (job := self._next(me)) is not None:
            loop, future, fn, args, kwargs = job
            if loop is None:
                _run_concurrent(future, fn, args, kwargs)
                continue
            if future.done():  # the caller was cancelled before the call started
                continue
            try:
                result = fn(*args)
            except BaseException as exc:  # noqa: BLE001 - handed to the awaiting task
                _post(loop, _settle_error, future, exc)
            else:
                _post(loop, _settle, future, result)
            del job, future, fn, args, kwargs  # no reference kept while idle


def _run_concurrent(
    future: concurrent.futures.Future[Any],
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> None:
    if not future.set_running_or_notify_cancel():
        return
    try:
        result = fn(*args, **kwargs)
    except BaseException as exc:  # noqa: BLE001 - handed to the future's owner
        future.set_exception(exc)
    else:
        future.set_result(result)


def _post(loop: asyncio.AbstractEventLoop, callback: Callable[..., None], *args: Any) -> None:
    with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting any more
        loop.call_soon_threadsafe(callback, *args)


def _settle(future: asyncio.Future[Any], result: Any) -> None:
    if not future.done():
        future.set_result(result)


def _settle_error(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)
