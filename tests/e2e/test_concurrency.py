"""Many sessions at once: two sessions on one mailbox, concurrent APPENDs, races.

RFC 9051 5.2 and 7.4.1: a session learns of new messages through EXISTS before
it sees their numbers, EXISTS never shrinks, EXPUNGE is never sent during a
non-UID FETCH, STORE or SEARCH, and after a NOOP the view matches the mailbox.
"""

from __future__ import annotations

import imaplib
import random
import threading

from .conftest import PASSWORDS, append, appenduid
from .imapwire import parse_values

TWO_MSG = b"From: a@example.org\r\nSubject: hi\r\n\r\nbody\r\n"


def msg(n: int) -> bytes:
    return f"Subject: churn {n}\r\n\r\nbody {n}\r\n".encode()


class View:
    """What a client may assume about the selected mailbox, checked response by response."""

    def __init__(self, exists: int) -> None:
        self.exists = exists

    def apply(self, result, command: str) -> None:
        for line in result.untagged:
            values = parse_values(line)
            if len(values) < 2 or not str(values[0]).isdigit():
                continue
            n, kind = int(values[0]), str(values[1]).upper()
            if kind == "EXISTS":
                assert n >= self.exists, f"EXISTS shrank {self.exists} -> {n} in {command}"
                self.exists = n
            elif kind == "EXPUNGE":
                assert not command.startswith(("FETCH", "STORE", "SEARCH")), command
                assert 1 <= n <= self.exists, f"EXPUNGE {n} of {self.exists}"
                self.exists -= 1
            elif kind == "FETCH":
                assert 1 <= n <= self.exists, f"FETCH {n} beyond EXISTS {self.exists}"
        for numbers in result.named("SEARCH"):
            assert all(1 <= int(x) <= self.exists for x in numbers), (numbers, self.exists)


def test_concurrent_appends(server):
    uids: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(w: int) -> None:
        try:
            conn = imaplib.IMAP4(server.host, server.imap_port, timeout=15)
            conn.login("alice", PASSWORDS["alice"])
            for i in range(8):
                typ, data = conn.append("INBOX", None, None, msg(w * 100 + i))
                assert typ == "OK", data
                with lock:
                    uids.append(int(data[0].split(b"]")[0].split()[-1]))
            conn.logout()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(set(uids)) == 48
    conn = imaplib.IMAP4(server.host, server.imap_port, timeout=15)
    conn.login("alice", PASSWORDS["alice"])
    typ, data = conn.status("INBOX", "(MESSAGES UIDNEXT)")
    words = data[0].decode().replace("(", " ").replace(")", " ").split()
    assert int(words[words.index("MESSAGES") + 1]) == 48
    assert int(words[words.index("UIDNEXT") + 1]) > max(uids)
    conn.logout()


def test_watcher_view_stays_consistent(raw_connect, client_connect):
    actor = client_connect("alice")
    watcher = raw_connect("alice")
    for n in range(3):
        append(watcher, "INBOX", msg(n))
    view = View(0)
    view.apply(watcher.command("SELECT INBOX"), "SELECT")
    actor.select_folder("INBOX")
    rng = random.Random(9051)
    commands = ["NOOP", "FETCH 1:* (FLAGS)", "SEARCH ALL", "STORE 1 +FLAGS.SILENT (\\Seen)"]
    for step in range(30):
        action = rng.choice(["append", "append", "flag", "expunge"])
        uids = actor.search("ALL")
        if action == "append":
            actor.append("INBOX", msg(100 + step))
        elif action == "flag" and uids:
            actor.add_flags([rng.choice(uids)], [b"\\Flagged"])
        elif uids:
            actor.delete_messages([rng.choice(uids)])
            actor.expunge()
        command = rng.choice(commands)
        if view.exists or command == "NOOP" or command == "SEARCH ALL":
            result = watcher.command(command)
            assert result.status in ("OK", "NO"), (command, result)
            view.apply(result, command)
    view.apply(watcher.command("NOOP"), "NOOP")
    fetched = watcher.command("FETCH 1:* (UID)")
    view.apply(fetched, "FETCH")
    seen = [int(e["UID"]) for _, e in sorted(fetched.fetches().items())]
    assert seen == actor.search("ALL")
    assert view.exists == len(seen)


def test_idle_watchers_all_woken(client_connect):
    watchers = [client_connect("alice") for _ in range(3)]
    for w in watchers:
        w.select_folder("INBOX")
        w.idle()
    actor = client_connect("alice")
    actor.append("INBOX", msg(1))
    try:
        for w in watchers:
            got = []
            for _ in range(10):
                got += w.idle_check(timeout=0.5)
                if (1, b"EXISTS") in got:
                    break
            assert (1, b"EXISTS") in got, got
    finally:
        for w in watchers:
            w.idle_done()


def test_move_wakes_both_mailboxes(client_connect):
    source, dest, actor = (client_connect("alice") for _ in range(3))
    actor.create_folder("Dest")
    actor.append("INBOX", msg(1))
    source.select_folder("INBOX")
    dest.select_folder("Dest")
    source.idle()
    dest.idle()
    try:
        actor.select_folder("INBOX")
        actor.move(actor.search("ALL"), "Dest")
        assert _wait(source, (1, b"EXPUNGE"))
        assert _wait(dest, (1, b"EXISTS"))
    finally:
        source.idle_done()
        dest.idle_done()


