"""NOTIFY for mailboxes other than the selected one (RFC 5465 sections 5.2 - 5.5, 6).

A session that asked for events on other mailboxes keeps a ``Snapshot`` of
the user's mailboxes (name -> id, UIDNEXT, HIGHESTMODSEQ, UIDVALIDITY,
\\Noselect, special use) and subscriptions. When woken it takes a fresh one
and reports the difference, filtered by the client's event groups:

- MailboxName (5.4): a mailbox whose id now has another name was renamed:
  ``* LIST (...) "/" new ("OLDNAME" (old))``; a new name is a LIST with its
  attributes, a vanished one ``* LIST (\\NonExistent) "/" name``, a name
  whose mailbox changed (deleted and created again, or now a \\Noselect
  placeholder) a LIST with its new attributes.
- SubscriptionChange (5.5): a LIST for each name subscribed or unsubscribed,
  with ``\\Subscribed`` if and only if it is subscribed now. Names a rename
  already reported are not repeated (a rename moves their subscriptions).
- MessageNew / MessageExpunge / FlagChange (5.1 - 5.3): a mailbox whose
  HIGHESTMODSEQ moved gets ``* STATUS name (MESSAGES UIDNEXT UIDVALIDITY
  UNSEEN)``, plus HIGHESTMODSEQ once CONDSTORE is on, when the kind of change
  is one the client asked for: with FlagChange any change counts; otherwise a
  larger UIDNEXT, or expunged UIDs (``changes_since`` says). A mailbox is
  followed across renames by its id.

Rules: the selected mailbox never gets STATUS (its changes go through the
selected view); ``Watch`` resolves one non-selected event group against a
name and the current subscriptions (SUBSCRIBED is re-evaluated on every
change, 6.4; INBOXES is INBOX, the one mailbox mail is delivered to).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from roost.session.names import DELIMITER, INBOX, is_descendant, parents, sort_key
from roost.storage.interface import MailboxInfo, MailStore, StorageError

if TYPE_CHECKING:
    from roost.session.session import Session

MESSAGE_EVENTS = frozenset({"MessageNew", "MessageExpunge", "FlagChange", "AnnotationChange"})


@dataclass(frozen=True)
class Watch:
    """One non-selected event group, with mailbox names in storage form."""

    filter: str
    names: tuple[str, ...]
    events: frozenset[str]

    def matches(self, name: str, subscribed: set[str]) -> bool:
        if self.filter == "PERSONAL":
            return True
        if self.filter == "INBOXES":
            return name == INBOX
        if self.filter == "SUBSCRIBED":
            return name in subscribed
        if self.filter == "SUBTREE":
            return any(name == n or is_descendant(name, n) for n in self.names)
        return name in self.names  # MAILBOXES


@dataclass(frozen=True)
class BoxState:
    id: int
    uidnext: int
    highestmodseq: int
    uidvalidity: int
    noselect: bool
    special_use: tuple[str, ...]


@dataclass
class Snapshot:
    boxes: dict[str, BoxState] = field(default_factory=dict)
    subscribed: set[str] = field(default_factory=set)

    @classmethod
    def take(cls, store: MailStore, user_id: int) -> Snapshot:
        return cls(
            {m.name: _state(m) for m in store.list_mailboxes(user_id)},
            set(store.list_subscriptions(user_id)),
        )

    def absorb(self, fresh: Snapshot, targets: Iterable[str]) -> None:
        """Take ``fresh``'s view of ``targets`` (and their subtrees) without
        reporting it: the session's own changes (RFC 5465 section 5)."""
        roots = list(targets)

        def covered(name: str) -> bool:
            return any(name == t or is_descendant(name, t) for t in roots)

        # Parents CREATE or RENAME made on the way are taken too, but only
        # their existence: message changes there are still someone else's.
        made = {p for t in roots for p in parents(t)}
        for name in set(self.boxes) | set(fresh.boxes):
            new = fresh.boxes.get(name)
            old = self.boxes.get(name)
            if covered(name) or (name in made and (new is None) != (old is None)):
                if new is None:
                    self.boxes.pop(name, None)
                else:
                    self.boxes[name] = new
        for name in self.subscribed | fresh.subscribed:
            if covered(name):
                if name in fresh.subscribed:
                    self.subscribed.add(name)
                else:
                    self.subscribed.discard(name)


def _state(m: MailboxInfo) -> BoxState:
    return BoxState(
        m.id, m.uidnext, m.highestmodseq, m.uidvalidity, m.noselect, tuple(m.special_use)
    )


