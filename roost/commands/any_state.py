"""CAPABILITY, NOOP, LOGOUT, ID (any state) and ENABLE (RFC 9051 6.1, 6.3.1; RFC 2971; RFC 5161).

Rules:
- NOOP does nothing itself: the session's sync after every command sends the
  mailbox updates.
- LOGOUT: ``* BYE`` then the tagged OK, and the connection closes; a selected
  mailbox is left without expunging.
- ID answers with the server's name and version; what the client says about
  itself is only logged (at debug level: it may identify a person).
- ENABLE knows IMAP4rev2, UTF8=ACCEPT, CONDSTORE and QRESYNC (which turns
  CONDSTORE on too, RFC 7162 3.2.3); anything else is ignored. ``* ENABLED``
  lists the requested extensions that are now on, including ones enabled
  earlier (RFC 5161 3.1).
"""

from __future__ import annotations

import logging

from roost.commands.context import Context
from roost.protocol import commands as c
from roost.protocol.values import encode_value
from roost.session.state import Reply, State

log = logging.getLogger(__name__)

SERVER_ID = (("name", "roost"), ("version", "0.1.0"))

# Upper-case name -> the spelling used in * ENABLED.
ENABLEABLE = {
    "IMAP4REV2": "IMAP4rev2",
    "UTF8=ACCEPT": "UTF8=ACCEPT",
    "CONDSTORE": "CONDSTORE",
    "QRESYNC": "QRESYNC",
}
# RFC 7162 3.2.3: QRESYNC implies CONDSTORE (which is not listed unless asked for).
IMPLIES = {"QRESYNC": ("CONDSTORE",)}


def handle_capability(ctx: Context, cmd: c.Capability) -> Reply:
    ctx.untagged(b"CAPABILITY " + " ".join(ctx.session.capabilities()).encode("ascii"))
    return Reply("OK", "CAPABILITY completed")


def handle_noop(ctx: Context, cmd: c.Noop) -> Reply:
    return Reply("OK", "NOOP completed")


def handle_logout(ctx: Context, cmd: c.Logout) -> Reply:
    session = ctx.session
    session.deselect()
    session.state = State.LOGOUT
    ctx.untagged(b"BYE roost logging out")
    ctx.close = True
    return Reply("OK", "LOGOUT completed")


def handle_id(ctx: Context, cmd: c.Id) -> Reply:
    if cmd.params:
        log.debug("client %s identifies as %r", ctx.session.peer, cmd.params)
    fields: list[str] = [text for pair in SERVER_ID for text in pair]
    ctx.untagged(b"ID " + encode_value(fields))
    return Reply("OK", "ID completed")


def handle_enable(ctx: Context, cmd: c.Enable) -> Reply:
    session = ctx.session
    done: list[str] = []
    for name in cmd.capabilities:
        key = name.upper()
        if key in ENABLEABLE:
            session.enabled.add(key)
            session.enabled.update(IMPLIES.get(key, ()))
            if ENABLEABLE[key] not in done:
                done.append(ENABLEABLE[key])
    ctx.untagged(b" ".join([b"ENABLED", *(n.encode("ascii") for n in done)]))
    return Reply("OK", "ENABLE completed")
