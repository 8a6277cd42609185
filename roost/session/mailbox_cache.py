"""Big mailboxes' message lists kept in memory, shared by the sessions that select them.

Responsibility: a SELECT needs every UID of the mailbox and its flags. For a
big mailbox (100,000 messages) loading them is most of the cost of SELECT, and
clients select the same mailbox again and again. This cache keeps each big
mailbox's table as of a HIGHESTMODSEQ and brings it up to date with
``store.changes_since`` (one indexed query) whenever a view is opened, so a
SELECT costs a copy, not a load.

Rules:
- ``snapshot`` returns a consistent (highestmodseq, uids, flags) of one moment:
  the entry after applying every change up to the HIGHESTMODSEQ that
  ``changes_since`` reported. The caller gets its own copies to change.
- Mailboxes under ``MIN_MESSAGES`` are not cached (they load fast anyway);
  the cached messages are bounded by ``MAX_MESSAGES``, least recently used
  mailboxes dropped first.
- Entries are per store (weakly held) and mailbox id; ids are never reused,
  and a mailbox that is gone makes ``changes_since`` raise, which drops it.
- Thread-safe: a lock for the table of entries, one per entry for its update,
  so sessions selecting one mailbox wait for one load instead of doing two.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field

from roost.storage.interface import MailStore, StorageError

MIN_MESSAGES = 1_000
MAX_MESSAGES = 2_000_000


@dataclass
class _Entry:
    modseq: int = -1  # -1: not loaded yet
    uids: list[int] = field(default_factory=list)
    flags: dict[int, frozenset[str]] = field(default_factory=dict)
    keywords: set[str] = field(default_factory=set)  # grow-only, like the store's list
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass(frozen=True)
class Snapshot:
    highestmodseq: int
    uids: list[int]  # ascending; the caller's own copy
    flags: dict[int, frozenset[str]]  # the caller's own copy; equal sets shared
    keywords: frozenset[str]  # the keywords in those flags (perhaps a few more)


class MailboxCache:
    def __init__(self, min_messages: int = MIN_MESSAGES, max_messages: int = MAX_MESSAGES) -> None:
        self.min_messages = min_messages
        self.max_messages = max_messages
        self._lock = threading.Lock()
        self._stores: weakref.WeakKeyDictionary[MailStore, OrderedDict[int, _Entry]] = (
            weakref.WeakKeyDictionary()
        )

    def snapshot(self, store: MailStore, mailbox_id: int) -> Snapshot:
        entry = self._entry(store, mailbox_id)
        if entry is None:
            loaded = _load(store, mailbox_id)
            if len(loaded.uids) >= self.min_messages:
                self._add(store, mailbox_id, loaded)
            return loaded
        with entry.lock:
            try:
                self._refresh(store, mailbox_id, entry)
            except StorageError:
                self._drop(store, mailbox_id)
                raise
            out = Snapshot(
                entry.modseq, list(entry.uids), entry.flags.copy(), frozenset(entry.keywords)
            )
        if len(out.uids) < self.min_messages:
            self._drop(store, mailbox_id)  # shrank: not worth its memory any more
        return out

    def _entry(self, store: MailStore, mailbox_id: int) -> _Entry | None:
        with self._lock:
            boxes = self._stores.get(store)
            entry = boxes.get(mailbox_id) if boxes is not None else None
            if boxes is not None and entry is not None:
                boxes.move_to_end(mailbox_id)
            return entry

    def _add(self, store: MailStore, mailbox_id: int, loaded: Snapshot) -> None:
        entry = _Entry(
            loaded.highestmodseq, list(loaded.uids), loaded.flags.copy(), set(loaded.keywords)
        )
        with self._lock:
            boxes = self._stores.setdefault(store, OrderedDict())
            boxes.setdefault(mailbox_id, entry)
            total = sum(len(e.uids) for e in boxes.values())
            while total > self.max_messages and len(boxes) > 1:
                _, oldest = boxes.popitem(last=False)
                total -= len(oldest.uids)

    def _refresh(self, store: MailStore, mailbox_id: int, entry: _Entry) -> None:
        if entry.modseq < 0:
            loaded = _load(store, mailbox_id)
            entry.modseq, entry.uids, entry.flags = loaded.highestmodseq, loaded.uids, loaded.flags
            entry.keywords = set(loaded.keywords)
            return
        changes = store.changes_since(mailbox_id, entry.modseq)
        if changes.expunged:
            gone = set(changes.expunged)
            entry.uids = [u for u in entry.uids if u not in gone]
            for uid in gone:
                entry.flags.pop(uid, None)
        last = entry.uids[-1] if entry.uids else 0
        for state in changes.changed:  # ascending by uid; new ones come after ``last``
            if state.uid not in entry.flags:
                if state.uid < last:  # cannot happen (UIDs ascend); reload to be safe
                    entry.modseq = -1
                    self._refresh(store, mailbox_id, entry)
                    return
                entry.uids.append(state.uid)
                last = state.uid
            entry.flags[state.uid] = state.flags
            entry.keywords |= keywords_of(state.flags)
        entry.modseq = max(entry.modseq, changes.highestmodseq)

    def _drop(self, store: MailStore, mailbox_id: int) -> None:
        with self._lock:
            boxes = self._stores.get(store)
            if boxes is not None:
                boxes.pop(mailbox_id, None)


def _load(store: MailStore, mailbox_id: int) -> Snapshot:
    table = store.flag_table(mailbox_id)
    keywords: set[str] = set()
    for flags in {id(f): f for f in table.flags}.values():  # each distinct set once
        keywords |= keywords_of(flags)
    return Snapshot(
        table.highestmodseq,
        list(table.uids),
        dict(zip(table.uids, table.flags, strict=True)),
        frozenset(keywords),
    )


def keywords_of(flags: frozenset[str]) -> set[str]:
    return {f for f in flags if not f.startswith("\\")}


CACHE = MailboxCache()
