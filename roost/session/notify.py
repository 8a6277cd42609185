"""NOTIFY (RFC 5465): what a session asked to hear about, and the responses it owes.

Responsibility: the registration made by NOTIFY SET / NONE and the untagged
responses for events since the client was last told. Pure with respect to
asyncio: the driver calls ``Session.notifications`` (between commands) or
``Session.poll`` (IDLE) from a worker thread when the change hub wakes it,
and writes what they return.

Rules:
- ``check`` refuses a NOTIFY SET before anything changes: BAD for what
  sections 5 and 6.1 forbid (both SELECTED and SELECTED-DELAYED; mailbox
  events under them; FlagChange without MessageNew and MessageExpunge;
  MessageNew without MessageExpunge or the reverse), then
  ``NO [BADEVENT (supported events)]`` for events this server does not
  support (AnnotationChange, the METADATA events, unknown ones; 3.1).
- The selected mailbox (6.1): only a SELECTED / SELECTED-DELAYED group gives
  it events; without one, changes there are told at command ends as IMAP
  always does. With SELECTED its view is synced between commands and may say
  EXPUNGE (the client uses UIDs, 5.3); SELECTED-DELAYED holds EXPUNGE until a
  command that allows it (IDLE allows it). MessageNew is EXISTS followed by
  a FETCH of the requested items for each new message, UID first (5.2);
  bodies are rendered without setting \\Seen: a notification changes nothing.
  Without FlagChange a flag-only change waits for the next command.
- Other mailboxes: ``roost.session.notify_mailboxes`` (STATUS and LIST).
- The client's own changes are not reported (section 5: SHOULD omit): after
  each command the snapshot silently takes in the mailboxes and names the
  command acted on (APPEND / COPY / MOVE target, CREATE, DELETE, RENAME,
  (UN)SUBSCRIBE), and the previously selected mailbox when the selection
  changes. A change another session makes to the same mailbox while that
  command runs is taken in with it: the price of attributing changes by name.
- A successful NOTIFY SET is an implicit NOOP (3.1): the session's usual sync
  after the command does it. With STATUS, a STATUS response for each other
  selectable mailbox with message events comes before the tagged OK.
- Overflow (5.8): when one wake-up finds more than ``MAX_NEW_FETCHES`` new
  messages to FETCH for, the session says ``* OK [NOTIFICATIONOVERFLOW]`` and
  behaves as after NOTIFY NONE. There is no queue to overflow otherwise:
  events are computed from the store when the session is woken.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from roost.commands.fetch_items import MessageItems
from roost.mime import UnknownEncoding
from roost.protocol.commands import (
    Append,
    Command,
    Copy,
    Create,
    Delete,
    FetchAttr,
    Move,
    Notify,
    Rename,
    Subscribe,
    Unsubscribe,
)
from roost.protocol.parser_notify import KNOWN_EVENTS
from roost.protocol.responses import untagged_status
from roost.session.names import DELIMITER, InvalidName
from roost.session.notify_mailboxes import MESSAGE_EVENTS, Differ, Snapshot, Watch, status_line
from roost.session.state import Reply, State
from roost.storage.interface import StorageError

if TYPE_CHECKING:
    from roost.session.selected import SelectedView
    from roost.session.session import Session

SUPPORTED_EVENTS = (
    "MessageNew",
    "MessageExpunge",
    "FlagChange",
    "MailboxName",
    "SubscriptionChange",
)
SELECTED_FILTERS = ("SELECTED", "SELECTED-DELAYED")
_NEW_AND_GONE = frozenset({"MessageNew", "MessageExpunge"})
# New messages one wake-up may FETCH for before notifications are given up.
MAX_NEW_FETCHES = 1000
OVERFLOW = untagged_status(
    "OK", "Too many events, notifications are now off", "NOTIFICATIONOVERFLOW"
)


def check(cmd: Notify) -> Reply | None:
    """The refusal for a NOTIFY command that cannot be registered, else None."""
    groups = cmd.groups or ()
    if sum(g.filter in SELECTED_FILTERS for g in groups) > 1:
        return Reply("BAD", "Only one of SELECTED and SELECTED-DELAYED may be given")
    unsupported: list[str] = []
    for group in groups:
        names = {e.name for e in group.events}
        mailbox_events = (names & set(KNOWN_EVENTS)) - MESSAGE_EVENTS
        if group.filter in SELECTED_FILTERS and mailbox_events:
            return Reply("BAD", f"{group.filter} takes message events only")
        if names & {"FlagChange", "AnnotationChange"} and not names >= _NEW_AND_GONE:
            return Reply("BAD", "FlagChange needs MessageNew and MessageExpunge")
        if ("MessageNew" in names) != ("MessageExpunge" in names):
            return Reply("BAD", "MessageNew and MessageExpunge go together")
        unsupported += sorted(names - set(SUPPORTED_EVENTS))
    if unsupported:
        code = "BADEVENT (" + " ".join(SUPPORTED_EVENTS) + ")"
        return Reply("NO", "Unsupported event: " + " ".join(unsupported), code)
    return None


class NotifyState:
    """One session's NOTIFY registration and the snapshot of what it was told."""

    def __init__(
        self,
        selected_filter: str | None = None,
        selected_events: frozenset[str] = frozenset(),
        fetch_atts: tuple[FetchAttr, ...] = (),
        watches: tuple[Watch, ...] = (),
    ) -> None:
        self.selected_filter = selected_filter
        self.selected_events = selected_events
        self.fetch_atts = fetch_atts
        self.watches = [w for w in watches if w.events]
        self.snapshot = Snapshot()
        self.selected_id: int | None = None  # the selected mailbox after the last command

    @classmethod
    def from_command(cls, cmd: Notify, name_in: Callable[[str], str]) -> NotifyState:
        """The registration of NOTIFY SET (``check`` passed); NOTIFY NONE registers nothing.

        ``name_in`` turns SUBTREE / MAILBOXES names into storage names
        (raising ``InvalidName``)."""
        selected_filter: str | None = None
        events: frozenset[str] = frozenset()
        atts: tuple[FetchAttr, ...] = ()
        watches: list[Watch] = []
        for group in cmd.groups or ():
            names = frozenset(e.name for e in group.events)
            if group.filter in SELECTED_FILTERS:
                selected_filter, events = group.filter, names
                atts = next((e.fetch_atts for e in group.events if e.name == "MessageNew"), ())
            else:
                mailboxes = tuple(_storage_name(name_in, m) for m in group.mailboxes)
                watches.append(Watch(group.filter, mailboxes, names))
        return cls(selected_filter, events, _with_uid(atts), tuple(watches))

    @property
    def watching(self) -> bool:
        """True when some change anywhere may have to be told between commands."""
        return bool(self.selected_events) or bool(self.watches)

    # ------------------------------------------------------------ registration

    def start(self, session: Session, status: bool) -> list[bytes]:
        """Take the first snapshot; the STATUS responses NOTIFY SET STATUS asks for."""
        user = session.user
        assert user is not None
        self.snapshot = Snapshot.take(session.store, user.id)
        view = session.selected
        self.selected_id = view.mailbox_id if view is not None else None
        if not status:
            return []
        differ = Differ(session, self.watches, self.snapshot, self.snapshot)
        lines = []
        for name, box in self.snapshot.boxes.items():
            if box.noselect or box.id == self.selected_id:
                continue
            if differ.events_for(name, self.snapshot.subscribed) & MESSAGE_EVENTS:
                try:
                    lines.append(status_line(session, name, box.id))
                except StorageError:
                    continue  # deleted meanwhile
        return lines

    def after_command(self, session: Session, command: Command, ok: bool) -> None:
        """Take in the session's own changes (see the module rules)."""
        user = session.user
        if user is None or not self.watches:
            self.selected_id = session.selected.mailbox_id if session.selected else None
            return
        targets = _targets(session, command) if ok else []
        view = session.selected
        current = view.mailbox_id if view is not None else None
        if current != self.selected_id:
            targets += [n for n, b in self.snapshot.boxes.items() if b.id == self.selected_id]
            self.selected_id = current
        if targets:
            self.snapshot.absorb(Snapshot.take(session.store, user.id), targets)

    # ------------------------------------------------------------ delivery

    def deliver(self, session: Session, expunge_ok: bool | None = None) -> list[bytes]:
        """The responses for everything since the last delivery; updates the snapshot.

        ``expunge_ok`` None: between commands (EXPUNGE only with SELECTED);
        True: in IDLE, where EXPUNGE is always allowed.
        """
        if expunge_ok is None:
            expunge_ok = self.selected_filter == "SELECTED"
        lines = self._selected(session, expunge_ok)
        if session.state is State.LOGOUT or not self.watching:  # gone, or overflowed
            return lines
        if self.watches and session.user is not None:
            fresh = Snapshot.take(session.store, session.user.id)
            lines += Differ(session, self.watches, self.snapshot, fresh).lines()
            self.snapshot = fresh
        return lines

    def _selected(self, session: Session, expunge_ok: bool) -> list[bytes]:
        view = session.selected
        if view is None or session.state is not State.SELECTED or not self.selected_events:
            return []
        if "FlagChange" not in self.selected_events and not _news(session, view, expunge_ok):
            return []
        last = view.uids[-1] if view.uids else 0
        lines = session.sync_selected(expunge_ok)
        if session.state is not State.SELECTED or not self.fetch_atts:
            return lines
        new = [(i + 1, uid) for i, uid in enumerate(view.uids) if uid > last]
        if len(new) > MAX_NEW_FETCHES:
            self._overflow()
            return [*lines, OVERFLOW]
        return lines + self._new_fetches(session, view, new)

    def _new_fetches(
        self, session: Session, view: SelectedView, new: list[tuple[int, int]]
    ) -> list[bytes]:
        if not new:
            return []
        store = session.store
        metas = {m.uid: m for m in store.fetch_meta(view.mailbox_id, [u for _, u in new])}
        lines = []
        for seq, uid in new:
            meta = metas.get(uid)
            if meta is None:
                continue  # expunged meanwhile
            items = MessageItems(
                meta,
                store.read_message,
                recent=uid in view.recent,
                rev2=session.rev2,
            )
            try:
                body = b" ".join(items.render(att) for att in self.fetch_atts)
            except (UnknownEncoding, StorageError):
                continue  # nothing sensible to say about this one; FETCH will tell
            lines.append(b"* %d FETCH (" % seq + body + b")\r\n")
        return lines

    def _overflow(self) -> None:
        """Behave as after NOTIFY NONE (RFC 5465 section 5.8)."""
        self.selected_filter, self.selected_events, self.fetch_atts = None, frozenset(), ()
        self.watches = []


