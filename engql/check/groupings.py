"""GROUP BY follows the API's grouping rules (Part A §4).

At most three groupings; keys known and offered by the endpoint, none twice in a grouping;
a four-key grouping in one of the two documented orders, and only one of them; names
unique and not empty (E105, E106, E201-E206). A grouping without ``engagement.type`` has
an undocumented response shape (W201). Unnamed groupings get a deterministic name.
"""

from __future__ import annotations

from engql import facts
from engql.check.context import StatementContext, did_you_mean
from engql.syntax import ast

_SHORT_KEY = {
    facts.TWEET_ID: "tweet",
    facts.ENGAGEMENT_TYPE: "type",
    facts.ENGAGEMENT_DAY: "day",
    facts.ENGAGEMENT_HOUR: "hour",
}
DEFAULT_GROUPING_NAME = "by_tweet_type"
"""The name of the grouping a statement without GROUP BY gets: tweet.id, engagement.type."""


def default_name(keys: tuple[str, ...]) -> str:
    """``by_`` and the keys' short names: ``tweet.id, engagement.type`` → ``by_tweet_type``."""
    return "by_" + "_".join(_SHORT_KEY.get(k, k.replace(".", "_")) for k in keys)


def check(ctx: StatementContext) -> None:
    groupings = ctx.statement.groupings
    if not groupings:
        ctx.groupings = ((DEFAULT_GROUPING_NAME, facts.DEFAULT_GROUP_BY),)
        return
    for number, extra in enumerate(groupings[facts.MAX_GROUPINGS :], facts.MAX_GROUPINGS + 1):
        ctx.report(
            "E201",
            f"a request holds at most {facts.MAX_GROUPINGS} groupings; this is number {number}",
            extra.span,
            "run the extra grouping as a statement of its own",
        )
    four_key = [g for g in groupings if len(g.keys) == 4]
    for extra in four_key[facts.MAX_FOUR_KEY_GROUPINGS :]:
        ctx.report(
            "E204",
            "a request holds only one grouping with four keys",
            extra.span,
            "run it as a statement of its own",
        )
    resolved = [(g, _check_keys(ctx, g)) for g in groupings]
    ctx.groupings = _named(ctx, resolved)


def _check_keys(ctx: StatementContext, grouping: ast.Grouping) -> tuple[str, ...]:
    endpoint = ctx.endpoint
    seen: list[str] = []
    for key in grouping.keys:
        name = key.text
        if name not in facts.GROUP_KEYS:
            ctx.report(
                "E105",
                f"unknown grouping key '{name}'",
                key.span,
                did_you_mean(name, facts.GROUP_KEYS)
                or "the keys are " + ", ".join(facts.GROUP_KEYS),
            )
        elif endpoint and name not in endpoint.group_keys:
            ctx.report(
                "E106",
                f"/{endpoint.name} cannot group by '{name}'",
                key.span,
                "time series (engagement.day, engagement.hour) come from /28hr and /historical",
            )
        if name in seen:
            ctx.report("E202", f"grouping key '{name}' appears twice in this grouping", key.span)
        else:
            seen.append(name)
    keys = tuple(k.text for k in grouping.keys)
    if len(keys) == 4 and keys not in facts.FOUR_KEY_ORDERS:
        orders = " or ".join(f"({', '.join(o)})" for o in facts.FOUR_KEY_ORDERS)
        ctx.report(
            "E203",
            "a grouping with four keys must be in one of the two documented orders",
            grouping.span,
            f"use {orders}",
        )
    all_known = all(k in facts.GROUP_KEYS for k in keys)
    if len(keys) < 4 and all_known and facts.ENGAGEMENT_TYPE not in keys:
        ctx.report(
            "W201",
            "a grouping without engagement.type has an undocumented response shape",
            grouping.span,
            "add engagement.type to the grouping",
        )
    return keys


def _named(
    ctx: StatementContext, resolved: list[tuple[ast.Grouping, tuple[str, ...]]]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    explicit: dict[str, ast.Name] = {}
    for grouping, _ in resolved:
        name = grouping.name
        if name is None:
            continue
        if not name.text.strip():
            ctx.report("E206", "a grouping name may not be empty", name.span)
        elif name.text in explicit:
            line, _col = explicit[name.text].span.start_line_col()
            ctx.report(
                "E205",
                f"grouping name '{name.text}' is already used on line {line}",
                name.span,
                "each grouping's name becomes a key of the answer, so names must differ",
            )
        else:
            explicit[name.text] = name
    taken = set(explicit)
    named = []
    for grouping, keys in resolved:
        if grouping.name is not None:
            named.append((grouping.name.text, keys))
            continue
        base = candidate = default_name(keys)
        n = 1
        while candidate in taken:
            n += 1
            candidate = f"{base}_{n}"
        taken.add(candidate)
        named.append((candidate, keys))
    return tuple(named)
