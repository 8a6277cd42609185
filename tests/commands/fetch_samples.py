"""Sample messages and helpers shared by the FETCH / STORE / COPY / SEARCH handler tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from roost.storage.interface import MailStore, NewMessage
from tests.session.harness import Client

# A multipart/mixed message: 1 text/plain (quoted-printable), 2 application/octet-stream
# (base64 with NUL bytes), 3 message/rfc822 (with its own header and text).
MULTIPART = (
    b"From: Alice <alice@example.org>\r\n"
    b"To: Bob <bob@example.org>\r\n"
    b"Subject: Test message\r\n"
    b"Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n"
    b"Message-ID: <m1@example.org>\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="XX"\r\n'
    b"\r\n"
    b"preamble\r\n"
    b"--XX\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"Hello caf=C3=A9 world\r\n"
    b"--XX\r\n"
    b"Content-Type: application/octet-stream\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    b"AAECAw==\r\n"
    b"--XX\r\n"
    b"Content-Type: message/rfc822\r\n"
    b"\r\n"
    b"Subject: inner\r\n"
    b"From: carol@example.org\r\n"
    b"\r\n"
    b"inner body\r\n"
    b"--XX--\r\n"
)

MULTIPART_HEADER = MULTIPART[: MULTIPART.index(b"\r\n\r\n") + 4]
MULTIPART_TEXT = MULTIPART[len(MULTIPART_HEADER) :]

UNKNOWN_CTE = (
    b"From: a@example.org\r\n"
    b"Subject: uu\r\n"
    b"Content-Type: text/plain\r\n"
    b"Content-Transfer-Encoding: x-uuencode\r\n"
    b"\r\n"
    b"begin 644 x\r\n"
)

DATE = datetime.fromisoformat("1994-02-07T21:52:25-08:00")


def simple(n: int, subject: str = "", body: str = "", sender: str = "") -> bytes:
    return (
        f"From: {sender or f'sender{n}@example.org'}\r\nTo: rcpt@example.com\r\n"
        f"Subject: {subject or f'message {n}'}\r\n"
        f"Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n\r\n{body or f'Body {n}.'}\r\n"
    ).encode()


def append(
    store: MailStore,
    mailbox_id: int,
    data: bytes,
    flags: Iterable[str] = (),
    when: datetime = DATE,
) -> int:
    return store.append(mailbox_id, [NewMessage(data, frozenset(flags), when)]).uids[0]


def raw_lines(client: Client, command: str) -> list[bytes]:
    """Run ``command``; every response as bytes with CRLF (literals included)."""
    text = client.run(command)
    assert client.last is not None
    reply = text[-1].encode("utf-8") + b"\r\n"
    return [*client.last.lines, reply]


def select(client: Client, mailbox: str = "INBOX", *, examine: bool = False) -> None:
    verb = "EXAMINE" if examine else "SELECT"
    out = client.run(f"s0 {verb} {mailbox}")
    assert out[-1].startswith("s0 OK"), out
