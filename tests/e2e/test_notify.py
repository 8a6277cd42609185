"""NOTIFY (RFC 5465) over real sockets: unsolicited responses while no command runs.

Session A registers NOTIFY and then only reads; session B (the same user)
changes things. Every expected response must arrive within a second, with no
command from A. Also: SELECTED-DELAYED holding EXPUNGE back, IDLE after
NOTIFY, A's own changes not echoed, NOTIFY NONE, and the hub's user watch.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from roost.server.hub import ChangeHub
from roost.server.testing import running_server

from .conftest import PASSWORDS, TEST_CONFIG, append, quote
from .imapwire import RawClient, parse_values, text

MESSAGE = b"From: a@example.org\r\nSubject: hello\r\n\r\nHi.\r\n"
WATCH_ALL = (
    "NOTIFY SET (SELECTED (MessageNew (UID FLAGS) MessageExpunge FlagChange))"
    " (PERSONAL (MessageNew MessageExpunge MailboxName SubscriptionChange))"
)


def unsolicited(
    client: RawClient, done: Callable[[list[bytes]], bool], timeout: float = 1.0
) -> list[bytes]:
    """Responses read without sending anything until ``done(responses)``; fails after
    ``timeout`` seconds. Each response is without "* " and the final CRLF."""
    deadline = time.monotonic() + timeout
    got: list[bytes] = []
    try:
        while not done(got):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            client.sock.settimeout(remaining)
            response = client.read_response()
            assert response.startswith(b"* "), response
            got.append(response[2:])
    except TimeoutError:
        pytest.fail(f"no complete notification within {timeout}s; got {got}")
    finally:
        client.sock.settimeout(5)
    return got


def quiet(client: RawClient, seconds: float = 0.3) -> None:
    """Nothing arrives for ``seconds``."""
    client.sock.settimeout(seconds)
    try:
        data = client.sock.recv(65536)
    except TimeoutError:
        return
    finally:
        client.sock.settimeout(5)
    pytest.fail(f"unexpected data {client.buffer + data!r}")


def having(*needles: bytes) -> Callable[[list[bytes]], bool]:
    """Done when every needle occurs in some response."""
    return lambda got: all(any(n in line for line in got) for n in needles)


def listed(lines: list[bytes]) -> dict[str, list]:
    """LIST responses as {name: [attributes, delimiter, name, extended...]}."""
    out = {}
    for line in lines:
        values = parse_values(line)
        if values[0] == "LIST":
            out[text(values[3])] = values[1:]
    return out


@pytest.fixture
def pair(raw_connect: Callable[..., RawClient]) -> tuple[RawClient, RawClient]:
    """A (IMAP4rev2, INBOX selected) and B, both alice."""
    a = raw_connect("alice")
    assert a.command("ENABLE IMAP4rev2").ok
    assert a.command("SELECT INBOX").ok
    return a, raw_connect("alice")


def test_capability_after_login(raw_connect: Callable[..., RawClient]) -> None:
    anonymous = raw_connect()
    assert b"NOTIFY" not in anonymous.command("CAPABILITY").untagged[0].split()
    assert b"NOTIFY" in raw_connect("alice").command("CAPABILITY").untagged[0].split()


def test_events_arrive_without_a_command(pair: tuple[RawClient, RawClient]) -> None:
    a, b = pair
    assert a.command(WATCH_ALL).ok

    started = time.monotonic()
    uid = append(b, "INBOX", MESSAGE)
    got = unsolicited(a, having(b"FETCH"))
    assert got == [b"1 EXISTS", b"1 FETCH (UID %d FLAGS ())" % uid]
    assert time.monotonic() - started < 1.0

    append(b, "Sent", MESSAGE)
    (status,) = unsolicited(a, having(b"STATUS"))
    values = parse_values(status)
    assert values[:2] == ["STATUS", "Sent"]
    items = dict(zip(values[2][::2], values[2][1::2], strict=True))
    assert (items["MESSAGES"], items["UIDNEXT"], items["UNSEEN"]) == ("1", "2", "1")

    assert b.command("SELECT INBOX").ok
    assert b.command(f"UID STORE {uid} +FLAGS (\\Flagged)").ok
    assert unsolicited(a, having(b"FETCH")) == [b"1 FETCH (FLAGS (\\Flagged) UID %d)" % uid]

    assert b.command(f"UID STORE {uid} +FLAGS.SILENT (\\Deleted)").ok
    assert b.command("EXPUNGE").ok
    got = unsolicited(a, having(b"EXPUNGE"))
    assert got[-1] == b"1 EXPUNGE"
    assert all(b"FETCH" in line for line in got[:-1])  # \Deleted may be told first

    assert b.command('CREATE "Projects/2024"').ok
    got = listed(unsolicited(a, lambda g: len(listed(g)) == 2))
    assert got["Projects"][0] == ["\\HasChildren"]
    assert got["Projects/2024"][0] == ["\\HasNoChildren"]

    assert b.command('RENAME "Projects/2024" "Projects/2025"').ok
    got = listed(unsolicited(a, having(b"Projects/2025")))
    ((tag, (old,)),) = got["Projects/2025"][3:]  # ("OLDNAME" (old name))
    assert tag == b"OLDNAME" and text(old) == "Projects/2024"

    assert b.command('DELETE "Projects/2025"').ok
    got = listed(unsolicited(a, having(b"Projects/2025")))
    assert got["Projects/2025"][0] == ["\\NonExistent"]

    assert b.command("SUBSCRIBE Projects").ok
    got = listed(unsolicited(a, having(b"Projects")))
    assert "\\Subscribed" in got["Projects"][0]
    assert b.command("UNSUBSCRIBE Projects").ok
    got = listed(unsolicited(a, having(b"Projects")))
    assert "\\Subscribed" not in got["Projects"][0]

    quiet(a)
    result = a.command("NOOP")  # A is still in step: nothing left to say
    assert result.ok and result.untagged == []


def test_own_changes_are_not_echoed(pair: tuple[RawClient, RawClient]) -> None:
    a, b = pair
    assert a.command(WATCH_ALL).ok
    assert a.command("CREATE Mine").ok
    assert a.command("SUBSCRIBE Mine").ok
    append(a, "Sent", MESSAGE)
    quiet(a)
    append(b, "Drafts", MESSAGE)  # someone else's change still comes through
    (status,) = unsolicited(a, having(b"STATUS"))
    assert status.startswith(b"STATUS Drafts (")


def test_selected_delayed_holds_expunges(pair: tuple[RawClient, RawClient]) -> None:
    a, b = pair
    uid = append(b, "INBOX", MESSAGE)
    assert a.command("NOOP").ok
    assert a.command("NOTIFY SET (SELECTED-DELAYED (MessageNew MessageExpunge))").ok
    assert b.command("SELECT INBOX").ok
    assert b.command(f"UID STORE {uid} +FLAGS.SILENT (\\Deleted)").ok
    assert b.command("EXPUNGE").ok
    append(b, "INBOX", MESSAGE)
    # The new message is told at once; the expunged one keeps its number.
    assert unsolicited(a, having(b"EXISTS")) == [b"2 EXISTS"]
    quiet(a)
    result = a.command("NOOP")
    assert result.untagged[0] == b"1 EXPUNGE"


def test_idle_after_notify_reports_other_mailboxes(pair: tuple[RawClient, RawClient]) -> None:
    a, b = pair
    assert a.command("NOTIFY SET (INBOXES NONE) (MAILBOXES Trash (MessageNew MessageExpunge))").ok
    a.send(b"i1 IDLE\r\n")
    assert a.read_response().startswith(b"+")
    append(b, "Trash", MESSAGE)
    (status,) = unsolicited(a, having(b"STATUS"))
    assert status.startswith(b"STATUS Trash (MESSAGES 1 ")
    append(b, "Junk", MESSAGE)  # not watched
    quiet(a)
    a.send(b"DONE\r\n")
    assert a.read_response() == b"i1 OK IDLE terminated"


def test_notify_none_stops_notifications(pair: tuple[RawClient, RawClient]) -> None:
    a, b = pair
    assert a.command(WATCH_ALL).ok
    assert a.command("NOTIFY NONE").ok
    append(b, "Sent", MESSAGE)
    assert b.command("CREATE Elsewhere").ok
    quiet(a)
    result = a.command("NOOP")
    assert result.ok and result.untagged == []


def test_notify_set_status_and_errors(pair: tuple[RawClient, RawClient]) -> None:
    a, b = pair
    append(b, "Archive", MESSAGE)
    result = a.command("NOTIFY SET STATUS (SUBTREE Archive (MessageNew MessageExpunge))")
    assert result.ok
    assert [v[0] for v in result.named("STATUS")] == ["Archive"]
    result = a.command("NOTIFY SET (PERSONAL (AnnotationChange MessageNew MessageExpunge))")
    assert result.status == "NO" and result.code is not None
    assert result.code.startswith("BADEVENT (")
    result = a.command("NOTIFY SET (SELECTED (MailboxName))")
    assert result.status == "BAD"


def test_hub_wakes_user_watchers_for_any_mailbox() -> None:
    async def main() -> None:
        hub = ChangeHub(asyncio.get_running_loop())
        mine, other = asyncio.Event(), asyncio.Event()
        with hub.watch_user(1, mine), hub.watch_user(2, other):
            assert hub.watched_users() == 2
            for mailbox_id in (17, 0):  # any mailbox, and 0: the mailbox list
                await asyncio.to_thread(hub.notify, 1, mailbox_id)
                await asyncio.wait_for(mine.wait(), 2)
                mine.clear()
            await asyncio.sleep(0.05)
            assert not other.is_set()
        assert hub.watched_users() == 0

    asyncio.run(asyncio.wait_for(main(), 5))


def test_autologout_and_shutdown_while_notifying(server_factory: Callable) -> None:
    srv = server_factory(idle_timeout=1.5)
    client = RawClient("127.0.0.1", srv.imap_port)
    other = RawClient("127.0.0.1", srv.imap_port)
    try:
        for c in (client, other):
            assert c.command("LOGIN alice " + quote(PASSWORDS["alice"])).ok
            assert c.command("NOTIFY SET (PERSONAL (MessageNew MessageExpunge))").ok
        append(other, "Junk", MESSAGE)  # tells client, but does not count as activity
        (status,) = unsolicited(client, having(b"STATUS"))
        assert status.startswith(b"STATUS Junk ")
        client.sock.settimeout(5)
        assert client.read_response().startswith(b"* BYE Autologout")
        assert client.closed_by_peer()
    finally:
        client.close()
        other.close()


def test_shutdown_while_notifying(tmp_path: Path, tls_files: tuple[Path, Path]) -> None:
    config = dict(TEST_CONFIG, tls_cert=tls_files[0], tls_key=tls_files[1])
    with running_server(tmp_path / "data", **config) as srv:
        srv.add_user("alice", "secret")
        client = RawClient("127.0.0.1", srv.imap_port)
        assert client.command("LOGIN alice secret").ok
        assert client.command("NOTIFY SET (PERSONAL (MessageNew MessageExpunge))").ok
    try:
        client.sock.settimeout(5)
        assert client.read_response() == b"* BYE Server shutting down"
        assert client.closed_by_peer()
    finally:
        client.close()


def test_nothing_is_written_while_a_command_is_being_read(
    pair: tuple[RawClient, RawClient],
) -> None:
    a, b = pair
    assert a.command(WATCH_ALL).ok
    a.send(b"t9 NOO")  # half a command: A is not between commands
    append(b, "Sent", MESSAGE)
    quiet(a)
    a.send(b"P\r\n")
    assert a.read_response() == b"t9 OK NOOP completed"
    (status,) = unsolicited(a, having(b"STATUS"))  # right after the command
    assert status.startswith(b"STATUS Sent ")
