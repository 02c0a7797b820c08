"""docs/errors.md has a section for every code, and each section's example gives its code.

A section starts with ``## CODE title`` (the title as in engql.codes), states its
severity, and shows an example: the first ```engql block after the heading, checked
with the clock at 2016-03-01T00:00Z, as the document says. The ```text block after
"engql prints" is what ``render()`` gives for that code's diagnostics of the example.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import engql
from engql.codes import CODES

DOC = Path(__file__).parent.parent / "docs" / "errors.md"
NOW = datetime(2016, 3, 1, tzinfo=UTC)
HEADING = re.compile(r"^## (\S+) (.+)$", re.M)
EXAMPLE = re.compile(r"^```engql\n(.*?)^```$", re.M | re.S)
PRINTED = re.compile(r"^engql prints:\n\n```text\n(.*?)^```$", re.M | re.S)
IDS_FILE = re.compile(r"^With `([\w.]+)` beside the query:\n\n```\w*\n(.*?)^```$", re.M | re.S)
"""An IDs file a section shows, written into ``base_dir`` before its example is checked."""

WITHOUT_EXAMPLE = {
    "E005": "64 MiB of query text",
    "E006": "10,001 statements",
    "E007": "1,001 problems",
    "W001": "1,001 warnings",
    "W002": "a file the engql command reads",
    "E309": "ten million Tweet IDs",
    "W601": "the API's answer to a run",
}
"""Codes whose section describes the input instead of showing it."""
EXAMPLE_OPTIONS: dict[str, dict[str, Any]] = {
    "E308": {"allow_files": True},
    "E310": {"params": {"ids": 1.5}},
    "E311": {"allow_files": "base_dir"},
    "E312": {"allow_files": True},
    "E313": {"allow_files": True},
    "W302": {"allow_files": True},
}
"""Check options of examples whose section states them in words (files allowed or
confined, a Python value bound to a parameter)."""


def write_ids_files(body: str, folder: Path) -> None:
    for name, text in IDS_FILE.findall(body):
        (folder / name).write_text(text, encoding="utf-8")


def sections() -> dict[str, tuple[str, str]]:
    """Each code's heading title and section text (up to the next heading)."""
    text = DOC.read_text(encoding="utf-8")
    headings = list(HEADING.finditer(text))
    found: dict[str, tuple[str, str]] = {}
    for n, heading in enumerate(headings):
        end = headings[n + 1].start() if n + 1 < len(headings) else len(text)
        code = heading.group(1)
        assert code not in found, f"two sections for {code}"
        found[code] = (heading.group(2), text[heading.end() : end])
    return found


SECTIONS = sections()


def test_every_code_has_a_section() -> None:
    missing = sorted(set(CODES) - set(SECTIONS))
    assert missing == [], f"docs/errors.md has no section for {missing}"


def test_the_doc_names_no_code_that_does_not_exist() -> None:
    unknown = sorted(set(SECTIONS) - set(CODES))
    assert unknown == [], f"docs/errors.md has sections for unknown codes {unknown}"
    text = DOC.read_text(encoding="utf-8")
    named = set(re.findall(r"\b[EW]\d{3}\b", text))
    assert sorted(named - set(CODES)) == []


def test_sections_are_in_registry_order() -> None:
    assert list(SECTIONS) == list(CODES)


@pytest.mark.parametrize("code", list(CODES))
def test_heading_and_severity_match_the_registry(code: str) -> None:
    title, body = SECTIONS[code]
    assert title == CODES[code].title
    assert f"**Severity:** {CODES[code].severity.value}" in body


@pytest.mark.parametrize("code", [c for c in CODES if c not in WITHOUT_EXAMPLE])
def test_example_gives_its_code(code: str, tmp_path: Path) -> None:
    _, body = SECTIONS[code]
    example = EXAMPLE.search(body)
    assert example is not None, f"the {code} section has no ```engql example"
    options = dict(EXAMPLE_OPTIONS.get(code, {}))
    if options.get("allow_files"):
        options["base_dir"] = tmp_path
        write_ids_files(body, tmp_path)
    found = [d.code for d in engql.check(example.group(1), now=NOW, **options)]
    assert code in found, f"the {code} example gives {found}"


@pytest.mark.parametrize("code", sorted(WITHOUT_EXAMPLE))
def test_sections_without_example_have_no_engql_block(code: str) -> None:
    _, body = SECTIONS[code]
    assert EXAMPLE.search(body) is None


@pytest.mark.parametrize("code", [c for c in CODES if c not in WITHOUT_EXAMPLE])
def test_the_printed_text_is_what_engql_prints(code: str, tmp_path: Path) -> None:
    """Paths of IDs files are shown as the query names them, without the folder."""
    _, body = SECTIONS[code]
    example = EXAMPLE.search(body)
    printed = PRINTED.search(body)
    assert example is not None and printed is not None, f"the {code} section shows no output"
    options = dict(EXAMPLE_OPTIONS.get(code, {}))
    if options.get("allow_files"):
        options["base_dir"] = tmp_path
        write_ids_files(body, tmp_path)
    diagnostics = engql.check(example.group(1), now=NOW, **options)
    rendered = "".join(d.render() + "\n" for d in diagnostics if d.code == code)
    assert rendered.replace(f"{tmp_path}{os.sep}", "") == printed.group(1)
