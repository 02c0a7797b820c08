"""Raw: every attempt as one JSON line, written while the run goes: the request (its
URL without credentials, its auth, batch, window and body), the status, why it broke,
and the server's answer as it came (decoded JSON, else its text)."""

from __future__ import annotations

import json
import threading
from typing import IO, TYPE_CHECKING, Any

from engql.output.format import OutputFormat

if TYPE_CHECKING:
    from engql.executor.runner import ResponseHook
    from engql.executor.transport import Reply
    from engql.plan.planner import Request


def open_responses(out: IO[str], base_url: str) -> ResponseHook:
    """A hook for the executor's ``on_response`` of a run against ``base_url``: workers
    call it, a line at a time."""
    lock = threading.Lock()

    def write(request: Request, body: dict[str, Any], reply: Reply) -> None:
        line = json.dumps(raw_line(request, body, reply, base_url))
        with lock:
            out.write(line + "\n")

    return write


def raw_line(request: Request, body: dict[str, Any], reply: Reply, base_url: str) -> dict[str, Any]:
    """One attempt as its line shows it: the URL is the one it was sent to."""
    from engql.redact import shown_url  # loaded only when raw is written

    answer: Any = reply.body
    if answer is None:
        answer = reply.raw.decode("utf-8", "replace")
    return {
        "request": {
            "endpoint": request.endpoint,
            "url": shown_url(request.url_at(base_url)),
            "auth": request.auth,
            "batch": request.batch,
            "window": request.window,
            "body": body,
        },
        "status": reply.status,
        "broken": reply.broken,
        "response": answer,
    }


FORMAT = OutputFormat(name="raw", open_responses=open_responses, server_text=True)
