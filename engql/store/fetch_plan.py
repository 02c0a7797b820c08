"""What a collection sends: the requests for the hours its store lacks, packed.

A /historical or /28hr statement is fetched at the finest grain the API offers, one
4-key grouping (Tweet, metric, day, hour), so that any later question over those hours
is answered from the store. A Tweet needs the hours of its statement's window that are
not settled for every metric the statement asks; /totals statements are fetched as they
are, each time (a snapshot).

Packing: /historical windows lie on a grid of 28-day cells counted back from the latest
hour needed, so the new hours of a daily collection fall in one cell. Each cell becomes
one window, from the first to the last hour any Tweet needs in it, and the Tweets that
need it share batches of 25: requests are what a contract limits, so a Tweet may be sent
a few stored hours again to share a batch with the others. /28hr takes no window: a Tweet
that needs any of its hours is in a batch. Each cell is a fetch statement of its own, so
a Tweet is in one batch of each, and why it is missing from one cell's answer (a request
given up) is not mixed up with what another cell's answer says of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import attrs

from engql import facts
from engql.check import Query
from engql.plan.planner import Plan, Request, StatementPlan, Window, batches, plan_query
from engql.record import Record
from engql.store.hours import Hours, Run, epoch_hour, hour_start, intersection, minus, union
from engql.times import ceil_hour, floor_hour, iso

PUBLIC_COUNTS_HOUR = epoch_hour(facts.PUBLIC_COUNTS_START)
HOURS_GROUPING = "hours"
"""The name of a fetch request's one grouping."""
HOURLY_KEYS = facts.FOUR_KEY_ORDERS[0]
CELL_HOURS = facts.HISTORICAL_MAX_WINDOW // timedelta(hours=1)
TIME_SERIES = ("historical", "28hr")


def query_window(query: Query) -> Run:
    """The hours a /historical or /28hr statement's answer covers (Part A §3, §11)."""
    if query.endpoint == "28hr":
        start = floor_hour(query.now - facts.TWENTY_EIGHT_HOURS)
        return epoch_hour(start), epoch_hour(ceil_hour(query.now))
    if query.time_range is not None:
        start, end = query.time_range
        return epoch_hour(floor_hour(start)), epoch_hour(ceil_hour(end))
    end = ceil_hour(query.now)
    return epoch_hour(end - facts.HISTORICAL_MAX_WINDOW), epoch_hour(end)


def answered(endpoint: str, metric: str, hours: Hours) -> Hours:
    """The hours of ``hours`` whose counts of ``metric`` the endpoint reads from the data.
    /historical reads favorites, replies and retweets before 2015-09-15 as zero (Part A
    §5) while /28hr has their counts: those hours of /historical are not fetched, stored
    or covered, and read as zero."""
    if endpoint == "historical" and metric in facts.PUBLIC_COUNTS_METRICS:
        return minus(hours, [(0, PUBLIC_COUNTS_HOUR)])
    return hours


Covered = Mapping[tuple[int, str], Hours]
"""(Tweet ID, metric) → its settled hours in the store."""


@attrs.define(repr=False)
class Need(Record):
    """The hours one Tweet lacks on one endpoint, and the metrics it lacks them for."""

    hours: Hours = attrs.field(factory=list)
    metrics: set[str] = attrs.field(factory=set)


@attrs.frozen(repr=False)
class StatementCoverage(Record):
    """What the store holds of one time-series statement: (Tweet, window) pairs of its
    direct plan whose hours are all settled, of how many."""

    tweets: int
    hours: int
    stored: int
    pairs: int


@attrs.frozen(repr=False)
class FetchPlan(Record):
    """The requests a collection sends, and which user statement each fetch serves.

    ``plan`` has a statement per endpoint that needs hours (``hours_of``) and then the
    /totals statements of the user's plan, each at its own index (``totals_of``: user
    statement number → fetch statement number)."""

    plan: Plan
    hours_of: dict[int, str]
    """Fetch statement number → the endpoint whose hours it fetches."""
    totals_of: dict[int, int]
    coverage: dict[int, StatementCoverage]
    """User statement number → what the store holds of it (time-series statements)."""


def plan_fetch(plan: Plan, covered: Covered) -> FetchPlan:
    """The fetch plan of ``plan`` given the store's settled hours."""
    needs: dict[str, dict[str, Need]] = {endpoint: {} for endpoint in TIME_SERIES}
    coverage: dict[int, StatementCoverage] = {}
    firsts: dict[str, Query] = {}
    known = {tweet for tweet, _ in covered}
    for number, statement in enumerate(plan.statements):
        query = statement.query
        if query.endpoint not in TIME_SERIES:
            continue
        firsts.setdefault(query.endpoint, query)
        window = [query_window(query)]
        lacking = needs[query.endpoint]
        for tweet in query.tweet_ids:
            for metric in query.metrics:
                gap = _lacking(query.endpoint, metric, window, int(tweet), covered, known)
                if gap:
                    need = lacking.setdefault(tweet, Need())
                    need.hours = union(need.hours, gap)
                    need.metrics.add(metric)
        coverage[number] = _coverage(statement, covered, known)
    statements: list[StatementPlan] = []
    hours_of: dict[int, str] = {}
    for endpoint in TIME_SERIES:
        lacking = needs[endpoint]
        if not lacking:
            continue
        parts = _cells(lacking) if endpoint == "historical" else [(list(lacking), None)]
        for tweets, cell in parts:
            number = len(statements)
            fetch = _fetch_statement(endpoint, lacking, tweets, cell, firsts[endpoint], number)
            fetch = attrs.evolve(fetch, requests=_renumbered(fetch.requests, _first(statements)))
            hours_of[number] = endpoint
            statements.append(fetch)
    totals_of: dict[int, int] = {}
    for number, statement in enumerate(plan.statements):
        if statement.query.endpoint not in TIME_SERIES:
            totals_of[number] = len(statements)
            query = attrs.evolve(statement.query, index=len(statements))
            statements.append(plan_query(query, _first(statements)))
    return FetchPlan(Plan(tuple(statements), ()), hours_of, totals_of, coverage)


