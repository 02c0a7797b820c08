"""JSON: each statement's merged answer in the API's own shape, plus ``missing``; a
list of them for several statements."""

from __future__ import annotations

import json
from typing import IO, TYPE_CHECKING, Any

from engql.output.format import OutputFormat

if TYPE_CHECKING:
    from engql.executor.result import Result


def write_result(result: Result, out: IO[str], grouping: str | None, long: bool) -> None:
    """The whole answer: ``grouping`` and ``long`` shape rows, which JSON does not have."""
    data: Any = [s.to_json() for s in result.statements]
    json.dump(data[0] if len(data) == 1 else data, out, indent=2)
    out.write("\n")


FORMAT = OutputFormat(name="json", write_result=write_result, server_text=True, extension=".json")
