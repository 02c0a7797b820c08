"""``\\store URL`` in the shell: queries collect into a store, as ``engql collect`` does."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from engql.repl.shell import Shell

QUERY = """SELECT impressions, favorites
FROM historical
WHERE tweet IN (1775157988688038291, 1780302638085451327)
  AND time BETWEEN '2024-04-16T05:00:00Z' AND '2024-05-02T17:00:00Z'
GROUP BY tweet.id, engagement.type, engagement.day AS daily;"""
SHORTER = QUERY.replace("2024-05-02T17:00:00Z", "2024-04-20").replace(
    "engagement.day AS daily", "engagement.hour AS hour_of_day"
)


class Shelled:
    def __init__(self) -> None:
        self.out, self.err = io.StringIO(), io.StringIO()
        self.shell = Shell(self.out, self.err, environ={"HOME": "/nonexistent"}, sandbox=True)
        self.shell.format = "json"

    def run(self, text: str) -> tuple[str, str]:
        for stream in (self.out, self.err):
            stream.seek(0), stream.truncate()
        self.shell.handle(text)
        return self.out.getvalue(), self.err.getvalue()

    @property
    def sent(self) -> int:
        return len(self.shell._sandbox.log.entries())


@pytest.fixture
def shelled() -> Iterator[Shelled]:
    shelled = Shelled()
    yield shelled
    shelled.shell.close()


def test_queries_in_a_store_are_answered_from_it_and_send_only_what_it_lacks(
    shelled: Shelled, tmp_path: Path
) -> None:
    direct, _ = shelled.run(QUERY)
    shorter_direct, _ = shelled.run(SHORTER)
    assert shelled.sent == 2
    _, said = shelled.run(f"\\store sqlite:///{tmp_path}/shell.db")
    assert "queries are answered from it" in said
    collected, _ = shelled.run(QUERY)
    assert json.loads(collected) == json.loads(direct)
    assert shelled.sent == 3
    again, _ = shelled.run(QUERY)
    other, _ = shelled.run(SHORTER)
    assert shelled.sent == 3, "stored, settled hours are never asked for again"
    assert json.loads(again) == json.loads(direct)
    assert json.loads(other) == json.loads(shorter_direct)
    _, said = shelled.run("\\store")
    assert "straight against the API" in said
    shelled.run(QUERY)
    assert shelled.sent == 4


def test_a_store_that_cannot_be_used_is_said_in_one_line_and_nothing_changes(
    shelled: Shelled, tmp_path: Path
) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    _, said = shelled.run(f"\\store sqlite:///{folder}")
    assert said.count("\n") == 1 and "is a folder" in said
    _, said = shelled.run("\\store mysql://db")
    assert "is not a store URL" in said
    assert shelled.shell.store is None
