"""Helpers for the sync-client tests: what a Maildir and the server hold, side by side.

Both sides are reduced to the same shape, ``{folder: {message_id: Message}}``, so a
test can compare them with ``==`` and print a readable difference. Only the flags that
Maildir can carry are compared (S, F, R, T, D); ``\\Recent`` is session state, not
something a sync client mirrors.

Maildir files hold LF line endings where the server holds CRLF, and mbsync adds its own
``X-TUID`` header to messages it copies (in either direction); ``wire_form`` and
``strip_tuid`` undo exactly those two transformations, nothing else, so bodies are
otherwise compared byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from pathlib import Path

from imapclient import IMAPClient

USER = "alice"
PASSWORD = "sync secret 7"

# Maildir info letters (https://cr.yp.to/proto/maildir.html) <-> IMAP system flags.
LETTER_TO_FLAG = {
    "D": "\\Draft",
    "F": "\\Flagged",
    "R": "\\Answered",
    "S": "\\Seen",
    "T": "\\Deleted",
}
FLAG_TO_LETTER = {flag: letter for letter, flag in LETTER_TO_FLAG.items()}
SYNCED_FLAGS = frozenset(LETTER_TO_FLAG.values())
_TUID = re.compile(rb"^X-TUID: [^\r\n]*\r\n", re.MULTILINE | re.IGNORECASE)


@dataclass(frozen=True)
class Message:
    flags: frozenset[str]
    body: bytes  # as on the wire: CRLF line endings


State = dict[str, dict[str, Message]]


def make_message(message_id: str, subject: str, text: str = "") -> bytes:
    """A small RFC 5322 message with CRLF line endings and some 8-bit UTF-8 text."""
    lines = [
        "From: Carol <carol@example.org>",
        "To: Alice <alice@example.org>",
        f"Subject: {subject}",
        f"Message-ID: <{message_id}>",
        "Date: Mon, 01 Jan 2024 10:00:00 +0000",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
        "",
        f"Hello, this is {subject}.",
        text or "Grüße aus Köln — ünïcödé body line.",
        "A line with trailing spaces   ",
        "",
        "-- ",
        "carol",
        "",
    ]
    return "\r\n".join(lines).encode()


def message_id(data: bytes) -> str:
    value = BytesHeaderParser().parsebytes(data).get("Message-ID", "")
    return str(value).strip().strip("<>")


def only_synced(flags: Iterable[bytes | str]) -> frozenset[str]:
    """IMAP flags as strings, restricted to those Maildir carries (case-normalised)."""
    names = {(f.decode() if isinstance(f, bytes) else f) for f in flags}
    canonical = {f.lower(): f for f in SYNCED_FLAGS}
    return frozenset(canonical[n.lower()] for n in names if n.lower() in canonical)


# ---------------------------------------------------------------- Maildir side


def strip_tuid(data: bytes) -> bytes:
    """A CRLF message without the X-TUID header mbsync adds to every message it copies."""
    head, sep, rest = data.partition(b"\r\n\r\n")
    return _TUID.sub(b"", head + b"\r\n")[:-2] + sep + rest


def wire_form(maildir_bytes: bytes) -> bytes:
    """A Maildir file as the server should hold it: LF -> CRLF, mbsync's X-TUID dropped."""
    return strip_tuid(maildir_bytes.replace(b"\n", b"\r\n"))


def maildir_flags(filename: str) -> frozenset[str]:
    """Flags from a Maildir file name's ``:2,LETTERS`` info (none for new/ files)."""
    _, sep, info = filename.rpartition(":2,")
    if not sep:
        return frozenset()
    return frozenset(LETTER_TO_FLAG[c] for c in info if c in LETTER_TO_FLAG)


def with_flags(path: Path, flags: set[str] | frozenset[str]) -> Path:
    """Rename a Maildir message into cur/ with exactly these flags; returns the new path."""
    base = path.name.split(":2,")[0]
    letters = "".join(sorted(FLAG_TO_LETTER[f] for f in flags))
    target = path.parent.parent / "cur" / f"{base}:2,{letters}"
    path.rename(target)
    return target


def deliver(folder: Path, unique: str, wire: bytes, flags: set[str] | None = None) -> Path:
    """Put a message into a Maildir as a mail program would: write in tmp/, rename.

    Without ``flags`` it goes to new/ (not yet seen by a reader); with flags to cur/.
    """
    tmp = folder / "tmp" / unique
    tmp.write_bytes(wire.replace(b"\r\n", b"\n"))
    if flags is None:
        return tmp.rename(folder / "new" / unique)
    letters = "".join(sorted(FLAG_TO_LETTER[f] for f in flags))
    return tmp.rename(folder / "cur" / f"{unique}:2,{letters}")


