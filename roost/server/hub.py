"""Change hub: wakes sessions when a mailbox they watch changes.

The store calls ``notify(user_id, mailbox_id)`` after every committed change,
from whichever worker thread made it. The hub hands the wake-up to the event
loop with ``call_soon_threadsafe``, where it sets the ``asyncio.Event`` of each
session watching that mailbox. Nothing polls: an idle session awaits its event.

Two kinds of watch: ``watch(user, mailbox)`` (IDLE on the selected mailbox)
and ``watch_user(user)`` (NOTIFY, RFC 5465: any change to any mailbox of the
user, to the mailbox list, or to the subscriptions). ``mailbox_id`` 0 is the
store's "mailbox list or subscriptions changed" signal (SUBSCRIBE does not
touch a mailbox); only user watchers care about it.

Rules:
- ``notify`` is the only method called off the event loop thread. It reads the
  waiter tables without a lock (a dict membership test is atomic in CPython)
  only to skip the hop to the loop when nobody watches the mailbox or the
  user; the tables themselves are changed only on the loop thread.
- A watcher registers before it polls the store, so a change committed between
  its poll and its wait still sets the event.
- ``on_interest(user_id, watching)`` (when set; loop thread) hears when a user
  gets a first watcher of either kind (True) and loses the last (False): with
  several processes, changes made elsewhere are sent only to processes that
  watch the user (``roost.server.processes``). ``wake_user`` sets every
  watcher of a user, for when this process cannot know what it missed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

Key = tuple[int, int]  # (user_id, mailbox_id)


class ChangeHub:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._waiters: dict[Key, set[asyncio.Event]] = {}
        self._user_waiters: dict[int, set[asyncio.Event]] = {}
        self._watches: dict[int, int] = {}  # user id -> watches of both kinds
        self.on_interest: Callable[[int, bool], None] | None = None

    def notify(self, user_id: int, mailbox_id: int) -> None:
        """Store listener, any thread: wake the watchers of this mailbox and user."""
        key = (user_id, mailbox_id)
        if key not in self._waiters and user_id not in self._user_waiters:
            return  # the common case: nobody is idling there
        # RuntimeError: the loop is closed, the server is gone, nobody to wake.
        with suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._wake, key)

    def _wake(self, key: Key) -> None:
        for event in self._waiters.get(key, ()):
            event.set()
        for event in self._user_waiters.get(key[0], ()):
            event.set()

    def wake_user(self, user_id: int) -> None:
        """Set the event of every watcher of the user (loop thread)."""
        for (watched, _), events in self._waiters.items():
            if watched == user_id:
                for event in events:
                    event.set()
        for event in self._user_waiters.get(user_id, ()):
            event.set()

    @contextmanager
    def watch(self, user_id: int, mailbox_id: int, event: asyncio.Event) -> Iterator[asyncio.Event]:
        """Set ``event`` on every change to the mailbox while the block runs (loop thread)."""
        key = (user_id, mailbox_id)
        self._waiters.setdefault(key, set()).add(event)
        self._count(user_id, 1)
        try:
            yield event
        finally:
            self._count(user_id, -1)
            waiters = self._waiters.get(key)
            if waiters is not None:
                waiters.discard(event)
                if not waiters:
                    del self._waiters[key]

    @contextmanager
    def watch_user(self, user_id: int, event: asyncio.Event) -> Iterator[asyncio.Event]:
        """Set ``event`` on every change to any mailbox of the user, its mailbox
        list or its subscriptions while the block runs (loop thread)."""
        self._user_waiters.setdefault(user_id, set()).add(event)
        self._count(user_id, 1)
        try:
            yield event
        finally:
            self._count(user_id, -1)
            waiters = self._user_waiters.get(user_id)
            if waiters is not None:
                waiters.discard(event)
                if not waiters:
                    del self._user_waiters[user_id]

    def _count(self, user_id: int, delta: int) -> None:
        count = self._watches.get(user_id, 0) + delta
        if count:
            self._watches[user_id] = count
        else:
            del self._watches[user_id]
        if self.on_interest is not None and count == (1 if delta > 0 else 0):
            self.on_interest(user_id, count > 0)

    def watched(self) -> int:
        """How many mailboxes have watchers (for tests and metrics)."""
        return len(self._waiters)

    def watched_users(self) -> int:
        """How many users have whole-account watchers (NOTIFY sessions)."""
        return len(self._user_waiters)
