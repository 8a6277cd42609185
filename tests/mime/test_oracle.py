"""Generated MIME trees: our part tree and decoded leaves agree with Python's email package."""

from __future__ import annotations

import base64
import email
import email.policy
import quopri
from itertools import count

from hypothesis import given, settings
from hypothesis import strategies as st

from roost.mime import analyse, binary_bytes, section_bytes
from roost.protocol.commands import Section
from tests.mime.test_structure import leaves

_text = st.text(alphabet="abcdefghij XYZ.,", max_size=60).map(lambda s: s.encode())
_leaf = st.tuples(
    st.just("leaf"),
    st.sampled_from(["text/plain", "text/html", "application/octet-stream", "image/png"]),
    st.sampled_from(["7bit", "base64", "quoted-printable"]),
    st.binary(max_size=80),
    _text,
)
_tree = st.recursive(
    _leaf,
    lambda kids: st.one_of(
        st.tuples(
            st.just("multi"),
            st.sampled_from(["mixed", "alternative", "related"]),
            st.lists(kids, min_size=1, max_size=3),
        ),
        st.tuples(st.just("message"), kids),
    ),
    max_leaves=8,
)


def render(node: tuple, ids: count, eol: bytes) -> bytes:
    """A MIME entity (header + body) for a generated node."""
    if node[0] == "leaf":
        _, ctype, cte, data, text = node
        if cte == "base64":
            body = base64.encodebytes(data).replace(b"\n", eol).rstrip(eol)
        elif cte == "quoted-printable":
            body = quopri.encodestring(data).replace(b"\n", eol)
        else:
            body = text
        head = b"Content-Type: %s\r\nContent-Transfer-Encoding: %s\r\n" % (
            ctype.encode(),
            cte.encode(),
        )
        return head.replace(b"\r\n", eol) + eol + body
    if node[0] == "message":
        inner = render(node[1], ids, eol)
        return b"Content-Type: message/rfc822" + eol + eol + b"Subject: inner" + eol + inner
    boundary = b"=_b%d" % next(ids)
    out = b'Content-Type: multipart/%s; boundary="%s"' % (node[1].encode(), boundary) + eol + eol
    out += b"preamble" + eol
    for kid in node[2]:
        out += b"--" + boundary + eol + render(kid, ids, eol) + eol
    return out + b"--" + boundary + b"--" + eol + b"epilogue" + eol


def oracle(raw: bytes) -> list[tuple[str, bytes]]:
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    return [
        (m.get_content_type(), m.get_payload(decode=True) or b"")
        for m in msg.walk()
        if not m.is_multipart()
    ]


@settings(max_examples=80, deadline=None)
@given(_tree, st.sampled_from([b"\r\n", b"\n"]))
def test_generated_trees_agree_with_email_package(tree: tuple, eol: bytes) -> None:
    raw = b"From: a@example.com" + eol + render(tree, count(), eol)
    root = analyse(raw).structure
    ours = []
    for number, part in leaves(root):
        data = binary_bytes(raw, root, number)
        assert data is not None
        ours.append((f"{part.type}/{part.subtype}", data))
        assert section_bytes(raw, root, Section(number)) == raw[part.body_start : part.body_end]
    assert ours == oracle(raw)
