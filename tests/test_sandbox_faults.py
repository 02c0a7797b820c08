"""Fault plans and the minute limiter as pure objects, and each fault on the wire."""

from __future__ import annotations

import gzip
import json
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import urllib3

from engql.sandbox.faults import (
    BAD_COUNT,
    FAR_RESET_SECONDS,
    GZIP_BOMB_BYTES,
    NOT_A_GROUPING,
    SLOW_BODY_SECONDS_PER_BYTE,
    Fault,
    FaultPlan,
    FaultSyntaxError,
    gzip_bomb,
    limit_headers,
    parse_rates,
    parse_script,
    spoiled,
    unrequested_id,
)
from engql.sandbox.ratelimit import MinuteLimiter
from engql.sandbox.server import Sandbox


def test_script_names_requests_and_ranges() -> None:
    assert parse_script(["3=503", "5-7=429", "1=drop"]) == {
        3: Fault.UNAVAILABLE,
        5: Fault.RATE_LIMITED,
        6: Fault.RATE_LIMITED,
        7: Fault.RATE_LIMITED,
        1: Fault.DROP,
    }


@pytest.mark.parametrize("spec", ["3", "x=503", "0=503", "3=504", "7-5=500", "=drop"])
def test_bad_scripts_say_what_is_wrong(spec: str) -> None:
    with pytest.raises(FaultSyntaxError, match="--fault"):
        parse_script([spec])


def test_rates_are_probabilities() -> None:
    assert parse_rates(["503=0.25", "truncate=0.05"]) == {
        Fault.UNAVAILABLE: 0.25,
        Fault.TRUNCATE: 0.05,
    }
    for spec in ("503=2", "503", "nope=0.1"):
        with pytest.raises(FaultSyntaxError):
            parse_rates([spec])
    with pytest.raises(FaultSyntaxError):
        FaultPlan(rates={Fault.UNAVAILABLE: 0.7, Fault.DROP: 0.7})


def test_script_wins_and_rates_are_seeded() -> None:
    plan = FaultPlan({2: Fault.DROP}, {Fault.INTERNAL_ERROR: 0.3}, seed=5)
    again = FaultPlan({2: Fault.DROP}, {Fault.INTERNAL_ERROR: 0.3}, seed=5)
    drawn = [plan.fault_for(n) for n in range(1, 200)]
    assert drawn == [again.fault_for(n) for n in range(1, 200)]
    assert drawn[1] is Fault.DROP
    share = drawn.count(Fault.INTERNAL_ERROR) / len(drawn)
    assert 0.2 < share < 0.4
    assert FaultPlan().fault_for(1) is None


def test_limiter_counts_each_credential_per_calendar_minute() -> None:
    now = [120.0]
    limiter = MinuteLimiter(2, lambda: now[0])
    a = [limiter.take("a") for _ in range(3)]
    assert [x.allowed for x in a] == [True, True, False]
    assert [x.remaining for x in a] == [1, 0, 0]
    assert {x.reset for x in a} == {180}
    assert limiter.take("b").allowed
    now[0] = 180.5
    assert limiter.take("a").remaining == 1
    assert limiter.take("a").headers() == {
        "x-per-minute-limit": "2",
        "x-per-minute-remaining": "0",
        "x-per-minute-reset": "240",
    }
    with pytest.raises(ValueError):
        MinuteLimiter(0, lambda: 0.0)


# The faults of hostile servers: pure parts, then over the wire --------------------------

GROUPINGS = {
    "per_tweet": ["tweet.id", "engagement.type"],
    "by_type": ["engagement.type", "tweet.id"],
    "total": ["engagement.type"],
}
ANSWER: dict[str, Any] = {
    "per_tweet": {"30": {"favorites": "1", "retweets": "2"}, "31": {"favorites": "3"}},
    "by_type": {"favorites": {"30": "1", "31": "3"}},
    "total": {"favorites": "4", "retweets": "2"},
}


