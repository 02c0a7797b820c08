"""The exit codes of every engql command, and the one text of an internal error.

Kept apart from the commands so that the CLI, ``engql run`` and the shell share them
without importing each other. docs/running.md lists the codes (tested).
"""

from __future__ import annotations

import enum


class Exit(enum.IntEnum):
    OK = 0
    """Success; warnings allowed."""
    QUERY = 1
    """The query has errors."""
    USAGE = 2
    """The command line cannot be run."""
    CONFIG = 3
    """Credentials missing or unusable."""
    REFUSED = 4
    """The API refused the credentials or the Tweets."""
    PARTIAL = 5
    """Some Tweets are missing from the answer."""
    GAVE_UP = 6
    """Some requests were given up after retries or rate limits."""
    BUG = 70
    """An internal error: a bug."""
    INTERRUPTED = 130
    """Ctrl-C."""


BUG_REPORT = "please report it with the query that caused it to the engql issue tracker"


def internal_error(error: BaseException) -> str:
    """The one line shown for an unexpected exception, scrubbed of every loaded secret."""
    from engql.redact import scrub

    return (
        f"engql: internal error ({scrub(f'{type(error).__name__}: {error}')}); "
        f"this is a bug, {BUG_REPORT}"
    )
