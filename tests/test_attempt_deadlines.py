"""Attempt deadlines (engql/executor/transport.py): one watchdog thread ends every
attempt whose deadline passes, however many attempts a run sends.

The servers here are on loopback: one that answers at once, one that accepts and never
answers.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from engql.executor.transport import new_pool, send


class _Quick(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        body = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def quick_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Quick)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/insights/engagement/totals"
    server.shutdown()
    server.server_close()


@pytest.fixture
def silent_url() -> Iterator[str]:
    """A server that takes connections and requests and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/insights/engagement/totals"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    listener.close()


def watchdogs() -> int:
    return sum(t.name == "engql attempt deadlines" for t in threading.enumerate())


def test_many_attempts_share_one_watchdog_thread(quick_url: str) -> None:
    pool = new_pool(4)
    before = threading.active_count()
    for _ in range(50):
        reply = send(pool, quick_url, b"{}", "Bearer x", deadline=30)
        assert (reply.status, reply.body, reply.broken) == (200, {}, None)
    assert watchdogs() == 1
    assert threading.active_count() <= before + 1


def test_a_short_deadline_ends_its_attempt_while_a_longer_one_waits(silent_url: str) -> None:
    """The watchdog sleeps until the earliest deadline; an attempt that ends sooner than
    the one it sleeps for wakes it."""
    pool = new_pool(4)
    replies = []
    longer = threading.Thread(
        target=lambda: replies.append(send(pool, silent_url, b"{}", "Bearer x", deadline=3)),
        daemon=True,
    )
    longer.start()
    time.sleep(0.2)  # the watchdog now sleeps for the 3 s deadline
    started = time.monotonic()
    reply = send(pool, silent_url, b"{}", "Bearer x", deadline=0.3)
    assert time.monotonic() - started < 2.5
    assert reply.broken == "no whole answer within 0.3 s"
    longer.join(timeout=10)
    assert [r.broken for r in replies] == ["no whole answer within 3 s"]
