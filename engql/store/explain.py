"""``engql explain FILE --store URL``: what a collection into a store holds already and
what it would send now, in words. Nothing is sent, and nothing in the store changes: a
store that does not exist yet (no file, or a database without engql's tables) is read
as empty and not created."""

from __future__ import annotations

import os
from typing import IO

from engql.counted import counted
from engql.exits import Exit
from engql.plan.explain import minimum_time
from engql.plan.planner import Plan
from engql.store.fetch_plan import FetchPlan, StatementCoverage, plan_fetch
from engql.store.schema import COLUMNS, VERSION_TABLE, ensure_schema
from engql.store.store import Store, connect
from engql.store.url import StoreError, StoreURL, parse_store_url


def explain_store(plan: Plan, url: str, rate_limit: int, out: IO[str], err: IO[str]) -> int:
    try:
        parsed = parse_store_url(url)
        fetch = _planned(plan, parsed)
    except StoreError as error:
        print(f"engql: --store: {error.message}", file=err)
        return error.exit
    print(describe_fetch(plan, fetch, parsed.shown, rate_limit), file=out)
    return Exit.OK


def _planned(plan: Plan, url: StoreURL) -> FetchPlan:
    """What a collection would send now; everything, for a store not made yet, which is
    left unmade."""
    from engql.store.collect import planned

    if url.path is not None and not os.path.exists(url.path):
        return plan_fetch(plan, {})
    db = connect(url)
    with Store(db, url) as store:
        tables = db.tables()
        if VERSION_TABLE not in tables and not tables & set(COLUMNS):
            return plan_fetch(plan, {})
        ensure_schema(db)
        return planned(plan, store)


def describe_fetch(plan: Plan, fetch: FetchPlan, store: str, rate_limit: int) -> str:
    lines = [f"collecting into {store}:"]
    for number in range(len(plan.statements)):
        held = fetch.coverage.get(number)
        if held is None:
            lines.append(f"  statement {number + 1}: /totals, a new snapshot each time")
        else:
            lines.append(f"  statement {number + 1}: {_coverage(held)}")
    sent = len(fetch.plan.requests)
    left = f"  {counted(sent, 'request')} to send"
    if sent:
        left += f"; at {rate_limit} requests/minute: {minimum_time(sent, rate_limit)}"
    lines.append(left)
    return "\n".join(lines)


def _coverage(held: StatementCoverage) -> str:
    """``1,000 Tweets × 90 days: 3,960 of 4,000 Tweet-windows stored``."""
    span = f"{held.hours // 24:,} days" if held.hours % 24 == 0 else f"{held.hours:,} hours"
    tweets = counted(held.tweets, "Tweet")
    return f"{tweets} × {span}: {held.stored:,} of {held.pairs:,} Tweet-windows stored"
