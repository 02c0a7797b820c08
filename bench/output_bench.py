"""``engql run -o`` in each output format against jsonl: time, CPU and peak memory.

One /historical statement, hourly over 28 days with one metric, grouped by tweet.id
first so that it streams: each batch's merged answer is written and forgotten. It runs
as ``engql run q.engql --format F -o out.F`` against ``python -m engql sandbox`` in
another process (run_bench.py's SandboxProcess), each client forked from run_bench.py's
LAUNCHER, so its CPU time and peak RSS are its own. The baseline is jsonl, which is
known to stream; csv, parquet and xlsx are shown as ratios to it, and json, which holds
the whole answer before it writes, as the contrast.

Why a real run and not the writers fed batches in-process: the claim ("a million Tweets
do not sit in memory") is about a run, where the executor, the merge and the writer hold
memory together; on 2 cores the sandbox run of 1.3 M rows takes about 8 s, so the honest
measure is affordable. Why hourly rows from few Tweets: a writer holds rows, not Tweets,
and the plan holds every Tweet ID, so a /totals run's peak grows with its Tweets whatever
the writer does (run_bench.py (c)); at 672 rows a Tweet the plan stays small and what
grows is the rows. Each format runs at N and 4N Tweets (--growth); a streamed format's
peak must grow no more than jsonl's, plus run_bench.py's 10 MB allowance. xlsx is slow
(about 60 s a million rows, and as long to read back), so it runs at N ÷ 4 and N by
default (--xlsx-tweets), beside jsonl at the same sizes.

Every file of the last round is read back with the tool a user would load it with (the
csv module, pyarrow, openpyxl, json) and its rows counted against Tweets × hours, so an
empty or cut-short run cannot pass for a fast one.

    .venv/bin/python bench/output_bench.py [--repeat 1] [--tweets 500] [--growth 4]
        [--xlsx-tweets N] [--days 28]
"""

from __future__ import annotations

import csv
import json
import math
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from collect_bench import BATCH, HOURLY, query_folder, query_text, tweet_ids
from harness import argument_parser, machine, median
from run_bench import (
    GROWTH_ALLOWANCE_MB,
    HIGH_LIMIT,
    ClientRun,
    SandboxProcess,
    child_environment,
    failed,
    run_client,
)

from engql.store.fetch_plan import CELL_HOURS

BASELINE = "jsonl"
STREAMED = ("csv", "parquet", "xlsx")
CONTRAST = "json"
"""Holds the whole merged answer until the run ends: its peak grows with the rows."""
FORMATS = (BASELINE, *STREAMED, CONTRAST)
METRIC = "impressions"


def rows_read_back(fmt: str, path: Path) -> int:
    """The rows of ``path`` as the tool a user would load it with counts them."""
    if fmt == "jsonl":
        with path.open("rb") as lines:
            return sum(1 for _ in lines)
    if fmt == "csv":
        with path.open(newline="", encoding="utf-8") as file:
            return sum(1 for _ in csv.reader(file)) - 1  # the header
    if fmt == "parquet":
        import pyarrow.parquet  # type: ignore[import-untyped]

        rows: int = pyarrow.parquet.read_table(path).num_rows
        return rows
    if fmt == "xlsx":
        import openpyxl  # type: ignore[import-untyped]

        book = openpyxl.load_workbook(path, read_only=True)
        return sum(sum(1 for _ in sheet.iter_rows(min_row=2)) for sheet in book.worksheets)
    answer = json.loads(path.read_text(encoding="utf-8"))["hourly"]
    return sum(len(hours) for tweet in answer.values() for hours in tweet[METRIC].values())


def engql_run(fmt: str, out: Path, base_url: str) -> list[str]:
    return [
        sys.executable, "-m", "engql", "run", "q.engql", "--format", fmt, "-o", str(out),
        "--base-url", base_url, "--no-progress",
    ]  # fmt: skip


