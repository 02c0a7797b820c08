"""``engql configure`` and ``engql profiles``: write, list, choose and delete credential
profiles.

Neither prints a credential: prompts and listings say "set" or "-" instead. The prompt
functions are parameters, so tests (and other front ends) need no terminal.
"""

from __future__ import annotations

import argparse
import enum
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import IO, Any
from urllib.parse import urlsplit

from engql import facts, xdg
from engql.config import (
    CHECKED_FIELDS,
    CREDENTIAL_FIELDS,
    PROFILE_KEYS,
    ConfigError,
    ProfileFile,
    delete_profile,
    read_profile_file,
    set_default_profile,
    value_problem,
    write_profile,
)
from engql.exits import Exit
from engql.facts import ENV_NAMES, PROFILE_VARIABLE
from engql.redact import shown_url

CLEAR = "-"
"""The answer that removes a value from the profile."""
DEFAULT_NAME = "default"
"""The profile ``configure`` writes when none is named and the file has no default."""

Prompt = Callable[[str], str]

SECRET_KEYS = frozenset({"consumer_secret", "access_token_secret", "bearer_token"})
"""Read without echo. The consumer key and access token are echoed so a paste can be
checked: they travel in the clear in every OAuth header; still, nothing prints them."""
PORTAL_NAMES = {
    "consumer_key": "API Key",
    "consumer_secret": "API Key Secret",
    "access_token": "Access Token",
    "access_token_secret": "Access Token Secret",
    "bearer_token": "Bearer Token",
    "rate_limit": "requests a minute, from your contract",
    "base_url": "the API's address",
}
"""What X's developer portal (or the contract) calls each value."""


def run_configure(
    args: argparse.Namespace,
    *,
    ask: Prompt | None = None,
    ask_secret: Prompt | None = None,
    environ: Mapping[str, str] | None = None,
    err: IO[str] | None = None,
) -> int:
    """Prompt for each value of a profile and write it (``args.profile``: its name)."""
    err = sys.stderr if err is None else err
    if ask_secret is None and sys.stdin.isatty():
        import getpass

        ask_secret = getpass.getpass
    # Piped answers are all read from stdin: getpass would read the secrets from the
    # terminal instead, out of order.
    try:
        return _configure(
            args.profile,
            input if ask is None else ask,
            ask_secret or input,
            os.environ if environ is None else environ,
            err,
        )
    except ConfigError as error:
        print(f"engql: {error}", file=err)
        return Exit.CONFIG
    except EOFError:
        print("engql: configure: the input ended; nothing was written", file=err)
        return Exit.USAGE
    except _Interrupted:
        # The terminal left the cursor after the prompt (and its ^C): end that line first.
        print(file=err)
        print("engql: configure interrupted; nothing was written", file=err)
        return Exit.INTERRUPTED


class _Interrupted(Exception):
    """Ctrl-C while a value was asked for, before anything was written."""


def _configure(
    name: str | None, ask: Prompt, ask_secret: Prompt, environ: Mapping[str, str], err: IO[str]
) -> int:
    config_home = xdg.config_home(environ)
    file = read_profile_file(environ, config_home)
    _warn(file.warnings, err)
    name = name or environ.get(PROFILE_VARIABLE) or file.default_profile or DEFAULT_NAME
    current = file.profiles.get(name, {})
    if not isinstance(current, dict):
        raise ConfigError(f"{file.shown}: profile {name!r} is not a table")
    state = "" if name in file.profiles else " (new)"
    print(
        f"Profile {name!r}{state} in {file.shown}. Enter keeps a value, {CLEAR!r} clears it.",
        file=err,
    )
    changes: dict[str, str | int | None] = {}
    try:
        for key in PROFILE_KEYS:
            prompt = f"{key} ({PORTAL_NAMES[key]}) [{_current(key, current.get(key))}]: "
            answer = _answer(key, prompt, ask_secret if key in SECRET_KEYS else ask, err)
            if not isinstance(answer, _Keep):
                changes[key] = answer
    except KeyboardInterrupt:
        raise _Interrupted from None
    write_profile(name, changes, config_home)
    written = read_profile_file(environ, config_home)
    role = " (the default profile)" if written.default_profile == name else ""
    print(f"engql: wrote profile {name!r}{role} to {written.shown}", file=err)
    profile = written.profiles.get(name, {})
    for key in profile:
        overriding = [v for v in ENV_NAMES.get(key, ()) if environ.get(v)]
        if overriding:
            print(
                f"engql: note: {overriding[0]} is set here and overrides this profile's {key}",
                file=err,
            )
    return Exit.OK


class _Keep(enum.Enum):
    KEEP = "keep"


_KEEP = _Keep.KEEP


