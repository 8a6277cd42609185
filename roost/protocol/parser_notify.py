"""Parser for NOTIFY (RFC 5465 section 8).

    notify           = "NOTIFY" SP (notify-set / notify-none)
    notify-set       = "SET" [SP "STATUS"] SP event-groups
    notify-none      = "NONE"
    event-groups     = event-group *(SP event-group)
    event-group      = "(" filter-mailboxes SP events ")"
    filter-mailboxes = "selected" / "selected-delayed" / "inboxes" / "personal" /
                       "subscribed" / ("subtree" SP one-or-more-mailbox) /
                       ("mailboxes" SP one-or-more-mailbox)
    events           = ("(" event *(SP event) ")") / "NONE"
    event            = ("MessageNew" [SP "(" fetch-att *(SP fetch-att) ")"]) / atom

Rules: keywords are case-insensitive; an event list without its parentheses
(as in the RFC's own examples) is accepted too; filter names come out upper case and
the events RFC 5465 defines in their canonical spelling. Other event names
are kept as written (``event-ext = atom``): refusing them with
``NO [BADEVENT]`` is the session's job, as are the rules that combine events
(MessageNew with MessageExpunge, message events only under SELECTED), so the
parser answers BAD only for what the grammar rejects.
"""

from __future__ import annotations

from roost.protocol.commands import FetchAttr, Notify, NotifyEvent, NotifyGroup
from roost.protocol.parser_core import Reader
from roost.protocol.parser_fetch import fetch_item

KNOWN_EVENTS = (
    "MessageNew",
    "MessageExpunge",
    "FlagChange",
    "AnnotationChange",
    "MailboxName",
    "SubscriptionChange",
    "MailboxMetadataChange",
    "ServerMetadataChange",
)
_CANONICAL = {name.upper(): name for name in KNOWN_EVENTS}
SIMPLE_FILTERS = ("SELECTED", "SELECTED-DELAYED", "INBOXES", "PERSONAL", "SUBSCRIBED")
NAMED_FILTERS = ("SUBTREE", "MAILBOXES")


def parse_notify(r: Reader, tag: str) -> Notify:
    r.sp()
    if r.try_keyword("NONE"):
        r.end()
        return Notify(tag, None)
    if not r.try_keyword("SET"):
        r.fail("expected SET or NONE")
    r.sp()
    status = r.try_keyword("STATUS")
    if status:
        r.sp()
    groups = r.space_separated(lambda: _event_group(r))
    r.end()
    return Notify(tag, tuple(groups), status)


def _event_group(r: Reader) -> NotifyGroup:
    r.expect(b"(", '"(" starting an event group')
    name = r.keyword("a mailbox filter")
    mailboxes: tuple[str, ...] = ()
    if name in NAMED_FILTERS:
        r.sp()
        mailboxes = _one_or_more_mailbox(r)
    elif name not in SIMPLE_FILTERS:
        r.fail("unknown mailbox filter")
    r.sp()
    events: tuple[NotifyEvent, ...] = ()
    if r.peek() == b"(":
        events = tuple(r.paren(lambda: _event(r)))
    elif not r.try_keyword("NONE"):
        # The examples of RFC 5465 3.1 leave the event list unparenthesized
        # ("(selected MessageNew MessageExpunge)"); some clients copied them.
        events = tuple(r.space_separated(lambda: _event(r)))
    r.expect(b")", '")" ending an event group')
    return NotifyGroup(name, mailboxes, events)


def _one_or_more_mailbox(r: Reader) -> tuple[str, ...]:
    if r.peek() == b"(":
        return tuple(r.paren(r.mailbox))
    return (r.mailbox(),)


def _event(r: Reader) -> NotifyEvent:
    written = r.atom("an event name")
    name = _CANONICAL.get(written.upper(), written)
    atts: tuple[FetchAttr, ...] = ()
    if name == "MessageNew" and r.data.startswith(b" (", r.pos):
        r.sp()
        atts = tuple(r.paren(lambda: fetch_item(r)))
    return NotifyEvent(name, atts)


__all__ = ["KNOWN_EVENTS", "NAMED_FILTERS", "SIMPLE_FILTERS", "parse_notify"]
