"""Hypothesis strategies for valid Command objects (every command type)."""

from __future__ import annotations

import base64
from datetime import date, datetime, timedelta, timezone

from hypothesis import strategies as st

from roost.protocol import commands as c
from roost.protocol.parser_fetch import SIMPLE_ITEMS
from roost.protocol.parser_mailbox import LIST_RETURNS, LIST_SELECTION, STATUS_ITEMS, USE_ATTRS
from roost.protocol.parser_notify import KNOWN_EVENTS, NAMED_FILTERS, SIMPLE_FILTERS
from roost.protocol.parser_search import RETURN_OPTIONS, SEARCH_KEYS

_ATOM_CHARS = "".join(chr(i) for i in range(0x21, 0x7F) if chr(i) not in '(){ %*"\\]')
_TAG_CHARS = _ATOM_CHARS.replace("+", "") + "]"

tags = st.text(_TAG_CHARS, min_size=1, max_size=8)
atoms = st.text(_ATOM_CHARS, min_size=1, max_size=10)
upper_atoms = atoms.map(str.upper)
# Any text but NUL (a literal cannot hold it); includes CR, LF, 8-bit and quotes.
texts = st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=20)
latin1_texts = st.text(
    st.characters(max_codepoint=0xFF, exclude_characters="\x00", exclude_categories=("Cs",)),
    max_size=20,
)
mailboxes = st.one_of(texts, atoms, st.sampled_from(["INBOX", "inbox", "a/b", "NIL", "x]"]))
patterns = st.one_of(texts, st.text(_ATOM_CHARS + "%*]", min_size=1, max_size=10))

nz = st.integers(1, 2**32 - 1)
seq_numbers = st.one_of(st.none(), nz)
seq_ranges = st.one_of(
    nz.map(lambda n: c.SeqRange(n, n)),
    st.builds(c.SeqRange, seq_numbers, seq_numbers),
)
sequence_sets = st.one_of(
    st.just(c.SequenceSet(saved=True)),
    st.lists(seq_ranges, min_size=1, max_size=4).map(lambda rs: c.SequenceSet(tuple(rs))),
)
modseqs = st.integers(0, 2**63 - 1)
dates = st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31))
zones = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m)))
date_times = st.builds(
    lambda dt, tz: dt.replace(microsecond=0, tzinfo=tz),
    st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31)),
    zones,
)
flags = st.one_of(st.sampled_from([f for f in c.SYSTEM_FLAGS if f != "\\Recent"]), atoms)
flag_tuples = st.lists(flags, max_size=4).map(tuple)


def _no_args(cls: type[c.Command]) -> st.SearchStrategy[c.Command]:
    return st.builds(cls, tags)


ids = st.builds(
    c.Id,
    tags,
    st.one_of(
        st.none(), st.lists(st.tuples(texts, st.one_of(st.none(), texts)), max_size=3).map(tuple)
    ),
)
authenticates = st.builds(
    c.Authenticate,
    tags,
    upper_atoms,
    st.one_of(
        st.none(),
        st.just("="),
        st.binary(min_size=1, max_size=30).map(lambda b: base64.b64encode(b).decode()),
    ),
)
logins = st.builds(c.Login, tags, texts, texts)
compresses = st.builds(c.Compress, tags, st.one_of(st.just("DEFLATE"), upper_atoms))
enables = st.builds(c.Enable, tags, st.lists(upper_atoms, min_size=1, max_size=3).map(tuple))
# QRESYNC sets hold no "*" and no "$" (RFC 7162 section 7).
known_sets = st.lists(
    nz.map(lambda n: c.SeqRange(n, n)) | st.builds(c.SeqRange, nz, nz), min_size=1, max_size=3
).map(lambda rs: c.SequenceSet(tuple(rs)))
qresyncs = st.builds(
    lambda v, m, known, match: c.QresyncParams(v, m, known, *(match or (None, None))),
    nz,
    modseqs,
    st.none() | known_sets,
    st.none() | st.tuples(known_sets, known_sets),
)
selects = st.builds(c.Select, tags, mailboxes, st.booleans(), st.booleans(), st.none() | qresyncs)
use_attrs = st.one_of(
    st.sampled_from(sorted(USE_ATTRS.values())),
    atoms.map(lambda a: "\\" + a).filter(lambda a: a.upper() not in USE_ATTRS),
)
creates = st.builds(c.Create, tags, mailboxes, st.lists(use_attrs, max_size=3).map(tuple))
deletes = st.builds(c.Delete, tags, mailboxes)
renames = st.builds(c.Rename, tags, mailboxes, mailboxes)
subscribes = st.builds(c.Subscribe, tags, mailboxes)
unsubscribes = st.builds(c.Unsubscribe, tags, mailboxes)
lsubs = st.builds(c.Lsub, tags, mailboxes, patterns)
namespaces = _no_args(c.Namespace)
statuses = st.builds(
    c.Status,
    tags,
    mailboxes,
    st.lists(st.sampled_from(sorted(STATUS_ITEMS)), min_size=1, max_size=4).map(tuple),
)