def print_grid(title: str, heads: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A table: the first column to the left, the others to the right."""
    widths = [max(len(row[i]) for row in (heads, *rows)) for i in range(len(heads))]
    print(title)
    for row in (heads, *rows):
        cells = [cell.rjust(width) for cell, width in zip(row, widths, strict=True)]
        cells[0] = row[0].ljust(widths[0])
        print("  " + "  ".join(cells))
    sys.stdout.flush()


def main() -> None:
    parser = argument_parser(__doc__.splitlines()[0], repeat=1)
    parser.add_argument("--tweets", type=int, default=500, help="Tweets at the smaller size (500)")
    parser.add_argument("--growth", type=int, default=4, help="the larger size ÷ the smaller (4)")
    parser.add_argument("--xlsx-tweets", type=int, help="xlsx's smaller size (tweets ÷ growth)")
    parser.add_argument("--days", type=int, default=28, help="days of hours a Tweet (28)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    xlsx_tweets = args.xlsx_tweets or max(args.tweets // args.growth, 1)
    sizes: dict[str, tuple[int, ...]] = {
        fmt: (args.tweets, args.tweets * args.growth) for fmt in FORMATS
    }
    xlsx = (xlsx_tweets, xlsx_tweets * args.growth)
    sizes["xlsx"] = xlsx
    sizes[BASELINE] = tuple(sorted({n for pair in sizes.values() for n in pair}))
    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=2)
    start = end - timedelta(days=args.days)
    hours = args.days * 24
    text = query_text([METRIC], f"'{start:%Y-%m-%d}'", f"'{end:%Y-%m-%d}'", HOURLY)
    ids = tweet_ids(max(sizes[BASELINE]), start, args.seed)
    print(
        f"engql run -o in each format, {METRIC} hourly over {args.days} days ({hours} rows a "
        f"Tweet), against `engql sandbox` in another process; median of {args.repeat}; "
        f"{machine()}"
    )
    sys.stdout.flush()

    runs: dict[tuple[str, int], list[ClientRun]] = {}
    with tempfile.TemporaryDirectory(prefix="engql-bench-") as folder:
        temp = Path(folder)
        env = child_environment(str(temp / "pycache"))
        folders = {n: query_folder(temp, str(n), ids[:n], {"q": text}) for n in sizes[BASELINE]}
        warm = query_folder(temp, "warm", ids[:1], {"q": text})
        with SandboxProcess(env, HIGH_LIMIT) as sandbox:

            def run(fmt: str, where: Path, what: str) -> ClientRun:
                out = where / f"out.{fmt}"
                command = engql_run(fmt, out, sandbox.base_url)
                done = run_client(command, sandbox.env, where, out.with_suffix(".log"))
                failed(done, what)
                return done

            for fmt in FORMATS:  # fills the bytecode cache (pyarrow's too); not counted
                run(fmt, warm, f"{fmt} warm-up")
            for _ in range(args.repeat):
                for n, where in folders.items():
                    for fmt in (f for f in FORMATS if n in sizes[f]):
                        runs.setdefault((fmt, n), []).append(run(fmt, where, f"{fmt} at {n:,}"))
        read = {(fmt, n): rows_read_back(fmt, folders[n] / f"out.{fmt}") for fmt, n in runs}

    def wall(fmt: str, n: int) -> float:
        return median([r.wall for r in runs[(fmt, n)]])

    def cpu(fmt: str, n: int) -> float:
        return median([r.cpu for r in runs[(fmt, n)]])

    def peak(fmt: str, n: int) -> float:
        return median([r.peak_rss for r in runs[(fmt, n)]]) / 1e6

    for n in sizes[BASELINE]:
        requests = math.ceil(n / BATCH) * math.ceil(hours / CELL_HOURS)
        grid = []
        for fmt in (f for f in FORMATS if n in sizes[f]):
            verdict = "equal" if read[(fmt, n)] == n * hours else "MISSED"
            grid.append(
                (
                    fmt,
                    f"{wall(fmt, n):.2f}",
                    f"{wall(fmt, n) / wall(BASELINE, n):.2f}×",
                    f"{cpu(fmt, n):.2f}",
                    f"{cpu(fmt, n) / cpu(BASELINE, n):.2f}×",
                    f"{peak(fmt, n):.0f}",
                    f"{peak(fmt, n) / peak(BASELINE, n):.2f}×",
                    f"{read[(fmt, n)]:,} ({verdict})",
                )
            )
        print()
        print_grid(
            f"{n:,} Tweets: {n * hours:,} rows, {requests:,} requests; ratios to jsonl",
            ("format", "wall s", "ratio", "CPU s", "ratio", "peak MB", "ratio", "rows read back"),
            grid,
        )

    pairs = [(fmt, sizes[fmt][0], sizes[fmt][1]) for fmt in FORMATS if fmt != BASELINE]
    pairs.insert(0, (BASELINE, args.tweets, args.tweets * args.growth))
    if xlsx_tweets != args.tweets:
        pairs.insert(pairs.index(("xlsx", *xlsx)), (BASELINE, *xlsx))
    growth = []
    for fmt, small, big in pairs:
        grew = peak(fmt, big) - peak(fmt, small)
        allowed = peak(BASELINE, big) - peak(BASELINE, small) + GROWTH_ALLOWANCE_MB
        if fmt == BASELINE:
            target = "baseline"
        elif fmt == CONTRAST:
            target = "(contrast: holds the answer)"
        else:
            met = "met" if grew <= allowed else "MISSED"
            target = f"≤ {allowed:+.0f} MB, jsonl's + {GROWTH_ALLOWANCE_MB} ({met})"
        growth.append(
            (
                fmt,
                f"{small:,} → {big:,}",
                f"{peak(fmt, small):.0f} → {peak(fmt, big):.0f}",
                f"{peak(fmt, big) / peak(fmt, small):.2f}×",
                f"{grew:+.0f} MB",
                target,
            )
        )
    print()
    print_grid(
        f"peak RSS as the Tweets grow {args.growth}×, against jsonl's over the same sizes",
        ("format", "Tweets", "peak MB", "ratio", "growth", "target"),
        growth,
    )


if __name__ == "__main__":
    main()
