"""Change hub: wakes IDLE sessions when their mailbox changes.

The store calls ``notify(user_id, mailbox_id)`` after every committed change,
from whichever worker thread made it. The hub hands the wake-up to the event
loop with ``call_soon_threadsafe``, where it sets the ``asyncio.Event`` of each
session watching that mailbox. Nothing polls: an idle session awaits its event.

Rules:
- ``notify`` is the only method called off the event loop thread. It reads the
  waiter table without a lock (a dict membership test is atomic in CPython)
  only to skip the hop to the loop when nobody watches the mailbox; the table
  itself is changed only on the loop thread.
- A watcher registers before it polls the store, so a change committed between
  its poll and its wait still sets the event.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager, suppress

Key = tuple[int, int]  # (user_id, mailbox_id)


class ChangeHub:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._waiters: dict[Key, set[asyncio.Event]] = {}

    def notify(self, user_id: int, mailbox_id: int) -> None:
        """Store listener, any thread: wake the watchers of this mailbox."""
        key = (user_id, mailbox_id)
        if key not in self._waiters:
            return  # the common case: nobody is idling there
        # RuntimeError: the loop is closed, the server is gone, nobody to wake.
        with suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._wake, key)

    def _wake(self, key: Key) -> None:
        for event in self._waiters.get(key, ()):
            event.set()

    @contextmanager
    def watch(self, user_id: int, mailbox_id: int, event: asyncio.Event) -> Iterator[asyncio.Event]:
        """Set ``event`` on every change to the mailbox while the block runs (loop thread)."""
        key = (user_id, mailbox_id)
        self._waiters.setdefault(key, set()).add(event)
        try:
            yield event
        finally:
            waiters = self._waiters.get(key)
            if waiters is not None:
                waiters.discard(event)
                if not waiters:
                    del self._waiters[key]

    def watched(self) -> int:
        """How many mailboxes have watchers (for tests and metrics)."""
        return len(self._waiters)
