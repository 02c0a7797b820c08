"""The sandbox's request authentication: OAuth 1.0a signatures made by oauthlib's client
side, bearer tokens, the bearer's permissions, and credentials that never show a secret."""

from __future__ import annotations

import threading

import pytest
from oauthlib.oauth1 import (
    SIGNATURE_HMAC_SHA1,
    SIGNATURE_PLAINTEXT,
    SIGNATURE_TYPE_AUTH_HEADER,
    Client,
)

from engql.sandbox.auth import (
    ACCESS_TOKEN_FORMAT,
    ACCESS_TOKEN_SECRET_FORMAT,
    BEARER_TOKEN_FORMAT,
    CONSUMER_KEY_FORMAT,
    CONSUMER_SECRET_FORMAT,
    Authenticator,
    AuthFailure,
    Credentials,
    Identity,
    Reason,
)

NOW = 1_700_000_000
URL = "http://127.0.0.1:8123/insights/engagement/totals"
BODY = b'{"tweet_ids": ["697506383516729344"], "engagement_types": ["favorites"]}'
JSON = {"Content-Type": "application/json"}

ALICE = Credentials.generate(1)
BOB = Credentials.generate(2)
"""Another app with its own user: known to the server, but not ALICE's."""
STRANGER = Credentials.generate(3)
"""Never registered with the server."""


class Clock:
    def __init__(self) -> None:
        self.now = float(NOW)

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def auth(clock: Clock) -> Authenticator:
    return Authenticator([ALICE, BOB], clock=clock)


def signed(
    url: str = URL,
    *,
    consumer: Credentials = ALICE,
    user: Credentials | None = ALICE,
    consumer_secret: str | None = None,
    token_secret: str | None = None,
    nonce: str | None = None,
    timestamp: int = NOW,
    method: str = SIGNATURE_HMAC_SHA1,
) -> dict[str, str]:
    """Headers of a POST signed by oauthlib's client, as a real client sends it."""
    client = Client(
        consumer.consumer_key,
        client_secret=consumer_secret or consumer.consumer_secret,
        resource_owner_key=user.access_token if user else None,
        resource_owner_secret=(token_secret or user.access_token_secret) if user else None,
        signature_method=method,
        signature_type=SIGNATURE_TYPE_AUTH_HEADER,
        nonce=nonce,
        timestamp=str(timestamp),
    )
    _, headers, _ = client.sign(url, http_method="POST", body=BODY.decode(), headers=JSON)
    return headers


def refused(verdict: Identity | AuthFailure, reason: str) -> None:
    assert verdict == AuthFailure(
        401, [f"Your account could not be authenticated. Reason: {reason}"]
    )
    for secret in secrets_of(ALICE, BOB, STRANGER):
        assert secret not in repr(verdict)


def secrets_of(*credentials: Credentials) -> list[str]:
    return [
        s for c in credentials for s in (c.consumer_secret, c.access_token_secret, c.bearer_token)
    ]


def test_a_correctly_signed_request_is_its_user(auth: Authenticator) -> None:
    identity = auth.authenticate("POST", URL, signed(), BODY)
    assert isinstance(identity, Identity)
    assert (identity.kind, identity.user_id) == ("user", ALICE.user_id)
    assert identity.credential not in ALICE.access_token
    again = auth.authenticate("POST", URL, signed(), BODY)
    assert again == identity


def test_query_string_and_default_port_are_signed_as_sent(auth: Authenticator) -> None:
    for url in (URL + "?b=2&a=1", "http://localhost/insights/engagement/28hr"):
        assert isinstance(auth.authenticate("POST", url, signed(url), BODY), Identity)


def test_the_json_body_is_not_part_of_the_signature(auth: Authenticator) -> None:
    assert isinstance(auth.authenticate("POST", URL, signed(), b'{"other": 1}'), Identity)


def test_header_name_and_scheme_are_case_insensitive(auth: Authenticator) -> None:
    headers = signed()
    header = headers.pop("Authorization")
    headers["authorization"] = "oauth" + header.removeprefix("OAuth")
    assert isinstance(auth.authenticate("POST", URL, headers, BODY), Identity)


