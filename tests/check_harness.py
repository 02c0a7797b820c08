"""A validation test harness in the GraphQL-core style: query text in, diagnostics out.

Each diagnostic becomes a ``Found`` (code, line, column, message), so a test states the
exact problems it expects, in order, and where they are. The clock is fixed at ``NOW``
unless a test passes its own ``now``: checking depends on it (future ends, Tweet ages).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import attrs

import engql
from engql import facts

NOW = datetime(2016, 3, 1, tzinfo=UTC)
"""The clock of every check unless a test sets its own."""

Expected = tuple[str, int, int] | tuple[str, int, int, str]
"""(code, line, column) or (code, line, column, a fragment of the message)."""


@attrs.frozen
class Case:
    code: str
    text: str
    expected: list[Expected]
    options: dict[str, Any] = attrs.field(factory=dict)


class Found(NamedTuple):
    """One diagnostic as a test compares it; line and column are None without a place."""

    code: str
    line: int | None
    col: int | None
    message: str


def check(text: str, **options: Any) -> list[engql.Diagnostic]:
    """``engql.check`` with the clock fixed at NOW unless ``now`` is given."""
    options.setdefault("now", NOW)
    return engql.check(text, **options)


def diagnose(text: str, **options: Any) -> list[Found]:
    """Every diagnostic of ``text`` as (code, line, column, message), in reported order."""
    found = []
    for diagnostic in check(text, **options):
        location = diagnostic.location()
        line, col = (location[1], location[2]) if location else (None, None)
        found.append(Found(diagnostic.code, line, col, diagnostic.message))
    return found


def codes(text: str, **options: Any) -> list[str]:
    return [d.code for d in check(text, **options)]


def assert_codes(text: str, expected: Sequence[Expected], **options: Any) -> list[Found]:
    """The diagnostics are exactly ``expected``, in order; returns them for further checks.

    A four-item entry also requires its fourth item to be part of the message.
    """
    found = diagnose(text, **options)
    got = [(f.code, f.line, f.col) for f in found]
    want = [tuple(e[:3]) for e in expected]
    assert got == want, _explain(text, found)
    for item, entry in zip(found, expected, strict=True):
        if len(entry) == 4:
            fragment = entry[3]
            assert fragment in item.message, f"{item.code}: {fragment!r} not in {item.message!r}"
    return found


def assert_case(case: Case, tmp_path: Path) -> None:
    """A case's diagnostics are its expected ones; an IDs file it may read is under tmp_path."""
    options = dict(case.options)
    if options.get("allow_files"):
        options["base_dir"] = tmp_path
    assert_codes(case.text, case.expected, **options)


def assert_valid(text: str, **options: Any) -> None:
    """No diagnostic at all: no error and no warning."""
    found = diagnose(text, **options)
    assert found == [], _explain(text, found)


def body(text: str, **options: Any) -> dict[str, Any]:
    options.setdefault("now", NOW)
    plan = engql.compile(text, **options)
    (request,) = plan.requests
    return request.body


def _explain(text: str, found: list[Found]) -> str:
    lines = [f"query: {text!r}", "found:"]
    lines += [f"  {f.code} {f.line}:{f.col} {f.message}" for f in found] or ["  (nothing)"]
    return "\n".join(lines)


def tweet_created(moment: datetime) -> int:
    """The first Tweet ID of a moment (Snowflake), for IDs of a chosen age."""
    return facts.snowflake_id_at(moment)


def tweet_aged(days: float, now: datetime = NOW) -> int:
    """A Tweet ID created ``days`` days before ``now``."""
    return facts.snowflake_id_at(now - timedelta(days=days))


RECENT = tweet_aged(10)
"""A Tweet ten days old at NOW: no age warning on any endpoint."""
RECENT_2 = tweet_aged(11)
T = RECENT
"""The Tweet of most queries (RECENT)."""
MID_JAN = tweet_created(datetime(2016, 1, 15, tzinfo=UTC))
FEB_RANGE = "time BETWEEN '2016-02-01' AND '2016-02-15'"

"""Two weeks that end before NOW, for /historical."""

TWEETS_PARAM = "SELECT favorites FROM totals WHERE tweet IN :ids"
TIME_PARAMS = (
    f"SELECT impressions FROM historical WHERE tweet = {MID_JAN} AND time BETWEEN :a AND :b"
)
