"""``engql collect`` into a store: write speed, a collection with nothing new, a daily
collection's requests, peak memory.

(write) 500 Tweets × 28 days hourly × 5 metrics (1.68 M hourly facts) into a SQLite
    file, a DuckDB file and a PostgreSQL store. The answers of a real collection's
    fetch plan (20 requests) are got once from an in-process sandbox; what is timed is
    what the store does with them: ``CollectSink.write_batch`` over every batch (facts
    from the answer, the delete, the insert and the coverage rows, one transaction a
    batch). The baseline is a bare bulk insert of exactly the same fact rows, built
    beforehand as tuples, into the same table of a fresh store of the same database in
    one transaction: ``Database.insert``, each database's bulk path (executemany for
    SQLite, typed lists through unnest for DuckDB, COPY for PostgreSQL). Interleaved,
    fresh stores each round. Target ≤ 2×.
(nothing-new) After a first ``engql collect`` of those Tweets over a settled range (28
    days ending 60 days before --now, --now fixed), a second one sends no request (the
    sandbox's log) and its work is under 2 s: the whole command in this process (compile,
    open the store, plan, read the answer back, write it as jsonl to /dev/null), for a
    daily grouping and for the hourly 4-key grouping (that one asks the same stored
    hours), and the planning part alone (``engql.store.collect.planned``), each against
    2 s. The same query's ``engql run`` against the sandbox is shown for context.
(daily) 1,000 Tweets, ``time BETWEEN '2025-01-01' AND now``: collected once at 83 days,
    then once a day for 7 days with --now (and the sandbox's clock) a day later each
    time, up to 90 days, --settle 24h. Requests a day from the sandbox's log against the
    lower bound: the new hours' windows, 25 Tweets a request (40 a day when the new hours
    fit one window). Target within 5 %. One metric (the count of requests does not
    depend on the metrics).
(memory) 10,000 Tweets × 90 days hourly, one metric (impressions: 21.6 M hourly facts),
    by a real ``engql collect`` process into a SQLite file, a daily grouping as jsonl to a
    file, against ``python -m engql sandbox`` in its own process (run_bench.py's
    SandboxProcess). The peak RSS of the engql process alone (os.wait4 in run_bench.py's
    LAUNCHER). Target < 500 MB. It takes minutes.

PostgreSQL is a throwaway server of this machine's binaries, started for the run (the
test suite's tests/postgres_server.py); without one the table says it was not measured.
The in-process measurements run engql's command line in this process, with the
sandbox's credentials in the environment; only loopback traffic.

    .venv/bin/python bench/collect_bench.py [--only write|nothing-new|daily|memory]
        [--quick] [--repeat N] [--databases sqlite,duckdb,postgresql]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import math
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
from harness import machine, median
from run_bench import (
    HIGH_LIMIT,
    LAUNCHER,
    ClientRun,
    Line,
    SandboxProcess,
    child_environment,
    print_lines,
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # postgres_server, the test suite's server

from engql import compile, facts  # noqa: E402
from engql.cli import main as engql_main  # noqa: E402
from engql.credentials import Credentials  # noqa: E402
from engql.executor.runner import Batch  # noqa: E402
from engql.running import run_plan, sandbox_settings  # noqa: E402
from engql.sandbox.server import Sandbox  # noqa: E402
from engql.store import Store  # noqa: E402
from engql.store.collect import DEFAULT_SETTLE, HOURS_QUERY, CollectSink, planned  # noqa: E402
from engql.store.coverage import settled_until  # noqa: E402
from engql.store.fact_rows import fact_rows  # noqa: E402
from engql.store.fetch_plan import CELL_HOURS, HOURS_GROUPING, FetchPlan  # noqa: E402
from engql.store.hours import epoch_hour  # noqa: E402
from engql.store.store import FACT_COLUMNS  # noqa: E402
from engql.times import ceil_hour  # noqa: E402

METRICS = ("impressions", "engagements", "favorites", "retweets", "replies")
DAILY = "tweet.id, engagement.type, engagement.day AS daily"
HOURLY = "tweet.id, engagement.type, engagement.day, engagement.hour AS hourly"
NOW = datetime(2025, 6, 1, tzinfo=UTC)
"""--now of (write) and (nothing-new); their range ends 60 days before it."""
DAILY_START = datetime(2025, 1, 1, tzinfo=UTC)
BATCH = facts.ENDPOINTS["historical"].max_tweet_ids
WRITE_TARGET = 2.0
SECONDS_TARGET = 2.0
DAILY_TARGET = 1.05
MEMORY_TARGET_MB = 500
SETTLE = "24h"
MEMORY_TIMEOUT_SECONDS = 3600
DATABASES = ("sqlite", "duckdb", "postgresql")
NAMES = {"sqlite": "SQLite", "duckdb": "DuckDB", "postgresql": "PostgreSQL"}


@attrs.frozen
class Sizes:
    write_tweets: int
    daily_tweets: int
    daily_days: int
    memory_tweets: int


DEFAULT = Sizes(500, 1_000, 7, 10_000)
QUICK = Sizes(100, 250, 3, 1_000)


# --- inputs -----------------------------------------------------------------------------


def tweet_ids(count: int, before: datetime, seed: int) -> list[str]:
    """``count`` distinct Snowflake IDs of Tweets created in the 60 days before ``before``."""
    rng = random.Random(seed)
    low = facts.snowflake_id_at(before - timedelta(days=60))
    high = facts.snowflake_id_at(before - timedelta(hours=1))
    found: dict[int, None] = {}
    while len(found) < count:
        found[rng.randint(low, high)] = None
    return [str(i) for i in found]


def query_text(metrics: Sequence[str], start: str, end: str, groups: str) -> str:
    """A /historical statement over the Tweets of ids.txt; ``end`` may be ``now``."""
    return (
        f"SELECT {', '.join(metrics)} FROM historical WHERE tweet IN FILE 'ids.txt'\n"
        f"  AND time BETWEEN {start} AND {end}\nGROUP BY {groups};\n"
    )


def settled_range(now: datetime) -> tuple[str, str]:
    """28 days ending 60 days before ``now``, as quoted dates: every hour long settled."""
    end = now - timedelta(days=60)
    return f"'{end - timedelta(days=28):%Y-%m-%d}'", f"'{end:%Y-%m-%d}'"


def query_folder(parent: Path, name: str, ids: Sequence[str], texts: dict[str, str]) -> Path:
    """A folder with ids.txt and a query file per ``texts`` entry (NAME.engql)."""
    folder = parent / name
    folder.mkdir()
    (folder / "ids.txt").write_text("\n".join(ids) + "\n", encoding="utf-8")
    for file, text in texts.items():
        (folder / f"{file}.engql").write_text(text, encoding="utf-8")
    return folder


# --- databases --------------------------------------------------------------------------


class Databases:
    """Fresh stores of each database asked for; PostgreSQL on a server of its own, each
    store a role with a schema of its own (as the tests make them), its password in
    PGPASSWORD."""

    def __init__(self, names: Sequence[str], temp: Path, stack: contextlib.ExitStack) -> None:
        self.temp = temp
        self.names = list(names)
        self.skipped: dict[str, str] = {}
        self._made = 0
        self._server: Any = None
        if "postgresql" in self.names:
            from postgres_server import ServerUnavailable, start_server

            try:
                self._server = start_server()
            except ServerUnavailable as error:
                self.names.remove("postgresql")
                self.skipped["postgresql"] = str(error)
                return
            stack.callback(self._server.stop)
            stack.enter_context(environment(PGPASSWORD=self._server.password))

    def fresh(self, database: str) -> str:
        """The URL of a new, empty store."""
        self._made += 1
        if database == "sqlite":
            return f"sqlite:///{self.temp}/store-{self._made}.db"
        if database == "duckdb":
            return f"duckdb:///{self.temp}/store-{self._made}.duckdb"
        return str(self._server.create_store())

    def drop(self, url: str) -> None:
        """Remove a store made by ``fresh`` (its files, or its schema and role)."""
        if url.startswith("postgresql:"):
            from postgres_server import DATABASE

            user = url.split("://", 1)[1].split("@", 1)[0]
            with self._server.admin(DATABASE) as admin:
                admin.execute(f"DROP SCHEMA {user} CASCADE")
                admin.execute(f"DROP ROLE {user}")
            return
        path = Path(url.split(":///", 1)[1])
        for suffix in ("", "-wal", "-shm", ".wal"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)


@contextlib.contextmanager
def environment(**values: str) -> Iterator[None]:
    """This process's environment with ``values`` set, as it was afterwards."""
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


