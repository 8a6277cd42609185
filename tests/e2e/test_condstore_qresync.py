"""CONDSTORE and QRESYNC (RFC 7162) end to end, with imapclient and raw wire lines.

The main test is the offline device: session A caches INBOX, logs out; session B
makes 1,000 changes (appends, flag changes, expunges) while a model records what
they must look like; A comes back with ``SELECT INBOX (QRESYNC (...))`` and must
receive exactly the expunged UIDs (``VANISHED (EARLIER)``) and one FETCH per
changed message, nothing more and nothing less, so that its cache plus what it
was told equals the model.
"""

from __future__ import annotations

import random
import socket
from dataclasses import dataclass, field

from .imapwire import Atom, Lit, RawClient, Result, parse_values

SYSTEM = ("\\Seen", "\\Flagged", "\\Answered", "\\Draft")
KEYWORDS = ("$Work", "$Later")


def message(n: int) -> bytes:
    return (
        f"From: b{n}@example.org\r\nTo: alice@example.com\r\nSubject: change {n}\r\n"
        f"Message-ID: <{n}@example.org>\r\n\r\nBody {n}.\r\n"
    ).encode()


def uid_set(text: str) -> set[int]:
    """``1:3,7`` -> {1, 2, 3, 7}."""
    out: set[int] = set()
    for part in text.split(","):
        lo, _, hi = part.partition(":")
        a, b = int(lo), int(hi or lo)
        out.update(range(min(a, b), max(a, b) + 1))
    return out


def code_value(result: Result, name: str) -> int:
    for code in result.codes():
        if code.upper().startswith(name + " "):
            return int(code.split()[1])
    raise AssertionError(f"no {name} in {result}")


@dataclass
class Resync:
    """What one QRESYNC answer (SELECT or UID FETCH ... VANISHED) told the client."""

    exists: int | None
    vanished: set[int]
    fetched: dict[int, tuple[int, frozenset[str], int]]  # uid -> (seq, flags, modseq)
    others: list[bytes] = field(default_factory=list)


def read_resync(result: Result) -> Resync:
    assert result.ok, result
    exists = None
    vanished: set[int] = set()
    fetched: dict[int, tuple[int, frozenset[str], int]] = {}
    others = []
    vanished_lines = 0
    for line in result.untagged:
        values = parse_values(line)
        head = str(values[0]).upper()
        if head == "VANISHED":
            assert values[1] == [Atom("EARLIER")], line  # never a plain VANISHED here
            vanished |= uid_set(str(values[2]))
            vanished_lines += 1
        elif len(values) > 1 and str(values[1]).upper() == "EXISTS":
            exists = int(values[0])
        elif len(values) > 1 and str(values[1]).upper() == "FETCH":
            items = values[2]
            entry = {str(items[i]).upper(): items[i + 1] for i in range(0, len(items), 2)}
            assert set(entry) == {"UID", "FLAGS", "MODSEQ"}, line
            uid = int(entry["UID"])
            assert uid not in fetched, f"UID {uid} reported twice"
            fetched[uid] = (
                int(values[0]),
                frozenset(map(str, entry["FLAGS"])),
                int(entry["MODSEQ"][0]),
            )
        elif len(values) > 1 and str(values[1]).upper() == "EXPUNGE":
            raise AssertionError(f"unexpected {line!r}")
        else:
            others.append(line)
    assert vanished_lines <= 1, "VANISHED (EARLIER) comes as one response"
    return Resync(exists, vanished, fetched, others)


class Model:
    """INBOX as session B's changes leave it, and what changed after the baseline."""

    def __init__(self, flags: dict[int, frozenset[str]]) -> None:
        self.flags = dict(flags)
        self.changed: set[int] = set()  # flags really changed, or appended
        self.vanished: set[int] = set()  # expunged after the baseline

    def add(self, uid: int, flags: frozenset[str]) -> None:
        self.flags[uid] = flags
        self.changed.add(uid)

    def set(self, uid: int, flags: frozenset[str]) -> None:
        if self.flags[uid] != flags:
            self.changed.add(uid)
        self.flags[uid] = flags

    def expunge(self, uid: int) -> None:
        del self.flags[uid]
        self.changed.discard(uid)
        self.vanished.add(uid)


