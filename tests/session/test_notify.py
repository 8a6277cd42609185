"""NOTIFY (RFC 5465) at the session level: registration, refusals, and what each
wake-up tells the client (``Session.notifications`` between commands,
``Session.poll`` in IDLE), against a real store changed by other sessions."""

from __future__ import annotations

import re

import pytest

from roost.session import notify as notify_module
from roost.session.state import State

from .harness import Client, add_messages, converse, message

EVERYTHING = (
    "NOTIFY SET (SELECTED (MessageNew (UID FLAGS) MessageExpunge FlagChange))"
    " (PERSONAL (MessageNew MessageExpunge MailboxName SubscriptionChange))"
)


def told(client: Client) -> list[str]:
    """What a wake-up between commands sends."""
    return [line[:-2].decode() for line in client.session.notifications()]


def idle(client: Client) -> list[str]:
    return [line[:-2].decode() for line in client.session.poll()]


def status_of(line: str) -> tuple[str, dict[str, int]]:
    m = re.fullmatch(r"\* STATUS (\S+) \((.*)\)", line)
    assert m, line
    words = m.group(2).split()
    return m.group(1), {k: int(v) for k, v in zip(words[::2], words[1::2], strict=True)}


@pytest.fixture
def a(connect) -> Client:
    client = connect()
    client.run("a0 ENABLE IMAP4rev2")
    return client


@pytest.fixture
def b(connect) -> Client:
    return connect()


# ---------------------------------------------------------------- registration


@pytest.mark.parametrize(
    "command, status, code",
    [
        ("NOTIFY SET (SELECTED NONE) (SELECTED-DELAYED NONE)", "BAD", None),
        ("NOTIFY SET (SELECTED (MessageNew MessageExpunge MailboxName))", "BAD", None),
        ("NOTIFY SET (SELECTED-DELAYED (SubscriptionChange))", "BAD", None),
        ("NOTIFY SET (PERSONAL (FlagChange))", "BAD", None),
        ("NOTIFY SET (PERSONAL (FlagChange MessageNew))", "BAD", None),
        ("NOTIFY SET (PERSONAL (MessageNew))", "BAD", None),
        ("NOTIFY SET (INBOXES (MessageExpunge MailboxName))", "BAD", None),
        ("NOTIFY SET (PERSONAL (MessageNew MessageExpunge AnnotationChange))", "NO", "BADEVENT"),
        ("NOTIFY SET (PERSONAL (MailboxMetadataChange))", "NO", "BADEVENT"),
        ("NOTIFY SET (PERSONAL (ServerMetadataChange))", "NO", "BADEVENT"),
        ("NOTIFY SET (SELECTED (Bogus))", "NO", "BADEVENT"),
    ],
)
def test_refusals(a: Client, command: str, status: str, code: str | None) -> None:
    a.run("a1 " + EVERYTHING)
    reply = a.run("a2 " + command)[-1]
    assert reply.startswith(f"a2 {status} ")
    if code:
        assert reply.startswith(
            "a2 NO [BADEVENT (MessageNew MessageExpunge FlagChange MailboxName"
            " SubscriptionChange)] "
        )
    assert a.session.notify is not None and a.session.notify.watches  # unchanged


def test_states(connect, a: Client) -> None:
    anonymous = connect(login=False)
    assert anonymous.run("x NOTIFY NONE") == ["x BAD NOTIFY not allowed in not authenticated state"]
    assert a.run("a1 NOTIFY NONE") == ["a1 OK NOTIFY completed"]
    assert "NOTIFY" in a.session.capabilities()
    assert "NOTIFY" not in anonymous.session.capabilities()
    a.run("a2 SELECT INBOX")
    assert a.run("a3 NOTIFY SET (INBOXES NONE)") == ["a3 OK NOTIFY completed"]
    assert not a.session.notify_watching


def test_notify_set_is_an_implicit_noop(a: Client, b: Client, store) -> None:
    a.run("a1 SELECT INBOX")
    add_messages(store, a.mailbox_id(), 1)
    converse(
        a,
        """
        C: a2 NOTIFY SET (SELECTED (MessageNew MessageExpunge))
        S: * 1 EXISTS
        S: a2 OK NOTIFY completed
        """,
    )


