"""A number and the noun it counts, singular for one: ``1 request``, ``2 requests``.

Every message that counts something says it through ``counted``, so that none says
``1 requests``; nouns whose plural is not an added ``s`` give it.
"""

from __future__ import annotations


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """``1,234 Tweets``: the number with thousands separators and its noun."""
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"