def _first(statements: Sequence[StatementPlan]) -> int:
    return sum(len(s.requests) for s in statements)


def _renumbered(requests: Sequence[Request], first: int) -> tuple[Request, ...]:
    return tuple(attrs.evolve(r, index=first + at) for at, r in enumerate(requests))


def _fetch_statement(
    endpoint: str,
    needs: dict[str, Need],
    tweets: list[str],
    cell: Run | None,
    first: Query,
    number: int,
) -> StatementPlan:
    """The requests for ``tweets`` over ``cell`` (none on /28hr), 25 a batch, each
    asking the metrics its Tweets lack."""
    api = facts.ENDPOINTS[endpoint]
    order = {metric: at for at, metric in enumerate(api.metrics)}
    requests = []
    for batch_number, batch in enumerate(batches(tweets, api.max_tweet_ids)):
        metrics = sorted({m for t in batch for m in needs[t].metrics}, key=order.__getitem__)
        body: dict[str, object] = {
            facts.TWEET_IDS_FIELD: batch,
            facts.ENGAGEMENT_TYPES_FIELD: metrics,
            facts.GROUPINGS_FIELD: {HOURS_GROUPING: {facts.GROUP_BY_FIELD: list(HOURLY_KEYS)}},
        }
        if cell is not None:
            body[facts.START_FIELD] = iso(hour_start(cell[0]))
            body[facts.END_FIELD] = iso(hour_start(cell[1]))
        auth = facts.auth_for(endpoint, metrics)
        window = None if cell is None else 0
        requests.append(
            Request(number, endpoint, api.path, auth, body, batch_number, window, batch_number)
        )
    all_metrics = tuple(
        sorted({m for t in tweets for m in needs[t].metrics}, key=order.__getitem__)
    )
    query = attrs.evolve(
        first,
        index=number,
        metrics=all_metrics,
        tweet_ids=tweets,
        time_range=None,
        groupings=((HOURS_GROUPING, HOURLY_KEYS),),
        origin=None,
    )
    return StatementPlan(
        query,
        facts.auth_for(endpoint, all_metrics),
        api.max_tweet_ids,
        len(requests),
        () if cell is None else (Window(hour_start(cell[0]), hour_start(cell[1])),),
        tuple(requests),
    )


def _cells(needs: dict[str, Need]) -> list[tuple[list[str], Run]]:
    """Each 28-day cell that some Tweet needs hours in (latest first): the Tweets, in
    order, and the window from the first to the last hour they need there."""
    latest = max(need.hours[-1][1] for need in needs.values())
    earliest = min(need.hours[0][0] for need in needs.values())
    cells = []
    end = latest
    while end > earliest:
        cell = [(max(end - CELL_HOURS, earliest), end)]
        members, low, high = [], end, end - CELL_HOURS
        for tweet, need in needs.items():
            inside = intersection(need.hours, cell)
            if inside:
                members.append(tweet)
                low, high = min(low, inside[0][0]), max(high, inside[-1][1])
        if members:
            cells.append((members, (low, high)))
        end -= CELL_HOURS
    return cells


def _lacking(
    endpoint: str, metric: str, window: Hours, tweet: int, covered: Covered, known: set[int]
) -> Hours:
    """The hours of ``window`` to fetch for one Tweet's metric: those the endpoint reads
    that the store has not settled. Where it reads none (favorites before 2015-09-15 on
    /historical), all of them for a Tweet the store has nothing of: only the API can say
    whether it has that Tweet at all (it may be unavailable)."""
    asked = answered(endpoint, metric, window)
    if not asked and tweet not in known:
        return window
    return minus(asked, covered.get((tweet, metric), []))


def _coverage(statement: StatementPlan, covered: Covered, known: set[int]) -> StatementCoverage:
    query = statement.query
    windows = [(epoch_hour(w.start), epoch_hour(w.end)) for w in statement.windows] or [
        query_window(query)
    ]
    stored = 0
    for tweet in query.tweet_ids:
        for window in windows:
            if all(
                not _lacking(query.endpoint, metric, [window], int(tweet), covered, known)
                for metric in query.metrics
            ):
                stored += 1
    first, last = windows[0][0], windows[-1][1]
    return StatementCoverage(
        len(query.tweet_ids), last - first, stored, len(query.tweet_ids) * len(windows)
    )


def fetched_window(request: Request, answer: Mapping[str, object]) -> Run | None:
    """The hours a fetch request's answer covers: its body's window, or on /28hr the
    window the answer echoes (the server's clock); None when it says none."""
    start, end = request.body.get(facts.START_FIELD), request.body.get(facts.END_FIELD)
    if start is None:
        start, end = answer.get(facts.START_FIELD), answer.get(facts.END_FIELD)
    if isinstance(start, str) and isinstance(end, str):
        try:
            return (
                epoch_hour(floor_hour(datetime.fromisoformat(start))),
                epoch_hour(ceil_hour(datetime.fromisoformat(end))),
            )
        except ValueError:
            return None
    return None