@pytest.mark.parametrize(
    ("change", "value"), [("consumer_secret", "x" * 50), ("token_secret", "y" * 45)]
)
def test_a_wrong_secret_is_a_bad_signature(auth: Authenticator, change: str, value: str) -> None:
    headers = signed(**{change: value})  # type: ignore[arg-type]
    refused(auth.authenticate("POST", URL, headers, BODY), Reason.BAD_SIGNATURE)


@pytest.mark.parametrize(
    "sent_to",
    [
        "http://127.0.0.1:8123/insights/engagement/28hr",
        URL + "?extra=1",
        "http://localhost:8123/insights/engagement/totals",
        "http://127.0.0.1:8124/insights/engagement/totals",
        "https://127.0.0.1:8123/insights/engagement/totals",
    ],
)
def test_a_changed_url_is_a_bad_signature(auth: Authenticator, sent_to: str) -> None:
    refused(auth.authenticate("POST", sent_to, signed(URL), BODY), Reason.BAD_SIGNATURE)


def test_a_changed_method_is_a_bad_signature(auth: Authenticator) -> None:
    refused(auth.authenticate("PUT", URL, signed(), BODY), Reason.BAD_SIGNATURE)


def test_a_replayed_nonce_is_refused(auth: Authenticator) -> None:
    headers = signed(nonce="n0nce4replay0123456789")
    assert isinstance(auth.authenticate("POST", URL, headers, BODY), Identity)
    refused(auth.authenticate("POST", URL, headers, BODY), Reason.NONCE_ALREADY_USED)


def test_a_refused_request_does_not_use_up_its_nonce(auth: Authenticator) -> None:
    nonce = "n0nce4retry01234567890"
    bad = signed(nonce=nonce, token_secret="y" * 45)
    refused(auth.authenticate("POST", URL, bad, BODY), Reason.BAD_SIGNATURE)
    assert isinstance(auth.authenticate("POST", URL, signed(nonce=nonce), BODY), Identity)


@pytest.mark.parametrize("skew", [-301, 301, -100_000])
def test_a_timestamp_outside_the_window_is_refused(auth: Authenticator, skew: int) -> None:
    headers = signed(timestamp=NOW + skew)
    refused(auth.authenticate("POST", URL, headers, BODY), Reason.TIMESTAMP_OUT_OF_BOUNDS)


@pytest.mark.parametrize("skew", [-300, 300])
def test_a_timestamp_at_the_window_edge_passes(auth: Authenticator, skew: int) -> None:
    assert isinstance(auth.authenticate("POST", URL, signed(timestamp=NOW + skew), BODY), Identity)


def test_the_window_follows_the_injected_clock(auth: Authenticator, clock: Clock) -> None:
    headers = signed()
    clock.now += 301
    refused(auth.authenticate("POST", URL, headers, BODY), Reason.TIMESTAMP_OUT_OF_BOUNDS)


def test_an_unknown_consumer_key_is_refused(auth: Authenticator) -> None:
    headers = signed(consumer=STRANGER, user=ALICE)
    refused(auth.authenticate("POST", URL, headers, BODY), Reason.CONSUMER_KEY_NOT_FOUND)


def test_an_unknown_access_token_is_refused(auth: Authenticator) -> None:
    headers = signed(user=STRANGER)
    refused(auth.authenticate("POST", URL, headers, BODY), Reason.ACCESS_TOKEN_NOT_FOUND)


def test_a_token_of_another_consumer_is_refused(auth: Authenticator) -> None:
    headers = signed(consumer=ALICE, user=BOB)
    refused(auth.authenticate("POST", URL, headers, BODY), Reason.ACCESS_TOKEN_OF_ANOTHER_APP)


def test_oauth_without_a_user_token_is_refused(auth: Authenticator) -> None:
    headers = signed(user=None)
    refused(
        auth.authenticate("POST", URL, headers, BODY),
        f"{Reason.MISSING_OAUTH_PARAMETERS}: oauth_token",
    )


def test_only_hmac_sha1_is_accepted(auth: Authenticator) -> None:
    headers = signed(method=SIGNATURE_PLAINTEXT)
    refused(auth.authenticate("POST", URL, headers, BODY), Reason.UNSUPPORTED_SIGNATURE_METHOD)


def test_a_version_other_than_1_0_is_refused(auth: Authenticator) -> None:
    headers = signed()
    headers["Authorization"] = headers["Authorization"].replace(
        'oauth_version="1.0"', 'oauth_version="2.0"'
    )
    refused(auth.authenticate("POST", URL, headers, BODY), Reason.UNSUPPORTED_OAUTH_VERSION)


