"""The exit codes of every engql command, and the one text of an internal error.

Kept apart from the commands so that the CLI, ``engql run`` and the shell share them
without importing each other. docs/running.md lists the codes (tested), and each
command's ``--help`` lists those it returns, in the words of ``MEANINGS``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping


class Exit(enum.IntEnum):
    OK = 0
    QUERY = 1
    USAGE = 2
    CONFIG = 3
    REFUSED = 4
    PARTIAL = 5
    GAVE_UP = 6
    BUG = 70
    INTERRUPTED = 130


MEANINGS: Mapping[Exit, str] = {
    Exit.OK: "success; warnings allowed",
    Exit.QUERY: "the query has errors, or the file has no statements",
    Exit.USAGE: "usage: the command line cannot be run",
    Exit.CONFIG: "credentials or their profile file missing or unusable",
    Exit.REFUSED: "the API refused the credentials or the Tweets",
    Exit.PARTIAL: "some Tweets are missing from the answer",
    Exit.GAVE_UP: "some requests were given up after retries or rate limits",
    Exit.BUG: "an internal error: a bug",
    Exit.INTERRUPTED: "interrupted (Ctrl-C)",
}
"""What each code means, as ``--help`` says it."""

DISTRIBUTION = "engql"
TRACKER_LABELS = frozenset({"issues", "issue", "bugs", "tracker", "issuetracker", "bugtracker"})
"""The ``Project-URL`` labels of an issue tracker, normalized as PEP 753 does (lower
case, without punctuation or white space): its well-known label and its aliases."""
UNNAMED_TRACKER = "the engql issue tracker"


def tracker_url(project_urls: list[str] | None) -> str | None:
    """The issue tracker's address among a package's ``Project-URL`` values
    (``Label, URL``), or None when none is labelled as one."""
    for entry in project_urls or ():
        label, _, url = entry.partition(",")
        if re.sub(r"[^a-z0-9]", "", label.lower()) in TRACKER_LABELS and url.strip():
            return url.strip()
    return None


def bug_report() -> str:
    """Where to report a bug: the tracker pyproject.toml's ``[project.urls]`` names, as
    the installed package's metadata carries it, so the address is written in one place."""
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        url = tracker_url(metadata(DISTRIBUTION).get_all("Project-URL"))
    except PackageNotFoundError:
        url = None
    return f"please report it with the query that caused it to {url or UNNAMED_TRACKER}"


def internal_error(error: BaseException) -> str:
    """The one line shown for an unexpected exception, scrubbed of every loaded secret."""
    from engql.redact import scrub

    return (
        f"engql: internal error ({scrub(f'{type(error).__name__}: {error}')}); "
        f"this is a bug, {bug_report()}"
    )