def _wait(client, wanted, rounds: int = 10) -> bool:
    got: list = []
    for _ in range(rounds):
        got += client.idle_check(timeout=0.5)
        if wanted in got:
            return True
    return False


def test_selected_mailbox_deleted_by_other_session(raw_connect):
    owner, victim = raw_connect("alice"), raw_connect("alice")
    owner.command("CREATE Doomed")
    append(owner, "Doomed", msg(1))
    assert victim.command("SELECT Doomed").ok
    assert owner.command("DELETE Doomed").ok
    result = victim.command("NOOP")
    assert result.code != "SERVERBUG"
    if any(line.startswith(b"BYE") for line in result.untagged):
        assert victim.closed_by_peer()  # a server may disconnect such a session
    else:
        assert victim.command("FETCH 1 (FLAGS)").code != "SERVERBUG"
        assert victim.command("SELECT INBOX").ok
    assert owner.command("CREATE Doomed").ok  # the name is free again


def test_selected_mailbox_renamed_by_other_session(raw_connect):
    owner, watcher = raw_connect("alice"), raw_connect("alice")
    owner.command("CREATE Before")
    append(owner, "Before", msg(1))
    watcher.command("SELECT Before")
    assert owner.command("RENAME Before After").ok
    for command in ("NOOP", "FETCH 1 (UID)", "SEARCH ALL"):
        assert watcher.command(command).code != "SERVERBUG"
    assert watcher.command("SELECT After").ok


def test_many_connections(raw_connect):
    clients = [raw_connect("alice" if i % 2 else "bob") for i in range(40)]
    for client in clients:
        assert client.command("NOOP").ok
    for client in clients:
        assert client.command("LOGOUT").ok


def test_client_vanishing_during_idle(raw_connect):
    quitter = raw_connect("alice")
    quitter.command("SELECT INBOX")
    quitter.send(b"i IDLE\r\n")
    assert quitter.read_response().startswith(b"+")
    quitter.close()
    other = raw_connect("alice")
    append(other, "INBOX", msg(1))  # the hub must not trip over the dead session
    assert other.command("SELECT INBOX").ok


# ---------------------------------------------------------------- two sessions, one mailbox


def test_second_session_sees_exists_and_flags_on_noop(client_connect):
    a, b = client_connect("alice"), client_connect("alice")
    b.select_folder("INBOX")
    a.select_folder("INBOX")
    uid = appenduid(a.append("INBOX", TWO_MSG))
    _, responses = b.noop()
    assert (1, b"EXISTS") in responses, responses
    a.add_flags([uid], [b"\\Answered", b"$Label1"])
    _, responses = b.noop()
    fetches = [r for r in responses if r[1] == b"FETCH"]
    assert fetches, responses
    flags = fetches[-1][2][fetches[-1][2].index(b"FLAGS") + 1]
    assert {b"\\Answered", b"$Label1"} <= set(flags)
    _, responses = b.noop()
    assert responses == []  # nothing new: nothing reported twice


def test_second_session_sees_expunge_on_noop(client_connect):
    a, b = client_connect("alice"), client_connect("alice")
    for _ in range(3):
        a.append("INBOX", TWO_MSG)
    a.select_folder("INBOX")
    b.select_folder("INBOX")
    uids = a.search("ALL")
    a.delete_messages([uids[1]])
    a.expunge()
    _, responses = b.noop()
    assert (2, b"EXPUNGE") in responses, responses
    assert b.search("ALL") == [uids[0], uids[2]]


def test_no_expunge_during_fetch_store_search(raw_connect, client_connect):
    a = client_connect("alice")
    b = raw_connect("alice")
    for _ in range(3):
        append(b, "INBOX", TWO_MSG)
    assert b.command("SELECT INBOX").ok
    a.select_folder("INBOX")
    uids = a.search("ALL")
    a.delete_messages([uids[1]])
    a.expunge()
    for command in ("FETCH 1:* (FLAGS)", "STORE 1 +FLAGS (\\Seen)", "SEARCH ALL"):
        result = b.command(command)
        assert result.status in ("OK", "NO"), (command, result)
        assert result.numbered("EXPUNGE") == [], f"EXPUNGE sent during {command}: {result}"
    result = b.command("NOOP")
    assert [seq for seq, _ in result.numbered("EXPUNGE")] == [2]
    assert b.command("SEARCH ALL").named("SEARCH") == [["1", "2"]]


def test_uid_fetch_may_report_expunge(raw_connect, client_connect):
    a = client_connect("alice")
    b = raw_connect("alice")
    for _ in range(2):
        append(b, "INBOX", TWO_MSG)
    b.command("SELECT INBOX")
    a.select_folder("INBOX")
    a.delete_messages(a.search("ALL")[:1])
    a.expunge()
    first = b.command("UID FETCH 1:* (FLAGS)")
    assert first.ok
    later = b.command("NOOP")
    reported = first.numbered("EXPUNGE") + later.numbered("EXPUNGE")
    assert [seq for seq, _ in reported] == [1]  # exactly once, in either reply


def test_recent_goes_to_one_session_only(raw_connect):
    a, b = raw_connect("alice"), raw_connect("alice")
    append(a, "INBOX", TWO_MSG)
    first = a.command("SELECT INBOX")
    second = b.command("SELECT INBOX")
    recent = [int(v[0]) for v in map(parse_values, first.untagged) if v[1:2] == ["RECENT"]]
    recent_b = [int(v[0]) for v in map(parse_values, second.untagged) if v[1:2] == ["RECENT"]]
    assert recent == [1] and recent_b == [0]
