"""Where engql keeps its files: the folders of the XDG Base Directory specification.

An ``XDG_*_HOME`` variable that is unset, empty or a relative path is ignored (the
specification calls a relative one invalid) and the default under ``$HOME`` applies.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

CONFIG_HOME_VARIABLE = "XDG_CONFIG_HOME"
STATE_HOME_VARIABLE = "XDG_STATE_HOME"


def home(environ: Mapping[str, str]) -> str:
    """``$HOME``, else the user's home folder as the system knows it."""
    return environ.get("HOME") or os.path.expanduser("~")


def config_home(environ: Mapping[str, str]) -> str:
    """``$XDG_CONFIG_HOME``, by default ``~/.config``: settings such as credentials."""
    return _base(environ, CONFIG_HOME_VARIABLE, ".config")


def state_home(environ: Mapping[str, str]) -> str:
    """``$XDG_STATE_HOME``, by default ``~/.local/state``: history kept between runs."""
    return _base(environ, STATE_HOME_VARIABLE, os.path.join(".local", "state"))


def _base(environ: Mapping[str, str], variable: str, default: str) -> str:
    value = environ.get(variable, "")
    if os.path.isabs(value):
        return value
    return os.path.join(home(environ), default)
