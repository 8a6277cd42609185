"""The command line, run as a real process (``python -m roost``)."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from roost.auth.passwords import verify_password
from roost.cli.main import main
from roost.config import Config
from roost.storage.sqlite import SqliteStore
from tests.serve_process import start_serve, stop, wait_for_listeners

# Cheap Argon2 so the password commands run in milliseconds.
CONFIG_TOML = 'argon2_time_cost = 1\nargon2_memory_kib = 8192\ndata_dir = "data"\n'


def roost(*args: str, stdin: str = "", cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "roost", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "roost.toml"
    path.write_text(CONFIG_TOML)
    return path


def password_ok(data_dir: Path, name: str, password: str) -> bool:
    store = SqliteStore(data_dir)
    try:
        user = store.get_user(name)
        return user is not None and verify_password(user.password_hash, password)
    finally:
        store.close()


def test_user_add_list_passwd_del(tmp_path: Path, config_file: Path) -> None:
    cfg = ["--config", str(config_file)]
    data = tmp_path / "data"  # relative to the config file
    assert roost("user", "add", "alice", *cfg, stdin="first pass\n").returncode == 0
    assert main(["user", "add", "bob", "--password", "b0b", *cfg]) == 0
    assert password_ok(data, "alice", "first pass")
    listed = roost("user", "list", *cfg)
    assert listed.returncode == 0 and listed.stdout.split() == ["alice", "bob"]

    assert roost("user", "passwd", "alice", *cfg, stdin="second\r\n").returncode == 0
    assert password_ok(data, "alice", "second") and not password_ok(data, "alice", "first pass")
    assert main(["user", "passwd", "bob", "--password", "new", *cfg]) == 0
    assert password_ok(data, "bob", "new")

    assert roost("user", "del", "alice", *cfg).returncode == 0
    store = SqliteStore(data)
    try:
        assert [u.name for u in store.list_users()] == ["bob"]
    finally:
        store.close()


def test_user_errors_exit_1_with_a_message(config_file: Path, capsys, monkeypatch) -> None:
    cfg = ["--config", str(config_file)]
    assert main(["user", "add", "alice", "--password", "x", *cfg]) == 0
    assert main(["user", "add", "alice", "--password", "x", *cfg]) == 1
    assert "already exists" in capsys.readouterr().err
    for args in (("del", "nobody"), ("passwd", "nobody", "--password", "x")):
        assert main(["user", *args, *cfg]) == 1
        assert "no such user" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    assert main(["user", "add", "carol", *cfg]) == 1
    assert "empty" in capsys.readouterr().err


def test_password_read_from_stdin_without_line_end(
    config_file: Path, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("two words\r\nignored\n"))
    assert main(["user", "add", "erin", "--config", str(config_file)]) == 0
    assert password_ok(tmp_path / "data", "erin", "two words")


def test_data_dir_flag_overrides_config(tmp_path: Path, config_file: Path) -> None:
    other = tmp_path / "other"
    code = main(
        [
            "user",
            "add",
            "dave",
            "--password",
            "pw",
            "--config",
            str(config_file),
            "--data-dir",
            str(other),
        ]
    )
    assert code == 0
    assert password_ok(other, "dave", "pw")
    assert not (tmp_path / "data").exists()


def test_tls_cert_needs_key(tmp_path: Path, capsys) -> None:
    code = main(["serve", "--data-dir", str(tmp_path), "--tls-cert", str(tmp_path / "c.pem")])
    assert code == 1
    assert "--tls-key" in capsys.readouterr().err


def test_serve_defaults(tmp_path: Path) -> None:
    from roost.cli.main import build_parser, config_from

    config = config_from(build_parser().parse_args(["serve"]))
    assert config == Config()
    assert str(config.data_dir) == "roost-data"
    assert (config.imap, config.imaps) == ("127.0.0.1:1143", "127.0.0.1:1993")


def test_serve_greets_and_stops_on_sigterm(tmp_path: Path, config_file: Path) -> None:
    process = start_serve(
        "--config", str(config_file), "--imap", "127.0.0.1:0", "--imaps", "127.0.0.1:0"
    )
    try:
        ports, lines = wait_for_listeners(process, 2)
        assert len(ports) == 2, "".join(lines)
        assert any("tls-self-signed-created" in line for line in lines)
        with socket.create_connection(("127.0.0.1", ports["imap"]), timeout=10) as sock:
            assert sock.recv(1024).startswith(b"* OK [CAPABILITY ")
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
            rest = sock.recv(1024)
            assert rest.startswith(b"* BYE")
    finally:
        output = stop(process)
    assert "stopped" in output
    assert (tmp_path / "data" / "tls" / "cert.pem").exists()


def test_serve_reports_a_busy_port(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = roost(
            "serve", "--data-dir", str(tmp_path / "d"), "--imap", f"127.0.0.1:{port}", "--imaps", ""
        )
    assert result.returncode == 1
    assert "cannot start the server" in result.stderr


def test_module_entry_point_help() -> None:
    result = roost("--help")
    assert result.returncode == 0 and "serve" in result.stdout and "user" in result.stdout
    assert os.path.exists(Path(__file__).parents[2] / "roost" / "__main__.py")
