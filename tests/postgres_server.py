"""A PostgreSQL server of the test session's own, so the stores' tests run against a real
one (conftest.py's ``postgres_server`` fixture; nothing installed by hand is used).

The server comes from the machine's PostgreSQL binaries (``initdb`` and ``postgres`` on
PATH, or Debian's ``/usr/lib/postgresql/N/bin``; .ci/run installs Debian's package when
there are none). It lives in a temporary folder: a new cluster, its unix socket there
too, TCP on a free loopback port only, and ``fsync`` off, since a test server needs no
durability. PostgreSQL refuses to run as root, so under root initdb and the server run
as an unprivileged user (``postgres``, which Debian's package makes, else ``nobody``);
only the child processes change user (``subprocess``'s ``user=``), never the tests.

Local (socket) connections are trusted, for the fixtures' own administration; TCP
connections need a password (SCRAM), so the tests' URLs exercise the password paths:
in the URL, in ``PGPASSWORD``, in ``~/.pgpass``. Each test's store is a role of its own
in one database, ``DATABASE``: PostgreSQL's default ``search_path`` starts with the
schema named after the user, so the role's new schema is where engql makes its tables,
a thousand times faster than a CREATE DATABASE per test.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

INSTALL_HINT = (
    "the PostgreSQL tests need PostgreSQL's server binaries (initdb, postgres): "
    "apt-get install postgresql (Debian, Ubuntu), or put their bin folder on PATH; "
    ".ci/run installs them"
)
ADMIN = "engql_admin"
"""The cluster's superuser; it connects over the unix socket, trusted."""
DATABASE = "engql"
"""The database every test's store is a schema of."""
START_SECONDS = 60.0


class ServerUnavailable(Exception):
    """No server can be started here; the message says why and how to get one."""


def find_bin_dir() -> Path | None:
    """The folder of ``initdb`` and ``postgres``: PATH's, else the newest Debian one."""
    found = shutil.which("initdb")
    candidates = [Path(found).resolve().parent] if found else []
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += sorted(
        map(Path, versions), key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0
    )[::-1]
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "postgres").is_file():
            return folder
    return None


def _server_user() -> str | None:
    """Whom the server runs as: None (this process's user) unless this is root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise ServerUnavailable("running as root, and there is no postgres or nobody user")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class PostgresServer:
    """A running server: ``create_store`` makes the tests' stores, ``url`` other URLs."""

    bin_dir: Path
    root: Path
    port: int
    password: str = field(repr=False)
    """Every store role's password."""
    process: subprocess.Popen[bytes] | None = None
    stores: int = 0

    @property
    def socket_dir(self) -> Path:
        return self.root / "socket"

    def url(self, user: str, *, password: str | None = None, database: str = DATABASE) -> str:
        """A TCP URL for ``user``; without ``password`` libpq finds one elsewhere."""
        secret = f":{password}" if password is not None else ""
        return f"postgresql://{user}{secret}@127.0.0.1:{self.port}/{database}"

    def admin(self, database: str = "postgres") -> Any:
        """A psycopg connection of the superuser, over the socket, autocommit."""
        import psycopg

        return psycopg.connect(
            host=str(self.socket_dir),
            port=self.port,
            user=ADMIN,
            dbname=database,
            autocommit=True,
        )

    def create_store(self) -> str:
        """A new, empty store: a role with the password and a schema of its own in
        DATABASE; its URL, which names no password."""
        self.stores += 1
        user = f"store_{self.stores}"
        with self.admin(DATABASE) as connection:
            connection.execute(f"CREATE ROLE {user} LOGIN PASSWORD {_literal(self.password)}")
            connection.execute(f"CREATE SCHEMA {user} AUTHORIZATION {user}")
        return self.url(user)

    def stop(self) -> None:
        process = self.process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)  # "fast" shutdown: sessions ended, no wait
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(self.root, ignore_errors=True)


def _run_as(user: str | None) -> dict[str, Any]:
    if user is None:
        return {}
    entry = pwd.getpwnam(user)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _environment() -> dict[str, str]:
    """The server's environment: no PG* variable of the machine, a plain locale."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "LC_ALL": "C"}


def start_server() -> PostgresServer:
    """A new cluster, started and ready, with DATABASE; raises
    ServerUnavailable when there are no binaries or no psycopg to reach it with."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise ServerUnavailable(INSTALL_HINT)
    try:
        import psycopg  # noqa: F401  # the fixtures administer the server through it
    except ImportError:
        raise ServerUnavailable(
            "the PostgreSQL tests need psycopg: pip install -e '.[test]'"
        ) from None
    user = _server_user()
    root = Path(tempfile.mkdtemp(prefix="engql-pg-"))
    data, sockets = root / "data", root / "socket"
    sockets.mkdir()
    if user is not None:
        entry = pwd.getpwnam(user)
        for path in (root, sockets):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    server = PostgresServer(bin_dir, root, 0, secrets.token_urlsafe(18))
    try:
        _initdb(server, data, user)
        _start(server, data, user)
        with server.admin() as connection:
            connection.execute(f"CREATE DATABASE {DATABASE}")
    except BaseException:
        server.stop()
        raise
    return server


def _literal(text: str) -> str:
    """A SQL string literal (CREATE ROLE takes no parameters)."""
    return "'" + text.replace("'", "''") + "'"


def _initdb(server: PostgresServer, data: Path, user: str | None) -> None:
    command = [
        str(server.bin_dir / "initdb"),
        "--pgdata",
        str(data),
        "--username",
        ADMIN,
        "--auth-local=trust",
        "--auth-host=scram-sha-256",
        "--encoding=UTF8",
        "--locale=C",
        "--no-sync",
    ]
    done = subprocess.run(
        command,
        cwd=server.root,
        env=_environment(),
        capture_output=True,
        text=True,
        check=False,
        **_run_as(user),
    )
    if done.returncode != 0:
        raise ServerUnavailable(f"initdb failed: {done.stderr.strip() or done.stdout.strip()}")


def _start(server: PostgresServer, data: Path, user: str | None) -> None:
    """Start the server on a free port (another one if that port was taken meanwhile)."""
    log = server.root / "server.log"
    for _ in range(5):
        server.port = _free_port()
        command = [
            str(server.bin_dir / "postgres"),
            "-D",
            str(data),
            "-p",
            str(server.port),
            "-k",
            str(server.socket_dir),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
        ]
        with open(log, "ab") as output:
            server.process = subprocess.Popen(
                command,
                cwd=server.root,
                env=_environment(),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                **_run_as(user),
            )
        if _ready(server):
            return
        text = log.read_text(errors="replace")
        if "could not bind" not in text and "already in use" not in text:
            raise ServerUnavailable(f"the PostgreSQL server did not start: {text[-2000:]}")
    raise ServerUnavailable("the PostgreSQL server found no free port")


def _ready(server: PostgresServer) -> bool:
    """Wait until the server takes connections; False when it exited first."""
    import psycopg

    deadline = time.monotonic() + START_SECONDS
    assert server.process is not None
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        try:
            server.admin().close()
            return True
        except psycopg.OperationalError:
            time.sleep(0.05)
    server.process.kill()
    raise ServerUnavailable(f"the PostgreSQL server was not ready within {START_SECONDS:g} s")


@contextlib.contextmanager
def running_server() -> Iterator[PostgresServer]:
    server = start_server()
    try:
        yield server
    finally:
        server.stop()
