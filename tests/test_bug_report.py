"""Where an internal error sends its user: the issue tracker the package's metadata names.

pyproject.toml's ``[project.urls]`` is the one place the address is written; the
installed metadata carries it as ``Project-URL: Issues, URL``.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from importlib.metadata import PathDistribution, metadata
from pathlib import Path

import pytest

from engql.exits import UNNAMED_TRACKER, bug_report, internal_error, tracker_url

ROOT = Path(__file__).resolve().parent.parent


def installed_tracker() -> str | None:
    return tracker_url(metadata("engql").get_all("Project-URL"))


def test_the_installed_metadata_carries_pyprojects_urls() -> None:
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = urls.get("urls", {})
    shown = metadata("engql").get_all("Project-URL") or []
    assert sorted(shown) == sorted(f"{label}, {url}" for label, url in declared.items())


def test_the_internal_error_names_the_installed_tracker_or_says_there_is_one() -> None:
    line = internal_error(RuntimeError("boom"))
    assert line.startswith("engql: internal error (RuntimeError: boom); this is a bug, ")
    where = installed_tracker() or UNNAMED_TRACKER
    assert line.endswith(f"please report it with the query that caused it to {where}")


@pytest.mark.parametrize(
    ("project_urls", "found"),
    [
        (["Issues, https://tracker.example/engql/issues"], "https://tracker.example/engql/issues"),
        (["Homepage, https://a.example", "Bug Tracker, https://b.example"], "https://b.example"),
        (["issue-tracker, https://c.example"], "https://c.example"),
        (["Homepage, https://a.example", "Documentation, https://d.example"], None),
        (["Issues,"], None),
        ([], None),
        (None, None),
    ],
)
def test_the_tracker_is_the_url_labelled_as_one(
    project_urls: list[str] | None, found: str | None
) -> None:
    """Labels are compared as PEP 753 normalizes them; its aliases of Issues count."""
    assert tracker_url(project_urls) == found


def test_a_package_whose_metadata_names_a_tracker_prints_it(tmp_path: Path) -> None:
    """Real metadata, read by importlib from a dist-info folder on a child's path."""
    info = tmp_path / "engql-9.9.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.4\nName: engql\nVersion: 9.9\n"
        "Project-URL: Homepage, https://home.example\n"
        "Project-URL: Issues, https://tracker.example/engql/issues\n",
        encoding="utf-8",
    )
    assert tracker_url(PathDistribution(info).metadata.get_all("Project-URL")) == (
        "https://tracker.example/engql/issues"
    )
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "from engql.exits import bug_report; print(bug_report())"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert shown.stdout == (
        "please report it with the query that caused it to https://tracker.example/engql/issues\n"
    )
    assert bug_report().endswith(installed_tracker() or UNNAMED_TRACKER)
