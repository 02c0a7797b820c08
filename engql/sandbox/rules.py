"""The emulator's request rules: a decoded JSON body to a ParsedRequest, or its problems.

Every rule of Part A §1-§6 and §11 runs, and every problem comes back at once, one English
string each. Where Part B records the real server's text it is used word for word (the
groupBys message); elsewhere the wording is engql's own. The limits, metrics and keys
come from ``engql.facts``.

Where the API's behaviour is unknown the emulator is the stricter of the choices, so a
body it accepts is one the real service should accept too: a date-time must name its
zone, a grouping name may not be empty or shadow a field of the answer.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import attrs

from engql import facts
from engql.facts import (
    END_FIELD,
    ENGAGEMENT_TYPES_FIELD,
    GROUP_BY_FIELD,
    GROUPINGS_FIELD,
    RANGE_FIELDS,
    REQUIRED_FIELDS,
    START_FIELD,
    TWEET_IDS_FIELD,
)
from engql.record import Record

GROUP_BYS_NOT_SUPPORTED = (
    "One or more of the groupBys you have specified are not supported: ({keys}). "
    "Please adjust your request and try again."
)
"""Part B §4.3, the real server's text; ``keys`` joined with ", " when there are several."""

_HOUR = timedelta(hours=1)
_DIGITS = re.compile(r"[0-9]+")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
    r"(?P<zone>Z|[+-][0-9]{2}:?[0-9]{2})?"
)


@attrs.frozen(repr=False)
class ParsedRequest(Record):
    """A body that passed every rule, with each value resolved."""

    endpoint: str
    tweet_ids: tuple[str, ...]
    """Canonical IDs (digits, no leading zeros) in request order, each once."""
    metrics: tuple[str, ...]
    """In request order, each once."""
    groupings: tuple[tuple[str, tuple[str, ...]], ...]
    """(name, group_by) in request order."""
    window: tuple[datetime, datetime] | None
    """The hour-aligned ``[start, end)`` the answer covers; None on /totals."""
    echo_start: str | None
    echo_end: str | None
    """``start`` and ``end`` as the answer echoes them (/28hr and /historical)."""


def parse_request(endpoint: str, body: object, now: datetime) -> ParsedRequest | list[str]:
    """The request a decoded JSON body makes of ``/endpoint`` at ``now``, or every problem.

    ``endpoint`` must be a name in ``facts.ENDPOINTS`` (the server answers 404 for others).
    """
    api = facts.ENDPOINTS.get(endpoint)
    if api is None:
        raise ValueError(f"unknown endpoint {endpoint!r}")
    if not isinstance(body, dict):
        return [f"the request body must be a JSON object, not {_json_kind(body)}"]
    problems: list[str] = []
    problems.extend(_unknown_fields(api, body))
    tweet_ids = _tweet_ids(api, body, problems)
    metrics = _metrics(api, body, problems)
    groupings = _groupings(api, body, problems)
    window = _window(api, body, now, problems)
    if problems:
        return problems
    echo = (iso(window[0]), iso(window[1])) if window is not None else (None, None)
    return ParsedRequest(endpoint, tweet_ids, metrics, groupings, window, *echo)


def _unknown_fields(api: facts.Endpoint, body: dict[str, object]) -> list[str]:
    known = REQUIRED_FIELDS + RANGE_FIELDS
    fields = REQUIRED_FIELDS + (RANGE_FIELDS if api.takes_time_range else ())
    return [
        f"unknown field '{name}'; a request to /{api.name} has the fields {', '.join(fields)}"
        for name in body
        if name not in known
    ]


def _tweet_ids(
    api: facts.Endpoint, body: dict[str, object], problems: list[str]
) -> tuple[str, ...]:
    """``tweet_ids``: 1 to the endpoint's limit, each a string of digits or an integer
    between 1 and 2^63 - 1; repeats are read once."""
    if TWEET_IDS_FIELD not in body:
        problems.append("tweet_ids is required: a list of Tweet IDs")
        return ()
    values = body[TWEET_IDS_FIELD]
    if not isinstance(values, list):
        problems.append(f"tweet_ids must be a list of Tweet IDs, not {_json_kind(values)}")
        return ()
    if not values:
        problems.append("tweet_ids is empty; give at least one Tweet ID")
    if len(values) > api.max_tweet_ids:
        problems.append(
            f"/{api.name} takes at most {api.max_tweet_ids} Tweet IDs a request; "
            f"this one has {len(values)}"
        )
    ids: dict[str, None] = {}
    for value in values:
        if isinstance(value, str):
            if not _DIGITS.fullmatch(value):
                problems.append(f"Tweet ID {_shown(value)} is not a string of digits")
                continue
            digits = value.lstrip("0")
            # Longer than any 64-bit number; int() would refuse the longest strings anyway.
            number = int(digits or "0") if len(digits) <= 19 else facts.MAX_TWEET_ID + 1
        elif isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            problems.append(
                f"Tweet ID {_shown(value)} is neither a string of digits nor an integer"
            )
            continue
        if not 0 < number <= facts.MAX_TWEET_ID:
            problems.append(
                f"Tweet ID {_shown(value)} is out of range: IDs are positive 64-bit integers"
            )
            continue
        ids[str(number)] = None
    return tuple(ids)