def test_status_indicator(a: Client, store) -> None:
    add_messages(store, a.mailbox_id("Sent"), 3, flags=["\\Seen"])
    add_messages(store, a.mailbox_id("Sent"), 1)
    a.run("a0 CREATE Lists/x")
    a.run("a1 SELECT INBOX")
    lines = a.run("a2 NOTIFY SET STATUS (SELECTED NONE) (PERSONAL (MessageNew MessageExpunge))")
    names = [status_of(line)[0] for line in lines[:-1]]
    assert sorted(names) == ["Archive", "Drafts", "Junk", "Lists", "Lists/x", "Sent", "Trash"]
    sent = dict(status_of(line) for line in lines[:-1])["Sent"]
    uidvalidity = store.get_mailbox(a.session.user.id, "Sent").uidvalidity
    assert sent == {"MESSAGES": 4, "UIDNEXT": 5, "UIDVALIDITY": uidvalidity, "UNSEEN": 1}
    # Only mailboxes with message events get one.
    a.run("a3 DELETE Lists")  # a placeholder now: it has a child
    lines = a.run("a4 NOTIFY SET STATUS (MAILBOXES (Sent Lists) (MessageNew MessageExpunge))")
    assert [status_of(line)[0] for line in lines[:-1]] == ["Sent"]  # no STATUS of \Noselect
    assert a.run("a5 NOTIFY SET STATUS (PERSONAL (MailboxName))") == ["a5 OK NOTIFY completed"]


# ---------------------------------------------------------------- the selected mailbox


def test_selected_mailbox_events(a: Client, b: Client, store) -> None:
    a.run("a1 SELECT INBOX")
    a.run("a2 " + EVERYTHING)
    assert told(a) == []
    inbox = a.mailbox_id()
    add_messages(store, inbox, 2)
    assert told(a) == [
        "* 2 EXISTS",
        "* 1 FETCH (UID 1 FLAGS ())",
        "* 2 FETCH (UID 2 FLAGS ())",
    ]
    store.store_flags(inbox, [2], "+", ["\\Answered"])
    assert told(a) == ["* 2 FETCH (FLAGS (\\Answered) UID 2)"]
    store.store_flags(inbox, [1], "+", ["\\Deleted"])
    store.expunge(inbox)
    assert told(a) == ["* 1 EXPUNGE"]
    assert told(a) == []
    assert a.run("a3 UID FETCH 1:* (FLAGS)") == [
        "* 1 FETCH (UID 2 FLAGS (\\Answered))",
        "a3 OK FETCH completed",
    ]


def test_message_new_fetch_items_set_no_flags(a: Client, store) -> None:
    a.run("a1 SELECT INBOX")
    a.run(
        "a2 NOTIFY SET (SELECTED (MessageNew (BODY[HEADER.FIELDS (SUBJECT)] ENVELOPE) MessageExpunge))"
    )
    add_messages(store, a.mailbox_id(), 1)
    lines = told(a)
    assert lines[0] == "* 1 EXISTS"
    header = "Subject: message 0\r\n\r\n"
    assert lines[1].startswith(f"* 1 FETCH (UID 1 BODY[HEADER.FIELDS (SUBJECT)] {{{len(header)}}}")
    assert header + " ENVELOPE (" in lines[1]
    assert store.message_flags(a.mailbox_id())[0].flags == frozenset()  # no \Seen


def test_selected_without_flag_change(a: Client, store) -> None:
    add_messages(store, a.mailbox_id(), 1)
    a.run("a1 SELECT INBOX")
    a.run("a2 NOTIFY SET (SELECTED (MessageNew MessageExpunge))")
    store.store_flags(a.mailbox_id(), [1], "+", ["\\Flagged"])
    assert told(a) == []  # not asked for: told at the next command
    assert a.run("a3 NOOP") == ["* 1 FETCH (FLAGS (\\Flagged) UID 1)", "a3 OK NOOP completed"]


def test_selected_delayed_holds_expunges_until_a_command(a: Client, store) -> None:
    inbox = a.mailbox_id()
    add_messages(store, inbox, 2)
    a.run("a1 SELECT INBOX")
    a.run("a2 NOTIFY SET (SELECTED-DELAYED (MessageNew MessageExpunge FlagChange))")
    store.store_flags(inbox, [1], "+", ["\\Deleted"])
    store.expunge(inbox)
    add_messages(store, inbox, 1)
    assert told(a) == ["* 3 EXISTS"]  # message 1 keeps its number
    assert a.run("a3 FETCH 2 (UID)") == ["* 2 FETCH (UID 2)", "a3 OK FETCH completed"]
    assert a.run("a4 NOOP") == ["* 1 EXPUNGE", "a4 OK NOOP completed"]
    store.store_flags(inbox, [2], "+", ["\\Deleted"])
    store.expunge(inbox)
    assert idle(a) == ["* 1 EXPUNGE"]  # IDLE allows EXPUNGE


