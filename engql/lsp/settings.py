"""What the client allows the server: nothing beyond the document unless it says so.

A document is untrusted text (it may come from anywhere), so the server reads no file
it names (``FILE '...'``) unless the client's settings say ``engql.allowFiles: true``,
and then only from inside the document's folder.
"""

from __future__ import annotations

import os
from typing import Any

import attrs

from engql.check import CheckOptions
from engql.pipeline import options
from engql.record import Record

SECTION = "engql"
"""The settings' section, in initializationOptions and workspace/configuration."""
ALLOW_FILES = "allowFiles"
"""The setting that lets the server read the IDs files a document names (editors/ too)."""


@attrs.frozen(repr=False)
class Settings(Record):
    allow_files: bool = False

    def check_options(self, path: str | None) -> CheckOptions:
        """Options to check the document at ``path`` (None: not a file) with."""
        if self.allow_files and path is not None:
            return options(None, None, "base_dir", os.path.dirname(path))
        return options(None, None, False, None)


def read_settings(value: Any, current: Settings) -> Settings:
    """Settings from ``{"engql": {...}}`` or the section itself; what is absent stays."""
    if not isinstance(value, dict):
        return current
    section = value.get(SECTION, value)
    if not isinstance(section, dict):
        return current
    allow = section.get(ALLOW_FILES, current.allow_files)
    return Settings(allow_files=allow is True)
