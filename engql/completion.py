"""``engql completion SHELL``: a shell's completion script, made from the parser itself.

shtab writes each script from the argparse parser, so the commands, flags and choices a
shell completes are the ones engql parses, and nothing of engql runs at each Tab.
Arguments whose metavar names a file or folder complete paths.
"""

from __future__ import annotations

import argparse
from typing import Any

SHELLS = ("bash", "zsh", "fish")
_PATHS = {"FILE": "FILE", "PATH": "FILE", "DIR": "DIRECTORY"}
"""Metavars that stand for a path, and the kind of path shtab completes for each."""


def completion_script(parser: argparse.ArgumentParser, shell: str) -> str:
    """The script that completes ``engql`` in ``shell``."""
    import shtab  # loaded only to write a script

    _complete_paths(parser, shtab)
    script: str = shtab.complete(parser, shell=shell)
    return script if script.endswith("\n") else script + "\n"


def _complete_paths(parser: argparse.ArgumentParser, shtab: Any) -> None:
    for action in parser._actions:
        kind = _PATHS.get(action.metavar) if isinstance(action.metavar, str) else None
        if kind is not None:
            action.complete = getattr(shtab, kind)  # type: ignore[attr-defined]
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                _complete_paths(command, shtab)