# --- engql in this process --------------------------------------------------------------


@contextlib.contextmanager
def sandbox_environment(sandbox: Sandbox, temp: Path) -> Iterator[None]:
    """This process's environment pointing engql at ``sandbox``, with no profile file."""
    values = dict(line.partition("=")[::2] for line in sandbox.env_lines())
    with environment(**values, XDG_CONFIG_HOME=str(temp / "config")):
        for name in list(os.environ):
            if name.startswith(("ENGQL_", "TWITTER_")) and name not in values:
                del os.environ[name]
        yield


@attrs.frozen
class Command:
    seconds: float
    requests: int
    """Requests the sandbox logged while it ran."""


def engql_command(sandbox: Sandbox, *argv: str) -> Command:
    """One engql command line run in this process, data to /dev/null, its summary line
    kept from the table (printed when it fails)."""
    before = len(sandbox.log.entries())
    said = io.StringIO()
    gc.collect()
    with (
        open(os.devnull, "w", encoding="utf-8") as null,
        contextlib.redirect_stdout(null),
        contextlib.redirect_stderr(said),
    ):
        began = time.perf_counter()
        code = engql_main(list(argv))
        seconds = time.perf_counter() - began
    if code != 0:
        tail = " | ".join(said.getvalue().strip().splitlines()[-3:])
        print(f"  warning: engql {argv[0]} exited {code}: {tail[:400]}")
    logged = sandbox.log.entries()[before:]
    refused = [entry.status for entry in logged if entry.status != 200]
    if refused:
        print(
            f"  warning: the sandbox answered {len(refused)} requests with {sorted(set(refused))}"
        )
    return Command(seconds, len(logged))


