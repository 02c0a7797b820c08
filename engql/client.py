"""``engql.Client``: run queries from Python and get one merged Result."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from engql.check.context import FileAccess
from engql.config import Settings, load_settings
from engql.credentials import Credentials
from engql.executor.result import Result
from engql.executor.runner import RunOptions
from engql.pipeline import compile
from engql.plan.planner import Plan
from engql.redact import shown_url
from engql.running import RunReport, missing_credentials, run_plan


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
        settings, warnings = load_settings(flags, os.environ if environ is None else environ)
        self._use(settings, warnings, options)

    @classmethod
    def from_settings(cls, settings: Settings, options: RunOptions | None = None) -> Client:
        """A Client for settings made elsewhere (``engql.running.sandbox_settings``), which
        reads no environment and no profile."""
        client = cls.__new__(cls)
        client._use(settings, [], options)
        return client

    def _use(self, settings: Settings, warnings: list[str], options: RunOptions | None) -> None:
        self.settings, self.warnings = settings, warnings
        self.credentials = Credentials.from_settings(settings)
        self.options = options or RunOptions(rate_limit=settings.rate_limit)

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
        into: str | None = None,
    ) -> Result:
        """Compile (when given text), check the credentials, send, merge; with ``into``
        (a store URL, as ``engql run --into``) store the answer there too.

        Raises engql.EngqlError for query errors, CredentialsMissing before sending
        anything, engql.RunFailed when the API refuses the credentials or (with
        on_unowned "fail") the Tweets, engql.InsecureURL for plain http:// to another
        machine, and engql.StoreError when the store cannot be used.
        """
        plan = self._plan(query, params, now, allow_files, base_dir)
        if into is None:
            return _result(run_plan(plan, self.credentials, self.settings.base_url, self.options))
        _check_credentials(plan, self.credentials)  # before the store is created
        from engql.store import Store
        from engql.store.sink import StoreSink

        with Store.open(into) as store:
            report = run_plan(
                plan,
                self.credentials,
                self.settings.base_url,
                self.options,
                sink=StoreSink(store, plan),
            )
        return _result(report)

    def collect(
        self,
        query: str | Plan,
        *,
        store: str,
        settle: timedelta | None = None,
        params: Mapping[str, Any] | None = None,
        now: datetime | None = None,
        allow_files: FileAccess = False,
        base_dir: str | None = None,
    ) -> Result:
        """Bring the store at URL ``store`` up to date for the query, sending only the
        requests for what it lacks, and answer from the store, as ``engql collect``
        does; ``settle`` as its --settle (default 24 hours). Raises as ``run`` does;
        credentials are needed only when something is to be sent."""
        from engql.store import Store
        from engql.store.collect import DEFAULT_SETTLE, collect, planned

        plan = self._plan(query, params, now, allow_files, base_dir)
        with Store.open(store) as opened:
            report = collect(
                plan,
                planned(plan, opened),
                opened,
                self.credentials,
                self.settings.base_url,
                self.options,
                settle=DEFAULT_SETTLE if settle is None else settle,
            )
        return _result(report)

    def _plan(
        self,
        query: str | Plan,
        params: Mapping[str, Any] | None,
        now: datetime | None,
        allow_files: FileAccess,
        base_dir: str | None,
    ) -> Plan:
        if isinstance(query, Plan):
            return query
        return self.compile(
            query, params=params, now=now, allow_files=allow_files, base_dir=base_dir
        )


def _check_credentials(plan: Plan, credentials: Credentials) -> None:
    needed = missing_credentials(plan, credentials)
    if needed:
        raise _missing(needed)


def _missing(needed: Sequence[str]) -> CredentialsMissing:
    return CredentialsMissing(f"credentials missing for this query: set {', '.join(needed)}")


def _result(report: RunReport) -> Result:
    """The result of a run, or the exception that says why there is none."""
    if report.credentials_missing:
        raise _missing(report.credentials_missing)
    if report.failure is not None:
        raise report.failure
    assert report.result is not None  # a run that is neither stopped nor refused has one
    return report.result
