"""Hypothesis settings for the suite: no timing-based failures on a loaded 2-core machine.

Deadlines and the "generation is slow" health check measure the machine, not engql, so
they are off. In CI (the CI variable is set) examples are derived from each test's name,
so a run is repeatable; locally they are random, to find new cases.
"""

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "engql",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=bool(os.environ.get("CI")),
)
settings.load_profile("engql")


@pytest.fixture
def no_machine_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No real profile and no credential of the machine running the tests: ENGQL_* and
    TWITTER_* unset, HOME and XDG_CONFIG_HOME inside tmp_path, which is the working
    directory."""
    for name in list(os.environ):
        if name.startswith(("ENGQL_", "TWITTER_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
