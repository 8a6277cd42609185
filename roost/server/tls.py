"""TLS for the listeners: the server SSLContext and a self-signed pair on first run.

Rules:
- TLS 1.2 is the oldest version offered (RFC 8996 deprecates 1.0 and 1.1;
  RFC 9051 section 11.1 asks for TLS 1.2 or later).
- With no configured certificate the server makes one self-signed pair
  (EC P-256, CN and SAN ``localhost`` plus ``127.0.0.1`` / ``::1``, 10 years)
  in ``data_dir/tls/`` and reuses it afterwards, so clients can pin it. The
  key file is created with mode 0600 and both files are written atomically
  (temporary name, fsync, rename): a crash never leaves half a pair.
- Blocking (key generation, file I/O): call from a worker thread or before
  the event loop serves clients.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from roost.config import Config

CERT_NAME = "cert.pem"
KEY_NAME = "key.pem"
# Long-lived on purpose: a self-signed certificate is trusted by pinning, and
# an expiry would silently break every client that pinned it.
SELF_SIGNED_DAYS = 3650
# A client that opens a connection but never finishes the handshake is dropped
# after this long (it holds a socket and a pending SSL object meanwhile).
HANDSHAKE_TIMEOUT = 30.0


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    """A server-side context with TLS 1.2 as the minimum version."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context


def client_context(cafile: Path) -> ssl.SSLContext:
    """A client context that trusts exactly ``cafile`` (tests, tools)."""
    context = ssl.create_default_context(cafile=str(cafile))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def certificate_files(config: Config) -> tuple[Path, Path, bool]:
    """(cert, key, created): the configured pair, else the self-signed one (made if missing)."""
    if config.tls_cert is not None or config.tls_key is not None:
        if config.tls_cert is None or config.tls_key is None:
            raise ValueError("tls_cert and tls_key must be given together")
        return config.tls_cert, config.tls_key, False
    return ensure_self_signed(config.data_dir / "tls")


def ensure_self_signed(directory: Path) -> tuple[Path, Path, bool]:
    """(cert, key, created) in ``directory``; a new pair only when one is missing."""
    cert_path, key_path = directory / CERT_NAME, directory / KEY_NAME
    if cert_path.is_file() and key_path.is_file():
        return cert_path, key_path, False
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    cert_pem = _self_signed(key).public_bytes(serialization.Encoding.PEM)
    _write_atomically(key_path, key_pem, mode=0o600)
    _write_atomically(cert_path, cert_pem, mode=0o644)
    return cert_path, key_path, True


def _self_signed(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    public = key.public_key()
    san = x509.SubjectAlternativeName(
        [
            x509.DNSName("localhost"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.IPAddress(ipaddress.ip_address("::1")),
        ]
    )
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    # The extensions strict verifiers (Python 3.13's VERIFY_X509_STRICT) insist on.
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))  # tolerate clock skew
        .not_valid_after(now + datetime.timedelta(days=SELF_SIGNED_DAYS))
        .add_extension(san, critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )


def _write_atomically(path: Path, data: bytes, mode: int) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.unlink(missing_ok=True)  # a leftover could carry looser permissions
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(temporary, path)
