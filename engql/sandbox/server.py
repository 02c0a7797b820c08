"""The emulator's HTTP side: loopback sockets, gzip, auth, rate limits, faults, the log.

Each request goes through the checks in the order the real service applies them (as far
as the public record shows): path, ``Accept-Encoding``, credentials, rate limit, body,
request rules, permissions, ownership; then the answer. ``Sandbox`` runs the server on a
thread and is a context manager; ``engql sandbox`` runs it in the foreground.
"""

from __future__ import annotations

import errno
import gzip
import ipaddress
import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import IO, Any

import attrs

from engql import facts
from engql.record import Record
from engql.sandbox.auth import Authenticator, AuthFailure, Credentials, Identity
from engql.sandbox.data import SyntheticEngagement
from engql.sandbox.faults import (
    ANSWER_FAULTS,
    BODIES,
    RETRY_AFTER,
    SLOW_BODY_SECONDS_PER_BYTE,
    STATUS_BODIES,
    Fault,
    FaultPlan,
    gzip_bomb,
    limit_headers,
    spoiled,
)
from engql.sandbox.ratelimit import Allowance, MinuteLimiter
from engql.sandbox.responses import UNAVAILABLE_FORMS, WITH_ERRORS, answer, unowned_refusal
from engql.sandbox.rules import ParsedRequest, parse_request

BODY_PROBLEM = "the request body needs a Content-Length (no chunked encoding) of at most 1 MiB"
GZIP_REQUIRED = (
    "This request requires gzip compression. Retry the request after setting "
    "'Accept-Encoding' header in the request to 'gzip'."
)
"""The 406 text of Part B §4.1, word for word."""
MAX_BODY_BYTES = 1024 * 1024
GZIP_LEVEL = 1
"""Fast compression: level 9, gzip's default, cost more CPU per answer than building it."""
POLL_SECONDS = 0.05
"""How often the serving loop looks for a stop: stopping a sandbox takes about this long."""
CONNECTION_TIMEOUT_SECONDS = 30.0
"""How long a connection may send nothing (or take nothing of its answer) before the
sandbox closes it; a keep-alive client opens a new one when it needs it."""
MAX_CONNECTIONS = 128
"""Connections served at once, each on its own thread; past it a new connection is closed
at once. Well above any client's concurrency, far below what exhausts a machine."""


class CannotServe(OSError):
    """The sandbox's address cannot be served on; the message says why, naming it."""


_BIND_ERRORS = {
    errno.EADDRINUSE: "the port is already in use (--port 0 picks a free one)",
    errno.EADDRNOTAVAIL: "the address is not one of this machine's",
    errno.EAFNOSUPPORT: "this machine has no IPv6",
}


def _cannot_serve(host: str, port: int, error: OSError) -> CannotServe:
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if error.errno in (errno.EACCES, errno.EPERM) and 0 < port < 1024:
        why = "ports below 1024 need root; choose another with --port, or --port 0"
    else:
        why = _BIND_ERRORS.get(error.errno or 0, error.strerror or str(error))
    return CannotServe(f"cannot serve on {where}: {why}")


@attrs.frozen(repr=False)
class LoggedRequest(Record):
    """What one request carried and how it was answered (never a secret)."""

    number: int
    path: str
    auth: str | None
    """"app" (bearer), "user" (OAuth 1.0a) or None when not authenticated."""
    credential: str | None
    """A stable, non-secret name of the credential, as rate limits count it."""
    body: Any
    status: int
    errors: tuple[str, ...]
    fault: Fault | None


