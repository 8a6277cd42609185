"""LOGIN (RFC 9051 section 6.2.3).

Rules: everything that matters (cleartext refusal with PRIVACYREQUIRED,
password check, failure delay, CAPABILITY in the tagged OK) lives in
``Session.login``, which AUTHENTICATE (run by the driver) also ends in, so the
two ways in cannot drift apart.
"""

from __future__ import annotations

from roost.commands.context import Context
from roost.protocol.commands import Login
from roost.session.state import Reply


def handle_login(ctx: Context, cmd: Login) -> Reply:
    return ctx.session.login(cmd.username, cmd.password)
