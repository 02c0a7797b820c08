"""Read the Tweet IDs out of a 403 that refuses Tweets the credentials do not own."""

from __future__ import annotations

import re
from collections.abc import Iterable

from engql.facts import UNOWNED_ERROR

_PREFIX = UNOWNED_ERROR.lower()
_DIGITS = re.compile(r"[0-9]+")
_AUTHOR = re.compile(r"for author id [0-9]+", re.I)


def unowned_ids(errors: Iterable[object]) -> list[str]:
    """IDs named by ``Forbidden to access tweets: ...`` strings, in both known formats.

    Current: ``Forbidden to access tweets: 1, 2;``. 2016: one string per author,
    ``Forbidden to access tweets for author id 111: 1, 2`` (Part B §6).
    """
    found: dict[str, None] = {}
    for error in errors:
        if not isinstance(error, str) or not error.lower().startswith(_PREFIX):
            continue
        listed = _AUTHOR.sub("", error).split(":", 1)[-1]
        found.update(dict.fromkeys(_DIGITS.findall(listed)))
    return list(found)
