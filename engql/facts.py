"""The Engagement API's facts: endpoints, metrics, grouping keys, limits and auth rules.

This is the only copy of them. The validator, the planner, the sandbox emulator and the
REPL's completion all read this module, so a change to the API is a change here.
Sources: ``shared/engagement-api.md`` (Part A decides, Part B records).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import attrs

from engql.record import Record

DEFAULT_BASE_URL = "https://data-api.twitter.com"
PATH_PREFIX = "/insights/engagement/"


@attrs.frozen(repr=False)
class Metric(Record):
    """One ``engagement_types`` value and what it counts."""

    name: str
    description: str
    public: bool
    """Readable with an app-only bearer token on /totals (Part A §7)."""


@attrs.frozen(repr=False)
class Endpoint(Record):
    """One of the three POST endpoints and its request rules."""

    name: str
    description: str
    max_tweet_ids: int
    metrics: tuple[str, ...]
    """Offered metrics, in the order ``SELECT *`` sends them."""
    group_keys: tuple[str, ...]
    takes_time_range: bool
    owned_tweets_only: bool

    @property
    def path(self) -> str:
        return PATH_PREFIX + self.name


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("impressions", "times the Tweet was shown", public=False),
        Metric("engagements", "times people interacted with the Tweet", public=False),
        Metric("favorites", "likes", public=True),
        Metric("retweets", "Retweets", public=True),
        Metric("quote_tweets", "Quote Tweets (/totals only)", public=True),
        Metric("replies", "replies", public=True),
        Metric("video_views", "video views (50% visible for 2 s)", public=True),
        Metric("media_views", "views of the Tweet's media", public=False),
        Metric("media_engagements", "clicks on the Tweet's media", public=False),
        Metric("url_clicks", "clicks on a URL in the Tweet", public=False),
        Metric("hashtag_clicks", "clicks on a hashtag", public=False),
        Metric("detail_expands", "clicks to open the Tweet's details", public=False),
        Metric("permalink_clicks", "clicks on the Tweet's permalink", public=False),
        Metric("app_install_attempts", "app installs started from the Tweet", public=False),
        Metric("app_opens", "app opens from the Tweet", public=False),
        Metric("email_tweet", "Tweet shared by email", public=False),
        Metric("user_follows", "author followed from the Tweet", public=False),
        Metric("user_profile_clicks", "author's profile clicked from the Tweet", public=False),
    )
}

DEPRECATED_METRICS: dict[str, str] = {"media_clicks": "media_engagements"}
"""Old names and their replacements (Part A §6)."""

TWEET_ID = "tweet.id"
ENGAGEMENT_TYPE = "engagement.type"
ENGAGEMENT_DAY = "engagement.day"
ENGAGEMENT_HOUR = "engagement.hour"

GROUP_KEYS: dict[str, str] = {
    TWEET_ID: "one bucket per Tweet",
    ENGAGEMENT_TYPE: "one bucket per metric",
    ENGAGEMENT_DAY: "one bucket per UTC day (YYYY-MM-DD)",
    ENGAGEMENT_HOUR: "one bucket per UTC hour (HH)",
}

_TIME_SERIES_METRICS = (
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
_ALL_KEYS = (TWEET_ID, ENGAGEMENT_TYPE, ENGAGEMENT_DAY, ENGAGEMENT_HOUR)

ENDPOINTS: dict[str, Endpoint] = {
    e.name: e
    for e in (
        Endpoint(
            "totals",
            "lifetime totals as of now",
            max_tweet_ids=250,
            metrics=(
                "impressions",
                "engagements",
                "favorites",
                "retweets",
                "quote_tweets",
                "replies",
                "video_views",
            ),
            group_keys=(TWEET_ID, ENGAGEMENT_TYPE),
            takes_time_range=False,
            owned_tweets_only=False,
        ),
        Endpoint(
            "28hr",
            "hourly engagement of the last 28 hours",
            max_tweet_ids=25,
            metrics=_TIME_SERIES_METRICS,
            group_keys=_ALL_KEYS,
            takes_time_range=False,
            owned_tweets_only=True,
        ),
        Endpoint(
            "historical",
            "engagement in a chosen window since 2014-09-01",
            max_tweet_ids=25,
            metrics=_TIME_SERIES_METRICS,
            group_keys=_ALL_KEYS,
            takes_time_range=True,
            owned_tweets_only=True,
        ),
    )
}

APP_AUTH = "app"
"""An app-only bearer token suffices (Part A §7)."""
USER_AUTH = "user"
"""OAuth 1.0a user context is needed: the Tweets' author's access token."""
AUTH_WORDS = {
    APP_AUTH: "an app-only bearer token suffices",
    USER_AUTH: "needs OAuth 1.0a user context (the Tweets' author's access token)",
}

UNAVAILABLE_IDS = "unavailable_tweet_ids"
"""The answer's list of Tweets it has no counts for: deleted or not public (Part B §5.3)."""
UNSUPPORTED_IMPRESSIONS_IDS = "unsupported_for_impressions_engagements_tweet_ids"
"""/totals: Tweets too old for impressions and engagements (Part A §5)."""
UNSUPPORTED_VIDEO_VIEWS_IDS = "unsupported_for_video_views_tweet_ids"
"""/totals: Tweets too old for video_views (Part A §5)."""
LISTED_ID_KEYS = (UNAVAILABLE_IDS, UNSUPPORTED_IMPRESSIONS_IDS, UNSUPPORTED_VIDEO_VIEWS_IDS)
"""The answer's keys that list Tweet IDs rather than hold a grouping."""
ERRORS_KEY = "errors"
UNAVAILABLE_NOTE = "{count} Tweet ID(s) are unavailable"
"""The ``errors`` note of an answer that lists unavailable Tweets (Part B §5.3)."""
PROTECTED_ERROR = "Tweet ID(s) are unavailable"
"""The one ``errors`` text of the 400 for a request naming a protected Tweet (Part B §2)."""
UNOWNED_ERROR = "Forbidden to access tweets"
"""How a 403's ``errors`` text naming Tweets the credentials do not own begins (Part B §6)."""
FORBIDDEN_METRICS_ERROR = "Forbidden to access metrics: "
"""How the 403 for metrics the credentials may not read begins; the names follow (Part B §6)."""
FORBIDDEN_ENDPOINT_ERROR = "Forbidden to access endpoint: "
"""How the 403 for an endpoint a bearer token may not call begins; engql's own wording."""
RATE_LIMITED_ERROR = "Exceeded rate limit"
"""The ``errors`` text of a 429 (Part A §10)."""