def test_a_timestamp_that_is_not_ten_digits_is_refused(auth: Authenticator) -> None:
    refused(auth.authenticate("POST", URL, signed(timestamp=17), BODY), Reason.INVALID_TIMESTAMP)


@pytest.mark.parametrize("nonce", ["short", "with space 0123", "x" * 65])
def test_a_nonce_out_of_format_is_refused(auth: Authenticator, nonce: str) -> None:
    refused(auth.authenticate("POST", URL, signed(nonce=nonce), BODY), Reason.INVALID_NONCE)


@pytest.mark.parametrize("nonce", ["0123456789abcdef", "q1w2e3r4+t5y/6u7i8o9p0==", "a-b_c.d~e"])
def test_nonces_of_common_clients_are_accepted(auth: Authenticator, nonce: str) -> None:
    assert isinstance(auth.authenticate("POST", URL, signed(nonce=nonce), BODY), Identity)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, Reason.UNKNOWN_AUTHORIZATION_TYPE),
        ("", Reason.UNKNOWN_AUTHORIZATION_TYPE),
        ("Basic dXNlcjpwYXNz", Reason.UNKNOWN_AUTHORIZATION_TYPE),
        ("Digest username=x", Reason.UNKNOWN_AUTHORIZATION_TYPE),
        ("OAuth garbage", Reason.MALFORMED_OAUTH_REQUEST),
        ('OAuth oauth_nonce="abc12345"', Reason.MISSING_OAUTH_PARAMETERS),
    ],
)
def test_missing_or_foreign_authorization_is_refused(
    auth: Authenticator, header: str | None, reason: str
) -> None:
    headers = dict(JSON) if header is None else {**JSON, "Authorization": header}
    verdict = auth.authenticate("POST", URL, headers, BODY)
    assert isinstance(verdict, AuthFailure)
    assert verdict.status == 401
    (message,) = verdict.errors
    assert message.startswith(f"Your account could not be authenticated. Reason: {reason}")


def test_oauth_parameters_in_the_query_as_well_are_refused(auth: Authenticator) -> None:
    url = URL + "?oauth_nonce=1234567890"
    refused(auth.authenticate("POST", url, signed(url), BODY), Reason.MALFORMED_OAUTH_REQUEST)


def test_the_right_bearer_token_is_the_app(auth: Authenticator) -> None:
    headers = {**JSON, "Authorization": f"Bearer {ALICE.bearer_token}"}
    identity = auth.authenticate("POST", URL, headers, BODY)
    assert isinstance(identity, Identity)
    assert (identity.kind, identity.user_id) == ("app", None)
    user = auth.authenticate("POST", URL, signed(), BODY)
    assert isinstance(user, Identity)
    assert identity.credential != user.credential


@pytest.mark.parametrize("token", [STRANGER.bearer_token, ALICE.bearer_token[:-1], ""])
def test_a_wrong_bearer_token_is_refused(auth: Authenticator, token: str) -> None:
    headers = {**JSON, "Authorization": f"Bearer {token}"}
    refused(auth.authenticate("POST", URL, headers, BODY), Reason.BEARER_TOKEN_NOT_FOUND)


APP = Identity("app", None, "0123456789ab")
USER = Identity("user", ALICE.user_id, "ba9876543210")


def test_a_bearer_reads_public_totals_only() -> None:
    check = Authenticator.permission_errors
    assert check(APP, "totals", ["favorites", "retweets", "quote_tweets"]) is None
    assert check(APP, "totals", ["impressions", "favorites", "engagements"]) == AuthFailure(
        403, ["Forbidden to access metrics: impressions, engagements"]
    )
    assert check(USER, "totals", ["impressions"]) is None


@pytest.mark.parametrize("endpoint", ["28hr", "historical"])
def test_a_bearer_may_not_use_the_time_series_endpoints(endpoint: str) -> None:
    check = Authenticator.permission_errors
    assert check(APP, endpoint, ["favorites"]) == AuthFailure(
        403,
        [
            f"Forbidden to access endpoint: /insights/engagement/{endpoint}"
            " needs OAuth 1.0a user context"
        ],
    )
    assert check(USER, endpoint, ["impressions"]) is None


