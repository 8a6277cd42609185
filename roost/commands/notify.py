"""NOTIFY SET / NOTIFY NONE (RFC 5465 section 3.1).

Rules:
- Valid in the authenticated and selected states.
- A refused NOTIFY (``roost.session.notify.check``: BAD for combinations the
  RFC forbids, ``NO [BADEVENT (...)]`` for unsupported events) leaves the
  previous registration as it was.
- NOTIFY SET replaces the registration: a fresh snapshot of the user's
  mailboxes is what later events are measured against. With STATUS, the
  STATUS responses for other watched mailboxes come before the tagged OK.
  The implicit NOOP (accumulated changes of the selected mailbox) is the
  session's usual sync after every command.
- NOTIFY NONE registers an empty set: no events between commands, and none
  in IDLE either (RFC 5465 section 4: IDLE then sends what NOTIFY asked for).
"""

from __future__ import annotations

from roost.commands.context import Context
from roost.protocol.commands import Notify
from roost.session.notify import NotifyState, check
from roost.session.state import Reply


def handle_notify(ctx: Context, cmd: Notify) -> Reply:
    refused = check(cmd)
    if refused is not None:
        return refused
    session = ctx.session
    state = NotifyState.from_command(cmd, session.mailbox_name_in)
    for line in state.start(session, status=cmd.status):
        ctx.send(line)
    session.notify = state
    return Reply("OK", "NOTIFY completed")


__all__ = ["handle_notify"]
