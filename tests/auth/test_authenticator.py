"""Authenticator: password checks, no user-existence oracle, failure backoff, bounds."""

from __future__ import annotations

import threading

import pytest

from roost.auth import authenticator as authmod
from roost.auth.authenticator import Authenticator, peer_key
from roost.auth.passwords import hash_password, verify_password
from roost.config import Config
from roost.storage.interface import StorageError, StorageErrorKind, User


class FakeStore:
    """Just the account calls the authenticator makes."""

    def __init__(self) -> None:
        self.users: dict[str, User] = {}
        self.lookups: list[str] = []
        self.fail_set_password = False

    def add(self, name: str, password_hash: str) -> User:
        user = User(id=len(self.users) + 1, name=name, password_hash=password_hash)
        self.users[name] = user
        return user

    def get_user(self, name: str) -> User | None:
        self.lookups.append(name)
        return self.users.get(name)

    def set_password(self, name: str, password_hash: str) -> None:
        if self.fail_set_password:
            raise StorageError(StorageErrorKind.UNAVAILABLE)
        old = self.users[name]
        self.users[name] = User(id=old.id, name=name, password_hash=password_hash)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(fast_config: Config) -> FakeStore:
    s = FakeStore()
    s.add("alice", hash_password("secret", fast_config))
    return s


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def auth(store: FakeStore, fast_config: Config, clock: Clock) -> Authenticator:
    return Authenticator(store, fast_config, clock=clock)


# ---------------------------------------------------------------- verify


def test_verify_right_password(auth: Authenticator, store: FakeStore) -> None:
    assert auth.verify("alice", "secret") == store.users["alice"]


def test_verify_wrong_password(auth: Authenticator) -> None:
    assert auth.verify("alice", "Secret") is None
    assert auth.verify("alice", "") is None


