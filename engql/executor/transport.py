"""One HTTP attempt: sign it afresh, send it, read and decode the answer.

Signing happens per attempt, never per request, so a retried request carries a new
OAuth nonce and timestamp and a replay-checking server accepts it.
"""

from __future__ import annotations

import contextlib
import errno
import http.client
import ipaddress
import json
import math
import socket
import threading
import time
import zlib
from typing import Any
from urllib.parse import urlsplit

import attrs
import urllib3
from oauthlib.oauth1 import Client as OAuthClient  # type: ignore[import-untyped]

from engql import facts
from engql.credentials import Credentials, Scheme
from engql.record import Record

TIMEOUT = urllib3.Timeout(connect=10, read=120)
ATTEMPT_DEADLINE = 300.0
"""Seconds from sending a request to the last byte of its answer. The read timeout
bounds one read only, so a server that drips its headers or body a byte a second would
never trip it; at 300 s even the largest answer (below) arrives over a link of 1 MB/s."""
MAX_ANSWER_BYTES = 256 * 1024 * 1024
"""The most an answer may hold, read and once decompressed, in bytes: a gzip bomb stops
here. The largest real answer, 250 Tweets × 3 groupings × 17 metrics × 28 days × 24
hours of 10-digit counts, is 169 MiB of JSON (tests/test_hostile_server.py computes it)."""
CHUNK_BYTES = 64 * 1024


@attrs.frozen(repr=False)
class Reply(Record):
    """What an attempt got: a status and a decoded JSON body, or the reason it broke."""

    status: int
    body: Any
    headers: dict[str, str]
    raw: bytes | bytearray = attrs.field(repr=False)
    broken: str | None = None
    """Why there is no usable answer (dropped connection, truncated gzip, not JSON)."""
    connected: bool = True
    """False when no connection was made (refused, name not found, timed out connecting,
    TLS refused): nothing reached the server."""


class InsecureURL(ValueError):
    """Plain http:// to a host that is not this machine, without --insecure."""


def is_loopback(url: str) -> bool:
    """Whether ``url`` names this machine (``localhost``, 127.0.0.0/8, ``::1``)."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, insecure: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme == "https" or insecure:
        return
    host = parts.hostname or ""
    if parts.scheme != "http" or not is_loopback(url):
        raise InsecureURL(
            f"{parts.scheme}://{host} is not HTTPS; plain HTTP goes only to this machine "
            "unless --insecure is given"
        )


def new_pool(concurrency: int) -> urllib3.PoolManager:
    """One pool for the run: TLS verified, no retries of its own (the executor retries),
    and connections that an attempt's deadline can stop (``_Deadline``)."""
    pool = urllib3.PoolManager(
        num_pools=4, maxsize=max(concurrency, 1), retries=False, timeout=TIMEOUT
    )
    pool.pool_classes_by_scheme = {"http": _Pool, "https": _TLSPool}
    return pool


class _Deadline:
    """The end of one attempt: when it passes, the socket the attempt uses is shut, so a
    read blocked in the status line, the headers or the body returns at once."""

    def __init__(self, seconds: float) -> None:
        self.passed = False
        self._connection: urllib3.connection.HTTPConnection | None = None
        self._lock = threading.Lock()
        _WATCHDOG.add(self, time.monotonic() + seconds)

    def watch(self, connection: urllib3.connection.HTTPConnection) -> None:
        with self._lock:
            self._connection = connection
            if self.passed:
                _shut(connection)

    def done(self) -> None:
        """The attempt is over: its connection may serve the next one, untouched."""
        _WATCHDOG.remove(self)
        with self._lock:
            self._connection = None

    def expire(self) -> None:
        with self._lock:
            self.passed = True
            if self._connection is not None:
                _shut(self._connection)


class _Watchdog:
    """One thread that ends the attempts whose deadline has passed, for every attempt of
    the process (a timer thread for each attempt cost more CPU than reading its answer).
    It sleeps until the earliest deadline of the attempts in flight, or until an attempt
    that ends sooner is added."""

    def __init__(self) -> None:
        self._due: dict[_Deadline, float] = {}
        self._changed = threading.Condition(threading.Lock())
        self._wakes_at = math.inf
        self._thread: threading.Thread | None = None

    def add(self, deadline: _Deadline, due: float) -> None:
        with self._changed:
            self._due[deadline] = due
            if self._thread is None or not self._thread.is_alive():  # none yet, or forked
                self._thread = threading.Thread(
                    target=self._run, name="engql attempt deadlines", daemon=True
                )
                self._thread.start()
            elif due < self._wakes_at:
                self._changed.notify()

    def remove(self, deadline: _Deadline) -> None:
        with self._changed:
            self._due.pop(deadline, None)

    def _run(self) -> None:
        while True:
            with self._changed:
                now = time.monotonic()
                passed = [deadline for deadline, due in self._due.items() if due <= now]
                for deadline in passed:
                    del self._due[deadline]
                if not passed:
                    self._wakes_at = min(self._due.values(), default=math.inf)
                    wait = self._wakes_at - now if self._wakes_at < math.inf else None
                    self._changed.wait(wait)
            for deadline in passed:  # outside the lock: each takes its own
                deadline.expire()


