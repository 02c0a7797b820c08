"""The Python API: ``engql.Client``, its ``Result`` and ``to_pandas``."""

from __future__ import annotations

import sys

import pytest
from run_helpers import (
    FAST,
    HISTORICAL_QUERY,
    IDS_30,
    IDS_600,
    NOW,
    TOTALS_QUERY,
    UNOWNED_QUERY,
    SandboxFactory,
    compile_for,
    credential_values,
    unlimited_answer,
    use_credentials,
)

import engql
from engql.client import CredentialsMissing
from engql.executor.runner import RunFailed, RunOptions
from engql.sandbox.server import Sandbox

pytestmark = pytest.mark.usefixtures("no_machine_credentials")


def client_for(
    api: Sandbox, options: RunOptions | None = None, consumer_secret: str | None = None
) -> engql.Client:
    """A Client with the sandbox's credentials as arguments, reading no environment."""
    c = api.credentials
    return engql.Client(
        consumer_key=c.consumer_key,
        consumer_secret=consumer_secret or c.consumer_secret,
        access_token=c.access_token,
        access_token_secret=c.access_token_secret,
        bearer_token=c.bearer_token,
        base_url=api.base_url,
        options=options,
        environ={},
    )


def test_client_raises_run_failed_for_unowned_tweets(
    engql_sandbox_factory: SandboxFactory,
) -> None:
    api = engql_sandbox_factory(now=NOW, unowned=[IDS_30[0]])
    client = client_for(api)
    with pytest.raises(RunFailed) as failed:
        client.run(UNOWNED_QUERY, params={"ids": IDS_30}, now=NOW)
    assert failed.value.kind == "unowned"
    assert IDS_30[0] in failed.value.message


def test_client_runs_text_and_returns_a_result(engql_sandbox_factory: SandboxFactory) -> None:
    api = engql_sandbox_factory(now=NOW, unavailable=[IDS_600[7]])
    client = client_for(api, FAST)
    assert "secret" not in repr(client).lower()
    for value in credential_values(api):
        assert value not in repr(client) and value not in repr(client.settings)
    result = client.run(TOTALS_QUERY, params={"ids": IDS_600}, now=NOW)
    assert isinstance(result, engql.Result)
    (statement,) = result.statements
    assert statement.grouping_names == ["per_tweet", "grand_total"]
    assert statement.missing == {IDS_600[7]: "unavailable (deleted or not public)"}
    assert result.missing == statement.missing
    rows = list(statement.rows())
    assert len(rows) == 599
    assert statement.columns() == ["tweet_id", "favorites", "retweets", "replies"]
    assert list(statement.rows("grand_total")) == [
        {m: int(n) for m, n in statement.answer["grand_total"].items()}
    ]
    assert statement.to_json()["missing"] == {IDS_600[7]: "unavailable (deleted or not public)"}
    assert (result.stats.requests, result.stats.sent) == (3, 3)
    (warning,) = result.warnings()
    assert warning.code == "W601" and IDS_600[7] in warning.message


def test_client_runs_a_plan(api: Sandbox) -> None:
    plan = compile_for(api, HISTORICAL_QUERY, IDS_30)
    client = client_for(api)
    result = client.run(plan)
    assert result.statements[0].answer == unlimited_answer(plan)


def test_client_reads_the_environment(api: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    use_credentials(monkeypatch, api)
    monkeypatch.setenv("ENGQL_BASE_URL", api.base_url)
    result = engql.Client().run(TOTALS_QUERY, params={"ids": IDS_30})
    assert result.missing == {}


def test_client_without_credentials_raises_before_sending(api: Sandbox) -> None:
    client = engql.Client(base_url=api.base_url, environ={})
    with pytest.raises(CredentialsMissing, match="set ENGQL_BEARER_TOKEN"):
        client.run(TOTALS_QUERY, params={"ids": IDS_30})
    assert api.log.entries() == []


def test_client_with_a_wrong_secret_raises_run_failed(api: Sandbox) -> None:
    client = client_for(api, consumer_secret="y" * 50)
    with pytest.raises(RunFailed) as failed:
        client.run(UNOWNED_QUERY, params={"ids": IDS_30[:1]}, now=NOW)
    assert failed.value.kind == "auth"
    assert "y" * 12 not in str(failed.value)


def test_to_pandas_gives_the_rows(api: Sandbox) -> None:
    pandas = pytest.importorskip("pandas")
    client = client_for(api)
    result = client.run(TOTALS_QUERY, params={"ids": IDS_30}, now=NOW)
    frame = result.to_pandas()
    assert isinstance(frame, pandas.DataFrame)
    assert list(frame.columns) == ["tweet_id", "favorites", "retweets", "replies"]
    assert len(frame) == 30


def test_to_pandas_without_pandas_says_so(api: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """Says what to install, in engql's words, whether or not pandas is installed here."""
    monkeypatch.setitem(sys.modules, "pandas", None)  # `import pandas` fails, as when absent
    client = client_for(api)
    result = client.run(TOTALS_QUERY, params={"ids": IDS_30[:2]}, now=NOW)
    with pytest.raises(ImportError) as caught:
        result.to_pandas()
    assert str(caught.value) == "Result.to_pandas needs pandas: pip install 'engql[pandas]'"