def make_changes(b, appender: RawClient, model: Model, rng: random.Random, count: int) -> None:
    """``count`` changes mirrored in ``model``: flags and expunges by imapclient session
    ``b`` (UID mode), appends (one to four messages at a time) by raw session ``appender``."""
    done = 0
    while done < count:
        roll = rng.random()
        uids = sorted(model.flags)
        if roll < 0.12 or len(uids) < 5:
            batch = min(rng.randint(1, 4), count - done)
            flags = [
                frozenset(rng.sample(SYSTEM + KEYWORDS, rng.randint(0, 2))) for _ in range(batch)
            ]
            new = multiappend(appender, [message(2000 + done + i) for i in range(batch)], flags)
            for uid, f in zip(new, flags, strict=True):
                model.add(uid, f)
            done += batch
            continue
        done += 1
        uid = rng.choice(uids)
        if roll < 0.80:
            chosen = frozenset(rng.sample(SYSTEM + KEYWORDS, rng.randint(1, 2)))
            mode = rng.choice("+-=")
            old = model.flags[uid]
            if mode == "+":
                b.add_flags([uid], sorted(chosen), silent=True)
                model.set(uid, old | chosen)
            elif mode == "-":
                b.remove_flags([uid], sorted(chosen), silent=True)
                model.set(uid, old - chosen)
            else:
                b.set_flags([uid], sorted(chosen), silent=True)
                model.set(uid, chosen)
        else:
            b.add_flags([uid], ["\\Deleted"], silent=True)
            b.expunge([uid])  # UID EXPUNGE: only this message
            model.expunge(uid)


def multiappend(
    raw: RawClient, messages: list[bytes], flags: list[frozenset[str]] | None = None
) -> list[int]:
    """One MULTIAPPEND (RFC 3502) with LITERAL+ literals; returns the new UIDs."""
    # The raw client sends each literal separately: without this, Nagle's
    # algorithm meets the server's delayed ACK and every APPEND waits ~40 ms.
    raw.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    parts: list[str | Lit] = ["APPEND INBOX"]
    for i, data in enumerate(messages):
        parts.append(" (" + " ".join(sorted(flags[i])) + ") " if flags else " ")
        parts.append(Lit(data, nonsync=True))
    result = raw.command(*parts)
    assert result.ok and result.code and result.code.startswith("APPENDUID "), result
    uids = sorted(uid_set(result.code.split()[2]))
    assert len(uids) == len(messages)
    return uids


def baseline(raw_connect) -> tuple[RawClient, int, int, dict[int, frozenset[str]]]:
    """Session A: QRESYNC, select, cache every UID and its flags; returns the cache."""
    a = raw_connect("alice")
    assert a.command("ENABLE QRESYNC").untagged == [b"ENABLED QRESYNC"]
    selected = a.command("SELECT INBOX")
    uidvalidity, modseq = code_value(selected, "UIDVALIDITY"), code_value(selected, "HIGHESTMODSEQ")
    fetched = a.command("UID FETCH 1:* (FLAGS)")
    cache = {int(f["UID"]): frozenset(map(str, f["FLAGS"])) for f in fetched.fetches().values()}
    return a, uidvalidity, modseq, cache


def test_offline_device_resyncs_exactly_after_1000_changes(raw_connect, client_connect) -> None:
    rng = random.Random(7162)
    multiappend(raw_connect("alice"), [message(n) for n in range(200)])
    b = client_connect("alice")
    b.select_folder("INBOX")
    b.add_flags(list(range(1, 200, 3)), ["\\Seen"], silent=True)

    a, uidvalidity, since, cache = baseline(raw_connect)
    assert len(cache) == 200
    a.command("LOGOUT")
    model = Model(cache)

    make_changes(b, raw_connect("alice"), model, rng, 1000)
    assert model.vanished and model.changed and len(model.flags) > 100

    # ---- A reconnects: the full resync
    a = raw_connect("alice")
    a.command("ENABLE QRESYNC")
    got = read_resync(a.command(f"SELECT INBOX (QRESYNC ({uidvalidity} {since}))"))
    assert got.vanished == model.vanished
    assert set(got.fetched) == model.changed
    order = sorted(model.flags)
    assert got.exists == len(order)
    for uid, (seq, flags, modseq) in got.fetched.items():
        assert seq == order.index(uid) + 1
        assert flags == model.flags[uid], uid
        assert modseq > since
    # The cache plus what A was told is exactly the mailbox.
    resynced = {u: f for u, f in cache.items() if u not in got.vanished}
    resynced.update({uid: flags for uid, (_, flags, _) in got.fetched.items()})
    assert resynced == model.flags
    assert a.command("NOOP").untagged == []

    # ---- the same with known-uids: only what A knew can vanish or change
    known_max = max(cache)
    got = read_resync(a.command(f"EXAMINE INBOX (QRESYNC ({uidvalidity} {since} 1:{known_max}))"))
    assert got.vanished == {u for u in model.vanished if u <= known_max}
    assert set(got.fetched) == {u for u in model.changed if u <= known_max}

    # ---- UID FETCH ... (CHANGEDSINCE n VANISHED) says the same (RFC 7162 3.2.5.1)
    got = read_resync(a.command(f"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {since} VANISHED)"))
    assert got.vanished == model.vanished
    assert {u: f for u, (_, f, _) in got.fetched.items()} == {
        u: model.flags[u] for u in model.changed
    }

    # ---- and a client that is up to date hears nothing
    status = a.command("STATUS INBOX (HIGHESTMODSEQ UIDVALIDITY)")
    values = status.named("STATUS")[0][1]
    current = int(values[values.index(Atom("HIGHESTMODSEQ")) + 1])
    assert current > since
    got = read_resync(a.command(f"SELECT INBOX (QRESYNC ({uidvalidity} {current}))"))
    assert got.vanished == set() and got.fetched == {}


