"""Fixtures for the server tests: ``server`` is a running roost with user alice/secret."""

from __future__ import annotations

import pytest

from roost.server.testing import user_server_fixture

server = pytest.fixture(user_server_fixture, name="server")