_WATCHDOG = _Watchdog()


def _shut(connection: urllib3.connection.HTTPConnection) -> None:
    if connection.sock is not None:
        with contextlib.suppress(OSError):  # already closed by the other side
            connection.sock.shutdown(socket.SHUT_RDWR)


_attempt = threading.local()
"""The deadline of the attempt this thread is sending, for the connection to report to."""


def _watched(connection: urllib3.connection.HTTPConnection) -> None:
    """Hand the connection to this thread's attempt, whose deadline may shut it."""
    deadline: _Deadline | None = getattr(_attempt, "deadline", None)
    if deadline is not None:
        deadline.watch(connection)


class _Connection(urllib3.connection.HTTPConnection):
    def getresponse(self) -> urllib3.response.HTTPResponse:  # type: ignore[override]  # as urllib3's
        _watched(self)
        return super().getresponse()


class _TLSConnection(urllib3.connection.HTTPSConnection):
    def getresponse(self) -> urllib3.response.HTTPResponse:  # type: ignore[override]  # as urllib3's
        _watched(self)
        return super().getresponse()


class _Pool(urllib3.HTTPConnectionPool):
    ConnectionCls = _Connection


class _TLSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _TLSConnection


def authorization(url: str, auth: str, credentials: Credentials) -> str:
    """The Authorization header for one attempt, of the kind ``Credentials.scheme_for``
    says: the bearer token, or a fresh OAuth 1.0a signature."""
    if credentials.scheme_for(auth) is Scheme.BEARER:
        return f"{Scheme.BEARER.value} {credentials.bearer_token}"
    client = OAuthClient(
        credentials.consumer_key or "",
        client_secret=credentials.consumer_secret,
        resource_owner_key=credentials.access_token,
        resource_owner_secret=credentials.access_token_secret,
    )
    _, headers, _ = client.sign(url, http_method="POST")
    return str(headers["Authorization"])


def send(
    pool: urllib3.PoolManager,
    url: str,
    body: bytes,
    authorization_header: str,
    deadline: float = ATTEMPT_DEADLINE,
    max_bytes: int = MAX_ANSWER_BYTES,
) -> Reply:
    """One attempt: its answer within ``deadline`` seconds and ``max_bytes`` bytes, or
    the reason it broke."""
    headers = {**facts.REQUEST_HEADERS, "Authorization": authorization_header}
    watch = _attempt.deadline = _Deadline(deadline)
    try:
        reply = _exchange(pool, url, body, headers, max_bytes)
    finally:
        watch.done()
        _attempt.deadline = None
    if watch.passed:  # a socket shut in the headers can even look like an empty answer
        late = f"no whole answer within {deadline:g} s"
        return Reply(reply.status, None, reply.headers, b"", late)
    return reply


def _exchange(
    pool: urllib3.PoolManager, url: str, body: bytes, headers: dict[str, str], max_bytes: int
) -> Reply:
    try:
        response = pool.request(
            "POST", url, body=body, headers=headers, decode_content=False, preload_content=False
        )
    except urllib3.exceptions.HTTPError as error:
        unconnected = (urllib3.exceptions.ConnectTimeoutError, urllib3.exceptions.SSLError)
        return Reply(0, None, {}, b"", failure(error), not isinstance(error, unconnected))
    found = {name.lower(): value for name, value in response.headers.items()}
    status = response.status
    try:
        raw = _read(response, found.get("content-encoding") == "gzip", max_bytes)
    except urllib3.exceptions.HTTPError as error:
        return Reply(status, None, found, b"", failure(error, answering=True))
    except _TooBig:
        why = f"answer over {_size(max_bytes)} once decompressed"
        return Reply(status, None, found, b"", why)
    except (EOFError, zlib.error):
        return Reply(status, None, found, b"", "truncated or corrupt gzip body")
    finally:
        response.release_conn()
    try:
        return Reply(status, json.loads(raw), found, raw)
    except ValueError:
        return Reply(status, None, found, raw, "body is not JSON")


