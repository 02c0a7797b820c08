"""The sandbox over real loopback sockets: protocol, auth, rules, ownership, limits, faults."""

from __future__ import annotations

import argparse
import gzip
import inspect
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import urllib3
from oauthlib.oauth1 import Client

import engql
from engql.cli import build_parser, main
from engql.sandbox.faults import Fault, FaultPlan
from engql.sandbox.responses import UNAVAILABLE_FORMS
from engql.sandbox.server import GZIP_REQUIRED, CannotServe, Sandbox

NOW = datetime(2016, 3, 1, 12, 30, tzinfo=UTC)
OWNED = "697506383516729344"
OTHER = "697506383516729345"
http = urllib3.PoolManager(retries=False, timeout=10)

MakeSandbox = Callable[..., Sandbox]


def post(
    api: Sandbox,
    endpoint: str,
    body: Any,
    auth: str | None = "user",
    accept_gzip: bool = True,
    raw: bytes | None = None,
) -> urllib3.BaseHTTPResponse:
    url = f"{api.base_url}/insights/engagement/{endpoint}"
    data = raw if raw is not None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if accept_gzip:
        headers["Accept-Encoding"] = "gzip"
    c = api.credentials
    if auth == "user":
        client = Client(
            c.consumer_key,
            client_secret=c.consumer_secret,
            resource_owner_key=c.access_token,
            resource_owner_secret=c.access_token_secret,
        )
        url, headers, _ = client.sign(url, http_method="POST", headers=headers)
    elif auth == "app":
        headers["Authorization"] = f"Bearer {c.bearer_token}"
    return http.request("POST", url, body=data, headers=headers, decode_content=False)


