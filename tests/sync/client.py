"""A careful IMAP client for the sync tests: every untagged response goes to its ``Mirror``.

Rules:
- ``command`` sends one command and reads up to its tagged reply; each
  untagged response on the way is applied to the mirror with the command's
  name, so the mirror can check what may be sent during it.
- After SELECT/EXAMINE, and whenever the mirror has messages it knows only
  by number (EXISTS), ``fill`` asks ``FETCH n:* (UID FLAGS)``, as a client
  that shows a message list does. A message still unknown after that was
  expunged by someone else (the server has nothing to show) and goes at the
  next NOOP.
- IDLE: ``idle_start`` / ``idle_wait(predicate, timeout)`` / ``idle_done``;
  responses pushed in IDLE are applied as they arrive.
- After its own ``STORE ... .SILENT`` the client updates its flags itself
  (it knows what it asked for), before the reply: a concurrent change by
  another session is the server's to tell, and what it tells wins.
- CLOSE / UNSELECT must come without EXPUNGE responses; then no mailbox.
- APPEND uses a non-synchronising literal (LITERAL+, which roost advertises).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .mirror import Entry, Mirror, MirrorError, Snapshot
from .wire import Wire, is_status, parse_uid_set, parse_values, split_status

TIMEOUT = 10.0


@dataclass
class Result:
    status: str
    code: str | None
    text: str
    untagged: list[bytes] = field(default_factory=list)

    def check(self, what: str) -> Result:
        if self.status != "OK":
            raise AssertionError(f"{what}: {self.status} [{self.code}] {self.text}")
        return self


@dataclass(frozen=True)
class CopyUid:
    uidvalidity: int
    source: list[int]
    dest: list[int]

    @classmethod
    def parse(cls, code: str | None) -> CopyUid | None:
        if code is None or not code.upper().startswith("COPYUID "):
            return None
        _, validity, source, dest = code.split()
        return cls(int(validity), parse_uid_set(source), parse_uid_set(dest))


class Client:
    def __init__(self, host: str, port: int, name: str = "client", *, rev2: bool = False) -> None:
        self.name = name
        self.wire = Wire(host, port, TIMEOUT)
        self.mirror = Mirror(name, rev2=rev2)
        self.rev2 = rev2
        self.capabilities: set[str] = set()
        self.enabled: set[str] = set()
        self._tag = 0
        self.idle_tag: str | None = None
        greeting = self.wire.read_response()
        if greeting is None or not greeting.startswith(b"* OK"):
            raise AssertionError(f"{name}: bad greeting {greeting!r}")

    # ------------------------------------------------------------ plumbing

    def next_tag(self) -> str:
        self._tag += 1
        return f"{self.name[:1]}{self._tag}"

    def command(self, text: str, literal: bytes | None = None) -> Result:
        if self.idle_tag is not None:
            raise AssertionError(f"{self.name}: command {text!r} sent while in IDLE")
        tag = self.next_tag()
        line = f"{tag} {text}".encode()
        if literal is not None:
            line += b" {%d+}\r\n" % len(literal) + literal
        self.wire.send(line + b"\r\n")
        words = text.split()
        during = " ".join(words[:2]) if words[0].upper() == "UID" else words[0]
        return self._read_until(tag, during.upper())

    def _read_until(self, tag: str, during: str | None) -> Result:
        untagged: list[bytes] = []
        while True:
            response = self.wire.read_response()
            if response is None:
                raise AssertionError(f"{self.name}: no tagged reply for {tag} ({during})")
            if response.startswith(b"* "):
                payload = response[2:]
                untagged.append(payload)
                self._apply(payload, during)
            elif response.startswith(tag.encode() + b" "):
                status = split_status(response[len(tag) + 1 :])
                self.mirror.note(f"[{during}] {tag} {status.status} [{status.code}] {status.text}")
                return Result(status.status, status.code, status.text, untagged)
            else:
                raise AssertionError(f"{self.name}: unexpected {response!r} during {during}")

    def _apply(self, payload: bytes, during: str | None) -> None:
        word = payload.split(b" ", 1)[0].upper()
        if word == b"CAPABILITY":
            self.capabilities = {str(c).upper() for c in parse_values(payload)[1:]}
        elif word == b"ENABLED":
            self.enabled |= {str(c).upper() for c in parse_values(payload)[1:]}
        self.mirror.apply(payload, during)

    def close(self) -> None:
        self.wire.close()

    # ------------------------------------------------------------ session set-up

    def login(self, user: str, password: str) -> None:
        result = self.command(f'LOGIN "{user}" "{password}"').check("LOGIN")
        if result.code and result.code.upper().startswith("CAPABILITY "):
            self.capabilities = {c.upper() for c in result.code.split()[1:]}
        else:
            self.command("CAPABILITY").check("CAPABILITY")
        wanted = ["IMAP4rev2"] if self.rev2 else []
        if wanted:
            self.command("ENABLE " + " ".join(wanted)).check("ENABLE")

    def enable(self, extension: str) -> bool:
        """ENABLE ``extension`` when advertised; True when the server enabled it."""
        if extension.upper() not in self.capabilities:
            return False
        self.command(f"ENABLE {extension}").check(f"ENABLE {extension}")
        return extension.upper() in self.enabled

    def select(self, mailbox: str, *, readonly: bool = False) -> Result:
        self.mirror.reset(mailbox)
        verb = "EXAMINE" if readonly else "SELECT"
        result = self.command(f'{verb} "{mailbox}"').check(verb)
        self.fill()
        return result

    def deselect(self, verb: str) -> Result:
        """CLOSE or UNSELECT: no EXPUNGE responses (RFC 9051 6.4.1, 6.4.2), then no mailbox."""
        result = self.command(verb).check(verb)
        for payload in result.untagged:
            if payload.upper().endswith(b" EXPUNGE") or payload.upper().startswith(b"VANISHED"):
                self.mirror.fail(f"{verb} sent {payload!r}")
        self.mirror.reset(None)
        return result

    # ------------------------------------------------------------ keeping up

    def fill(self, rounds: int = 2) -> None:
        """Learn UID and FLAGS of every message known only by number."""
        for _ in range(rounds):
            missing = self.mirror.unresolved()
            if not missing:
                return
            self.command(f"FETCH {missing[0]}:* (UID FLAGS)").check("FETCH")

    def run(self, text: str) -> Result:
        """A command that must succeed, then ``fill`` as after every command."""
        result = self.command(text).check(text.split()[0])
        self.fill()
        return result

    def noop(self) -> Result:
        result = self.command("NOOP").check("NOOP")
        self.fill()
        return result

    def assert_matches(self, truth: Snapshot, *, partial: bool = False) -> None:
        problems = self.mirror.differences(truth, partial=partial)
        if problems:
            raise MirrorError(
                f"{self.name} disagrees with the server: {problems}\n"
                f"server: {truth}\n{self.mirror.describe()}"
            )

    # ------------------------------------------------------------ IDLE

    def idle_start(self) -> None:
        tag = self.next_tag()
        self.wire.send(f"{tag} IDLE\r\n".encode())
        while True:
            response = self.wire.read_response()
            if response is None:
                raise AssertionError(f"{self.name}: no continuation for IDLE")
            if response.startswith(b"+"):
                break
            if not response.startswith(b"* "):
                raise AssertionError(f"{self.name}: IDLE refused: {response!r}")
            self._apply(response[2:], "IDLE")
        self.idle_tag = tag

    def idle_wait(self, done: Callable[[], bool], timeout: float) -> float | None:
        """Apply pushed responses until ``done()``; seconds it took, None on timeout."""
        start = time.monotonic()
        deadline = start + timeout
        while not done():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            response = self.wire.read_response(remaining)
            if response is None:
                return None
            if not response.startswith(b"* "):
                raise AssertionError(f"{self.name}: {response!r} in IDLE")
            self._apply(response[2:], "IDLE")
        return time.monotonic() - start

    def idle_done(self) -> Result:
        tag, self.idle_tag = self.idle_tag, None
        assert tag is not None, "not in IDLE"
        self.wire.send(b"DONE\r\n")
        result = self._read_until(tag, "IDLE").check("IDLE")
        self.fill()
        return result

    def idle_done_then(self, text: str) -> tuple[Result, Result]:
        """DONE and the next command in one write, as Apple Mail does; both replies."""
        tag, self.idle_tag = self.idle_tag, None
        assert tag is not None, "not in IDLE"
        next_tag = self.next_tag()
        self.wire.send(f"DONE\r\n{next_tag} {text}\r\n".encode())
        idle = self._read_until(tag, "IDLE").check("IDLE")
        result = self._read_until(next_tag, text.split()[0].upper())
        self.fill()
        return idle, result

    # ------------------------------------------------------------ actions

    def append(self, mailbox: str, message: bytes, flags: tuple[str, ...] = ()) -> tuple[int, int]:
        """(uidvalidity, uid) from APPENDUID."""
        flag_text = "(" + " ".join(flags) + ") " if flags else ""
        result = self.command(f'APPEND "{mailbox}" {flag_text}'.rstrip(), message).check("APPEND")
        self.fill()
        code = (result.code or "").split()
        if len(code) != 3 or code[0].upper() != "APPENDUID":
            raise AssertionError(f"{self.name}: APPEND without APPENDUID: {result}")
        return int(code[1]), int(code[2])

    def uid_store(
        self, uids: str, mode: str, flags: tuple[str, ...], silent: bool = False
    ) -> Result:
        return self.store(uids, mode, flags, silent=silent, uid=True)

    def store(
        self, numbers: str, mode: str, flags: tuple[str, ...], *, silent: bool = False, uid: bool
    ) -> Result:
        """STORE / UID STORE; after a .SILENT one the client applies its own change."""
        targets = self.targets(numbers, uid=uid)
        if silent:
            # The client records its own change at once; whatever the server says
            # during the command (a concurrent change) comes after and wins.
            for entry in targets:
                if entry.flags is not None:
                    entry.flags = apply_store(entry.flags, mode, flags)
        item = f"{mode}FLAGS{'.SILENT' if silent else ''}"
        verb = "UID STORE" if uid else "STORE"
        result = self.command(f"{verb} {numbers} {item} ({' '.join(flags)})").check(verb)
        self.fill()
        return result

    def targets(self, numbers: str, *, uid: bool) -> list[Entry]:
        """The mirror's entries a set names (UID sets: entries whose UID is known)."""
        entries = self.mirror.entries
        if not uid:
            return [e for i, e in enumerate(entries, 1) if in_set(i, numbers, len(entries))]
        known = [e for e in entries if e.uid is not None]
        largest = known[-1].uid if known else 0
        return [e for e in known if in_set(e.uid, numbers, largest)]  # type: ignore[arg-type]

    def copy_or_move(
        self, verb: str, numbers: str, mailbox: str, *, uid: bool = True
    ) -> tuple[Result, CopyUid | None]:
        """COPY / MOVE (UID forms by default); the COPYUID from the tagged or untagged OK."""
        command = f"{'UID ' if uid else ''}{verb}"
        result = self.command(f'{command} {numbers} "{mailbox}"').check(command)
        found = CopyUid.parse(result.code)
        for payload in result.untagged:
            if found is None and is_status(payload.split(b" ", 1)[0].decode()):
                found = CopyUid.parse(split_status(payload).code)
        self.fill()
        return result, found


def apply_store(old: frozenset[str], mode: str, flags: tuple[str, ...]) -> frozenset[str]:
    if mode == "+":
        return old | frozenset(flags)
    if mode == "-":
        return old - frozenset(flags)
    return frozenset(flags)


def in_set(number: int, text: str, largest: int) -> bool:
    """Is ``number`` in the sequence set ``text`` (``*`` = ``largest``)?"""
    for part in text.split(","):
        lo, _, hi = part.partition(":")
        a = largest if lo == "*" else int(lo)
        b = a if not hi else (largest if hi == "*" else int(hi))
        if min(a, b) <= number <= max(a, b):
            return True
    return False