def collect_argv(query: Path, url: str, now: datetime) -> list[str]:
    return [
        "collect", str(query), "--store", url, "--now", now.isoformat(), "--format", "jsonl",
        "--no-progress", "--settle", SETTLE,
    ]  # fmt: skip


class Recorder:
    """A sink that keeps each batch of a run (the fetch plan's answers) as it comes."""

    def __init__(self) -> None:
        self.batches: list[Batch] = []

    def begin(self) -> None:
        pass

    def write_batch(self, batch: Batch) -> None:
        self.batches.append(batch)

    def finish(self, result: Any, exit: Any) -> None:
        pass

    def abort(self, outcome: str) -> None:
        raise SystemExit(f"fetching the answers stopped: {outcome}")


# --- (write) ----------------------------------------------------------------------------


def bare_rows(batches: Sequence[Batch], db: Any, fetched_at: datetime) -> list[tuple[Any, ...]]:
    """The fact rows CollectSink stores for ``batches``, as tuples in ``db``'s form."""
    rows: list[tuple[Any, ...]] = []
    for batch in batches:
        request = batch.plan.requests[batch.batch]
        metrics = tuple(request.body[facts.ENGAGEMENT_TYPES_FIELD])
        answer = {HOURS_GROUPING: batch.answer[HOURS_GROUPING]}
        tail = (db.stamp(fetched_at), 1)
        rows += fact_rows(batch.plan.query, answer, db.stamp, (HOURS_QUERY,), tail, metrics)
    return rows


def facts_stored(store: Store) -> tuple[int, int]:
    count, total = store.query("SELECT count(*), sum(value) FROM facts")[0]
    return int(count), int(total or 0)


