"""Fixtures: the session harness's (a real SqliteStore in tmp_path with user alice,
and session clients), shared with tests/session."""

from tests.session.conftest import client, connect, store  # noqa: F401 (pytest fixtures)