def _news(session: Session, view: SelectedView, expunge_ok: bool) -> bool:
    """Are there new messages (or expunges that may be told) in the selected mailbox?"""
    try:
        changes = session.store.changes_since(view.mailbox_id, view.modseq)
    except StorageError:
        return True  # gone: the sync says BYE
    last = view.uids[-1] if view.uids else 0
    if any(c.uid > last for c in changes.changed):
        return True
    return expunge_ok and (bool(view.pending_expunge) or bool(changes.expunged))


def _with_uid(atts: tuple[FetchAttr, ...]) -> tuple[FetchAttr, ...]:
    """UID first (sequence numbers move under SELECTED), then the rest once each."""
    out: list[FetchAttr] = ["UID"]
    for att in atts:
        if att not in out:
            out.append(att)
    return tuple(out) if atts else ()


def _storage_name(name_in: Callable[[str], str], wire: str) -> str:
    name = name_in(wire)
    return name[:-1] if name.endswith(DELIMITER) and name != DELIMITER else name


def _targets(session: Session, command: Command) -> list[str]:
    """Storage names of the mailboxes (and subtrees) a command changed itself."""
    if isinstance(command, Rename):
        wires = [command.mailbox, command.new_name]
    elif isinstance(command, Append | Copy | Move | Create | Delete | Subscribe | Unsubscribe):
        wires = [command.mailbox]
    else:
        return []
    names = []
    for wire in wires:
        try:
            names.append(_storage_name(session.mailbox_name_in, wire))
        except InvalidName:
            continue
    return names


__all__ = ["MAX_NEW_FETCHES", "SUPPORTED_EVENTS", "NotifyState", "check"]
