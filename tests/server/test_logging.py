"""Structured one-line logs and redaction of secrets."""

from __future__ import annotations

import io
import logging

from roost.protocol.commands import Append, AppendMessage, Authenticate, Login, Select
from roost.server.logging import (
    OneLineFormatter,
    configure_logging,
    describe_command,
    format_event,
    log_event,
)


def test_format_event_quotes_what_needs_it() -> None:
    line = format_event("connect", peer="127.0.0.1:5", tls=False, note="two words", skip=None)
    assert line == 'connect peer=127.0.0.1:5 tls=False note="two words"'
    assert format_event("x", text="a\nb") == 'x text="a\\nb"'
    assert format_event("x", text="") == 'x text=""'
    assert format_event("x", text='say "hi"') == 'x text="say \\"hi\\""'


def test_login_and_authenticate_are_redacted() -> None:
    login = describe_command(Login("a1", "alice", "hunter2"))
    assert "hunter2" not in login and "alice" not in login and login.startswith("a1 LOGIN")
    auth = describe_command(Authenticate("a2", "PLAIN", "AGFsaWNlAGh1bnRlcjI="))
    assert "AGFsaWNl" not in auth and auth.startswith("a2 AUTHENTICATE PLAIN")
    assert describe_command(Authenticate("a3", "LOGIN")) == "a3 AUTHENTICATE LOGIN"


def test_append_is_summarised_and_others_shown() -> None:
    append = Append("a4", "INBOX", (AppendMessage(data=b"secret body" * 100),))
    text = describe_command(append)
    assert "secret body" not in text and "octets=1100" in text
    assert describe_command(Select("a5", "INBOX")).startswith("a5 SELECT mailbox='INBOX'")


def test_one_line_formatter_folds_tracebacks() -> None:
    stream = io.StringIO()
    configure_logging("DEBUG", stream)
    try:
        logger = logging.getLogger("roost.test")
        try:
            raise ValueError("boom\nsecond line")
        except ValueError:
            logger.exception("failed")
        log_event(logger, "event", level=logging.DEBUG, key="v")
    finally:
        root = logging.getLogger()
        for handler in list(root.handlers):
            if isinstance(handler.formatter, OneLineFormatter):
                root.removeHandler(handler)
        root.setLevel(logging.WARNING)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert "Traceback" in lines[0] and "ValueError: boom\\nsecond line" in lines[0]
    assert lines[1].endswith("roost.test: event key=v")
