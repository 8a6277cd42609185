"""``roost``: the command line (argparse, thin).

    roost serve [--config FILE] [--data-dir DIR] [--imap HOST:PORT] [--imaps HOST:PORT]
                [--tls-cert FILE --tls-key FILE] [--allow-plaintext-auth]
    roost user add NAME [--password PASS]
    roost user passwd NAME [--password PASS]
    roost user del NAME
    roost user list

Every command takes ``--config`` / ``--data-dir``. The configuration is
``load_config(--config)`` with the flags applied on top. Errors print one line
on stderr and exit with status 1; the work itself lives in ``serve.py`` and
``users.py``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from roost.cli import CliError, serve, users
from roost.config import Config, load_config


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="TOML configuration file")
    parser.add_argument("--data-dir", type=Path, help="where mail and keys are kept")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="roost", description="roost IMAP server")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("serve", help="run the IMAP server")
    _common(run)
    run.add_argument("--imap", metavar="HOST:PORT", help="cleartext/STARTTLS listener ('' = off)")
    run.add_argument("--imaps", metavar="HOST:PORT", help="implicit TLS listener ('' = off)")
    run.add_argument("--tls-cert", type=Path, metavar="FILE", help="PEM certificate chain")
    run.add_argument("--tls-key", type=Path, metavar="FILE", help="PEM private key")
    run.add_argument(
        "--allow-plaintext-auth",
        action="store_true",
        default=None,
        help="allow LOGIN/AUTHENTICATE without TLS",
    )
    run.add_argument(
        "--processes", type=int, metavar="N", help="worker processes (default 1; one per core)"
    )
    run.set_defaults(handler=serve.run)

    user = commands.add_parser("user", help="manage users")
    actions = user.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, handler, help_text, takes_password in (
        ("add", users.add, "create a user", True),
        ("passwd", users.passwd, "set a user's password", True),
        ("del", users.delete, "delete a user and all their mail", False),
    ):
        action = actions.add_parser(name, help=help_text)
        _common(action)
        action.add_argument("name", metavar="NAME")
        if takes_password:
            action.add_argument(
                "--password", help="the password (default: read from standard input)"
            )
        action.set_defaults(handler=handler)
    listing = actions.add_parser("list", help="list users")
    _common(listing)
    listing.set_defaults(handler=users.list_users)
    return parser


def config_from(args: argparse.Namespace) -> Config:
    """``--config`` file (or defaults) with the command-line flags on top."""
    if (getattr(args, "tls_cert", None) is None) != (getattr(args, "tls_key", None) is None):
        raise CliError("--tls-cert and --tls-key must be given together")
    overrides = {
        "data_dir": args.data_dir,
        "imap": getattr(args, "imap", None),
        "imaps": getattr(args, "imaps", None),
        "tls_cert": getattr(args, "tls_cert", None),
        "tls_key": getattr(args, "tls_key", None),
        "processes": getattr(args, "processes", None),
        "allow_plaintext_auth": getattr(args, "allow_plaintext_auth", None),
    }
    try:
        return load_config(args.config).with_overrides(**overrides)
    except (OSError, ValueError) as exc:
        raise CliError(f"configuration: {exc}") from exc


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = config_from(args)
        return int(args.handler(args, config))
    except CliError as exc:
        print(f"roost: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
