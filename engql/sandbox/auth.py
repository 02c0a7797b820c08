"""Credentials and request authentication for the emulator (Part A §7, Part B §2 and §6).

``Credentials`` are one app's keys plus one user's access token, in X's formats.
``Authenticator.authenticate`` takes a request as the client signed it (method, full URL,
headers, body) and answers with an ``Identity`` or an ``AuthFailure`` (401). It routes on
the ``Authorization`` scheme first: ``Bearer`` is looked up here, ``OAuth`` goes to
oauthlib's server side, which checks the HMAC-SHA1 signature against the exact URL.
``Authenticator.permission_errors`` is the 403 for a bearer asking for more than app-only
auth may read. Nothing returned or raised here carries a secret.
"""

from __future__ import annotations

import enum
import hashlib
import heapq
import random
import re
import secrets
import string
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs
from oauthlib.oauth1 import (  # type: ignore[import-untyped]
    SIGNATURE_HMAC_SHA1,
    RequestValidator,
    ResourceEndpoint,
)
from oauthlib.oauth1.rfc5849.signature import (  # type: ignore[import-untyped]
    collect_parameters,
)

from engql import facts
from engql.record import Record

CONSUMER_KEY_FORMAT = re.compile(r"[A-Za-z0-9]{25}")
CONSUMER_SECRET_FORMAT = re.compile(r"[A-Za-z0-9]{50}")
ACCESS_TOKEN_FORMAT = re.compile(r"[1-9][0-9]{0,18}-[A-Za-z0-9]{40}")
"""``<numeric user ID>-<40 letters and digits>``: the prefix is the user the token acts for."""
ACCESS_TOKEN_SECRET_FORMAT = re.compile(r"[A-Za-z0-9]{45}")
BEARER_TOKEN_FORMAT = re.compile(r"A{21}(?:[A-Za-z0-9]|%2[BF]){30,60}%3D[A-Za-z0-9]{50}")
"""As X issues them: still percent-escaped (``%2B``, ``%2F``, one ``%3D``) and sent so."""

_ALNUM = string.ascii_letters + string.digits
_BEARER_UNITS = (*_ALNUM, "%2B", "%2F")
_AUTH_MESSAGE = "Your account could not be authenticated. Reason: "


class Reason(enum.StrEnum):
    """The ``Reason:`` part of a 401; the first two are the documented wordings."""

    ACCESS_TOKEN_NOT_FOUND = "Access token not found"
    UNKNOWN_AUTHORIZATION_TYPE = "Unknown Authorization Type"
    ACCESS_TOKEN_OF_ANOTHER_APP = "Access token not found for this consumer key"
    CONSUMER_KEY_NOT_FOUND = "Consumer key not found"
    BEARER_TOKEN_NOT_FOUND = "Bearer token not found"
    BAD_SIGNATURE = "Bad signature"
    TIMESTAMP_OUT_OF_BOUNDS = "Timestamp out of bounds"
    NONCE_ALREADY_USED = "Nonce already used"
    INVALID_TIMESTAMP = "Invalid timestamp"
    INVALID_NONCE = "Invalid nonce"
    MISSING_OAUTH_PARAMETERS = "Missing OAuth parameters"
    """Followed by ``: `` and the missing names."""
    UNSUPPORTED_SIGNATURE_METHOD = "Unsupported signature method (use HMAC-SHA1)"
    UNSUPPORTED_OAUTH_VERSION = "Unsupported OAuth version (use 1.0)"
    MALFORMED_OAUTH_REQUEST = "Malformed OAuth request"


def _in_format(pattern: re.Pattern[str]) -> Callable[[Any, Any, str], None]:
    def check(_instance: Any, attribute: Any, value: str) -> None:
        # The value stays out of the message: it may be a secret.
        if not pattern.fullmatch(value):
            raise ValueError(f"{attribute.name} is not in X's format {pattern.pattern}")

    return check


def _fingerprint(*parts: str) -> str:
    """A short, stable, non-secret name for a credential (rate limits, logs)."""
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:12]