@st.composite
def lists(draw: st.DrawFn) -> c.List:
    tag, reference = draw(tags), draw(mailboxes)
    if not draw(st.booleans()):
        return c.List(tag, reference, (draw(patterns),))
    selection = tuple(
        draw(st.lists(st.sampled_from(sorted(LIST_SELECTION)), unique=True, max_size=3))
    )
    if "RECURSIVEMATCH" in selection and set(selection) <= {"RECURSIVEMATCH", "REMOTE"}:
        selection = ("SUBSCRIBED", *selection)
    returns = tuple(draw(st.lists(st.sampled_from(sorted(LIST_RETURNS)), unique=True, max_size=4)))
    status_items: tuple[str, ...] = ()
    if "STATUS" in returns:
        status_items = tuple(
            draw(st.lists(st.sampled_from(sorted(STATUS_ITEMS)), min_size=1, max_size=3))
        )
    pats = tuple(draw(st.lists(patterns, min_size=1, max_size=3)))
    return c.List(tag, reference, pats, selection, returns, status_items, True)


@st.composite
def append_messages(draw: st.DrawFn) -> c.AppendMessage:
    binary = draw(st.booleans())
    data = draw(st.binary(max_size=40))
    if not binary:
        data = data.replace(b"\x00", b"")
    internaldate = draw(st.one_of(st.none(), date_times))
    return c.AppendMessage(draw(flag_tuples), internaldate, data, binary, draw(st.booleans()))


appends = st.builds(
    c.Append, tags, mailboxes, st.lists(append_messages(), min_size=1, max_size=3).map(tuple)
)
expunges = st.builds(c.Expunge, tags, st.one_of(st.none(), sequence_sets))

# ---------------------------------------------------------------- search


def search_keys(text: st.SearchStrategy[str]) -> st.SearchStrategy[c.SearchKey]:
    kinds = {
        (): lambda name: st.just(c.SearchKey(name)),
        ("str",): lambda name: text.map(lambda s: c.SearchKey(name, (s,))),
        ("atom",): lambda name: atoms.map(lambda a: c.SearchKey(name, (a,))),
        ("date",): lambda name: dates.map(lambda d: c.SearchKey(name, (d,))),
        ("n64",): lambda name: modseqs.map(lambda n: c.SearchKey(name, (n,))),
        ("str", "str"): lambda name: st.tuples(text, text).map(lambda a: c.SearchKey(name, a)),
        ("set",): lambda name: sequence_sets.map(lambda s: c.SearchKey(name, (s,))),
        ("modseq",): lambda name: modseqs.map(lambda n: c.SearchKey(name, (n,))),
    }
    leaves = st.one_of(
        sequence_sets.map(lambda s: c.SearchKey("SEQSET", (s,))),
        *(kinds[args](name) for name, args in SEARCH_KEYS.items() if "key" not in args),
    )

    def extend(inner: st.SearchStrategy[c.SearchKey]) -> st.SearchStrategy[c.SearchKey]:
        return st.one_of(
            inner.map(lambda k: c.SearchKey("NOT", (k,))),
            st.tuples(inner, inner).map(lambda a: c.SearchKey("OR", a)),
            st.lists(inner, min_size=1, max_size=3).map(lambda ks: c.SearchKey("AND", tuple(ks))),
        )

    return st.recursive(leaves, extend, max_leaves=8)


@st.composite
def searches(draw: st.DrawFn) -> c.Search:
    charset = draw(st.sampled_from([None, "UTF-8", "US-ASCII", "ISO-8859-1"]))
    text = latin1_texts if charset == "ISO-8859-1" else texts
    keys = draw(st.lists(search_keys(text), min_size=1, max_size=4))
    returns = draw(
        st.one_of(
            st.none(), st.lists(st.sampled_from(sorted(RETURN_OPTIONS)), unique=True).map(tuple)
        )
    )
    return c.Search(
        draw(tags), c.SearchKey("AND", tuple(keys)), charset, returns, draw(st.booleans())
    )


# ---------------------------------------------------------------- fetch / store / copy

parts = st.lists(nz, max_size=3).map(tuple)
field_names = st.from_regex(r"\A[A-Z][A-Z0-9-]{0,10}\Z")


