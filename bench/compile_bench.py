"""Compile one statement with 100,000 inline Tweet IDs, against the minimal baseline.

engql parses, validates and plans the statement and serialises every request body, as
``engql compile`` does; the baseline pulls the IDs out with a regex, checks, de-duplicates,
batches and serialises them (harness.minimal_bodies). Target: at most 3× the baseline.
The same is measured with the first ID quoted, which makes the list go through the general
parser path instead of the one-token ID list; that ratio is for information.

    .venv/bin/python bench/compile_bench.py [--repeat 5] [--ids 100000]
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from harness import (
    Row,
    argument_parser,
    machine,
    median,
    minimal_bodies,
    print_table,
    random_tweet_ids,
    time_interleaved,
)

import engql

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
TARGET = 3.0


def engql_bodies(text: str) -> list[str]:
    plan = engql.compile(text, now=NOW)
    return [json.dumps(request.body) for request in plan.requests]


def statement(ids: list[str], quote_first: bool) -> str:
    items = [f"'{ids[0]}'", *ids[1:]] if quote_first else ids
    return f"SELECT favorites FROM totals WHERE tweet IN ({', '.join(items)});"


def main() -> None:
    parser = argument_parser(__doc__.splitlines()[0], repeat=5)
    parser.add_argument("--ids", type=int, default=100_000, help="inline Tweet IDs (100000)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    ids = random_tweet_ids(args.ids, args.seed)
    packed, quoted = statement(ids, False), statement(ids, True)
    expected = minimal_bodies(packed)
    same = engql_bodies(packed) == expected  # the first compile also loads the parser
    quoted_same = engql_bodies(quoted) == expected

    times = time_interleaved(
        [
            lambda: minimal_bodies(packed),
            lambda: engql_bodies(packed),
            lambda: engql_bodies(quoted),
        ],
        args.repeat,
    )
    baseline, fast, general = map(median, times)
    print(
        f"{args.ids:,} inline Tweet IDs, {len(packed):,} characters, "
        f"{len(expected):,} requests; median of {args.repeat}; {machine()}"
    )
    print(f"bodies identical to the baseline's: ID list {same}, quoted list {quoted_same}")
    print_table(
        "compile one statement (includes json.dumps of every body)",
        Row("baseline: regex, check, dedupe, batch, json.dumps", baseline),
        [
            Row("engql.compile, ID list (fast path)", fast, TARGET),
            Row("engql.compile, first ID quoted (general path)", general),
        ],
    )


if __name__ == "__main__":
    main()
