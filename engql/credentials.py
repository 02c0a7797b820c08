"""The credentials a run signs with, and the one rule of which kind a request uses:
a bearer token where it suffices and is set, OAuth 1.0a user context otherwise.

The transport signs by this rule, the executor keys its rate gates by it, and
``--dry-run`` names it; the credential check before a run asks the same value what is
missing. No repr or message carries a value.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import attrs

from engql import facts
from engql.config import CREDENTIAL_FIELDS, Settings, secret_field
from engql.facts import ENV_NAMES
from engql.record import Record
from engql.redact import remember

OAUTH_FIELDS = CREDENTIAL_FIELDS[:4]
"""What OAuth 1.0a user context signs with: the app's key pair and the user's token pair."""


class Scheme(enum.Enum):
    """How a request is authorized; the value is the header's word for it."""

    BEARER = "Bearer"
    OAUTH1 = "OAuth 1.0a"


@attrs.frozen(repr=False)
class Credentials(Record):
    """The app's key pair, the user's token pair and the app's bearer token; any may be
    unset. Every value is known to the scrubber (engql.redact) once it is here."""

    consumer_key: str | None = secret_field()
    consumer_secret: str | None = secret_field()
    access_token: str | None = secret_field()
    access_token_secret: str | None = secret_field()
    bearer_token: str | None = secret_field()

    def __attrs_post_init__(self) -> None:
        for name in CREDENTIAL_FIELDS:
            remember(getattr(self, name))

    @classmethod
    def from_settings(cls, settings: Settings) -> Credentials:
        return cls(**{name: getattr(settings, name) for name in CREDENTIAL_FIELDS})

    def scheme_for(self, auth: str) -> Scheme:
        """The kind a request of this auth level is sent with: bearer when it suffices
        (``facts.APP_AUTH``) and a bearer token is set, OAuth 1.0a otherwise."""
        if auth == facts.APP_AUTH and self.bearer_token:
            return Scheme.BEARER
        return Scheme.OAUTH1

    def missing_for(self, auth: str) -> list[str]:
        """The variables to set before a request of this auth level can be sent; [] when
        none. App level: a bearer token, or the four OAuth 1.0a values; user level:
        those four."""
        missing = [ENV_NAMES[field][0] for field in OAUTH_FIELDS if not getattr(self, field)]
        if auth == facts.USER_AUTH:
            return missing
        if auth == facts.APP_AUTH:
            return [] if self.bearer_token or not missing else [ENV_NAMES["bearer_token"][0]]
        raise ValueError(f"auth is {facts.APP_AUTH!r} or {facts.USER_AUTH!r}, not {auth!r}")

    def missing_for_all(self, auths: Iterable[str]) -> list[str]:
        """The variables to set before requests of all these auth levels can be sent.
        Where one needs user context, its four OAuth 1.0a values serve the others too,
        so they alone are named: a bearer token would not be enough."""
        levels = set(auths)
        if facts.USER_AUTH in levels:
            return self.missing_for(facts.USER_AUTH)
        return [name for level in sorted(levels) for name in self.missing_for(level)]