def write_speed(sizes: Sizes, repeat: int, databases: Databases, temp: Path) -> None:
    start, end = settled_range(NOW)
    ids = tweet_ids(sizes.write_tweets, NOW - timedelta(days=90), seed=1)
    folder = query_folder(temp, "write", ids, {"q": query_text(METRICS, start, end, DAILY)})
    text = (folder / "q.engql").read_text(encoding="utf-8")
    plan = compile(text, now=NOW, allow_files=True, base_dir=folder)
    scratch = databases.fresh("sqlite")
    with Store.open(scratch) as store:
        fetch = planned(plan, store)
    databases.drop(scratch)
    recorder = Recorder()
    with Sandbox(now=NOW, rate_limit=HIGH_LIMIT) as sandbox:
        credentials = Credentials.from_settings(sandbox_settings(sandbox))
        run_plan(fetch.plan, credentials, sandbox.base_url, sink=recorder)
        sent = len(sandbox.log.entries())
    facts_count = sizes.write_tweets * 28 * 24 * len(METRICS)
    print(
        f"(write) {sizes.write_tweets:,} Tweets × 28 days hourly × {len(METRICS)} metrics = "
        f"{facts_count:,} facts; {sent} requests' answers fetched once (not timed); median "
        f"of {repeat}, fresh stores each round ..."
    )
    sys.stdout.flush()
    lines: list[Line] = []
    for database in databases.names:
        engql_times, bare_times = [], []
        stored: set[tuple[int, int]] = set()
        url = databases.fresh(database)
        with Store.open(url) as store:
            began = time.perf_counter()
            rows = bare_rows(recorder.batches, store.db, NOW)
            building = time.perf_counter() - began
        databases.drop(url)
        gc.freeze()  # the rows and answers held here are not the collection's to collect
        for round_number in range(repeat):
            order = ("engql", "bare") if round_number % 2 == 0 else ("bare", "engql")
            for side in order:
                url = databases.fresh(database)
                with Store.open(url) as store:
                    if side == "engql":
                        engql_times.append(write_through_sink(store, plan, fetch, recorder))
                    else:
                        bare_times.append(bare_insert(store, rows))
                    stored.add(facts_stored(store))
                databases.drop(url)
        gc.unfreeze()
        del rows
        gc.collect()
        engql, bare = median(engql_times), median(bare_times)
        same = "the same rows" if len(stored) == 1 else f"DIFFERENT rows: {sorted(stored)}"
        name = NAMES[database]
        lines.append(Line(f"{name}: bare Database.insert (baseline)", f"{bare:.2f} s"))
        lines.append(
            Line(
                f"{name}: CollectSink.write_batch × {len(recorder.batches)}",
                f"{engql:.2f} s",
                f"{bare:.2f} s",
                engql / bare,
                f"≤ {WRITE_TARGET:g}×",
                engql / bare <= WRITE_TARGET,
            )
        )
        lines.append(
            Line(f"{name}: of that, fact_rows of the answers alone (once)", f"{building:.2f} s")
        )
        count = next(iter(stored))[0]
        lines.append(Line(f"{name}: facts stored, both sides ({same})", f"{count:,}"))
    for database, why in databases.skipped.items():
        lines.append(Line(f"{NAMES[database]}: not measured", why[:100]))
    print_lines("writing the hourly facts, against a bare bulk insert of the same rows", lines)


def write_through_sink(store: Store, plan: Any, fetch: FetchPlan, recorder: Recorder) -> float:
    sink = CollectSink(store, plan, fetch, DEFAULT_SETTLE, FixedClock(NOW))
    sink.begin()
    gc.collect()
    began = time.perf_counter()
    for batch in recorder.batches:
        sink.write_batch(batch)
    return time.perf_counter() - began


def bare_insert(store: Store, rows: Sequence[tuple[Any, ...]]) -> float:
    db = store.db
    gc.collect()
    began = time.perf_counter()
    with db.transaction():
        db.insert("facts", FACT_COLUMNS, rows)
    return time.perf_counter() - began


class FixedClock:
    """--now as the sink's clock, so its rows' ``fetched_at`` is bare_rows' too."""

    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now


# --- (nothing-new) ----------------------------------------------------------------------


