"""``--resume DIR``: a run directory so an interrupted run sends only what is left.

The directory holds the plan's hash (``plan.json``) and a journal of finished requests
with their raw answers (``journal.jsonl``, one line each, appended as they finish).
Resuming with the same plan skips the journalled requests; another plan is refused.
No credential is ever written there.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from typing import Any

from engql.planner import Plan

PLAN_FILE = "plan.json"
JOURNAL_FILE = "journal.jsonl"


class PlanChanged(Exception):
    """The run directory belongs to another plan."""


def plan_hash(plan: Plan) -> str:
    """A stable hash of what the plan sends (endpoints and bodies, in order)."""
    requests = [[r.endpoint, r.body] for r in plan.requests]
    canonical = json.dumps(requests, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class Journal:
    """Finished requests of one plan, kept in a directory; thread-safe appends."""

    def __init__(self, folder: str, plan: Plan) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        os.makedirs(folder, mode=0o700, exist_ok=True)
        digest = plan_hash(plan)
        plan_path = os.path.join(folder, PLAN_FILE)
        if os.path.exists(plan_path):
            with open(plan_path, encoding="utf-8") as file:
                recorded = json.load(file).get("hash")
            if recorded != digest:
                raise PlanChanged(
                    f"{folder} holds the journal of another plan; use a new directory"
                )
        else:
            with open(plan_path, "w", encoding="utf-8") as file:
                json.dump({"hash": digest, "requests": len(plan.requests)}, file)
        self._path = os.path.join(folder, JOURNAL_FILE)

    def finished(self) -> dict[int, dict[str, Any]]:
        """Request index → {"answer": ..., "missing": {...}} of every journalled request."""
        done: dict[int, dict[str, Any]] = {}
        if not os.path.exists(self._path):
            return done
        with open(self._path, encoding="utf-8") as file:
            for line in file:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # a line cut short by the interruption: that request reruns
                done[int(entry["index"])] = entry
        return done

    def record(self, index: int, answer: dict[str, Any] | None, missing: dict[str, str]) -> None:
        line = json.dumps({"index": index, "answer": answer, "missing": missing})
        with self._lock, open(self._path, "a", encoding="utf-8") as file:
            file.write(line + "\n")
            file.flush()
            os.fsync(file.fileno())
