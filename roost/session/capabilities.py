"""The CAPABILITY list, before and after authentication (RFC 9051 section 7.2.2).

Rules:
- Before login only what a client needs to log in is advertised; STARTTLS only
  on a cleartext connection, and LOGINDISABLED (no AUTH=) when cleartext
  logins are refused there (RFC 9051 section 6.2.3, RFC 8314).
- After login the full list; APPENDLIMIT carries the configured literal limit
  (RFC 7889), since the framer refuses bigger literals anyway.
- CONDSTORE and QRESYNC (RFC 7162) only after login: they concern mailboxes.
- NOTIFY (RFC 5465) likewise only after login.
- COMPRESS=DEFLATE (RFC 4978) only after login, where the command is valid
  (``command-auth`` in its grammar). It stays listed once compression is on;
  a second COMPRESS is answered NO [COMPRESSIONACTIVE].
"""

from __future__ import annotations

from roost.config import Config

_COMMON = ("IMAP4rev1", "IMAP4rev2", "SASL-IR", "LITERAL+", "ID", "ENABLE")

_AUTHENTICATED = (
    "IDLE",
    "NAMESPACE",
    "UIDPLUS",
    "MOVE",
    "UNSELECT",
    "CHILDREN",
    "LIST-EXTENDED",
    "LIST-STATUS",
    "SPECIAL-USE",
    "CREATE-SPECIAL-USE",
    "ESEARCH",
    "SEARCHRES",
    "CONDSTORE",
    "QRESYNC",
    "NOTIFY",
    "BINARY",
    "MULTIAPPEND",
    "COMPRESS=DEFLATE",
)

# Listed after APPENDLIMIT so the order reads as in the documentation.
_AUTHENTICATED_TAIL = ("STATUS=SIZE", "UTF8=ACCEPT")

SASL_MECHANISMS = ("PLAIN", "LOGIN")


def plaintext_login_allowed(config: Config, tls: bool) -> bool:
    """May a password travel on this connection (LOGIN, AUTHENTICATE PLAIN/LOGIN)?"""
    return tls or config.allow_plaintext_auth


def pre_auth_capabilities(config: Config, tls: bool) -> list[str]:
    caps = list(_COMMON)
    if not tls:
        caps.append("STARTTLS")
    if plaintext_login_allowed(config, tls):
        caps.extend("AUTH=" + mech for mech in SASL_MECHANISMS)
    else:
        caps.append("LOGINDISABLED")
    return caps


def post_auth_capabilities(config: Config) -> list[str]:
    return [
        *_COMMON,
        *_AUTHENTICATED,
        f"APPENDLIMIT={config.max_literal_size}",
        *_AUTHENTICATED_TAIL,
    ]
