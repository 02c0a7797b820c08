"""Settings for a run: credentials, base URL and rate limit, and where each came from.

Precedence: flags > environment > profile file > defaults, decided one setting at a
time. The environment is read as ``ENGQL_*``, then the ``TWITTER_*`` names of X's own
Engagement scripts (Part B §8) for the credentials. The profile file is
``$XDG_CONFIG_HOME/engql/credentials.toml`` (``~/.config/engql/credentials.toml``):
``[profiles.NAME]`` tables and a top-level ``default_profile``; the profile used is the
one the ``profile`` flag names, else ``ENGQL_PROFILE``, else ``default_profile``. An empty
value counts as not given, at every layer.

Nothing here prints. No repr, message, warning or exception carries a credential's value:
they name settings, variables and files instead.
"""

from __future__ import annotations

import os
import secrets
import tomllib
import unicodedata
from collections.abc import Mapping
from typing import Any

import attrs

from engql import facts, xdg
from engql.atomic import atomic_file
from engql.facts import ENV_NAMES, PROFILE_VARIABLE
from engql.record import Record
from engql.redact import remember, remember_url, shown_url

CREDENTIAL_FIELDS = (
    "consumer_key",
    "consumer_secret",
    "access_token",
    "access_token_secret",
    "bearer_token",
)
PROFILE_KEYS = (*CREDENTIAL_FIELDS, "rate_limit", "base_url")
SETTING_FIELDS = (*CREDENTIAL_FIELDS, "base_url", "rate_limit")
FLAG_NAMES = frozenset({*SETTING_FIELDS, "profile"})

DEFAULT_SOURCE = "default"
CHECKED_FIELDS = (*CREDENTIAL_FIELDS, "base_url")
"""The text settings that go into every request as they are, and so are checked."""


class ConfigError(Exception):
    """Configuration that cannot be used: a missing profile, an unreadable or malformed
    file. The message names files, profiles and keys, never a credential's value."""


def _hidden(value: str | None) -> str:
    return "None" if value is None else "<hidden>"


def _shown_url(url: str) -> str:
    return repr(shown_url(url))


def secret_field() -> Any:
    """A credential's field: None by default, shown by repr only as ``<hidden>``."""
    return attrs.field(default=None, repr=_hidden)


@attrs.frozen(repr=False)
class Settings(Record):
    """What a run connects with. ``sources`` says where each setting came from ("flag",
    "env ENGQL_CONSUMER_KEY", "profile work in ~/.config/engql/credentials.toml",
    "default"), for ``--verbose``; the repr shows credentials only as ``<hidden>``."""

    consumer_key: str | None = secret_field()
    consumer_secret: str | None = secret_field()
    access_token: str | None = secret_field()
    access_token_secret: str | None = secret_field()
    bearer_token: str | None = secret_field()
    base_url: str = attrs.field(default=facts.DEFAULT_BASE_URL, repr=_shown_url)
    rate_limit: int | None = None
    """Requests a minute when the server does not say; None: the executor's assumption."""
    profile: str | None = None
    """The profile read, or None when none was."""
    sources: Mapping[str, str] = attrs.field(factory=dict, hash=False)

    def __attrs_post_init__(self) -> None:
        for name in CREDENTIAL_FIELDS:
            remember(getattr(self, name))
        remember_url(self.base_url)

    def source_of(self, name: str) -> str:
        return self.sources.get(name, DEFAULT_SOURCE)

    def describe(self) -> list[str]:
        """One line per setting for ``--verbose``: credentials only as set or not set."""
        lines = [f"profile: {self.profile or 'none'} ({self.source_of('profile')})"]
        for name in CREDENTIAL_FIELDS:
            state = "set" if getattr(self, name) else "not set"
            lines.append(f"{name}: {state} ({self.source_of(name)})")
        lines.append(f"base_url: {shown_url(self.base_url)} ({self.source_of('base_url')})")
        limit = "not set" if self.rate_limit is None else f"{self.rate_limit} a minute"
        lines.append(f"rate_limit: {limit} ({self.source_of('rate_limit')})")
        return lines


def credentials_path(config_home: str) -> str:
    return os.path.join(config_home, "engql", "credentials.toml")


def shown_path(path: str, environ: Mapping[str, str]) -> str:
    """``path`` as messages show it: the home folder as ``~``."""
    folder = xdg.home(environ).rstrip(os.sep)
    if folder and path.startswith(folder + os.sep):
        return "~" + path[len(folder) :]
    return path


