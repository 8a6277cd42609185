"""Argon2id hashing: PHC format, verification, never raising on bad input, rehash checks."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, Type

from roost.auth.passwords import hash_password, needs_rehash, verify_password
from roost.config import Config


def test_hash_is_argon2id_phc_with_configured_cost(fast_config: Config) -> None:
    stored = hash_password("correct horse", fast_config)
    assert stored.startswith("$argon2id$v=19$m=8,t=1,p=1$")


def test_hash_is_salted(fast_config: Config) -> None:
    assert hash_password("pw", fast_config) != hash_password("pw", fast_config)


def test_verify_matches_only_the_right_password(fast_config: Config) -> None:
    stored = hash_password("correct horse", fast_config)
    assert verify_password(stored, "correct horse") is True
    assert verify_password(stored, "correct horsE") is False
    assert verify_password(stored, "") is False


def test_unicode_password(fast_config: Config) -> None:
    stored = hash_password("pässwörd ✓", fast_config)
    assert verify_password(stored, "pässwörd ✓")
    assert not verify_password(stored, "passwort ✓")


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "not a hash",
        "$argon2id$",
        "$argon2id$v=19$m=8,t=1,p=1$AAAA$BBBB",
        "$argon2id$v=19$m=8,t=1,p=1$!!!$@@@",
        "$2b$12$abcdefghijklmnopqrstuvABCDEFGHIJKLMNOPQRSTUVWXYZ01234",  # bcrypt
        "$argon2id$v=19$m=8,t=1,p=1$ü$ü",
    ],
)
def test_verify_bad_hash_is_false(stored: str) -> None:
    assert verify_password(stored, "anything") is False


def test_verify_non_strings_is_false(fast_config: Config) -> None:
    stored = hash_password("pw", fast_config)
    assert verify_password(None, "pw") is False  # type: ignore[arg-type]
    assert verify_password(stored, None) is False  # type: ignore[arg-type]
    assert verify_password(stored.encode(), "pw") is False  # type: ignore[arg-type]


def test_verify_lone_surrogate_password_is_false(fast_config: Config) -> None:
    stored = hash_password("pw", fast_config)
    assert verify_password(stored, "\ud800") is False


def test_argon2i_hash_is_refused() -> None:
    weaker = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.I).hash("pw")
    assert verify_password(weaker, "pw") is False


def test_needs_rehash(fast_config: Config) -> None:
    stored = hash_password("pw", fast_config)
    assert needs_rehash(stored, fast_config) is False
    stronger = Config(argon2_time_cost=2, argon2_memory_kib=16, argon2_parallelism=1)
    assert needs_rehash(stored, stronger) is True
    assert needs_rehash("garbage", fast_config) is True
