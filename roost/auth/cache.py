"""The authentication cache: recent successful logins, so a repeat skips Argon2.

Like Dovecot's ``auth_cache``, and off by default (``auth_cache_ttl = 0``).
A hit needs the user name and the same password as a login that succeeded
less than ``auth_cache_ttl`` seconds ago, and the account's stored hash must
still be the one that login was checked against.

Rules:
- No password is kept: an entry is keyed on the user name and an HMAC-SHA256
  of the password under a random key made per process (and per cache), so
  neither a memory dump nor a timing difference tells anything about other
  passwords, and two processes never share keys.
- The caller looks the account up in the store on every login (a cheap
  indexed read) and passes its current password hash: ``roost user passwd``
  or ``user del`` in another process changes or removes that row, so the
  next login misses at once, whatever the TTL.
- Only successes are cached: a wrong password always costs a full Argon2
  check (no shortcut for guessing).
- Bounded: at most ``max_entries`` entries, least recently used dropped first;
  thread-safe (worker threads call it).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class _Entry:
    user_id: int
    password_hash: str  # the stored hash the password was verified against
    expires: float


class LoginCache:
    def __init__(
        self, ttl: float, max_entries: int, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.max_entries = max(0, max_entries)
        self._clock = clock
        self._key = secrets.token_bytes(32)
        self._entries: OrderedDict[tuple[str, bytes], _Entry] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.ttl > 0 and self.max_entries > 0

    def _key_for(self, username: str, password: str) -> tuple[str, bytes]:
        digest = hmac.new(self._key, password.encode("utf-8", "surrogatepass"), hashlib.sha256)
        return username, digest.digest()

    def hit(self, username: str, password: str, user_id: int, password_hash: str) -> bool:
        """True when this name and password logged in recently against this very hash."""
        if not self.enabled:
            return False
        key = self._key_for(username, password)
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return False
            if entry.expires <= now or entry.user_id != user_id:
                del self._entries[key]
                return False
            if not hmac.compare_digest(entry.password_hash, password_hash):
                del self._entries[key]  # the password was changed (or the account re-made)
                return False
            self._entries.move_to_end(key)
            return True

    def remember(self, username: str, password: str, user_id: int, password_hash: str) -> None:
        """Record a login that has just succeeded with a full check."""
        if not self.enabled:
            return
        key = self._key_for(username, password)
        entry = _Entry(user_id, password_hash, self._clock() + self.ttl)
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def forget_user(self, username: str) -> None:
        """Drop every entry of a user (after this process changed the account)."""
        with self._lock:
            for key in [k for k in self._entries if k[0] == username]:
                del self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)
