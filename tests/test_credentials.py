"""engql/credentials.py: the one rule of which credential a request is sent with (a bearer
token where it suffices and is set, OAuth 1.0a otherwise), checked against what the
sandbox saw, and the credentials' values kept out of reprs and output."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from run_helpers import Ran, credentials_of, query_file, use_credentials

import engql
from engql import facts
from engql.config import Settings
from engql.credentials import Credentials, Scheme
from engql.executor.runner import Executor
from engql.redact import REDACTED, scrub
from engql.sandbox.server import Sandbox

pytestmark = pytest.mark.usefixtures("no_machine_credentials")

PUBLIC = "SELECT favorites FROM totals WHERE tweet = 1260294888811347969;"
"""Public metrics on /totals: a bearer token suffices."""
PRIVATE = "SELECT impressions FROM totals WHERE tweet = 1260294888811347969;"
"""impressions: OAuth 1.0a user context is needed."""


@pytest.mark.parametrize(
    ("query", "bearer", "scheme", "seen"),
    [
        (PUBLIC, True, Scheme.BEARER, "app"),
        (PUBLIC, False, Scheme.OAUTH1, "user"),
        (PRIVATE, True, Scheme.OAUTH1, "user"),
        (PRIVATE, False, Scheme.OAUTH1, "user"),
    ],
    ids=["public-with-bearer", "public-without-bearer", "private-with-bearer", "private"],
)
def test_bearer_where_it_suffices_and_is_set_oauth_otherwise(
    api: Sandbox, query: str, bearer: bool, scheme: Scheme, seen: str
) -> None:
    credentials = credentials_of(api, bearer=bearer)
    plan = engql.compile(query)
    assert credentials.scheme_for(plan.statements[0].auth) is scheme
    Executor(credentials, api.base_url).run(plan)
    assert [entry.auth for entry in api.log.entries()] == [seen]
    assert [entry.status for entry in api.log.entries()] == [200]


@pytest.mark.parametrize(("bearer", "word"), [(True, "Bearer"), (False, "OAuth 1.0a")])
def test_dry_run_names_the_kind_the_rule_gives(
    api: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    engql_run: Callable[..., Ran],
    bearer: bool,
    word: str,
) -> None:
    use_credentials(monkeypatch, api, bearer=bearer)
    ran = engql_run(query_file(PUBLIC), "--base-url", api.base_url, "--dry-run")
    assert ran.code == 0, ran.err
    (printed,) = [json.loads(line) for line in ran.out.splitlines()]
    assert printed["headers"]["Authorization"] == f"{word} {REDACTED}"
    assert printed["url"] == api.base_url + facts.ENDPOINTS["totals"].path
    assert api.log.entries() == []


def test_from_settings_takes_the_credentials_and_hides_them() -> None:
    values = {
        "consumer_key": "ck-Zq81vNwPaLm3",
        "consumer_secret": "cs-8fJ2kQmZ0pLx",
        "access_token": "12-at-Ww0qXbe9Tr",
        "access_token_secret": "ats-Yc5uR1nVdO",
        "bearer_token": "AAAA-bt-Hs7eKp2",
    }
    credentials = Credentials.from_settings(Settings(**values, base_url="http://127.0.0.1:1"))
    assert credentials == Credentials(**values)
    for value in values.values():
        assert value not in repr(credentials)
        assert scrub(f"sent {value}") == f"sent {REDACTED}"
    assert "bearer_token=<hidden>" in repr(credentials)
    assert "access_token=None" in repr(Credentials())


def test_missing_for_names_the_variables_to_set() -> None:
    bearer_only = Credentials(bearer_token="AAAA-bt-Hs7eKp2")
    assert bearer_only.missing_for(facts.APP_AUTH) == []
    assert bearer_only.missing_for(facts.USER_AUTH) == [
        "ENGQL_CONSUMER_KEY",
        "ENGQL_CONSUMER_SECRET",
        "ENGQL_ACCESS_TOKEN",
        "ENGQL_ACCESS_TOKEN_SECRET",
    ]
    assert Credentials().missing_for(facts.APP_AUTH) == ["ENGQL_BEARER_TOKEN"]
    with pytest.raises(ValueError, match="auth is 'app' or 'user', not 'bearer'"):
        Credentials().missing_for("bearer")


def test_missing_for_all_names_the_four_oauth_values_where_one_statement_needs_them() -> None:
    """The four OAuth 1.0a values sign public statements too, so a script with a user
    context statement needs them and nothing else: a bearer token would not do."""
    nothing, keys_only = Credentials(), Credentials(consumer_key="ck-1", consumer_secret="cs-1")
    four = [
        "ENGQL_CONSUMER_KEY",
        "ENGQL_CONSUMER_SECRET",
        "ENGQL_ACCESS_TOKEN",
        "ENGQL_ACCESS_TOKEN_SECRET",
    ]
    assert nothing.missing_for_all([facts.APP_AUTH, facts.USER_AUTH]) == four
    assert nothing.missing_for_all([facts.USER_AUTH]) == four
    assert nothing.missing_for_all([facts.APP_AUTH, facts.APP_AUTH]) == ["ENGQL_BEARER_TOKEN"]
    assert nothing.missing_for_all([]) == []
    assert keys_only.missing_for_all([facts.APP_AUTH, facts.USER_AUTH]) == four[2:]
    with pytest.raises(ValueError, match="not 'bearer'"):
        nothing.missing_for_all(["bearer"])


@pytest.mark.usefixtures("no_machine_credentials")
@pytest.mark.parametrize(
    ("statements", "named"),
    [
        (["totals", "28hr"], "ENGQL_ACCESS_TOKEN, ENGQL_ACCESS_TOKEN_SECRET, "
         "ENGQL_CONSUMER_KEY, ENGQL_CONSUMER_SECRET"),
        (["historical"], "ENGQL_ACCESS_TOKEN, ENGQL_ACCESS_TOKEN_SECRET, "
         "ENGQL_CONSUMER_KEY, ENGQL_CONSUMER_SECRET"),
        (["totals"], "ENGQL_BEARER_TOKEN"),
    ],
)  # fmt: skip
def test_engql_run_names_only_what_the_query_needs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, statements: list[str], named: str
) -> None:
    from engql.cli import main

    query = tmp_path / "q.engql"
    query.write_text(
        "".join(
            f"SELECT favorites FROM {endpoint} WHERE tweet = 1260294888811347969"
            + (" AND time BETWEEN now - 2 days AND now" if endpoint == "historical" else "")
            + ";\n"
            for endpoint in statements
        )
    )
    assert main(["run", str(query), "--base-url", "http://127.0.0.1:9"]) == 3
    assert capsys.readouterr().err == (
        f"engql: credentials missing for this query: set {named} "
        "(or use a profile: engql configure)\n"
    )
