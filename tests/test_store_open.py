"""A store that cannot be used is refused in one line before any request is sent.

``engql run FILE --into URL`` against the sandbox, for each way a URL can be wrong in
each database (docs/storage.md, "A store that cannot be used"): the exit code is 2 for
what the URL or its file is, 3 for a database that cannot be reached or refuses; the
sandbox's log stays empty, stderr is the one line ``engql: --into: ...``, and nothing is
written to the database. Also: where a PostgreSQL password may come from, and that it
is never shown; SQLite's WAL, which lets a reader in while a run writes.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from postgres_server import PostgresServer
from run_helpers import IDS_30, NOW_TEXT, Ran, ids_param, use_credentials
from store_helpers import QUERY, ROWS_PER_TWEET, sql

from engql.sandbox.server import Sandbox
from engql.store import Store
from engql.store.schema import VERSION

pytestmark = pytest.mark.usefixtures("no_machine_credentials")

Refused = Callable[[str, int], str]
TWEETS = IDS_30[:3]


RunInto = Callable[..., Ran]


@pytest.fixture
def run_into(
    api: Sandbox, monkeypatch: pytest.MonkeyPatch, engql_run: Callable[..., Ran], tmp_path: Path
) -> RunInto:
    """``engql run`` of QUERY over three Tweets into a store URL, against the sandbox,
    with any more flags."""
    use_credentials(monkeypatch, api)
    query = tmp_path / "q.engql"
    query.write_text(QUERY, encoding="utf-8")

    def run(url: str, *flags: str) -> Ran:
        return engql_run(
            str(query), *ids_param(TWEETS), "--base-url", api.base_url, "--now", NOW_TEXT,
            "--into", url, *flags,
        )  # fmt: skip

    return run


@pytest.fixture
def refused(api: Sandbox, run_into: RunInto) -> Refused:
    """Run into ``url`` and check it was refused with ``code`` in one line, nothing
    sent; returns the message after ``engql: --into: ``."""

    def run(url: str, code: int) -> str:
        ran = run_into(url)
        assert ran.code == code, ran.err
        assert api.log.entries() == []
        assert ran.out == ""
        assert ran.err.endswith("\n") and ran.err.count("\n") == 1, ran.err
        assert ran.err.startswith("engql: --into: "), ran.err
        return ran.err.removeprefix("engql: --into: ").rstrip("\n")

    return run


def file_url(scheme: str, path: Path) -> str:
    return f"{scheme}:///{path}"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://localhost/db", "is not a store URL"),
        ("sqlite://stats.db", "names a file after three slashes"),
        ("duckdb:///", "names a file after three slashes"),
        ("postgresql://localhost:port/db", "is not a PostgreSQL URL"),
    ],
)
def test_a_url_that_names_no_store_is_refused(refused: Refused, url: str, says: str) -> None:
    assert says in refused(url, 2)


@pytest.mark.parametrize(("database", "module"), [("duckdb", "duckdb"), ("postgresql", "psycopg")])
def test_a_missing_driver_is_named_with_the_extra_that_installs_it(
    refused: Refused, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database: str, module: str
) -> None:
    # None in sys.modules is Python's own way to make an import fail, as it does when
    # the package is not installed.
    monkeypatch.setitem(sys.modules, module, None)
    url = (
        file_url(database, tmp_path / "s.duckdb") if database == "duckdb" else "postgresql://u@h/db"
    )
    extra = "duckdb" if database == "duckdb" else "postgres"
    message = refused(url, 2)
    assert f"needs the {module} package: pip install 'engql[{extra}]'" in message
    assert list(tmp_path.glob("s.duckdb*")) == []


@pytest.mark.parametrize("scheme", ["sqlite", "duckdb"])
def test_a_text_file_is_not_a_database_and_is_left_as_it_was(
    refused: Refused, tmp_path: Path, scheme: str
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n" * 100)
    message = refused(file_url(scheme, notes), 2)
    assert "is not a SQLite database" in message or "cannot be opened as a DuckDB" in message
    assert notes.read_text() == "not a database\n" * 100
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("notes")) == ["notes.txt"]


def test_a_file_of_the_other_embedded_database_is_named_for_what_it_is(
    refused: Refused, tmp_path: Path
) -> None:
    import duckdb

    lite, duck = tmp_path / "a.db", tmp_path / "b.duckdb"
    sqlite3.connect(lite).execute("CREATE TABLE t (x)").connection.commit()
    duckdb.connect(str(duck)).close()
    assert refused(file_url("duckdb", lite), 2).endswith(
        f"is a SQLite database, not a DuckDB one; use sqlite:///{lite}"
    )
    assert refused(file_url("sqlite", duck), 2).endswith(
        f"is a DuckDB database, not a SQLite one; use duckdb:///{duck}"
    )


@pytest.mark.parametrize("scheme", ["sqlite", "duckdb"])
def test_a_folder_a_missing_folder_or_a_pipe_is_refused(
    refused: Refused, tmp_path: Path, scheme: str
) -> None:
    assert refused(file_url(scheme, tmp_path), 2).endswith("is a folder, not a database file")
    missing = tmp_path / "no" / "such" / "x.db"
    assert "there is no folder" in refused(file_url(scheme, missing), 2)
    assert not (tmp_path / "no").exists()
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    assert refused(file_url(scheme, pipe), 2).endswith(f"{pipe} is not a file")


def test_a_database_with_tables_of_its_own_is_not_written_to(
    refused: Refused, store_url: str
) -> None:
    sql(store_url, "CREATE TABLE facts (x INTEGER)")
    message = refused(store_url, 2)
    assert "already has tables engql did not make (facts)" in message
    assert tables(store_url) == {"facts"}


def test_a_store_of_a_newer_schema_is_refused(refused: Refused, store_url: str) -> None:
    Store.open(store_url).close()
    sql(store_url, "UPDATE engql_schema SET version = ?", (VERSION + 1,))
    message = refused(store_url, 2)
    assert f"schema version {VERSION + 1}, made by a newer engql" in message
    assert sql(store_url, "SELECT count(*) FROM runs") == [(0,)]


@pytest.mark.parametrize(
    "damage",
    [
        ["DELETE FROM engql_schema"],
        ["INSERT INTO engql_schema (version) VALUES (1)"],
        ["DROP TABLE engql_schema", "CREATE TABLE engql_schema (v TEXT)"],
        ["DROP TABLE engql_schema", "CREATE TABLE engql_schema (version TEXT)",
         "INSERT INTO engql_schema VALUES ('1')"],
    ],
    ids=["empty", "two-rows", "other-column", "text-version"],
)  # fmt: skip
def test_a_damaged_schema_version_is_refused(
    refused: Refused, store_url: str, damage: list[str]
) -> None:
    Store.open(store_url).close()
    for statement in damage:
        sql(store_url, statement)
    assert "the store's engql_schema table is damaged" in refused(store_url, 2)
    assert sql(store_url, "SELECT count(*) FROM runs") == [(0,)]


def test_a_table_changed_by_hand_is_refused(refused: Refused, store_url: str) -> None:
    Store.open(store_url).close()
    sql(store_url, "ALTER TABLE facts DROP COLUMN fetched_at")
    assert "the store's facts table has other columns than engql's" in refused(store_url, 2)


def test_a_url_in_capitals_names_the_same_server(run_into: RunInto, postgres_url: str) -> None:
    assert run_into(postgres_url.replace("postgresql://", "POSTGRES://")).code == 0


def test_an_unreachable_server_is_exit_3(refused: Refused) -> None:
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        message = refused(f"postgresql://someone@127.0.0.1:{port}/store", 3)
    assert message.startswith(f"postgresql://<redacted>@127.0.0.1:{port}/store: cannot connect")
    assert "Connection refused" in message


def test_a_database_the_server_does_not_have_is_exit_3(
    refused: Refused, postgres_server: PostgresServer, postgres_url: str
) -> None:
    assert 'database "nothing_here" does not exist' in refused(
        postgres_server.url(user_of(postgres_url), database="nothing_here"), 3
    )


def test_a_wrong_password_is_exit_3_and_never_shown(
    refused: Refused, postgres_server: PostgresServer, postgres_url: str
) -> None:
    wrong = "not-the-password-1234"
    for url in (
        postgres_server.url(user_of(postgres_url), password=wrong),
        f"{postgres_url}?password={wrong}",
    ):
        message = refused(url, 3)
        assert "password authentication failed for user" in message
        assert wrong not in message
        assert "<redacted>" in message


def test_no_password_anywhere_is_exit_3(
    refused: Refused, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PGPASSWORD")
    assert "no password supplied" in refused(postgres_url, 3)


def test_a_url_without_a_password_takes_it_from_pgpass(
    run_into: RunInto,
    postgres_server: PostgresServer,
    postgres_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.delenv("PGPASSWORD")
    home = tmp_path / "pg-home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    pgpass = home / ".pgpass"
    pgpass.write_text(f"127.0.0.1:{postgres_server.port}:*:*:{postgres_server.password}\n")
    pgpass.chmod(0o600)
    ran = run_into(postgres_url)
    assert ran.code == 0, ran.err
    assert sql(postgres_url, "SELECT count(*) FROM facts") == [(len(TWEETS) * ROWS_PER_TWEET,)]
    assert postgres_server.password not in ran.out + ran.err


def test_a_password_in_the_url_is_never_shown_or_stored(
    api: Sandbox,
    run_into: RunInto,
    postgres_server: PostgresServer,
    postgres_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PGPASSWORD")
    secret = postgres_server.password
    url = postgres_server.url(user_of(postgres_url), password=secret)
    for flags in ((), ("--verbose",), ("--format", "jsonl"), ("--format", "raw")):
        ran = run_into(url, *flags)
        assert ran.code == 0, ran.err
        assert secret not in ran.out + ran.err
    monkeypatch.setenv("PGPASSWORD", secret)
    for row in sql(postgres_url, "SELECT * FROM runs"):
        assert not any(secret in str(value) for value in row)
    assert len(api.log.entries()) == 4


def user_of(url: str) -> str:
    user = urlsplit(url).username
    assert user is not None
    return user


def tables(url: str) -> set[str]:
    """The user tables of a store's database, by plain SQL."""
    if url.startswith("sqlite"):
        rows = sql(url, "SELECT name FROM sqlite_master WHERE type = 'table'")
    elif url.startswith("duckdb"):
        rows = sql(url, "SELECT table_name FROM information_schema.tables")
    else:
        rows = sql(
            url,
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema()",
        )
    return {name for (name,) in rows}


def test_sqlite_lets_a_reader_in_while_a_run_holds_a_write_transaction(tmp_path: Path) -> None:
    url = file_url("sqlite", tmp_path / "wal.db")
    with Store.open(url) as store:
        assert store.query("PRAGMA journal_mode") == [("wal",)]
        with store.db.transaction():
            store.db.execute(
                "INSERT INTO runs (command, query_text, plan_hash, started_at, "
                "requests_planned, outcome) VALUES ('run', '', '', ?, 0, 'running')",
                ("2024-01-01 00:00:00",),
            )
            reader = sqlite3.connect(tmp_path / "wal.db", timeout=0)
            assert reader.execute("SELECT count(*) FROM runs").fetchall() == [(0,)]
            reader.close()
        assert sqlite3.connect(tmp_path / "wal.db").execute(
            "SELECT count(*) FROM runs"
        ).fetchall() == [(1,)]
    assert os.path.exists(tmp_path / "wal.db")