def nothing_new(sizes: Sizes, repeat: int, databases: Databases, temp: Path) -> None:
    start, end = settled_range(NOW)
    ids = tweet_ids(sizes.write_tweets, NOW - timedelta(days=90), seed=1)
    texts = {"daily": query_text(METRICS, start, end, DAILY)}
    texts["hourly"] = query_text(METRICS, start, end, HOURLY)
    folder = query_folder(temp, "nothing-new", ids, texts)
    queries = {name: folder / f"{name}.engql" for name in texts}
    print(
        f"(nothing-new) {sizes.write_tweets:,} Tweets × 28 days hourly × {len(METRICS)} "
        f"metrics, settled (range {start}..{end}, --now {NOW:%Y-%m-%d}); a first collection "
        f"of the daily query, then both queries again; median of {repeat} ..."
    )
    sys.stdout.flush()
    lines: list[Line] = []
    with Sandbox(now=NOW, rate_limit=HIGH_LIMIT) as sandbox, sandbox_environment(sandbox, temp):
        direct: dict[str, list[float]] = {name: [] for name in queries}
        for database in databases.names:
            url = databases.fresh(database)
            name = NAMES[database]
            first = engql_command(sandbox, *collect_argv(queries["daily"], url, NOW))
            seconds: dict[str, list[float]] = {q: [] for q in queries}
            requests: list[int] = []
            for _ in range(repeat):
                for query_name, query in queries.items():
                    again = engql_command(sandbox, *collect_argv(query, url, NOW))
                    seconds[query_name].append(again.seconds)
                    requests.append(again.requests)
                    if len(direct[query_name]) < repeat:
                        argv = ["run", str(query), "--now", NOW.isoformat(), "--format", "jsonl"]
                        direct[query_name].append(
                            engql_command(sandbox, *argv, "--no-progress").seconds
                        )
            planning = planning_seconds(queries["daily"], url, repeat)
            databases.drop(url)
            lines.append(
                Line(
                    f"{name}: first collection ({first.requests} requests)",
                    f"{first.seconds:.2f} s",
                )
            )
            lines.append(
                Line(
                    f"{name}: requests of the second collections",
                    ",".join(map(str, sorted(set(requests)))),
                    "0",
                    None,
                    "none",
                    set(requests) == {0},
                )
            )
            for query_name in queries:
                collected = median(seconds[query_name])
                ran = median(direct[query_name])
                lines.append(
                    Line(
                        f"{name}: second collect, {query_name} grouping, whole command",
                        f"{collected:.2f} s",
                        f"{ran:.2f} s (run)",
                        collected / ran,
                        f"< {SECONDS_TARGET:g} s",
                        collected < SECONDS_TARGET,
                    )
                )
            lines.append(
                Line(
                    f"{name}: planning alone (planned)",
                    f"{planning:.3f} s",
                    "",
                    None,
                    f"< {SECONDS_TARGET:g} s",
                    planning < SECONDS_TARGET,
                )
            )
    for query_name in queries:
        lines.append(
            Line(
                f"engql run of the {query_name} query against the sandbox",
                f"{median(direct[query_name]):.2f} s",
            )
        )
    for database, why in databases.skipped.items():
        lines.append(Line(f"{NAMES[database]}: not measured", why[:100]))
    print_lines("a collection with nothing new; ratio against engql run of the same query", lines)


def planning_seconds(query: Path, url: str, repeat: int) -> float:
    plan = compile(
        query.read_text(encoding="utf-8"), now=NOW, allow_files=True, base_dir=query.parent
    )
    times = []
    with Store.open(url) as store:
        for _ in range(repeat):
            gc.collect()
            began = time.perf_counter()
            fetch = planned(plan, store)
            times.append(time.perf_counter() - began)
            if fetch.plan.requests:
                print(f"  warning: planned() found {len(fetch.plan.requests)} requests to send")
    return median(times)


# --- (daily) ----------------------------------------------------------------------------