TWEET_IDS_FIELD = "tweet_ids"
ENGAGEMENT_TYPES_FIELD = "engagement_types"
GROUPINGS_FIELD = "groupings"
"""An object of named groupings, each ``{GROUP_BY_FIELD: [keys]}``."""
GROUP_BY_FIELD = "group_by"
START_FIELD = "start"
END_FIELD = "end"
"""A /historical request's window; an answer on /28hr and /historical echoes both."""
REQUIRED_FIELDS = (TWEET_IDS_FIELD, ENGAGEMENT_TYPES_FIELD, GROUPINGS_FIELD)
"""The fields every request body holds (Part A §1)."""
RANGE_FIELDS = (START_FIELD, END_FIELD)
ANSWER_FIELDS = (START_FIELD, END_FIELD, ERRORS_KEY, *LISTED_ID_KEYS)
"""An answer's top-level keys besides the groupings, in the order an answer has them."""
WIRE_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
"""How engql writes ``start`` and ``end`` in a body (Part A §3); answers echo them so."""

REQUEST_HEADERS = {"Accept-Encoding": "gzip", "Content-Type": "application/json"}
"""Sent with every request, besides its Authorization: the API answers only a client that
accepts gzip, and takes a JSON body."""

RATE_LIMIT_HEADER = "x-per-minute-limit"
"""Response headers of the minute's allowance, its requests left and the epoch second the
next minute starts (Part A §10; the reset header is seen only in a third-party parser)."""
RATE_REMAINING_HEADER = "x-per-minute-remaining"
RATE_RESET_HEADER = "x-per-minute-reset"
RETRY_AFTER_HEADER = "Retry-After"

PAGE_DATA_KEY = "data"
"""IDs files may hold the X API v2's answers as other tools save them (twarc2 writes one
page a line): a page's Tweets are its ``data``; ``includes`` are Tweets they refer to."""
PAGE_KEYS = (PAGE_DATA_KEY, "errors", "meta")
"""The keys that make an object such a page; one of only ``errors`` or ``meta`` has no
Tweets. Its errors' texts are under one of PAGE_ERROR_TEXT_KEYS."""
PAGE_ERROR_TEXT_KEYS = ("detail", "title", "message")
TWEET_ID_KEYS = ("id_str", "id")
"""A Tweet object's ID, in order of preference: v1.1 objects have both (``id`` a number),
v2 objects and twarc2's flattened ones ``id`` (a string)."""

