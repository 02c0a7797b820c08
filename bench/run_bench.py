"""``engql run`` against the sandbox in its own process: latency, rate limit, overhead.

(a) latency-bound: the sandbox answers after 50 ms and allows far more than the run sends.
    A /totals query of 200 requests (50,000 Tweet IDs) runs at concurrency 4 and 8. The
    time from the first request (its arrival at the sandbox, less the answer's time
    there) to the client's exit, which includes merging and writing every row, against
    requests × latency ÷ concurrency: target ≤ 1.2×. The whole process's wall time, which
    adds start-up and planning (about 0.25 s, see --dry-run and cold_start.py), is shown
    beside it. The requests the sandbox received against the plan's number, target equal.
    A minimal client (urllib3, the same bodies, the same concurrency, no engql) runs
    against the same sandbox for context, and once more with 20 requests one at a time,
    which shows what one round trip costs.
(b) rate-bound: the sandbox allows L requests a calendar minute (30) and the plan has 2L.
    The first L fit in the minute the run starts in, the rest wait for the next one, so
    the limit allows (seconds to the next minute boundary) + (what L more requests cost
    without a limit), measured here without a limit. Target ≤ 1.1×, and at most one 429
    in any minute. It takes up to about 70 s: it waits for a minute boundary.
(c) overhead: 1,000,000 Tweet IDs (4,000 requests) at zero latency, ``--format jsonl`` to
    a file: the client's CPU time per request and its peak RSS, from the rusage of the
    client process alone, against the minimal client's. Peak RSS target ≤ 250 MB. The
    plan holds every ID, so its memory grows with the Tweets: the peak of ``engql
    compile`` on the same file is that part. What the run takes beyond it must not grow:
    with 250,000 IDs and 1,000,000 it may differ by at most 10 MB. CPU time and peak RSS
    are the client process's own (os.wait4 in a small launcher process, see LAUNCHER).
    Both clients also run with one request, so their start-up can be taken off.

The sandbox runs as ``python -m engql sandbox`` (client and server do not share a GIL);
its ``export ENGQL_...`` lines give the base URL and credentials, and its one log line per
request (stamped here on arrival) gives the requests and 429s it saw. Every grouping of
the query starts with tweet.id. Tweet IDs are random Snowflake IDs of the last 60 days.
Only loopback traffic. Children run with bytecode cached in a temporary
PYTHONPYCACHEPREFIX, as an installed package runs (see cold_start.py), and without
PYTHONUNBUFFERED.

    .venv/bin/python bench/run_bench.py [--only a|b|c] [--quick] [--repeat N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import queue
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
from harness import BATCH_SIZE, machine, median

ROOT = Path(__file__).resolve().parent.parent
QUERY = (
    "SELECT favorites FROM totals WHERE tweet IN FILE 'ids.txt'\n"
    "GROUP BY tweet.id, engagement.type AS per_tweet;\n"
)
LATENCY_MS = 50
HIGH_LIMIT = 1_000_000_000
"""Requests a minute for the sandboxes that should never refuse one."""
LATENCY_TARGET = 1.2
RATE_TARGET = 1.1
MEMORY_TARGET_MB = 250
GROWTH_ALLOWANCE_MB = 10
"""How much more memory than the plan's the run may take with 4× the Tweets."""
SERIAL_REQUESTS = 20
"""Requests the minimal client sends one at a time in (a), to show one round trip."""
SANDBOX_START_SECONDS = 30
SETTLE_SECONDS = 5
CLIENT_TIMEOUT_SECONDS = 600
_LOG_LINE = re.compile(r"#(\d+) POST (\S+) (\S+) (\S+) (\d+) ms")
"""The sandbox's line per request. Its handler threads print concurrently, and a line's
text and its newline are separate writes, so two lines can share one: match anywhere."""


@attrs.frozen
class Sizes:
    latency_ids: int
    concurrencies: tuple[int, ...]
    rate_limit: int
    overhead_ids: int
    overhead_small_ids: int


DEFAULT = Sizes(50_000, (4, 8), 30, 1_000_000, 250_000)
QUICK = Sizes(25_000, (4, 8), 10, 100_000, 25_000)


# --- processes --------------------------------------------------------------------------


