"""The API facts module: one copy of the facts, consistent with itself and Part A."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from engql import facts

TOTALS_METRICS = (
    "impressions",
    "engagements",
    "favorites",
    "retweets",
    "quote_tweets",
    "replies",
    "video_views",
)
"""Part A §6 and Part B §3 (D1/ref-totals): what /totals "supports only", in that order."""

TIME_SERIES_METRICS = (
    "impressions",
    "engagements",
    "favorites",
    "retweets",
    "replies",
    "video_views",
    "media_views",
    "media_engagements",
    "url_clicks",
    "hashtag_clicks",
    "detail_expands",
    "permalink_clicks",
    "app_install_attempts",
    "app_opens",
    "email_tweet",
    "user_follows",
    "user_profile_clicks",
)
"""Part A §6 and Part B §3: the 17 names of /28hr and /historical, in the order the
enterprise scripts (P) send them."""


def test_endpoints_and_their_metrics_are_those_of_the_api_docs() -> None:
    """The spec check: facts.py against the lists above, written from engagement-api.md.

    Other tests (SELECT * in test_compile.py, the docs' tables) compare with facts.py.
    """
    assert list(facts.ENDPOINTS) == ["totals", "28hr", "historical"]  # Part B §1
    assert facts.ENDPOINTS["totals"].metrics == TOTALS_METRICS
    for name in ("28hr", "historical"):
        endpoint = facts.ENDPOINTS[name]
        assert endpoint.metrics == TIME_SERIES_METRICS
        assert len(endpoint.metrics) == 17
        assert "quote_tweets" not in endpoint.metrics
        assert endpoint.max_tweet_ids == 25  # Part A §2
    assert facts.ENDPOINTS["totals"].max_tweet_ids == 250
    assert set(facts.METRICS) == {m for e in facts.ENDPOINTS.values() for m in e.metrics}
    assert "media_clicks" not in facts.METRICS  # replaced by media_engagements, Part A §6


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
