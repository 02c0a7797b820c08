"""What each command's ``--help`` ends with: examples, its exit codes, the variables it reads.

The examples are written here (a test parses each one); the codes and their meanings
come from engql.exits and the variables' names from the modules that read them, so the
help cannot drift from what the commands do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from engql import facts, xdg
from engql.diagnostics import NO_COLOR_VARIABLE
from engql.exits import MEANINGS, Exit

_COMMON = (Exit.BUG, Exit.INTERRUPTED)
"""What any command may end with."""
_QUERY_FILE = (Exit.OK, Exit.QUERY, Exit.USAGE, *_COMMON)
_RUN = (Exit.OK, Exit.QUERY, Exit.USAGE, Exit.CONFIG, Exit.REFUSED, Exit.PARTIAL, Exit.GAVE_UP)
_PROFILES = (Exit.OK, Exit.USAGE, Exit.CONFIG, *_COMMON)
_PLAIN = (Exit.OK, Exit.USAGE, *_COMMON)

EXAMPLES: Mapping[str, Sequence[str]] = {
    "": (
        "engql run examples/quickstart.engql --sandbox",
        "engql check examples/*.engql",
        "engql help run",
    ),
    "check": (
        "engql check examples/*.engql",
        "engql check q.engql --error-format json",
        "engql check - --now 2024-06-01",
    ),
    "compile": (
        "engql compile examples/quickstart.engql",
        "engql compile q.engql -p ids=@ids.txt --pretty",
    ),
    "fmt": (
        "engql fmt q.engql",
        "engql fmt --check examples/*.engql",
        "engql fmt --write q.engql",
    ),
    "explain": (
        "engql explain examples/quickstart.engql",
        "engql explain q.engql --rate-limit 300",
        "engql explain q.engql --store sqlite:///campaign.db",
    ),
    "debug": (
        "engql debug ast q.engql --pretty",
        "engql debug plan q.engql --base-url http://127.0.0.1:8080",
    ),
    "run": (
        "engql run examples/quickstart.engql --sandbox",
        "engql run q.engql --profile acme -o answer.csv",
        "engql run q.engql -p ids=@ids.txt --resume run-1",
    ),
    "collect": (
        "engql collect examples/daily_collection.engql --sandbox --store sqlite:///campaign.db",
        "engql collect q.engql --store postgresql://me@localhost:5432/campaign -o /dev/null",
    ),
    "configure": ("engql configure", "engql configure --profile acme"),
    "profiles": (
        "engql profiles",
        "engql profiles default acme",
        "engql profiles delete globex",
    ),
    "profiles default": ("engql profiles default acme",),
    "profiles delete": ("engql profiles delete globex",),
    "repl": ("engql repl --sandbox", "engql repl --profile acme"),
    "sandbox": ("engql sandbox --port 8080", "engql sandbox --fault 3=503 --fault-rate 429=0.1"),
    "completion": (
        "engql completion bash > ~/.local/share/bash-completion/completions/engql",
        "engql completion zsh > ~/.zfunc/_engql",
        "engql completion fish > ~/.config/fish/completions/engql.fish",
    ),
    "lsp": ("engql lsp",),
    "help": ("engql help", "engql help run"),
}
"""Two or three command lines a user can start from, by command (``""``: engql itself)."""

EXITS: Mapping[str, Sequence[Exit]] = {
    "check": _QUERY_FILE,
    "compile": _QUERY_FILE,
    "fmt": _QUERY_FILE,
    "explain": (Exit.OK, Exit.QUERY, Exit.USAGE, Exit.CONFIG, *_COMMON),
    "debug": _QUERY_FILE,
    "run": (*_RUN, *_COMMON),
    "collect": (*_RUN, *_COMMON),
    "configure": _PROFILES,
    "profiles": _PROFILES,
    "profiles default": _PROFILES,
    "profiles delete": _PROFILES,
    "repl": (Exit.OK, Exit.USAGE, Exit.BUG),
    "sandbox": (Exit.OK, Exit.USAGE, Exit.BUG),
    "completion": _PLAIN,
    "lsp": _PLAIN,
    "help": _PLAIN,
}
"""The codes each command can end with, in the order docs/running.md lists them."""

_NO_PROFILE = "no such profile, or the profile file cannot be read or written"
_MEANING_HERE: Mapping[tuple[str, Exit], str] = {
    ("fmt", Exit.QUERY): "a file has syntax errors, or would be reformatted (--check)",
    ("explain", Exit.CONFIG): "the --store database cannot be reached or refuses",
    ("configure", Exit.USAGE): "usage, or the answers' input ended; nothing was written",
    ("configure", Exit.CONFIG): "the profile file cannot be read, edited or written",
    ("configure", Exit.INTERRUPTED): "interrupted (Ctrl-C); nothing was written",
    ("profiles", Exit.CONFIG): _NO_PROFILE,
    ("sandbox", Exit.OK): "stopped (Ctrl-C)",
    ("lsp", Exit.OK): "the client asked the server to exit",
    ("lsp", Exit.USAGE): "pygls is not installed: pip install 'engql[lsp]'",
}
"""Where a command (by its first word) gives a code a narrower meaning than engql.exits."""

_WHAT: Mapping[str, str] = {
    "consumer_key": "the consumer key (API Key)",
    "consumer_secret": "the consumer secret (API Key Secret)",
    "access_token": "the access token",
    "access_token_secret": "the access token secret",
    "bearer_token": "the bearer token",
    "base_url": "the API's address",
}
_COLOUR = (NO_COLOR_VARIABLE, "any value: diagnostics without colour, unless --color says")
_PROFILE = (facts.PROFILE_VARIABLE, "the credentials profile, where --profile names none")
_CONFIG_HOME = (xdg.CONFIG_HOME_VARIABLE, "holds engql/credentials.toml (default ~/.config)")
_POSTGRES = ("PGPASSWORD, PG*", "libpq's, for a postgresql:// store (docs/storage.md)")


def _credentials() -> list[tuple[str, str]]:
    """Each setting's variable, then one line for the names read after them."""
    lines = [(names[0], _WHAT[field]) for field, names in facts.ENV_NAMES.items()]
    prefixes = sorted({n.split("_")[0] for names in facts.ENV_NAMES.values() for n in names[1:]})
    read_after = "the credentials by their names in X's scripts, read after ENGQL_*"
    return [*lines, *((f"{prefix}_*", read_after) for prefix in prefixes)]