def test_the_new_fault_names_are_read_from_the_script() -> None:
    names = [
        "not-an-object",
        "string-body",
        "gzip-bomb",
        "huge-retry-after",
        "string-grouping",
        "list-grouping",
        "bad-counts",
        "extra-ids",
        "slow-body",
        "far-reset",
        "zero-limit",
    ]
    script = parse_script([f"{n}={name}" for n, name in enumerate(names, 1)])
    assert [fault.value for fault in script.values()] == names


def test_spoiled_groupings_are_not_objects_and_the_answer_is_left_alone() -> None:
    kept = json.dumps(ANSWER)
    strings = spoiled(Fault.STRING_GROUPING, ANSWER, GROUPINGS, ["30", "31"])
    assert {strings[name] for name in GROUPINGS} == {NOT_A_GROUPING}
    lists = spoiled(Fault.LIST_GROUPING, ANSWER, GROUPINGS, ["30", "31"])
    assert all(lists[name] == [ANSWER[name]] for name in GROUPINGS)
    assert json.dumps(ANSWER) == kept


def test_bad_counts_spoil_the_first_count_of_each_grouping() -> None:
    bad = spoiled(Fault.BAD_COUNTS, ANSWER, GROUPINGS, ["30", "31"])
    assert bad["per_tweet"]["30"] == {"favorites": BAD_COUNT, "retweets": "2"}
    assert bad["by_type"]["favorites"]["30"] == BAD_COUNT
    assert bad["total"]["favorites"] == BAD_COUNT
    assert ANSWER["total"]["favorites"] == "4"


def test_extra_ids_name_a_tweet_never_requested_wherever_tweets_are_keys() -> None:
    extra = spoiled(Fault.EXTRA_IDS, ANSWER, GROUPINGS, ["20", "30", "31"])
    assert unrequested_id(["20", "30", "31"]) == "21"
    assert set(extra["per_tweet"]) == {"30", "31", "21"}
    assert set(extra["by_type"]["favorites"]) == {"30", "31", "21"}
    assert extra["total"] == ANSWER["total"]
    assert extra["unavailable_tweet_ids"] == ["21"]
    assert "21" not in ANSWER["per_tweet"]


def test_limit_faults_use_up_the_minute_for_a_day_or_say_the_limit_is_zero() -> None:
    assert limit_headers(Fault.FAR_RESET, 1000.5) == {
        "x-per-minute-remaining": "0",
        "x-per-minute-reset": str(1000 + FAR_RESET_SECONDS),
    }
    assert limit_headers(Fault.ZERO_LIMIT, 1000.5) == {
        "x-per-minute-limit": "0",
        "x-per-minute-remaining": "0",
        "x-per-minute-reset": "1001",
    }
    assert limit_headers(Fault.BAD_COUNTS, 1000.5) == {}


def test_the_gzip_bomb_is_small_valid_gzip_that_expands_to_a_gib_of_json() -> None:
    bomb = gzip_bomb()
    assert len(bomb) < 2 * 1024 * 1024
    inflate = zlib.decompressobj(31)
    size = spaces = 0
    last = b""
    for at in range(0, len(bomb), 1 << 12):
        out = inflate.decompress(bomb[at : at + (1 << 12)])
        size += len(out)
        spaces += out.count(b" ")
        last = (last + out[-2:])[-2:]
    assert inflate.eof and not inflate.unused_data  # the trailer's CRC and size checked
    assert (size, spaces, last) == (GZIP_BOMB_BYTES + 2, GZIP_BOMB_BYTES, b"{}")


OWNED = "697506383516729344"
NOW = datetime(2016, 3, 1, 12, 30, tzinfo=UTC)
BODY = {
    "tweet_ids": [OWNED],
    "engagement_types": ["favorites", "retweets"],
    "groupings": {"g": {"group_by": ["tweet.id", "engagement.type"]}},
}
http = urllib3.PoolManager(retries=False, timeout=10)


