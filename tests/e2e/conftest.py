"""Fixtures for the end-to-end tests: a real roost server and real IMAP clients.

Each test gets its own server (``roost.server.testing.running_server``) in a fresh
data directory with users alice and bob, so tests never see each other's mail.
The TLS pair is made once per run and passed in, and Argon2 is run with small
parameters, so starting a server is cheap. Clients connect only to 127.0.0.1.

Fixtures: ``server`` (the handle), ``raw`` / ``raw_connect`` (``imapwire.RawClient``),
``imap`` / ``imap_connect`` (``imaplib.IMAP4``), ``client`` / ``client_connect``
(``imapclient.IMAPClient``), and ``sample`` (the messages of ``data/`` with CRLF).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import imaplib
import ipaddress
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .imapwire import Lit, RawClient

DATA = Path(__file__).parent / "data"
SAMPLES = (
    "plain",
    "alternative",
    "mixed",
    "nested",
    "encoded_headers",
    "utf8_headers",
    "related",
    "malformed",
)
PASSWORDS = {"alice": "wonder land 42", "bob": 'b"ob\\secret'}

# Small Argon2 parameters and no failure delay keep logins fast (the delay is
# tested on its own server in test_security.py).
TEST_CONFIG = {
    "argon2_time_cost": 1,
    "argon2_memory_kib": 1024,
    "argon2_parallelism": 1,
    "auth_failure_delay": 0.0,
    "auth_failure_delay_max": 0.0,
}


def load_sample(name: str) -> bytes:
    """A sample message with CRLF line endings (the files are stored with LF)."""
    data = (DATA / f"{name}.eml").read_bytes()
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def quote(value: str) -> str:
    """An IMAP quoted string (for names and passwords the tests write by hand)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made once for the whole run."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def server_factory(tmp_path: Path, tls_files: tuple[Path, Path]) -> Iterator[Callable]:
    """Start servers with extra config overrides; each gets alice and bob."""
    from contextlib import ExitStack

    from roost.server.testing import running_server

    with ExitStack() as stack:
        count = 0

        def start(**overrides: object):
            nonlocal count
            count += 1
            config = dict(TEST_CONFIG, tls_cert=tls_files[0], tls_key=tls_files[1])
            config.update(overrides)
            handle = stack.enter_context(running_server(tmp_path / f"data{count}", **config))
            for name, password in PASSWORDS.items():
                handle.add_user(name, password)
            return handle

        yield start


@pytest.fixture
def server(server_factory: Callable):
    return server_factory()


def _host(server) -> str:
    return getattr(server, "host", "127.0.0.1")


# ---------------------------------------------------------------- raw client


@pytest.fixture
def raw_connect(server) -> Iterator[Callable[..., RawClient]]:
    """``raw_connect(user=None, tls=False, srv=None)``: a RawClient, logged in when user given."""
    opened: list[RawClient] = []

    def connect(user: str | None = None, tls: bool = False, srv=None) -> RawClient:
        srv = srv or server
        port = srv.imaps_port if tls else srv.imap_port
        client = RawClient(_host(srv), port, srv.ssl_context() if tls else None)
        opened.append(client)
        if user:
            result = client.command(f"LOGIN {user} {quote(PASSWORDS[user])}")
            assert result.ok, f"LOGIN {user}: {result}"
        return client

    yield connect
    for client in opened:
        client.close()


@pytest.fixture
def raw(raw_connect: Callable[..., RawClient]) -> RawClient:
    return raw_connect("alice")


def append(client: RawClient, mailbox: str, data: bytes, flags: str = "", date: str = "") -> int:
    """APPEND through the raw client; returns the UID from APPENDUID."""
    args = f"APPEND {mailbox} " + (f"({flags}) " if flags else "") + (f'"{date}" ' if date else "")
    result = client.command(args, Lit(data))
    assert result.ok, f"APPEND failed: {result}"
    assert result.code and result.code.upper().startswith("APPENDUID"), result
    return int(result.code.split()[2])


# ---------------------------------------------------------------- imaplib


@pytest.fixture
def imap_connect(server) -> Iterator[Callable[..., imaplib.IMAP4]]:
    """``imap_connect(user=None, tls=False)``: an imaplib connection."""
    opened: list[imaplib.IMAP4] = []

    def connect(user: str | None = None, tls: bool = False) -> imaplib.IMAP4:
        if tls:
            conn = imaplib.IMAP4_SSL(
                _host(server), server.imaps_port, ssl_context=server.ssl_context(), timeout=15
            )
        else:
            conn = imaplib.IMAP4(_host(server), server.imap_port, timeout=15)
        opened.append(conn)
        if user:
            conn.login(user, PASSWORDS[user])
        return conn

    yield connect
    for conn in opened:
        try:
            if conn.state != "LOGOUT":
                conn.logout()
        except (imaplib.IMAP4.error, OSError):
            conn.shutdown()


@pytest.fixture
def imap(imap_connect: Callable[..., imaplib.IMAP4]) -> imaplib.IMAP4:
    return imap_connect("alice")


# ---------------------------------------------------------------- imapclient


@pytest.fixture
def client_connect(server) -> Iterator[Callable]:
    """``client_connect(user=None, use_uid=True, tls=False)``: an IMAPClient."""
    from imapclient import IMAPClient

    opened: list[IMAPClient] = []

    def connect(user: str | None = None, use_uid: bool = True, tls: bool = False) -> IMAPClient:
        port = server.imaps_port if tls else server.imap_port
        context = server.ssl_context() if tls else None
        conn = IMAPClient(
            _host(server), port, use_uid=use_uid, ssl=tls, ssl_context=context, timeout=15
        )
        conn.normalise_times = False
        opened.append(conn)
        if user:
            conn.login(user, PASSWORDS[user])
        return conn

    yield connect
    for conn in opened:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                conn.logout()
            except Exception:  # noqa: BLE001 - already closed by the test
                with contextlib.suppress(OSError):
                    conn.shutdown()


@pytest.fixture
def client(client_connect: Callable):
    return client_connect("alice")


@pytest.fixture(scope="session")
def sample() -> dict[str, bytes]:
    return {name: load_sample(name) for name in SAMPLES}


def appenduid(response: bytes | str) -> int:
    """The UID in an imapclient APPEND response ``[APPENDUID v uid] ...``."""
    import re

    text = response.decode() if isinstance(response, bytes) else response
    m = re.search(r"APPENDUID \d+ (\d+)\]", text, re.I)
    assert m, f"no APPENDUID in {text!r}"
    return int(m.group(1))


def list_entries(result) -> dict[str, tuple[set[str], str | None, list]]:
    """LIST/LSUB replies as {name: ({attributes lower case}, delimiter, extended items)}."""
    from .imapwire import text

    out = {}
    for name in ("LIST", "LSUB"):
        for values in result.named(name):
            attrs, delim, mailbox = values[0], values[1], values[2]
            out[text(mailbox)] = ({str(a).lower() for a in attrs}, text(delim), values[3:])
    return out


@pytest.fixture(autouse=True)
def no_server_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail a test whose server logged an error (a crash the client may not see)."""
    import logging

    caplog.set_level(logging.WARNING)
    yield
    records = [
        r
        for when in ("setup", "call", "teardown")
        for r in caplog.get_records(when)
        if r.levelno >= logging.ERROR and r.name.startswith("roost")
    ]
    assert not records, [f"{r.name}: {r.getMessage()}" for r in records]
