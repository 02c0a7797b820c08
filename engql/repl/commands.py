"""The shell's backslash commands, declared as data: the help, the parser of their
arguments and the completion all read this table."""

from __future__ import annotations

import attrs

from engql.output import shell_formats
from engql.record import Record

RESULT_FORMATS = shell_formats()
"""What ``\\format`` accepts."""


@attrs.frozen(repr=False)
class MetaCommand(Record):
    """``\\name ARGS``: what it does and what its argument is.

    ``argument`` names the kind of value that follows, for completion and checks:
    "" (none), "endpoint", "statement", "format", "on_off", "param" (a set parameter),
    "param_value" (a parameter name, then its value), "profile", "file", "store" (a
    store URL), "expanded" (on, off or auto).
    """

    name: str
    usage: str
    help: str
    argument: str = ""
    optional: bool = False
    """The argument may be left out."""
    aliases: tuple[str, ...] = ()
    """Other names it answers to: psql's short ones (``\\q``, ``\\?``)."""

    @property
    def names(self) -> str:
        """Its usage, then its other names: ``\\help, \\?``."""
        return ", ".join([self.usage, *(f"\\{alias}" for alias in self.aliases)])


COMMANDS: tuple[MetaCommand, ...] = (
    MetaCommand("help", "\\help", "list these commands", aliases=("?",)),
    MetaCommand(
        "metrics",
        "\\metrics [ENDPOINT]",
        "the metrics, the endpoints that offer them and the auth they need",
        "endpoint",
        optional=True,
    ),
    MetaCommand(
        "describe", "\\describe ENDPOINT", "an endpoint's limits and grouping keys", "endpoint"
    ),
    MetaCommand("explain", "\\explain STATEMENT", "the plan of a statement, in words", "statement"),
    MetaCommand(
        "compile", "\\compile STATEMENT", "the HTTP requests of a statement, as JSON", "statement"
    ),
    MetaCommand(
        "format", f"\\format {'|'.join(RESULT_FORMATS)}", "how results are shown", "format"
    ),
    MetaCommand(
        "x",
        "\\x [on|off|auto]",
        "each row as a block of lines (toggles; auto: for tables wider than the screen)",
        "expanded",
        optional=True,
    ),
    MetaCommand(
        "set",
        "\\set NAME VALUE",
        "bind :NAME (VALUE: text, 1,2,3 or @ids.txt); \\set ON_ERROR_STOP on|off",
        "param_value",
    ),
    MetaCommand("unset", "\\unset NAME", "forget :NAME", "param"),
    MetaCommand("params", "\\params", "the parameters that are set"),
    MetaCommand("profile", "\\profile NAME", "use another credentials profile", "profile"),
    MetaCommand("sandbox", "\\sandbox on|off", "run against a local emulator of the API", "on_off"),
    MetaCommand(
        "store",
        "\\store [URL]",
        "collect into the store at URL: answers come from it, only what it lacks is sent; "
        "no URL: straight to the API",
        "store",
        optional=True,
    ),
    MetaCommand(
        "o",
        "\\o [FILE]",
        "send results to FILE (appended); no FILE: back to the screen",
        "file",
        optional=True,
    ),
    MetaCommand("i", "\\i FILE", "run the statements of a query file", "file"),
    MetaCommand(
        "e",
        "\\e",
        "edit the statement being typed, or the last one, in $VISUAL or $EDITOR "
        "(it runs if it ends with ;)",
    ),
    MetaCommand("missing", "\\missing", "the Tweets the last query has no answer for, and why"),
    MetaCommand("timing", "\\timing", "show how long each statement takes (toggles)"),
    MetaCommand("quit", "\\quit", "leave the shell (Ctrl-D does too)", aliases=("q",)),
)

BY_NAME: dict[str, MetaCommand] = {name: c for c in COMMANDS for name in (c.name, *c.aliases)}
"""Each command by its name and by its aliases."""