def test_no_repr_shows_a_secret(auth: Authenticator) -> None:
    identity = auth.authenticate("POST", URL, signed(), BODY)
    shown = [repr(ALICE), str(ALICE), ALICE.redacted(), repr(identity), repr(auth)]
    for secret in secrets_of(ALICE):
        assert all(secret not in text for text in shown)
    assert str(ALICE.user_id) in repr(ALICE)


def test_generated_credentials_have_x_formats() -> None:
    for c in (ALICE, BOB, Credentials.generate()):
        assert CONSUMER_KEY_FORMAT.fullmatch(c.consumer_key)
        assert CONSUMER_SECRET_FORMAT.fullmatch(c.consumer_secret)
        assert ACCESS_TOKEN_FORMAT.fullmatch(c.access_token)
        assert ACCESS_TOKEN_SECRET_FORMAT.fullmatch(c.access_token_secret)
        assert BEARER_TOKEN_FORMAT.fullmatch(c.bearer_token)
        assert c.bearer_token.startswith("A" * 21) and "%3D" in c.bearer_token
        assert c.access_token.startswith(f"{c.user_id}-")
    assert Credentials.generate(1) == ALICE
    assert Credentials.generate() != Credentials.generate()


def test_credentials_out_of_format_are_refused_without_showing_them() -> None:
    with pytest.raises(ValueError, match="access_token") as raised:
        Credentials(
            ALICE.consumer_key,
            ALICE.consumer_secret,
            "not-a-token",
            ALICE.access_token_secret,
            ALICE.bearer_token,
        )
    assert "not-a-token" not in str(raised.value)


def test_two_users_of_one_app_are_told_apart(clock: Clock) -> None:
    carol = Credentials.generate(4)
    carol_in_alices_app = Credentials(
        ALICE.consumer_key,
        ALICE.consumer_secret,
        carol.access_token,
        carol.access_token_secret,
        ALICE.bearer_token,
    )
    auth = Authenticator([ALICE, carol_in_alices_app], clock=clock)
    alice = auth.authenticate("POST", URL, signed(), BODY)
    carol_verdict = auth.authenticate("POST", URL, signed(user=carol), BODY)
    assert isinstance(alice, Identity) and isinstance(carol_verdict, Identity)
    assert (alice.user_id, carol_verdict.user_id) == (ALICE.user_id, carol.user_id)
    assert alice.credential != carol_verdict.credential


def test_one_consumer_key_with_two_secrets_is_an_error() -> None:
    clash = Credentials(
        ALICE.consumer_key,
        BOB.consumer_secret,
        BOB.access_token,
        BOB.access_token_secret,
        BOB.bearer_token,
    )
    with pytest.raises(ValueError, match="consumer key") as raised:
        Authenticator([ALICE, clash])
    assert not any(s in str(raised.value) for s in secrets_of(ALICE, BOB))


def test_nonces_are_forgotten_once_outside_the_window(auth: Authenticator, clock: Clock) -> None:
    for _ in range(20):
        assert isinstance(auth.authenticate("POST", URL, signed(), BODY), Identity)
    assert auth.remembered_nonces == 20
    clock.now += 301
    headers = signed(timestamp=int(clock.now))
    assert isinstance(auth.authenticate("POST", URL, headers, BODY), Identity)
    assert auth.remembered_nonces == 1


def sent_twice_at_once(auth: Authenticator, headers: dict[str, str]) -> list[str]:
    """The verdicts' kinds when two threads send the same signed request together."""
    start = threading.Barrier(2)
    verdicts: list[str] = []

    def send() -> None:
        start.wait()
        verdicts.append(type(auth.authenticate("POST", URL, headers, BODY)).__name__)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(verdicts)


class LockstepClock:
    """Holds each thread at every clock reading until the other one gets there too, so
    both requests pass the nonce check before either is accepted: the race itself."""

    def __init__(self) -> None:
        self.both = threading.Barrier(2, timeout=5)

    def __call__(self) -> float:
        self.both.wait()
        return float(NOW)


def test_two_threads_replaying_one_nonce_let_exactly_one_through() -> None:
    auth = Authenticator([ALICE], clock=LockstepClock())
    for round_number in range(10):
        headers = signed(nonce=f"race{round_number:04d}abcdefgh")
        assert sent_twice_at_once(auth, headers) == ["AuthFailure", "Identity"]
