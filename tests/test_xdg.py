"""The XDG folders, resolved once for the credentials file and the shell's history.

The XDG Base Directory specification says a relative path in an ``XDG_*_HOME`` variable
is invalid and is to be ignored: the default under ``$HOME`` applies, as when it is unset.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engql import xdg
from engql.config import read_profile_file
from engql.repl.session import history_path

HOME = {"HOME": "/h"}


@pytest.mark.parametrize("value", [None, "", "relative", "./dot", "~/tilde"])
def test_an_unset_empty_or_relative_folder_falls_back_under_home(value: str | None) -> None:
    given = {} if value is None else {"XDG_CONFIG_HOME": value, "XDG_STATE_HOME": value}
    environ = {**HOME, **given}
    assert xdg.config_home(environ) == "/h/.config"
    assert xdg.state_home(environ) == "/h/.local/state"


def test_an_absolute_folder_is_used() -> None:
    environ = {**HOME, "XDG_CONFIG_HOME": "/c", "XDG_STATE_HOME": "/s"}
    assert (xdg.config_home(environ), xdg.state_home(environ)) == ("/c", "/s")


def test_the_history_ignores_a_relative_xdg_state_home() -> None:
    assert history_path({**HOME, "XDG_STATE_HOME": "state"}) == "/h/.local/state/engql/history"
    assert history_path({**HOME, "XDG_STATE_HOME": "/s"}) == "/s/engql/history"


def test_the_credentials_file_ignores_a_relative_xdg_config_home(tmp_path: Path) -> None:
    file = read_profile_file({"HOME": str(tmp_path), "XDG_CONFIG_HOME": "config"})
    assert file.path == str(tmp_path / ".config" / "engql" / "credentials.toml")
    assert file.shown == "~/.config/engql/credentials.toml"