ENV_NAMES: Mapping[str, tuple[str, ...]] = {
    "consumer_key": ("ENGQL_CONSUMER_KEY", "TWITTER_CONSUMER_KEY"),
    "consumer_secret": ("ENGQL_CONSUMER_SECRET", "TWITTER_CONSUMER_SECRET"),
    "access_token": ("ENGQL_ACCESS_TOKEN", "TWITTER_ACCESS_TOKEN"),
    "access_token_secret": ("ENGQL_ACCESS_TOKEN_SECRET", "TWITTER_ACCESS_TOKEN_SECRET"),
    "bearer_token": ("ENGQL_BEARER_TOKEN", "TWITTER_BEARER_TOKEN"),
    "base_url": ("ENGQL_BASE_URL",),
}
"""The variables read for each setting, first found wins: ``ENGQL_*``, then the names of
X's own Engagement scripts (Part B §8). They are engql's interface rather than the API's,
and live here because ``engql.config`` reads them and the sandbox prints them, and the
sandbox (the API's stand-in) imports facts but not config's loading."""
PROFILE_VARIABLE = "ENGQL_PROFILE"
"""Names the profile of the credentials file to read, when no flag does."""

ASSUMED_RATE_LIMIT = 60
"""Requests a minute assumed when neither the server nor the user says (limits are set
by contract and unpublished, Part A §10)."""
MAX_WAIT_SECONDS = 600.0
"""The longest wait for a rate limit that ``engql run`` accepts by default
(``--max-wait``): a minute's reset is at most 60 s away, so a server that asks for more
(a Retry-After of a day) makes the waiting requests give up instead."""

MAX_GROUPINGS = 3
FOUR_KEY_ORDERS: tuple[tuple[str, ...], ...] = (
    (TWEET_ID, ENGAGEMENT_TYPE, ENGAGEMENT_DAY, ENGAGEMENT_HOUR),
    (ENGAGEMENT_TYPE, TWEET_ID, ENGAGEMENT_DAY, ENGAGEMENT_HOUR),
)
MAX_FOUR_KEY_GROUPINGS = 1
DEFAULT_GROUP_BY: tuple[str, ...] = (TWEET_ID, ENGAGEMENT_TYPE)

HISTORICAL_EARLIEST = datetime(2014, 9, 1, tzinfo=UTC)
HISTORICAL_RECENT_LIMIT = timedelta(days=365)
"""The overview's newer limit; engql only warns about it (Part A §3)."""
HISTORICAL_MAX_WINDOW = timedelta(days=28)
PUBLIC_COUNTS_START = datetime(2015, 9, 15, tzinfo=UTC)
"""favorites, replies and retweets read as zero on /historical before this day."""
PUBLIC_COUNTS_METRICS = ("favorites", "replies", "retweets")
TWENTY_EIGHT_HOURS = timedelta(hours=28)

TOTALS_PRIVATE_MAX_AGE = timedelta(days=90)
"""/totals impressions and engagements exist only for Tweets younger than this."""
TOTALS_PRIVATE_METRICS = ("impressions", "engagements")
VIDEO_VIEWS_MAX_AGE = timedelta(days=1800)

SNOWFLAKE_EPOCH_MS = 1288834974657
_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SNOWFLAKE_SCHEME_START = _UNIX_EPOCH + timedelta(milliseconds=SNOWFLAKE_EPOCH_MS)
"""2010-11-04 01:42:54.657 UTC: Tweets before it have sequential IDs, which carry no time."""
SNOWFLAKE_FIRST_ID = 30_000_000_000
"""Sequential IDs reached about 2.97e10 before the switch (Part A §8); an ID below this is
taken as one of them. (Snowflake IDs this small would be from the scheme's first 7 s.)"""
MAX_TWEET_ID = (1 << 63) - 1


def tweet_created_at(tweet_id: int) -> datetime | None:
    """The creation time a Snowflake ID carries, or None for pre-Snowflake IDs."""
    if tweet_id < SNOWFLAKE_FIRST_ID:
        return None
    return _UNIX_EPOCH + timedelta(milliseconds=(tweet_id >> 22) + SNOWFLAKE_EPOCH_MS)


def snowflake_id_at(moment: datetime) -> int:
    """The smallest Snowflake ID that a Tweet created at ``moment`` can have."""
    ms = (moment - _UNIX_EPOCH) // timedelta(milliseconds=1) - SNOWFLAKE_EPOCH_MS
    return max(ms, 0) << 22


def auth_for(endpoint: str, metrics: tuple[str, ...] | list[str]) -> str:
    """The auth level a request needs: "app" when a bearer token suffices, else "user"."""
    if endpoint == "totals" and all(METRICS[m].public for m in metrics):
        return APP_AUTH
    return USER_AUTH
