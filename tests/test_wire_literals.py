"""No wire literal outside engql/facts.py: each fact of the wire is spelled once.

Every string constant of ``engql/**/*.py`` is collected with ``ast``, docstrings left
out (a string standing alone as a statement: module, class, function and attribute
docstrings), and so is ``engql/syntax/generated_parser.py``, which Lark writes. A
constant fails when it holds one of the checked values of ``engql.facts``:

- equal to it: the answer's Tweet ID lists and ``errors``, the request body's fields
  (``tweet_ids``, ``engagement_types``, ``groupings``, ``group_by``), the time format of
  ``start`` and ``end``, the default base URL and the endpoints' path prefix;
- equal in any case (HTTP names headers caselessly): the rate-limit and ``Retry-After``
  headers;
- equal, or the ``NAME=`` that starts an f-string: the ``ENGQL_*`` and ``TWITTER_*``
  variables and ``ENGQL_PROFILE``;
- containing it, in any case, since they are parts of longer texts and f-strings: the
  error texts (protected Tweets, unowned Tweets, forbidden metrics or endpoint, rate
  limited; the unavailable note is the protected text after its count).

Left out on purpose, because they are also ordinary words that code uses for other
things: ``start`` and ``end`` (the ends of a source span in diagnostics), the auth words
``app`` and ``user`` (also a kind of synthetic content in the sandbox), and the names of
endpoints, metrics and grouping keys (``totals``, ``video_views``), which are the
language's words as much as the wire's. A text that names a field in prose ("tweet_ids
is required") is no exact match and passes: a message may say what it refuses.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from engql import facts

ROOT = Path(__file__).resolve().parent.parent
SKIPPED = frozenset({"engql/facts.py", "engql/syntax/generated_parser.py"})

EXACT = (
    "ERRORS_KEY",
    "UNAVAILABLE_IDS",
    "UNSUPPORTED_IMPRESSIONS_IDS",
    "UNSUPPORTED_VIDEO_VIEWS_IDS",
    "TWEET_IDS_FIELD",
    "ENGAGEMENT_TYPES_FIELD",
    "GROUPINGS_FIELD",
    "GROUP_BY_FIELD",
    "WIRE_TIME_FORMAT",
    "DEFAULT_BASE_URL",
    "PATH_PREFIX",
)
CASELESS = ("RATE_LIMIT_HEADER", "RATE_REMAINING_HEADER", "RATE_RESET_HEADER", "RETRY_AFTER_HEADER")
CONTAINED = (
    "PROTECTED_ERROR",
    "UNOWNED_ERROR",
    "FORBIDDEN_METRICS_ERROR",
    "FORBIDDEN_ENDPOINT_ERROR",
    "RATE_LIMITED_ERROR",
)
VARIABLES = {facts.PROFILE_VARIABLE: "facts.PROFILE_VARIABLE"} | {
    variable: f"facts.ENV_NAMES[{field!r}]"
    for field, variables in facts.ENV_NAMES.items()
    for variable in variables
}
"""Each variable engql reads, and where facts holds it."""

COINCIDENCES = frozenset(
    {
        # A column name that ID files may have, not the request body's field.
        ("engql/tweet_ids.py", "tweet_ids"),
        # The checked query's JSON (`engql debug query`) names its fields like the body's,
        # but it is engql's own format, never sent.
        ("engql/check/__init__.py", "tweet_ids"),
        ("engql/check/__init__.py", "groupings"),
        ("engql/check/__init__.py", "group_by"),
    }
)
"""(file, literal) pairs that spell a wire value by coincidence, for another purpose."""

RUN_PATH_REWRITE = frozenset(
    {
        # engql/executor/runner.py: the protected text, the answer's errors, the body's
        # fields, and the time format for a message.
        ("engql/executor/runner.py", "Tweet ID(s) are unavailable"),
        ("engql/executor/runner.py", "errors"),
        ("engql/executor/runner.py", "%Y-%m-%dT%H:%M:%SZ"),
        ("engql/executor/runner.py", "tweet_ids"),
        ("engql/executor/runner.py", "groupings"),
        ("engql/executor/runner.py", "group_by"),
        # engql/executor/result.py: the answer's Tweet ID lists, as reasons' keys.
        ("engql/executor/result.py", "unavailable_tweet_ids"),
        ("engql/executor/result.py", "unsupported_for_impressions_engagements_tweet_ids"),
        ("engql/executor/result.py", "unsupported_for_video_views_tweet_ids"),
    }
)
"""Literals in the files the run-path rewrite of issue 10 (§1) owns, which another
change reads from facts. To be emptied when that rewrite lands: an entry that no longer
occurs fails the test, so the list cannot outlive it."""


def sources() -> Iterator[tuple[str, Path]]:
    for path in sorted((ROOT / "engql").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative not in SKIPPED:
            yield relative, path


def string_constants(path: Path) -> Iterator[tuple[int, str]]:
    """(line, value) of every str constant that is not a docstring; an f-string gives
    its literal parts."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            yield node.lineno, node.value


