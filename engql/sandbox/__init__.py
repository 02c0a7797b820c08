"""A local emulator of the Engagement API, faithful enough that a client that works here
works against the real service: HTTP on loopback, gzip, OAuth 1.0a signatures, the
request rules of Part A, rate limits, and deterministic synthetic engagement.

Modules: ``rules`` (request bodies to a parsed request or the API's error strings),
``data`` (synthetic counts), ``responses`` (answer bodies), ``auth`` (credentials and
signatures), ``server`` (HTTP, rate limits, faults, the request log, ``Sandbox``).
"""

from engql.sandbox.auth import Credentials
from engql.sandbox.faults import Fault, FaultPlan
from engql.sandbox.server import LoggedRequest, Sandbox

__all__ = ["Credentials", "Fault", "FaultPlan", "LoggedRequest", "Sandbox"]
