"""LIST (RFC 9051 6.3.9, RFC 5258 LIST-EXTENDED, RFC 5819 LIST-STATUS, RFC 6154) and LSUB.

Rules:
- The reference prefixes each pattern; "*" and "%" match as in ``names``;
  INBOX matches case-insensitively. Basic ``LIST ref ""`` answers the
  delimiter: ``* LIST (\\Noselect) "/" ""``; in the extended syntax empty
  patterns are ignored. A pattern that is not valid modified UTF-7 (rev1)
  matches nothing (6.3.9: not accepted patterns are silently ignored).
- Selection: by default the existing mailboxes; SUBSCRIBED the subscribed
  names (existing or not); SPECIAL-USE those with a special-use attribute;
  several options must all hold. REMOTE changes nothing (no remote mailboxes).
- A name that does not meet the selection is still listed when one of its
  descendants does and that descendant does not match the pattern
  (6.3.9.3 rule 2): for the default selection as ``\\NonExistent \\HasChildren``
  (``\\Noselect`` for basic LIST of an IMAP4rev1 client), for the others only
  with RECURSIVEMATCH, with ``("CHILDINFO" (...))``. A listed name that meets
  the selection gets CHILDINFO under RECURSIVEMATCH when any descendant meets it.
- Attributes: ``\\NonExistent`` for names with no mailbox, ``\\Noselect`` for
  placeholders, ``\\HasChildren``/``\\HasNoChildren`` always (CHILDREN is free
  to compute), special-use attributes always (as Dovecot), ``\\Subscribed``
  with selection or RETURN SUBSCRIBED.
- RETURN (STATUS (...)): a ``* STATUS`` line after each listed selectable
  mailbox that meets the selection (RFC 5819; 6.3.9.8 example 11).
  HIGHESTMODSEQ among the items enables CONDSTORE, as STATUS does (RFC 7162 3.1).
- LSUB (RFC 3501 6.3.9): subscribed names that match; an unsubscribed parent
  hidden by "%" comes as ``\\Noselect``.
- Output order: INBOX first, then hierarchical (parents before children).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from roost.commands.context import Context
from roost.commands.status import status_payload
from roost.protocol.commands import List, Lsub
from roost.session.names import (
    InvalidName,
    canonical_pattern,
    compile_pattern,
    name_from_wire,
    parents,
    sort_key,
)
from roost.session.state import Reply
from roost.storage.interface import MailboxInfo

Matcher = Callable[[str], bool]
_DELIMITER_ROOT = b'(\\Noselect) "/" ""'


@dataclass
class _Tree:
    """The user's mailboxes and subscriptions, with what LIST asks of them."""

    boxes: dict[str, MailboxInfo]
    subscribed: set[str]

    @property
    def universe(self) -> set[str]:
        names = set(self.boxes) | self.subscribed
        for name in list(names):
            names.update(parents(name))
        return names

    def __post_init__(self) -> None:
        self._parents = {p for name in self.boxes for p in parents(name)}

    def has_children(self, name: str) -> bool:
        return name in self._parents


def _matcher(ctx: Context, reference: str, patterns: Iterable[str]) -> Matcher:
    """One predicate for all the patterns (invalid ones match nothing)."""
    utf8 = ctx.session.utf8
    tests: list[Matcher] = []
    for pattern in patterns:
        try:
            ref = name_from_wire(reference, utf8=utf8)
            pat = name_from_wire(pattern, utf8=utf8)
        except InvalidName:
            continue
        tests.append(compile_pattern(canonical_pattern(ref, pat)))
    return lambda name: any(test(name) for test in tests)


def _load(ctx: Context) -> _Tree:
    boxes = {m.name: m for m in ctx.store.list_mailboxes(ctx.user.id)}
    return _Tree(boxes, set(ctx.store.list_subscriptions(ctx.user.id)))


def _criteria(cmd: List) -> list[str]:
    return [o for o in ("SUBSCRIBED", "SPECIAL-USE") if o in cmd.selection]


def _meets(tree: _Tree, name: str, criteria: list[str]) -> bool:
    box = tree.boxes.get(name)
    if not criteria:
        return box is not None
    if "SUBSCRIBED" in criteria and name not in tree.subscribed:
        return False
    return not ("SPECIAL-USE" in criteria and (box is None or not box.special_use))


