"""Hover: what the word at the cursor is to the API, read from engql.facts, the shell's
descriptions and the check stage's diagnostics (nothing is worked out again here)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta

from engql import facts
from engql.diagnostics import Diagnostic
from engql.repl.tables import describe_endpoint, metric_auth
from engql.syntax.ast import Grouping, Script, Statement, TweetCondition
from engql.syntax.source import Span

_WORD = re.compile(r"[A-Za-z0-9_.]+")
_AGE_CODES = ("W501", "W502", "W503", "W504")
"""The check stage's warnings about a Tweet's age (engql/check/tweet_age.py)."""


def hover_text(script: Script, diagnostics: Sequence[Diagnostic], at: int) -> str | None:
    """Markdown about the word at offset ``at``; None where there is nothing to say."""
    statement = next((s for s in script.statements if s.span.start <= at <= s.span.end), None)
    word = _word_at(script.source.text, at)
    if statement is None or word is None:
        return None
    text, start = word
    if text in facts.METRICS:
        return _metric(text)
    if text in facts.ENDPOINTS and _within(statement.endpoint.span, start):
        return f"```\n{describe_endpoint(text)}\n```"
    if text.isdigit() and any(
        isinstance(c, TweetCondition) and _within(c.span, start) for c in statement.conditions
    ):
        return _tweet(int(text), diagnostics)
    grouping = next((g for g in statement.groupings if _within(g.span, start)), None)
    if grouping is not None:
        return _grouping(grouping, statement, diagnostics)
    return None


def _word_at(text: str, at: int) -> tuple[str, int] | None:
    start = at
    while start > 0 and _WORD.fullmatch(text[start - 1]):
        start -= 1
    match = _WORD.match(text, start)
    if match is None or match.end() < at:
        return None
    return match[0], start


def _within(span: Span, at: int) -> bool:
    return span.start <= at < span.end


def _endpoints(name: str) -> list[facts.Endpoint]:
    return [e for e in facts.ENDPOINTS.values() if name in (*e.metrics, *e.group_keys)]


def _metric(name: str) -> str:
    metric = facts.METRICS[name]
    lines = [f"**{name}**: {metric.description}", ""]
    for endpoint in _endpoints(name):
        lines.append(f"- /{endpoint.name}: {_since(name, endpoint)}")
    lines += ["", f"auth: {metric_auth(name)}"]
    return "\n".join(lines)


def _since(metric: str, endpoint: facts.Endpoint) -> str:
    """Since when the endpoint has the metric (Part A §3, §5)."""
    if endpoint.name == "totals":
        if metric in facts.TOTALS_PRIVATE_METRICS:
            return f"Tweets younger than {facts.TOTALS_PRIVATE_MAX_AGE.days} days"
        if metric == "video_views":
            return f"Tweets younger than {facts.VIDEO_VIEWS_MAX_AGE.days} days"
        return "every Tweet"
    if not endpoint.takes_time_range:
        return f"the last {facts.TWENTY_EIGHT_HOURS // timedelta(hours=1)} hours"
    since = facts.HISTORICAL_EARLIEST
    if metric in facts.PUBLIC_COUNTS_METRICS:
        since = facts.PUBLIC_COUNTS_START
    return f"since {since:%Y-%m-%d}"


def _tweet(tweet_id: int, diagnostics: Sequence[Diagnostic]) -> str:
    created = facts.tweet_created_at(tweet_id)
    if created is None:
        lines = [f"Tweet {tweet_id}: an ID from before Snowflake IDs, which carry no time"]
    else:
        lines = [f"Tweet {tweet_id}: created {created:%Y-%m-%d %H:%M:%S} UTC (from its ID)"]
    lines += [
        f"- {d.code}: {d.message}"
        for d in diagnostics
        if d.code in _AGE_CODES and re.search(rf"\b{tweet_id}\b", d.message)
    ]
    return "\n\n".join(lines)


def _grouping(grouping: Grouping, statement: Statement, diagnostics: Sequence[Diagnostic]) -> str:
    keys = [k.text for k in grouping.keys]
    lines = [f"grouping: {', '.join(keys)}", ""]
    lines += [f"- {k}: {facts.GROUP_KEYS[k]}" for k in keys if k in facts.GROUP_KEYS]
    found = [
        d
        for d in diagnostics
        if d.span is not None
        and grouping.span.start <= d.span.start
        and d.span.end <= grouping.span.end
    ]
    refused = [d for d in found if d.is_error]
    lines.append("")
    if refused:
        lines += [f"the API refuses it: {d.code} {d.message}" for d in refused]
    else:
        lines.append(f"the API accepts it on /{statement.endpoint.text}")
    lines += [f"{d.code}: {d.message}" for d in found if not d.is_error]
    return "\n".join(lines)
