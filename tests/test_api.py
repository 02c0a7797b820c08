"""The public Python API: parse, check, compile and format, as a service would use them."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from datetime import UTC, datetime
from importlib import metadata, resources
from pathlib import Path

import pytest

import engql

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2016, 3, 1, tzinfo=UTC)
QUERY = "select favorites from totals where tweet in (697506383516729344) -- one Tweet\n"


def test_exports_are_small_and_stable() -> None:
    assert set(engql.__all__) == {
        "Client",
        "ConfigError",
        "CredentialsMissing",
        "Diagnostic",
        "EngqlError",
        "InsecureURL",
        "Plan",
        "Request",
        "Result",
        "RunFailed",
        "StatementPlan",
        "StatementResult",
        "StoreError",
        "Window",
        "__version__",
        "check",
        "compile",
        "format",
        "parse",
    }


def test_dir_shows_exactly_the_exports() -> None:
    assert dir(engql) == sorted(engql.__all__)
    for name in engql.__all__:
        assert getattr(engql, name) is not None, name
    assert callable(engql.load_ipython_extension)  # what %load_ext asks for; not in dir
    with pytest.raises(AttributeError, match="no attribute 'Executor'"):
        engql.Executor  # noqa: B018  # the attribute access is the test


def test_the_errors_are_those_the_modules_raise() -> None:
    from engql import client, config
    from engql.executor import runner, transport
    from engql.store import url

    assert engql.CredentialsMissing is client.CredentialsMissing
    assert engql.RunFailed is runner.RunFailed
    assert engql.ConfigError is config.ConfigError
    assert engql.StoreError is url.StoreError
    assert engql.InsecureURL is transport.InsecureURL


def test_running_md_names_every_export_and_only_exports() -> None:
    """Its "From Python" section lists what ``engql`` exports, naming the errors as
    ``engql.X``, the way a caller writes them."""
    doc = (ROOT / "docs" / "running.md").read_text(encoding="utf-8")
    section = doc.split("\n## From Python\n")[1].split("\n## ")[0]
    errors = set(re.findall(r"`engql\.(\w+)`", section))
    listed = section.split("- `engql` exports ")[1].split("\n- ")[0]
    names = set(re.findall(r"`(\w+)`", listed))
    assert names | errors == set(engql.__all__)


def test_the_version_is_the_packages_own() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert engql.__version__ == metadata.version("engql") == pyproject["project"]["version"]


def test_importing_engql_loads_no_http_notebook_or_data_library() -> None:
    """Compiling is what a service imports engql for: the run's libraries (urllib3,
    oauthlib), IPython and pandas load only when asked for."""
    probe = (
        "import sys, engql; engql.compile('SELECT favorites FROM totals WHERE tweet = 20'); "
        "print(sorted(m for m in ('urllib3', 'oauthlib', 'IPython', 'pandas', 'engql.client') "
        "if m in sys.modules))"
    )
    ran = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert ran.stdout.strip() == "[]", ran.stderr


def test_package_is_typed() -> None:
    assert resources.files("engql").joinpath("py.typed").is_file()


def test_compile_returns_a_plan_and_format_keeps_its_meaning() -> None:
    plan = engql.compile(QUERY, now=NOW)
    formatted = engql.format(QUERY)
    assert formatted == (
        "SELECT favorites\nFROM totals\nWHERE tweet IN (697506383516729344); -- one Tweet\n"
    )
    assert engql.compile(formatted, now=NOW) == plan
    assert [r.body["tweet_ids"] for r in plan.requests] == [["697506383516729344"]]


def test_compile_raises_with_every_diagnostic() -> None:
    text = "SELECT favorits FROM total WHERE tweet = 0"
    with pytest.raises(engql.EngqlError) as raised:
        engql.compile(text, now=NOW)
    assert [d.code for d in raised.value.diagnostics] == ["E102", "E101", "E303"]
    assert [d.code for d in engql.check(text, now=NOW)] == ["E102", "E101", "E303"]
    assert str(raised.value).startswith("<query>:1:8: error[E102]: unknown metric 'favorits'")


def test_warnings_of_a_good_compile_are_on_the_plan() -> None:
    plan = engql.compile("SELECT favorites, favorites FROM totals WHERE tweet = 5", now=NOW)
    assert [d.code for d in plan.warnings] == ["W101"]


def test_files_are_refused_unless_allowed(tmp_path: Path) -> None:
    (tmp_path / "ids.txt").write_text("5\n")
    text = "SELECT favorites FROM totals WHERE tweet IN FILE 'ids.txt'"
    assert [d.code for d in engql.check(text, now=NOW, base_dir=tmp_path)] == ["E307"]
    plan = engql.compile(text, now=NOW, allow_files=True, base_dir=tmp_path)
    assert plan.requests[0].body["tweet_ids"] == ["5"]


def test_params_bind_python_values() -> None:
    plan = engql.compile(
        "SELECT impressions FROM historical WHERE tweet IN :ids AND time BETWEEN :start AND now",
        now=NOW,
        params={"ids": [697506383516729344, "697506383516729345"], "start": datetime(2016, 2, 10)},
    )
    (request,) = plan.requests
    assert request.body["tweet_ids"] == ["697506383516729344", "697506383516729345"]
    assert (request.body["start"], request.body["end"]) == (
        "2016-02-10T00:00:00Z",
        "2016-03-01T00:00:00Z",
    )


def test_a_naive_clock_is_utc() -> None:
    naive = engql.compile(
        "SELECT impressions FROM historical WHERE tweet = 1 AND time BETWEEN today AND now",
        now=datetime(2016, 3, 1, 10, 30),
    )
    assert naive.requests[0].body["start"] == "2016-03-01T00:00:00Z"
    assert naive.requests[0].body["end"] == "2016-03-01T11:00:00Z"


def test_parse_gives_the_tree_with_places() -> None:
    script = engql.parse(QUERY, name="q.engql")
    (statement,) = script.statements
    assert statement.endpoint.text == "totals"
    assert statement.endpoint.span.start_line_col() == (1, 23)
    assert [c.text for c in script.comments] == ["-- one Tweet"]


def test_reprs_name_every_shown_field_as_attrs_would() -> None:
    (statement,) = engql.parse("SELECT favorites FROM totals WHERE tweet = 20").statements
    assert repr(statement.endpoint) == "Name(text='totals')"  # the span is left out
    assert repr(statement) == (
        "Statement(metrics=(Name(text='favorites'),), endpoint=Name(text='totals'), "
        "conditions=(TweetCondition(tweets=TweetLiteral(value='20', quoted=False)),), "
        "groupings=())"
    )
    plan = engql.compile("SELECT favorites FROM totals WHERE tweet = 20")
    assert repr(plan).startswith("Plan(statements=(StatementPlan(query=Query(index=0, ")
