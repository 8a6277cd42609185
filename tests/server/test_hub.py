"""ChangeHub: store notifications from any thread wake the watchers of that mailbox."""

from __future__ import annotations

import asyncio
import threading

from roost.server.hub import ChangeHub


def run(coro) -> None:
    asyncio.run(asyncio.wait_for(coro, 5))


def test_notify_from_another_thread_wakes_only_that_mailbox() -> None:
    async def main() -> None:
        hub = ChangeHub(asyncio.get_running_loop())
        mine, other = asyncio.Event(), asyncio.Event()
        with hub.watch(1, 10, mine), hub.watch(1, 11, other):
            thread = threading.Thread(target=hub.notify, args=(1, 10))
            thread.start()
            thread.join()
            await asyncio.wait_for(mine.wait(), 2)
            await asyncio.sleep(0)
            assert not other.is_set()
        assert hub.watched() == 0

    run(main())


def test_several_watchers_of_one_mailbox() -> None:
    async def main() -> None:
        hub = ChangeHub(asyncio.get_running_loop())
        first, second = asyncio.Event(), asyncio.Event()
        with hub.watch(2, 5, first):
            with hub.watch(2, 5, second):
                assert hub.watched() == 1
                await asyncio.to_thread(hub.notify, 2, 5)
                await asyncio.wait_for(asyncio.gather(first.wait(), second.wait()), 2)
            first.clear()
            second.clear()
            await asyncio.to_thread(hub.notify, 2, 5)
            await asyncio.wait_for(first.wait(), 2)
            assert not second.is_set()  # it stopped watching

    run(main())


def test_user_and_mailbox_both_count() -> None:
    async def main() -> None:
        hub = ChangeHub(asyncio.get_running_loop())
        event = asyncio.Event()
        with hub.watch(1, 7, event):
            await asyncio.to_thread(hub.notify, 2, 7)
            await asyncio.sleep(0.05)
            assert not event.is_set()

    run(main())


def test_notify_without_watchers_or_after_the_loop_closed() -> None:
    loop = asyncio.new_event_loop()
    hub = ChangeHub(loop)
    hub.notify(1, 1)  # nobody watches: nothing is scheduled
    with hub.watch(1, 1, asyncio.Event()):
        loop.close()
        hub.notify(1, 1)  # the loop is gone (server stopped): no exception


def test_interest_follows_the_first_and_last_watcher_of_a_user() -> None:
    async def scenario() -> tuple[list[tuple[int, bool]], list[bool]]:
        hub = ChangeHub(asyncio.get_running_loop())
        heard: list[tuple[int, bool]] = []
        hub.on_interest = lambda user, watching: heard.append((user, watching))
        idle, notify, other = asyncio.Event(), asyncio.Event(), asyncio.Event()
        with hub.watch(7, 1, idle):
            with hub.watch_user(7, notify), hub.watch(8, 1, other):
                hub.wake_user(7)
                woken = [idle.is_set(), notify.is_set(), other.is_set()]
            heard.append((0, False))  # marks the point: user 7 still has the IDLE watcher
        return heard, woken

    heard, woken = asyncio.run(scenario())
    assert heard == [(7, True), (8, True), (8, False), (0, False), (7, False)]
    assert woken == [True, True, False]
