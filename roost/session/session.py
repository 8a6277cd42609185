"""One client's IMAP session: state, login, selected mailbox, command execution.

Rules:
- The session is sans-IO and synchronous: the driver feeds it parsed commands
  (from a worker thread) and writes the ``Outcome``.
- ``execute`` checks the state table (wrong state: BAD), runs the handler with
  a ``Context``, turns ``CommandError`` into its reply, ``StorageError`` into
  ``reply_for`` and anything unexpected into a logged ``NO [SERVERBUG]``; then,
  while a mailbox is selected, appends the view's sync responses before the
  tagged reply. EXPUNGE responses are held back for FETCH, STORE and SEARCH
  (not their UID forms), RFC 9051 section 7.5.1.
- If the selected mailbox disappears under the session (another session
  deleted it), the session says ``* BYE`` and ends (state LOGOUT), as Dovecot
  does: its message numbers cannot be kept right any more.
- NOTIFY (RFC 5465): ``notify`` holds the registration
  (``roost.session.notify``); after each command it takes in the session's
  own changes, and ``notifications`` (between commands) and ``poll`` (IDLE)
  return the unsolicited responses it owes.
- LOGIN and AUTHENTICATE both end in ``login``: cleartext refusal
  (PRIVACYREQUIRED), the authenticator's check, its failure delay.
- ``enabled`` holds upper-case names. After ENABLE IMAP4rev2 or UTF8=ACCEPT
  mailbox names are UTF-8 on the wire and quoted strings may carry UTF-8.
  CONDSTORE is added by ENABLE or by the first CONDSTORE enabling command
  (RFC 7162 3.1); QRESYNC only by ENABLE, and it brings CONDSTORE with it.
  The view's sync then adds MODSEQ to FETCH and says VANISHED for expunges.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from roost.commands.context import Context
from roost.commands.errors import CommandError, reply_for
from roost.config import Config
from roost.protocol.commands import Command
from roost.protocol.responses import untagged_status
from roost.session.capabilities import (
    plaintext_login_allowed,
    post_auth_capabilities,
    pre_auth_capabilities,
)
from roost.session.names import InvalidName, name_from_wire, name_to_wire
from roost.session.selected import SelectedView
from roost.session.state import DRIVER_COMMANDS, Outcome, Reply, State, command_name
from roost.storage.interface import MailStore, StorageError, StorageErrorKind, User

if TYPE_CHECKING:
    from roost.auth.authenticator import Authenticator
    from roost.commands.registry import CommandSpec
    from roost.session.notify import NotifyState

__all__ = ["Outcome", "Reply", "Session", "State"]

log = logging.getLogger(__name__)


_registry: dict[type[Command], CommandSpec] | None = None


def _commands() -> dict[type[Command], CommandSpec]:
    # Imported on first use: the handler modules import Reply from this module,
    # so importing the registry at module level would be circular.
    global _registry
    if _registry is None:
        from roost.commands.registry import COMMANDS

        _registry = COMMANDS
    return _registry


class Session:
    def __init__(
        self,
        store: MailStore,
        authenticator: Authenticator,
        config: Config,
        *,
        tls: bool,
        peer: str,
    ) -> None:
        self.store = store
        self.authenticator = authenticator
        self.config = config
        self.tls = tls
        self.peer = peer
        self.state = State.NOT_AUTHENTICATED
        self.user: User | None = None
        self.selected: SelectedView | None = None
        self.enabled: set[str] = set()
        self.saved_uids: list[int] = []
        self.notify: NotifyState | None = None  # NOTIFY (RFC 5465) registration, once made

    # ------------------------------------------------------------ properties

    @property
    def rev2(self) -> bool:
        return "IMAP4REV2" in self.enabled

    @property
    def utf8(self) -> bool:
        return "IMAP4REV2" in self.enabled or "UTF8=ACCEPT" in self.enabled

    @property
    def condstore(self) -> bool:
        """CONDSTORE is on (ENABLE, or implicitly: RFC 7162 3.1); QRESYNC implies it."""
        return "CONDSTORE" in self.enabled

    @property
    def qresync(self) -> bool:
        return "QRESYNC" in self.enabled

    def enable_condstore(self) -> None:
        """A CONDSTORE enabling command ran: MODSEQ in FETCH, HIGHESTMODSEQ on
        SELECT from now until the connection ends (RFC 7162 3.1)."""
        self.enabled.add("CONDSTORE")

    def capabilities(self) -> list[str]:
        if self.state in (State.AUTHENTICATED, State.SELECTED):
            return post_auth_capabilities(self.config)
        return pre_auth_capabilities(self.config, self.tls)

    def greeting(self) -> bytes:
        return untagged_status("OK", "roost ready.", "CAPABILITY " + " ".join(self.capabilities()))

    # ------------------------------------------------------------ names

    def mailbox_name_in(self, wire: str) -> str:
        """The storage name for a mailbox argument; raises ``InvalidName`` (a ValueError)."""
        return name_from_wire(wire, utf8=self.utf8)

    def mailbox_name_out(self, name: str) -> bytes:
        return name_to_wire(name, utf8=self.utf8)

    # ------------------------------------------------------------ execution

    def check_state(self, command: Command) -> Reply | None:
        """BAD when ``command`` is not valid in the current state, else None."""
        spec = _commands().get(type(command))
        states = spec.states if spec is not None else DRIVER_COMMANDS.get(type(command))
        if states is None:
            return Reply("BAD", f"{command_name(command)} is not supported")
        if self.state not in states:
            return Reply("BAD", f"{command_name(command)} not allowed in {self.state.value} state")
        return None

    def runs_inline(self, command: Command) -> bool:
        """True when ``execute(command)`` is a light read (``roost.commands.inline``)
        and the sync after it will not write: the driver may then run it on the
        event loop instead of a worker thread."""
        from roost.commands.inline import light_read  # circular at import time, as above

        view = self.selected if self.state is State.SELECTED else None
        if self.state is State.LOGOUT or not light_read(command, view):
            return False
        try:
            return view is None or not view.sync_writes(self.store)
        except StorageError:
            return False  # the worker's run reports it

    def execute(self, command: Command) -> Outcome:
        spec = _commands().get(type(command))
        refused = self.check_state(command)
        if refused is not None or spec is None:
            if refused is None:  # a driver command that reached the session
                refused = Reply("BAD", f"{command_name(command)} cannot be run here")
            return Outcome(reply=refused)
        ctx = Context(self, self.store, self.config)
        reply = self._run(spec.handler, ctx, command)
        close = ctx.close
        if self.state is State.SELECTED and not close:
            expunge_ok = spec.expunge_ok or getattr(command, "uid", False) is True
            ctx.lines.extend(self._sync(expunge_ok))
            close = self.state is State.LOGOUT
        if self.notify is not None and not close:
            self._notify_after(command, reply.status == "OK")
        return Outcome(ctx.lines, reply, close)

    def _notify_after(self, command: Command, ok: bool) -> None:
        assert self.notify is not None
        try:
            self.notify.after_command(self, command, ok)
        except StorageError as exc:  # the next wake-up may report the session's own change
            log.warning("NOTIFY snapshot of %s failed: %s", self.peer, exc)

    def _run(self, handler: Callable[[Context, Any], Reply], ctx: Context, cmd: Command) -> Reply:
        try:
            return handler(ctx, cmd)
        except CommandError as exc:
            return exc.reply
        except StorageError as exc:
            return reply_for(exc)
        except InvalidName as exc:
            return Reply("NO", str(exc))
        except Exception:
            log.exception("%s failed for %s", command_name(cmd), self.peer)
            return Reply("NO", "Internal server error", "SERVERBUG")

    def poll(self) -> list[bytes]:
        """Untagged updates now, in IDLE: for the selected mailbox, or after a
        NOTIFY exactly what it asked for (RFC 5465 section 4).

        Afterwards ``state`` is LOGOUT if the mailbox vanished (the lines end in BYE).
        """
        if self.notify is not None:
            return self.notify.deliver(self, expunge_ok=True)
        if self.state is not State.SELECTED:
            return []
        return self._sync(expunge_ok=True)

    @property
    def notify_watching(self) -> bool:
        """True when NOTIFY asked for events between commands (the driver then
        watches every mailbox of the user and calls ``notifications``)."""
        return self.user is not None and self.notify is not None and self.notify.watching

    def notifications(self) -> list[bytes]:
        """NOTIFY's unsolicited responses between commands (RFC 5465); may end in BYE."""
        if self.notify is None:
            return []
        return self.notify.deliver(self)

    def sync_selected(self, expunge_ok: bool) -> list[bytes]:
        """Bring the selected view up to date now (NOTIFY SELECTED / SELECTED-DELAYED)."""
        return self._sync(expunge_ok)

    def _sync(self, expunge_ok: bool) -> list[bytes]:
        view = self.selected
        assert view is not None
        try:
            return view.sync(
                self.store, expunge_ok, self.rev2, condstore=self.condstore, qresync=self.qresync
            )
        except StorageError as exc:
            if exc.kind is not StorageErrorKind.NONEXISTENT:
                log.warning("sync of %s failed: %s", self.peer, exc)
                return []  # try again with the next command
            self.deselect()
            self.state = State.LOGOUT
            return [untagged_status("BYE", "Selected mailbox was deleted, have to disconnect.")]

    # ------------------------------------------------------------ state changes

    def login(self, username: str, password: str) -> Reply:
        if self.state is not State.NOT_AUTHENTICATED:
            return Reply("BAD", "Already authenticated")
        if not plaintext_login_allowed(self.config, self.tls):
            return Reply("NO", "Plaintext authentication disallowed without TLS", "PRIVACYREQUIRED")
        user = self.authenticator.verify(username, password)
        if user is None:
            delay = self.authenticator.failure_delay(self.peer, username)
            return Reply("NO", "Authentication failed", "AUTHENTICATIONFAILED", delay=delay)
        self.authenticator.record_success(self.peer, username)
        self.user = user
        self.state = State.AUTHENTICATED
        return Reply("OK", "Logged in", "CAPABILITY " + " ".join(self.capabilities()))

    def select(self, view: SelectedView) -> None:
        self.selected = view
        self.saved_uids = []
        self.state = State.SELECTED

    def deselect(self) -> None:
        """Forget the selected mailbox (no expunge); back to AUTHENTICATED."""
        self.selected = None
        self.saved_uids = []  # RFC 5182 section 2.1: "$" is reset on deselect
        if self.state is State.SELECTED:
            self.state = State.AUTHENTICATED
