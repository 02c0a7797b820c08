"""Parameters (``:name``) as the command line binds them: ``-p NAME=VALUE``."""

from __future__ import annotations

from typing import Any

import attrs

from engql.record import Record


@attrs.frozen(repr=False)
class IdsFileParam(Record):
    """``-p ids=@path``: Tweet IDs to read from a file, relative to the working directory
    (to ``base_dir``, and kept inside it, when ``allow_files="base_dir"``); ``-p ids=@-``,
    from standard input (only with ``allow_files=True``)."""

    path: str


class ParamSyntaxError(ValueError):
    """A ``-p`` argument that is not ``NAME=VALUE``."""


def parse_cli_params(pairs: list[str]) -> dict[str, Any]:
    """``["ids=1,2,3", "start=2024-01-01", "more=@ids.txt"]`` → the params mapping.

    Values stay text (a statement decides whether it reads Tweets or a time); ``@path``
    names an IDs file, and ``@-`` standard input.
    """
    params: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip().lstrip(":")
        if not sep or not name.isidentifier():
            raise ParamSyntaxError(f"-p takes NAME=VALUE, got {pair!r}")
        params[name] = IdsFileParam(value[1:]) if value.startswith("@") else value
    return params
