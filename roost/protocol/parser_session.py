"""Parsers for the connection-level commands (RFC 9051 sections 6.1 and 6.2).

CAPABILITY, NOOP, LOGOUT, STARTTLS, NAMESPACE, IDLE, CHECK, CLOSE, UNSELECT take
no arguments; ID (RFC 2971), AUTHENTICATE (with SASL-IR, RFC 4959), LOGIN,
ENABLE (RFC 5161) and COMPRESS (RFC 4978) do. Each function takes a ``Reader`` positioned after the
command name and the tag, and reads to the end of the command.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from roost.protocol.commands import (
    Authenticate,
    Capability,
    Check,
    Close,
    Command,
    Compress,
    Enable,
    Id,
    Idle,
    Login,
    Logout,
    Namespace,
    Noop,
    StartTLS,
    Unselect,
)
from roost.protocol.parser_core import Reader

# RFC 9051: base64 = *(4base64-char) [base64-terminal]; "=" is an empty response.
_BASE64 = re.compile(rb"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")


def _no_arguments(cls: type[Command]) -> Callable[[Reader, str], Command]:
    def parse(r: Reader, tag: str) -> Command:
        r.end()
        return cls(tag)

    return parse


NO_ARGUMENT_COMMANDS: dict[str, Callable[[Reader, str], Command]] = {
    "CAPABILITY": _no_arguments(Capability),
    "NOOP": _no_arguments(Noop),
    "LOGOUT": _no_arguments(Logout),
    "STARTTLS": _no_arguments(StartTLS),
    "NAMESPACE": _no_arguments(Namespace),
    "IDLE": _no_arguments(Idle),
    "CHECK": _no_arguments(Check),
    "CLOSE": _no_arguments(Close),
    "UNSELECT": _no_arguments(Unselect),
}


def parse_id(r: Reader, tag: str) -> Id:
    """RFC 2971: ``ID ("name" "value" ...)`` or ``ID NIL``."""
    r.sp()
    if r.try_keyword("NIL"):
        r.end()
        return Id(tag, None)
    r.expect(b"(", '"(" or NIL')
    params: list[tuple[str, str | None]] = []
    while not r.take(b")"):
        if params:
            r.sp()
        name = r.text(r.string(), "ID field name")
        r.sp()
        value = r.nstring()
        params.append((name, None if value is None else r.text(value, "ID value")))
    r.end()
    return Id(tag, tuple(params))


def parse_authenticate(r: Reader, tag: str) -> Authenticate:
    """``AUTHENTICATE mechanism [SP initial-response]``; the response stays base64."""
    r.sp()
    mechanism = r.keyword("a SASL mechanism")
    initial = None
    if r.take(b" "):
        initial = _base64_or_empty(r)
    r.end()
    return Authenticate(tag, mechanism, initial)


def _base64_or_empty(r: Reader) -> str:
    if r.take(b"="):
        return "="
    start = r.pos
    m = _BASE64.match(r.data, r.pos)
    if m is None or m.end() == start:
        r.fail("invalid base64 initial response")
    r.pos = m.end()
    return r.data[start : r.pos].decode("ascii")


def parse_login(r: Reader, tag: str) -> Login:
    r.sp()
    username = r.astring_text("user name")
    r.sp()
    password = r.astring_text("password")
    r.end()
    return Login(tag, username, password)


def parse_enable(r: Reader, tag: str) -> Enable:
    """RFC 5161: ``ENABLE 1*(SP capability)``, names upper-cased."""
    r.sp()
    names = r.space_separated(lambda: r.keyword("a capability name"))
    r.end()
    return Enable(tag, tuple(names))


def parse_compress(r: Reader, tag: str) -> Compress:
    """RFC 4978: ``COMPRESS SP algorithm``. Any atom is read (upper-cased): an
    unknown mechanism is the driver's BAD, not a syntax error."""
    r.sp()
    mechanism = r.keyword("a compression mechanism")
    r.end()
    return Compress(tag, mechanism)


SESSION_COMMANDS: dict[str, Callable[[Reader, str], Command]] = {
    **NO_ARGUMENT_COMMANDS,
    "ID": parse_id,
    "AUTHENTICATE": parse_authenticate,
    "LOGIN": parse_login,
    "ENABLE": parse_enable,
    "COMPRESS": parse_compress,
}

__all__ = ["SESSION_COMMANDS"]
