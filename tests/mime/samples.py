"""Sample messages shared by the MIME tests (CRLF line ends unless noted)."""

from __future__ import annotations


def crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("utf-8")


SIMPLE = crlf(
    """Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)
From: Terry Gray <gray@cac.washington.edu>
Subject: IMAP4rev2 WG mtg summary and minutes
To: imap@cac.washington.edu
cc: minutes@CNRI.Reston.VA.US,
   John Klensin <KLENSIN@MIT.EDU>
Message-Id: <B27397-0100000@cac.washington.edu>
MIME-Version: 1.0
Content-Type: TEXT/PLAIN; CHARSET=US-ASCII

Hello Joe, do you think we can meet at 3:30 tomorrow?
Second line.
"""
)

ALTERNATIVE = crlf(
    """From: Alice <alice@example.com>
To: Bob <bob@example.com>
Subject: alt
Content-Type: multipart/alternative; boundary="XYZ"

This is a preamble.
--XYZ
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: quoted-printable

Caf=C3=A9 au lait =
tout de suite
--XYZ
Content-Type: text/html; charset=utf-8

<p>Caf\u00e9</p>
--XYZ--
epilogue here
"""
)

MIXED = crlf(
    """From: Carol <carol@example.com>
To: Dan <dan@example.com>
Subject: report
Message-ID: <m1@example.com>
Content-Type: multipart/mixed; boundary=outer

--outer
Content-Type: text/plain

See attachment.
--outer
Content-Type: application/pdf; name="r.pdf"
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename="r.pdf"
Content-ID: <pdf1@example.com>
Content-Description: The report
Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==
Content-Language: en, de
Content-Location: http://example.com/r.pdf

JVBERi0xLjQKJcfs
j6IKMSAwIG9iago=
--outer--
"""
)

NESTED = crlf(
    """From: Eve <eve@example.com>
To: Frank <frank@example.com>
Subject: Fwd: hello
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=us-ascii

Forwarding.
--b1
Content-Type: message/rfc822

From: Gina <gina@example.com>
To: Eve <eve@example.com>
Subject: =?ISO-8859-1?Q?Gr=FC=DFe?=
Date: Tue, 01 Jan 2002 10:00:00 +0000
Message-ID: <inner@example.com>
Content-Type: multipart/alternative; boundary="b2"

--b2
Content-Type: text/plain

inner plain
--b2
Content-Type: text/html

<b>inner html</b>
--b2--
--b1--
"""
)

DIGEST = crlf(
    """From: list@example.com
Subject: digest
Content-Type: multipart/digest; boundary="d"

--d

From: a@example.com
Subject: one

first
--d
Content-Type: text/plain

not a message
--d--
"""
)
