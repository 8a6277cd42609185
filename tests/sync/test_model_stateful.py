"""Random interleavings of three sessions on one account, checked against a model.

The model of each mailbox is ``uid -> flags`` plus every UID it ever gave out.
Three sessions (IMAP4rev1, IMAP4rev2, and IMAP4rev1 with QRESYNC when the
server offers it) each keep a ``Mirror`` from their untagged responses and
do random APPEND, STORE (+/-/replace, silent or not, by UID or number),
COPY / MOVE (by UID or number) between INBOX and Archive (or into the
selected mailbox itself), delete
(STORE \\Deleted then EXPUNGE or UID EXPUNGE), bare EXPUNGE / UID EXPUNGE,
FETCH + SEARCH, NOOP, SELECT of the same or the other mailbox (straight
away, or after CLOSE, which expunges without a word, or UNSELECT), and
IDLE: a session may enter IDLE and stay there while the others work, until
a later step ends it.
Checks:
- after each step, the storage holds exactly the model, UIDNEXT is above
  every UID given out, and every session in IDLE has been told (with no
  command) within ``PUSH_WAIT`` seconds: its mirror fits the model;
- APPENDUID / COPYUID name the model's messages, new UIDs are above every UID
  the mailbox ever had (strictly ascending, never reused); UIDNEXT at SELECT
  is above them too;
- after NOOP, DONE or SELECT, the session's sequence -> UID map and flags
  equal the model's; a non-silent STORE reports the flags the model has;
- the mirror's own guards (no EXPUNGE during FETCH/STORE/SEARCH, numbers in
  range, UIDs ascending and never changing, see mirror.py) hold throughout.
EXPUNGE (and CLOSE) may remove \\Deleted messages the session was not told of
yet (RFC 9051 6.4.3 says all \\Deleted messages) or leave them (roost's choice): the
check accepts both, but nothing that is not \\Deleted may go, and nothing the
session knew and that is \\Deleted may stay.
One server per module, a new account per example.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from roost.server.testing import ServerHandle

from .client import Client, apply_store
from .conftest import new_account, open_client
from .mirror import Snapshot
from .truth import store_truth, store_uidnext

MAILBOXES = ("INBOX", "Archive")
FLAGS = ("\\Seen", "\\Flagged", "\\Deleted", "\\Answered", "\\Draft", "$Work", "$Later")
DELETED = "\\Deleted"
PUSH_WAIT = 1.0  # seconds; pushes take milliseconds on an idle server
EXAMPLES = int(os.environ.get("SYNC_EXAMPLES", "25"))

# A session by index among those that may act now (not in IDLE).
sessions = st.integers(0, 2)
flag_sets = st.lists(st.sampled_from(FLAGS), max_size=3, unique=True).map(tuple)
# Which messages a command names: every one, or some picked by position.
picks = st.one_of(st.just(None), st.lists(st.integers(0, 40), min_size=1, max_size=4))
Pick = list[int] | None


def compact(numbers: list[int]) -> str:
    return ",".join(str(n) for n in sorted(set(numbers)))


class SyncMachine(RuleBasedStateMachine):
    server: ServerHandle  # set by the test below

    def __init__(self) -> None:
        super().__init__()
        self.account = new_account(self.server)
        self.model: dict[str, dict[int, frozenset[str]]] = {m: {} for m in MAILBOXES}
        self.ever: dict[str, set[int]] = {m: set() for m in MAILBOXES}
        self.uidvalidity: dict[str, int] = {}
        self.clients: list[Client] = []
        self.selected: list[str] = []
        self.idling: set[int] = set()

    @initialize(
        inbox=st.lists(flag_sets, min_size=2, max_size=6),
        archive=st.lists(flag_sets, max_size=3),
    )
    def open_sessions(self, inbox: list[tuple[str, ...]], archive: list[tuple[str, ...]]) -> None:
        """Three sessions on INBOX, then some mail in both mailboxes (all told of it)."""
        for i, rev2 in enumerate((False, True, False)):
            client = open_client(self.server, self.account, f"S{i}", rev2=rev2)
            if i == 2:
                client.enable("QRESYNC")  # VANISHED instead of EXPUNGE, when offered
            self.clients.append(client)
            self.selected.append("INBOX")
            self.select(i, "INBOX")
        self.add_messages(0, "INBOX", inbox)
        self.add_messages(0, "Archive", archive)
        for i in range(len(self.clients)):
            self.noop(i)

    def teardown(self) -> None:
        for client in self.clients:
            client.close()

    # ------------------------------------------------------------ helpers

    def active(self, s: int) -> int:
        """The ``s``-th session (cyclically) of those not in IDLE."""
        free = [i for i in range(len(self.clients)) if i not in self.idling]
        return free[s % len(free)]

    def snapshot(self, mailbox: str) -> Snapshot:
        return sorted(self.model[mailbox].items())

    def other(self, mailbox: str) -> str:
        return MAILBOXES[1 - MAILBOXES.index(mailbox)]

    def new_uids(self, mailbox: str, uids: list[int], uidvalidity: int) -> None:
        """UIDs the server just gave out: ascending, above all before, never seen."""
        assert self.uidvalidity.setdefault(mailbox, uidvalidity) == uidvalidity
        assert uids == sorted(uids) and len(set(uids)) == len(uids), uids
        ever = self.ever[mailbox]
        assert not ever or uids[0] > max(ever), f"{mailbox}: new UIDs {uids} after {max(ever)}"
        ever.update(uids)

    def named(self, s: int, pick: Pick, uid: bool) -> tuple[str, list[int]] | None:
        """The set text for a command and the model UIDs it names (None: nothing to name).

        UID sets list UIDs the session knows: what ``UID STORE 1:*`` does to
        messages not announced yet is not the point here.
        """
        entries = self.clients[s].mirror.entries
        if not entries:
            return None
        everything = range(len(entries))
        chosen = list(everything) if pick is None else sorted({p % len(entries) for p in pick})
        uids = [u for i in chosen if (u := entries[i].uid) is not None]
        if uid:
            if not uids:
                return None
            text = compact(uids)
        else:
            text = "1:*" if pick is None else compact([i + 1 for i in chosen])
        return text, [u for u in uids if u in self.model[self.selected[s]]]

    def select(self, s: int, mailbox: str) -> None:
        client = self.clients[s]
        switching = client.mirror.mailbox is not None
        result = client.select(mailbox)
        if switching and "QRESYNC" in client.enabled:
            # RFC 7162 3.2.11: the end of the old mailbox's responses is marked.
            assert any(b"[CLOSED]" in p.upper() for p in result.untagged), result.untagged
        self.selected[s] = mailbox
        client.assert_matches(self.snapshot(mailbox))
        floor, validity = client.mirror.uidnext_at_select, client.mirror.uidvalidity
        assert floor is not None and floor > max(self.ever[mailbox], default=0), floor
        assert validity is not None
        assert self.uidvalidity.setdefault(mailbox, validity) == validity

    def store_in_model(self, s: int, pick: Pick, uid: bool, mode: str, flags, silent: bool) -> str:
        """STORE on session ``s``; returns the set text ('' when nothing was named)."""
        named = self.named(s, pick, uid)
        if named is None:
            return ""
        text, uids = named
        client, box = self.clients[s], self.model[self.selected[s]]
        client.store(text, mode, flags, silent=silent, uid=uid)
        for u in uids:
            box[u] = apply_store(box[u], mode, flags)
            seq = client.mirror.seq_of(u)
            if not silent and seq is not None:
                # RFC 9051 6.4.6: the response carries the message's flags as they now are.
                told = client.mirror.entries[seq - 1].flags
                assert told == box[u], f"STORE told {told} for UID {u}, model {box[u]}"
        return text

    def expunge_in_model(self, s: int, uid_set: str | None, verb: str = "EXPUNGE") -> None:
        """EXPUNGE / CLOSE (``uid_set`` None) or UID EXPUNGE, checked against the model."""
        client, mailbox = self.clients[s], self.selected[s]
        box = self.model[mailbox]
        known = {u for u in client.mirror.uids() if u is not None}
        if verb != "EXPUNGE":
            scope = set(box)
            client.deselect(verb)
        elif uid_set is None:
            scope = set(box)
            client.run(verb)
        else:
            scope = {u for u in box if u in map(int, uid_set.split(","))}
            client.run(f"UID EXPUNGE {uid_set}")
        deleted = {u for u in scope if DELETED in box[u]}
        remaining = {u for u, _ in store_truth(self.server, self.account, mailbox)}
        removed = set(box) - remaining
        assert remaining <= set(box), f"{mailbox}: unexpected UIDs {remaining - set(box)}"
        assert removed <= deleted, f"{verb} removed {removed - deleted}: not \\Deleted or not named"
        assert deleted & known <= removed, f"{verb} kept {deleted & known - removed}"
        for u in removed:
            del box[u]

    def add_messages(self, s: int, mailbox: str, flag_list: list[tuple[str, ...]]) -> None:
        for flags in flag_list:
            n = len(self.ever[mailbox]) + 1
            body = f"Subject: {mailbox} {n}\r\nFrom: a@example.org\r\n\r\nmessage {n}\r\n"
            validity, uid = self.clients[s].append(mailbox, body.encode(), flags)
            self.new_uids(mailbox, [uid], validity)
            self.model[mailbox][uid] = frozenset(flags)

    def noop(self, s: int) -> None:
        self.clients[s].noop()
        self.clients[s].assert_matches(self.snapshot(self.selected[s]))

    # ------------------------------------------------------------ rules

    @rule(
        s=sessions, to_selected=st.booleans(), flag_list=st.lists(flag_sets, min_size=1, max_size=3)
    )
    def append(self, s: int, to_selected: bool, flag_list: list[tuple[str, ...]]) -> None:
        s = self.active(s)
        mailbox = self.selected[s] if to_selected else self.other(self.selected[s])
        self.add_messages(s, mailbox, flag_list)

    @rule(s=sessions, pick=picks, mode=st.sampled_from(["+", "-", ""]), flags=flag_sets,
          silent=st.booleans(), uid=st.booleans())  # fmt: skip
    def store(self, s: int, pick: Pick, mode: str, flags, silent: bool, uid: bool) -> None:
        self.store_in_model(self.active(s), pick, uid, mode, flags, silent)

    @rule(s=sessions, pick=picks, uid=st.booleans(), move=st.booleans(),
          to_self=st.integers(0, 4).map(lambda n: n == 0))  # fmt: skip
    def copy_or_move(self, s: int, pick: Pick, uid: bool, move: bool, to_self: bool) -> None:
        """To the other mailbox, or now and then into the selected one itself (new UIDs)."""
        s = self.active(s)
        named = self.named(s, pick, uid)
        if named is None:
            return
        text, uids = named
        source = self.selected[s]
        dest = source if to_self else self.other(source)
        verb = "MOVE" if move else "COPY"
        _, found = self.clients[s].copy_or_move(verb, text, dest, uid=uid)
        if not uids:
            assert found is None, f"COPYUID {found} for messages that are gone"
            return
        assert found is not None, f"{verb} {text} without COPYUID"
        assert found.source == sorted(uids), f"COPYUID source {found.source}, expected {uids}"
        pairs = sorted(zip(found.source, found.dest, strict=True), key=lambda p: p[1])
        self.new_uids(dest, [d for _, d in pairs], found.uidvalidity)
        for src, dst in pairs:
            self.model[dest][dst] = self.model[source][src]
        if move:  # after the copies: with dest == source the old UIDs go, the new stay
            for src in uids:
                del self.model[source][src]

    @rule(s=sessions, pick=picks, uid=st.booleans())
    def delete(self, s: int, pick: Pick, uid: bool) -> None:
        """What a mail client's Delete does: \\Deleted (silently), then expunge."""
        s = self.active(s)
        text = self.store_in_model(s, pick, True, "+", (DELETED,), True)
        if text:
            self.expunge_in_model(s, text if uid else None)

    @rule(s=sessions, pick=picks, uid=st.booleans())
    def expunge(self, s: int, pick: Pick, uid: bool) -> None:
        s = self.active(s)
        named = self.named(s, pick, True)
        if uid and named is None:
            return
        self.expunge_in_model(s, named[0] if uid and named else None)

    @rule(s=sessions)
    def fetch_and_search(self, s: int) -> None:
        client = self.clients[self.active(s)]
        if client.mirror.exists():
            client.run("FETCH 1:* (UID FLAGS)")
        client.run("SEARCH ALL")

    @rule(s=sessions)
    def noop_and_compare(self, s: int) -> None:
        self.noop(self.active(s))

    @rule(s=sessions, how=st.sampled_from(["SELECT", "CLOSE", "UNSELECT"]), other=st.booleans())
    def reselect(self, s: int, how: str, other: bool) -> None:
        """SELECT straight away, or CLOSE (expunges silently) / UNSELECT first."""
        s = self.active(s)
        mailbox = self.selected[s]
        if how == "CLOSE":
            self.expunge_in_model(s, None, "CLOSE")
        elif how == "UNSELECT":
            self.clients[s].deselect("UNSELECT")
        self.select(s, self.other(mailbox) if other else mailbox)

    @rule(s=sessions)
    def start_idle(self, s: int) -> None:
        if len(self.idling) < len(self.clients) - 1:  # someone must stay to act
            s = self.active(s)
            self.clients[s].idle_start()
            self.idling.add(s)
            self.idlers_are_told()

    @rule(s=sessions)
    def stop_idle(self, s: int) -> None:
        if self.idling:
            s = sorted(self.idling)[s % len(self.idling)]
            self.idling.discard(s)
            self.clients[s].idle_done()
            self.clients[s].assert_matches(self.snapshot(self.selected[s]))

    # ------------------------------------------------------------ invariants

    @invariant()
    def storage_holds_the_model(self) -> None:
        if not self.clients:
            return
        for mailbox in MAILBOXES:
            assert store_truth(self.server, self.account, mailbox) == self.snapshot(mailbox)
            uidnext = store_uidnext(self.server, self.account, mailbox)
            assert uidnext > max(self.ever[mailbox], default=0), (mailbox, uidnext)

    @invariant()
    def idlers_are_told(self) -> None:
        """A session in IDLE learns of every change with no command (EXISTS/FETCH/EXPUNGE)."""
        for s in sorted(self.idling):
            client, expected = self.clients[s], self.snapshot(self.selected[s])
            fits = lambda c=client, e=expected: not c.mirror.differences(e, partial=True)  # noqa: E731
            if client.idle_wait(fits, PUSH_WAIT) is None:
                client.assert_matches(expected, partial=True)

    @invariant()
    def recent_in_one_session_at_most(self) -> None:
        """RFC 3501 2.3.2: no more than one session sees a message with \\Recent."""
        for mailbox in MAILBOXES:
            seen: dict[int, str] = {}
            for client, selected in zip(self.clients, self.selected, strict=True):
                for entry in client.mirror.entries if selected == mailbox else ():
                    if entry.recent and entry.uid is not None:
                        other = seen.setdefault(entry.uid, client.name)
                        assert other == client.name, (
                            f"UID {entry.uid} \\Recent in {other} and {client.name}"
                        )

    @invariant()
    def mirrors_know_only_real_uids(self) -> None:
        for client, mailbox in zip(self.clients, self.selected, strict=True):
            known = [u for u in client.mirror.uids() if u is not None]
            assert set(known) <= self.ever[mailbox], (client.name, known)


@pytest.mark.timeout(300)  # passing takes seconds; shrinking a failure takes minutes
def test_sessions_follow_the_model(sync_server: ServerHandle) -> None:
    SyncMachine.server = sync_server
    run_state_machine_as_test(
        SyncMachine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=int(os.environ.get("SYNC_STEPS", "30")),
            deadline=None,
            report_multiple_bugs=False,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