def test_selected_mailbox_deleted_says_bye(a: Client, b: Client) -> None:
    a.run("a0 CREATE Box")
    a.run("a1 SELECT Box")
    a.run("a2 " + EVERYTHING)
    b.run("b1 DELETE Box")
    lines = told(a)
    assert lines[-1].startswith("* BYE ")
    assert a.session.state is State.LOGOUT


# ---------------------------------------------------------------- other mailboxes


def test_status_for_other_mailboxes(a: Client, b: Client, store) -> None:
    a.run("a1 SELECT INBOX")
    a.run("a2 " + EVERYTHING)
    sent = a.mailbox_id("Sent")
    add_messages(store, sent, 2)
    ((name, items),) = [status_of(line) for line in told(a)]
    assert name == "Sent" and items["MESSAGES"] == 2 and items["UIDNEXT"] == 3
    assert items["UNSEEN"] == 2
    store.store_flags(sent, [1], "+", ["\\Seen"])  # FlagChange was not asked for there
    assert told(a) == []
    store.store_flags(sent, [1], "+", ["\\Deleted"])
    store.expunge(sent)
    ((name, items),) = [status_of(line) for line in told(a)]
    assert (name, items["MESSAGES"], items["UNSEEN"]) == ("Sent", 1, 1)


def test_flag_change_elsewhere_and_condstore(a: Client, store) -> None:
    a.run("a0 ENABLE CONDSTORE")
    a.run("a1 NOTIFY SET (INBOXES (MessageNew MessageExpunge FlagChange))")
    inbox = a.mailbox_id()
    add_messages(store, inbox, 1)
    add_messages(store, a.mailbox_id("Junk"), 1)  # not watched
    ((name, items),) = [status_of(line) for line in told(a)]
    assert name == "INBOX" and items["HIGHESTMODSEQ"] == store.status(inbox).highestmodseq
    store.store_flags(inbox, [1], "+", ["\\Seen"])
    ((name, items),) = [status_of(line) for line in told(a)]
    assert items["UNSEEN"] == 0


def test_mailbox_names(a: Client, b: Client) -> None:
    a.run("a1 " + EVERYTHING)
    b.run("b1 CREATE Lists/rust")
    assert told(a) == [
        '* LIST (\\HasChildren) "/" Lists',
        '* LIST (\\HasNoChildren) "/" Lists/rust',
    ]
    b.run("b2 SUBSCRIBE Lists/rust")
    b.run("b3 RENAME Lists Groups")
    assert told(a) == [
        '* LIST (\\HasChildren) "/" Groups ("OLDNAME" (Lists))',
        '* LIST (\\HasNoChildren \\Subscribed) "/" Groups/rust ("OLDNAME" (Lists/rust))',
    ]
    b.run("b4 DELETE Groups")  # has children: stays as a placeholder
    assert told(a) == ['* LIST (\\Noselect \\HasChildren) "/" Groups']
    b.run("b5 DELETE Groups/rust")
    assert told(a) == ['* LIST (\\NonExistent \\Subscribed) "/" Groups/rust']  # still a name
    b.run("b6 DELETE Groups")
    assert told(a) == ['* LIST (\\NonExistent) "/" Groups']
    b.run("b7 RENAME INBOX Old")  # INBOX stays; its messages move to a new mailbox
    assert told(a) == ['* LIST (\\HasNoChildren) "/" Old']


def test_subscriptions(a: Client, b: Client) -> None:
    a.run("a1 NOTIFY SET (PERSONAL (SubscriptionChange))")
    b.run("b1 SUBSCRIBE Drafts")  # already subscribed: nothing changes
    b.run("b2 SUBSCRIBE Future")  # names need not exist
    b.run("b3 UNSUBSCRIBE Junk")
    assert told(a) == [
        '* LIST (\\NonExistent \\Subscribed) "/" Future',
        '* LIST (\\HasNoChildren \\Junk) "/" Junk',
    ]
    b.run("b4 CREATE Elsewhere")  # MailboxName was not asked for
    assert told(a) == []


