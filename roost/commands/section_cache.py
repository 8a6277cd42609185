"""A bounded cache of header sections already sent, shared by the sessions of a process.

Why: mail clients fetch the same header fields of the same messages again and
again (each device, each window scroll, each resync), and a message's bytes
never change once stored, so neither do its sections. Dovecot keeps such
fields in its cache file for the same reason.

Rules:
- Keys are (blob id, section): a blob id names one immutable message body and
  is never reused, so an entry can never go stale; nothing is invalidated.
- Least recently used entries go first once the entries' bytes (plus a fixed
  allowance per entry for the key) pass ``max_bytes``.
- Thread-safe: commands run on the event loop and on worker threads.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

# What one entry costs besides its bytes: the key's strings and the dict slot.
ENTRY_OVERHEAD = 256


class SectionCache:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            data = self._entries.get(key)
            if data is not None:
                self._entries.move_to_end(key)
            return data

    def put(self, key: Hashable, data: bytes) -> None:
        cost = len(data) + ENTRY_OVERHEAD
        if cost > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old) + ENTRY_OVERHEAD
            self._entries[key] = data
            self._bytes += cost
            while self._bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped) + ENTRY_OVERHEAD

    @property
    def size(self) -> int:
        """Bytes accounted to the entries now."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)