def send(api: Sandbox, **options: Any) -> urllib3.BaseHTTPResponse:
    """A bearer-token /totals request for BODY, its body left unread."""
    return http.request(
        "POST",
        f"{api.base_url}/insights/engagement/totals",
        body=json.dumps(BODY),
        headers={
            "Content-Type": "application/json",
            "Accept-Encoding": "gzip",
            "Authorization": f"Bearer {api.credentials.bearer_token}",
        },
        decode_content=False,
        **options,
    )


def body_of(response: urllib3.BaseHTTPResponse) -> Any:
    return json.loads(gzip.decompress(response.data))


def test_body_faults_are_200s_of_the_wrong_shape(
    engql_sandbox_factory: Callable[..., Sandbox],
) -> None:
    script = {2: Fault.NOT_AN_OBJECT, 3: Fault.STRING_BODY, 4: Fault.STRING_GROUPING}
    script |= {5: Fault.LIST_GROUPING, 6: Fault.BAD_COUNTS, 7: Fault.EXTRA_IDS}
    api = engql_sandbox_factory(now=NOW, faults=FaultPlan(script))
    real = body_of(send(api))
    answers = [send(api) for _ in script]
    assert {a.status for a in answers} == {200}
    bodies = [body_of(a) for a in answers]
    groupings = {"g": ["tweet.id", "engagement.type"]}
    assert bodies[:2] == [["not", "an", "object"], "not an object"]
    for fault, body in zip(list(script.values())[2:], bodies[2:], strict=True):
        assert body == spoiled(fault, real, groupings, [OWNED]), fault
    assert [e.fault for e in api.log.entries()] == [None, *script.values()]
    assert {e.auth for e in api.log.entries()[3:]} == {"app"}  # answered as usual, then spoilt


def test_a_huge_retry_after_asks_for_a_day(engql_sandbox_factory: Callable[..., Sandbox]) -> None:
    api = engql_sandbox_factory(now=NOW, faults=FaultPlan({1: Fault.HUGE_RETRY_AFTER}))
    refused = send(api)
    assert (refused.status, refused.headers["Retry-After"]) == (429, "86400")
    assert body_of(refused) == {"errors": ["Exceeded rate limit"]}


def test_limit_faults_answer_with_their_headers(
    engql_sandbox_factory: Callable[..., Sandbox],
) -> None:
    faults = FaultPlan({1: Fault.FAR_RESET, 2: Fault.ZERO_LIMIT})
    api = engql_sandbox_factory(now=NOW, faults=faults)
    far, zero = send(api), send(api)
    assert far.status == zero.status == 200
    assert body_of(far) == body_of(zero) == body_of(send(api))
    assert far.headers["x-per-minute-remaining"] == "0"
    assert int(far.headers["x-per-minute-reset"]) >= time.time() + FAR_RESET_SECONDS - 5
    assert far.headers["x-per-minute-limit"] == "60"
    assert zero.headers["x-per-minute-limit"] == "0"
    assert int(zero.headers["x-per-minute-reset"]) <= time.time() + 2


def test_a_gzip_bomb_is_sent_whole(engql_sandbox_factory: Callable[..., Sandbox]) -> None:
    api = engql_sandbox_factory(now=NOW, faults=FaultPlan({1: Fault.GZIP_BOMB}))
    response = send(api)
    assert (response.status, response.headers["Content-Encoding"]) == (200, "gzip")
    assert response.data == gzip_bomb()


def test_a_slow_body_drips_one_byte_a_second(engql_sandbox_factory: Callable[..., Sandbox]) -> None:
    api = engql_sandbox_factory(now=NOW, faults=FaultPlan({1: Fault.SLOW_BODY}))
    response = send(api, preload_content=False)
    assert response.status == 200
    expected = int(response.headers["Content-Length"])
    started = time.monotonic()
    got = response.read1(1 << 16) + response.read1(1 << 16)
    took = time.monotonic() - started
    response.close()
    assert len(got) == 2 < expected
    assert took >= SLOW_BODY_SECONDS_PER_BYTE * 0.9
    assert send(api).status == 200  # the sandbox goes on when the client leaves