def _current(key: str, value: object) -> str:
    """The state a prompt shows: credentials only as set or not set."""
    if value is None or value == "":
        return f"default {facts.DEFAULT_BASE_URL}" if key == "base_url" else "not set"
    if key in CREDENTIAL_FIELDS:
        return "set"
    return shown_url(str(value)) if key == "base_url" else str(value)


def _answer(key: str, prompt: str, ask: Prompt, err: IO[str]) -> str | int | _Keep | None:
    """The new value, None to clear it, or _KEEP; asks again after an invalid one."""
    while True:
        answer = ask(prompt).strip()
        if not answer:
            return _KEEP
        if answer == CLEAR:
            return None
        problem = _problem(key, answer)
        if problem is None:
            return int(answer) if key == "rate_limit" else answer
        print(f"engql: {key}: {problem}", file=err)


def _problem(key: str, answer: str) -> str | None:
    if key == "rate_limit" and not (answer.isdigit() and int(answer) >= 1):
        return "a whole number of requests a minute, at least 1"
    if key == "base_url":
        parts = urlsplit(answer)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return "a URL starting with https:// (or http:// for a local sandbox)"
    if key in CHECKED_FIELDS:
        return value_problem(key, answer)
    return None


def run_profiles(
    args: argparse.Namespace,
    *,
    environ: Mapping[str, str] | None = None,
    out: IO[str] | None = None,
    err: IO[str] | None = None,
) -> int:
    """``engql profiles``: list them; ``profiles default NAME``, ``profiles delete NAME``."""
    environ = os.environ if environ is None else environ
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    try:
        if args.action == "default":
            return _set_default(args.name, environ, err)
        if args.action == "delete":
            return _delete(args.name, environ, err)
        file = read_profile_file(environ)
    except ConfigError as error:
        print(f"engql: {error}", file=err)
        return Exit.CONFIG
    _warn(file.warnings, err)
    if not file.profiles:
        print(f"engql: no profiles in {file.shown}; `engql configure` writes one", file=err)
        return Exit.OK
    rows = [["profile", "default", *CREDENTIAL_FIELDS, "rate_limit", "base_url"]]
    for name, table in file.profiles.items():
        rows.append(_row(file, name, table, err))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    print(f"profiles in {file.shown}:", file=out)
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip(),
            file=out,
        )
    selected = environ.get(PROFILE_VARIABLE)
    if selected:
        print(f"engql: {PROFILE_VARIABLE} is set: profile {selected!r} is used", file=err)
    return Exit.OK


def _set_default(name: str, environ: Mapping[str, str], err: IO[str]) -> int:
    """Like twurl's ``set default``: the profile runs use when none is named."""
    file = set_default_profile(name, environ)
    _warn(file.warnings, err)
    print(f"engql: {name!r} is now the default profile in {file.shown}", file=err)
    selected = environ.get(PROFILE_VARIABLE)
    if selected and selected != name:
        print(
            f"engql: note: {PROFILE_VARIABLE} is set here and chooses profile {selected!r} instead",
            file=err,
        )
    return Exit.OK


def _delete(name: str, environ: Mapping[str, str], err: IO[str]) -> int:
    file = delete_profile(name, environ)
    _warn(file.warnings, err)
    print(f"engql: deleted profile {name!r} from {file.shown}", file=err)
    if file.document.get("default_profile") == name:
        print(
            "engql: it was the default profile, so there is none now; "
            "`engql profiles default NAME` chooses one",
            file=err,
        )
    if environ.get(PROFILE_VARIABLE) == name:
        print(f"engql: note: {PROFILE_VARIABLE} still names it", file=err)
    return Exit.OK


def _row(file: ProfileFile, name: str, table: Any, err: IO[str]) -> list[str]:
    """One listing line, read leniently: a value of the wrong type shows as "-" and a
    warning says why."""
    try:
        file.profile(name)
    except ConfigError as error:
        _warn([str(error)], err)
    _warn(
        [f"{file.shown}: unknown key {k!r} in profile {name!r}" for k in file.unknown_keys(name)],
        err,
    )
    values = table if isinstance(table, dict) else {}
    cells = [name if name.isprintable() else repr(name)]
    cells.append("yes" if name == file.default_profile else "-")
    for key in CREDENTIAL_FIELDS:
        value = values.get(key)
        cells.append("set" if isinstance(value, str) and value else "-")
    limit, base_url = values.get("rate_limit"), values.get("base_url")
    valid_limit = isinstance(limit, int) and not isinstance(limit, bool) and limit >= 1
    cells.append(str(limit) if valid_limit else "-")
    printable = isinstance(base_url, str) and base_url.isprintable()
    cells.append(shown_url(str(base_url)) if printable else "-")
    return cells


def _warn(warnings: Iterable[str], err: IO[str]) -> None:
    for warning in warnings:
        print(f"engql: warning: {warning}", file=err)