@attrs.frozen(repr=False)
class Credentials:
    """One app (consumer key and secret, bearer token) and one user's access token."""

    consumer_key: str = attrs.field(validator=_in_format(CONSUMER_KEY_FORMAT))
    consumer_secret: str = attrs.field(validator=_in_format(CONSUMER_SECRET_FORMAT))
    access_token: str = attrs.field(validator=_in_format(ACCESS_TOKEN_FORMAT))
    access_token_secret: str = attrs.field(validator=_in_format(ACCESS_TOKEN_SECRET_FORMAT))
    bearer_token: str = attrs.field(validator=_in_format(BEARER_TOKEN_FORMAT))

    @classmethod
    def generate(cls, seed: int | None = None) -> Credentials:
        """A valid random set: the same for the same seed, from ``secrets`` without one."""
        rng = secrets.SystemRandom() if seed is None else random.Random(seed)

        def text(length: int, alphabet: Sequence[str] = _ALNUM) -> str:
            return "".join(rng.choice(alphabet) for _ in range(length))

        user_id = rng.randrange(10**8, 2**63)
        return cls(
            consumer_key=text(25),
            consumer_secret=text(50),
            access_token=f"{user_id}-{text(40)}",
            access_token_secret=text(45),
            bearer_token="A" * 21 + text(40, _BEARER_UNITS) + "%3D" + text(50),
        )

    @property
    def user_id(self) -> int:
        """The user the access token acts for: its numeric prefix."""
        return int(self.access_token.partition("-")[0])

    def redacted(self) -> str:
        """A description for logs and reprs, without any secret."""
        return (
            f"Credentials(consumer_key={self.consumer_key[:5]!r}…, user_id={self.user_id}, "
            "secrets hidden)"
        )

    def __repr__(self) -> str:
        return self.redacted()


@attrs.frozen(repr=False)
class Identity(Record):
    """Who a request authenticated as. ``credential`` names it for rate limits and logs."""

    kind: str
    """``facts.APP_AUTH`` (a bearer token) or ``facts.USER_AUTH`` (OAuth 1.0a)."""
    user_id: int | None
    """The access token's user; None for an app-only bearer."""
    credential: str


@attrs.frozen(repr=False)
class AuthFailure(Record):
    """A refusal: the status and the ``errors`` strings of its JSON body."""

    status: int
    errors: tuple[str, ...] = attrs.field(converter=tuple[str, ...])


def _unauthenticated(reason: str) -> AuthFailure:
    return AuthFailure(401, (_AUTH_MESSAGE + reason,))


class _NonceStore:
    """(consumer key, token, nonce, timestamp) seen in accepted requests, kept only while
    a request with that timestamp could still pass the window. Thread-safe."""

    def __init__(self, window: int) -> None:
        self._window = window
        self._lock = threading.Lock()
        self._held: set[tuple[str, str, str, int]] = set()
        self._by_timestamp: list[tuple[int, tuple[str, str, str, int]]] = []

    def _forget_expired(self, now: float) -> None:
        while self._by_timestamp and self._by_timestamp[0][0] < now - self._window:
            _, key = heapq.heappop(self._by_timestamp)
            self._held.discard(key)

    def seen(self, key: tuple[str, str, str, int], now: float) -> bool:
        with self._lock:
            self._forget_expired(now)
            return key in self._held

    def claim(self, key: tuple[str, str, str, int], now: float) -> bool:
        """Remember ``key``; False when it was already there (a replay)."""
        with self._lock:
            self._forget_expired(now)
            if key in self._held:
                return False
            self._held.add(key)
            heapq.heappush(self._by_timestamp, (key[3], key))
            return True

    def __len__(self) -> int:
        with self._lock:
            return len(self._held)


_SAFE_CHARACTERS = frozenset(_ALNUM + "-_.~+/=")
"""Key, token and nonce characters: X's keys, the ``-`` of access tokens, and the nonces
real clients send (digits, hex, base64)."""
_DUMMY_SECRET = "dummy-secret-for-unknown-keys"
_REASON = "engql_reason"