class Differ:
    """The responses that take a client from ``old`` to ``new``."""

    def __init__(self, session: Session, watches: list[Watch], old: Snapshot, new: Snapshot):
        self.session = session
        self.watches = watches
        self.old, self.new = old, new
        self.both_subscribed = old.subscribed | new.subscribed
        self._parents = {p for name in new.boxes for p in parents(name)}

    def events_for(self, name: str, subscribed: set[str]) -> set[str]:
        events: set[str] = set()
        for watch in self.watches:
            if watch.matches(name, subscribed):
                events |= watch.events
        return events

    def wants(self, event: str, *names: str) -> bool:
        return any(event in self.events_for(n, self.both_subscribed) for n in names)

    def lines(self) -> list[bytes]:
        listed: set[str] = set()
        out = self._names(listed)
        out += self._subscriptions(listed)
        out += self._messages()
        return out

    # ------------------------------------------------------------ MailboxName

    def _names(self, listed: set[str]) -> list[bytes]:
        old, new = self.old.boxes, self.new.boxes
        old_names = {b.id: n for n, b in old.items()}
        renamed = {  # new name -> old name
            n: old_names[b.id] for n, b in new.items() if old_names.get(b.id, n) != n
        }
        moved_away = set(renamed.values())
        out: list[bytes] = []
        for name in sorted(set(old) | set(new), key=sort_key):
            before, after = old.get(name), new.get(name)
            if name in renamed:
                if self.wants("MailboxName", name, renamed[name]):
                    out.append(self.list_line(name, oldname=renamed[name]))
                listed.update((name, renamed[name]))
                continue
            if after is None and name in moved_away:
                continue
            changed = (
                before is None
                or after is None
                or before.id != after.id
                or before.noselect != after.noselect
            )
            if changed and self.wants("MailboxName", name):
                out.append(self.list_line(name))
                listed.add(name)
        return out

    # ------------------------------------------------------------ SubscriptionChange

    def _subscriptions(self, listed: set[str]) -> list[bytes]:
        flipped = self.old.subscribed ^ self.new.subscribed
        return [
            self.list_line(name)
            for name in sorted(flipped - listed, key=sort_key)
            if self.wants("SubscriptionChange", name)
        ]

    def list_line(self, name: str, oldname: str | None = None) -> bytes:
        box = self.new.boxes.get(name)
        attrs: list[bytes] = []
        if box is None:
            attrs.append(b"\\NonExistent")
        elif box.noselect:
            attrs.append(b"\\Noselect")
        if name in self._parents:
            attrs.append(b"\\HasChildren")
        elif box is not None:
            attrs.append(b"\\HasNoChildren")
        if box is not None:
            attrs.extend(use.encode("ascii") for use in box.special_use)
        if name in self.new.subscribed:
            attrs.append(b"\\Subscribed")
        out = self.session.mailbox_name_out
        line = b"* LIST (" + b" ".join(attrs) + b') "' + DELIMITER.encode() + b'" ' + out(name)
        if oldname is not None:
            line += b' ("OLDNAME" (' + out(oldname) + b"))"
        return line + b"\r\n"

    # ------------------------------------------------------------ message events

    def _messages(self) -> list[bytes]:
        session = self.session
        view = session.selected
        selected_id = view.mailbox_id if view is not None else None
        by_id = {b.id: b for b in self.old.boxes.values()}
        out: list[bytes] = []
        for name in sorted(self.new.boxes, key=sort_key):
            box = self.new.boxes[name]
            before = by_id.get(box.id)
            if box.noselect or box.id == selected_id or before is None:
                continue
            if before.highestmodseq == box.highestmodseq:
                continue
            events = self.events_for(name, self.new.subscribed) & MESSAGE_EVENTS
            try:
                if events and self._reportable(box, before, events):
                    out.append(status_line(session, name, box.id))
            except StorageError:
                continue  # deleted meanwhile: the next wake-up reports that
        return out

    def _reportable(self, box: BoxState, before: BoxState, events: set[str]) -> bool:
        if "FlagChange" in events:
            return True  # any change of HIGHESTMODSEQ is one the client wants
        if box.uidnext > before.uidnext:
            return True  # MessageNew (always asked for with MessageExpunge)
        changes = self.session.store.changes_since(box.id, before.highestmodseq)
        return bool(changes.expunged)


def status_line(session: Session, name: str, mailbox_id: int) -> bytes:
    """``* STATUS name (MESSAGES n UIDNEXT n UIDVALIDITY n UNSEEN n [HIGHESTMODSEQ n])``."""
    st = session.store.status(mailbox_id)
    items = b"MESSAGES %d UIDNEXT %d UIDVALIDITY %d UNSEEN %d" % (
        st.messages,
        st.uidnext,
        st.uidvalidity,
        st.unseen,
    )
    if session.condstore:  # RFC 5465 5.2, 5.3: HIGHESTMODSEQ with CONDSTORE / QRESYNC
        items += b" HIGHESTMODSEQ %d" % st.highestmodseq
    return b"* STATUS " + session.mailbox_name_out(name) + b" (" + items + b")\r\n"


__all__ = ["MESSAGE_EVENTS", "BoxState", "Differ", "Snapshot", "Watch", "status_line"]
