"""Two and three sessions on one account: every view stays right after every step.

Each test drives sessions step by step (appending, flagging, copying, moving,
expunging) while another sits in IDLE. After every step:
- each session not in IDLE sends NOOP, and its mirror (sequence numbers, UIDs,
  flags, as kept from untagged responses alone) must equal the server's truth
  (a fresh session's ``UID FETCH 1:* (FLAGS)`` and the storage, see truth.py);
- each session in IDLE must have been told, with no command, within 1 s.
And: no EXPUNGE arrives during FETCH, STORE or SEARCH (non-UID forms), yet
it does arrive at the next NOOP (RFC 9051 7.5.1); a keyword a session sees
was announced in its FLAGS (RFC 9051 7.3.5); MOVE sends COPYUID before its
expunges (RFC 6851); a .SILENT STORE does not hide another session's change
to the same message; a command pipelined after DONE is answered.
The session in IDLE is IMAP4rev1, IMAP4rev2 or QRESYNC (VANISHED) in turn.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from roost.server.testing import ServerHandle

from .client import Client
from .mirror import Snapshot
from .truth import Account, truth

PUSH_DEADLINE = 1.0  # seconds an IDLE session may wait for news (the issue wants 100 ms)
Connect = Callable[..., Client]


def message(n: int) -> bytes:
    return (
        f"From: sender{n}@example.org\r\nTo: me@example.org\r\nSubject: message {n}\r\n"
        f"Message-ID: <m{n}@example.org>\r\n\r\nBody of message {n}.\r\n"
    ).encode()


def keywords_announced(client: Client) -> None:
    """RFC 9051 7.3.5: the FLAGS list names the keywords in use that the client was shown."""
    shown = {f for _, flags in client.mirror.snapshot() for f in flags or () if f[:1] != "\\"}
    known = client.mirror.mailbox_flags or frozenset()
    missing = shown - known
    assert not missing, f"{client.name}: keywords {missing} not in FLAGS {sorted(known)}"


def copyuid_first(untagged: list[bytes]) -> None:
    """MOVE: ``* OK [COPYUID ...]`` comes before the expunges (RFC 6851 4.3)."""
    kinds = [
        "copyuid" if p.upper().startswith(b"OK [COPYUID")
        else "expunge" if p.upper().endswith(b" EXPUNGE") or p.upper().startswith(b"VANISHED")
        else "other"
        for p in untagged
    ]  # fmt: skip
    assert "copyuid" in kinds and "expunge" in kinds, untagged
    assert kinds.index("copyuid") < kinds.index("expunge"), untagged


class Step:
    """Checks every session against the truth of one mailbox after each step."""

    def __init__(self, server: ServerHandle, account: Account) -> None:
        self.server = server
        self.account = account

    def check(
        self, mailbox: str, active: list[Client], idle: tuple[Client, ...] | list[Client] = ()
    ) -> Snapshot:
        expected = truth(self.server, self.account, mailbox)
        for client in idle:
            self.wait_for_push(client, expected)
        for client in active:
            client.noop()
            client.assert_matches(expected)
            keywords_announced(client)
        return expected

    def wait_for_push(self, client: Client, expected: Snapshot) -> None:
        took = client.idle_wait(lambda: not client.mirror.differences(expected, partial=True), 5.0)
        if took is None:
            client.assert_matches(expected, partial=True)  # raises with the details
        assert took is not None
        assert took < PUSH_DEADLINE, f"{client.name} was told after {took:.3f} s"


@pytest.fixture
def step(sync_server: ServerHandle, account: Account) -> Step:
    return Step(sync_server, account)


@pytest.fixture(params=["rev1", "rev2", "qresync"])
def flavour(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def idler(connect: Connect, flavour: str, mailbox: str = "INBOX", name: str = "Idler") -> Client:
    """A session of one flavour: IMAP4rev1, IMAP4rev2, or with QRESYNC (VANISHED, not EXPUNGE)."""
    client = connect(name, rev2=flavour == "rev2")
    if flavour == "qresync" and not client.enable("QRESYNC"):
        pytest.skip("the server does not offer QRESYNC")
    client.select(mailbox)
    return client


def test_idle_session_is_told_of_append_flags_and_expunge(
    connect: Connect, step: Step, flavour: str
) -> None:
    a = idler(connect, flavour)
    b = connect("Bee")
    b.select("INBOX")
    a.idle_start()

    uids = [b.append("INBOX", message(n))[1] for n in range(3)]
    step.check("INBOX", [b], [a])
    b.uid_store(str(uids[1]), "+", ("\\Flagged", "$Important"))
    step.check("INBOX", [b], [a])
    b.uid_store(str(uids[0]), "+", ("\\Deleted",), silent=True)
    b.command("EXPUNGE").check("EXPUNGE")
    step.check("INBOX", [b], [a])
    b.uid_store(f"{uids[1]}:{uids[2]}", "", ("\\Seen",))
    step.check("INBOX", [b], [a])

    a.idle_done()
    a.assert_matches(truth(step.server, step.account, "INBOX"))
    keywords_announced(a)
    if flavour == "qresync":
        assert any(h.startswith("[IDLE] * VANISHED") for h in a.mirror.history)


def test_three_sessions_agree_after_every_step(connect: Connect, step: Step, flavour: str) -> None:
    a = idler(connect, flavour)
    b = connect("Bee", rev2=True)
    c = connect("Cat")
    for client in (b, c):
        client.select("INBOX")
    a.idle_start()
    active = [b, c]

    uids = [
        b.append("INBOX", message(n), flags)[1]
        for n, flags in enumerate([(), ("\\Seen",), ("\\Draft", "$Work"), (), ()])
    ]
    step.check("INBOX", active, [a])
    c.uid_store(f"{uids[0]}:{uids[1]}", "+", ("\\Seen",))
    step.check("INBOX", active, [a])
    b.store("3", "+", ("$Later",), uid=False)  # by sequence number
    step.check("INBOX", active, [a])
    _, copied = c.copy_or_move("COPY", f"{uids[0]}:{uids[1]}", "Archive")
    assert copied is not None and copied.source == uids[:2]
    step.check("INBOX", active, [a])
    result, moved = b.copy_or_move("MOVE", str(uids[2]), "Archive")
    assert moved is not None and moved.source == [uids[2]]
    copyuid_first(result.untagged)
    step.check("INBOX", active, [a])
    c.uid_store(str(uids[0]), "-", ("\\Seen",), silent=True)
    step.check("INBOX", active, [a])
    b.uid_store(f"{uids[1]},{uids[3]}", "+", ("\\Deleted",))
    c.command(f"UID EXPUNGE {uids[3]}").check("UID EXPUNGE")  # only the named UID goes
    after = step.check("INBOX", active, [a])
    assert [u for u, _ in after] == [uids[0], uids[1], uids[4]]
    new_uid = c.append("INBOX", message(9), ("\\Flagged",))[1]
    assert new_uid > uids[-1]
    c.store("1:*", "", ("\\Answered",), uid=False)
    step.check("INBOX", active, [a])
    b.command("EXPUNGE").check("EXPUNGE")  # nothing is \Deleted any more
    step.check("INBOX", active, [a])

    a.idle_done()
    final = truth(step.server, step.account, "INBOX")
    a.assert_matches(final)
    assert [flags for _, flags in final] == [frozenset({"\\Answered"})] * 4
    archive = truth(step.server, step.account, "Archive")
    assert len(archive) == 3 and archive[2][1] == frozenset({"\\Draft", "$Work", "$Later"})


def test_sessions_in_two_mailboxes_see_a_move(connect: Connect, step: Step, flavour: str) -> None:
    a = idler(connect, flavour, "INBOX")
    d = idler(connect, "rev1", "Archive")
    b = connect("Bee")
    b.select("INBOX")
    uids = [b.append("INBOX", message(n))[1] for n in range(4)]
    a.noop()
    a.idle_start()
    d.idle_start()

    result, moved = b.copy_or_move("MOVE", f"{uids[1]}:{uids[2]}", "Archive")
    assert moved is not None and moved.source == uids[1:3] and len(moved.dest) == 2
    copyuid_first(result.untagged)
    step.check("INBOX", [b], [a])
    step.check("Archive", [], [d])
    _, copied = b.copy_or_move("COPY", str(uids[0]), "Archive")
    assert copied is not None
    step.check("Archive", [], [d])
    b.append("Archive", message(7), ("\\Seen",))
    step.check("Archive", [], [d])

    for client, mailbox in ((a, "INBOX"), (d, "Archive")):
        client.idle_done()
        client.assert_matches(truth(step.server, step.account, mailbox))


def test_expunge_waits_during_fetch_store_search_until_noop(
    connect: Connect, step: Step, flavour: str
) -> None:
    a = idler(connect, flavour, name="Ann")
    b = connect("Bee")
    b.select("INBOX")
    uids = [b.append("INBOX", message(n))[1] for n in range(5)]
    step.check("INBOX", [a, b])

    b.uid_store(f"{uids[1]},{uids[3]}", "+", ("\\Deleted",))
    b.command("EXPUNGE").check("EXPUNGE")
    b.uid_store(str(uids[4]), "+", ("\\Flagged",))
    # The mirror raises MirrorError on an EXPUNGE during these three commands.
    fetched = a.command("FETCH 1:* (UID FLAGS)").check("FETCH")
    assert a.mirror.exists() == 5, "message numbers must not change during FETCH"
    a.store("1,3", "+", ("\\Seen",), uid=False)
    a.command("SEARCH ALL").check("SEARCH")
    a.store("5", "-", ("$Nothing",), silent=True, uid=False)
    assert a.mirror.exists() == 5
    assert not any(b" EXPUNGE" in p.upper() for p in fetched.untagged)
    # The flag change of message 5 needs no expunge to be told.
    assert a.mirror.entries[4].flags == frozenset({"\\Flagged"})

    noop = a.command("NOOP").check("NOOP")
    assert a.mirror.exists() == 3, noop.untagged  # the two EXPUNGEs (or one VANISHED) came
    a.assert_matches(truth(step.server, step.account, "INBOX"))
    b.noop()
    b.assert_matches(truth(step.server, step.account, "INBOX"))


def test_uid_commands_may_carry_expunges_and_numbers_stay_right(
    connect: Connect, step: Step
) -> None:
    a = connect("Ann", rev2=True)
    b = connect("Bee")
    for client in (a, b):
        client.select("INBOX")
    uids = [b.append("INBOX", message(n))[1] for n in range(6)]
    step.check("INBOX", [a, b])

    b.uid_store(f"{uids[0]},{uids[2]},{uids[5]}", "+", ("\\Deleted",))
    b.command("EXPUNGE").check("EXPUNGE")
    b.append("INBOX", message(10), ("\\Answered",))
    # UID FETCH and UID STORE may bring the EXPUNGEs (RFC 9051 7.5.1 allows it);
    # whichever way, the numbers in their FETCH responses must fit the mirror.
    a.command(f"UID FETCH {uids[1]}:* (FLAGS)").check("UID FETCH")
    a.command(f"UID STORE {uids[3]} +FLAGS (\\Seen)").check("UID STORE")
    a.noop()
    a.assert_matches(truth(step.server, step.account, "INBOX"))


@pytest.mark.parametrize(
    ("mode", "flags"), [("+", ("\\Seen",)), ("-", ("\\Seen",)), ("", ("\\Answered",))]
)
def test_silent_store_does_not_hide_a_concurrent_change(
    connect: Connect, step: Step, mode: str, flags: tuple[str, ...]
) -> None:
    """A .SILENT STORE on a message another session just changed: the client
    knows what it asked for, not the other change, so the server must tell it."""
    a = connect("Ann")
    b = connect("Bee")
    for client in (a, b):
        client.select("INBOX")
    uid = b.append("INBOX", message(1), ("\\Seen",))[1]
    step.check("INBOX", [a, b])

    b.uid_store(str(uid), "+", ("\\Flagged",))
    a.uid_store(str(uid), mode, flags, silent=True)  # a has not heard of \Flagged
    step.check("INBOX", [a, b])
    b.store("1", "-", ("\\Flagged",), silent=True, uid=False)
    a.store("1", "+", ("$Work",), silent=True, uid=False)
    step.check("INBOX", [a, b])


def test_command_pipelined_after_done(connect: Connect, step: Step) -> None:
    """DONE and the next command in one packet (Apple Mail): both answered, in order."""
    a = connect("Ann")
    b = connect("Bee")
    for client in (a, b):
        client.select("INBOX")
    a.idle_start()
    b.append("INBOX", message(1))
    step.check("INBOX", [b], [a])
    b.append("INBOX", message(2), ("\\Flagged",))
    _, fetched = a.idle_done_then("FETCH 1:* (UID FLAGS)")
    fetched.check("FETCH after DONE")
    a.assert_matches(truth(step.server, step.account, "INBOX"))