class _Validator(RequestValidator):  # type: ignore[misc]
    """oauthlib's questions answered from the known credentials. A failing check puts its
    reason in the request's ``validator_log``: the first one recorded wins."""

    def __init__(self, credentials: Sequence[Credentials], clock: Callable[[], float], window: int):
        super().__init__()
        self.clock = clock
        self.window = window
        self.nonces = _NonceStore(window)
        self.consumers: dict[str, str] = {}
        self.tokens: dict[tuple[str, str], str] = {}
        for c in credentials:
            if self.consumers.setdefault(c.consumer_key, c.consumer_secret) != c.consumer_secret:
                raise ValueError("two credentials share a consumer key but not its secret")
            self.tokens[c.consumer_key, c.access_token] = c.access_token_secret
        self.known_tokens = {token for _, token in self.tokens}

    allowed_signature_methods = (SIGNATURE_HMAC_SHA1,)
    safe_characters = _SAFE_CHARACTERS
    client_key_length = (16, 64)
    access_token_length = (20, 80)
    nonce_length = (8, 64)
    enforce_ssl = False
    dummy_client = "dummy-client"
    dummy_access_token = "0-dummy-access-token"
    # oauthlib compares timestamps with time.time(), not our clock: its own check is
    # switched off here and validate_timestamp_and_nonce applies the window instead.
    timestamp_lifetime = 2**62

    def validate_timestamp_and_nonce(
        self,
        client_key: str,
        timestamp: str,
        nonce: str,
        request: Any,
        request_token: str | None = None,
        access_token: str | None = None,
    ) -> bool:
        now = self.clock()
        if abs(now - int(timestamp)) > self.window:
            request.validator_log[_REASON] = Reason.TIMESTAMP_OUT_OF_BOUNDS
            return False
        if self.nonces.seen((client_key, access_token or "", nonce, int(timestamp)), now):
            request.validator_log[_REASON] = Reason.NONCE_ALREADY_USED
            return False
        return True

    def validate_client_key(self, client_key: str, request: Any) -> bool:
        if client_key in self.consumers:
            return True
        request.validator_log.setdefault(_REASON, Reason.CONSUMER_KEY_NOT_FOUND)
        return False

    def validate_access_token(self, client_key: str, token: str, request: Any) -> bool:
        if (client_key, token) in self.tokens:
            return True
        reason = (
            Reason.ACCESS_TOKEN_OF_ANOTHER_APP
            if token in self.known_tokens
            else Reason.ACCESS_TOKEN_NOT_FOUND
        )
        request.validator_log.setdefault(_REASON, reason)
        return False

    def validate_realms(self, *_args: Any, **_kwargs: Any) -> bool:
        return True

    def get_client_secret(self, client_key: str, request: Any) -> str:
        return self.consumers.get(client_key, _DUMMY_SECRET)

    def get_access_token_secret(self, client_key: str, token: str, request: Any) -> str:
        return self.tokens.get((client_key, token), _DUMMY_SECRET)


_REQUIRED_OAUTH_PARAMETERS = (
    "oauth_consumer_key",
    "oauth_token",
    "oauth_signature_method",
    "oauth_signature",
    "oauth_timestamp",
    "oauth_nonce",
)
_TIMESTAMP = re.compile(r"[0-9]{10}")


