"""``engql.Client``: run queries from Python and get one merged Result."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from engql.check.context import FileAccess
from engql.config import load_settings
from engql.credentials import Credentials
from engql.executor.result import Result
from engql.executor.runner import RunOptions
from engql.pipeline import compile
from engql.plan.planner import Plan
from engql.redact import shown_url
from engql.running import run_plan


class CredentialsMissing(Exception):
    """The plan needs credentials that are not configured; names the variables to set."""


class Client:
    """Runs queries against the Engagement API (or the sandbox, via ``base_url``).

    Credentials come from the arguments, then ``ENGQL_*``/``TWITTER_*`` variables, then
    the profile file (see docs/running.md). Secrets never appear in errors or reprs.
    """

    def __init__(
        self,
        *,
        consumer_key: str | None = None,
        consumer_secret: str | None = None,
        access_token: str | None = None,
        access_token_secret: str | None = None,
        bearer_token: str | None = None,
        base_url: str | None = None,
        profile: str | None = None,
        options: RunOptions | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        flags = {
            "consumer_key": consumer_key,
            "consumer_secret": consumer_secret,
            "access_token": access_token,
            "access_token_secret": access_token_secret,
            "bearer_token": bearer_token,
            "base_url": base_url,
            "profile": profile,
        }
        self.settings, self.warnings = load_settings(
            flags, os.environ if environ is None else environ
        )
        self.credentials = Credentials.from_settings(self.settings)
        self.options = options or RunOptions(rate_limit=self.settings.rate_limit)

    def __repr__(self) -> str:
        return f"Client(base_url={shown_url(self.settings.base_url)!r})"

    def compile(self, text: str, **kwargs: Any) -> Plan:
        return compile(text, **kwargs)

    def run(
        self,
        query: str | Plan,
        *,
        params: Mapping[str, Any] | None = None,
        now: datetime | None = None,
        allow_files: FileAccess = False,
        base_dir: str | None = None,
    ) -> Result:
        """Compile (when given text), check the credentials, send, merge.

        Raises engql.EngqlError for query errors, CredentialsMissing before sending
        anything, and engql.executor.runner.RunFailed when the API refuses the
        credentials or (with on_unowned "fail") the Tweets.
        """
        plan = (
            query
            if isinstance(query, Plan)
            else self.compile(
                query, params=params, now=now, allow_files=allow_files, base_dir=base_dir
            )
        )
        report = run_plan(plan, self.credentials, self.settings.base_url, self.options)
        if report.credentials_missing:
            needed = ", ".join(report.credentials_missing)
            raise CredentialsMissing(f"credentials missing for this query: set {needed}")
        if report.failure is not None:
            raise report.failure
        assert report.result is not None  # a run that is neither stopped nor refused has one
        return report.result
