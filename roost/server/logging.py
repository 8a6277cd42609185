"""Structured server logs: one line per event, ``event key=value ...``.

Rules:
- Every record is a single line: values with spaces, quotes or control
  characters are quoted with ``repr``-style escapes, and tracebacks are folded
  onto the same line by ``OneLineFormatter``.
- Secrets never reach a log: ``describe_command`` drops LOGIN arguments and the
  AUTHENTICATE initial response, and AUTHENTICATE continuation lines are never
  traced at all (the driver does not pass them here). APPEND bodies are
  summarised by size.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
from typing import Any

from roost.protocol.commands import Append, Authenticate, Command, Login

REDACTED = "<redacted>"
# Longest rendering of one traced command field: enough to recognise a
# command, short enough that a huge UID set does not flood the log.
_MAX_FIELD_TEXT = 200


def _needs_quotes(text: str) -> bool:
    return not text or any(c.isspace() or c in "\"'=\\" or not c.isprintable() for c in text)


def format_value(value: object) -> str:
    """``value`` as one token: bare when safe, else a quoted, escaped string."""
    text = value if isinstance(value, str) else str(value)
    if _needs_quotes(text):
        return '"' + text.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'
    return text


def format_event(event: str, **fields: Any) -> str:
    """``event k1=v1 k2=v2`` (fields whose value is None are left out)."""
    parts = [event]
    parts.extend(
        f"{key}={format_value(value)}" for key, value in fields.items() if value is not None
    )
    return " ".join(parts)


def log_event(logger: logging.Logger, event: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log one structured event (formatting is skipped when the level is off)."""
    if logger.isEnabledFor(level):
        logger.log(level, "%s", format_event(event, **fields))


def describe_command(command: Command) -> str:
    """A loggable summary of ``command``: secrets removed, bodies summarised."""
    name = type(command).__name__.upper()
    if isinstance(command, Login):
        return f"{command.tag} LOGIN {REDACTED}"
    if isinstance(command, Authenticate):
        initial = f" {REDACTED}" if command.initial_response is not None else ""
        return f"{command.tag} AUTHENTICATE {command.mechanism}{initial}"
    if isinstance(command, Append):
        size = sum(len(m.data) for m in command.messages)
        return f"{command.tag} APPEND {command.mailbox!r} messages={len(command.messages)} octets={size}"
    fields = (
        f"{f.name}={getattr(command, f.name)!r}"[:_MAX_FIELD_TEXT]
        for f in dataclasses.fields(command)
        if f.name != "tag"
    )
    return " ".join([command.tag, name, *fields])


class OneLineFormatter(logging.Formatter):
    """``time level logger: message``, with any traceback escaped onto the same line."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return text.replace("\r", "\\r").replace("\n", "\\n")


def configure_logging(level: str = "INFO", stream: Any = None) -> None:
    """Send roost's logs to ``stream`` (stderr by default), one line per event."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(OneLineFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
