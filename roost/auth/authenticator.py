"""Checking passwords and slowing down password guessing.

``Authenticator.verify`` looks the user up and checks the password. For an
unknown user it still verifies against a dummy hash made with the same
parameters, so the time an answer takes does not reveal which users exist.

With ``auth_cache_ttl`` set, a login that repeats a recent success (same
name, same password, account unchanged) is answered from the ``LoginCache``
(``roost.auth.cache``) without Argon2; the account is still read from the
store every time, so a changed password or a deleted user is seen at once.

``failure_delay`` records a failed attempt and says how long to wait before
answering NO: ``auth_failure_delay`` doubled for each consecutive failure,
counted both per peer address and per user name (the larger wins), capped at
``auth_failure_delay_max``. ``record_success`` clears both counters.

Rules:
- Thread-safe: the session calls this from worker threads.
- Bounded memory: each tracking table holds at most ``max_entries`` keys
  (the least recently failed are dropped first) and forgets a key after
  ``forget_after`` seconds without failures.
- The delay is only returned; the driver does the waiting (without blocking
  the event loop), so slowing one attacker slows no one else.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from roost.auth.cache import LoginCache
from roost.auth.passwords import hash_password, needs_rehash, verify_password
from roost.config import Config
from roost.storage.interface import MailStore, StorageError, User

log = logging.getLogger(__name__)

MAX_ENTRIES = 10_000
FORGET_AFTER = 15 * 60.0

# "192.0.2.1:5678" or "[2001:db8::1]:5678": the port changes with every
# connection, so it must not be part of the key.
_IPV4_PORT = re.compile(r"^(\d{1,3}(?:\.\d{1,3}){3}):\d+$")
_IPV6_PORT = re.compile(r"^\[([0-9A-Fa-f:.%\w]+)\]:\d+$")


@dataclass(slots=True)
class _Entry:
    failures: int
    last: float


class _FailureTable:
    """Consecutive failures per key, oldest-updated first; not locked itself."""

    def __init__(self, max_entries: int, forget_after: float) -> None:
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._max = max_entries
        self._forget_after = forget_after

    def record(self, key: str, now: float) -> int:
        """Count one more failure for ``key``; returns the consecutive count."""
        self._expire(now)
        entry = self._entries.pop(key, None)
        count = 1 if entry is None else entry.failures + 1
        self._entries[key] = _Entry(count, now)  # re-inserted at the newest end
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)
        return count

    def clear(self, key: str) -> None:
        self._entries.pop(key, None)

    def failures(self, key: str, now: float) -> int:
        self._expire(now)
        entry = self._entries.get(key)
        return 0 if entry is None else entry.failures

    def __len__(self) -> int:
        return len(self._entries)

    def _expire(self, now: float) -> None:
        # Entries are ordered by last update, so expired ones sit at the front.
        while self._entries:
            key, entry = next(iter(self._entries.items()))
            if now - entry.last < self._forget_after:
                break
            del self._entries[key]


def peer_key(peer: str) -> str:
    """The address part of ``peer`` (a port, if present, is dropped)."""
    for pattern in (_IPV4_PORT, _IPV6_PORT):
        m = pattern.match(peer)
        if m:
            return m.group(1)
    return peer


class Authenticator:
    """Password checks plus per-peer and per-user failure backoff."""

    def __init__(
        self,
        store: MailStore,
        config: Config,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = MAX_ENTRIES,
        forget_after: float = FORGET_AFTER,
    ) -> None:
        self._store = store
        self._config = config
        self._clock = clock
        self._lock = threading.Lock()
        self._by_peer = _FailureTable(max_entries, forget_after)
        self._by_user = _FailureTable(max_entries, forget_after)
        # Made once with the configured cost so an unknown user costs the same
        # as a known one; the secret is random and never used for anything else.
        self._dummy_hash = hash_password(secrets.token_urlsafe(24), config)
        self.cache = LoginCache(config.auth_cache_ttl, config.auth_cache_size, clock=clock)

    # ------------------------------------------------------------ passwords

    def verify(self, username: str, password: str) -> User | None:
        """The user when ``password`` is theirs, else None (unknown user included)."""
        user = self._store.get_user(username)
        if user is None:
            verify_password(self._dummy_hash, password)  # same work, result ignored
            return None
        if self.cache.hit(username, password, user.id, user.password_hash):
            return user
        if not verify_password(user.password_hash, password):
            return None
        stored = self._upgrade_hash(user, password)
        self.cache.remember(username, password, user.id, stored)
        return user

    def _upgrade_hash(self, user: User, password: str) -> str:
        """Re-hash with the current parameters after a successful check (RFC 9106 advice).

        Returns the hash the store now holds for the user.
        """
        if not needs_rehash(user.password_hash, self._config):
            return user.password_hash
        fresh = hash_password(password, self._config)
        try:
            self._store.set_password(user.name, fresh)
        except StorageError as exc:  # the login itself is still fine
            log.warning("could not upgrade password hash of %s: %s", user.name, exc)
            return user.password_hash
        return fresh

    # ------------------------------------------------------------ backoff

    def failure_delay(self, peer: str, username: str) -> float:
        """Record a failed login and return the seconds to wait before answering NO."""
        now = self._clock()
        with self._lock:
            by_peer = self._by_peer.record(peer_key(peer), now)
            by_user = self._by_user.record(_user_key(username), now)
        return self._delay_for(max(by_peer, by_user))

    def record_success(self, peer: str, username: str) -> None:
        """A successful login clears the failure counts of that peer and user."""
        with self._lock:
            self._by_peer.clear(peer_key(peer))
            self._by_user.clear(_user_key(username))

    def failures(self, peer: str, username: str) -> tuple[int, int]:
        """Current consecutive failures (per peer, per user); for tests and logging."""
        now = self._clock()
        with self._lock:
            return (
                self._by_peer.failures(peer_key(peer), now),
                self._by_user.failures(_user_key(username), now),
            )

    def tracked(self) -> tuple[int, int]:
        """How many peers and users are being tracked (memory bound checks)."""
        with self._lock:
            return len(self._by_peer), len(self._by_user)

    def _delay_for(self, failures: int) -> float:
        base = self._config.auth_failure_delay
        cap = self._config.auth_failure_delay_max
        if failures <= 0 or base <= 0:
            return 0.0
        # Bound the exponent: 2**64 seconds is already far past any cap.
        return min(cap, base * 2.0 ** min(failures - 1, 64))


def _user_key(username: str) -> str:
    # Case variants of one name must share a counter, or guessing "Alice",
    # "ALICE", ... would each start from the smallest delay.
    return username.casefold()
