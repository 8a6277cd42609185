"""A reproducible corpus of realistic mail messages.

``Corpus(seed).message(i)`` returns the same bytes for the same ``(seed, i)``
in any process, so workers can make their own messages and both servers get
exactly the same data. Each message draws its own ``random.Random`` from
``(seed, i)``; the shared text pools are built once per corpus from ``seed``.

What the messages look like (proportions are drawn per message):
- sizes from a log-normal distribution (median about 6 KB), clipped to
  [1 KB, ``max_size``] (default 8 MB): mostly small, a long tail of large ones;
- plain text (quoted-printable or 8bit UTF-8) or multipart/alternative with an
  HTML part; above ~40 KB, multipart/mixed with base64 attachments (PDF, JPEG,
  ZIP names) that make up the target size;
- international headers: names and subjects in several scripts, either RFC
  2047 encoded (B or Q) or raw UTF-8 (RFC 6532), Received chains, threading
  headers, mailing-list headers;
- a known fraction of subjects contain the word "invoice" (``INVOICE_RATE``)
  and senders come from a fixed pool, so SEARCH hit counts are predictable.

``flags(i)`` gives deterministic IMAP flags for loaded mailboxes (about 70 %
\\Seen, 10 % \\Answered, 5 % \\Flagged) and ``internaldate(i)`` a date that
grows with ``i``.
"""

from __future__ import annotations

import base64
import math
import random
from datetime import UTC, datetime, timedelta
from functools import cached_property

from bench.mimeparts import address, multipart, multipart_headers, qp, text_header, wrap

MIN_SIZE = 1_000
DEFAULT_MAX_SIZE = 8_000_000
MEDIAN_SIZE = 6_000
SIGMA = 1.6
INVOICE_RATE = 0.01
EPOCH = datetime(2023, 1, 1, tzinfo=UTC)

# Word pools as one string each (split once at import).
_WORDS = tuple(
    [
        "meeting",
        "project",
        "report",
        "budget",
        "quarter",
        "review",
        "design",
        "server",
        "release",
        "plan",
        "team",
        "update",
        "status",
        "schedule",
        "customer",
        "order",
        "delivery",
        "network",
        "storage",
        "backup",
        "receipt",
        "question",
        "answer",
        "thanks",
        "please",
        "attached",
        "draft",
        "final",
        "summary",
        "notes",
        "agenda",
        "call",
        "monday",
        "friday",
        "tomorrow",
        "morning",
        "afternoon",
        "office",
        "travel",
        "hotel",
        "flight",
        "lunch",
        "dinner",
        "code",
        "test",
        "deploy",
        "issue",
        "ticket",
        "patch",
        "branch",
        "merge",
        "feature",
        "bug",
        "fix",
        "proposal",
        "contract",
    ]
)
_INTL_WORDS = tuple(
    [
        "Grüße",
        "Besprechung",
        "Rechnung",
        "café",
        "naïve",
        "résumé",
        "Überweisung",
        "señor",
        "año",
        "mañana",
        "Ελληνικά",
        "συνάντηση",
        "Привет",
        "встреча",
        "отчёт",
        "会議",
        "報告",
        "請求書",
        "こんにちは",
        "你好",
        "会议",
        "안녕하세요",
        "회의",
        "مرحبا",
        "اجتماع",
        "שלום",
        "פגישה",
    ]
)
_NAMES = tuple(
    [
        "José Müller",
        "Ana García",
        "Zoë Ødegård",
        "Björn Ångström",
        "François Lefèvre",
        "Eleni Papadopoulou",
        "Ελένη Παπαδοπούλου",
        "Дмитрий Иванов",
        "Анна Смирнова",
        "田中 太郎",
        "山田 花子",
        "王 伟",
        "李 娜",
        "김 민준",
        "Ahmed Hassan",
        "أحمد حسن",
        "Noa Levi",
        "נועה לוי",
        "John Smith",
        "Mary Johnson",
        "Alex Brown",
        "Priya Sharma",
        "Chen Wei",
        "Lars Nilsson",
        "Ingrid Bergström",
        "Pierre Dubois",
        "Giulia Rossi",
    ]
)
_DOMAINS = ("example.com", "example.org", "example.net", "mail.example", "corp.example")
_ATTACHMENTS = (
    ("application", "pdf", "Rechnung_2024.pdf"),
    ("image", "jpeg", "IMG_2024.jpg"),
    ("application", "zip", "project-files.zip"),
    ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Budget Q3.xlsx"),
    ("image", "png", "スクリーンショット.png"),
)
_LISTS = ("dev.lists.example", "announce.lists.example", "users.lists.example")