class Authenticator:
    """Checks requests against known credentials, with a replay-proof nonce store.

    ``clock`` gives epoch seconds (the time clients sign with); an OAuth timestamp more
    than ``timestamp_window`` seconds away from it is refused, and so is a (consumer key,
    token, nonce, timestamp) already accepted. Safe to share between threads.
    """

    def __init__(
        self,
        credentials: Iterable[Credentials],
        clock: Callable[[], float] = time.time,
        timestamp_window: int = 300,
    ) -> None:
        known = list(credentials)
        self._validator = _Validator(known, clock, timestamp_window)
        self._endpoint = ResourceEndpoint(self._validator)
        self._bearers = {
            c.bearer_token: Identity(
                facts.APP_AUTH, None, _fingerprint(facts.APP_AUTH, c.bearer_token)
            )
            for c in known
        }
        self._users = {
            (c.consumer_key, c.access_token): Identity(
                facts.USER_AUTH,
                c.user_id,
                _fingerprint(facts.USER_AUTH, c.consumer_key, c.access_token),
            )
            for c in known
        }

    @property
    def remembered_nonces(self) -> int:
        """How many accepted nonces are held (those still inside the window)."""
        return len(self._validator.nonces)

    def authenticate(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> Identity | AuthFailure:
        """Who signed this request, or the 401 to answer. ``url`` is the full URL the
        client signed (scheme, the Host header's host and port, path and query)."""
        header = _header(headers, "Authorization").strip()
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() == "bearer":
            identity = self._bearers.get(credentials.strip())
            return identity or _unauthenticated(Reason.BEARER_TOKEN_NOT_FOUND)
        if scheme.lower() == "oauth":
            return self._verify_oauth(method, url, header, _header(headers, "Content-Type"), body)
        return _unauthenticated(Reason.UNKNOWN_AUTHORIZATION_TYPE)

    def _verify_oauth(
        self, method: str, url: str, header: str, content_type: str, body: bytes
    ) -> Identity | AuthFailure:
        try:
            params = collect_parameters(
                headers={"Authorization": header}, exclude_oauth_signature=False
            )
        except ValueError:
            return _unauthenticated(Reason.MALFORMED_OAUTH_REQUEST)
        oauth = dict(params)
        refusal = self._format_problem(oauth)
        if refusal is not None:
            return _unauthenticated(refusal)
        headers = {"Authorization": header}
        if content_type:
            # Only a form-encoded body is signed; oauthlib decides from this header.
            headers["Content-Type"] = content_type
        try:
            valid, request = self._endpoint.validate_protected_resource_request(
                url, http_method=method, body=body, headers=headers
            )
        except ValueError:
            # A query or body that is not valid form encoding, or a URL without a host.
            return _unauthenticated(Reason.MALFORMED_OAUTH_REQUEST)
        if request is None:
            return _unauthenticated(Reason.MALFORMED_OAUTH_REQUEST)
        if not valid:
            reason = request.validator_log.get(_REASON)
            if reason is None and request.validator_log.get("signature") is False:
                reason = Reason.BAD_SIGNATURE
            return _unauthenticated(reason or Reason.MALFORMED_OAUTH_REQUEST)
        user = (request.client_key, request.resource_owner_key)
        nonce = (*user, request.nonce, int(request.timestamp))
        if not self._validator.nonces.claim(nonce, self._validator.clock()):
            return _unauthenticated(Reason.NONCE_ALREADY_USED)
        return self._users[user]

    def _format_problem(self, oauth: Mapping[str, str]) -> str | None:
        """The checks oauthlib makes before any lookup, here so each has its own reason."""
        missing = [name for name in _REQUIRED_OAUTH_PARAMETERS if not oauth.get(name)]
        if missing:
            return f"{Reason.MISSING_OAUTH_PARAMETERS}: {', '.join(missing)}"
        v = self._validator
        if oauth["oauth_signature_method"] not in v.allowed_signature_methods:
            return Reason.UNSUPPORTED_SIGNATURE_METHOD
        if oauth.get("oauth_version", "1.0") != "1.0":
            return Reason.UNSUPPORTED_OAUTH_VERSION
        if not _TIMESTAMP.fullmatch(oauth["oauth_timestamp"]):
            return Reason.INVALID_TIMESTAMP
        if not v.check_client_key(oauth["oauth_consumer_key"]):
            return Reason.CONSUMER_KEY_NOT_FOUND
        if not v.check_access_token(oauth["oauth_token"]):
            return Reason.ACCESS_TOKEN_NOT_FOUND
        if not v.check_nonce(oauth["oauth_nonce"]):
            return Reason.INVALID_NONCE
        return None

    @staticmethod
    def permission_errors(
        identity: Identity, endpoint: str, metrics: Sequence[str]
    ) -> AuthFailure | None:
        """The 403 for a bearer asking for more than app-only auth reads (Part A §7).

        Call it after the request rules: names that are not metrics are theirs to refuse.
        """
        if endpoint not in facts.ENDPOINTS:
            raise ValueError(f"no endpoint {endpoint!r}")
        known = [m for m in dict.fromkeys(metrics) if m in facts.METRICS]
        if identity.kind == facts.USER_AUTH or facts.auth_for(endpoint, known) == facts.APP_AUTH:
            return None
        if facts.auth_for(endpoint, []) == facts.USER_AUTH:
            # The endpoint itself needs a user, whatever the metrics.
            path = facts.ENDPOINTS[endpoint].path
            message = f"{facts.FORBIDDEN_ENDPOINT_ERROR}{path} needs OAuth 1.0a user context"
            return AuthFailure(403, (message,))
        private = [m for m in known if facts.auth_for(endpoint, [m]) == facts.USER_AUTH]
        return AuthFailure(403, (facts.FORBIDDEN_METRICS_ERROR + ", ".join(private),))


def _header(headers: Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), "")