@attrs.frozen(repr=False)
class ProfileFile(Record):
    """The profile file as read: its tables checked for shape, not yet for values."""

    path: str
    shown: str
    exists: bool
    document: Mapping[str, Any]
    warnings: tuple[str, ...]
    text: str = attrs.field(default="", repr=False)
    """The file's text as it was read, for editing it in place."""

    @property
    def default_profile(self) -> str | None:
        name = self.document.get("default_profile")
        return name if isinstance(name, str) and name else None

    @property
    def profiles(self) -> Mapping[str, Any]:
        profiles: Mapping[str, Any] = self.document.get("profiles", {})
        return profiles

    def profile(self, name: str, chosen_by: str = "") -> dict[str, str | int]:
        """The named profile's settings, checked; empty values left out. ``chosen_by``
        (such as "env ENGQL_PROFILE") goes into the message when there is no such profile."""
        where = f"{self.shown}: profile {name!r}"
        self.require(name, chosen_by)
        table = self.profiles[name]
        if not isinstance(table, dict):
            raise ConfigError(f"{where} is not a table")
        values: dict[str, str | int] = {}
        for key, value in table.items():
            if key == "rate_limit":
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise ConfigError(f"{where}: rate_limit must be a whole number of at least 1")
                values[key] = value
            elif key in PROFILE_KEYS:
                # The value stays out of the message: it may be a secret.
                if not isinstance(value, str):
                    raise ConfigError(f"{where}: {key} must be a string (in double quotes)")
                if value:
                    _check_value(key, value, f"{where}: {key}")
                    values[key] = value
        return values

    def require(self, name: str, chosen_by: str = "") -> None:
        """Raise ConfigError, naming the profiles there, unless profile ``name`` exists."""
        if name in self.profiles:
            return
        chosen = f" (chosen by {chosen_by})" if chosen_by else ""
        if not self.exists:
            raise ConfigError(
                f"no profile {name!r}{chosen}: {self.shown} does not exist; "
                f"`engql configure --profile {name}` writes it"
            )
        there = ", ".join(repr(p) for p in self.profiles) or "none"
        raise ConfigError(f"no profile {name!r}{chosen} in {self.shown}; profiles there: {there}")

    def unknown_keys(self, name: str) -> list[str]:
        table = self.profiles.get(name)
        return [key for key in table if key not in PROFILE_KEYS] if isinstance(table, dict) else []