def _environment(command: str) -> list[tuple[str, str]]:
    if command in ("check", "compile", "fmt", "debug"):
        return [_COLOUR]
    if command == "explain":
        return [_COLOUR, _POSTGRES]
    if command in ("run", "collect"):
        return [*_credentials(), _PROFILE, _CONFIG_HOME, _COLOUR, _POSTGRES]
    if command == "repl":
        history = "holds engql/history, the shell's (default ~/.local/state)"
        return [*_credentials(), _PROFILE, _CONFIG_HOME, (xdg.STATE_HOME_VARIABLE, history)]
    if command.startswith(("configure", "profiles")):
        return [_PROFILE, _CONFIG_HOME]
    return []


def meaning(command: str, code: Exit) -> str:
    """What ``code`` means when ``command`` ends with it."""
    return _MEANING_HERE.get((command.split()[0], code), MEANINGS[code])


def epilog(command: str) -> str:
    """The end of ``engql COMMAND --help`` (``""``: of ``engql --help``)."""
    parts = ["examples:\n" + "\n".join(f"  {line}" for line in EXAMPLES[command])]
    if command:
        codes = [(str(int(code)), meaning(command, code)) for code in EXITS[command]]
        parts.append("exit codes:\n" + _columns(codes))
        environment = _environment(command)
        if environment:
            parts.append("environment:\n" + _columns(environment))
    else:
        parts.append("Each command's --help lists its exit codes and the variables it reads.")
    return "\n\n".join(parts)


def _columns(rows: Sequence[tuple[str, str]]) -> str:
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"  {name.ljust(width)}  {text}" for name, text in rows)
