"""The Python API: ``engql.Client``, its ``Result`` and ``to_pandas``."""

from __future__ import annotations

import sqlite3
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

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
    reasons,
    unlimited_answer,
    use_credentials,
)

import engql
from engql.client import CredentialsMissing
from engql.executor.result import SHOWN_ROWS
from engql.executor.runner import RefusalKind, RunFailed, RunOptions
from engql.running import sandbox_settings
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
    assert failed.value.kind is RefusalKind.UNOWNED
    assert failed.value.kind == "unowned"  # the word docs/running.md gives
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
    assert reasons(statement.missing) == {IDS_600[7]: "unavailable (deleted or not public)"}
    assert result.missing == statement.missing
    rows = statement.rows()
    assert isinstance(rows, list) and len(rows) == 599
    assert statement.columns() == ["tweet_id", "favorites", "retweets", "replies"]
    assert statement.rows("grand_total") == [
        {m: int(n) for m, n in statement.answer["grand_total"].items()}
    ]
    assert statement.to_json()["missing"] == {IDS_600[7]: "unavailable (deleted or not public)"}
    assert (result.stats.requests, result.stats.sent) == (3, 3)
    (warning,) = result.warnings()
    assert warning.code == "W601" and IDS_600[7] in warning.message


def test_client_runs_a_plan(api: Sandbox) -> None:
    plan = compile_for(HISTORICAL_QUERY, IDS_30)
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
    assert failed.value.kind is RefusalKind.AUTH
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


def dtypes(frame: Any) -> dict[str, str]:
    return {name: str(dtype) for name, dtype in frame.dtypes.items()}


TEXT = ("str", "object")
"""pandas 3's text dtype, and pandas 2's."""


def test_to_pandas_gives_typed_columns(api: Sandbox) -> None:
    pandas = pytest.importorskip("pandas")
    result = client_for(api).run(HISTORICAL_QUERY, params={"ids": IDS_30[:3]}, now=NOW)
    frame = result.to_pandas()
    found = dtypes(frame)
    assert found.pop("day") in TEXT
    assert found == {
        "tweet_id": "int64",
        "bucket_start": "datetime64[ns, UTC]",
        "impressions": "int64",
        "engagements": "int64",
        "favorites": "int64",
    }
    rows = result.statements[0].rows()
    assert frame["tweet_id"].tolist() == [int(row["tweet_id"]) for row in rows]
    assert frame["bucket_start"].tolist() == [pandas.Timestamp(r["bucket_start"]) for r in rows]
    assert frame["impressions"].tolist() == [row["impressions"] for row in rows]
    long = result.to_pandas(grouping="hour_of_day", long=True)
    found = dtypes(long)
    assert found.pop("hour") in TEXT and found.pop("metric") in TEXT
    assert found == {"value": "int64"}
    assert long["hour"].iloc[0] == "00"


def test_to_pandas_of_an_empty_answer_has_the_same_dtypes(
    engql_sandbox_factory: SandboxFactory,
) -> None:
    pytest.importorskip("pandas")
    api = engql_sandbox_factory(now=NOW, unavailable=IDS_30[:3])
    result = client_for(api).run(HISTORICAL_QUERY, params={"ids": IDS_30[:3]}, now=NOW)
    assert result.statements[0].rows() == []
    empty = result.to_pandas()
    assert len(empty) == 0
    assert dtypes(empty) == dtypes(
        client_for(engql_sandbox_factory(now=NOW))
        .run(HISTORICAL_QUERY, params={"ids": IDS_30[:3]}, now=NOW)
        .to_pandas()
    )


def test_a_result_shows_a_summary_in_a_repl(api: Sandbox) -> None:
    result = client_for(api).run(TOTALS_QUERY, params={"ids": IDS_30}, now=NOW)
    seconds = f"{result.stats.seconds:.2f}"
    assert repr(result) == (
        f"<engql.Result: 1 statement, 30 rows, 0 missing Tweets, 1 request in {seconds} s>"
    )
    assert repr(result.statements[0]) == (
        "<engql.StatementResult: statement 1, totals, groupings per_tweet, grand_total, "
        "30 rows, 0 missing Tweets>"
    )


