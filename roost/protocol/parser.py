"""Parse one complete IMAP command into its typed dataclass (RFC 9051 section 9).

``parse_command(data)`` takes the framer's output for one command: the command
line with every literal inline (``{n}\\r\\n<n bytes>``) and without the final
CRLF. It returns one ``roost.protocol.commands.Command`` or raises
``ParseError(tag, text, code)`` (tag ``None`` when no tag could be read).

Command names are case-insensitive and looked up in one table built from the
family modules: ``parser_session`` (connection and authentication),
``parser_mailbox`` (mailboxes), ``parser_append``, ``parser_message`` (FETCH,
STORE, COPY, MOVE, EXPUNGE, UID), ``parser_search`` and ``parser_notify``
(RFC 5465). Nothing but ``ParseError`` escapes, whatever the input.
"""

from __future__ import annotations

from collections.abc import Callable

from roost.protocol.commands import Command
from roost.protocol.errors import ParseError
from roost.protocol.parser_append import parse_append
from roost.protocol.parser_core import Reader
from roost.protocol.parser_mailbox import MAILBOX_COMMANDS
from roost.protocol.parser_message import MESSAGE_COMMANDS
from roost.protocol.parser_notify import parse_notify
from roost.protocol.parser_session import SESSION_COMMANDS

COMMANDS: dict[str, Callable[[Reader, str], Command]] = {
    **SESSION_COMMANDS,
    **MAILBOX_COMMANDS,
    "APPEND": parse_append,
    **MESSAGE_COMMANDS,
    "NOTIFY": parse_notify,
}


def parse_command(data: bytes) -> Command:
    """One framed command -> its ``Command``; raises ``ParseError``."""
    r = Reader(data)
    tag = r.read_tag()
    if not r.take(b" "):
        r.fail("missing command")
    name = r.keyword("a command name")
    parser = COMMANDS.get(name)
    if parser is None:
        r.fail("unknown command")
    return parser(r, tag)


__all__ = ["COMMANDS", "ParseError", "parse_command"]
