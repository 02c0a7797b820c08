"""pytest fixtures for testing against the sandbox (registered as a pytest plugin).

``engql_sandbox`` is a running emulator with default settings; ``engql_sandbox_factory``
makes emulators with any ``Sandbox`` options and stops them all after the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from engql.sandbox.server import Sandbox


@pytest.fixture
def engql_sandbox_factory() -> Iterator[Callable[..., Sandbox]]:
    """Make running sandboxes with any Sandbox(...) options; all stop after the test."""
    started: list[Sandbox] = []

    def make(**options: Any) -> Sandbox:
        sandbox = Sandbox(**options).start()
        started.append(sandbox)
        return sandbox

    yield make
    for sandbox in started:
        sandbox.stop()


@pytest.fixture
def engql_sandbox(engql_sandbox_factory: Callable[..., Sandbox]) -> Sandbox:
    """A running sandbox with default settings: ``api.base_url``, ``api.credentials``."""
    return engql_sandbox_factory()
