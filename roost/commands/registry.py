"""The command table: for each command type its handler, valid states and EXPUNGE rule.

Rules:
- One row per command type; the session looks rows up by ``type(command)``.
- ``states`` is where the command is valid (RFC 9051 sections 6.1 - 6.4); a
  command outside them is BAD.
- ``expunge_ok`` False marks FETCH, STORE and SEARCH: while they run no EXPUNGE
  response may be sent (RFC 9051 section 7.5.1); their UID forms
  (``cmd.uid``) are exempt, which the session checks.
- STARTTLS, AUTHENTICATE, IDLE and COMPRESS are not here: the driver runs them (their
  states are in ``roost.session.state.DRIVER_COMMANDS``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from roost.commands.any_state import (
    handle_capability,
    handle_enable,
    handle_id,
    handle_logout,
    handle_noop,
)
from roost.commands.append import handle_append
from roost.commands.auth import handle_login
from roost.commands.context import Context
from roost.commands.copy_move import handle_copy, handle_move
from roost.commands.expunge import handle_expunge
from roost.commands.fetch import handle_fetch
from roost.commands.listing import handle_list, handle_lsub
from roost.commands.mailboxes import (
    handle_create,
    handle_delete,
    handle_namespace,
    handle_rename,
    handle_subscribe,
    handle_unsubscribe,
)
from roost.commands.notify import handle_notify
from roost.commands.search import handle_search
from roost.commands.select import (
    handle_check,
    handle_close,
    handle_select,
    handle_unselect,
)
from roost.commands.status import handle_status
from roost.commands.store import handle_store
from roost.protocol import commands as c
from roost.session.state import (
    ANY,
    AUTHENTICATED,
    AUTHENTICATED_ONLY,
    NOT_AUTHENTICATED,
    SELECTED,
    Reply,
    State,
)

Handler = Callable[[Context, Any], Reply]


@dataclass(frozen=True)
class CommandSpec:
    handler: Handler
    states: frozenset[State]
    expunge_ok: bool = True


COMMANDS: dict[type[c.Command], CommandSpec] = {
    # any state (RFC 9051 6.1)
    c.Capability: CommandSpec(handle_capability, ANY),
    c.Noop: CommandSpec(handle_noop, ANY),
    c.Logout: CommandSpec(handle_logout, ANY),
    c.Id: CommandSpec(handle_id, ANY),  # RFC 2971: any state
    # not authenticated (6.2); STARTTLS and AUTHENTICATE run in the driver
    c.Login: CommandSpec(handle_login, NOT_AUTHENTICATED),
    # authenticated (6.3); ENABLE only before a mailbox is selected (RFC 5161 3.1)
    c.Enable: CommandSpec(handle_enable, AUTHENTICATED_ONLY),
    c.Select: CommandSpec(handle_select, AUTHENTICATED),
    c.Create: CommandSpec(handle_create, AUTHENTICATED),
    c.Delete: CommandSpec(handle_delete, AUTHENTICATED),
    c.Rename: CommandSpec(handle_rename, AUTHENTICATED),
    c.Subscribe: CommandSpec(handle_subscribe, AUTHENTICATED),
    c.Unsubscribe: CommandSpec(handle_unsubscribe, AUTHENTICATED),
    c.List: CommandSpec(handle_list, AUTHENTICATED),
    c.Lsub: CommandSpec(handle_lsub, AUTHENTICATED),
    c.Namespace: CommandSpec(handle_namespace, AUTHENTICATED),
    c.Status: CommandSpec(handle_status, AUTHENTICATED),
    c.Append: CommandSpec(handle_append, AUTHENTICATED),
    c.Notify: CommandSpec(handle_notify, AUTHENTICATED),  # RFC 5465 3.1
    # selected (6.4)
    c.Check: CommandSpec(handle_check, SELECTED),
    c.Close: CommandSpec(handle_close, SELECTED),
    c.Unselect: CommandSpec(handle_unselect, SELECTED),
    c.Expunge: CommandSpec(handle_expunge, SELECTED),
    c.Search: CommandSpec(handle_search, SELECTED, expunge_ok=False),
    c.Fetch: CommandSpec(handle_fetch, SELECTED, expunge_ok=False),
    c.Store: CommandSpec(handle_store, SELECTED, expunge_ok=False),
    c.Copy: CommandSpec(handle_copy, SELECTED),
    c.Move: CommandSpec(handle_move, SELECTED),
}
