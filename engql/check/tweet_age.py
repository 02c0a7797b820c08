"""Warnings from the Tweets' ages, read from their Snowflake IDs (Part A §8).

W501: /totals impressions or engagements of Tweets older than 90 days; W502:
video_views of Tweets older than 1800 days; W503: a /historical window that ends before
the Tweet existed; W504: an ID whose time lies in the future.
"""

from __future__ import annotations

from engql import facts
from engql.check.context import StatementContext

MAX_NAMED = 5
"""IDs named in one warning; a longer list is counted."""


def check(ctx: StatementContext) -> None:
    endpoint, ints = ctx.endpoint, ctx.tweet_ints
    if endpoint is None or not ints:
        return
    metrics = set(ctx.metrics)
    private = [m for m in ctx.metrics if m in facts.TOTALS_PRIVATE_METRICS]
    oldest, newest = min(ints), max(ints)
    if endpoint.name == "totals" and private:
        limit = facts.snowflake_id_at(ctx.now - facts.TOTALS_PRIVATE_MAX_AGE)
        _warn(
            ctx,
            "W501",
            [i for i in ints if i < limit] if oldest < limit else [],
            f"older than {facts.TOTALS_PRIVATE_MAX_AGE.days} days, and /totals has no "
            f"{' or '.join(private)} for Tweets that old",
            "use /historical for older Tweets",
        )
    if "video_views" in metrics:
        limit = facts.snowflake_id_at(ctx.now - facts.VIDEO_VIEWS_MAX_AGE)
        _warn(
            ctx,
            "W502",
            [i for i in ints if i < limit] if oldest < limit else [],
            f"older than {facts.VIDEO_VIEWS_MAX_AGE.days} days, and the API has no "
            "video_views for Tweets that old",
            None,
        )
    if ctx.time_range is not None:
        end = facts.snowflake_id_at(ctx.time_range[1])
        _warn(
            ctx,
            "W503",
            [i for i in ints if i >= end] if newest >= end else [],
            "newer than the end of the range, so every count will be zero",
            None,
        )
    future = facts.snowflake_id_at(ctx.now)
    _warn(
        ctx,
        "W504",
        [i for i in ints if i > future] if newest > future else [],
        "dated in the future by the time in the ID; check it",
        None,
    )


def _warn(ctx: StatementContext, code: str, ids: list[int], what: str, hint: str | None) -> None:
    if not ids:
        return
    named = ", ".join(str(i) for i in ids[:MAX_NAMED])
    more = f" and {len(ids) - MAX_NAMED:,} more" if len(ids) > MAX_NAMED else ""
    tweets = f"Tweet {named} is" if len(ids) == 1 else f"{len(ids):,} Tweets ({named}{more}) are"
    span = None
    origin = ctx.tweet_origin
    if origin is not None:
        span = origin.locate(str(ids[0])) if len(ids) == 1 else origin.node.span
    ctx.report(code, f"{tweets} {what}", span, hint)
