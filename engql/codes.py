"""Every diagnostic code engql emits, with its severity and a one-line title.

Codes are stable: a code is never reused for another problem. ``docs/errors.md`` has an
entry for each one (a test checks that).
"""

from __future__ import annotations

import enum

import attrs

from engql.record import Record


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


@attrs.frozen(repr=False)
class Code(Record):
    severity: Severity
    title: str
    at_run: bool = False
    """Reported by ``engql run`` about the API's answer, never by ``check``."""
    of_file: bool = False
    """Reported by the commands about a query file, never by ``engql.check``; a
    command that reports it exits 1 though it is a warning."""


def _e(title: str) -> Code:
    return Code(Severity.ERROR, title)


def _w(title: str) -> Code:
    return Code(Severity.WARNING, title)


CODES: dict[str, Code] = {
    # syntax
    "E001": _e("syntax error"),
    "E002": _e("unexpected end of input"),
    "E003": _e("unexpected character"),
    "E004": _e("unterminated string or comment"),
    "E005": _e("query too large"),
    "E006": _e("too many statements"),
    "E007": _e("too many problems"),
    "W001": _w("more warnings than are listed"),
    "W002": Code(Severity.WARNING, "file without statements", of_file=True),
    # names
    "E101": _e("unknown endpoint"),
    "E102": _e("unknown metric"),
    "E103": _e("deprecated metric media_clicks"),
    "E104": _e("metric not offered by the endpoint"),
    "E105": _e("unknown grouping key"),
    "E106": _e("grouping key not offered by the endpoint"),
    "W101": _w("duplicate metric removed"),
    # groupings
    "E201": _e("too many groupings"),
    "E202": _e("grouping key repeated"),
    "E203": _e("four-key grouping in an undocumented order"),
    "E204": _e("more than one four-key grouping"),
    "E205": _e("duplicate grouping name"),
    "E206": _e("empty grouping name"),
    "W201": _w("grouping without engagement.type"),
    # Tweets
    "E301": _e("no Tweets given"),
    "E302": _e("Tweets given twice"),
    "E303": _e("Tweet ID out of range"),
    "E304": _e("not a Tweet ID or Tweet URL"),
    "E305": _e("empty Tweet list"),
    "E306": _e("unbound parameter"),
    "E307": _e("FILE not allowed here"),
    "E308": _e("IDs file cannot be read"),
    "E309": _e("too many Tweet IDs"),
    "E310": _e("parameter of the wrong kind"),
    "E311": _e("IDs file outside base_dir"),
    "E312": _e("IDs file with invalid JSON"),
    "E313": _e("JSON without a Tweet ID"),
    "W301": _w("duplicate Tweet ID removed"),
    "W302": _w("answer page without Tweets"),
    # time
    "E401": _e("time range on an endpoint without one"),
    "E402": _e("unparseable time"),
    "E403": _e("start not before end"),
    "E404": _e("start before 2014-09-01"),
    "E405": _e("end in the future"),
    "E406": _e("time range given twice"),
    "W401": _w("start more than 365 days ago"),
    "W402": _w("public counts read as zero before 2015-09-15"),
    # Tweet age (Snowflake)
    "W501": _w("impressions or engagements of Tweets older than 90 days"),
    "W502": _w("video_views of Tweets older than 1800 days"),
    "W503": _w("window ends before the Tweet existed"),
    "W504": _w("Tweet ID from the future"),
    # the API's answer
    "W601": Code(Severity.WARNING, "Tweet missing from the answer", at_run=True),
}
