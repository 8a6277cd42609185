"""Password hashing with Argon2id (RFC 9106) through argon2-cffi.

Stored hashes are PHC strings (``$argon2id$v=19$m=...,t=...,p=...$salt$hash``),
so each one carries its own parameters and salt: changing the configured cost
does not invalidate old hashes, and ``needs_rehash`` tells when one is due for
an upgrade.

Rules: ``verify_password`` never raises for bad input (a corrupt hash, a hash
of another scheme, a non-string) — it answers False. Passwords are never
logged or kept beyond the call.

Memory: one Argon2id computation holds its whole memory cost (64 MiB by
default) while it runs, and the server calls these from several worker
threads at once. ``HASH_SLOTS`` (one per CPU) bounds how many run at the same
time in this process: more would not finish sooner (each one keeps a core
busy), they would only multiply the peak resident memory.
"""

from __future__ import annotations

import os
import threading

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from roost.config import Config


def _hasher(config: Config) -> PasswordHasher:
    return PasswordHasher(
        time_cost=config.argon2_time_cost,
        memory_cost=config.argon2_memory_kib,
        parallelism=config.argon2_parallelism,
        type=Type.ID,
    )


# Verification reads the parameters from the stored hash itself, so any
# hasher will do; this one only fixes the type it accepts to what we write.
_VERIFIER = PasswordHasher(type=Type.ID)

# Concurrent Argon2 computations allowed in this process (see the module docstring).
HASH_SLOTS = max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)
_slots = threading.BoundedSemaphore(HASH_SLOTS)


def hash_password(password: str, config: Config) -> str:
    """A fresh Argon2id PHC string for ``password`` with the configured cost."""
    hasher = _hasher(config)
    with _slots:
        return hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True when ``password`` matches ``stored_hash``; False on mismatch or a bad hash."""
    if not isinstance(stored_hash, str) or not isinstance(password, str):
        return False
    if not stored_hash.startswith("$argon2id$"):
        return False  # only Argon2id is ever written; refuse weaker variants
    try:
        with _slots:
            return _VERIFIER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError, ValueError):
        # VerifyMismatchError is a VerificationError; a malformed PHC string
        # can surface as InvalidHashError or, from the C binding, ValueError.
        return False


def needs_rehash(stored_hash: str, config: Config) -> bool:
    """Whether ``stored_hash`` was made with other parameters than the configured ones."""
    try:
        return _hasher(config).check_needs_rehash(stored_hash)
    except (InvalidHashError, ValueError):
        return True
