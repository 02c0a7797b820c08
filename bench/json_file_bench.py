"""Compile ``tweet IN FILE 'tweets.jsonl'``: a twarc2 file of 1,000,000 Tweets.

The file has 10,000 pages of 100 Tweets, one page a line as twarc2 writes them: each
Tweet with its text, author, conversation, creation time, entities, referenced Tweets
and public metrics, each page with the users and Tweets it refers to in ``includes``,
its ``meta`` and twarc2's ``__twarc``. Each candidate runs in a child process of its
own, so that its peak memory (VmHWM, Linux) is its own:

- the baseline: read the file and ``json.loads`` each line, keeping each page's
  ``data[].id``: the least work that gives the IDs;
- ``engql.compile`` of the statement with ``allow_files=True`` (reading, checking,
  planning and ``json.dumps`` of every body, as file_bench.py does);
- the same on a file of the same IDs one a line (the plain fast path), for comparison;
- ``jq -r '.data[].id'`` when jq is installed, for information.

    .venv/bin/python bench/json_file_bench.py [--repeat 1] [--pages 10000]
"""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import Row, argument_parser, machine, median, print_table

BASELINE = """
import json, sys
ids = []
with open(sys.argv[1], encoding="utf-8") as file:
    for line in file:
        if line.strip():
            ids.extend(tweet["id"] for tweet in json.loads(line)["data"])
print(len(ids))
"""
ENGQL = """
import json, sys
from datetime import UTC, datetime
import engql
plan = engql.compile(
    f"SELECT favorites FROM totals WHERE tweet IN FILE '{sys.argv[1]}';",
    now=datetime(2026, 11, 26, 12, 0, tzinfo=UTC),
    allow_files=True,
)
bodies = [json.dumps(request.body) for request in plan.requests]
print(sum(len(request.body["tweet_ids"]) for request in plan.requests))
"""
TIMED = """
import re, sys, time
began = time.perf_counter()
exec(compile({code!r}, "<candidate>", "exec"))
took = time.perf_counter() - began
with open("/proc/self/status") as status:
    peak = int(re.search(r"VmHWM:\\s*(\\d+)", status.read())[1]) * 1024
print(took, peak, file=sys.stderr)
"""
WORDS = ["engagement", "launch", "metrics", "día", "🚀", "#python", "data", "thread", "new"]


def tweet(rng: random.Random) -> tuple[str, dict[str, object]]:
    tweet_id = str(rng.randint(10**18, 2**63 - 1))
    author = str(rng.randint(10**8, 10**19))
    other = str(rng.randint(10**18, 2**63 - 1))
    text = "@someone " + " ".join(rng.choice(WORDS) for _ in range(18)) + " https://t.co/x1"
    return tweet_id, {
        "edit_history_tweet_ids": [tweet_id],
        "author_id": author,
        "conversation_id": other,
        "created_at": "2023-03-01T12:34:56.000Z",
        "entities": {
            "mentions": [{"start": 0, "end": 8, "username": "someone", "id": author}],
            "hashtags": [{"start": 40, "end": 47, "tag": "python"}],
            "urls": [{"start": 120, "end": 135, "url": "https://t.co/x1", "display_url": "x.com"}],
        },
        "referenced_tweets": [{"type": "replied_to", "id": other}],
        "public_metrics": {
            "retweet_count": rng.randrange(100),
            "reply_count": rng.randrange(10),
            "like_count": rng.randrange(1000),
            "quote_count": 0,
            "bookmark_count": 0,
            "impression_count": rng.randrange(10**5),
        },
        "lang": "en",
        "possibly_sensitive": False,
        "reply_settings": "everyone",
        "text": text,
        "id": tweet_id,
    }


