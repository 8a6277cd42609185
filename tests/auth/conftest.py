"""Shared fixtures for auth tests: a cheap Argon2 configuration."""

from __future__ import annotations

import pytest

from roost.config import Config


@pytest.fixture
def fast_config() -> Config:
    # The smallest cost Argon2 allows keeps the tests fast; the code path is the same.
    return Config(argon2_time_cost=1, argon2_memory_kib=8, argon2_parallelism=1)
