"""WorkerPool: results and errors come back, cancellation, Executor API, shutdown; loop choice."""

from __future__ import annotations

import asyncio
import threading

import pytest

from roost.server.loop import loop_factory, loop_name, run
from roost.server.workers import WorkerPool


@pytest.fixture
def pool():
    p = WorkerPool(3, "test-worker")
    yield p
    p.shutdown(wait=True)


def test_run_returns_result_from_a_worker_thread(pool: WorkerPool) -> None:
    async def main() -> tuple[int, str]:
        return await pool.run(lambda a, b: (a + b, threading.current_thread().name), 2, 3)

    total, name = asyncio.run(main())
    assert total == 5
    assert name.startswith("test-worker_")


def test_run_raises_the_callers_exception(pool: WorkerPool) -> None:
    def boom() -> None:
        raise KeyError("x")

    async def main() -> None:
        await pool.run(boom)

    with pytest.raises(KeyError):
        asyncio.run(main())


def test_calls_run_concurrently_up_to_the_pool_size(pool: WorkerPool) -> None:
    barrier = threading.Barrier(3, timeout=10)

    async def main() -> list[int]:
        return await asyncio.gather(*(pool.run(barrier.wait) for _ in range(3)))

    assert sorted(asyncio.run(main())) == [0, 1, 2]


def test_cancelled_caller_drops_the_result(pool: WorkerPool) -> None:
    started, release = threading.Event(), threading.Event()
    done: list[int] = []

    def slow() -> int:
        started.set()
        release.wait(10)
        done.append(1)
        return 1

    async def main() -> None:
        task = asyncio.ensure_future(pool.run(slow))
        await asyncio.get_running_loop().run_in_executor(None, started.wait, 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        release.set()
        # The pool keeps working after a dropped result.
        assert await pool.run(lambda: 7) == 7

    asyncio.run(main())
    assert done == [1]


def test_executor_api_for_run_in_executor(pool: WorkerPool) -> None:
    assert pool.submit(pow, 2, 10).result(5) == 1024

    async def main() -> int:
        return await asyncio.get_running_loop().run_in_executor(pool, pow, 3, 3)

    assert asyncio.run(main()) == 27


def test_shutdown_finishes_queued_calls_then_refuses() -> None:
    p = WorkerPool(1)
    futures = [p.submit(lambda n=n: n * 2) for n in range(20)]
    p.shutdown(wait=True)
    assert [f.result(0) for f in futures] == [n * 2 for n in range(20)]
    with pytest.raises(RuntimeError):
        p.submit(int)
    p.shutdown()  # twice is fine


def test_loop_choices() -> None:
    assert loop_factory("asyncio") is None
    with pytest.raises(ValueError):
        loop_factory("trio")

    async def name() -> str:
        return loop_name(asyncio.get_running_loop())

    assert run(name(), "asyncio") == "asyncio"
    try:
        import uvloop  # noqa: F401
    except ImportError:
        assert loop_factory("auto") is None
        with pytest.raises(ValueError):
            loop_factory("uvloop")
    else:
        assert run(name(), "auto") == "uvloop"