def test_filters(a: Client, b: Client, store) -> None:
    a.run("a1 CREATE Lists/a")
    a.run("a2 CREATE Work")
    a.run(
        "a3 NOTIFY SET (SUBTREE Lists (MessageNew MessageExpunge MailboxName))"
        " (MAILBOXES (Work Trash) (MessageNew MessageExpunge))"
        " (SUBSCRIBED (MessageNew MessageExpunge))"
    )
    for name in ("Lists/a", "Work", "Trash", "Drafts", "Archive"):
        add_messages(store, a.mailbox_id(name), 1)
    b.run("b1 CREATE Lists/b")
    b.run("b2 CREATE Other")
    b.run("b3 UNSUBSCRIBE Archive")  # SUBSCRIBED is re-evaluated on every change
    lines = told(a)
    assert lines[0] == '* LIST (\\HasNoChildren) "/" Lists/b'
    names = sorted(status_of(line)[0] for line in lines[1:])
    assert names == ["Drafts", "Lists/a", "Trash", "Work"]
    add_messages(store, a.mailbox_id("Archive"), 1)
    assert told(a) == []


def test_own_changes_are_not_reported(a: Client, b: Client, store) -> None:
    a.run("a1 " + EVERYTHING)
    a.run(b"a2 APPEND Sent {%d}\r\n" % len(message(1)) + message(1))
    a.run("a3 CREATE Mine/deep")
    a.run("a4 RENAME Mine Ours")
    a.run("a5 SUBSCRIBE Ours")
    b.run(b"b1 APPEND Drafts {%d}\r\n" % len(message(2)) + message(2))
    lines = told(a)
    assert [status_of(line)[0] for line in lines] == ["Drafts"]


def test_switching_mailboxes_tells_nothing_stale(a: Client, store) -> None:
    a.run("a1 " + EVERYTHING)
    a.run("a2 SELECT Sent")
    add_messages(store, a.mailbox_id("Sent"), 1)
    assert told(a)[0] == "* 1 EXISTS"
    a.run("a3 SELECT INBOX")  # Sent is no longer selected: no STATUS for old news
    assert told(a) == []
    add_messages(store, a.mailbox_id("Sent"), 1)
    assert [status_of(line)[0] for line in told(a)] == ["Sent"]


def test_rev1_names_are_modified_utf7(connect, store) -> None:
    a = connect()
    a.run("a1 NOTIFY SET (PERSONAL (MailboxName MessageNew MessageExpunge))")
    b = connect()
    b.run("b1 CREATE &AOk-t&AOk-")
    assert told(a) == ['* LIST (\\HasNoChildren) "/" &AOk-t&AOk-']
    add_messages(store, a.mailbox_id("\u00e9t\u00e9"), 1)
    assert status_of(told(a)[0])[0] == "&AOk-t&AOk-"


# ---------------------------------------------------------------- NONE, IDLE, overflow


def test_notify_none_and_idle(a: Client, store) -> None:
    a.run("a1 SELECT INBOX")
    a.run(
        "a2 NOTIFY SET (SELECTED (MessageNew MessageExpunge)) (PERSONAL (MessageNew MessageExpunge))"
    )
    add_messages(store, a.mailbox_id(), 1)
    add_messages(store, a.mailbox_id("Junk"), 1)
    lines = idle(a)
    assert lines[0] == "* 1 EXISTS" and status_of(lines[1])[0] == "Junk"
    a.run("a3 NOTIFY NONE")
    assert not a.session.notify_watching
    add_messages(store, a.mailbox_id(), 1)
    assert told(a) == [] and idle(a) == []  # IDLE sends what NOTIFY asked for: nothing
    assert a.run("a4 NOOP") == ["* 2 EXISTS", "a4 OK NOOP completed"]


def test_overflow(a: Client, store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notify_module, "MAX_NEW_FETCHES", 2)
    a.run("a1 SELECT INBOX")
    a.run("a2 " + EVERYTHING)
    add_messages(store, a.mailbox_id(), 3)
    assert told(a) == [
        "* 3 EXISTS",
        "* OK [NOTIFICATIONOVERFLOW] Too many events, notifications are now off",
    ]
    assert not a.session.notify_watching  # as after NOTIFY NONE
    add_messages(store, a.mailbox_id("Sent"), 1)
    assert told(a) == []


def test_subscribe_wakes_store_listeners(store) -> None:
    calls: list[tuple[int, int]] = []
    store.add_listener(lambda user_id, mailbox_id: calls.append((user_id, mailbox_id)))
    user = store.get_user("alice")
    store.set_subscribed(user.id, "Anything", True)
    assert calls == [(user.id, 0)]
