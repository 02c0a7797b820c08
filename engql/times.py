"""Time expressions to UTC datetimes: ISO literals, ``now``, ``today`` and offsets."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from engql.diagnostics import shortened
from engql.facts import WIRE_TIME_FORMAT
from engql.syntax import ast

_HOUR = timedelta(hours=1)
_UNITS = {"days": timedelta(days=1), "hours": timedelta(hours=1), "weeks": timedelta(weeks=1)}
_MAX_OFFSET_DIGITS = len(str(timedelta.max.days))
"""More digits than the most days a timedelta holds are out of range in any unit."""


class BadTime(ValueError):
    """A time that cannot be read; the message says what was given."""


def parse_time_text(text: str, now: datetime) -> datetime:
    """An ISO date (midnight UTC) or date-time (UTC when it names no offset), or now/today."""
    word = text.strip().lower()
    if word in {"now", "today"}:
        return _anchor(word, now)
    try:
        if len(word) == 10:
            return datetime.combine(date.fromisoformat(word), time(), UTC)
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadTime(
            f"'{shortened(text)}' is not an ISO date or date-time "
            "(like 2016-02-10 or 2016-02-10T17:00:00Z)"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def resolve_time(expr: ast.TimeLiteral | ast.TimeRelative, now: datetime) -> datetime:
    if isinstance(expr, ast.TimeLiteral):
        return parse_time_text(expr.text, now)
    moment = _anchor(expr.anchor, now)
    if expr.amount is None or expr.unit is None:
        return moment
    if len(expr.amount) > _MAX_OFFSET_DIGITS:
        raise BadTime(f"an offset of {len(expr.amount):,} digits is out of the range of dates")
    step = _UNITS[expr.unit] * int(expr.amount)
    return moment - step if expr.sign == "-" else moment + step


def time_from_value(value: str | date | datetime, now: datetime) -> datetime:
    """A parameter's value as a time: a datetime (UTC when naive), a date or text."""
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, date):
        return datetime.combine(value, time(), UTC)
    return parse_time_text(value, now)


def as_utc(moment: datetime) -> datetime:
    """A naive datetime is taken as UTC; an aware one is converted."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _anchor(word: str, now: datetime) -> datetime:
    now = now.astimezone(UTC)
    return now if word == "now" else datetime.combine(now.date(), time(), UTC)


def iso(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ``, the form the API takes (Part A §3)."""
    return moment.astimezone(UTC).strftime(WIRE_TIME_FORMAT)


def floor_hour(moment: datetime) -> datetime:
    """The start of the hour that holds ``moment``: where the API puts a ``start``."""
    return moment.replace(minute=0, second=0, microsecond=0)


def ceil_hour(moment: datetime) -> datetime:
    """``moment`` on the hour, else the start of the next hour: where the API puts an
    ``end``, and the latest end it accepts when ``moment`` is now (Part A §3)."""
    floored = floor_hour(moment)
    return floored if floored == moment else floored + _HOUR
