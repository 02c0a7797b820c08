"""Counted nouns: singular for one, in every message that counts (issue 13)."""

from __future__ import annotations

import pytest

from engql.counted import counted


@pytest.mark.parametrize(
    ("number", "noun", "plural", "said"),
    [
        (0, "request", None, "0 requests"),
        (1, "request", None, "1 request"),
        (2, "request", None, "2 requests"),
        (1234, "Tweet", None, "1,234 Tweets"),
        (1, "more Tweet is", "more Tweets are", "1 more Tweet is"),
        (3480, "more Tweet is", "more Tweets are", "3,480 more Tweets are"),
    ],
)
def test_a_count_says_its_noun_in_the_number_it_has(
    number: int, noun: str, plural: str | None, said: str
) -> None:
    assert counted(number, noun, plural) == said