def child_environment(cache: str) -> dict[str, str]:
    """This environment as a user's shell would have it: without engql's credential
    variables, without a profile file, bytecode cached in ``cache``, and output buffered
    (PYTHONUNBUFFERED would make every jsonl row a system call)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ENGQL_", "TWITTER_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONUNBUFFERED", None)
    env["PYTHONPYCACHEPREFIX"] = cache
    env["XDG_CONFIG_HOME"] = str(Path(cache) / "config")
    return env


@attrs.frozen
class LogLine:
    number: int
    arrived: float
    """Epoch seconds when this process read the line."""
    status: str
    took_ms: int


class SandboxProcess:
    """``python -m engql sandbox`` in its own process, and the log lines it writes."""

    def __init__(self, env: dict[str, str], rate_limit: int, latency_ms: float = 0) -> None:
        command = [
            sys.executable, "-m", "engql", "sandbox", "--port", "0", "--seed", "7",
            "--rate-limit", str(rate_limit), "--latency-ms", str(latency_ms),
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env
        )
        self.lines: list[LogLine] = []
        self._lock = threading.Lock()
        exports: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read_log, daemon=True).start()
        threading.Thread(target=self._read_exports, args=(exports,), daemon=True).start()
        self.env = dict(env)
        deadline = time.monotonic() + SANDBOX_START_SECONDS
        while "ENGQL_BEARER_TOKEN" not in self.env:
            try:
                line = exports.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                self.stop()
                raise SystemExit("the sandbox did not print its export lines in time") from None
            name, _, value = line.removeprefix("export ").partition("=")
            if name.startswith("ENGQL_"):
                self.env[name] = value.strip()
        self.base_url = self.env["ENGQL_BASE_URL"]

    def _read_exports(self, into: queue.Queue[str]) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            into.put(line.strip())

    def _read_log(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            arrived = time.time()
            entries = [
                LogLine(int(found.group(1)), arrived, found.group(4), int(found.group(5)))
                for found in _LOG_LINE.finditer(line)
            ]
            with self._lock:
                self.lines.extend(entries)

    def count(self) -> int:
        with self._lock:
            return len(self.lines)

    def since(self, mark: int) -> list[LogLine]:
        """The log lines after the first ``mark``, once no more arrive for a moment."""
        deadline = time.monotonic() + SETTLE_SECONDS
        seen = -1
        while time.monotonic() < deadline and seen != self.count():
            seen = self.count()
            time.sleep(0.2)
        with self._lock:
            return self.lines[mark:]

    def cpu_seconds(self) -> float | None:
        """User + system CPU of the sandbox process so far (Linux), else None."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def __enter__(self) -> SandboxProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@attrs.frozen
class ClientRun:
    began: float
    """Epoch seconds just before the process started."""
    wall: float
    cpu: float
    """User + system seconds of the client process alone."""
    peak_rss: int
    """Bytes: the client's own peak, not this process's (see LAUNCHER)."""
    exit_code: int
    stderr: str


LAUNCHER = """\
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as report:
    report.write(f"{usage.ru_utime + usage.ru_stime} {usage.ru_maxrss}")
sys.exit(os.waitstatus_to_exitcode(status))
"""
"""Runs a command and writes its CPU seconds and peak RSS (KiB) to a file. A child's
ru_maxrss starts from what its parent held when it forked (with vfork, from the parent's
peak), so the client is forked from this small process rather than from the benchmark,
whose lists of a million IDs would otherwise be counted as the client's."""


