"""The authentication cache: hits skip Argon2, changes and failures never hit."""

from __future__ import annotations

import dataclasses
import threading

import pytest

from roost.auth import authenticator as authmod
from roost.auth import passwords
from roost.auth.authenticator import Authenticator
from roost.auth.cache import LoginCache
from roost.auth.passwords import hash_password, verify_password
from roost.config import Config
from tests.auth.test_authenticator import Clock, FakeStore


@pytest.fixture
def cached_config(fast_config: Config) -> Config:
    return dataclasses.replace(fast_config, auth_cache_ttl=60.0, auth_cache_size=3)


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every full Argon2 verification the authenticator runs."""
    calls: list[str] = []

    def spy(stored: str, password: str) -> bool:
        calls.append(stored)
        return verify_password(stored, password)

    monkeypatch.setattr(authmod, "verify_password", spy)
    return calls


@pytest.fixture
def setup(cached_config: Config) -> tuple[FakeStore, Authenticator, Clock]:
    store = FakeStore()
    store.add("alice", hash_password("secret", cached_config))
    clock = Clock()
    return store, Authenticator(store, cached_config, clock=clock), clock


def test_repeat_login_skips_argon2(setup, checks: list[str]) -> None:  # noqa: ANN001
    store, auth, _ = setup
    assert auth.verify("alice", "secret") == store.users["alice"]
    assert auth.verify("alice", "secret") == store.users["alice"]
    assert len(checks) == 1
    assert store.lookups == ["alice", "alice"]  # the account is read every time


def test_wrong_password_is_never_a_hit(setup, checks: list[str]) -> None:  # noqa: ANN001
    _, auth, _ = setup
    assert auth.verify("alice", "secret") is not None
    assert auth.verify("alice", "Secret") is None
    assert auth.verify("alice", "Secret") is None
    assert len(checks) == 3  # failures always cost a full check


def test_entry_expires_after_ttl(setup, checks: list[str]) -> None:  # noqa: ANN001
    _, auth, clock = setup
    assert auth.verify("alice", "secret") is not None
    clock.now += 59.0
    assert auth.verify("alice", "secret") is not None
    assert len(checks) == 1
    clock.now += 61.0
    assert auth.verify("alice", "secret") is not None
    assert len(checks) == 2


def test_changed_password_misses_at_once(setup, cached_config: Config) -> None:  # noqa: ANN001
    store, auth, _ = setup
    assert auth.verify("alice", "secret") is not None
    # Another process (roost user passwd) changes the stored hash.
    store.set_password("alice", hash_password("new", cached_config))
    assert auth.verify("alice", "secret") is None
    assert auth.verify("alice", "new") is not None


def test_same_password_rehashed_still_needs_a_check(setup, checks, cached_config) -> None:  # noqa: ANN001
    store, auth, _ = setup
    assert auth.verify("alice", "secret") is not None
    store.set_password("alice", hash_password("secret", cached_config))  # new salt
    assert auth.verify("alice", "secret") is not None
    assert len(checks) == 2


def test_deleted_user_is_refused(setup) -> None:  # noqa: ANN001
    store, auth, _ = setup
    assert auth.verify("alice", "secret") is not None
    del store.users["alice"]
    assert auth.verify("alice", "secret") is None


def test_recreated_user_with_same_password_misses(setup, cached_config) -> None:  # noqa: ANN001
    store, auth, _ = setup
    assert auth.verify("alice", "secret") is not None
    old = store.users["alice"]
    store.users["alice"] = dataclasses.replace(old, id=old.id + 100)
    assert auth.cache.hit("alice", "secret", old.id + 100, old.password_hash) is False


def test_cache_is_bounded_lru(cached_config: Config) -> None:
    cache = LoginCache(60.0, 3)
    for n in range(5):
        cache.remember(f"u{n}", "pw", n, "h")
    assert len(cache) == 3
    assert not cache.hit("u0", "pw", 0, "h")
    assert cache.hit("u4", "pw", 4, "h")


def test_disabled_by_default(fast_config: Config, checks: list[str]) -> None:
    assert Config().auth_cache_ttl == 0
    store = FakeStore()
    store.add("alice", hash_password("secret", fast_config))
    auth = Authenticator(store, fast_config)
    auth.verify("alice", "secret")
    auth.verify("alice", "secret")
    assert len(checks) == 2
    assert len(auth.cache) == 0


def test_no_password_is_kept(setup) -> None:  # noqa: ANN001
    _, auth, _ = setup
    auth.verify("alice", "secret")
    keys = list(auth.cache._entries)
    assert keys and all(b"secret" not in k[1] and len(k[1]) == 32 for k in keys)


def test_forget_user(setup, checks) -> None:  # noqa: ANN001
    _, auth, _ = setup
    auth.verify("alice", "secret")
    auth.cache.forget_user("alice")
    auth.verify("alice", "secret")
    assert len(checks) == 2


def test_hash_slots_bound_concurrent_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """No more Argon2 computations run at once than there are CPUs."""
    running = 0
    peak = 0
    lock = threading.Lock()
    real = passwords._VERIFIER

    class Counting:
        def verify(self, stored: str, password: str) -> bool:
            nonlocal running, peak
            with lock:
                running += 1
                peak = max(peak, running)
            try:
                return real.verify(stored, password)
            finally:
                with lock:
                    running -= 1

    monkeypatch.setattr(passwords, "_VERIFIER", Counting())
    stored = hash_password("pw", Config(argon2_time_cost=1, argon2_memory_kib=1024))
    threads = [
        threading.Thread(target=verify_password, args=(stored, "pw"))
        for _ in range(passwords.HASH_SLOTS + 4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert 1 <= peak <= passwords.HASH_SLOTS
