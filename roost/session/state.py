"""The session state machine (RFC 9051 section 3) and the values a command ends with.

Rules:
- A session is in exactly one ``State``; commands name the states they are
  valid in as one of the frozensets below (the command registry and the
  driver-handled table use them), so "which command where" is data, not if-chains.
- A command in the wrong state is answered BAD and changes nothing.
- ``Reply`` is the tagged status of one command; ``Outcome`` is everything the
  driver writes for it: untagged lines first, then the tagged reply (after
  ``reply.delay`` seconds), then it closes the connection when ``close``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from roost.protocol.commands import Authenticate, Command, Compress, Idle, StartTLS


class State(enum.Enum):
    NOT_AUTHENTICATED = "not authenticated"
    AUTHENTICATED = "authenticated"
    SELECTED = "selected"
    LOGOUT = "logout"

    # Members are singletons compared by identity; Enum's own hash (of the
    # name, in Python) showed in profiles of every command's state check.
    __hash__ = object.__hash__


# The sets of states commands are valid in (RFC 9051 sections 6.1 - 6.4).
ANY = frozenset({State.NOT_AUTHENTICATED, State.AUTHENTICATED, State.SELECTED})
NOT_AUTHENTICATED = frozenset({State.NOT_AUTHENTICATED})
AUTHENTICATED_ONLY = frozenset({State.AUTHENTICATED})
AUTHENTICATED = frozenset({State.AUTHENTICATED, State.SELECTED})
SELECTED = frozenset({State.SELECTED})

# Commands the driver runs itself because they talk to the transport; it asks
# ``Session.check_state`` before running them, like ``execute`` does for the rest.
DRIVER_COMMANDS: dict[type[Command], frozenset[State]] = {
    StartTLS: NOT_AUTHENTICATED,
    Authenticate: NOT_AUTHENTICATED,
    Idle: AUTHENTICATED,
    Compress: AUTHENTICATED,  # RFC 4978: command-auth, so after login only
}


@dataclass
class Reply:
    """The tagged response: ``tag status [code] text``; ``delay`` before sending it."""

    status: str = "OK"
    text: str = ""
    code: str | None = None
    delay: float = 0.0


@dataclass
class Outcome:
    """What one command produced: complete untagged responses, the reply, close or not."""

    lines: list[bytes] = field(default_factory=list)
    reply: Reply = field(default_factory=Reply)
    close: bool = False


def command_name(command: Command) -> str:
    """The command's name as a client wrote it (for error texts)."""
    name = type(command).__name__.upper()
    if name == "SELECT" and getattr(command, "readonly", False):
        return "EXAMINE"
    uid_form = getattr(command, "uid", False) is True or getattr(command, "uids", None) is not None
    if uid_form:  # UID FETCH ..., and UID EXPUNGE (Expunge with a UID set)
        return "UID " + name
    return name