def test_unknown_user_still_runs_a_verification(
    auth: Authenticator, store: FakeStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def spy(stored: str, password: str) -> bool:
        calls.append(stored)
        return verify_password(stored, password)

    monkeypatch.setattr(authmod, "verify_password", spy)
    assert auth.verify("mallory", "secret") is None
    assert store.lookups == ["mallory"]
    assert len(calls) == 1
    # The dummy uses the configured cost, so it takes as long as a real check.
    assert calls[0].startswith("$argon2id$v=19$m=8,t=1,p=1$")


def test_user_with_corrupt_hash_cannot_log_in(auth: Authenticator, store: FakeStore) -> None:
    store.add("bob", "corrupt")
    assert auth.verify("bob", "corrupt") is None


def test_outdated_hash_is_upgraded_on_login(store: FakeStore, fast_config: Config) -> None:
    old = Config(argon2_time_cost=2, argon2_memory_kib=8, argon2_parallelism=1)
    store.add("carol", hash_password("pw", old))
    auth = Authenticator(store, fast_config)
    assert auth.verify("carol", "pw") is not None
    new_hash = store.users["carol"].password_hash
    assert new_hash.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert auth.verify("carol", "pw") is not None


def test_upgrade_failure_does_not_break_login(store: FakeStore, fast_config: Config) -> None:
    old = Config(argon2_time_cost=2, argon2_memory_kib=8, argon2_parallelism=1)
    store.add("carol", hash_password("pw", old))
    store.fail_set_password = True
    auth = Authenticator(store, fast_config)
    assert auth.verify("carol", "pw") is not None


def test_current_hash_is_not_rewritten(auth: Authenticator, store: FakeStore) -> None:
    before = store.users["alice"].password_hash
    auth.verify("alice", "secret")
    assert store.users["alice"].password_hash == before


# ---------------------------------------------------------------- backoff


def test_delay_doubles_and_is_capped(store: FakeStore, clock: Clock) -> None:
    config = Config(
        argon2_time_cost=1,
        argon2_memory_kib=8,
        auth_failure_delay=1.0,
        auth_failure_delay_max=15.0,
    )
    auth = Authenticator(store, config, clock=clock)
    delays = [auth.failure_delay("192.0.2.1", "alice") for _ in range(7)]
    assert delays == [1.0, 2.0, 4.0, 8.0, 15.0, 15.0, 15.0]


def test_many_failures_do_not_overflow(auth: Authenticator, fast_config: Config) -> None:
    for _ in range(2000):
        delay = auth.failure_delay("192.0.2.1", "alice")
    assert delay == fast_config.auth_failure_delay_max


def test_per_user_count_follows_the_user_across_peers(auth: Authenticator) -> None:
    assert auth.failure_delay("192.0.2.1", "alice") == 1.0
    assert auth.failure_delay("192.0.2.2", "alice") == 2.0
    assert auth.failure_delay("192.0.2.3", "alice") == 4.0
    assert auth.failures("192.0.2.3", "alice") == (1, 3)


def test_per_peer_count_follows_the_peer_across_users(auth: Authenticator) -> None:
    assert auth.failure_delay("192.0.2.9", "u1") == 1.0
    assert auth.failure_delay("192.0.2.9", "u2") == 2.0
    assert auth.failure_delay("192.0.2.9", "u3") == 4.0
    assert auth.failure_delay("192.0.2.10", "u4") == 1.0


def test_port_is_not_part_of_the_peer(auth: Authenticator) -> None:
    auth.failure_delay("192.0.2.1:40000", "u1")
    assert auth.failure_delay("192.0.2.1:40001", "u2") == 2.0
    auth.failure_delay("[2001:db8::1]:5000", "u3")
    assert auth.failure_delay("[2001:db8::1]:5001", "u4") == 2.0


def test_username_case_shares_a_counter(auth: Authenticator) -> None:
    auth.failure_delay("192.0.2.1", "Alice")
    assert auth.failure_delay("192.0.2.2", "ALICE") == 2.0


def test_success_resets_peer_and_user(auth: Authenticator) -> None:
    for _ in range(3):
        auth.failure_delay("192.0.2.1", "alice")
    auth.record_success("192.0.2.1", "alice")
    assert auth.failures("192.0.2.1", "alice") == (0, 0)
    assert auth.failure_delay("192.0.2.1", "alice") == 1.0


def test_success_leaves_other_keys(auth: Authenticator) -> None:
    auth.failure_delay("192.0.2.1", "alice")
    auth.failure_delay("192.0.2.2", "bob")
    auth.record_success("192.0.2.1", "alice")
    assert auth.failures("192.0.2.2", "bob") == (1, 1)


def test_entries_are_forgotten_after_fifteen_minutes(auth: Authenticator, clock: Clock) -> None:
    for _ in range(3):
        auth.failure_delay("192.0.2.1", "alice")
    clock.now += 14 * 60
    assert auth.failures("192.0.2.1", "alice") == (3, 3)
    clock.now += 15 * 60
    assert auth.failures("192.0.2.1", "alice") == (0, 0)
    assert auth.tracked() == (0, 0)
    assert auth.failure_delay("192.0.2.1", "alice") == 1.0


def test_a_new_failure_keeps_an_entry_alive(auth: Authenticator, clock: Clock) -> None:
    auth.failure_delay("192.0.2.1", "alice")
    clock.now += 10 * 60
    auth.failure_delay("192.0.2.1", "alice")
    clock.now += 10 * 60
    assert auth.failures("192.0.2.1", "alice") == (2, 2)


def test_tables_are_bounded(store: FakeStore, fast_config: Config, clock: Clock) -> None:
    auth = Authenticator(store, fast_config, clock=clock, max_entries=50)
    for i in range(500):
        auth.failure_delay(f"10.0.{i // 256}.{i % 256}", f"user{i}")
    assert auth.tracked() == (50, 50)
    # The oldest were evicted, the newest kept.
    assert auth.failures("10.0.0.0", "user0") == (0, 0)
    assert auth.failures("10.0.1.243", "user499") == (1, 1)


def test_default_bound_is_ten_thousand() -> None:
    assert authmod.MAX_ENTRIES == 10_000
    assert authmod.FORGET_AFTER == 15 * 60


def test_zero_base_delay_means_no_delay(store: FakeStore) -> None:
    config = Config(argon2_time_cost=1, argon2_memory_kib=8, auth_failure_delay=0.0)
    auth = Authenticator(store, config)
    assert auth.failure_delay("192.0.2.1", "alice") == 0.0


def test_thread_safety(auth: Authenticator) -> None:
    def hammer() -> None:
        for _ in range(500):
            auth.failure_delay("192.0.2.1", "alice")

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert auth.failures("192.0.2.1", "alice") == (4000, 4000)


@pytest.mark.parametrize(
    ("peer", "key"),
    [
        ("192.0.2.1", "192.0.2.1"),
        ("192.0.2.1:993", "192.0.2.1"),
        ("[2001:db8::1]:993", "2001:db8::1"),
        ("2001:db8::1", "2001:db8::1"),
        ("::1", "::1"),
        ("unix-socket", "unix-socket"),
    ],
)
def test_peer_key(peer: str, key: str) -> None:
    assert peer_key(peer) == key
