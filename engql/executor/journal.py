"""``--resume DIR``: a run directory so an interrupted run sends only what is left.

The directory holds the plan's hash (``plan.json``, written atomically) and a journal of
finished requests with their raw answers (``journal.jsonl``, one line each, appended and
synced as they finish). Resuming with the same plan skips the journalled requests;
another plan is refused. A crash can leave the last line cut short: the next record
starts on a line of its own, and any line that is not a whole, valid record of this
plan is not trusted, so its request is sent again, and is dropped from the journal. No
credential is ever written there.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Sequence
from typing import Any

from engql.atomic import atomic_file, sync_folder
from engql.executor.missing import Missing
from engql.executor.shape import answer_problem
from engql.plan.planner import Plan, Request

PLAN_FILE = "plan.json"
JOURNAL_FILE = "journal.jsonl"


class UnusableRunDirectory(Exception):
    """A run directory this plan cannot use; the message says why."""


class PlanChanged(UnusableRunDirectory):
    """The run directory belongs to another plan."""


def plan_hash(plan: Plan) -> str:
    """A stable hash of what the plan sends (endpoints and bodies, in order)."""
    requests = [[r.endpoint, r.body] for r in plan.requests]
    canonical = json.dumps(requests, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class Journal:
    """Finished requests of one plan, kept in a directory; thread-safe appends."""

    def __init__(self, folder: str, plan: Plan) -> None:
        """Open (or make) the run directory ``folder`` for ``plan``; UnusableRunDirectory,
        in a sentence that names the path, when it cannot be used."""
        self.folder = folder
        self._lock = threading.Lock()
        self._requests = plan.requests
        self._path = os.path.join(folder, JOURNAL_FILE)
        self.discarded = 0
        """Lines the last ``finished`` could not use: cut short, damaged, of another shape."""
        try:
            self._open(plan)
        except OSError as error:
            raise UnusableRunDirectory(_unusable(folder, error)) from None

    def _open(self, plan: Plan) -> None:
        folder = self.folder
        os.makedirs(folder, mode=0o700, exist_ok=True)
        digest = plan_hash(plan)
        plan_path = os.path.join(folder, PLAN_FILE)
        if not os.path.exists(plan_path):
            self._write_plan(plan_path, digest)
        else:
            recorded = _recorded_hash(plan_path)
            if recorded is None:
                if _size(self._path):
                    raise UnusableRunDirectory(
                        f"{plan_path} is damaged, so the journal beside it cannot be matched "
                        "to this plan; use a new directory"
                    )
                self._write_plan(plan_path, digest)  # cut short before anything was journalled
            elif recorded != digest:
                raise PlanChanged(
                    f"{folder} holds the journal of another plan; use a new directory"
                )
        self._cut = _ends_cut(self._path)

    def _write_plan(self, path: str, digest: str) -> None:
        with atomic_file(path) as file:
            json.dump({"hash": digest, "requests": len(self._requests)}, file)

    def finished(self) -> dict[int, dict[str, Any]]:
        """Request index → {"answer": ..., "missing": {Tweet ID: Missing}} of every
        journalled request whose record is whole and fits its request; the later of two
        records wins. Lines it cannot use are counted in ``discarded`` and dropped from the
        journal (rewritten atomically), so the next resume does not count them again."""
        done: dict[int, dict[str, Any]] = {}
        kept: list[str] = []
        self.discarded = 0
        if not os.path.exists(self._path):
            return done
        with open(self._path, "rb") as file:
            for line in file:
                if not line.strip():
                    continue
                try:
                    text = line.decode("utf-8")
                    entry = _entry(json.loads(text), self._requests)
                except (ValueError, RecursionError):
                    entry = None  # cut short by an interruption, or damaged
                if entry is not None:
                    done[entry["index"]] = entry
                    kept.append(text.rstrip("\r\n"))
                else:
                    self.discarded += 1
        if self.discarded:
            with self._lock, atomic_file(self._path, newline="") as file:
                file.write("".join(line + "\n" for line in kept))
            self._cut = False
        return done

    def record(
        self, index: int, answer: dict[str, Any] | None, missing: dict[str, Missing]
    ) -> None:
        reasons = {tweet: reason.to_json() for tweet, reason in missing.items()}
        line = json.dumps({"index": index, "answer": answer, "missing": reasons})
        with self._lock:
            created = not os.path.exists(self._path)
            with open(self._path, "a", encoding="utf-8") as file:
                # After a line cut short by a crash, a new line: else this record joins it.
                file.write(("\n" if self._cut else "") + line + "\n")
                file.flush()
                os.fsync(file.fileno())
            self._cut = False
            if created:
                sync_folder(self.folder)


def _unusable(folder: str, error: OSError) -> str:
    """Why ``folder`` cannot be a run directory, naming the path at fault."""
    if isinstance(error, FileExistsError):
        return f"{folder} is not a directory: give a directory to keep the run in"
    if isinstance(error, NotADirectoryError):
        return f"cannot make the directory {folder}: {_file_above(folder)} is not a directory"
    if isinstance(error, IsADirectoryError) and error.filename:
        return f"{error.filename} is a directory, where the run keeps a file; use a new directory"
    made = os.path.isdir(folder)
    doing = (
        f"cannot use {folder} as a run directory" if made else f"cannot make the directory {folder}"
    )
    return f"{doing}: {error.strerror or error}"


def _file_above(path: str) -> str:
    """The nearest path above ``path`` that exists: not a directory, when making ``path``
    met one on its way."""
    parent = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(parent) and parent != os.path.dirname(parent):
        parent = os.path.dirname(parent)
    return parent


def _recorded_hash(path: str) -> str | None:
    """The hash ``plan.json`` records; None when it is damaged (empty, cut, not JSON)."""
    with open(path, "rb") as file:
        data = file.read()
    try:
        recorded = json.loads(data)
    except (ValueError, RecursionError):
        return None
    digest = recorded.get("hash") if isinstance(recorded, dict) else None
    return digest if isinstance(digest, str) else None


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except FileNotFoundError:
        return 0


def _ends_cut(path: str) -> bool:
    """Whether the file's last line has no line end: written in part when a run stopped."""
    if not _size(path):
        return False
    with open(path, "rb") as file:
        file.seek(-1, os.SEEK_END)
        return file.read(1) != b"\n"


def _entry(entry: Any, requests: Sequence[Request]) -> dict[str, Any] | None:
    """The journal entry with its reasons read, when it is a record of one of the plan's
    requests: a known index, missing Tweets of that request with reasons, and an answer
    of the request's shape (or none, when every Tweet is missing); else None."""
    if not isinstance(entry, dict) or not {"index", "answer", "missing"} <= entry.keys():
        return None
    index, answer, listed = entry["index"], entry["answer"], entry["missing"]
    if type(index) is not int or not 0 <= index < len(requests):
        return None
    request = requests[index]
    tweets = set(request.tweet_ids)
    if not isinstance(listed, dict) or not tweets.issuperset(listed):
        return None
    missing = {tweet: Missing.from_json(reason) for tweet, reason in listed.items()}
    if None in missing.values():
        return None
    if answer is None and not tweets <= missing.keys():
        return None
    if answer is not None and answer_problem(answer, request.body) is not None:
        return None
    return {"index": index, "answer": answer, "missing": missing}