@st.composite
def sections(draw: st.DrawFn) -> c.Section:
    part = draw(parts)
    choices = [None, "HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT"] + (
        ["MIME"] if part else []
    )
    text = draw(st.sampled_from(choices))
    fields: tuple[str, ...] = ()
    if text in ("HEADER.FIELDS", "HEADER.FIELDS.NOT"):
        fields = tuple(draw(st.lists(field_names, min_size=1, max_size=3)))
    return c.Section(part, text, fields)


partials = st.one_of(st.none(), st.tuples(modseqs, st.integers(1, 2**63 - 1)))
fetch_bodies = st.builds(c.FetchBody, sections(), st.booleans(), st.just(False), partials)
fetch_binaries = st.builds(
    c.FetchBody, parts.map(c.Section), st.booleans(), st.just(True), partials
)
fetch_attrs = st.one_of(
    st.sampled_from(sorted(SIMPLE_ITEMS)),
    fetch_bodies,
    fetch_binaries,
    st.builds(c.FetchBinarySize, parts),
)
fetches = st.builds(
    c.Fetch,
    tags,
    sequence_sets,
    st.lists(fetch_attrs, min_size=1, max_size=5).map(tuple),
    st.booleans(),
    st.one_of(st.none(), modseqs),
).flatmap(
    # RFC 7162 3.2.6: VANISHED only in UID FETCH, together with CHANGEDSINCE
    lambda f: st.builds(
        c.Fetch,
        st.just(f.tag),
        st.just(f.sequence),
        st.just(f.attributes),
        st.just(f.uid),
        st.just(f.changedsince),
        st.booleans() if f.uid and f.changedsince is not None else st.just(False),
    )
)
stores = st.builds(
    c.Store,
    tags,
    sequence_sets,
    st.sampled_from(["", "+", "-"]),
    st.booleans(),
    flag_tuples,
    st.booleans(),
    st.one_of(st.none(), modseqs),
)
copies = st.builds(c.Copy, tags, sequence_sets, mailboxes, st.booleans())
moves = st.builds(c.Move, tags, sequence_sets, mailboxes, st.booleans())

_KNOWN_EVENTS = {e.upper() for e in KNOWN_EVENTS}
notify_events = st.one_of(
    st.builds(
        c.NotifyEvent,
        st.just("MessageNew"),
        st.lists(fetch_attrs, max_size=3).map(tuple),
    ),
    st.builds(c.NotifyEvent, st.sampled_from(KNOWN_EVENTS[1:])),
    st.builds(c.NotifyEvent, atoms.filter(lambda a: a.upper() not in _KNOWN_EVENTS)),
)
notify_groups = st.one_of(
    st.builds(
        c.NotifyGroup,
        st.sampled_from(SIMPLE_FILTERS),
        st.just(()),
        st.lists(notify_events, max_size=3).map(tuple),
    ),
    st.builds(
        c.NotifyGroup,
        st.sampled_from(NAMED_FILTERS),
        st.lists(mailboxes, min_size=1, max_size=3).map(tuple),
        st.lists(notify_events, max_size=3).map(tuple),
    ),
)
notifies = st.builds(
    c.Notify,
    tags,
    st.one_of(st.none(), st.lists(notify_groups, min_size=1, max_size=3).map(tuple)),
    st.booleans(),
).map(lambda n: n if n.groups is not None else c.Notify(n.tag))  # NONE has no STATUS

BY_TYPE: dict[type[c.Command], st.SearchStrategy[c.Command]] = {
    c.Capability: _no_args(c.Capability),
    c.Noop: _no_args(c.Noop),
    c.Logout: _no_args(c.Logout),
    c.StartTLS: _no_args(c.StartTLS),
    c.Idle: _no_args(c.Idle),
    c.Check: _no_args(c.Check),
    c.Close: _no_args(c.Close),
    c.Unselect: _no_args(c.Unselect),
    c.Namespace: namespaces,
    c.Id: ids,
    c.Authenticate: authenticates,
    c.Login: logins,
    c.Enable: enables,
    c.Compress: compresses,
    c.Select: selects,
    c.Create: creates,
    c.Delete: deletes,
    c.Rename: renames,
    c.Subscribe: subscribes,
    c.Unsubscribe: unsubscribes,
    c.List: lists(),
    c.Lsub: lsubs,
    c.Status: statuses,
    c.Append: appends,
    c.Expunge: expunges,
    c.Search: searches(),
    c.Fetch: fetches,
    c.Store: stores,
    c.Copy: copies,
    c.Move: moves,
    c.Notify: notifies,
}

any_command = st.one_of(*BY_TYPE.values())