def daily(sizes: Sizes, databases: Databases, temp: Path) -> None:
    tweets, days = sizes.daily_tweets, sizes.daily_days
    ids = tweet_ids(tweets, DAILY_START, seed=2)
    text = query_text(["impressions"], f"'{DAILY_START:%Y-%m-%d}'", "now", DAILY)
    query = query_folder(temp, "daily", ids, {"q": text}) / "q.engql"
    first_now = DAILY_START + timedelta(days=90 - days)
    clock = [first_now]
    settle = timedelta(hours=24)
    url = databases.fresh("sqlite")
    print(
        f"(daily) {tweets:,} Tweets, impressions, time BETWEEN '{DAILY_START:%Y-%m-%d}' AND "
        f"now: collected at {90 - days} days, then once a day for {days} days, --settle "
        f"{SETTLE}, SQLite ..."
    )
    sys.stdout.flush()
    per_day: list[int] = []
    bounds: list[int] = []
    walls: list[float] = []
    with (
        Sandbox(now=lambda: clock[0], rate_limit=HIGH_LIMIT) as sandbox,
        sandbox_environment(sandbox, temp),
    ):
        first = engql_command(sandbox, *collect_argv(query, url, first_now))
        first_bound = request_bound(tweets, epoch_hour(DAILY_START), first_now)
        for day in range(1, days + 1):
            previous = clock[0]
            clock[0] = first_now + timedelta(days=day)
            done = engql_command(sandbox, *collect_argv(query, url, clock[0]))
            per_day.append(done.requests)
            walls.append(done.seconds)
            bounds.append(request_bound(tweets, settled_until(previous, settle), clock[0]))
    databases.drop(url)
    ratio = sum(per_day) / sum(bounds)
    worst = max(n / b for n, b in zip(per_day, bounds, strict=True))
    lines = [
        Line(
            f"first collection, {90 - days} days",
            f"{first.requests} requests",
            f"{first_bound}",
            first.requests / first_bound,
        ),
        Line(
            f"requests a day, {days} days",
            ",".join(map(str, per_day)),
            ",".join(map(str, sorted(set(bounds)))),
            ratio,
            f"≤ {DAILY_TARGET:g}×",
            ratio <= DAILY_TARGET,
        ),
        Line(
            "worst day",
            f"{max(per_day)} requests",
            "",
            worst,
            f"≤ {DAILY_TARGET:g}×",
            worst <= DAILY_TARGET,
        ),
        Line("first collection, wall time", f"{first.seconds:.1f} s"),
        Line("daily collections, wall time (median)", f"{median(walls):.1f} s"),
    ]
    print_lines(
        f"requests against the lower bound: the new hours' windows, {BATCH} Tweets a request",
        lines,
    )


def request_bound(tweets: int, first_hour: int, now: datetime) -> int:
    """The fewest requests for ``tweets`` Tweets' hours from ``first_hour`` to ``now``:
    one window holds at most 28 days, one request 25 Tweets."""
    hours = epoch_hour(ceil_hour(now)) - first_hour
    return math.ceil(tweets / BATCH) * math.ceil(hours / CELL_HOURS)


# --- (memory) ---------------------------------------------------------------------------


