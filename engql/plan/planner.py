"""The planning stage: validated queries to HTTP requests with their exact JSON bodies.

IDs go in consecutive batches of the endpoint's limit (Part A §2); a /historical range
is aligned to the hour and cut into windows of at most 28 days (Part A §3). Every
request records which batch and window it covers, so the executor can merge answers.

A range that ends in the current hour (``... AND now``) is sent with the end of that
hour: the API judges "in the future" after rounding up to the hour, so it accepts it,
and the body says exactly which hours the request covers. (Sending the clock's time
instead, to the second, lost the current hour in the first second of an hour.)
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import attrs

from engql import facts
from engql.check import Query
from engql.diagnostics import Diagnostic
from engql.record import Record
from engql.times import ceil_hour, floor_hour, iso


@attrs.frozen(repr=False)
class Window(Record):
    """``[start, end)`` of one /historical request, on whole hours."""

    start: datetime
    end: datetime


@attrs.frozen(repr=False)
class Request(Record):
    """One HTTP request of a plan: where it goes, the auth it needs, what it carries."""

    statement: int
    endpoint: str
    url: str
    auth: str
    """"app": an app-only bearer token suffices; "user": OAuth 1.0a user context is needed."""
    body: dict[str, Any]
    batch: int
    window: int | None

    @property
    def tweet_ids(self) -> list[str]:
        ids: list[str] = self.body[facts.TWEET_IDS_FIELD]
        return ids

    def to_json(self, with_statement: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {"statement": self.statement} if with_statement else {}
        data.update(
            endpoint=self.endpoint,
            url=self.url,
            auth=self.auth,
            batch=self.batch,
            window=self.window,
            body=self.body,
        )
        return data


@attrs.frozen(repr=False)
class StatementPlan(Record):
    """The requests of one statement: batches times windows, all with the same auth."""

    query: Query
    auth: str
    batch_size: int
    batch_count: int
    windows: tuple[Window, ...]
    requests: tuple[Request, ...] = attrs.field(repr=False)

    @property
    def window_count(self) -> int:
        return max(len(self.windows), 1)


@attrs.frozen(repr=False)
class Plan(Record):
    """A compiled script: one StatementPlan per statement, and the warnings found."""

    statements: tuple[StatementPlan, ...]
    warnings: tuple[Diagnostic, ...] = attrs.field(eq=False)

    @property
    def requests(self) -> list[Request]:
        return [r for s in self.statements for r in s.requests]


def split_windows(start: datetime, end: datetime) -> tuple[Window, ...]:
    """Consecutive windows of at most 28 days covering [floor(start), ceil(end))."""
    first, last = floor_hour(start), ceil_hour(end)
    windows = []
    while first < last:
        stop = min(first + facts.HISTORICAL_MAX_WINDOW, last)
        windows.append(Window(first, stop))
        first = stop
    return tuple(windows)


def batches(ids: list[str], size: int) -> Iterator[list[str]]:
    for at in range(0, len(ids), size):
        yield ids[at : at + size]


def plan_query(query: Query, base_url: str = facts.DEFAULT_BASE_URL) -> StatementPlan:
    endpoint = facts.ENDPOINTS[query.endpoint]
    auth = facts.auth_for(endpoint.name, query.metrics)
    windows = split_windows(*query.time_range) if query.time_range else ()
    url = base_url.rstrip("/") + endpoint.path
    requests = []
    batch_count = 0
    for batch_index, batch in enumerate(batches(query.tweet_ids, endpoint.max_tweet_ids)):
        batch_count += 1
        for window_index, window in enumerate(windows or (None,)):
            body: dict[str, Any] = {
                facts.TWEET_IDS_FIELD: batch,
                facts.ENGAGEMENT_TYPES_FIELD: list(query.metrics),
                facts.GROUPINGS_FIELD: {
                    name: {facts.GROUP_BY_FIELD: list(keys)} for name, keys in query.groupings
                },
            }
            if window is not None:
                body[facts.START_FIELD] = iso(window.start)
                body[facts.END_FIELD] = iso(window.end)
            requests.append(
                Request(
                    query.index,
                    endpoint.name,
                    url,
                    auth,
                    body,
                    batch_index,
                    window_index if window is not None else None,
                )
            )
    return StatementPlan(query, auth, endpoint.max_tweet_ids, batch_count, windows, tuple(requests))


def plan_queries(
    queries: list[Query], warnings: list[Diagnostic], base_url: str = facts.DEFAULT_BASE_URL
) -> Plan:
    return Plan(tuple(plan_query(q, base_url) for q in queries), tuple(warnings))