_CONNECT_ERRORS = {
    errno.ECONNREFUSED: "connection refused",
    errno.ENETUNREACH: "network unreachable",
    errno.EHOSTUNREACH: "no route to host",
    errno.ETIMEDOUT: "timed out connecting",
}


def failure(error: urllib3.exceptions.HTTPError, answering: bool = False) -> str:
    """Why an attempt broke, in the words people read: what the network or the server
    did, never the name of the exception that said so. ``answering``: the status line
    had come, so the connection broke in the answer's body."""
    cause = error.__cause__ or error.__context__
    if len(error.args) > 1 and isinstance(error.args[1], BaseException):
        cause = error.args[1]  # urllib3's ProtocolError("Connection aborted.", cause)
    if isinstance(error, urllib3.exceptions.NameResolutionError):
        return "name not found"
    if isinstance(error, urllib3.exceptions.NewConnectionError):
        if not isinstance(cause, OSError) or not cause.strerror:
            return "cannot connect"
        said = _CONNECT_ERRORS.get(cause.errno or 0, cause.strerror)
        return said[:1].lower() + said[1:]
    if isinstance(error, urllib3.exceptions.ConnectTimeoutError):
        return "timed out connecting"
    if isinstance(error, urllib3.exceptions.ReadTimeoutError):
        return "timed out waiting for the answer"
    if isinstance(error, urllib3.exceptions.SSLError):
        return "TLS handshake failed" + _tls_reason(cause)
    if isinstance(cause, http.client.RemoteDisconnected):  # a ConnectionResetError too
        return "the server closed the connection without answering"
    if isinstance(cause, ConnectionResetError):
        return "connection reset by the server"
    if answering or isinstance(cause, http.client.IncompleteRead):
        return "the server closed the connection mid-answer"
    if isinstance(cause, BrokenPipeError):
        return "the server closed the connection while the request was sent"
    return "the connection broke"


def _tls_reason(cause: BaseException | None) -> str:
    """``: self-signed certificate``; OpenSSL's own code (``WRONG_VERSION_NUMBER``) in
    words; nothing when none is known."""
    verified = getattr(cause, "verify_message", None)
    if verified:
        return f": {verified}"
    code = getattr(cause, "reason", None)
    if code == "WRONG_VERSION_NUMBER":
        return ": the server does not speak TLS (is the URL http://?)"
    return f": {code.lower().replace('_', ' ')}" if isinstance(code, str) else ""


INFLATE_STEP = 1 << 20
"""Bytes one decompression step makes at most."""


class _TooBig(Exception):
    """The answer holds more than the cap."""


def _read(response: urllib3.BaseHTTPResponse, gzipped: bool, max_bytes: int) -> bytearray:
    """The body, gunzipped when ``gzipped``, read a chunk at a time so that the cap is
    overrun by one chunk at most. On a broken answer the connection is closed, not kept
    for the next request."""
    inflate = zlib.decompressobj(31) if gzipped else None
    out = bytearray()
    try:
        while chunk := response.read1(CHUNK_BYTES, decode_content=False):
            if inflate is None:
                out += chunk
            else:
                inflate = _inflate(inflate, chunk, out, max_bytes)
            if len(out) > max_bytes:
                raise _TooBig
        if inflate is not None and not inflate.eof:
            raise EOFError("the gzip stream ends early")
    except BaseException:
        response.close()
        raise
    return out


def _inflate(
    inflate: zlib._Decompress, data: bytes, out: bytearray, max_bytes: int
) -> zlib._Decompress:
    """Gunzip ``data`` onto ``out``, never more than one byte past ``max_bytes``; a
    stream of several gzip members (as ``gzip.decompress`` reads) goes on in a new one.
    Each step makes at most INFLATE_STEP bytes: one call could make the whole cap at
    once, held beside ``out`` until appended (a gzip bomb's peak then depended on how
    much of it one read brought)."""
    while data:
        out += inflate.decompress(data, min(INFLATE_STEP, max_bytes + 1 - len(out)))
        if len(out) > max_bytes:
            raise _TooBig
        if inflate.eof:
            data = inflate.unused_data
            if data:
                inflate = zlib.decompressobj(31)
        else:
            data = inflate.unconsumed_tail
    return inflate


def _size(count: int) -> str:
    """256 MiB, 1 KiB, 100 bytes."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if count >= 1 << shift and count % (1 << shift) == 0:
            return f"{count >> shift} {unit}"
    return f"{count:,} bytes"