def read_profile_file(environ: Mapping[str, str], config_home: str | None = None) -> ProfileFile:
    """Read the profile file (a missing one reads as empty). Raises ConfigError when it
    cannot be read or is not TOML of the expected shape; warns when others may read it."""
    path = credentials_path(xdg.config_home(environ) if config_home is None else config_home)
    shown = shown_path(path, environ)
    warnings: list[str] = []
    try:
        with open(path, "rb") as file:
            mode = os.fstat(file.fileno()).st_mode
            data = file.read()
    except FileNotFoundError:
        return ProfileFile(path, shown, False, {}, ())
    except OSError as error:
        raise ConfigError(f"cannot read {shown}: {error.strerror}") from None
    if os.name == "posix" and mode & 0o077:
        warnings.append(
            f"{shown} is open to other users (mode {mode & 0o777:04o}); "
            f"it holds secrets: chmod 600 {shown}"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{shown}: not UTF-8 text") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        # tomllib's messages name the problem and its line, never the text around it.
        raise ConfigError(f"{shown}: not valid TOML: {error}") from None
    _check_shape(document, shown, warnings)
    return ProfileFile(path, shown, True, document, tuple(warnings), text)


def _check_shape(document: Mapping[str, Any], shown: str, warnings: list[str]) -> None:
    default = document.get("default_profile")
    if default is not None and not isinstance(default, str):
        raise ConfigError(f"{shown}: default_profile must be a string (a profile's name)")
    profiles = document.get("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(f"{shown}: profiles must be a table of [profiles.NAME] tables")
    for key in document:
        if key not in ("default_profile", "profiles"):
            warnings.append(f"{shown}: unknown top-level key {key!r} ignored")


def load_settings(
    flags: Mapping[str, str | int | None],
    environ: Mapping[str, str],
    config_home: str | None = None,
) -> tuple[Settings, list[str]]:
    """The settings for a run and the warnings to show about them.

    ``flags`` holds what the command line (or ``engql.Client``) gave, by setting name
    (``consumer_key`` … ``bearer_token``, ``base_url``, ``rate_limit``, ``profile``), None
    for not given. ``config_home`` replaces ``$XDG_CONFIG_HOME`` (tests). Raises
    ConfigError for a named profile that does not exist or an unusable profile file.
    """
    _check_flags(flags)
    file = read_profile_file(environ, config_home)
    warnings = list(file.warnings)
    name, name_source = _chosen_profile(flags, environ, file)
    profile: dict[str, str | int] = {}
    sources = {"profile": name_source}
    if name is not None:
        profile = file.profile(name, name_source)
        warnings += [
            f"{file.shown}: unknown key {key!r} in profile {name!r} ignored; "
            f"the keys are {', '.join(PROFILE_KEYS)}"
            for key in file.unknown_keys(name)
        ]
    values: dict[str, str | int] = {}
    for field in SETTING_FIELDS:
        flag = flags.get(field)
        variable = next((v for v in ENV_NAMES.get(field, ()) if environ.get(v)), None)
        if flag is not None and flag != "":
            values[field], sources[field] = flag, "flag"
            _check_value(field, flag, f"the {field} flag")
        elif variable is not None:
            values[field], sources[field] = environ[variable], f"env {variable}"
            _check_value(field, environ[variable], variable)
            if field in profile and profile[field] != environ[variable]:
                warnings.append(f"{variable} is set and overrides the {field} of profile {name!r}")
        elif field in profile:
            values[field] = profile[field]
            sources[field] = f"profile {name} in {file.shown}"
    text = {key: value for key, value in values.items() if isinstance(value, str)}
    rate_limit = values.get("rate_limit")
    settings = Settings(
        consumer_key=text.get("consumer_key"),
        consumer_secret=text.get("consumer_secret"),
        access_token=text.get("access_token"),
        access_token_secret=text.get("access_token_secret"),
        bearer_token=text.get("bearer_token"),
        base_url=text.get("base_url", facts.DEFAULT_BASE_URL),
        rate_limit=rate_limit if isinstance(rate_limit, int) else None,
        profile=name,
        sources=sources,
    )
    return settings, warnings


_CHARACTER_NAMES = {
    "\r": "a carriage return",
    "\n": "a line feed",
    "\t": "a tab",
    " ": "a space",
    "\x00": "a NUL",
    "\ufeff": "a byte order mark",
}


def value_problem(field: str, value: str) -> str | None:
    """Why a credential (or the base URL) cannot be sent as it is, in words that never
    quote it; None when it can. X issues none with white space or control characters in
    them, so one is a mistake in copying it (a token file saved on Windows ends in CR LF,
    which no HTTP library will send); a bearer token goes into its header as it is, and
    must be ASCII."""
    what = "a URL" if field == "base_url" else "a credential"
    rule = f"{what} holds no spaces or control characters"
    if value.isspace():
        return f"is only white space; {rule}"
    if value.endswith("\r\n"):
        return f"ends with a line break (CR LF), as a file saved on Windows does; {rule}"
    if value.endswith("\r"):
        return f"ends with a carriage return (U+000D), as a file saved on Windows does; {rule}"
    bad = [i for i, char in enumerate(value) if _unsendable(char)]
    if bad:
        if bad[-1] == len(value) - 1:
            at, where = bad[-1], "ends with"
        elif bad[0] == 0:
            at, where = 0, "starts with"
        else:
            at, where = bad[0], "holds"
        return f"{where} {_character(value[at])}; {rule}"
    if field == "bearer_token" and not value.isascii():
        return "holds a character that is not ASCII; a bearer token is ASCII text"
    return None


def _unsendable(char: str) -> bool:
    return char.isspace() or unicodedata.category(char)[0] in "CZ"


def _character(char: str) -> str:
    if unicodedata.category(char) == "Cs":
        return "a byte that is not UTF-8 text"
    kind = "white space" if char.isspace() or unicodedata.category(char)[0] == "Z" else None
    name = _CHARACTER_NAMES.get(char) or kind or "a control character"
    return f"{name} (U+{ord(char):04X})"


def _check_value(field: str, value: str | int, where: str) -> None:
    """Refuse a credential or URL that cannot be sent; the message names ``where`` it
    came from (a variable, a flag, a profile's key), never the value."""
    if field in CHECKED_FIELDS and isinstance(value, str):
        problem = value_problem(field, value)
        if problem is not None:
            raise ConfigError(f"{where} {problem}")


def _check_flags(flags: Mapping[str, str | int | None]) -> None:
    """Flags come from code (the command line's parser, engql.Client): a wrong name or
    type is a bug there, not a user's mistake."""
    unknown = sorted(set(flags) - FLAG_NAMES)
    if unknown:
        raise ValueError(f"unknown setting names: {', '.join(unknown)}")
    for name, value in flags.items():
        if value is None:
            continue
        if name == "rate_limit":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError("the rate_limit flag must be a whole number of at least 1")
        elif not isinstance(value, str):
            raise ValueError(f"the {name} flag must be a string")


def _chosen_profile(
    flags: Mapping[str, str | int | None], environ: Mapping[str, str], file: ProfileFile
) -> tuple[str | None, str]:
    flag = flags.get("profile")
    if flag is not None and flag != "":
        return str(flag), "flag"
    if environ.get(PROFILE_VARIABLE):
        return environ[PROFILE_VARIABLE], f"env {PROFILE_VARIABLE}"
    if file.default_profile is not None:
        return file.default_profile, f"default_profile in {file.shown}"
    return None, DEFAULT_SOURCE


def write_profile(
    name: str, values: Mapping[str, str | int | None], config_home: str | None = None
) -> str:
    """Set keys of profile ``name`` (None or "" removes one; keys not given are kept) and
    return the file's path. Other profiles and ``default_profile`` are kept; the first
    profile becomes the default. The file is edited in place, so its comments and layout
    are kept too, and replaced atomically; it has mode 0600 from its creation on."""
    if not name:
        raise ValueError("a profile needs a name")
    unknown = sorted(set(values) - set(PROFILE_KEYS))
    if unknown:
        raise ValueError(f"not profile keys: {', '.join(unknown)}")
    if any(isinstance(text, str) and _has_surrogate(text) for text in (name, *values.values())):
        # Not a character at all; the text stays out of the message.
        raise ValueError("a string holds a lone surrogate, which TOML cannot store")
    file = read_profile_file(os.environ, config_home)
    if not isinstance(file.profiles.get(name, {}), dict):
        raise ConfigError(f"{file.shown}: profile {name!r} is not a table")
    _replace(file, _edited(file, name, values))
    return file.path


def set_default_profile(name: str, environ: Mapping[str, str]) -> ProfileFile:
    """Make the existing profile ``name`` the ``default_profile``, editing the file in
    place as ``write_profile`` does; returns the file as it was."""
    file = read_profile_file(environ)
    file.require(name)
    document = _parsed(file)
    document["default_profile"] = name
    _replace(file, _checked(file, document, {**file.document, "default_profile": name}))
    return file


def delete_profile(name: str, environ: Mapping[str, str]) -> ProfileFile:
    """Remove the existing profile ``name``, and ``default_profile`` when it names it,
    editing the file in place as ``write_profile`` does; returns the file as it was."""
    import tomlkit

    file = read_profile_file(environ)
    file.require(name)
    document = _parsed(file)
    intended = {**file.document, "profiles": {k: v for k, v in file.profiles.items() if k != name}}
    if file.document.get("default_profile") == name:
        del document["default_profile"]
        del intended["default_profile"]
    text = tomlkit.dumps(document)
    by_lines = _without_table(text, name)
    if by_lines is not None and _reads_as(by_lines, intended):
        _replace(file, by_lines)
    else:
        del document["profiles"][name]
        _replace(file, _checked(file, document, intended))
    return file


def _without_table(text: str, name: str) -> str | None:
    """``text`` without the lines of its ``[profiles.NAME]`` table, or None when the
    profile is not written as one (an inline table, dotted keys).

    A comment belongs to what follows it: the comment lines right above the table's
    header go with it, and those that end its body after a blank line stay, since they
    stand above the next header. (tomlkit keeps a table's body up to the next header,
    so deleting the table alone would drop the next one's comments and leave its own.)
    """
    import tomlkit
    from tomlkit.items import Table

    document = tomlkit.parse(text)
    profiles = document.get("profiles")
    if not isinstance(profiles, Table) or not profiles.is_super_table():
        return None
    table = profiles.get(name)
    if not isinstance(table, Table) or table.is_super_table():
        return None
    body = len(table.as_string().splitlines())
    mark = f"# engql: the end of a profile {secrets.token_hex(16)}"
    table.add(tomlkit.comment(mark))
    lines = tomlkit.dumps(document).splitlines(keepends=True)
    end = next(i for i, line in enumerate(lines) if mark in line)
    del lines[end]
    header = end - body - 1
    if header < 0 or "".join(lines) != text:
        return None
    tail = end
    while tail > header + 1 and _is_comment_or_blank(lines[tail - 1]):
        tail -= 1
    kept = lines[tail:end]
    while kept and not _is_blank(kept[0]):
        kept.pop(0)
    above = header
    while above > 0 and lines[above - 1].strip().startswith("#"):
        above -= 1
    if kept and (above == 0 or _is_blank(lines[above - 1])):
        kept.pop(0)
    before = lines[:above]
    while before and not kept and end == len(lines) and _is_blank(before[-1]):
        before.pop()
    return "".join([*before, *kept, *lines[end:]])


def _is_blank(line: str) -> bool:
    return not line.strip()


def _is_comment_or_blank(line: str) -> bool:
    return _is_blank(line) or line.strip().startswith("#")


def _reads_as(text: str, intended: Mapping[str, Any]) -> bool:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return False
    return _without_empty_profiles(data) == _without_empty_profiles(intended)


def _replace(file: ProfileFile, text: str) -> None:
    """Write the file's new text atomically, with mode 0600 from its creation on."""
    path = os.path.realpath(file.path)
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        with atomic_file(path, mode=0o600, newline="") as out:
            out.write(text)
    except OSError as error:
        raise ConfigError(f"cannot write {file.shown}: {error.strerror}") from None


def _parsed(file: ProfileFile) -> Any:
    """The file as a tomlkit document, which keeps its comments and layout."""
    import tomlkit  # only the commands that write load it
    from tomlkit.exceptions import ParseError

    try:
        return tomlkit.parse(file.text)
    except ParseError as error:
        # tomllib read it; the message stays out, it may quote the text.
        raise ConfigError(
            f"{file.shown}: cannot be edited in place (line {error.line}, column {error.col})"
        ) from None


def _checked(file: ProfileFile, document: Any, intended: Mapping[str, Any]) -> str:
    """The edited document's text, once it reads back as the intended data (no table of
    profiles and an empty one are the same); ConfigError, and nothing is written, if not."""
    import tomlkit

    text = tomlkit.dumps(document)
    if not _reads_as(text, intended):
        raise ConfigError(
            f"{file.shown}: cannot be edited in place without changing what it says; "
            "edit it by hand, or move it away and run `engql configure` again"
        )
    return text


def _without_empty_profiles(data: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key != "profiles" or value}


def _edited(file: ProfileFile, name: str, values: Mapping[str, str | int | None]) -> str:
    """The file's text with the profile's keys set and everything else as it was; a new
    profile goes at the end. Raises ConfigError, and nothing is written, when the edited
    text would not read back as the intended data."""
    import tomlkit
    from tomlkit.items import InlineTable

    document = _parsed(file)
    intended = _intended(file, name, values)
    if "default_profile" in intended and "default_profile" not in file.document:
        document["default_profile"] = name
    profiles: Any = document.get("profiles")
    if profiles is not None and name in profiles:
        table = profiles[name]
    elif isinstance(profiles, InlineTable):
        table = profiles[name] = tomlkit.inline_table()
    else:
        # Appended whole, not inserted among the profiles: tomlkit would put it between
        # the lines of a profile written as dotted keys.
        table = tomlkit.table()
    for key, value in values.items():
        if value is not None and value != "":
            table[key] = value
        elif key in table:
            del table[key]
    if profiles is None or name not in profiles:
        document.append("profiles", tomlkit.table(is_super_table=True).add(name, table))
    return _checked(file, document, intended)


def _intended(
    file: ProfileFile, name: str, values: Mapping[str, str | int | None]
) -> dict[str, Any]:
    """The data the file is to hold once the profile's keys are set."""
    table = dict(file.profiles.get(name, {}))
    for key, value in values.items():
        if value is None or value == "":
            table.pop(key, None)
        else:
            table[key] = value
    intended = {**file.document, "profiles": {**file.profiles, name: table}}
    if not file.profiles and "default_profile" not in file.document:
        intended["default_profile"] = name
    return intended


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= char <= "\udfff" for char in text)
