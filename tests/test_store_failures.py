"""A store that fails during a run stops it with one line and exit 3, never a traceback.

Each failure is the database's own: a write refused (a trigger raising SQLite's and
PostgreSQL's disk-full errors), the server ending the connection, a lock another
connection or process holds past the wait. The run stops sending, an -o file keeps
what it had, the batches written before stay whole, and ``runs`` says ``failed`` when
the store still takes that write.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from postgres_server import PostgresServer
from run_helpers import NOW, NOW_TEXT, Ran, ids_param, tweets, use_credentials
from store_helpers import QUERY, ROWS_PER_TWEET, connected, sql

from engql.sandbox.server import Sandbox
from engql.store import Store
from engql.store.url import parse_store_url

pytestmark = pytest.mark.usefixtures("no_machine_credentials")

MANY = tweets(150, datetime(2024, 3, 1, tzinfo=UTC), timedelta(hours=6))
"""Six batches of QUERY."""
REFUSE_INSERTS = {
    "sqlite": [
        "CREATE TRIGGER refuse BEFORE INSERT ON facts "
        "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'could not extend file: No space left on device'; END $$",
        "CREATE TRIGGER refuse BEFORE INSERT ON facts FOR EACH STATEMENT EXECUTE FUNCTION refuse()",
    ],
}
"""A store whose database refuses every new fact, as a full disk makes it."""


@pytest.fixture(scope="module")
def shared_sandbox() -> Iterator[Sandbox]:
    """100 ms over each request, so a run of six batches is still going when it fails."""
    with Sandbox(now=NOW, rate_limit=100_000, latency_ms=100) as api:
        yield api


RunInto = Callable[..., Ran]


@pytest.fixture
def run_into(
    api: Sandbox, monkeypatch: pytest.MonkeyPatch, engql_run: Callable[..., Ran], tmp_path: Path
) -> RunInto:
    use_credentials(monkeypatch, api)
    query = tmp_path / "q.engql"
    query.write_text(QUERY, encoding="utf-8")

    def run(url: str, *flags: str, ids: Sequence[str] = MANY) -> Ran:
        return engql_run(
            str(query), *ids_param(ids), "--base-url", api.base_url, "--now", NOW_TEXT,
            "--into", url, "--no-progress", "--concurrency", "1", *flags,
        )  # fmt: skip

    return run


def one_line(ran: Ran, url: str) -> str:
    """The failure's message: exit 3, one line on stderr naming the store, no data."""
    assert ran.code == 3, ran.err
    assert ran.err.count("\n") == 1 and "Traceback" not in ran.err, ran.err
    prefix = f"engql: --into: {parse_store_url(url).shown}: "
    assert ran.err.startswith(prefix), ran.err
    return ran.err.removeprefix(prefix).rstrip("\n")


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_write_the_database_refuses_stops_the_run(
    api: Sandbox, run_into: RunInto, request: pytest.FixtureRequest, tmp_path: Path, database: str
) -> None:
    if database == "postgresql":
        url: str = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'full.db'}"
    Store.open(url).close()
    for statement in REFUSE_INSERTS[database]:
        sql(url, statement)
    output = tmp_path / "answer.json"
    output.write_text("the answer of yesterday\n")
    ran = run_into(url, "--format", "json", "-o", str(output))
    message = one_line(ran, url)
    assert message in ("database or disk is full", "could not extend file: No space left on device")
    assert output.read_text() == "the answer of yesterday\n"
    assert len(api.log.entries()) < len(MANY) // 25
    assert sql(url, "SELECT outcome, ended_at IS NOT NULL FROM runs") == [("failed", True)]
    assert sql(url, "SELECT count(*) FROM facts") == [(0,)]


def test_a_server_that_ends_the_connection_stops_the_run(
    api: Sandbox, run_into: RunInto, postgres_server: PostgresServer, postgres_url: str
) -> None:
    def end_the_connection() -> None:
        while not api.log.entries():
            time.sleep(0.005)
        with postgres_server.admin() as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                (urlsplit(postgres_url).username,),
            )

    ender = threading.Thread(target=end_the_connection)
    ender.start()
    ran = run_into(postgres_url)
    ender.join()
    message = one_line(ran, postgres_url)
    assert "terminating connection" in message or "server closed the connection" in message
    assert len(api.log.entries()) < len(MANY) // 25
    rows = sql(postgres_url, "SELECT tweet_id, count(*) FROM facts GROUP BY tweet_id")
    assert all(count == ROWS_PER_TWEET for _, count in rows)
    assert len(rows) % 25 == 0


def test_a_sqlite_store_locked_past_the_wait_is_refused_before_anything_is_sent(
    api: Sandbox, run_into: RunInto, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("engql.store.sqlite.BUSY_TIMEOUT_MS", 200)
    url = f"sqlite:///{tmp_path / 'locked.db'}"
    Store.open(url).close()
    with connected(url) as other:
        other.isolation_level = None
        other.execute("BEGIN IMMEDIATE")
        ran = run_into(url, ids=MANY[:3])
        other.execute("ROLLBACK")
    assert one_line(ran, url) == "database is locked"
    assert api.log.entries() == []


def test_a_duckdb_store_another_process_holds_past_the_wait_is_refused(
    api: Sandbox, run_into: RunInto, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("engql.store.duckdb.LOCK_WAIT", 0.5)
    path = tmp_path / "held.duckdb"
    url = f"duckdb:///{path}"
    holder = subprocess.Popen(
        [
            sys.executable, "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print(flush=True); "
            "time.sleep(60)",
            str(path),
        ],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "\n"
        started = time.monotonic()
        ran = run_into(url, ids=MANY[:3])
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert one_line(ran, url) == f"{path} is in use by another process (waited 0.5 s)"
    assert waited >= 0.5
    assert api.log.entries() == []


def test_a_collection_whose_store_fails_after_its_rows_ends_its_output_whole(
    tmp_path: Path,
) -> None:
    """The store refuses the run's last write, once the answer read back from it has
    gone out: exit 3, and the xlsx on stdout is a whole workbook of those rows (XlsxWriter
    writes nothing until it is closed)."""
    from openpyxl import load_workbook

    url = f"sqlite:///{tmp_path / 'campaign.db'}"
    Store.open(url).close()
    sql(
        url,
        "CREATE TRIGGER refuse BEFORE UPDATE ON runs WHEN NEW.outcome <> 'failed' "
        "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END",
    )
    (tmp_path / "q.engql").write_text(QUERY, encoding="utf-8")
    ids = MANY[:3]
    ran = subprocess.run(
        [sys.executable, "-m", "engql", "collect", "q.engql", "--sandbox", "--now", NOW_TEXT,
         "--store", url, "--format", "xlsx", "--no-progress", *ids_param(ids)],
        cwd=tmp_path, capture_output=True, timeout=120,
    )  # fmt: skip
    err = ran.stderr.decode()
    assert ran.returncode == 3, err
    assert err.endswith(": database or disk is full\n") and "Traceback" not in err, err
    (tmp_path / "out.xlsx").write_bytes(ran.stdout)
    sheet = load_workbook(tmp_path / "out.xlsx", read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("tweet_id", "day", "hour")
    assert {row[0] for row in rows[1:]} == set(ids)
    assert len(rows) - 1 == len(ids) * ROWS_PER_TWEET // 2  # wide: a column a metric
    assert sql(url, "SELECT outcome FROM runs") == [("failed",)]