def _metrics(api: facts.Endpoint, body: dict[str, object], problems: list[str]) -> tuple[str, ...]:
    """``engagement_types``: at least one, each a metric the endpoint offers; repeats are
    read once; ``media_clicks`` is named with its replacement."""
    if ENGAGEMENT_TYPES_FIELD not in body:
        problems.append("engagement_types is required: a list of metric names")
        return ()
    values = body[ENGAGEMENT_TYPES_FIELD]
    if not isinstance(values, list):
        problems.append(
            f"engagement_types must be a list of metric names, not {_json_kind(values)}"
        )
        return ()
    if not values:
        problems.append("engagement_types is empty; give at least one metric name")
    metrics: dict[str, None] = {}
    for value in values:
        if not isinstance(value, str):
            problems.append(
                f"engagement type {_shown(value)} must be a string, not {_json_kind(value)}"
            )
        elif value in facts.DEPRECATED_METRICS:
            problems.append(
                f"engagement type '{value}' was replaced by "
                f"'{facts.DEPRECATED_METRICS[value]}'; request that instead"
            )
        elif value not in facts.METRICS:
            problems.append(
                f"unknown engagement type {_shown(value)}; /{api.name} accepts "
                + ", ".join(api.metrics)
            )
        elif value not in api.metrics:
            others = [e.name for e in facts.ENDPOINTS.values() if value in e.metrics]
            problems.append(
                f"engagement type '{value}' is not supported by /{api.name}, "
                f"only by /{' and /'.join(others)}"
            )
        else:
            metrics[value] = None
    return tuple(metrics)