def run_client(command: Sequence[str], env: dict[str, str], cwd: Path, stdout: Path) -> ClientRun:
    """Run one client process to the end, with its own CPU time and peak RSS."""
    err_path = stdout.with_suffix(".stderr")
    report = stdout.with_suffix(".rusage")
    launch = [sys.executable, "-S", "-c", LAUNCHER, str(report), *command]
    with stdout.open("wb") as out, err_path.open("wb") as err:
        began = time.time()
        started = time.perf_counter()
        process = subprocess.Popen(
            launch, stdout=out, stderr=err, cwd=cwd, env=env, start_new_session=True
        )
        try:
            exit_code = process.wait(timeout=CLIENT_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the launcher's group: it and the client
            exit_code = process.wait(timeout=10)
        wall = time.perf_counter() - started
    cpu, maxrss = report.read_text().split() if report.exists() else ("nan", "0")
    return ClientRun(
        began,
        wall,
        float(cpu),
        int(maxrss) * 1024,
        exit_code,
        err_path.read_text(encoding="utf-8", errors="replace"),
    )


def engql_run(query: Path, base_url: str, concurrency: int) -> list[str]:
    return [
        sys.executable, "-m", "engql", "run", str(query), "--format", "jsonl",
        "--base-url", base_url, "--concurrency", str(concurrency), "--no-progress",
    ]  # fmt: skip


def minimal_run(bodies: Path, concurrency: int) -> list[str]:
    return [
        sys.executable, str(Path(__file__).resolve()),
        "--minimal-client", str(bodies), "--concurrency", str(concurrency),
    ]  # fmt: skip


def minimal_client(bodies_path: str, concurrency: int) -> None:
    """The least client work for the same answers: send each body with the bearer token,
    gunzip and decode the answer, write one jsonl row per Tweet. No engql imported."""
    import urllib3

    base_url = os.environ["ENGQL_BASE_URL"]
    headers = {
        "Authorization": f"Bearer {os.environ['ENGQL_BEARER_TOKEN']}",
        "Content-Type": "application/json",
        "Accept-Encoding": "gzip",
    }
    with open(bodies_path, encoding="utf-8") as lines:
        requests = [json.loads(line) for line in lines]
    pool = urllib3.PoolManager(maxsize=concurrency, retries=False)
    lock = threading.Lock()

    def send(request: dict[str, object]) -> None:
        url = base_url + str(request["url"])[str(request["url"]).index("/insights/") :]
        body = json.dumps(request["body"]).encode()
        reply = pool.request("POST", url, body=body, headers=headers, decode_content=False)
        answer = json.loads(gzip.decompress(reply.data))
        out = []
        for grouping in answer.values():
            if isinstance(grouping, dict):
                for tweet, metrics in grouping.items():
                    row = {"tweet_id": tweet, **{m: int(v) for m, v in metrics.items()}}
                    out.append(json.dumps(row) + "\n")
        with lock:
            sys.stdout.writelines(out)

    with ThreadPoolExecutor(max_workers=concurrency) as workers:
        for done in [workers.submit(send, r) for r in requests]:
            done.result()


# --- inputs -----------------------------------------------------------------------------


def snowflake_ids(count: int, seed: int) -> list[str]:
    """``count`` distinct Snowflake IDs of Tweets created in the last 60 days."""
    from engql import facts  # not at the top: the minimal client must not import engql

    rng = random.Random(seed)
    now = datetime.now(UTC)
    epoch_ms = facts.SNOWFLAKE_EPOCH_MS
    newest = int((now - timedelta(days=1)).timestamp() * 1000) - epoch_ms
    oldest = int((now - timedelta(days=60)).timestamp() * 1000) - epoch_ms
    found: dict[int, None] = {}
    while len(found) < count:
        found[(rng.randint(oldest, newest) << 22) | rng.getrandbits(22)] = None
    return [str(i) for i in found]


def query_folder(parent: Path, name: str, ids: Sequence[str]) -> Path:
    """A folder with ids.txt and q.engql reading it; returns the query's path."""
    folder = parent / name
    folder.mkdir()
    (folder / "ids.txt").write_text("\n".join(ids) + "\n", encoding="utf-8")
    (folder / "q.engql").write_text(QUERY, encoding="utf-8")
    return folder / "q.engql"


def rows_in(path: Path) -> int:
    with path.open("rb") as lines:
        return sum(1 for _ in lines)


# --- the table --------------------------------------------------------------------------


@attrs.frozen
class Line:
    """One row of the result table; ``met`` None means information only."""

    label: str
    value: str
    reference: str = ""
    ratio: float | None = None
    target: str = ""
    met: bool | None = None


def print_lines(title: str, lines: Sequence[Line]) -> None:
    heads = ("measured", "value", "ideal/baseline", "ratio", "target", "")
    cells = [
        (
            line.label,
            line.value,
            line.reference,
            f"{line.ratio:.2f}×" if line.ratio is not None else "",
            line.target or "—",
            "(information)" if line.met is None else ("met" if line.met else "MISSED"),
        )
        for line in lines
    ]
    widths = [max(len(row[i]) for row in (heads, *cells)) for i in range(len(heads))]
    print(title)
    for row in (heads, *cells):
        parts = [row[0].ljust(widths[0])]
        parts += [cell.rjust(width) for cell, width in zip(row[1:4], widths[1:4], strict=True)]
        parts += [row[4].ljust(widths[4]), row[5]]
        print("  " + "  ".join(parts).rstrip())
    sys.stdout.flush()


def failed(run: ClientRun, what: str) -> bool:
    if run.exit_code != 0:
        tail = " | ".join(run.stderr.strip().splitlines()[-3:])
        print(f"  warning: {what} exited {run.exit_code}: {tail[:400]}")
    return run.exit_code != 0


# --- (a) latency-bound ------------------------------------------------------------------


def latency_bound(sizes: Sizes, repeat: int, env: dict[str, str], temp: Path) -> None:
    ids = snowflake_ids(sizes.latency_ids, seed=1)
    query = query_folder(temp, "latency", ids)
    requests = math.ceil(len(ids) / BATCH_SIZE)
    bodies = temp / "latency.bodies"
    compile_command = [sys.executable, "-m", "engql", "compile", str(query)]
    run_client(compile_command, env, query.parent, bodies)
    with SandboxProcess(env, HIGH_LIMIT, LATENCY_MS) as sandbox:
        dry = [*engql_run(query, sandbox.base_url, 4), "--dry-run"]
        candidates: list[tuple[str, int, list[str]]] = []
        for c in sizes.concurrencies:
            candidates.append(("engql", c, engql_run(query, sandbox.base_url, c)))
            candidates.append(("minimal", c, minimal_run(bodies, c)))
        candidates.append(("dry-run", 0, dry))
        one_by_one = temp / "latency-first.bodies"
        with bodies.open(encoding="utf-8") as every:
            one_by_one.write_text("".join(next(every) for _ in range(SERIAL_REQUESTS)))
        candidates.append(("one at a time", 1, minimal_run(one_by_one, 1)))
        walls: dict[tuple[str, int], list[float]] = {}
        phases: dict[tuple[str, int], list[float]] = {}
        received: dict[int, list[int]] = {}
        server: dict[int, list[float]] = {}
        rows = 0
        run_client(candidates[0][2], sandbox.env, query.parent, temp / "warm.jsonl")
        for _ in range(repeat):
            for kind, c, command in candidates:
                mark, cpu_before = sandbox.count(), sandbox.cpu_seconds()
                out = temp / f"latency-{kind}-{c}.jsonl"
                run = run_client(command, sandbox.env, query.parent, out)
                failed(run, f"{kind} at concurrency {c}")
                walls.setdefault((kind, c), []).append(run.wall)
                if kind in ("engql", "minimal"):
                    seen = sandbox.since(mark)
                    if seen:
                        first_sent = min(line.arrived - line.took_ms / 1000 for line in seen)
                        phase = run.began + run.wall - first_sent
                        phases.setdefault((kind, c), []).append(phase)
                if kind == "engql":
                    received.setdefault(c, []).append(len(seen))
                    cpu_after = sandbox.cpu_seconds()
                    if cpu_before is not None and cpu_after is not None and seen:
                        server.setdefault(c, []).append((cpu_after - cpu_before) / len(seen))
                    rows = rows_in(out)
    print(
        f"(a) latency-bound: {len(ids):,} Tweet IDs, {requests:,} requests, sandbox latency "
        f"{LATENCY_MS} ms, no effective rate limit; median of {repeat}; rows written {rows:,}"
    )
    lines = []
    for c in sizes.concurrencies:
        ideal = requests * LATENCY_MS / 1000 / c
        phase = median(phases[("engql", c)])
        lines.append(
            Line(
                f"from the first request to exit, concurrency {c}",
                f"{phase:.2f} s",
                f"{ideal:.2f} s",
                phase / ideal,
                f"≤ {LATENCY_TARGET:g}×",
                phase / ideal <= LATENCY_TARGET,
            )
        )
        wall = median(walls[("engql", c)])
        lines.append(
            Line(f"whole process, concurrency {c}", f"{wall:.2f} s", f"{ideal:.2f} s", wall / ideal)
        )
        counts = received[c]
        shown = str(counts[0]) if len(set(counts)) == 1 else ",".join(map(str, counts))
        lines.append(
            Line(
                f"requests received, concurrency {c}",
                shown,
                str(requests),
                max(counts) / requests,
                "equal",
                all(n == requests for n in counts),
            )
        )
    for c in sizes.concurrencies:
        ideal = requests * LATENCY_MS / 1000 / c
        phase = median(phases[("minimal", c)])
        wall = median(walls[("minimal", c)])
        lines.append(
            Line(
                f"minimal client from the first request, concurrency {c}",
                f"{phase:.2f} s",
                f"{ideal:.2f} s",
                phase / ideal,
            )
        )
        lines.append(
            Line(
                f"minimal client, whole process, concurrency {c}",
                f"{wall:.2f} s",
                f"{ideal:.2f} s",
                wall / ideal,
            )
        )
    lines.append(
        Line("engql run --dry-run (start-up and plan)", f"{median(walls[('dry-run', 0)]):.2f} s")
    )
    serial = median(walls[("one at a time", 1)])
    lines.append(
        Line(
            f"minimal client, {SERIAL_REQUESTS} requests one at a time",
            f"{serial:.2f} s",
            f"{SERIAL_REQUESTS * LATENCY_MS / 1000:.2f} s",
            serial / (SERIAL_REQUESTS * LATENCY_MS / 1000),
        )
    )
    for c in sizes.concurrencies:
        if c in server:
            lines.append(
                Line(
                    f"sandbox CPU per request, concurrency {c}",
                    f"{median(server[c]) * 1000:.1f} ms",
                )
            )
    print_lines("wall time of the whole `engql run` process", lines)


# --- (b) rate-bound ---------------------------------------------------------------------


def rate_bound(sizes: Sizes, repeat: int, env: dict[str, str], temp: Path) -> None:
    limit = sizes.rate_limit
    ids = snowflake_ids(2 * limit * BATCH_SIZE, seed=2)
    full = query_folder(temp, "rate", ids)
    half = query_folder(temp, "rate-half", ids[: limit * BATCH_SIZE])
    print(
        f"(b) rate-bound: {len(ids):,} Tweet IDs, {2 * limit} requests, {limit} allowed a "
        f"minute; waits for a minute boundary, so it takes up to about 70 s a run ..."
    )
    sys.stdout.flush()
    unlimited: dict[Path, list[float]] = {full: [], half: []}
    with SandboxProcess(env, HIGH_LIMIT) as fast:
        run_client(engql_run(half, fast.base_url, 4), fast.env, half.parent, temp / "warm.jsonl")
        for _ in range(repeat):
            for query in (half, full):
                command = engql_run(query, fast.base_url, 4)
                run = run_client(command, fast.env, query.parent, temp / "rate-fast.jsonl")
                failed(run, "the unlimited run")
                unlimited[query].append(run.wall)
    whole, first = median(unlimited[full]), median(unlimited[half])
    after_reset = max(whole - first, 0.0)
    ratios: list[float] = []
    walls: list[float] = []
    ideals: list[float] = []
    worst_429 = 0
    total_429 = 0
    windows = 0
    notices = 0
    received: list[int] = []
    for _ in range(repeat):
        with SandboxProcess(env, limit) as sandbox:
            boundary = (time.time() // 60 + 1) * 60
            if boundary - time.time() < first + 1:  # the first L might not fit in this minute
                time.sleep(max(boundary - time.time() + 0.2, 0))
            out = temp / "rate.jsonl"
            run = run_client(engql_run(full, sandbox.base_url, 4), sandbox.env, full.parent, out)
            failed(run, "the rate-limited run")
            seen = sandbox.since(0)
        boundary = (run.began // 60 + 1) * 60
        ideal = max(whole, boundary - run.began + after_reset)
        walls.append(run.wall)
        ideals.append(ideal)
        ratios.append(run.wall / ideal)
        minutes: dict[int, int] = {}
        for line in seen:
            if line.status == "429":
                minutes[int(line.arrived // 60)] = minutes.get(int(line.arrived // 60), 0) + 1
        worst_429 = max(worst_429, max(minutes.values(), default=0))
        total_429 += sum(minutes.values())
        notices += run.stderr.count("rate limited, resuming at")
        received.append(len(seen))
        first_minute = int(run.began // 60)
        spanned = range(first_minute, int((run.began + run.wall) // 60) + 1)
        by_minute = ", ".join(str(minutes.get(m, 0)) for m in spanned)
        windows += len(spanned)
        print(
            f"  run started {run.began % 60:.1f} s into its minute: {run.wall:.1f} s, "
            f"the limit allows {ideal:.1f} s; {len(seen)} requests received; "
            f"429s by minute: {by_minute}"
        )
    lines = [
        Line(
            "wall time",
            f"{median(walls):.2f} s",
            f"{median(ideals):.2f} s",
            median(ratios),
            f"≤ {RATE_TARGET:g}×",
            median(ratios) <= RATE_TARGET,
        ),
        Line("429s in the worst minute", str(worst_429), "1", None, "≤ 1", worst_429 <= 1),
        Line("429s in all, over minutes spanned", f"{total_429} / {windows}"),
        Line("requests received (plan: 2L)", ",".join(map(str, received)), str(2 * limit)),
        Line("unlimited run, 2L requests (baseline)", f"{whole:.2f} s"),
        Line("unlimited run, L requests", f"{first:.2f} s"),
        Line("client's 'rate limited, resuming at' lines", str(notices)),
    ]
    print_lines(
        f"rate limit {limit} a minute; ideal = to the next minute + {after_reset:.2f} s", lines
    )


# --- (c) overhead -----------------------------------------------------------------------


def overhead(sizes: Sizes, repeat: int, env: dict[str, str], temp: Path) -> None:
    ids = snowflake_ids(sizes.overhead_ids, seed=3)
    sizes_ids = {"big": ids, "small": ids[: sizes.overhead_small_ids], "one": ids[:BATCH_SIZE]}
    queries = {name: query_folder(temp, name, chosen) for name, chosen in sizes_ids.items()}
    requests = {name: math.ceil(len(chosen) / BATCH_SIZE) for name, chosen in sizes_ids.items()}
    del ids, sizes_ids
    compiled: dict[str, ClientRun] = {}
    for name, query in queries.items():
        command = [sys.executable, "-m", "engql", "compile", str(query)]
        compiled[name] = run_client(command, env, query.parent, query.parent / "bodies")
        failed(compiled[name], "engql compile")
    n_big, n_small = f"{sizes.overhead_ids:,}", f"{sizes.overhead_small_ids:,}"
    print(
        f"(c) overhead: {n_big} and {n_small} Tweet IDs ({requests['big']:,} and "
        f"{requests['small']:,} requests), zero latency, --format jsonl to a file, "
        f"concurrency 4; median of {repeat}; the sandbox bounds the wall time ..."
    )
    sys.stdout.flush()
    runs: dict[str, list[ClientRun]] = {}
    rows: dict[str, int] = {}
    with SandboxProcess(env, HIGH_LIMIT) as sandbox:
        candidates = {
            "one": engql_run(queries["one"], sandbox.base_url, 4),
            "minimal one": minimal_run(queries["one"].parent / "bodies", 4),
            "small": engql_run(queries["small"], sandbox.base_url, 4),
            "minimal": minimal_run(queries["small"].parent / "bodies", 4),
            "big": engql_run(queries["big"], sandbox.base_url, 4),
        }
        for warm in ("one", "minimal one"):  # fills the bytecode cache; not counted
            run_client(candidates[warm], sandbox.env, queries["one"].parent, temp / "warm.jsonl")
        for _ in range(repeat):
            for name, command in candidates.items():
                folder = queries[name.removeprefix("minimal").strip() or "small"].parent
                out = temp / f"overhead-{name.replace(' ', '-')}.jsonl"
                run = run_client(command, sandbox.env, folder, out)
                failed(run, name)
                runs.setdefault(name, []).append(run)
                rows[name] = rows_in(out)
    print(
        f"  rows written: {rows['big']:,} of {n_big}, {rows['small']:,} of {n_small} "
        f"(minimal client {rows['minimal']:,}); wall "
        f"{median([r.wall for r in runs['big']]):.1f} s and "
        f"{median([r.wall for r in runs['small']]):.1f} s"
    )

    def cpu(name: str) -> float:
        return median([r.cpu for r in runs[name]])

    def peak(name: str) -> float:
        return median([r.peak_rss for r in runs[name]]) / 1e6

    def after_start(name: str, one: str, size: str) -> float:
        """CPU per request once started: the one-request run's CPU taken off."""
        return (cpu(name) - cpu(one)) / (requests[size] - 1)

    baseline = cpu("minimal") / requests["small"]
    beyond_big = peak("big") - compiled["big"].peak_rss / 1e6
    beyond_small = peak("small") - compiled["small"].peak_rss / 1e6
    baseline_after = after_start("minimal", "minimal one", "small")
    lines = [
        Line(
            f"client CPU per request, {n_big} IDs",
            f"{cpu('big') / requests['big'] * 1000:.2f} ms",
            f"{baseline * 1000:.2f} ms",
            cpu("big") / requests["big"] / baseline,
        ),
        Line(
            f"client CPU per request, {n_small} IDs",
            f"{cpu('small') / requests['small'] * 1000:.2f} ms",
            f"{baseline * 1000:.2f} ms",
            cpu("small") / requests["small"] / baseline,
        ),
        Line(
            f"  the same after start-up, {n_big} IDs",
            f"{after_start('big', 'one', 'big') * 1000:.2f} ms",
            f"{baseline_after * 1000:.2f} ms",
            after_start("big", "one", "big") / baseline_after,
        ),
        Line(
            f"  the same after start-up, {n_small} IDs",
            f"{after_start('small', 'one', 'small') * 1000:.2f} ms",
            f"{baseline_after * 1000:.2f} ms",
            after_start("small", "one", "small") / baseline_after,
        ),
        Line(
            "client CPU of a one-request run (start-up)",
            f"{cpu('one') * 1000:.0f} ms",
            f"{cpu('minimal one') * 1000:.0f} ms",
            cpu("one") / cpu("minimal one"),
        ),
        Line(
            f"client peak RSS, {n_big} IDs",
            f"{peak('big'):.0f} MB",
            f"{MEMORY_TARGET_MB} MB",
            peak("big") / MEMORY_TARGET_MB,
            f"≤ {MEMORY_TARGET_MB} MB",
            peak("big") <= MEMORY_TARGET_MB,
        ),
        Line(f"client peak RSS, {n_small} IDs", f"{peak('small'):.0f} MB"),
        Line(
            f"  beyond engql compile's peak, {n_big} IDs",
            f"{beyond_big:.0f} MB",
            f"{beyond_small:.0f} MB",
            beyond_big / beyond_small if beyond_small > 0 else None,
            f"≤ {n_small}'s + {GROWTH_ALLOWANCE_MB} MB",
            beyond_big <= beyond_small + GROWTH_ALLOWANCE_MB,
        ),
        Line(
            "peak RSS, 4× the Tweets",
            f"{peak('big'):.0f} MB",
            f"{peak('small'):.0f} MB",
            peak("big") / peak("small"),
        ),
        Line(f"engql compile peak RSS, {n_big} IDs", f"{compiled['big'].peak_rss / 1e6:.0f} MB"),
        Line(
            f"engql compile peak RSS, {n_small} IDs",
            f"{compiled['small'].peak_rss / 1e6:.0f} MB",
        ),
        Line(f"minimal client peak RSS, {n_small} IDs", f"{peak('minimal'):.0f} MB"),
    ]
    print_lines(
        f"baseline: the minimal client (urllib3, the same bodies, concurrency 4), {n_small} IDs",
        lines,
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("a", "b", "c"), help="run one measurement")
    parser.add_argument("--quick", action="store_true", help="smaller plans, one round each")
    parser.add_argument(
        "--repeat", type=int, help="rounds; the median is shown (a: 3, b and c: 1; --quick: 1)"
    )
    parser.add_argument("--rate-limit", type=int, metavar="L", help="(b)'s limit a minute (30)")
    parser.add_argument("--minimal-client", metavar="BODIES", help=argparse.SUPPRESS)
    parser.add_argument("--concurrency", type=int, default=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.minimal_client:
        minimal_client(args.minimal_client, args.concurrency)
        return
    sizes = QUICK if args.quick else DEFAULT
    if args.rate_limit:
        sizes = attrs.evolve(sizes, rate_limit=args.rate_limit)
    print(f"engql run against `engql sandbox` in another process; {machine()}")
    with tempfile.TemporaryDirectory(prefix="engql-bench-") as folder:
        temp = Path(folder)
        env = child_environment(str(temp / "pycache"))
        chosen = [args.only] if args.only else ["a", "b", "c"]
        for at, which in enumerate(chosen):
            if at:
                print()
            if which == "a":
                latency_bound(sizes, args.repeat or (1 if args.quick else 3), env, temp)
            elif which == "b":
                rate_bound(sizes, args.repeat or 1, env, temp)
            else:
                overhead(sizes, args.repeat or 1, env, temp)


if __name__ == "__main__":
    main()
