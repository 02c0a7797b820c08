"""``engql lsp`` on raw stdio: a message that is not JSON gets JSON-RPC's parse error
and the server answers the next one (pytest-lsp's client cannot send such a message
nor read an answer without an id, so this test speaks the framing itself)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import IO, Any


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def read_message(out: IO[bytes]) -> dict[str, Any]:
    length = 0
    while (line := out.readline()) not in (b"\r\n", b""):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    message: dict[str, Any] = json.loads(out.read(length))
    return message


def request(number: int, method: str, params: object) -> bytes:
    return frame(
        json.dumps({"jsonrpc": "2.0", "id": number, "method": method, "params": params}).encode()
    )


def test_a_malformed_message_gets_a_parse_error_and_the_server_reads_on() -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "engql", "lsp"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert server.stdin is not None and server.stdout is not None
    try:
        server.stdin.write(request(1, "initialize", {"capabilities": {}}))
        server.stdin.write(frame(b"{nope!}"))
        server.stdin.write(request(2, "shutdown", None))
        server.stdin.flush()
        answers = [read_message(server.stdout) for _ in range(3)]
        assert answers[0]["id"] == 1 and "capabilities" in answers[0]["result"]
        assert answers[1]["id"] is None and answers[1]["error"]["code"] == -32700
        assert answers[2] == {"jsonrpc": "2.0", "id": 2, "result": None}
        server.stdin.write(frame(b'{"jsonrpc": "2.0", "method": "exit"}'))
        server.stdin.close()
        assert server.wait(timeout=10) == 0
        assert server.stderr is not None
        logged = server.stderr.read().decode()
        assert "Traceback" not in logged
        assert logged.startswith("engql lsp: ") and "JSONDecodeError" in logged
    finally:
        server.kill()
        server.wait()