def maildir_folders(root: Path) -> dict[str, Path]:
    """Every Maildir folder under ``root`` (nested layout, INBOX included) by IMAP name."""
    found: dict[str, Path] = {}
    for cur in sorted(root.rglob("cur")):
        folder = cur.parent
        if (folder / "new").is_dir() and (folder / "tmp").is_dir():
            found[folder.relative_to(root).as_posix()] = folder
    return found


def maildir_files(folder: Path) -> dict[str, Path]:
    """The message files of one Maildir folder by Message-ID (a duplicate fails)."""
    out: dict[str, Path] = {}
    for sub in ("cur", "new"):
        for path in sorted((folder / sub).iterdir()):
            if path.is_file() and not path.name.startswith("."):
                key = message_id(path.read_bytes())
                assert key not in out, f"{key} twice in {folder}: {out.get(key)}, {path}"
                out[key] = path
    return out


def maildir_state(root: Path) -> State:
    state: State = {}
    for name, folder in maildir_folders(root).items():
        state[name] = {
            mid: Message(maildir_flags(path.name), wire_form(path.read_bytes()))
            for mid, path in maildir_files(folder).items()
        }
    return state


def maildir_listing(root: Path) -> set[tuple[str, int]]:
    """Every message file under root with its size: changes if anything is written."""
    return {
        (p.relative_to(root).as_posix(), p.stat().st_size)
        for p in root.rglob("*")
        if p.is_file() and p.parent.name in ("cur", "new")
    }


# ---------------------------------------------------------------- server side


def server_state(client: IMAPClient) -> State:
    """Every selectable folder's messages, read with EXAMINE and BODY.PEEK (no side effects)."""
    state: State = {}
    for flags, _delim, name in client.list_folders():
        if any(f.lower() == b"\\noselect" for f in flags):
            continue
        client.select_folder(name, readonly=True)
        uids = client.search("ALL")
        fetched = client.fetch(uids, ["FLAGS", "BODY.PEEK[]"]) if uids else {}
        assert sorted(fetched) == sorted(uids), f"FETCH in {name} missed messages"
        state[name] = {}
        for uid, item in sorted(fetched.items()):
            key = message_id(item[b"BODY[]"])
            assert key not in state[name], f"{key} twice in server folder {name} (UID {uid})"
            state[name][key] = Message(only_synced(item[b"FLAGS"]), item[b"BODY[]"])
        client.unselect_folder()
    return state


def server_uid(client: IMAPClient, folder: str, mid: str) -> int:
    """The UID of the message with this Message-ID in a folder (selected read-write)."""
    client.select_folder(folder)
    uids = client.search(["HEADER", "Message-ID", mid])
    assert len(uids) == 1, f"{mid} in {folder}: {uids}"
    return uids[0]


def mid(name: str) -> str:
    """The Message-ID the tests give the message called ``name``."""
    return f"{name}@example.org"


def msg(flags: set[str] | frozenset[str], body: bytes) -> Message:
    return Message(frozenset(flags), body)


def populate(client: IMAPClient, initial: dict[str, list[tuple[str, set[str]]]]) -> State:
    """Create folders and append messages ``{folder: [(name, flags)]}`` over IMAP.

    Returns the expected state of the whole account, the folders roost creates for a
    new user (Sent, Trash, ...) included as empty.
    """
    for folder in initial:
        if not client.folder_exists(folder):
            client.create_folder(folder)
    expected: State = {name: {} for _flags, _delim, name in client.list_folders()}
    for folder, messages in initial.items():
        for name, flags in messages:
            body = make_message(mid(name), f"{folder} message {name}")
            client.append(folder, body, flags=sorted(flags))
            expected[folder][mid(name)] = msg(flags, body)
    return expected


def assert_states(expected: State, server: State, local: State) -> None:
    """Both sides hold exactly the expected folders, messages, flags and bytes.

    Server copies of messages a client uploaded may carry mbsync's X-TUID header.
    """
    assert flag_view(server) == flag_view(expected), "server differs from the expected state"
    assert flag_view(local) == flag_view(expected), "local Maildir differs from the expected state"
    for folder, messages in expected.items():
        for key, message in messages.items():
            assert strip_tuid(server[folder][key].body) == message.body, f"server body of {key}"
            assert local[folder][key].body == message.body, f"local body of {key}"


def flag_view(state: State) -> dict[str, dict[str, set[str]]]:
    """The state without bodies, for short assertion messages."""
    return {
        folder: {mid: set(msg.flags) for mid, msg in msgs.items()} for folder, msgs in state.items()
    }