class RequestLog:
    """Every request the sandbox answered, in order; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LoggedRequest] = []

    def add(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _id_set(ids: Iterable[str | int]) -> frozenset[str]:
    return frozenset(str(i) for i in ids)


@attrs.define(repr=False)
class _State(Record):
    """What every handler thread shares."""

    credentials: Credentials
    authenticator: Authenticator
    limiter: MinuteLimiter
    data: SyntheticEngagement
    faults: FaultPlan
    latency: float
    unowned: Mapping[int | None, frozenset[str]]
    unavailable: frozenset[str]
    unavailable_form: str
    protected: frozenset[str]
    now: Callable[[], datetime]
    log: RequestLog
    echo: IO[str] | None
    counter: int = 0
    lock: threading.Lock = attrs.field(factory=threading.Lock)

    def next_number(self) -> int:
        with self.lock:
            self.counter += 1
            return self.counter


class Sandbox:
    """The emulator on a loopback port (0 picks a free one).

    ``with Sandbox() as api:`` serves on a thread until the block ends; ``api.base_url``
    and ``api.credentials`` are what a client needs, ``api.log`` what it sent; pass
    several ``credentials`` for several users (the first is ``api.credentials``). ``now``
    fixes the API's clock (what "the last 28 hours" means); auth and rate limits use
    ``wall_clock``, since clients sign with the real time. ``unowned`` is a set of IDs
    no user owns, or a mapping from user ID to the IDs that user does not own;
    ``unavailable_form`` is whether ``unavailable`` Tweets come with their ``errors``
    string ("with-errors") or without ("ids-only"), the two forms the docs show.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 0,
        credentials: Credentials | Sequence[Credentials] | None = None,
        rate_limit: int = facts.ASSUMED_RATE_LIMIT,
        latency_ms: float = 0,
        connection_timeout: float = CONNECTION_TIMEOUT_SECONDS,
        max_connections: int = MAX_CONNECTIONS,
        faults: FaultPlan | None = None,
        unowned: Iterable[str | int] | Mapping[int, Iterable[str | int]] = (),
        unavailable: Iterable[str | int] = (),
        unavailable_form: str = WITH_ERRORS,
        protected: Iterable[str | int] = (),
        now: datetime | Callable[[], datetime] | None = None,
        wall_clock: Callable[[], float] = time.time,
        echo: IO[str] | None = None,
    ) -> None:
        if not _is_loopback(host):
            raise ValueError(f"the sandbox serves on loopback only, not on {host!r}")
        if not 0 <= port <= 65535:
            raise ValueError(f"a port is 0 to 65535, not {port} (0 picks a free one)")
        if latency_ms < 0:
            raise ValueError("the latency cannot be negative")
        if not connection_timeout > 0:
            raise ValueError("the connection timeout must be more than 0 seconds")
        if max_connections < 1:
            raise ValueError("the sandbox must serve at least 1 connection at once")
        if unavailable_form not in UNAVAILABLE_FORMS:
            raise ValueError(
                f"the unavailable form is {' or '.join(UNAVAILABLE_FORMS)}, "
                f"not {unavailable_form!r}"
            )
        if credentials is None:
            accepted = [Credentials.generate(seed)]
        elif isinstance(credentials, Credentials):
            accepted = [credentials]
        else:
            accepted = list(credentials)
        credentials = accepted[0]
        if isinstance(unowned, Mapping):
            by_user = {user: _id_set(ids) for user, ids in unowned.items()}
        else:
            by_user = {None: _id_set(unowned)}
        self.credentials = credentials
        self.log = RequestLog()
        self._state = _State(
            credentials=credentials,
            authenticator=Authenticator(accepted, clock=wall_clock),
            limiter=MinuteLimiter(rate_limit, wall_clock),
            data=SyntheticEngagement(seed),
            faults=faults or FaultPlan(),
            latency=latency_ms / 1000,
            unowned=by_user,
            unavailable=_id_set(unavailable),
            unavailable_form=unavailable_form,
            protected=_id_set(protected),
            now=_clock(now),
            log=self.log,
            echo=echo,
        )
        try:
            self._server = _Server(
                (host, port), _Handler, self._state, connection_timeout, max_connections
            )
        except OSError as error:
            raise _cannot_serve(host, port, error) from None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self._server.host_and_port()}"

    def env_lines(self) -> list[str]:
        """Shell lines that point engql (and anything reading ENGQL_*) at this sandbox:
        the first variable ``facts.ENV_NAMES`` gives each setting."""
        values = {"base_url": self.base_url, **attrs.asdict(self.credentials)}
        return [f"{facts.ENV_NAMES[name][0]}={value}" for name, value in values.items()]

    def start(self) -> Sandbox:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": POLL_SECONDS},
            name="engql-sandbox",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve on this thread until interrupted (``engql sandbox``)."""
        try:
            self._server.serve_forever(poll_interval=POLL_SECONDS)
        finally:
            self._server.server_close()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _clock(now: datetime | Callable[[], datetime] | None) -> Callable[[], datetime]:
    if now is None:
        return lambda: datetime.now(UTC)
    if isinstance(now, datetime):
        fixed = now if now.tzinfo else now.replace(tzinfo=UTC)
        return lambda: fixed
    return now


class _Server(ThreadingHTTPServer):
    """A thread per connection, at most ``max_connections`` of them, each closed after
    ``connection_timeout`` seconds without progress: idle or half-open clients cannot
    hold the sandbox's threads."""

    daemon_threads = True
    request_queue_size = MAX_CONNECTIONS
    """The listen backlog: a burst of connections waits to be accepted (and answered or
    closed) rather than for the client's connect to be retried."""

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[_Handler],
        state: _State,
        connection_timeout: float,
        max_connections: int,
    ) -> None:
        self.state = state
        self.connection_timeout = connection_timeout
        self._slots = threading.BoundedSemaphore(max_connections)
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        connection.settimeout(self.connection_timeout)
        return connection, address

    def verify_request(self, request: Any, client_address: Any) -> bool:
        """Past the bound a connection is closed at once, unanswered and without a
        thread: its client sees a dropped connection."""
        return self._slots.acquire(blocking=False)

    def process_request(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def host_and_port(self) -> str:
        """``127.0.0.1:8000`` or ``[::1]:8000``, as a URL names them."""
        host, port = str(self.server_address[0]), int(self.server_address[1])
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@attrs.frozen(repr=False)
class _Answer(Record):
    status: int
    body: Any
    headers: Mapping[str, str] = attrs.field(factory=dict)
    identity: Identity | None = None


class _Handler(BaseHTTPRequestHandler):
    """One request: checks in the service's order, then a gzipped JSON answer."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    """Headers and body go out in two writes: with Nagle's algorithm on, a client's
    delayed ACK would add about 40 ms to every answer, which no real service shows."""
    server: _Server

    def handle(self) -> None:
        """Serve the connection; a client that leaves in the middle of an answer (as one
        does that stops reading a gzip bomb or a slow body) is not an error to report."""
        try:
            super().handle()
        except ConnectionError:
            self.close_connection = True

    def do_POST(self) -> None:
        """Answer one request; it is logged before the answer leaves, so a client that
        reads the log after its answer always finds the request there."""
        state = self.server.state
        number = state.next_number()
        started = time.monotonic()
        if state.latency:
            time.sleep(state.latency)
        body_bytes = self._read_body()
        if body_bytes is None:
            self._send(_Answer(413, {facts.ERRORS_KEY: [BODY_PROBLEM]}), None)
            self.close_connection = True
            return
        fault = state.faults.fault_for(number)
        decoded = _decode(body_bytes)
        if fault is not None and fault in STATUS_BODIES:
            status, text = STATUS_BODIES[fault]
            retry = RETRY_AFTER.get(fault)
            headers = {facts.RETRY_AFTER_HEADER: retry} if retry is not None else {}
            reply = _Answer(status, {facts.ERRORS_KEY: [text]}, headers)
        elif fault is not None and fault not in ANSWER_FAULTS:
            reply = _Answer(0 if fault is Fault.DROP else 200, None)
        else:
            reply = self._answer(state, body_bytes, decoded)
            if fault is not None:
                reply = _spoiled(reply, fault, decoded)
        identity = reply.identity
        errors = reply.body.get(facts.ERRORS_KEY, ()) if isinstance(reply.body, dict) else ()
        state.log.add(
            LoggedRequest(
                number,
                self.path,
                identity.kind if identity else None,
                identity.credential if identity else None,
                decoded,
                reply.status,
                tuple(errors),
                fault,
            )
        )
        if state.echo is not None:
            took = (time.monotonic() - started) * 1000
            who = f"{identity.kind}:{identity.credential}" if identity else "-"
            shown = fault.value if fault else reply.status
            print(f"#{number} POST {self.path} {who} {shown} {took:.0f} ms", file=state.echo)
            state.echo.flush()
        self._send(reply, fault)

    def do_GET(self) -> None:
        refusal = "The Engagement API takes POST requests"
        self._send(_Answer(405, {facts.ERRORS_KEY: [refusal]}), None)

    def _read_body(self) -> bytes | None:
        """The body, or None when its length is unknown, unreadable or over the limit
        (the rest of an oversized body is read and thrown away, keeping the connection
        in step)."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return None
        if length < 0 or self.headers.get("Transfer-Encoding"):
            return None
        body = self.rfile.read(min(length, MAX_BODY_BYTES))
        left = length - len(body)
        while left > 0:
            chunk = self.rfile.read(min(left, 65536))
            if not chunk:
                break
            left -= len(chunk)
        return body if length <= MAX_BODY_BYTES else None

    def _answer(self, state: _State, raw: bytes, decoded: Any) -> _Answer:
        endpoint = self.path.removeprefix(facts.PATH_PREFIX)
        if not self.path.startswith(facts.PATH_PREFIX) or endpoint not in facts.ENDPOINTS:
            return _Answer(404, {facts.ERRORS_KEY: ["Sorry, that page does not exist"]})
        if "gzip" not in (self.headers.get("Accept-Encoding") or "").lower():
            return _Answer(406, {facts.ERRORS_KEY: [GZIP_REQUIRED]})
        host = self.headers.get("Host") or self.server.host_and_port()
        verdict = state.authenticator.authenticate(
            "POST", f"http://{host}{self.path}", dict(self.headers.items()), raw
        )
        if isinstance(verdict, AuthFailure):
            return _Answer(verdict.status, {facts.ERRORS_KEY: list(verdict.errors)})
        identity = verdict
        allowance = state.limiter.take(identity.credential)
        limits = allowance.headers()
        if not allowance.allowed:
            return _Answer(429, {facts.ERRORS_KEY: [facts.RATE_LIMITED_ERROR]}, limits, identity)
        return self._checked(state, endpoint, raw, decoded, identity, allowance)

    def _checked(
        self,
        state: _State,
        endpoint: str,
        raw: bytes,
        decoded: Any,
        identity: Identity,
        allowance: Allowance,
    ) -> _Answer:
        limits = allowance.headers()
        if not isinstance(decoded, dict):
            problem = "the request body must be a JSON object"
            return _Answer(400, {facts.ERRORS_KEY: [problem]}, limits, identity)
        now = state.now()
        parsed = parse_request(endpoint, decoded, now)
        if not isinstance(parsed, ParsedRequest):
            return _Answer(400, {facts.ERRORS_KEY: list(parsed)}, limits, identity)
        refused = state.authenticator.permission_errors(identity, endpoint, parsed.metrics)
        if refused is not None:
            errors = list(refused.errors)
            return _Answer(refused.status, {facts.ERRORS_KEY: errors}, limits, identity)
        ids = parsed.tweet_ids
        if identity.kind == facts.USER_AUTH:
            not_owned = state.unowned.get(identity.user_id, state.unowned.get(None, frozenset()))
            unowned = [i for i in ids if i in not_owned]
            if unowned:
                refusal = unowned_refusal(unowned)
                return _Answer(403, {facts.ERRORS_KEY: [refusal]}, limits, identity)
        if any(i in state.protected for i in ids):
            return _Answer(400, {facts.ERRORS_KEY: [facts.PROTECTED_ERROR]}, limits, identity)
        unavailable = frozenset(i for i in ids if i in state.unavailable)
        body = answer(parsed, state.data, now, unavailable, state.unavailable_form)
        return _Answer(200, body, limits, identity)

    def _send(self, reply: _Answer, fault: Fault | None) -> None:
        if fault is Fault.DROP:
            self.close_connection = True
            return
        if fault is Fault.GZIP_BOMB:
            payload = gzip_bomb()
        elif fault in BODIES:
            payload = gzip.compress(BODIES[fault])
        else:
            payload = json.dumps(reply.body).encode()
            if reply.status != 406:
                payload = gzip.compress(payload, compresslevel=GZIP_LEVEL)
        if fault is Fault.TRUNCATE:
            payload = gzip.compress(b'{"sandbox": "' + b"0" * 256 + b'"}')
            payload = payload[: len(payload) // 2]
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        if reply.status != 406:
            self.send_header("Content-Encoding", "gzip")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if fault is Fault.SLOW_BODY:
            self._drip(payload)
        else:
            self.wfile.write(payload)

    def _drip(self, payload: bytes) -> None:
        """Send one byte at a time, until all is sent or the client has gone (``handle``)."""
        self.close_connection = True
        for at in range(len(payload)):
            self.wfile.write(payload[at : at + 1])
            time.sleep(SLOW_BODY_SECONDS_PER_BYTE)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the sandbox logs its own one line per request, without secrets."""


def _spoiled(reply: _Answer, fault: Fault, request: Any) -> _Answer:
    """A real answer as an answer fault changes it: a 200's body, the limit headers."""
    headers = {**reply.headers, **limit_headers(fault, time.time())}
    body = reply.body
    if reply.status == 200 and isinstance(body, dict):
        groupings = {
            name: g[facts.GROUP_BY_FIELD] for name, g in request[facts.GROUPINGS_FIELD].items()
        }
        tweets = [str(t) for t in request[facts.TWEET_IDS_FIELD]]
        body = spoiled(fault, body, groupings, tweets)
    return attrs.evolve(reply, body=body, headers=headers)


def _decode(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None


def serve(sandbox: Sandbox, out: IO[str] = sys.stdout) -> None:
    """Print the shell lines for this sandbox, then serve until interrupted."""
    for line in sandbox.env_lines():
        print(f"export {line}", file=out)
    out.flush()
    sandbox.serve_forever()