def test_a_result_shows_a_table_per_grouping_in_jupyter(api: Sandbox) -> None:
    result = client_for(api).run(TOTALS_QUERY, params={"ids": IDS_30}, now=NOW)
    shown = result._repr_html_()
    statement = result.statements[0]
    assert shown.count("<table") == 2
    assert "<p>statement 1, grouping <code>per_tweet</code></p>" in shown
    assert "<p>statement 1, grouping <code>grand_total</code></p>" in shown
    first = statement.rows()[0]
    assert (
        f'<tr><td style="text-align: left">{first["tweet_id"]}</td>'
        f'<td style="text-align: right">{first["favorites"]:,}</td>'
    ) in shown
    assert shown.count("<tr><td") == SHOWN_ROWS + 1  # and the grand total's one row
    assert f"<p>… {30 - SHOWN_ROWS} more rows</p>" in shown
    assert "<p>no Tweet is missing</p>" in shown
    seconds = f"{result.stats.seconds:.2f}"
    assert f"<p>1 request in {seconds} s (1 sent, 0 retried, 0 rate limited)</p>" in shown


def test_a_single_table_has_no_header_and_every_cell_is_escaped(api: Sandbox) -> None:
    query = "SELECT favorites FROM totals WHERE tweet = 20 "
    query += 'GROUP BY tweet.id, engagement.type AS "<i>a&b</i>"'
    result = client_for(api).run(query, now=NOW)
    shown = result._repr_html_()
    assert "<i>" not in shown and "statement 1" not in shown
    result = client_for(api).run(query + ";" + query.replace("20", "21"), now=NOW)
    assert (
        "<p>statement 2, grouping <code>&lt;i&gt;a&amp;b&lt;/i&gt;</code></p>"
        in result._repr_html_()
    )


def test_client_collects_into_a_store(api: Sandbox, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'stats.db'}"
    client = client_for(api)
    first = client.collect(HISTORICAL_QUERY, store=url, params={"ids": IDS_30}, now=NOW)
    ran = client.run(HISTORICAL_QUERY, params={"ids": IDS_30}, now=NOW)
    assert first.statements[0].answer == ran.statements[0].answer
    api.log.clear()
    again = client.collect(
        HISTORICAL_QUERY, store=url, settle=timedelta(0), params={"ids": IDS_30}, now=NOW
    )
    assert api.log.entries() == []  # the range ended long before now: all of it settled
    assert again.statements[0].answer == first.statements[0].answer
    with pytest.raises(engql.StoreError, match="sqlite"):
        client.collect(HISTORICAL_QUERY, store="sqlite://", params={"ids": IDS_30}, now=NOW)


def test_client_runs_into_a_store(api: Sandbox, tmp_path: Path) -> None:
    path = tmp_path / "run.db"
    client_for(api).run(TOTALS_QUERY, params={"ids": IDS_30}, now=NOW, into=f"sqlite:///{path}")
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT command, outcome FROM runs").fetchall() == [("run", "ok")]
    nobody = engql.Client(base_url=api.base_url, environ={})
    with pytest.raises(CredentialsMissing):
        nobody.run(TOTALS_QUERY, params={"ids": IDS_30}, into=f"sqlite:///{tmp_path / 'no.db'}")
    assert not (tmp_path / "no.db").exists()  # refused before the store is made


def test_a_client_of_the_sandbox_reads_no_environment(
    api: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENGQL_PROFILE", "nowhere")  # Client() would raise ConfigError
    client = engql.Client.from_settings(sandbox_settings(api))
    assert client.warnings == []
    assert client.run(TOTALS_QUERY, params={"ids": IDS_30}, now=NOW).missing == {}


def test_to_pandas_without_pandas_says_so(api: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """Says what to install, in engql's words, whether or not pandas is installed here."""
    monkeypatch.setitem(sys.modules, "pandas", None)  # `import pandas` fails, as when absent
    client = client_for(api)
    result = client.run(TOTALS_QUERY, params={"ids": IDS_30[:2]}, now=NOW)
    with pytest.raises(ImportError) as caught:
        result.to_pandas()
    assert str(caught.value) == "Result.to_pandas needs pandas: pip install 'engql[pandas]'"
