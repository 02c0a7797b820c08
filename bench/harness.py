"""What the benchmarks share: the minimal baseline pipeline, interleaved timing, the table.

A benchmark measures engql against a baseline run in the same process, so that the
figures are ratios that travel between machines rather than seconds that do not.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import re
import statistics
import time
from collections.abc import Callable, Sequence

import attrs

MAX_TWEET_ID = (1 << 63) - 1
BATCH_SIZE = 250
"""Tweet IDs per /totals request (the API's limit)."""
METRICS = ["favorites"]
GROUPINGS = {"by_tweet_type": {"group_by": ["tweet.id", "engagement.type"]}}
"""The grouping engql adds when a statement has no GROUP BY; the baseline sends the same."""

_DIGITS = re.compile(r"[0-9]+")


def minimal_bodies(text: str) -> list[str]:
    """The least work that turns text holding Tweet IDs into /totals JSON bodies.

    Extract the digit runs, check each as an integer in range, de-duplicate keeping the
    first occurrence, cut into batches of 250 and serialise each body.
    """
    ids = _DIGITS.findall(text)
    for digits in ids:
        if not 0 < int(digits) <= MAX_TWEET_ID:
            raise ValueError(f"Tweet ID {digits} is out of range")
    unique = list(dict.fromkeys(ids))
    return [
        json.dumps(
            {
                "tweet_ids": unique[at : at + BATCH_SIZE],
                "engagement_types": METRICS,
                "groupings": GROUPINGS,
            }
        )
        for at in range(0, len(unique), BATCH_SIZE)
    ]


def random_tweet_ids(count: int, seed: int) -> list[str]:
    """``count`` random valid Tweet IDs as digit strings, the same for the same seed."""
    rng = random.Random(seed)
    return [str(rng.randint(1, MAX_TWEET_ID)) for _ in range(count)]


def time_interleaved(candidates: Sequence[Callable[[], object]], repeat: int) -> list[list[float]]:
    """Wall seconds of each candidate, ``repeat`` rounds, one run of each per round.

    Interleaving spreads drift (other load, CPU frequency) over every candidate alike.
    """
    times: list[list[float]] = [[] for _ in candidates]
    for _ in range(repeat):
        for run, seconds in zip(candidates, times, strict=True):
            gc.collect()
            began = time.perf_counter()
            run()
            seconds.append(time.perf_counter() - began)
    return times


@attrs.frozen
class Row:
    """One line of a result table; ``target`` is a ratio, or None for information only."""

    label: str
    seconds: float
    target: float | None = None


def print_table(title: str, baseline: Row, rows: Sequence[Row]) -> None:
    """The rows with their median seconds, ratio to the baseline and target."""
    width = max(len(r.label) for r in (baseline, *rows))
    print(title)
    print(f"  {'measured':<{width}}  {'median s':>9}  {'ratio':>7}  target")
    for row in (baseline, *rows):
        ratio = row.seconds / baseline.seconds
        if row is baseline:
            target = "baseline"
        elif row.target is None:
            target = "(information)"
        else:
            verdict = "met" if ratio <= row.target else "MISSED"
            target = f"≤ {row.target:g}× ({verdict})"
        print(f"  {row.label:<{width}}  {row.seconds:>9.4f}  {ratio:>6.2f}×  {target}")


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def argument_parser(description: str, repeat: int) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--repeat", type=int, default=repeat, help=f"timed rounds; the median is shown ({repeat})"
    )
    return parser


def machine() -> str:
    return f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores"
