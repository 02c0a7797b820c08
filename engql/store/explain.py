"""``engql explain FILE --store URL``: what a collection into a store holds already and
what it would send now, in words. Nothing is sent, and nothing in the store changes."""

from __future__ import annotations

from typing import IO

from engql.exits import Exit
from engql.plan.explain import minimum_time
from engql.plan.planner import Plan
from engql.store.fetch_plan import FetchPlan, StatementCoverage
from engql.store.store import Store
from engql.store.url import StoreError


def explain_store(plan: Plan, url: str, rate_limit: int, out: IO[str], err: IO[str]) -> int:
    from engql.store.collect import planned

    try:
        with Store.open(url) as store:
            fetch = planned(plan, store)
            shown = store.url.shown
    except StoreError as error:
        print(f"engql: --store: {error.message}", file=err)
        return error.exit
    print(describe_fetch(plan, fetch, shown, rate_limit), file=out)
    return Exit.OK


def describe_fetch(plan: Plan, fetch: FetchPlan, store: str, rate_limit: int) -> str:
    lines = [f"collecting into {store}:"]
    for number in range(len(plan.statements)):
        held = fetch.coverage.get(number)
        if held is None:
            lines.append(f"  statement {number + 1}: /totals, a new snapshot each time")
        else:
            lines.append(f"  statement {number + 1}: {_coverage(held)}")
    sent = len(fetch.plan.requests)
    lines.append(
        f"  {sent:,} request{'' if sent == 1 else 's'} to send; at {rate_limit} "
        f"requests/minute: {minimum_time(sent, rate_limit)}"
    )
    return "\n".join(lines)


def _coverage(held: StatementCoverage) -> str:
    """``1,000 Tweets × 90 days: 3,960 of 4,000 Tweet-windows stored``."""
    span = f"{held.hours // 24:,} days" if held.hours % 24 == 0 else f"{held.hours:,} hours"
    tweets = f"{held.tweets:,} Tweet{'' if held.tweets == 1 else 's'}"
    return f"{tweets} × {span}: {held.stored:,} of {held.pairs:,} Tweet-windows stored"
