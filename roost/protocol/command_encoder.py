"""Encode a ``Command`` as the bytes a client sends (tests, round trips, benchmarks).

``encode_command(cmd)`` returns ``tag SP command CRLF``, with literals where a
string needs one (non-synchronizing ``{n+}`` by default; pass
``literal_plus=False`` for ``{n}``, in which case the caller must wait for the
server's ``+`` after each literal announcement, i.e. after each ``}\\r\\n``).

Round trip: the framer strips the final CRLF, so
``parse_command(encode_command(cmd)[:-2]) == cmd`` for every valid command.
Macros (FETCH ALL/FAST/FULL) are never written: the parser expands them, so
the encoder writes the item list. Values that no client could send (a naive
APPEND date, a search string the charset cannot hold, NUL outside a literal8)
raise ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Callable

from roost.protocol.command_encoder_values import ValueWriter
from roost.protocol.commands import (
    Append,
    AppendMessage,
    Authenticate,
    Capability,
    Check,
    Close,
    Command,
    Compress,
    Copy,
    Create,
    Delete,
    Enable,
    Expunge,
    Fetch,
    Id,
    Idle,
    List,
    Login,
    Logout,
    Lsub,
    Move,
    Namespace,
    Noop,
    Notify,
    NotifyEvent,
    QresyncParams,
    Rename,
    Search,
    Select,
    StartTLS,
    Status,
    Store,
    Subscribe,
    Unselect,
    Unsubscribe,
)
from roost.protocol.parser_search import charset_codec


def encode_command(cmd: Command, *, literal_plus: bool = True) -> bytes:
    """``tag SP command CRLF`` for ``cmd`` (see the module docstring)."""
    encoder = _ENCODERS.get(type(cmd))
    if encoder is None:
        raise TypeError(f"cannot encode {type(cmd).__name__}")
    body = encoder(ValueWriter(literal_plus), cmd)
    return cmd.tag.encode("ascii") + b" " + body + b"\r\n"


def _simple(name: bytes) -> Callable[[ValueWriter, Command], bytes]:
    return lambda w, cmd: name


def _id(w: ValueWriter, cmd: Id) -> bytes:
    if cmd.params is None:
        return b"ID NIL"
    items = [w.nstring(name) + b" " + w.nstring(value) for name, value in cmd.params]
    return b"ID (" + b" ".join(items) + b")"


def _authenticate(w: ValueWriter, cmd: Authenticate) -> bytes:
    out = b"AUTHENTICATE " + cmd.mechanism.encode("ascii")
    if cmd.initial_response is not None:
        out += b" " + cmd.initial_response.encode("ascii")
    return out


def _login(w: ValueWriter, cmd: Login) -> bytes:
    return b"LOGIN " + w.astring(cmd.username) + b" " + w.astring(cmd.password)


def _enable(w: ValueWriter, cmd: Enable) -> bytes:
    return b" ".join([b"ENABLE", *(c.encode("ascii") for c in cmd.capabilities)])


def _compress(w: ValueWriter, cmd: Compress) -> bytes:
    return b"COMPRESS " + cmd.mechanism.encode("ascii")


def _select(w: ValueWriter, cmd: Select) -> bytes:
    out = (b"EXAMINE " if cmd.readonly else b"SELECT ") + w.astring(cmd.mailbox)
    params = [b"CONDSTORE"] if cmd.condstore else []
    if cmd.qresync is not None:
        params.append(_qresync(w, cmd.qresync))
    return out + (b" (" + b" ".join(params) + b")" if params else b"")


def _qresync(w: ValueWriter, q: QresyncParams) -> bytes:
    """``QRESYNC (uidvalidity modseq [known-uids] [(seqs uids)])`` (RFC 7162 3.2.5)."""
    out = b"QRESYNC (%d %d" % (q.uidvalidity, q.modseq)
    if q.known_uids is not None:
        out += b" " + w.sequence_set(q.known_uids)
    if (q.match_seqs is None) != (q.match_uids is None):
        raise ValueError("seq-match-data needs both the sequence set and the UID set")
    if q.match_seqs is not None and q.match_uids is not None:
        out += b" (" + w.sequence_set(q.match_seqs) + b" " + w.sequence_set(q.match_uids) + b")"
    return out + b")"


def _create(w: ValueWriter, cmd: Create) -> bytes:
    out = b"CREATE " + w.astring(cmd.mailbox)
    if cmd.special_use:
        out += b" (USE " + w.flags(cmd.special_use) + b")"
    return out


def _one_mailbox(name: bytes) -> Callable[[ValueWriter, Command], bytes]:
    return lambda w, cmd: name + b" " + w.astring(cmd.mailbox)  # type: ignore[attr-defined]


def _rename(w: ValueWriter, cmd: Rename) -> bytes:
    return b"RENAME " + w.astring(cmd.mailbox) + b" " + w.astring(cmd.new_name)


def _list(w: ValueWriter, cmd: List) -> bytes:
    """Extended commands always put the patterns in parentheses, so ``extended`` survives."""
    out = [b"LIST"]
    if cmd.selection:
        out.append(b"(" + " ".join(cmd.selection).encode("ascii") + b")")
    out.append(w.astring(cmd.reference))
    patterns = [w.list_mailbox(p) for p in cmd.patterns]
    if cmd.extended:
        out.append(b"(" + b" ".join(patterns) + b")")
    else:
        if len(patterns) != 1:
            raise ValueError("a basic LIST has exactly one pattern")
        out.append(patterns[0])
    if cmd.returns:
        out.append(b"RETURN (" + b" ".join(_return_option(cmd, r) for r in cmd.returns) + b")")
    return b" ".join(out)


def _return_option(cmd: List, option: str) -> bytes:
    if option == "STATUS":
        return b"STATUS (" + " ".join(cmd.status_items).encode("ascii") + b")"
    return option.encode("ascii")


def _lsub(w: ValueWriter, cmd: Lsub) -> bytes:
    return b"LSUB " + w.astring(cmd.reference) + b" " + w.list_mailbox(cmd.pattern)


def _status(w: ValueWriter, cmd: Status) -> bytes:
    items = " ".join(cmd.items).encode("ascii")
    return b"STATUS " + w.astring(cmd.mailbox) + b" (" + items + b")"


def _append(w: ValueWriter, cmd: Append) -> bytes:
    if not cmd.messages:
        raise ValueError("APPEND needs at least one message")
    out = b"APPEND " + w.astring(cmd.mailbox)
    for message in cmd.messages:
        out += _append_message(w, message)
    return out


def _append_message(w: ValueWriter, message: AppendMessage) -> bytes:
    out = b""
    if message.flags:
        out += b" " + w.flags(message.flags)
    if message.internaldate is not None:
        out += b" " + w.date_time(message.internaldate)
    data = w.literal(message.data, message.binary)
    return out + (b" UTF8 (" + data + b")" if message.utf8 else b" " + data)


def _expunge(w: ValueWriter, cmd: Expunge) -> bytes:
    if cmd.uids is None:
        return b"EXPUNGE"
    return b"UID EXPUNGE " + w.sequence_set(cmd.uids)


def _search(w: ValueWriter, cmd: Search) -> bytes:
    out = [b"UID SEARCH" if cmd.uid else b"SEARCH"]
    if cmd.returns is not None:
        out.append(b"RETURN (" + " ".join(cmd.returns).encode("ascii") + b")")
    if cmd.charset is not None:
        out.append(b"CHARSET " + w.charset(cmd.charset))
    if cmd.criteria.name != "AND" or not cmd.criteria.args:
        raise ValueError("SEARCH criteria must be a non-empty AND")
    out.append(w.search_keys(cmd.criteria, charset_codec(cmd.charset)))
    return b" ".join(out)


def _fetch(w: ValueWriter, cmd: Fetch) -> bytes:
    items = b"(" + b" ".join(w.fetch_item(i) for i in cmd.attributes) + b")"
    out = (b"UID FETCH " if cmd.uid else b"FETCH ") + w.sequence_set(cmd.sequence) + b" " + items
    if cmd.vanished and (not cmd.uid or cmd.changedsince is None):
        raise ValueError("VANISHED needs UID FETCH and CHANGEDSINCE")
    if cmd.changedsince is not None:
        vanished = b" VANISHED" if cmd.vanished else b""
        out += b" (CHANGEDSINCE %d%s)" % (cmd.changedsince, vanished)
    return out


def _store(w: ValueWriter, cmd: Store) -> bytes:
    out = (b"UID STORE " if cmd.uid else b"STORE ") + w.sequence_set(cmd.sequence)
    if cmd.unchangedsince is not None:
        out += b" (UNCHANGEDSINCE %d)" % cmd.unchangedsince
    item = cmd.mode.encode("ascii") + b"FLAGS" + (b".SILENT" if cmd.silent else b"")
    return out + b" " + item + b" " + w.flags(cmd.flags)


def _copy_or_move(name: bytes) -> Callable[[ValueWriter, Copy | Move], bytes]:
    def encode(w: ValueWriter, cmd: Copy | Move) -> bytes:
        prefix = b"UID " + name if cmd.uid else name
        return prefix + b" " + w.sequence_set(cmd.sequence) + b" " + w.astring(cmd.mailbox)

    return encode


def _notify(w: ValueWriter, cmd: Notify) -> bytes:
    """RFC 5465: ``NOTIFY NONE`` or ``NOTIFY SET [STATUS] (filter events) ...``."""
    if cmd.groups is None:
        return b"NOTIFY NONE"
    if not cmd.groups:
        raise ValueError("NOTIFY SET needs at least one event group")
    out = [b"NOTIFY SET STATUS" if cmd.status else b"NOTIFY SET"]
    for group in cmd.groups:
        head = group.filter.encode("ascii")
        if group.mailboxes:
            head += b" (" + b" ".join(w.astring(m) for m in group.mailboxes) + b")"
        events = [_notify_event(w, e) for e in group.events]
        out.append(
            b"(" + head + b" " + (b"(" + b" ".join(events) + b")" if events else b"NONE") + b")"
        )
    return b" ".join(out)


def _notify_event(w: ValueWriter, event: NotifyEvent) -> bytes:
    out = event.name.encode("ascii")
    if event.fetch_atts:
        out += b" (" + b" ".join(w.fetch_item(a) for a in event.fetch_atts) + b")"
    return out


_ENCODERS: dict[type[Command], Callable[[ValueWriter, Command], bytes]] = {
    Capability: _simple(b"CAPABILITY"),
    Noop: _simple(b"NOOP"),
    Logout: _simple(b"LOGOUT"),
    StartTLS: _simple(b"STARTTLS"),
    Namespace: _simple(b"NAMESPACE"),
    Idle: _simple(b"IDLE"),
    Check: _simple(b"CHECK"),
    Close: _simple(b"CLOSE"),
    Unselect: _simple(b"UNSELECT"),
    Id: _id,  # type: ignore[dict-item]
    Authenticate: _authenticate,  # type: ignore[dict-item]
    Login: _login,  # type: ignore[dict-item]
    Enable: _enable,  # type: ignore[dict-item]
    Compress: _compress,  # type: ignore[dict-item]
    Select: _select,  # type: ignore[dict-item]
    Create: _create,  # type: ignore[dict-item]
    Delete: _one_mailbox(b"DELETE"),
    Rename: _rename,  # type: ignore[dict-item]
    Subscribe: _one_mailbox(b"SUBSCRIBE"),
    Unsubscribe: _one_mailbox(b"UNSUBSCRIBE"),
    List: _list,  # type: ignore[dict-item]
    Lsub: _lsub,  # type: ignore[dict-item]
    Status: _status,  # type: ignore[dict-item]
    Append: _append,  # type: ignore[dict-item]
    Expunge: _expunge,  # type: ignore[dict-item]
    Search: _search,  # type: ignore[dict-item]
    Fetch: _fetch,  # type: ignore[dict-item]
    Store: _store,  # type: ignore[dict-item]
    Copy: _copy_or_move(b"COPY"),  # type: ignore[dict-item]
    Move: _copy_or_move(b"MOVE"),  # type: ignore[dict-item]
    Notify: _notify,  # type: ignore[dict-item]
}

__all__ = ["encode_command"]