def page(rng: random.Random, size: int, ids: list[str]) -> str:
    data = []
    for _ in range(size):
        tweet_id, found = tweet(rng)
        ids.append(tweet_id)
        data.append(found)
    users = [
        {
            "id": t["author_id"],
            "name": "Some One",
            "username": "someone",
            "created_at": "2010-01-01T00:00:00.000Z",
            "public_metrics": {"followers_count": 10, "following_count": 5, "tweet_count": 100},
        }
        for t in data[:20]
    ]
    referenced = [{"id": t["conversation_id"], "text": "the Tweet replied to"} for t in data[:10]]
    return json.dumps(
        {
            "data": data,
            "includes": {"users": users, "tweets": referenced},
            "meta": {
                "newest_id": ids[-size],
                "oldest_id": ids[-1],
                "result_count": size,
                "next_token": "b26v89c19zqg8o3fpzbkk",
            },
            "__twarc": {
                "url": "https://api.twitter.com/2/tweets/search/all?query=engql&max_results=100",
                "version": "2.14.0",
                "retrieved_at": "2023-03-01T12:35:00+00:00",
            },
        }
    )


def write_files(folder: Path, pages: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    ids: list[str] = []
    with open(folder / "tweets.jsonl", "w", encoding="utf-8") as file:
        for _ in range(pages):
            file.write(page(rng, 100, ids) + "\n")
    (folder / "ids.txt").write_text("\n".join(ids) + "\n", encoding="utf-8")
    return ids


def run_child(command: list[str], folder: Path) -> tuple[float, int, str]:
    """Seconds of the work inside the child, its peak memory in bytes, and its output."""
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, check=True)
    took, peak = done.stderr.split()
    return float(took), int(peak), done.stdout.strip()


def python_child(code: str, name: str) -> list[str]:
    return [sys.executable, "-c", TIMED.format(code=code), name]


def jq_child(folder: Path) -> tuple[float, int, str] | None:
    jq = shutil.which("jq")
    if jq is None:
        return None
    began = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", jq, "-r", ".data[].id", "tweets.jsonl"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    )
    took = time.perf_counter() - began
    kilobytes = re.findall(r"^(\d+)$", done.stderr, re.M)
    return took, int(kilobytes[-1]) * 1024 if kilobytes else 0, str(done.stdout.count("\n"))


def main() -> None:
    parser = argument_parser(__doc__.splitlines()[0], repeat=1)
    parser.add_argument("--pages", type=int, default=10_000, help="pages of 100 Tweets (10000)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="engql-bench-") as temp:
        folder = Path(temp)
        ids = write_files(folder, args.pages, args.seed)
        size = (folder / "tweets.jsonl").stat().st_size
        plain_size = (folder / "ids.txt").stat().st_size
        candidates = {
            "baseline": python_child(BASELINE, "tweets.jsonl"),
            "json": python_child(ENGQL, "tweets.jsonl"),
            "plain": python_child(ENGQL, "ids.txt"),
        }
        runs: dict[str, list[tuple[float, int, str]]] = {name: [] for name in candidates}
        for _ in range(args.repeat):
            for name, command in candidates.items():
                runs[name].append(run_child(command, folder))
        jq = jq_child(folder) if shutil.which("/usr/bin/time") else None

    counts = {name: {out for _, _, out in found} for name, found in runs.items()}
    seconds = {name: median([t for t, _, _ in found]) for name, found in runs.items()}
    peaks = {name: max(p for _, p, _ in found) for name, found in runs.items()}
    mib = 2**20
    print(
        f"{len(ids):,} Tweets in {args.pages:,} twarc2 pages, a {size / mib:,.0f} MiB file "
        f"({size / len(ids):,.0f} bytes a Tweet); the plain file of the same IDs is "
        f"{plain_size / mib:,.0f} MiB; median of {args.repeat}; {machine()}"
    )
    print(f"IDs each gives: {counts}")
    print_table(
        "compile FILE, each in a child process (reading, checking, planning, json.dumps)",
        Row("baseline: read, json.loads each line, keep data[].id", seconds["baseline"]),
        [
            Row("engql.compile of the twarc2 file", seconds["json"]),
            Row("engql.compile of the plain IDs file (fast path)", seconds["plain"]),
        ],
    )
    print(
        "peak memory (VmHWM): "
        + ", ".join(f"{name} {peak / mib:,.0f} MiB" for name, peak in peaks.items())
        + f"; the twarc2 file is {size / mib:,.0f} MiB"
    )
    if jq is not None:
        print(
            f"jq -r '.data[].id' (information): {jq[0]:.2f} s, {jq[1] / mib:,.0f} MiB, {jq[2]} IDs"
        )


if __name__ == "__main__":
    main()
