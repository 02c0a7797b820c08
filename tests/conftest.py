"""Hypothesis settings for the suite, and the fixtures several test files share.

Hypothesis has no timing-based failures on a loaded 2-core machine: deadlines and the
"generation is slow" health check measure the machine, not engql, so they are off. In CI
(the CI variable is set) examples are derived from each test's name, so a run is
repeatable; locally they are random, to find new cases.
"""

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from postgres_server import PostgresServer, ServerUnavailable, start_server
from run_helpers import IDS_600, NOW, TOTALS_QUERY, Ran, ids_param, query_file, use_credentials

from engql.cli import main
from engql.sandbox.server import Sandbox

settings.register_profile(
    "engql",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=bool(os.environ.get("CI")),
)
settings.load_profile("engql")


@pytest.fixture
def no_machine_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No real profile and no credential of the machine running the tests: ENGQL_* and
    TWITTER_* unset, HOME and XDG_CONFIG_HOME inside tmp_path, which is the working
    directory."""
    for name in list(os.environ):
        if name.startswith(("ENGQL_", "TWITTER_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def shared_sandbox() -> Iterator[Sandbox]:
    """One sandbox for the tests that need no faults or special Tweets (stopping one
    takes up to half a second); a limit high enough never to be met."""
    with Sandbox(now=NOW, rate_limit=100_000) as api:
        yield api


@pytest.fixture
def api(shared_sandbox: Sandbox) -> Sandbox:
    shared_sandbox.log.clear()
    return shared_sandbox


@pytest.fixture
def engql_run(capsys: pytest.CaptureFixture[str]) -> Callable[..., Ran]:
    """``engql run ARGS...`` in this process; its exit code, stdout and stderr."""

    def run(*args: str) -> Ran:
        capsys.readouterr()
        code = main(["run", *args])
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return run


@pytest.fixture
def totals_run(
    api: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    engql_run: Callable[..., Ran],
) -> Callable[..., Ran]:
    """``engql run`` of TOTALS_QUERY over the first 30 of IDS_600, plus any options."""
    use_credentials(monkeypatch, api)
    query = query_file(TOTALS_QUERY)

    def run(*options: str) -> Ran:
        return engql_run(query, *ids_param(IDS_600[:30]), "--base-url", api.base_url, *options)

    return run


def unavailable(reason: str) -> None:
    """What a test does without something it needs: fail in CI (the CI variable is set),
    where everything must be there, else skip saying how to get it."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's own PostgreSQL server (tests/postgres_server.py), started when the
    first test needs it and stopped at the end."""
    try:
        server = start_server()
    except ServerUnavailable as why:
        unavailable(str(why))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """A new, empty store of the session's server as a URL that names no password:
    PGPASSWORD holds it, and no other PG* variable of the machine is seen."""
    for name in list(os.environ):
        if name.startswith("PG"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PGPASSWORD", postgres_server.password)
    return postgres_server.create_store()


STORE_DATABASES = ("sqlite", "duckdb", "postgresql")


@pytest.fixture(params=STORE_DATABASES)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a new, empty store in each database: a file in tmp_path (SQLite,
    DuckDB) or a new database of the session's PostgreSQL server."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("postgres_url")
        return url
    if request.param == "duckdb":
        try:
            import duckdb  # noqa: F401
        except ImportError:
            unavailable("the DuckDB tests need duckdb: pip install -e '.[test]'")
    return f"{request.param}:///{tmp_path / 'store'}.{request.param}"
