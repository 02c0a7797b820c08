"""Hypothesis settings for the suite: no timing-based failures on a loaded 2-core machine.

Deadlines and the "generation is slow" health check measure the machine, not engql, so
they are off. In CI (the CI variable is set) examples are derived from each test's name,
so a run is repeatable; locally they are random, to find new cases.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "engql",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=bool(os.environ.get("CI")),
)
settings.load_profile("engql")
