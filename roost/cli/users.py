"""``roost user add|passwd|del|list``: account administration on the data directory.

Passwords come from ``--password`` or standard input: ``getpass`` (asked twice)
when it is a terminal, else one line (its line ending removed), so scripts can
pipe them in without putting them on the command line. Passwords are hashed
with the configured Argon2 parameters and never printed.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from roost.auth.passwords import hash_password
from roost.cli import CliError
from roost.config import Config
from roost.storage.interface import StorageError, StorageErrorKind
from roost.storage.sqlite import SqliteStore


@contextmanager
def _opened(config: Config, name: str = "") -> Iterator[SqliteStore]:
    """The store of ``config.data_dir``, closed afterwards; storage errors about
    user ``name`` become ``CliError``."""
    config.data_dir.mkdir(parents=True, exist_ok=True)
    store = SqliteStore(config.data_dir)
    try:
        yield store
    except StorageError as exc:
        raise _user_error(exc, name) from exc
    finally:
        store.close()


def read_password(given: str | None) -> str:
    """``--password`` or standard input (see the module docstring); never empty."""
    if given is not None:
        password = given
    elif sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            raise CliError("passwords do not match")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise CliError("the password must not be empty")
    return password


def add(args: argparse.Namespace, config: Config) -> int:
    password = read_password(args.password)
    with _opened(config, args.name) as store:
        if store.get_user(args.name) is not None:
            raise CliError(f"user {args.name!r} already exists")
        store.create_user(args.name, hash_password(password, config))
    return 0


def passwd(args: argparse.Namespace, config: Config) -> int:
    with _opened(config, args.name) as store:
        if store.get_user(args.name) is None:
            raise CliError(f"no such user {args.name!r}")
        password = read_password(args.password)
        store.set_password(args.name, hash_password(password, config))
    return 0


def delete(args: argparse.Namespace, config: Config) -> int:
    with _opened(config, args.name) as store:
        store.delete_user(args.name)
    return 0


def list_users(args: argparse.Namespace, config: Config) -> int:
    with _opened(config) as store:
        for user in store.list_users():
            print(user.name)
    return 0


def _user_error(exc: StorageError, name: str) -> CliError:
    if exc.kind is StorageErrorKind.NONEXISTENT:
        return CliError(f"no such user {name!r}")
    if exc.kind is StorageErrorKind.ALREADYEXISTS:
        return CliError(f"user {name!r} already exists")
    return CliError(f"storage error: {exc.message}")