def _groupings(
    api: facts.Endpoint, body: dict[str, object], problems: list[str]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``groupings``: an object of 1 to 3 named ``{"group_by": [keys]}``; keys known to the
    endpoint, none twice in a grouping; a four-key grouping in a documented order, and at
    most one of them."""
    if GROUPINGS_FIELD not in body:
        problems.append(
            'groupings is required: an object of named groupings, each {"group_by": [...]}'
        )
        return ()
    value = body[GROUPINGS_FIELD]
    if not isinstance(value, dict):
        problems.append(
            'groupings must be an object of named groupings, each {"group_by": [...]}, '
            f"not {_json_kind(value)}"
        )
        return ()
    if not value:
        problems.append("groupings is empty; give at least one grouping")
    if len(value) > facts.MAX_GROUPINGS:
        problems.append(
            f"a request holds at most {facts.MAX_GROUPINGS} groupings; this one has {len(value)}"
        )
    groupings = []
    unsupported: dict[str, None] = {}
    four_key: list[str] = []
    for name, grouping in value.items():
        if not name.strip():
            problems.append("a grouping name may not be empty")
        elif name in facts.ANSWER_FIELDS:
            problems.append(
                f"grouping name '{name}' is taken by a field of the response; choose another"
            )
        keys = _group_by(name, grouping, problems)
        if keys is None:
            continue
        for key in keys:
            if key not in api.group_keys:
                unsupported[key] = None
        repeated = [k for k, n in Counter(keys).items() if n > 1]
        for key in repeated:
            problems.append(f"grouping '{name}' names '{key}' more than once")
        known = all(k in facts.GROUP_KEYS for k in keys)
        if len(keys) == 4 and known and not repeated and keys not in facts.FOUR_KEY_ORDERS:
            orders = " or ".join(f"[{', '.join(o)}]" for o in facts.FOUR_KEY_ORDERS)
            problems.append(
                f"grouping '{name}' has four keys in an unsupported order; use {orders}"
            )
        if len(keys) == 4:
            four_key.append(name)
        groupings.append((name, keys))
    if unsupported:
        problems.append(GROUP_BYS_NOT_SUPPORTED.format(keys=", ".join(unsupported)))
    if len(four_key) > facts.MAX_FOUR_KEY_GROUPINGS:
        named = ", ".join(f"'{n}'" for n in four_key)
        problems.append(
            f"a request holds at most {facts.MAX_FOUR_KEY_GROUPINGS} grouping with four keys; "
            f"{named} have four"
        )
    return tuple(groupings)


def _group_by(name: str, grouping: object, problems: list[str]) -> tuple[str, ...] | None:
    if not isinstance(grouping, dict) or GROUP_BY_FIELD not in grouping:
        problems.append(f"grouping '{name}' must be an object {{\"group_by\": [keys]}}")
        return None
    for field in grouping:
        if field != GROUP_BY_FIELD:
            problems.append(
                f"grouping '{name}' has an unknown field '{field}'; a grouping holds only group_by"
            )
    keys = grouping[GROUP_BY_FIELD]
    if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
        problems.append(
            f"grouping '{name}': group_by must be a non-empty list of keys, not {_shown(keys)}"
        )
        return None
    return tuple(keys)


def _window(
    api: facts.Endpoint, body: dict[str, object], now: datetime, problems: list[str]
) -> tuple[datetime, datetime] | None:
    """The hours the answer covers. /historical: start floored and end ceiled to the hour;
    start on or after 2014-09-01, end not after the current hour, start before end, at
    most 28 days. A start alone ends now, an end alone starts 28 days before it, and
    neither means the 4 weeks before the request. /28hr: the last 28 hours and the
    current one (Part A §11). /totals: none."""
    given = [name for name in RANGE_FIELDS if name in body]
    if api.name == "totals":
        if given:
            problems.append("/totals takes no start or end: it reports lifetime totals")
        return None
    if api.name == "28hr":
        if given:
            problems.append("/28hr takes no start or end: it always covers the last 28 hours")
        return floor_hour(now - facts.TWENTY_EIGHT_HOURS), ceil_hour(now)
    last_hour = ceil_hour(now)
    if not given:
        return last_hour - facts.HISTORICAL_MAX_WINDOW, last_hour
    start = _moment(START_FIELD, body[START_FIELD], problems) if START_FIELD in body else None
    end = _moment(END_FIELD, body[END_FIELD], problems) if END_FIELD in body else None
    if end is not None and end > last_hour:
        problems.append(
            f"end {iso(end)} is in the future: after {iso(last_hour)}, the end of the "
            f"current hour (now is {iso(now)})"
        )
        end = None
    if END_FIELD not in body:
        end = last_hour
    if START_FIELD not in body and end is not None:
        if end <= facts.HISTORICAL_EARLIEST:
            problems.append(
                f"end {iso(end)} is not after {facts.HISTORICAL_EARLIEST:%Y-%m-%d}, "
                "the first day of historical data"
            )
            return None
        start = ceil_hour(end) - facts.HISTORICAL_MAX_WINDOW
    if start is not None and start < facts.HISTORICAL_EARLIEST:
        implied = "" if START_FIELD in body else " (28 days before the end, as none is given)"
        problems.append(
            f"start {iso(start)}{implied} is before {facts.HISTORICAL_EARLIEST:%Y-%m-%d}, "
            "the first day of historical data"
        )
        start = None
    if start is None or end is None:
        return None
    if start >= end:
        implied = "" if END_FIELD in body else " (now rounded up to the hour, as no end is given)"
        problems.append(f"start {iso(start)} is not before end {iso(end)}{implied}")
        return None
    window = floor_hour(start), ceil_hour(end)
    span = window[1] - window[0]
    if span > facts.HISTORICAL_MAX_WINDOW:
        implied = "" if END_FIELD in body else "; the end is now, as none is given"
        problems.append(
            f"the window {iso(window[0])} to {iso(window[1])} (on whole hours{implied}) spans "
            f"{_duration(span)}; at most {facts.HISTORICAL_MAX_WINDOW.days} days are allowed"
        )
    return window


def iso(moment: datetime) -> str:
    """``moment`` in UTC as the API writes times; formatted here, like the rounding
    below, rather than with the planner's code."""
    return moment.astimezone(UTC).strftime(facts.WIRE_TIME_FORMAT)


def floor_hour(moment: datetime) -> datetime:
    """The start of the hour that holds ``moment``. The sandbox rounds for itself, not
    with the planner's code, so that the tests that hold the planner to it check two
    independent roundings."""
    return moment.replace(minute=0, second=0, microsecond=0)


def ceil_hour(moment: datetime) -> datetime:
    """``moment`` when it is on the hour, else the start of the next hour."""
    floored = floor_hour(moment)
    return floored if floored == moment else floored + _HOUR


def _moment(field: str, value: object, problems: list[str]) -> datetime | None:
    """An ISO date (midnight UTC) or a date-time with ``Z`` or an offset, in UTC."""
    example = "like 2015-08-01 or 2015-08-01T00:00:00Z"
    if not isinstance(value, str):
        problems.append(
            f"{field} must be an ISO date or date-time ({example}), not {_json_kind(value)}"
        )
        return None
    try:
        if _DATE.fullmatch(value):
            return datetime.combine(date.fromisoformat(value), time(), UTC)
        matched = _DATE_TIME.fullmatch(value)
        if matched and matched["zone"] is None:
            problems.append(f"{field} {_shown(value)} names no time zone; end it with Z for UTC")
            return None
        if matched:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except (ValueError, OverflowError):
        pass
    problems.append(f"{field} {_shown(value)} is not an ISO date or date-time ({example})")
    return None


def _duration(span: timedelta) -> str:
    hours = span.seconds // 3600
    days = f"{span.days} day{'s' if span.days != 1 else ''}"
    return days + (f" {hours} hour{'s' if hours != 1 else ''}" if hours else "")


def _shown(value: object) -> str:
    """How a message quotes a value of the body: text in single quotes, the rest as JSON,
    shortened."""
    try:
        text = f"'{value}'" if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    except ValueError:  # an integer longer than Python will print
        return "(a number too long to show)"
    return text if len(text) <= 60 else text[:57] + "..."


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
