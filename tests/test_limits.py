"""Untrusted query text: any input gives a result or diagnostics, within documented limits.

A service compiles text it did not write, so no number, length or shape may raise
anything but EngqlError, and every refusal says where and why.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import engql
from engql.diagnostics import Diagnostic
from engql.limits import MAX_DIAGNOSTICS, MAX_SHOWN_COLUMNS, MAX_STATEMENTS

NOW = datetime(2016, 3, 1, tzinfo=UTC)
HUGE = "9" * 5000
"""More digits than Python converts between int and str (4,300 by default)."""
SELECT = "SELECT favorites FROM historical WHERE "
RANGE = " AND time BETWEEN '2016-02-01' AND '2016-02-02';"


def errors(text: str, **options: Any) -> list[tuple[str, int, int]]:
    """(code, line, column) of every error of ``check``; it must not raise."""
    found = []
    for d in engql.check(text, now=NOW, **options):
        if d.is_error:
            loc = d.location()
            assert loc is not None, d.render()
            found.append((d.code, loc[1], loc[2]))
    return found


HUGE_NUMBERS = [
    pytest.param(f"{SELECT}tweet = {HUGE}{RANGE}", {}, ("E303", 1, 48), id="tweet ="),
    pytest.param(f"{SELECT}tweet IN (1, {HUGE}){RANGE}", {}, ("E303", 1, 53), id="ID list"),
    pytest.param(f"{SELECT}tweet IN ('1', '{HUGE}'){RANGE}", {}, ("E303", 1, 55), id="quoted"),
    pytest.param(
        f"{SELECT}tweet = 'https://x.com/a/status/{HUGE}'{RANGE}",
        {},
        ("E303", 1, 48),
        id="URL",
    ),
    pytest.param(
        f"{SELECT}tweet IN :ids{RANGE}", {"params": {"ids": HUGE}}, ("E303", 1, 49), id="-p ids="
    ),
    pytest.param(
        f"{SELECT}tweet IN :ids{RANGE}",
        {"params": {"ids": ["1", HUGE]}},
        ("E303", 1, 49),
        id="params list of str",
    ),
    pytest.param(
        f"{SELECT}tweet IN :ids{RANGE}",
        {"params": {"ids": [10**5000]}},
        ("E303", 1, 49),
        id="params list of int",
    ),
    pytest.param(
        f"{SELECT}tweet = 1 AND time BETWEEN now - {HUGE} days AND now;",
        {},
        ("E402", 1, 67),
        id="time offset",
    ),
    pytest.param(
        f"{SELECT}tweet = 1 AND time BETWEEN :start AND now;",
        {"params": {"start": HUGE}},
        ("E402", 1, 67),
        id="time parameter",
    ),
]


@pytest.mark.parametrize(("text", "options", "expected"), HUGE_NUMBERS)
def test_a_huge_number_is_a_diagnostic_with_its_place(
    text: str, options: dict[str, Any], expected: tuple[str, int, int]
) -> None:
    assert errors(text, **options) == [expected]
    with pytest.raises(engql.EngqlError) as raised:
        engql.compile(text, now=NOW, **options)
    assert [d.code for d in raised.value.diagnostics if d.is_error] == [expected[0]]


@pytest.mark.parametrize(("text", "options", "expected"), HUGE_NUMBERS)
def test_a_huge_number_is_quoted_short(
    text: str, options: dict[str, Any], expected: tuple[str, int, int]
) -> None:
    for d in engql.check(text, now=NOW, **options):
        assert len(d.message) < 200, d.message
        assert all(len(line) < 200 for line in d.render().splitlines()), d.render()


def test_format_keeps_a_huge_time_offset() -> None:
    text = f"{SELECT}tweet = 1 AND time BETWEEN now - 0{HUGE} days AND now;"
    formatted = engql.format(text)
    assert f"now - {HUGE} days" in formatted
    assert engql.format(formatted) == formatted


def test_a_huge_id_parameter_on_the_command_line_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "q.engql"
    path.write_text("SELECT favorites FROM totals WHERE tweet IN :ids;\n")
    result = subprocess.run(
        [sys.executable, "-m", "engql", "check", str(path), "-p", f"ids={HUGE}"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert f"{path}:1:45: error[E303]" in result.stdout
    assert "Traceback" not in result.stderr


_digits = st.integers(4290, 4400).flatmap(
    lambda n: st.sampled_from("0123456789").map(lambda first: first + "9" * n)
)
_places = st.sampled_from(
    [
        "tweet = {n}",
        "tweet = -{n}",
        "tweet = '{n}'",
        "tweet IN ({n})",
        "tweet IN (1, {n}, 2)",
        "tweet IN ('1', {n})",
        "tweet IN (+{n}, '2')",
        "tweet IN ('https://twitter.com/i/web/status/{n}')",
        "tweet IN (1, /* c */ {n})",
        "tweet = 1 AND time BETWEEN now - {n} hours AND now",
        "tweet = 1 AND time BETWEEN today + {n} weeks AND now",
        "tweet IN :ids",
        "tweet = 1 AND time BETWEEN :t AND now",
    ]
)
_bindings = st.sampled_from(["{n}", "1,{n}", "{n}, 2", "https://x.com/u/status/{n}"])


def _outcome(diagnostics: list[Diagnostic]) -> None:
    assert any(d.is_error and d.span is not None for d in diagnostics)
    for d in diagnostics:
        d.render()
        d.to_json()


@given(_places, _digits, _bindings, st.booleans())
def test_any_huge_number_gives_diagnostics_and_never_raises(
    place: str, digits: str, binding: str, as_int: bool
) -> None:
    text = f"SELECT favorites FROM historical WHERE {place.format(n=digits)}{RANGE}"
    bound: Any = binding.format(n=digits)
    if as_int and bound.isdigit():
        bound = [10 ** len(bound)]
    params = {"ids": bound, "t": bound if isinstance(bound, str) else digits}
    _outcome(engql.check(text, now=NOW, params=params))
    with pytest.raises(engql.EngqlError) as raised:
        engql.compile(text, now=NOW, params=params)
    _outcome(list(raised.value.diagnostics))
    try:
        formatted = engql.format(text)
    except engql.EngqlError as error:
        _outcome(list(error.diagnostics))
    else:
        assert engql.format(formatted) == formatted


def test_a_long_line_is_shown_only_around_the_caret() -> None:
    ids = "".join(f"{n}, " for n in range(1, 20_000))
    text = f"SELECT favorites FROM totals WHERE tweet IN ({ids}'x');"
    (d,) = engql.check(text, now=NOW)
    assert d.code == "E304"
    shown = d.render().splitlines()
    col = text.index("'x'") + 1
    assert shown[0] == f"<query>:1:{col}: error[E304]: 'x' is neither a Tweet ID nor a Tweet URL"
    assert shown[1].startswith("1 | ...") and shown[1].endswith(", 19999, 'x');")
    assert shown[2].endswith("^^^") and len(shown[2]) == shown[1].index("'x'") + 3
    assert shown[3] == (
        f"  = note: line 1 is {len(text):,} characters long; "
        f"columns {len(text) - MAX_SHOWN_COLUMNS + 1:,} to {len(text):,} are shown"
    )
    assert max(map(len, shown)) <= MAX_SHOWN_COLUMNS + 40


def test_a_bad_line_of_an_ids_file_is_quoted_as_a_short_marked_excerpt(tmp_path: Path) -> None:
    (tmp_path / "ids.txt").write_text("1\n" + "secret " * 20_000 + "\n2\n")
    text = "SELECT favorites FROM totals WHERE tweet IN FILE 'ids.txt';"
    found = engql.check(text, now=NOW, allow_files=True, base_dir=tmp_path)
    (d,) = [d for d in found if d.code == "E304"]
    shown = d.render()
    assert shown.count("secret") < 40
    assert "'" + "secret " * 8 + "s... (139,999 characters)' is neither" in shown
    assert "2 | secret secret" in shown and shown.splitlines()[1].endswith("...")
    assert "  = note: line 2 is 140,000 characters long; columns 1 to 160 are shown" in shown


def test_more_statements_than_the_limit_are_refused_before_parsing() -> None:
    statement = "SELECT favorites FROM totals WHERE tweet = 1;\n"
    assert errors(statement * MAX_STATEMENTS) == []
    (d,) = engql.check(statement * (MAX_STATEMENTS + 1), now=NOW)
    assert (d.code, d.location()) == ("E006", ("<query>", MAX_STATEMENTS + 1, 1, *d.location()[3:]))
    assert d.message == (
        f"the script has {MAX_STATEMENTS + 1:,} statements; the limit is {MAX_STATEMENTS:,}"
    )


@pytest.mark.parametrize(
    "statement",
    ["SELECT ;", "SELECT x FROM totals WHERE tweet = 1;", "SELECT favorites FROM totals;"],
    ids=["syntax", "check", "E301"],
)
def test_checking_stops_at_the_diagnostics_limit(statement: str) -> None:
    found = engql.check(statement * (MAX_DIAGNOSTICS + 500), now=NOW)
    assert len(found) == MAX_DIAGNOSTICS + 1
    assert all(d.code != "E007" for d in found[:-1])
    last = found[-1]
    assert last.code == "E007"
    assert last.location()[:3] == ("<query>", 1, MAX_DIAGNOSTICS * len(statement) + 1)
    assert last.message == (
        f"checking stopped after {MAX_DIAGNOSTICS:,} errors; the rest of the script is not checked"
    )


WARNED = "SELECT favorites FROM totals WHERE tweet IN (20, 20);\n"
"""One W301 a statement, and no error."""


def test_warnings_past_the_limit_are_counted_and_the_script_still_compiles() -> None:
    text = WARNED * (MAX_DIAGNOSTICS + 500)
    found = engql.check(text, now=NOW)
    assert [d.code for d in found] == ["W301"] * MAX_DIAGNOSTICS + ["W001"]
    assert found[-1].location()[:3] == ("<query>", MAX_DIAGNOSTICS + 1, 50)
    assert found[-1].message == (
        f"500 more warnings are not shown: at most {MAX_DIAGNOSTICS:,} problems are listed"
    )
    assert len(engql.compile(text, now=NOW).requests) == MAX_DIAGNOSTICS + 500


def test_an_error_after_many_warnings_is_counted_and_refuses_the_script() -> None:
    text = WARNED * (MAX_DIAGNOSTICS + 500) + "SELECT x FROM totals WHERE tweet = 1;\n"
    found = engql.check(text, now=NOW)
    assert [d.code for d in found] == ["W301"] * MAX_DIAGNOSTICS + ["E007"]
    assert found[-1].message == (
        f"501 more problems are not shown, 1 of them errors: "
        f"at most {MAX_DIAGNOSTICS:,} problems are listed"
    )
    with pytest.raises(engql.EngqlError):
        engql.compile(text, now=NOW)


def test_as_many_diagnostics_as_the_limit_are_all_shown() -> None:
    found = engql.check("SELECT ;" * MAX_DIAGNOSTICS, now=NOW)
    assert [d.code for d in found] == ["E002"] * MAX_DIAGNOSTICS


_list_items = st.lists(
    st.one_of(
        st.integers(0, 2**64).map(str),
        st.integers(0, 2**64).map(lambda i: f"'{i}'"),
        st.integers(0, 2**63).map(lambda i: f"'https://x.com/u/status/{i}'"),
        st.sampled_from(["+20", "-7", "007", "'007'", "' 12 '", "'x'", "''", "'it''s'"]),
    ),
    min_size=1,
    max_size=30,
)


@given(_list_items)
def test_a_list_read_as_one_token_means_what_the_list_with_a_comment_means(
    items: list[str],
) -> None:
    """The one-token fast paths (IdList, PackedList) agree with the general TweetList path."""
    packed = f"SELECT favorites FROM totals WHERE tweet IN ({', '.join(items)});"
    general = f"SELECT favorites FROM totals WHERE tweet IN (/* c */ {', '.join(items)});"

    def outcome(text: str) -> object:
        try:
            plan = engql.compile(text, now=NOW)
        except engql.EngqlError as error:
            return [(d.code, d.message) for d in error.diagnostics]
        return [r.body for r in plan.requests], [(d.code, d.message) for d in plan.warnings]

    assert outcome(packed) == outcome(general)