def fact_spelled(value: str) -> str | None:
    """The facts name whose value ``value`` spells, or None."""
    for name in EXACT:
        if value == getattr(facts, name):
            return f"facts.{name}"
    for name in CASELESS:
        if value.lower() == getattr(facts, name).lower():
            return f"facts.{name}"
    for name in CONTAINED:
        if getattr(facts, name).strip().lower() in value.lower():
            return f"facts.{name}"
    variable = value.partition("=")[0]
    if variable in VARIABLES and (value == variable or value.startswith(variable + "=")):
        return VARIABLES[variable]
    return None


def wire_literals() -> list[tuple[str, int, str, str]]:
    """(file, line, literal, facts name) of every wire literal outside facts.py."""
    found = []
    for relative, path in sources():
        for line, value in string_constants(path):
            name = fact_spelled(value)
            if name is not None:
                found.append((relative, line, value, name))
    return found


def test_no_wire_literal_outside_facts() -> None:
    allowed = COINCIDENCES | RUN_PATH_REWRITE
    problems = [
        f"{file}:{line}: {value!r} is a fact of the wire; use {name}"
        for file, line, value, name in wire_literals()
        if (file, value) not in allowed
    ]
    assert not problems, "\n".join(problems)


def test_every_allowed_literal_still_occurs() -> None:
    found = {(file, value) for file, _, value, _ in wire_literals()}
    stale = sorted((COINCIDENCES | RUN_PATH_REWRITE) - found)
    assert not stale, f"allowed literals that no longer occur; remove them: {stale}"


def test_the_scan_finds_each_kind_of_literal(tmp_path: Path) -> None:
    """The checks themselves: one literal of each kind is found, prose is not."""
    assert fact_spelled("unavailable_tweet_ids") == "facts.UNAVAILABLE_IDS"
    assert fact_spelled("X-Per-Minute-Reset") == "facts.RATE_RESET_HEADER"
    assert fact_spelled("forbidden to access tweets") == "facts.UNOWNED_ERROR"
    assert fact_spelled(" Tweet ID(s) are unavailable") == "facts.PROTECTED_ERROR"
    assert fact_spelled("ENGQL_BASE_URL=") == "facts.ENV_NAMES['base_url']"
    assert fact_spelled("TWITTER_BEARER_TOKEN") == "facts.ENV_NAMES['bearer_token']"
    assert fact_spelled("tweet_ids is required") is None
    assert fact_spelled("set ENGQL_PROFILE to choose") is None
    module = tmp_path / "module.py"
    module.write_text('"""groupings"""\nX = f"{1}group_by"\nY = "group_by"\n', encoding="utf-8")
    assert sorted(string_constants(module)) == [(2, "group_by"), (3, "group_by")]


SANDBOX_MAY_IMPORT = frozenset({"engql", "engql.facts", "engql.record"})
"""The sandbox is the planner's test oracle: it reads the wire's names from facts but
none of engql's logic (no engql.times, engql.plan or engql.check), so that a test that
holds the planner to it checks two independent roundings and windows."""


def test_the_sandbox_shares_the_wires_names_and_no_logic() -> None:
    borrowed = []
    for path in sorted((ROOT / "engql" / "sandbox").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            borrowed += [
                f"{path.name}:{node.lineno}: {module}"
                for module in modules
                if module.split(".")[0] == "engql"
                and module not in SANDBOX_MAY_IMPORT
                and not module.startswith("engql.sandbox")
            ]
    assert not borrowed, borrowed