def test_live_session_sees_vanished_and_modseq(raw_connect, client_connect) -> None:
    multiappend(raw_connect("alice"), [message(n) for n in range(6)])
    b = client_connect("alice")
    b.select_folder("INBOX")
    a = raw_connect("alice")
    a.command("ENABLE QRESYNC")
    a.command("SELECT INBOX")
    b.add_flags([2], ["\\Flagged"], silent=True)
    b.add_flags([3, 5], ["\\Deleted"], silent=True)
    b.expunge([3, 5])
    noop = a.command("NOOP")
    assert noop.untagged[0] == b"VANISHED 3,5"
    (entry,) = noop.fetches().values()
    assert entry["UID"] == "2" and entry["FLAGS"] == ["\\Flagged"] and "MODSEQ" in entry
    # Plain EXPUNGE: VANISHED and the tagged HIGHESTMODSEQ (RFC 7162 3.2.7).
    a.command("UID STORE 6 +FLAGS.SILENT (\\Deleted)")
    expunged = a.command("EXPUNGE")
    assert expunged.untagged == [b"VANISHED 6"]
    assert code_value(expunged, "HIGHESTMODSEQ") > 0


def test_imapclient_condstore(client_connect) -> None:
    c = client_connect("alice")
    assert c.has_capability("CONDSTORE") and c.has_capability("QRESYNC")
    assert c.enable("CONDSTORE") == [b"CONDSTORE"]
    for n in range(5):
        c.append("INBOX", message(n))
    info = c.select_folder("INBOX")
    start = info[b"HIGHESTMODSEQ"]
    c.add_flags([2, 4], ["$Work"])
    changed = c.fetch([1, 2, 3, 4, 5], ["FLAGS"], modifiers=[f"CHANGEDSINCE {start}"])
    assert set(changed) == {2, 4}
    assert all(changed[u][b"MODSEQ"][0] > start for u in changed)
    assert all(b"$Work" in changed[u][b"FLAGS"] for u in changed)
    found = c.search(["MODSEQ", str(start + 1)])
    assert sorted(found) == [2, 4]
    assert found.modseq == max(changed[u][b"MODSEQ"][0] for u in changed)
    status = c.folder_status("INBOX", ["HIGHESTMODSEQ"])
    assert status[b"HIGHESTMODSEQ"] == found.modseq


def test_raw_conditional_store_and_vanished_fetch(raw_connect) -> None:
    a = raw_connect("alice")
    for n in range(3):
        assert a.command("APPEND INBOX ", Lit(message(n))).ok
    a.command("ENABLE QRESYNC")
    since = code_value(a.command("SELECT INBOX"), "HIGHESTMODSEQ")
    b = raw_connect("alice")
    b.command("SELECT INBOX")
    b.command("UID STORE 2 +FLAGS.SILENT (\\Answered)")
    store = a.command(f"UID STORE 1:3 (UNCHANGEDSINCE {since}) +FLAGS.SILENT (\\Seen)")
    assert store.code == "MODIFIED 2"
    fetched = store.fetches()
    assert sorted(int(f["UID"]) for f in fetched.values() if "MODSEQ" in f) == [1, 2, 3]
    # the failed one comes back from the sync with its real flags
    assert [f["FLAGS"] for f in fetched.values() if "FLAGS" in f] == [["\\Answered", "\\Recent"]]
    refused = a.command(f"FETCH 1:* (FLAGS) (CHANGEDSINCE {since} VANISHED)")
    assert refused.status == "BAD"
    c = raw_connect("alice")
    c.command("SELECT INBOX")
    bad = c.command(f"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {since} VANISHED)")
    assert bad.status == "BAD"  # QRESYNC not enabled on this connection
    assert c.command(f"SELECT INBOX (QRESYNC (1 {since}))").status == "BAD"