def handle_list(ctx: Context, cmd: List) -> Reply:
    if not cmd.extended and cmd.patterns == ("",):
        ctx.untagged(b"LIST " + _DELIMITER_ROOT)
        return Reply("OK", "LIST completed")
    if "HIGHESTMODSEQ" in cmd.status_items:
        ctx.session.enable_condstore()
    matches = _matcher(ctx, cmd.reference, (p for p in cmd.patterns if p))
    tree = _load(ctx)
    criteria = _criteria(cmd)
    recursive = "RECURSIVEMATCH" in cmd.selection
    meeting = {n for n in tree.universe if _meets(tree, n, criteria)}
    above_meeting: set[str] = set()  # names with a descendant that meets the selection
    above_hidden: set[str] = set()  # ... with such a descendant not matching the pattern
    for name in meeting:
        hidden = not matches(name)
        for parent in parents(name):
            above_meeting.add(parent)
            if hidden:
                above_hidden.add(parent)
    for name in sorted(tree.universe, key=sort_key):
        if not matches(name):
            continue
        if name in meeting:
            childinfo = recursive and name in above_meeting
        elif name in above_hidden and (recursive or not criteria):
            childinfo = recursive
        else:
            continue
        ctx.untagged(b"LIST " + _list_item(ctx, cmd, tree, name, criteria if childinfo else []))
        box = tree.boxes.get(name)
        if "STATUS" in cmd.returns and name in meeting and box is not None and not box.noselect:
            ctx.untagged(status_payload(ctx.session, ctx.store, box, cmd.status_items))
    return Reply("OK", "LIST completed")


def _list_item(ctx: Context, cmd: List, tree: _Tree, name: str, childinfo: list[str]) -> bytes:
    attrs = list_attributes(
        tree.boxes.get(name),
        tree.has_children(name),
        subscribed=name in tree.subscribed
        if "SUBSCRIBED" in cmd.selection or "SUBSCRIBED" in cmd.returns
        else None,
        nonexistent=b"\\NonExistent" if cmd.extended or ctx.session.rev2 else b"\\Noselect",
    )
    line = b"(" + b" ".join(attrs) + b') "/" ' + ctx.session.mailbox_name_out(name)
    if childinfo:
        line += b' ("CHILDINFO" (' + b" ".join(b'"%s"' % c.encode() for c in childinfo) + b"))"
    return line


def list_attributes(
    box: MailboxInfo | None,
    has_children: bool,
    *,
    subscribed: bool | None = None,
    nonexistent: bytes = b"\\NonExistent",
) -> list[bytes]:
    """The name attributes of one LIST response (also for SELECT's LIST line)."""
    attrs: list[bytes] = []
    if box is None:
        attrs.append(nonexistent)
    elif box.noselect:
        attrs.append(b"\\Noselect")
    if has_children:
        attrs.append(b"\\HasChildren")
    elif box is not None:
        attrs.append(b"\\HasNoChildren")
    if box is not None:
        attrs.extend(use.encode("ascii") for use in box.special_use)
    if subscribed:
        attrs.append(b"\\Subscribed")
    return attrs


def handle_lsub(ctx: Context, cmd: Lsub) -> Reply:
    if cmd.pattern == "":
        ctx.untagged(b"LSUB " + _DELIMITER_ROOT)
        return Reply("OK", "LSUB completed")
    matches = _matcher(ctx, cmd.reference, [cmd.pattern])
    tree = _load(ctx)
    hidden_parents: set[str] = set()
    for name in tree.subscribed:
        if not matches(name):
            hidden_parents.update(parents(name))
    for name in sorted(tree.subscribed | hidden_parents, key=sort_key):
        if not matches(name):
            continue
        box = tree.boxes.get(name)
        selectable = name in tree.subscribed and (box is None or not box.noselect)
        attrs = b"()" if selectable else b"(\\Noselect)"
        ctx.untagged(b"LSUB " + attrs + b' "/" ' + ctx.session.mailbox_name_out(name))
    return Reply("OK", "LSUB completed")