class Corpus:
    """Messages ``0, 1, 2, ...`` of one seed (see the module docstring)."""

    def __init__(self, seed: int = 1, max_size: int = DEFAULT_MAX_SIZE) -> None:
        self.seed = seed
        self.max_size = max(max_size, MIN_SIZE)

    # ------------------------------------------------------------ shared pools

    @cached_property
    def _paragraphs(self) -> list[str]:
        rng = random.Random(self.seed * 7919)
        pool = []
        for _ in range(400):
            words = rng.choices(_WORDS, k=rng.randint(20, 90))
            if rng.random() < 0.3:  # some paragraphs in other scripts
                words += rng.choices(_INTL_WORDS, k=rng.randint(3, 15))
            rng.shuffle(words)
            text = " ".join(words)
            pool.append(wrap(text[0].upper() + text[1:] + "."))
        return pool

    @cached_property
    def senders(self) -> list[tuple[str, str]]:
        """(display name, address) pairs; message i is from ``senders[i % len]``-ish."""
        rng = random.Random(self.seed * 104729)
        out = []
        for n, name in enumerate(_NAMES):
            local = f"user{n:02d}"
            out.append((name, f"{local}@{rng.choice(_DOMAINS)}"))
        return out

    # ------------------------------------------------------------ per message

    def _rng(self, i: int) -> random.Random:
        return random.Random(self.seed * 1_000_003 + i)

    def size_target(self, i: int) -> int:
        rng = self._rng(i)
        size = int(math.exp(rng.gauss(math.log(MEDIAN_SIZE), SIGMA)))
        return min(max(size, MIN_SIZE), self.max_size)

    def internaldate(self, i: int) -> datetime:
        return EPOCH + timedelta(seconds=600 * i + self._rng(i).randint(0, 599))

    def flags(self, i: int) -> tuple[str, ...]:
        rng = random.Random(self.seed * 31 + i)
        out = []
        if rng.random() < 0.7:
            out.append("\\Seen")
        if rng.random() < 0.1:
            out.append("\\Answered")
        if rng.random() < 0.05:
            out.append("\\Flagged")
        return tuple(out)

    def has_invoice(self, i: int) -> bool:
        return random.Random(self.seed * 17 + i).random() < INVOICE_RATE

    def message(self, i: int) -> bytes:
        rng = self._rng(i)
        target = self.size_target(i)
        headers = self._headers(i, rng)
        if target > 40_000:
            body_headers, body = self._mixed(rng, target)
        elif rng.random() < 0.45:
            body_headers, body = self._alternative(rng, target)
        else:
            body_headers, body = self._plain(rng, target)
        head = "".join(f"{name}: {value}\r\n" for name, value in headers + body_headers)
        return head.encode("utf-8") + b"\r\n" + body

    # ------------------------------------------------------------ headers

    def _headers(self, i: int, rng: random.Random) -> list[tuple[str, str]]:
        sender = self.senders[rng.randrange(len(self.senders))]
        rcpts = rng.sample(self.senders, k=rng.randint(1, 3))
        utf8 = rng.random() < 0.1  # RFC 6532 raw UTF-8 headers
        date = self.internaldate(i) - timedelta(seconds=rng.randint(5, 300))
        subject = " ".join(rng.choices(_WORDS, k=rng.randint(2, 7)))
        if rng.random() < 0.25:
            subject += " " + " ".join(rng.choices(_INTL_WORDS, k=rng.randint(1, 3)))
        if self.has_invoice(i):
            subject = "Invoice " + subject
        if rng.random() < 0.3:
            subject = "Re: " + subject
        domain = rng.choice(_DOMAINS)
        out = [
            ("Return-Path", f"<{sender[1]}>"),
            *self._received(rng, date),
            ("Message-ID", f"<{i}.{self.seed}.{rng.getrandbits(40):x}@{domain}>"),
            ("Date", date.strftime("%a, %d %b %Y %H:%M:%S +0000")),
            ("From", address(sender, rng, utf8)),
            ("To", ", ".join(address(r, rng, utf8) for r in rcpts[:2])),
            ("Subject", text_header(subject, rng, utf8)),
            ("MIME-Version", "1.0"),
        ]
        if len(rcpts) > 2:
            out.append(("Cc", address(rcpts[2], rng, utf8)))
        if subject.startswith("Re: ") and i > 0:
            ref = f"<{i - rng.randint(1, min(i, 50))}.{self.seed}.0@{domain}>"
            out += [("In-Reply-To", ref), ("References", ref)]
        if rng.random() < 0.2:
            lst = rng.choice(_LISTS)
            out += [("List-Id", f"<{lst}>"), ("List-Unsubscribe", f"<mailto:leave@{lst}>")]
        return out

    @staticmethod
    def _received(rng: random.Random, date: datetime) -> list[tuple[str, str]]:
        hops = []
        for n in range(rng.randint(1, 3)):
            stamp = (date + timedelta(seconds=n)).strftime("%a, %d %b %Y %H:%M:%S +0000")
            hops.append(
                (
                    "Received",
                    f"from mx{n}.example.net (mx{n}.example.net [192.0.2.{rng.randint(1, 254)}])"
                    f"\r\n\tby mail.example.com with ESMTPS id {rng.getrandbits(48):012x};"
                    f"\r\n\t{stamp}",
                )
            )
        return hops

    # ------------------------------------------------------------ bodies

    def _text(self, rng: random.Random, size: int) -> str:
        parts: list[str] = []
        total = 0
        while total < size:
            para = self._paragraphs[rng.randrange(len(self._paragraphs))]
            parts.append(para)
            total += len(para) + 2
        return "\r\n\r\n".join(parts) + "\r\n"

    def _plain(self, rng: random.Random, target: int) -> tuple[list[tuple[str, str]], bytes]:
        text = self._text(rng, max(target - 900, 200))
        if rng.random() < 0.5:
            return [
                ("Content-Type", "text/plain; charset=utf-8; format=flowed"),
                ("Content-Transfer-Encoding", "8bit"),
            ], text.encode("utf-8")
        return [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Transfer-Encoding", "quoted-printable"),
        ], qp(text)

    def _alternative(self, rng: random.Random, target: int) -> tuple[list[tuple[str, str]], bytes]:
        text = self._text(rng, max((target - 1200) // 2, 200))
        html = "<html><body>" + "".join(f"<p>{p}</p>" for p in text.split("\r\n\r\n"))
        html += "</body></html>\r\n"
        boundary = f"=_alt_{rng.getrandbits(64):016x}"
        body = multipart(
            boundary,
            [
                ("text/plain; charset=utf-8", "quoted-printable", qp(text), None),
                ("text/html; charset=utf-8", "quoted-printable", qp(html), None),
            ],
        )
        return multipart_headers("alternative", boundary), body

    def _mixed(self, rng: random.Random, target: int) -> tuple[list[tuple[str, str]], bytes]:
        inner_boundary = f"=_alt_{rng.getrandbits(64):016x}"
        text = self._text(rng, rng.randint(500, 4000))
        alt = multipart(
            inner_boundary,
            [("text/plain; charset=utf-8", "quoted-printable", qp(text), None)],
        )
        parts = [(f'multipart/alternative; boundary="{inner_boundary}"', None, alt, None)]
        remaining = max(target - len(alt) - 1500, 1000)
        count = 1 if remaining < 300_000 or rng.random() < 0.6 else 2
        for n in range(count):
            raw_size = remaining * 3 // 4 // count  # base64 grows by 4/3
            mtype, subtype, name = _ATTACHMENTS[rng.randrange(len(_ATTACHMENTS))]
            payload = base64.encodebytes(rng.randbytes(raw_size)).replace(b"\n", b"\r\n")
            fname = name if n == 0 else f"{n}-{name}"
            parts.append((f"{mtype}/{subtype}", "base64", payload, fname))
        boundary = f"=_mix_{rng.getrandbits(64):016x}"
        return multipart_headers("mixed", boundary), multipart(boundary, parts)
