"""Drive ``Session`` objects with real parsed commands against a real ``SqliteStore``.

``Client.run("a1 SELECT INBOX")`` parses the command, executes it and returns
the text lines the server would write (untagged ones, then the tagged reply),
without CRLF. ``converse(client, script)`` checks a C:/S: transcript exactly:
every ``C:`` line is sent and the ``S:`` lines after it must be all the
output, in order. ``S: ...`` lines match anything between the lines around them.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from datetime import datetime

from roost.auth.authenticator import Authenticator
from roost.auth.passwords import hash_password
from roost.config import Config
from roost.protocol.parser import parse_command
from roost.protocol.responses import tagged
from roost.session.session import Outcome, Session
from roost.storage.interface import MailStore, NewMessage

PASSWORD = "open sesame"

FAST_CONFIG = Config(
    argon2_time_cost=1,
    argon2_memory_kib=8,
    argon2_parallelism=1,
    auth_failure_delay=1.0,
    auth_failure_delay_max=4.0,
    max_literal_size=10_000,
)


def message(n: int, subject: str = "") -> bytes:
    return (
        f"From: sender{n}@example.org\r\nTo: rcpt@example.com\r\n"
        f"Subject: {subject or f'message {n}'}\r\n"
        f"Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n\r\nBody {n}.\r\n"
    ).encode()


def add_messages(
    store: MailStore, mailbox_id: int, count: int, flags: Iterable[str] = ()
) -> list[int]:
    msgs = [
        NewMessage(
            message(i), frozenset(flags), datetime.fromisoformat("2024-01-02T03:04:05+00:00")
        )
        for i in range(count)
    ]
    return store.append(mailbox_id, msgs).uids


class Client:
    """One session plus the bookkeeping a test needs."""

    def __init__(self, store: MailStore, config: Config = FAST_CONFIG, *, tls: bool = True):
        self.store = store
        self.config = config
        self.session = Session(
            store, Authenticator(store, config), config, tls=tls, peer="127.0.0.1:4321"
        )
        self.last: Outcome | None = None

    def run(self, command: str | bytes) -> list[str]:
        data = command.encode("utf-8") if isinstance(command, str) else command
        cmd = parse_command(data)
        outcome = self.session.execute(cmd)
        self.last = outcome
        out = list(outcome.lines)
        reply = outcome.reply
        out.append(tagged(cmd.tag, reply.status, reply.text, reply.code))
        for line in out:
            assert line.endswith(b"\r\n"), line
        return [line[:-2].decode("utf-8") for line in out]

    def login(self, user: str = "alice") -> None:
        reply = self.session.login(user, PASSWORD)
        assert reply.status == "OK", reply

    def mailbox_id(self, name: str = "INBOX") -> int:
        assert self.session.user is not None
        return self.store.get_mailbox(self.session.user.id, name).id


def make_user(store: MailStore, name: str = "alice") -> None:
    store.create_user(name, hash_password(PASSWORD, FAST_CONFIG))


def converse(client: Client, script: str) -> None:
    """Run a C:/S: transcript and compare every line exactly."""
    steps: list[tuple[str, list[str]]] = []
    for raw in textwrap.dedent(script).strip().splitlines():
        line = raw.strip()
        if not line:
            continue
        who, _, text = line.partition(": ")
        if who == "C":
            steps.append((text, []))
        elif who == "S":
            steps[-1][1].append(text)
        else:
            raise ValueError(f"bad script line {raw!r}")
    for command, expected in steps:
        got = client.run(command)
        assert _fits(got, expected), (
            f"C: {command}\nexpected:\n" + "\n".join(expected) + "\ngot:\n" + "\n".join(got)
        )


def _fits(got: list[str], expected: list[str]) -> bool:
    if not expected:
        return not got
    if expected[0] == "...":
        rest = expected[1:]
        return any(_fits(got[i:], rest) for i in range(len(got) + 1))
    return bool(got) and got[0] == expected[0] and _fits(got[1:], expected[1:])