def decoded(response: urllib3.BaseHTTPResponse) -> Any:
    data = response.data
    if response.headers.get("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    return json.loads(data)


def totals_body(*ids: str, metrics: tuple[str, ...] = ("favorites", "retweets")) -> Any:
    return {
        "tweet_ids": list(ids),
        "engagement_types": list(metrics),
        "groupings": {"g": {"group_by": ["tweet.id", "engagement.type"]}},
    }


@pytest.fixture
def api(engql_sandbox_factory: MakeSandbox) -> Sandbox:
    return engql_sandbox_factory(now=NOW)


def test_a_signed_request_gets_a_gzipped_answer_with_limits(api: Sandbox) -> None:
    response = post(api, "totals", totals_body(OWNED, OTHER))
    assert response.status == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["x-per-minute-limit"] == "60"
    assert response.headers["x-per-minute-remaining"] == "59"
    assert int(response.headers["x-per-minute-reset"]) % 60 == 0
    answer = decoded(response)
    assert set(answer["g"]) == {OWNED, OTHER}
    assert set(answer["g"][OWNED]) == {"favorites", "retweets"}
    assert all(value.isdigit() for value in answer["g"][OWNED].values())


def test_without_gzip_the_documented_406(api: Sandbox) -> None:
    response = post(api, "totals", totals_body(OWNED), accept_gzip=False)
    assert response.status == 406
    assert decoded(response) == {"errors": [GZIP_REQUIRED]}


def test_unknown_path_is_404(api: Sandbox) -> None:
    response = post(api, "lifetime", totals_body(OWNED))
    assert response.status == 404


def test_missing_or_wrong_credentials_are_401(api: Sandbox) -> None:
    for auth in (None,):
        response = post(api, "totals", totals_body(OWNED), auth=auth)
        assert response.status == 401
        (message,) = decoded(response)["errors"]
        assert message.startswith("Your account could not be authenticated. Reason: ")


def test_bearer_reads_public_totals_only(api: Sandbox) -> None:
    assert post(api, "totals", totals_body(OWNED), auth="app").status == 200
    refused = post(api, "totals", totals_body(OWNED, metrics=("impressions",)), auth="app")
    assert refused.status == 403
    assert decoded(refused) == {"errors": ["Forbidden to access metrics: impressions"]}
    assert post(api, "28hr", totals_body(OWNED), auth="app").status == 403


@pytest.mark.parametrize(
    ("raw", "problem"),
    [(b"[1, 2]", "JSON object"), (b"{not json", "JSON object")],
)
def test_a_body_that_is_no_json_object_is_400(api: Sandbox, raw: bytes, problem: str) -> None:
    response = post(api, "totals", None, raw=raw)
    assert response.status == 400
    assert problem in decoded(response)["errors"][0]


def test_rule_violations_are_400_with_one_string_each(api: Sandbox) -> None:
    body = totals_body(OWNED, metrics=("url_clicks",))
    body["groupings"]["h"] = {"group_by": ["engagement.hour"]}
    response = post(api, "totals", body)
    assert response.status == 400
    assert len(decoded(response)["errors"]) == 2


def test_unowned_tweets_refuse_the_whole_request(engql_sandbox_factory: MakeSandbox) -> None:
    api = engql_sandbox_factory(now=NOW, unowned=[OTHER])
    response = post(api, "totals", totals_body(OWNED, OTHER))
    assert response.status == 403
    assert decoded(response) == {"errors": [f"Forbidden to access tweets: {OTHER};"]}
    assert post(api, "totals", totals_body(OWNED, OTHER), auth="app").status == 200


def test_several_unowned_tweets_are_named_in_the_documented_form(
    engql_sandbox_factory: MakeSandbox,
) -> None:
    """The docs' example: ``Forbidden to access tweets: 1054424731825229824;``."""
    third = "697506383516729346"
    api = engql_sandbox_factory(now=NOW, unowned=[third, OTHER])
    response = post(api, "totals", totals_body(OTHER, OWNED, third))
    assert decoded(response) == {"errors": [f"Forbidden to access tweets: {OTHER}, {third};"]}


def test_unavailable_tweets_are_a_partial_answer(engql_sandbox_factory: MakeSandbox) -> None:
    api = engql_sandbox_factory(now=NOW, unavailable=[OTHER])
    answer = decoded(post(api, "totals", totals_body(OWNED, OTHER)))
    assert answer["unavailable_tweet_ids"] == [OTHER]
    assert answer["errors"] == ["1 Tweet ID(s) are unavailable"]
    assert set(answer["g"]) == {OWNED}


def test_unavailable_tweets_can_come_without_the_errors_string(
    engql_sandbox_factory: MakeSandbox,
) -> None:
    """Part B §5.3 shows both forms; ``ids-only`` lists the IDs and adds no errors string."""
    api = engql_sandbox_factory(now=NOW, unavailable=[OTHER], unavailable_form="ids-only")
    answer = decoded(post(api, "totals", totals_body(OWNED, OTHER)))
    assert answer["unavailable_tweet_ids"] == [OTHER]
    assert "errors" not in answer
    assert set(answer["g"]) == {OWNED}
    old = "20"
    older = decoded(post(api, "totals", totals_body(OWNED, OTHER, old, metrics=("impressions",))))
    assert [e.split(" ")[0] for e in older["errors"]] == ["Impressions"]


def test_an_unknown_unavailable_form_is_refused() -> None:
    with pytest.raises(ValueError, match="with-errors or ids-only"):
        Sandbox(unavailable_form="none")


def test_protected_tweets_are_400(engql_sandbox_factory: MakeSandbox) -> None:
    api = engql_sandbox_factory(now=NOW, protected=[OTHER])
    response = post(api, "totals", totals_body(OWNED, OTHER))
    assert response.status == 400
    assert decoded(response) == {"errors": ["Tweet ID(s) are unavailable"]}


def test_past_the_rate_limit_429_until_the_next_minute(
    engql_sandbox_factory: MakeSandbox,
) -> None:
    clock = [1_000_000 * 60 + 10.0]
    api = engql_sandbox_factory(now=NOW, rate_limit=2, wall_clock=lambda: clock[0])
    statuses = [post(api, "totals", totals_body(OWNED), auth="app").status for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = post(api, "totals", totals_body(OWNED), auth="app")
    assert decoded(limited) == {"errors": ["Exceeded rate limit"]}
    assert limited.headers["x-per-minute-remaining"] == "0"
    assert limited.headers["x-per-minute-reset"] == str(1_000_001 * 60)
    clock[0] += 60
    assert post(api, "totals", totals_body(OWNED), auth="app").status == 200


def test_scripted_faults_break_exactly_the_named_requests(
    engql_sandbox_factory: MakeSandbox,
) -> None:
    script = {1: Fault.UNAVAILABLE, 2: Fault.RATE_LIMITED, 3: Fault.MALFORMED, 4: Fault.TRUNCATE}
    api = engql_sandbox_factory(now=NOW, faults=FaultPlan(script))
    first = post(api, "totals", totals_body(OWNED))
    assert (first.status, decoded(first)) == (503, {"errors": ["Service Unavailable"]})
    second = post(api, "totals", totals_body(OWNED))
    assert (second.status, second.headers["Retry-After"]) == (429, "1")
    third = post(api, "totals", totals_body(OWNED))
    assert third.status == 200
    with pytest.raises(ValueError):
        decoded(third)
    fourth = post(api, "totals", totals_body(OWNED))
    with pytest.raises(EOFError):
        gzip.decompress(fourth.data)
    assert post(api, "totals", totals_body(OWNED)).status == 200
    assert [e.fault for e in api.log.entries()] == [*script.values(), None]


def test_a_dropped_connection_sends_nothing(engql_sandbox_factory: MakeSandbox) -> None:
    api = engql_sandbox_factory(now=NOW, faults=FaultPlan({1: Fault.DROP}))
    with pytest.raises(urllib3.exceptions.ProtocolError):
        post(api, "totals", totals_body(OWNED))
    assert post(api, "totals", totals_body(OWNED)).status == 200


def test_random_faults_follow_their_seed(engql_sandbox_factory: MakeSandbox) -> None:
    def statuses(seed: int) -> list[int]:
        plan = FaultPlan(rates={Fault.UNAVAILABLE: 0.5}, seed=seed)
        api = engql_sandbox_factory(now=NOW, faults=plan)
        return [post(api, "totals", totals_body(OWNED)).status for _ in range(12)]

    assert statuses(7) == statuses(7)
    assert set(statuses(7)) == {200, 503}


def test_latency_is_added_to_every_answer(engql_sandbox_factory: MakeSandbox) -> None:
    api = engql_sandbox_factory(now=NOW, latency_ms=150)
    started = time.monotonic()
    post(api, "totals", totals_body(OWNED))
    assert time.monotonic() - started >= 0.15


def test_the_log_says_what_came_and_how_it_was_answered(api: Sandbox) -> None:
    post(api, "totals", totals_body(OWNED), auth="app")
    post(api, "totals", totals_body(OWNED), auth=None)
    first, second = api.log.entries()
    assert (first.number, first.auth, first.status) == (1, "app", 200)
    assert first.body == totals_body(OWNED)
    assert (second.auth, second.status) == (None, 401)
    secrets = [api.credentials.consumer_secret, api.credentials.access_token_secret]
    assert not any(s in repr(api.log.entries()) for s in secrets)


def test_every_compiled_request_is_accepted(api: Sandbox) -> None:
    plan = engql.compile(
        "SELECT * FROM historical WHERE tweet IN (697506383516729344, 697506383516729345) "
        "AND time BETWEEN '2016-01-01' AND now "
        "GROUP BY tweet.id, engagement.type, engagement.day, engagement.hour AS series "
        "GROUP BY engagement.type AS totals;"
        "SELECT * FROM 28hr WHERE tweet = 697506383516729344;"
        "SELECT * FROM totals WHERE tweet = 697506383516729344",
        now=NOW,
    )
    for request in plan.requests:
        response = post(api, request.endpoint, request.body)
        assert response.status == 200, decoded(response)


def test_the_command_prints_shell_lines_and_serves() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "engql", "sandbox", "--port", "0", "--seed", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline().strip() for _ in range(6)]
        names = [line.split("=", 1)[0] for line in lines]
        assert names == [
            "export ENGQL_BASE_URL",
            "export ENGQL_CONSUMER_KEY",
            "export ENGQL_CONSUMER_SECRET",
            "export ENGQL_ACCESS_TOKEN",
            "export ENGQL_ACCESS_TOKEN_SECRET",
            "export ENGQL_BEARER_TOKEN",
        ]
        base_url = lines[0].split("=", 1)[1]
        bearer = lines[5].split("=", 1)[1]
        response = http.request(
            "POST",
            f"{base_url}/insights/engagement/totals",
            body=json.dumps(totals_body(OWNED)).encode(),
            headers={"Accept-Encoding": "gzip", "Authorization": f"Bearer {bearer}"},
        )
        assert response.status == 200
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
    assert "#1 POST /insights/engagement/totals app:" in err
    assert bearer not in err


def test_only_loopback_addresses() -> None:
    with pytest.raises(ValueError, match="loopback"):
        Sandbox(host="0.0.0.0")


def signed(api: Sandbox, endpoint: str, secret: str | None = None) -> tuple[str, dict[str, str]]:
    c = api.credentials
    client = Client(
        c.consumer_key,
        client_secret=c.consumer_secret,
        resource_owner_key=c.access_token,
        resource_owner_secret=secret or c.access_token_secret,
    )
    url, headers, _ = client.sign(
        f"{api.base_url}/insights/engagement/{endpoint}",
        http_method="POST",
        headers={"Content-Type": "application/json", "Accept-Encoding": "gzip"},
    )
    return url, headers


def send(url: str, headers: dict[str, str], body: Any) -> urllib3.BaseHTTPResponse:
    return http.request(
        "POST", url, body=json.dumps(body).encode(), headers=headers, decode_content=False
    )


def reason(response: urllib3.BaseHTTPResponse) -> str:
    assert response.status == 401
    (message,) = decoded(response)["errors"]
    return str(message).removeprefix("Your account could not be authenticated. Reason: ")


def test_a_replayed_signature_is_refused(api: Sandbox) -> None:
    url, headers = signed(api, "totals")
    assert send(url, headers, totals_body(OWNED)).status == 200
    assert reason(send(url, headers, totals_body(OWNED))) == "Nonce already used"


def test_a_signature_for_another_url_or_secret_is_refused(api: Sandbox) -> None:
    _, headers = signed(api, "28hr")
    totals = f"{api.base_url}/insights/engagement/totals"
    assert reason(send(totals, headers, totals_body(OWNED))) == "Bad signature"
    url, headers = signed(api, "totals", secret="x" * 45)
    assert reason(send(url, headers, totals_body(OWNED))) == "Bad signature"


def test_a_stale_timestamp_is_refused(engql_sandbox_factory: MakeSandbox) -> None:
    api = engql_sandbox_factory(now=NOW, wall_clock=lambda: time.time() + 3600)
    url, headers = signed(api, "totals")
    assert reason(send(url, headers, totals_body(OWNED))) == "Timestamp out of bounds"


def test_the_getting_started_request_has_the_documented_shape(api: Sandbox) -> None:
    body = {
        "tweet_ids": [1260294888811347969, 850006245121695744],
        "engagement_types": ["retweets", "quote_tweets", "favorites", "replies"],
        "groupings": {"engagement-types-by-id": {"group_by": ["tweet.id", "engagement.type"]}},
    }
    answer = decoded(post(api, "totals", body))
    grouping = answer.pop("engagement-types-by-id")
    assert answer == {}
    assert set(grouping) == {"1260294888811347969", "850006245121695744"}
    for counts in grouping.values():
        assert set(counts) == {"retweets", "quote_tweets", "favorites", "replies"}


def test_the_grouping_guide_request_has_the_documented_shape(
    engql_sandbox_factory: MakeSandbox,
) -> None:
    api = engql_sandbox_factory(now=datetime(2016, 2, 20, tzinfo=UTC))
    body = {
        "tweet_ids": ["697506383516729344"],
        "engagement_types": ["impressions", "engagements"],
        "groupings": {
            "series": {
                "group_by": ["tweet.id", "engagement.type", "engagement.day", "engagement.hour"]
            },
            "Grand Totals": {"group_by": ["engagement.type"]},
        },
        "start": "2016-02-10T17:00:00Z",
        "end": "2016-02-10T21:00:00Z",
    }
    answer = decoded(post(api, "historical", body))
    assert (answer["start"], answer["end"]) == ("2016-02-10T17:00:00Z", "2016-02-10T21:00:00Z")
    hours = answer["series"]["697506383516729344"]["impressions"]["2016-02-10"]
    assert list(hours) == ["17", "18", "19", "20"]
    assert set(answer["Grand Totals"]) == {"impressions", "engagements"}
    total = sum(int(v) for v in hours.values())
    assert int(answer["Grand Totals"]["impressions"]) == total


def test_each_user_token_has_its_own_unowned_tweets(engql_sandbox_factory: MakeSandbox) -> None:
    from engql.sandbox.auth import Credentials

    alice, bob = Credentials.generate(1), Credentials.generate(2)
    api = engql_sandbox_factory(now=NOW, credentials=[alice, bob], unowned={bob.user_id: [OTHER]})
    assert api.credentials == alice

    def as_user(user: Credentials) -> int:
        client = Client(
            user.consumer_key,
            client_secret=user.consumer_secret,
            resource_owner_key=user.access_token,
            resource_owner_secret=user.access_token_secret,
        )
        url, headers, _ = client.sign(
            f"{api.base_url}/insights/engagement/totals",
            http_method="POST",
            headers={"Content-Type": "application/json", "Accept-Encoding": "gzip"},
        )
        return send(url, headers, totals_body(OWNED, OTHER)).status

    assert (as_user(alice), as_user(bob)) == (200, 403)


# Connections: an idle timeout and a bound ----------------------------------------------


def idle_connections(api: Sandbox, count: int) -> list[socket.socket]:
    """``count`` connections that send nothing, as a half-open client leaves them."""
    host, _, port = api.base_url.removeprefix("http://").rpartition(":")
    return [socket.create_connection((host, int(port)), timeout=10) for _ in range(count)]


def closed_by_server(connection: socket.socket) -> bool:
    """Whether the server closed it: a read gives end of file (or a reset), not a wait."""
    try:
        return connection.recv(1) == b""
    except ConnectionResetError:
        return True


def wait_for(condition: Callable[[], bool], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_an_idle_connection_is_closed_after_the_timeout(
    engql_sandbox_factory: MakeSandbox,
) -> None:
    api = engql_sandbox_factory(now=NOW, connection_timeout=0.2)
    silent, half_sent = idle_connections(api, 2)
    half_sent.sendall(b"POST /insights/engagement/totals HTTP/1.1\r\nHost: x\r\n")
    started = time.monotonic()
    assert closed_by_server(silent)
    assert closed_by_server(half_sent)
    assert time.monotonic() - started < 5
    assert post(api, "totals", totals_body(OWNED)).status == 200


def test_many_idle_connections_hold_a_bounded_number_of_threads(
    engql_sandbox_factory: MakeSandbox,
) -> None:
    """1,000 idle sockets once held 1,002 threads. Past the bound a connection is closed
    at once; the held ones time out, and a real request is served after them."""
    before = threading.active_count()
    api = engql_sandbox_factory(now=NOW, connection_timeout=1, max_connections=8)
    idle = idle_connections(api, 300)
    try:
        assert wait_for(lambda: sum(map(closed_by_server_now, idle)) >= 300 - 8)
        assert threading.active_count() <= before + 1 + 8
        assert wait_for(lambda: all(map(closed_by_server_now, idle)))
        assert post(api, "totals", totals_body(OWNED)).status == 200
    finally:
        for connection in idle:
            connection.close()


def closed_by_server_now(connection: socket.socket) -> bool:
    """``closed_by_server`` without waiting: False while the connection is still open."""
    connection.setblocking(False)
    try:
        return closed_by_server(connection)
    except BlockingIOError:
        return False


def test_the_commands_defaults_are_the_sandboxs() -> None:
    """``engql sandbox`` with no flags is ``Sandbox()``: one default for each setting."""
    (commands,) = (a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    flags = {a.dest: a.default for a in commands.choices["sandbox"]._actions}
    settings = inspect.signature(Sandbox.__init__).parameters
    lists = {"unowned", "unavailable", "protected"}  # text on the command line
    shared = [name for name in flags if name in settings and name not in lists]
    assert {"connection_timeout", "max_connections", "latency_ms", "rate_limit"} <= set(shared)
    for name in shared:
        assert flags[name] == settings[name].default, name
    (form,) = (a for a in commands.choices["sandbox"]._actions if a.dest == "unavailable_form")
    assert tuple(form.choices or ()) == UNAVAILABLE_FORMS


@pytest.mark.parametrize(
    "flags", [["--max-connections", "0"], ["--connection-timeout", "0"], ["--latency-ms", "-1"]]
)
def test_settings_the_sandbox_cannot_use_are_usage_errors(
    flags: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sandbox", *flags]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("engql: ") and line.endswith("(see 'engql sandbox --help')")


def test_a_port_in_use_is_said_in_a_sentence_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    """Not '[Errno 98] Address already in use': the address, and what to do instead."""
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        says = (
            f"cannot serve on 127.0.0.1:{port}: "
            "the port is already in use (--port 0 picks a free one)"
        )
        with pytest.raises(CannotServe) as refused:
            Sandbox(port=port)
        assert str(refused.value) == says
        assert main(["sandbox", "--port", str(port)]) == 2
    assert capsys.readouterr().err == f"engql: {says}\n"


def test_a_port_past_65535_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """bind() raised OverflowError for it: an internal error, exit 70."""
    assert main(["sandbox", "--port", "70000"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("engql: a port is 0 to 65535, not 70000 (0 picks a free one)")
