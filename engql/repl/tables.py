"""The API's facts as the shell prints them: ``\\metrics`` and ``\\describe``."""

from __future__ import annotations

from engql import facts
from engql.facts import AUTH_WORDS


def metric_auth(metric: str) -> str:
    """What reading ``metric`` needs (Part A §7: bearer only for public metrics on /totals)."""
    if facts.METRICS[metric].public and metric in facts.ENDPOINTS["totals"].metrics:
        return "bearer on totals, else user"
    return "user context"


def metrics_table(endpoint: str | None = None) -> str:
    """Every metric (or ``endpoint``'s, in its order): what it counts, where, what auth."""
    from tabulate import tabulate  # type: ignore[import-untyped]  # loaded on use

    names = facts.ENDPOINTS[endpoint].metrics if endpoint else tuple(facts.METRICS)
    rows = [
        (
            name,
            facts.METRICS[name].description,
            ", ".join(e.name for e in facts.ENDPOINTS.values() if name in e.metrics),
            metric_auth(name),
        )
        for name in names
    ]
    table: str = tabulate(rows, headers=("metric", "counts", "endpoints", "auth"))
    return table


def describe_endpoint(name: str, sandbox_url: str | None = None) -> str:
    """What ``name`` takes and gives; with ``sandbox_url``, where the sandbox serves it."""
    endpoint = facts.ENDPOINTS[name]
    auth = facts.auth_for(name, list(endpoint.metrics))
    public = [m for m in endpoint.metrics if facts.METRICS[m].public]
    lines = [
        f"{endpoint.name}: {endpoint.description}",
        f"  POST {facts.DEFAULT_BASE_URL}{endpoint.path}",
        *([f"  in the sandbox: POST {sandbox_url}{endpoint.path}"] if sandbox_url else []),
        f"  up to {endpoint.max_tweet_ids} Tweet IDs a request (engql batches longer lists)",
        f"  metrics: {', '.join(endpoint.metrics)}",
        f"  grouping keys: {', '.join(endpoint.group_keys)}",
        "  time range: "
        + (
            "time BETWEEN a AND b, cut into windows of ≤ 28 days"
            if endpoint.takes_time_range
            else "none (the endpoint fixes it)"
        ),
        "  Tweets: "
        + ("only the credentials' own" if endpoint.owned_tweets_only else "any public Tweet"),
        f"  auth: {AUTH_WORDS[auth]}",
    ]
    if auth == facts.USER_AUTH and public and name == "totals":
        lines.append(f"  ({', '.join(public)} alone need only a bearer token)")
    return "\n".join(lines)
