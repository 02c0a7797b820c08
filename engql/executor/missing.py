"""Why a Tweet is missing from an answer: a kind, which code decides by, and a detail.

The text (``str(missing)``) is what people read: the W601 warning, the ``missing`` map of
``--format json``. Exit codes and counts read the kind, so rewording a reason never
changes what a run exits with.
"""

from __future__ import annotations

import enum
from typing import Any

import attrs

from engql import facts
from engql.record import Record


class MissingKind(enum.Enum):
    """The reasons a Tweet can be missing; the value is how a journal stores it."""

    UNAVAILABLE = "unavailable"
    """Listed in the answer's ``unavailable_tweet_ids``: deleted or not public."""
    TOO_OLD_FOR_IMPRESSIONS = "too_old_for_impressions"
    """Listed as too old for impressions and engagements (/totals)."""
    TOO_OLD_FOR_VIDEO_VIEWS = "too_old_for_video_views"
    """Listed as too old for video_views (/totals)."""
    NOT_OWNED = "not_owned"
    """Refused as not owned by the credentials, and dropped (``--on-unowned drop``)."""
    PROTECTED = "protected"
    """Protected: the API refuses any request that names it."""
    REFUSED = "refused"
    """Its request was refused with a status that is not retried (a 400)."""
    GAVE_UP = "gave_up"
    """Its request kept failing (5xx, broken answers) until the attempts ran out."""
    UNREACHABLE = "unreachable"
    """Its request never reached the server: the last of its attempts could not connect
    (refused, name not found, timed out connecting)."""
    RATE_LIMITED = "rate_limited"
    """Its request met too many 429s, or was asked to wait past ``--max-wait``."""
    CANCELLED = "cancelled"
    """The run was cancelled before its request was answered (the shell's Ctrl-C)."""
    NOT_IN_ANSWER = "not_in_answer"
    """A grouping keyed by Tweet has no entry for it."""


GIVEN_UP = frozenset({MissingKind.GAVE_UP, MissingKind.UNREACHABLE, MissingKind.RATE_LIMITED})
"""The kinds of a request given up after retries, failed connections or rate limits
(exit 6); a rerun, later, may get them."""

_WORDS = {
    MissingKind.UNAVAILABLE: "unavailable (deleted or not public)",
    MissingKind.TOO_OLD_FOR_IMPRESSIONS: (
        f"no {' or '.join(facts.TOTALS_PRIVATE_METRICS)}: "
        f"older than {facts.TOTALS_PRIVATE_MAX_AGE.days} days"
    ),
    MissingKind.TOO_OLD_FOR_VIDEO_VIEWS: (
        f"no video_views: older than {facts.VIDEO_VIEWS_MAX_AGE.days} days"
    ),
    MissingKind.NOT_OWNED: "not owned by these credentials",
    MissingKind.PROTECTED: "protected: the API never returns it",
    MissingKind.REFUSED: "request refused",
    MissingKind.GAVE_UP: "failed after",
    MissingKind.UNREACHABLE: "could not connect after",
    MissingKind.RATE_LIMITED: "rate limited",
    MissingKind.CANCELLED: "cancelled before it was answered",
    MissingKind.NOT_IN_ANSWER: "not in the answer",
}


@attrs.frozen(repr=False)
class Missing(Record):
    """One Tweet's reason: its kind, and what the kind's words leave open ("5 attempts
    (HTTP 503)" after "failed after"), empty for a kind that says it all."""

    kind: MissingKind
    detail: str = ""

    @property
    def words(self) -> str:
        """The kind's own words, with which every text of the kind begins."""
        return _WORDS[self.kind]

    @property
    def text(self) -> str:
        return f"{self.words} {self.detail}" if self.detail else self.words

    def __str__(self) -> str:
        return self.text

    def to_json(self) -> dict[str, str]:
        """The journal's form: the kind, and the detail when there is one."""
        data = {"kind": self.kind.value}
        if self.detail:
            data["detail"] = self.detail
        return data

    @classmethod
    def from_json(cls, data: Any) -> Missing | None:
        """A reason as ``to_json`` wrote it, or as an older journal did (the text of a kind
        without detail); None for anything else."""
        if isinstance(data, str):
            return _BY_TEXT.get(data)
        if not isinstance(data, dict) or not {"kind"} <= data.keys() <= {"kind", "detail"}:
            return None
        detail = data.get("detail", "")
        try:
            kind = MissingKind(data["kind"])
        except (ValueError, TypeError):
            return None
        return cls(kind, detail) if isinstance(detail, str) else None


_BY_TEXT = {Missing(kind).text: Missing(kind) for kind in MissingKind}
