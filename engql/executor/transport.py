"""One HTTP attempt: sign it afresh, send it, read and decode the answer.

Signing happens per attempt, never per request, so a retried request carries a new
OAuth nonce and timestamp and a replay-checking server accepts it.
"""

from __future__ import annotations

import gzip
import ipaddress
import json
import zlib
from typing import Any
from urllib.parse import urlsplit

import attrs
import urllib3
from oauthlib.oauth1 import Client as OAuthClient  # type: ignore[import-untyped]

from engql.config import Settings
from engql.record import Record

TIMEOUT = urllib3.Timeout(connect=10, read=120)


@attrs.frozen(repr=False)
class Reply(Record):
    """What an attempt got: a status and a decoded JSON body, or the reason it broke."""

    status: int
    body: Any
    headers: dict[str, str]
    raw: bytes = attrs.field(repr=False)
    broken: str | None = None
    """Why there is no usable answer (dropped connection, truncated gzip, not JSON)."""


class InsecureURL(ValueError):
    """Plain http:// to a host that is not this machine, without --insecure."""


def check_url(url: str, insecure: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme == "https" or insecure:
        return
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parts.scheme != "http" or not loopback:
        raise InsecureURL(
            f"{parts.scheme}://{host} is not HTTPS; plain HTTP goes only to this machine "
            "unless --insecure is given"
        )


def new_pool(concurrency: int) -> urllib3.PoolManager:
    """One pool for the run: TLS verified, no retries of its own (the executor retries)."""
    return urllib3.PoolManager(
        num_pools=4, maxsize=max(concurrency, 1), retries=False, timeout=TIMEOUT
    )


def authorization(url: str, auth: str, settings: Settings) -> str:
    """The Authorization header for one attempt: bearer when allowed and set, else OAuth."""
    if auth == "app" and settings.bearer_token:
        return f"Bearer {settings.bearer_token}"
    client = OAuthClient(
        settings.consumer_key or "",
        client_secret=settings.consumer_secret,
        resource_owner_key=settings.access_token,
        resource_owner_secret=settings.access_token_secret,
    )
    _, headers, _ = client.sign(url, http_method="POST")
    return str(headers["Authorization"])


def send(pool: urllib3.PoolManager, url: str, body: bytes, authorization_header: str) -> Reply:
    headers = {
        "Content-Type": "application/json",
        "Accept-Encoding": "gzip",
        "Authorization": authorization_header,
    }
    try:
        response = pool.request(
            "POST", url, body=body, headers=headers, decode_content=False, preload_content=True
        )
    except urllib3.exceptions.HTTPError as error:
        return Reply(0, None, {}, b"", f"connection failed: {type(error).__name__}")
    raw = response.data
    found = {name.lower(): value for name, value in response.headers.items()}
    try:
        if found.get("content-encoding") == "gzip":
            raw = gzip.decompress(raw)
        return Reply(response.status, json.loads(raw), found, raw)
    except (EOFError, OSError, zlib.error):
        return Reply(response.status, None, found, raw, "truncated or corrupt gzip body")
    except ValueError:
        return Reply(response.status, None, found, raw, "body is not JSON")
