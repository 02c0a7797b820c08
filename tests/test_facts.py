"""The API facts module: one copy of the facts, consistent with itself and Part A."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from engql import facts


def test_endpoint_metric_sets_follow_part_a() -> None:
    assert facts.ENDPOINTS["totals"].metrics == (
        "impressions",
        "engagements",
        "favorites",
        "retweets",
        "quote_tweets",
        "replies",
        "video_views",
    )
    for name in ("28hr", "historical"):
        endpoint = facts.ENDPOINTS[name]
        assert len(endpoint.metrics) == 17
        assert "quote_tweets" not in endpoint.metrics
        assert endpoint.max_tweet_ids == 25
    assert facts.ENDPOINTS["totals"].max_tweet_ids == 250
    assert set(facts.METRICS) == {m for e in facts.ENDPOINTS.values() for m in e.metrics}
    assert "media_clicks" not in facts.METRICS


def test_time_keys_only_on_time_series_endpoints() -> None:
    assert facts.ENDPOINTS["totals"].group_keys == (facts.TWEET_ID, facts.ENGAGEMENT_TYPE)
    assert facts.ENDPOINTS["historical"].group_keys == tuple(facts.GROUP_KEYS)


def test_auth_level_of_part_a_section_7() -> None:
    assert facts.auth_for("totals", ["favorites", "retweets", "replies", "quote_tweets"]) == "app"
    assert facts.auth_for("totals", ["video_views"]) == "app"
    assert facts.auth_for("totals", ["favorites", "impressions"]) == "user"
    assert facts.auth_for("28hr", ["favorites"]) == "user"
    assert facts.auth_for("historical", ["favorites"]) == "user"


def test_snowflake_times_of_known_tweets() -> None:
    created = facts.tweet_created_at(1260294888811347969)
    assert created is not None
    assert created.replace(microsecond=0) == datetime(2020, 5, 12, 19, 44, 51, tzinfo=UTC)
    assert facts.tweet_created_at(5) is None


@given(st.datetimes(min_value=datetime(2011, 1, 1), max_value=datetime(2100, 1, 1)))
def test_snowflake_id_at_is_the_first_id_of_its_millisecond(moment: datetime) -> None:
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000, tzinfo=UTC)
    first = facts.snowflake_id_at(moment)
    assert facts.tweet_created_at(first) == moment
    before = facts.tweet_created_at(first - 1)
    assert before is not None and before < moment
