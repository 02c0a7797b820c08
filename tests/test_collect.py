"""``engql collect`` answers what ``engql run`` answers (engql/store/collect.py).

The law, for random queries and collection schedules against the sandbox, whose counts
are closed-form: collect, move the clock, collect again (maybe another query over the
same Tweets: other groupings, fewer metrics, a shorter range), and at every step the
collection prints exactly what a run of the same query at the same clock prints: the
rows of ``--format jsonl --long``, the JSON of ``--format json``, the missing Tweets with
their reasons, the exit code; and ``engql explain --store`` foretold how many requests
it would send. Then the cases the law's examples reach only by luck, each pinned down.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import permutations
from pathlib import Path

import pytest
from collect_harness import (
    DATABASES,
    Engql,
    collection,
    consistent,
    hour_rows_are_unique,
    new_stores,
    query_file,
    quoted,
    same_answer,
    sandboxed,
    statement,
    store_url,
    tweets_before,
    utc,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from run_helpers import tweet_at

from engql import facts
from engql.exits import Exit
from engql.times import iso

ERAS = (utc(2024, 7, 1, 12, 17), utc(2015, 9, 15, 20, 41))
"""Where a schedule starts: today-like, and beside 2015-09-15, before which /historical
reads favorites, replies and retweets as zero and /28hr does not."""
AGES = (
    timedelta(hours=2, minutes=13),
    timedelta(hours=30, minutes=5),
    timedelta(days=3, hours=5),
    timedelta(days=12, minutes=44),
    timedelta(days=26, hours=7),
    timedelta(days=45, hours=1),
)
"""How old the Tweets of a schedule are at its start: some still counting, some done."""
GONE_AGE = timedelta(days=5, minutes=30)
"""The age of the one Tweet of each era that the sandbox says is unavailable."""
POOLS = {era: tweets_before(era, AGES) for era in ERAS}
GONE = {era: tweet_at(era - GONE_AGE) for era in ERAS}
FORMATS = {"jsonl": ["--format", "jsonl", "--long"], "json": ["--format", "json"]}
SLOW = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
"""Few examples, each several collections; the sandbox and the capture live for the test."""
METRICS = ("impressions", "engagements", "favorites", "retweets", "video_views", "url_clicks")
"""The metrics drawn from: few, so that statements share them; some read as zero before
2015-09-15 on /historical, video_views has its own age limit, url_clicks is zero for
Tweets without a link."""


@pytest.fixture
def engql(
    no_machine_credentials: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Engql]:
    yield from collection(monkeypatch, capsys, ERAS[0], unavailable=list(GONE.values()))


def _orders(endpoint: str) -> list[tuple[str, ...]]:
    """Every grouping the endpoint accepts: any keys in any order, four only in the two
    documented orders."""
    keys = facts.ENDPOINTS[endpoint].group_keys
    found = [p for n in range(1, 4) for p in permutations(keys, n)]
    return found + (list(facts.FOUR_KEY_ORDERS) if len(keys) == 4 else [])


GROUPINGS = {endpoint: _orders(endpoint) for endpoint in facts.ENDPOINTS}


@st.composite
def groupings(draw: st.DrawFn, endpoint: str) -> list[tuple[str, ...]]:
    chosen = draw(st.lists(st.sampled_from(GROUPINGS[endpoint]), min_size=1, max_size=3))
    four = [g for g in chosen if len(g) == 4]
    return [g for g in chosen if len(g) < 4] + four[:1]


@st.composite
def time_range(draw: st.DrawFn, now: datetime) -> tuple[str, str] | None:
    """None (the last 28 days), a start until ``now``, or a start and an end in the past;
    from a few hours to about 60 days, never on an hour boundary unless drawn so."""
    kind = draw(st.sampled_from(["none", "until now", "past"]))
    if kind == "none":
        return None
    length = draw(
        st.one_of(
            st.integers(3 * 60, 48 * 60),
            st.integers(2 * 24 * 60, 60 * 24 * 60),
        )
    )
    end = now
    if kind == "past":
        end = now - timedelta(minutes=draw(st.integers(0, 10 * 24 * 60)))
    start = end - timedelta(minutes=length)
    return quoted(start), "now" if kind == "until now" else quoted(end)


@st.composite
def scripts(draw: st.DrawFn, tweets: list[str], now: datetime) -> str:
    """One to three statements over some of ``tweets``, most often several."""
    texts = []
    for _ in range(draw(st.sampled_from([1, 2, 2, 3]))):
        endpoint = draw(st.sampled_from(["historical", "historical", "28hr", "totals"]))
        offered = [m for m in METRICS if m in facts.ENDPOINTS[endpoint].metrics]
        metrics = draw(st.lists(st.sampled_from(offered), min_size=1, max_size=3))
        chosen = draw(st.lists(st.sampled_from(tweets), min_size=1, max_size=len(tweets)))
        window = draw(time_range(now)) if endpoint == "historical" else None
        texts.append(
            statement(
                endpoint,
                list(dict.fromkeys(metrics)),
                list(dict.fromkeys(chosen)),
                draw(groupings(endpoint)),
                window,
            )
        )
    return "".join(texts)


advances = st.one_of(
    st.integers(0, 6 * 60).map(lambda m: timedelta(minutes=m)),
    st.integers(1, 4).map(lambda d: timedelta(days=d)),
    st.integers(20 * 60, 80 * 60).map(lambda m: timedelta(minutes=m)),
)


@pytest.mark.parametrize("kind", DATABASES)
@SLOW
@given(data=st.data())
def test_a_collection_prints_what_a_run_prints_at_every_step(
    engql: Engql, kind: str, request: pytest.FixtureRequest, tmp_path: Path, data: st.DataObject
) -> None:
    era = data.draw(st.sampled_from(ERAS), "era")
    engql.clock.now = era
    stores = new_stores(kind, request, tmp_path)
    pool = [*POOLS[era], GONE[era]]
    tweets = data.draw(
        st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True), "tweets"
    )
    url = stores()
    settle = data.draw(st.sampled_from(["24h", "0", "2h", "3d"]), "settle")
    script = data.draw(scripts(tweets, engql.clock.now), "script")
    for step in range(data.draw(st.integers(1, 3), "steps")):
        if step:
            engql.clock.advance(data.draw(advances, "advance"))
            if data.draw(st.booleans(), "another query"):
                script = data.draw(scripts(tweets, engql.clock.now), "script")
        query = query_file(script)
        fmt = data.draw(st.sampled_from(sorted(FORMATS)), "format")
        foreseen = re.search(r"([0-9,]+) requests? to send", engql.explain(query, url).out)
        before = engql.last_number()
        collected = engql.collect(query, url, "--settle", settle, *FORMATS[fmt])
        assert foreseen is not None
        assert len(engql.sent(before)) == int(foreseen[1].replace(",", ""))
        ran = engql.run(query, *FORMATS[fmt])
        assert ran.code in (0, 5), ran.err
        same_answer(collected, ran, fmt)
        consistent(url)


# The cases the law reaches only by luck -------------------------------------------------


def _same_both_ways(engql: Engql, url: str, script: str) -> None:
    query = query_file(script)
    for fmt in sorted(FORMATS):
        same_answer(engql.collect(query, url, *FORMATS[fmt]), engql.run(query, *FORMATS[fmt]), fmt)


@pytest.mark.parametrize("order", ["together", "28hr first", "historical first"])
def test_historical_reads_public_counts_before_2015_09_15_as_zero_and_28hr_does_not(
    engql: Engql, tmp_path: Path, order: str
) -> None:
    """The two endpoints disagree about the same hours of favorites and retweets: the
    store keeps the counts /28hr has, and /historical reads them as zero."""
    engql.clock.now = ERAS[1]
    young = POOLS[ERAS[1]][:2]
    metrics = ["favorites", "retweets", "impressions"]
    keys = [(facts.TWEET_ID, facts.ENGAGEMENT_TYPE, facts.ENGAGEMENT_DAY, facts.ENGAGEMENT_HOUR)]
    historical = statement("historical", metrics, young, keys, ("'2015-09-13T07:20:00Z'", "now"))
    last_28 = statement("28hr", metrics, young, keys)
    url = store_url("sqlite", tmp_path)
    steps = {
        "together": [historical + last_28],
        "28hr first": [last_28, historical, historical + last_28],
        "historical first": [historical, last_28, historical + last_28],
    }[order]
    for script in steps:
        _same_both_ways(engql, url, script)
    on_both = [json.loads(engql.run(query_file(s), "--format", "json").out) for s in steps[-1:]]
    before = [g["g0"][young[1]]["favorites"]["2015-09-14"] for g in on_both[0]]
    assert set(before[0].values()) == {"0"} != set(before[1].values())  # the case is real


def test_video_views_stored_while_a_tweet_was_young_read_as_none_once_it_is_too_old(
    engql: Engql, tmp_path: Path
) -> None:
    """A Tweet past 1800 days has no video_views on any endpoint (it is listed as
    unsupported, its counts zero), though the store holds the hours it had before."""
    created = utc(2019, 7, 1, 10)
    tweet = tweet_at(created)  # one with a video
    script = statement(
        "historical",
        ["impressions", "video_views"],
        [tweet],
        [(facts.TWEET_ID, facts.ENGAGEMENT_TYPE, facts.ENGAGEMENT_DAY)],
        ("'2019-07-01'", "'2019-07-20'"),
    )
    url = store_url("sqlite", tmp_path)
    engql.clock.now = created + facts.VIDEO_VIEWS_MAX_AGE - timedelta(days=3)
    _same_both_ways(engql, url, script)
    young = json.loads(engql.run(query_file(script), "--format", "json").out)
    assert young["missing"] == {} and young["g0"][tweet]["video_views"]["2019-07-01"] != "0"
    engql.clock.advance(timedelta(days=6))
    before = engql.last_number()
    _same_both_ways(engql, url, script)
    assert [e for e in engql.sent(before) if "hours" in e.body["groupings"]] == []
    ran = engql.run(query_file(script), "--format", "json")
    assert ran.code == 5 and json.loads(ran.out)["missing"] == {
        tweet: "no video_views: older than 1800 days"
    }


def test_28hr_is_answered_for_the_hours_the_api_answered(engql: Engql, tmp_path: Path) -> None:
    """The API's clock decides which 28 hours /28hr covers: when it has passed an hour
    boundary that the query's clock had not, the collection answers the API's hours,
    as a run does."""
    engql.clock.now = ERAS[0].replace(minute=0, second=30)
    script = statement(
        "28hr",
        ["impressions", "favorites"],
        POOLS[ERAS[0]][:2],
        [(facts.ENGAGEMENT_TYPE, facts.ENGAGEMENT_HOUR), (facts.TWEET_ID, facts.ENGAGEMENT_DAY)],
    )
    query = query_file(script)
    url = store_url("sqlite", tmp_path)
    behind = ["--now", iso(engql.clock.now - timedelta(minutes=1))]
    sending = ["--base-url", engql.api.base_url, *behind, *FORMATS["json"]]
    collected = engql.main("collect", query, "--store", url, *sending)
    ran = engql.main("run", query, *sending)
    same_answer(collected, ran, "json")
    api_hours = engql.clock.now.replace(second=0) - facts.TWENTY_EIGHT_HOURS
    assert json.loads(ran.out)["start"] == iso(api_hours)


@pytest.mark.parametrize("on_unowned", ["fail", "drop"])
def test_unowned_and_protected_tweets_are_missing_as_in_a_run(
    no_machine_credentials: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    on_unowned: str,
) -> None:
    now = ERAS[0]
    pool = POOLS[now]
    unowned, protected = pool[1], pool[2]
    script = statement(
        "historical",
        ["impressions"],
        pool[:4],
        [(facts.TWEET_ID, facts.ENGAGEMENT_TYPE)],
        (quoted(now - timedelta(days=40)), "now"),
    ) + statement("28hr", ["impressions"], pool[:4], [(facts.ENGAGEMENT_TYPE,)])
    with sandboxed(monkeypatch, capsys, now, unowned=[unowned], protected=[protected]) as engql:
        url = store_url("sqlite", tmp_path)
        query = query_file(script)
        for _ in range(2):
            for fmt in sorted(FORMATS):
                args = [*FORMATS[fmt], "--on-unowned", on_unowned]
                collected = engql.collect(query, url, *args)
                same_answer(collected, engql.run(query, *args), fmt)
        assert collected.code == (Exit.REFUSED if on_unowned == "fail" else Exit.PARTIAL)
        hour_rows_are_unique(url)


def test_short_windows_and_partly_stored_tweets(engql: Engql, tmp_path: Path) -> None:
    """Hour-of-day buckets over windows shorter than a day, groupings without Tweets or
    without metrics, over Tweets of which the store has some hours: every output
    format prints what a run prints, and only the hours lacking are sent."""
    now = engql.clock.now
    tweets = POOLS[now][:4]
    url = store_url("duckdb", tmp_path)
    stored = statement(
        "historical",
        ["impressions", "engagements"],
        tweets[:2],
        [(facts.TWEET_ID, facts.ENGAGEMENT_TYPE)],
        (quoted(now - timedelta(days=3, hours=2)), quoted(now - timedelta(days=2, minutes=40))),
    )
    _same_both_ways(engql, url, stored)
    shapes = [
        (facts.ENGAGEMENT_TYPE, facts.ENGAGEMENT_HOUR),
        (facts.ENGAGEMENT_HOUR, facts.TWEET_ID),
        (facts.ENGAGEMENT_DAY,),
    ]
    for start, end in [(3 * 24 + 1, 3 * 24 - 4), (3 * 24 + 5, 2 * 24 + 2), (80, 26)]:
        script = statement(
            "historical",
            ["engagements", "impressions"],
            tweets[:3],
            shapes,
            (quoted(now - timedelta(hours=start, minutes=11)), quoted(now - timedelta(hours=end))),
        )
        _same_both_ways(engql, url, script)
        for fmt in ("csv", "table"):
            query = query_file(script)
            args = ["--format", fmt, "--grouping", "g1"]
            assert engql.collect(query, url, *args).out == engql.run(query, *args).out
    before = engql.last_number()
    _same_both_ways(engql, url, script)
    assert [e for e in engql.sent(before) if "hours" in e.body["groupings"]] == []


def test_a_tweet_asked_only_for_hours_historical_reads_as_zero_is_still_asked_about(
    engql: Engql, tmp_path: Path
) -> None:
    """Favorites before 2015-09-15 on /historical are zero whatever the store holds, but
    only the API knows whether it has the Tweet at all: one the store knows nothing of
    is asked for, and an unavailable one is missing, as in a run."""
    engql.clock.now = ERAS[1]
    gone, there = GONE[ERAS[1]], POOLS[ERAS[1]][1]
    script = statement(
        "historical",
        ["favorites"],
        [there, gone],
        [(facts.TWEET_ID, facts.ENGAGEMENT_TYPE)],
        ("'2015-09-14T03:00:00Z'", "'2015-09-15'"),
    )
    url = store_url("sqlite", tmp_path)
    _same_both_ways(engql, url, script)
    ran = engql.run(query_file(script), *FORMATS["json"])
    assert ran.code == Exit.PARTIAL
    assert json.loads(ran.out)["missing"] == {gone: "unavailable (deleted or not public)"}
