"""``engql run`` against the sandbox in each documented form of a partial answer.

Part B §5.3 and §6 show unavailable Tweets with and without an ``errors`` string beside
``unavailable_tweet_ids``, and unowned Tweets named as ``Forbidden to access tweets:
1054424731825229824;``. The sandbox emits either unavailable form
(``--unavailable-form``, ``unavailable_form=``); in each, every Tweet that goes in comes
out answered or missing with its reason, and the exit code says which. No mocks: the
command line talks to the sandbox over loopback.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engql import facts
from engql.cli import main
from engql.executor.unowned import unowned_ids
from engql.sandbox.responses import UNAVAILABLE_FORMS, unowned_refusal
from engql.sandbox.server import Sandbox

NOW = datetime(2024, 7, 1, 12, tzinfo=UTC)
FIRST = datetime(2024, 4, 10, tzinfo=UTC)
IDS = [
    str(
        round((FIRST + n * timedelta(hours=36)).timestamp() * 1000) - facts.SNOWFLAKE_EPOCH_MS << 22
    )
    for n in range(30)
]
"""Two /historical batches, 25 and 5; Tweets created before the range below ends."""
QUERY = """\
SELECT impressions, favorites
FROM historical
WHERE tweet IN :ids
  AND time BETWEEN '2024-04-16' AND '2024-05-28'
GROUP BY tweet.id, engagement.type AS per_tweet
GROUP BY engagement.type AS total;
"""
UNAVAILABLE = "unavailable (deleted or not public)"
NOT_OWNED = "not owned by these credentials"

SandboxFactory = Callable[..., Sandbox]
Run = Callable[..., tuple[int, str, str]]


@pytest.fixture(autouse=True)
def isolated_environment(no_machine_credentials: None) -> None:
    """No credential of the machine; the query file in the working directory."""
    Path("q.engql").write_text(QUERY, encoding="utf-8")


def use(api: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    for line in api.env_lines():
        name, _, value = line.partition("=")
        monkeypatch.setenv(name, value)


@pytest.fixture
def engql_run(capsys: pytest.CaptureFixture[str]) -> Run:
    """``engql run ARGS...`` in this process: exit code, stdout, stderr."""

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(["run", *args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def accounted(merged: dict[str, Any]) -> dict[str, str]:
    """Each Tweet of the query, with "answered" or the reason it is missing; fails when
    one is both or neither."""
    answered = set(merged["per_tweet"])
    missing = merged["missing"]
    assert not answered & set(missing)
    assert answered | set(missing) == set(IDS)
    return {t: missing.get(t, "answered") for t in IDS}


@pytest.mark.parametrize("form", UNAVAILABLE_FORMS)
def test_every_tweet_is_answered_or_missing_with_its_reason(
    form: str,
    engql_sandbox_factory: SandboxFactory,
    monkeypatch: pytest.MonkeyPatch,
    engql_run: Run,
) -> None:
    gone = [IDS[2], IDS[28]]  # one in each batch
    unowned = [IDS[5], IDS[26]]
    api = engql_sandbox_factory(now=NOW, unavailable=gone, unowned=unowned, unavailable_form=form)
    use(api, monkeypatch)
    code, out, err = engql_run(
        "q.engql", "-p", "ids=" + ",".join(IDS), "--on-unowned", "drop", "--now", "2024-07-01"
    )
    assert code == 5, err
    merged = json.loads(out)
    expected = {t: "answered" for t in IDS} | dict.fromkeys(gone, UNAVAILABLE)
    assert accounted(merged) == expected | dict.fromkeys(unowned, NOT_OWNED)
    assert merged["unavailable_tweet_ids"] == gone
    if form == "with-errors":
        assert merged["errors"] == ["2 Tweet ID(s) are unavailable"]
    else:
        assert "errors" not in merged
    for tweet, reason in merged["missing"].items():
        assert f"warning[W601]: Tweet {tweet} is missing: {reason}" in err
    refusals = sorted(e.errors for e in api.log.entries() if e.status == 403)
    texts = [f"Forbidden to access tweets: {tweet};" for tweet in sorted(unowned)]
    assert refusals == [(texts[0],)] * 2 + [(texts[1],)] * 2  # each batch in two windows


def test_unowned_tweets_named_with_the_semicolon_fail_the_run_with_exit_4(
    engql_sandbox_factory: SandboxFactory, monkeypatch: pytest.MonkeyPatch, engql_run: Run
) -> None:
    api = engql_sandbox_factory(now=NOW, unowned=[IDS[7], IDS[3]], rate_limit=10_000)
    use(api, monkeypatch)
    code, out, err = engql_run("q.engql", "-p", "ids=" + ",".join(IDS), "--now", "2024-07-01")
    assert code == 4
    assert out == ""
    assert err.splitlines()[-1] == (
        f"engql: refused: Tweets not owned by these credentials: {IDS[3]}, {IDS[7]}"
    )


def test_the_flag_chooses_the_form_of_engql_sandbox(
    monkeypatch: pytest.MonkeyPatch, engql_run: Run
) -> None:
    """``engql sandbox --unavailable-form ids-only``, then ``engql run`` against it."""
    gone = "1800610451420572802"
    kept = "1797947152269233892"
    Path("p.engql").write_text(
        f"SELECT favorites FROM totals WHERE tweet IN ({kept}, {gone})\n"
        "GROUP BY tweet.id, engagement.type AS per_tweet;\n",
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "engql", "sandbox", "--unavailable", gone]
    process = subprocess.Popen(
        [*command, "--unavailable-form", "ids-only"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        for _ in range(6):
            name, _, value = (
                process.stdout.readline().strip().removeprefix("export ").partition("=")
            )
            monkeypatch.setenv(name, value)
        code, out, err = engql_run("p.engql", "--format", "json")
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert code == 5, err
    merged = json.loads(out)
    assert merged["missing"] == {gone: UNAVAILABLE}
    assert set(merged["per_tweet"]) == {kept}
    assert "errors" not in merged


tweet_id_lists = st.lists(
    st.integers(1, facts.MAX_TWEET_ID).map(str), min_size=1, max_size=6, unique=True
)


@given(tweets=tweet_id_lists, semicolon=st.booleans())
def test_unowned_tweets_are_read_from_every_documented_text(
    tweets: list[str], semicolon: bool
) -> None:
    """``Forbidden to access tweets: 1, 2;`` with or without the ``;``, the sandbox's own
    text, and the 2016 form of one string per author all name the same Tweets."""
    current = f"Forbidden to access tweets: {', '.join(tweets)}" + (";" if semicolon else "")
    assert unowned_ids([current]) == tweets
    assert unowned_ids([unowned_refusal(tweets)]) == tweets
    per_author = [
        f"Forbidden to access tweets for author id {1114564404 + n}: {tweet}"
        for n, tweet in enumerate(tweets)
    ]
    assert unowned_ids(per_author) == tweets
