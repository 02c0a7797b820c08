"""docs/storage.md says what the code does: the schema's tables list exactly the columns
of engql/store/schema.py (names, kinds, which may be NULL), the kinds table what each
database makes of them, the outcomes and missing kinds those the code writes; and each
SQL example runs, and finds rows, against a store filled by the doc's own query with a
real ``engql run --into`` on the sandbox, in each database it is written for.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from run_helpers import NOW, NOW_TEXT, Ran, ids_param, tweets, use_credentials
from store_helpers import sql

from engql.cli import main
from engql.executor.missing import MissingKind
from engql.sandbox.server import Sandbox
from engql.store import sink
from engql.store.duckdb import DuckDatabase
from engql.store.postgres import PostgresDatabase
from engql.store.schema import COLUMNS, NULLABLE
from engql.store.sqlite import SqliteDatabase
from engql.store.store import RUNNING

DOC = Path(__file__).parent.parent / "docs" / "storage.md"
TEXT = DOC.read_text(encoding="utf-8")
TWEETS = tweets(4, NOW - timedelta(days=9), timedelta(days=2))
"""Created in the last days the doc's query asks about; the first one deleted."""
DELETED = TWEETS[0]


def block(name: str) -> str:
    """The text between ``<!-- name... -->`` and ``<!-- /name -->``."""
    found = re.search(rf"<!-- {name}[^>]*-->\n(.*?)<!-- /{name.split(':')[0]} -->", TEXT, re.S)
    assert found, f"no {name} block in {DOC.name}"
    return found.group(1)


def table_rows(text: str) -> list[list[str]]:
    """A markdown table's body rows, each cell stripped, without the header."""
    rows = [line for line in text.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in rows[2:]]


def code(cell: str) -> str:
    assert cell.startswith("`") and cell.endswith("`"), cell
    return cell[1:-1]


def test_every_table_and_column_is_documented_as_the_schema_makes_it() -> None:
    documented = set(re.findall(r"<!-- columns: (\w+) -->", TEXT))
    assert documented == set(COLUMNS)
    for table, columns in COLUMNS.items():
        rows = table_rows(block(f"columns: {table}"))
        shown = [(code(name), code(kind), null == "null") for name, kind, null, _ in rows]
        assert shown == [(name, kind, (table, name) in NULLABLE) for name, kind in columns]
        assert all(meaning for *_, meaning in rows)


def test_the_kinds_are_what_each_database_makes() -> None:
    rows = table_rows(block("kinds"))
    databases = (SqliteDatabase, DuckDatabase, PostgresDatabase)
    for number, database in enumerate(databases, 1):
        assert {code(row[0]): code(row[number]) for row in rows} == dict(database.types)


def test_the_outcomes_are_those_a_run_writes() -> None:
    shown = {code(row[0]) for row in table_rows(block("outcomes"))}
    written = {*sink.OUTCOMES.values(), sink.REFUSED, sink.INTERRUPTED, sink.CANCELLED}
    assert shown == {*written, sink.FAILED, RUNNING}


def test_the_missing_kinds_are_those_engql_has() -> None:
    (kinds,) = [row[3] for row in table_rows(block("columns: missing")) if row[0] == "`kind`"]
    assert re.findall(r"`(\w+)`", kinds) == [kind.value for kind in MissingKind]


EXAMPLE_QUERY = re.search(r"```engql\n(.*?)```", TEXT, re.S)
SQL_EXAMPLES = re.findall(r"```sql ([a-z ]+)\n(.*?)```", TEXT, re.S)


@pytest.fixture(scope="module")
def shared_sandbox() -> Iterator[Sandbox]:
    with Sandbox(now=NOW, rate_limit=100_000, unavailable=[DELETED]) as api:
        yield api


@pytest.fixture
def filled_store(
    api: Sandbox,
    store_url: str,
    monkeypatch: pytest.MonkeyPatch,
    engql_run: Callable[..., Ran],
    tmp_path: Path,
) -> str:
    """A store filled by the doc's query over four Tweets (one of them deleted)."""
    assert EXAMPLE_QUERY is not None
    query = tmp_path / "stats.engql"
    query.write_text(EXAMPLE_QUERY.group(1), encoding="utf-8")
    use_credentials(monkeypatch, api)
    ran = engql_run(
        str(query), *ids_param(TWEETS), "--base-url", api.base_url,
        "--now", NOW_TEXT, "--into", store_url,
    )  # fmt: skip
    assert ran.code == 5, ran.err
    return store_url


@pytest.mark.usefixtures("no_machine_credentials")
def test_each_sql_example_runs_and_finds_rows(filled_store: str) -> None:
    database = filled_store.partition(":")[0]
    examples = [
        text
        for names, text in SQL_EXAMPLES
        if database in names.split() and "collection" not in names.split()
    ]
    assert len(examples) == 4
    for text in examples:
        found = sql(filled_store, text)
        assert found, text
        assert "FROM facts" not in text or sum(row[-1] for row in found) > 0, text
    (latest,) = [text for text in examples if "FROM missing" in text]
    assert sql(filled_store, latest) == [
        (int(DELETED), "unavailable", "unavailable (deleted or not public)")
    ]


COLLECTION_QUERY = re.search(r"```engql collection\n(.*?)```", TEXT, re.S)


@pytest.mark.usefixtures("no_machine_credentials")
def test_each_collection_example_runs_and_finds_rows(
    store_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The Collections examples, against a store the doc's collection kept for two days."""
    assert COLLECTION_QUERY is not None
    query = tmp_path / "campaign.engql"
    query.write_text(COLLECTION_QUERY.group(1), encoding="utf-8")
    clock = [NOW]
    with Sandbox(now=lambda: clock[0], rate_limit=100_000) as api:
        use_credentials(monkeypatch, api)
        for day in range(2):
            clock[0] = NOW + timedelta(days=day)
            code = main(
                ["collect", str(query), *ids_param(TWEETS), "--base-url", api.base_url,
                 "--now", clock[0].isoformat(), "--store", store_url,
                 "-o", str(tmp_path / "out.json")]
            )  # fmt: skip
            assert code == 0, capsys.readouterr().err
    database = store_url.partition(":")[0]
    examples = [
        text
        for names, text in SQL_EXAMPLES
        if database in names.split() and "collection" in names.split()
    ]
    assert len(examples) == 2
    daily, series = sorted(examples, key=lambda text: "snapshot" in text)
    found = sql(store_url, daily)
    assert {row[0] for row in found} == {int(t) for t in TWEETS}
    assert sum(row[-1] for row in found) > 0
    snapshots = sql(store_url, series)
    assert len(snapshots) == 2 * len(TWEETS), "a snapshot of each Tweet each day"