def measured_run(command: Sequence[str], env: dict[str, str], cwd: Path, stdout: Path) -> ClientRun:
    """One process to its end, with its own peak RSS (run_bench.py's LAUNCHER)."""
    report = stdout.with_suffix(".rusage")
    errors = stdout.with_suffix(".stderr")
    launch = [sys.executable, "-S", "-c", LAUNCHER, str(report), *command]
    with stdout.open("wb") as out, errors.open("wb") as err:
        began = time.time()
        started = time.perf_counter()
        process = subprocess.Popen(
            launch, stdout=out, stderr=err, cwd=cwd, env=env, start_new_session=True
        )
        try:
            code = process.wait(timeout=MEMORY_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            code = process.wait(timeout=10)
        wall = time.perf_counter() - started
    cpu, maxrss = report.read_text().split() if report.exists() else ("nan", "0")
    return ClientRun(
        began,
        wall,
        float(cpu),
        int(maxrss) * 1024,
        code,
        errors.read_text(encoding="utf-8", errors="replace"),
    )


def memory(sizes: Sizes, temp: Path) -> None:
    tweets = sizes.memory_tweets
    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=2)
    start = end - timedelta(days=90)
    ids = tweet_ids(tweets, start, seed=3)
    text = query_text(["impressions"], f"'{start:%Y-%m-%d}'", f"'{end:%Y-%m-%d}'", DAILY)
    folder = query_folder(temp, "memory", ids, {"q": text})
    store = temp / "memory.db"
    hours = 90 * 24
    requests = math.ceil(tweets / BATCH) * math.ceil(hours / CELL_HOURS)
    print(
        f"(memory) {tweets:,} Tweets × 90 days hourly × impressions = {tweets * hours:,} "
        f"facts, {requests:,} requests, into SQLite; engql collect in its own process, the "
        "sandbox in another; this takes minutes ..."
    )
    sys.stdout.flush()
    env = child_environment(str(temp / "pycache"))
    env.pop("PGPASSWORD", None)  # (write)'s server's, nothing of this run's
    with SandboxProcess(env, HIGH_LIMIT) as sandbox:
        command = [
            sys.executable, "-m", "engql", "collect", str(folder / "q.engql"),
            "--store", f"sqlite:///{store}", "--format", "jsonl", "--no-progress",
            "--base-url", sandbox.base_url,
        ]  # fmt: skip
        run = measured_run(command, sandbox.env, folder, temp / "memory.jsonl")
        seen = len(sandbox.since(0))
    if run.exit_code != 0:
        tail = " | ".join(run.stderr.strip().splitlines()[-3:])
        print(f"  warning: engql collect exited {run.exit_code}: {tail[:400]}")
    with contextlib.closing(sqlite3.connect(store)) as connection:
        (stored,) = connection.execute("SELECT count(*) FROM facts").fetchone()
    size = sum(p.stat().st_size for p in temp.glob("memory.db*"))
    with (temp / "memory.jsonl").open("rb") as lines_out:
        rows = sum(1 for _ in lines_out)
    peak = run.peak_rss / 1e6
    lines = [
        Line(
            "engql collect peak RSS",
            f"{peak:.0f} MB",
            f"{MEMORY_TARGET_MB} MB",
            peak / MEMORY_TARGET_MB,
            f"< {MEMORY_TARGET_MB} MB",
            peak < MEMORY_TARGET_MB,
        ),
        Line("wall time; CPU of the engql process", f"{run.wall:.0f} s; {run.cpu:.0f} s"),
        Line("requests the sandbox received", f"{seen:,}", f"{requests:,}"),
        Line("hourly facts stored", f"{stored:,}", f"{tweets * hours:,}"),
        Line("store size on disk", f"{size / 1e9:.2f} GB"),
        Line("daily rows written", f"{rows:,}", f"{tweets * 90:,}"),
    ]
    print_lines("the engql process alone (os.wait4)", lines)


# --- main -------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", choices=("write", "nothing-new", "daily", "memory"), help="one measurement"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="100 Tweets for write and nothing-new, 250 Tweets × 3 days for daily, 1,000 "
        "Tweets for memory; one round",
    )
    parser.add_argument("--repeat", type=int, help="rounds; the median is shown (3; --quick 1)")
    parser.add_argument(
        "--databases",
        default=",".join(DATABASES),
        help="the databases of write and nothing-new (sqlite,duckdb,postgresql)",
    )
    args = parser.parse_args(argv)
    chosen_databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    unknown = set(chosen_databases) - set(DATABASES)
    if unknown:
        parser.error(f"--databases: not one of {', '.join(DATABASES)}: {', '.join(unknown)}")
    sizes = QUICK if args.quick else DEFAULT
    repeat = args.repeat or (1 if args.quick else 3)
    chosen = [args.only] if args.only else ["write", "nothing-new", "daily", "memory"]
    print(f"engql collect into stores against the sandbox; {machine()}")
    with contextlib.ExitStack() as stack:
        temp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="engql-collect-")))
        needs_databases = {"write", "nothing-new"} & set(chosen)
        databases = Databases(chosen_databases if needs_databases else [], temp, stack)
        measurements: dict[str, Callable[[], None]] = {
            "write": lambda: write_speed(sizes, repeat, databases, temp),
            "nothing-new": lambda: nothing_new(sizes, repeat, databases, temp),
            "daily": lambda: daily(sizes, databases, temp),
            "memory": lambda: memory(sizes, temp),
        }
        for at, which in enumerate(chosen):
            if at:
                print()
            measurements[which]()


if __name__ == "__main__":
    main()
