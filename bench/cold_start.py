"""Start-up time of ``engql compile QUERY`` in a fresh process, against ``import lark``.

The baseline is a process that only imports lark, run by the same interpreter. Target:
at most 1.5× the baseline. engql parses with the standalone parser Lark generated from its
grammar, so it does not import lark itself. For context: ``python -c pass``; ``import
lark`` with interegular hidden, since lark imports it when installed (the test extras
install it; a user's environment may not); then the 15 modules with the most import time
of their own, from ``python -X importtime -m engql compile QUERY``, to show where start-up
goes.

Children run with bytecode cached in a temporary PYTHONPYCACHEPREFIX, as an installed
package runs, even where the environment sets PYTHONDONTWRITEBYTECODE (then every start
would compile engql from source while lark loads its installed .pyc files); pass
``--environment-as-is`` to measure that case instead.

    .venv/bin/python bench/cold_start.py [--repeat 15] [--warmup 2] [--environment-as-is]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from harness import Row, argument_parser, machine, median, print_table

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "examples" / "quickstart.engql"
FALLBACK_QUERY = "SELECT favorites FROM totals WHERE tweet IN (20, 1460323737035677698);\n"
TARGET = 1.5
TOP_IMPORTS = 15
IMPORTTIME_RUNS = 3


def engql_script() -> str:
    """The console script installed next to this interpreter."""
    bindir = Path(sys.executable).parent
    for name in ("engql", "engql.exe"):
        if (bindir / name).exists():
            return str(bindir / name)
    raise SystemExit(f"no engql script in {bindir}; install engql into this interpreter")


def run(command: Sequence[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT, env=env)


def child_environment(pycache: str | None) -> dict[str, str]:
    """This environment, or with bytecode written to and read from ``pycache``."""
    env = dict(os.environ)
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = pycache
    return env


def timed(command: Sequence[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    run(command, env)
    return time.perf_counter() - began


def self_import_times(command: Sequence[str], env: dict[str, str]) -> dict[str, float]:
    """Microseconds each module spent importing itself (not its imports), by name."""
    found: dict[str, float] = {}
    for line in run(command, env).stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        own, _, name = line.removeprefix("import time:").split("|")
        if own.strip().isdigit():
            found[name.strip()] = float(own)
    return found


def print_top_imports(command: Sequence[str], env: dict[str, str]) -> None:
    runs = [self_import_times(command, env) for _ in range(IMPORTTIME_RUNS)]
    names = set().union(*runs)
    own = {n: statistics.median(r.get(n, 0.0) for r in runs) for n in names}
    total = sum(own.values())
    print(
        f"top {TOP_IMPORTS} imports by self time (median of {IMPORTTIME_RUNS} runs of "
        f"-X importtime; all imports {total / 1000:.1f} ms)"
    )
    for name, micros in sorted(own.items(), key=lambda item: -item[1])[:TOP_IMPORTS]:
        print(f"  {micros / 1000:7.2f} ms  {name}")


def measure(query: Path, repeat: int, warmup: int, env: dict[str, str]) -> None:
    engql_compile = [engql_script(), "compile", str(query)]
    check = run(engql_compile, env)
    if check.returncode != 0:
        print(f"warning: engql compile exited {check.returncode}: {check.stderr.strip()[:300]}")
    commands = [
        [sys.executable, "-c", "import lark"],
        engql_compile,
        [sys.executable, "-c", "pass"],
        [sys.executable, "-c", "import sys; sys.modules['interegular'] = None; import lark"],
    ]
    for _ in range(warmup):  # fills the OS file cache, the bytecode and lark's grammar cache
        for command in commands:
            run(command, env)
    times: list[list[float]] = [[] for _ in commands]
    for _ in range(repeat):
        for command, seconds in zip(commands, times, strict=True):
            seconds.append(timed(command, env))
    lark, compiled, bare, lark_alone = map(median, times)
    shown = query.relative_to(ROOT) if query.is_relative_to(ROOT) else "a temporary query file"
    bytecode = "cached" if "PYTHONPYCACHEPREFIX" in env else "as the environment says"
    print(
        f"engql compile {shown}; median of {repeat} after {warmup} warm-up; "
        f"bytecode {bytecode}; {machine()}"
    )
    print_table(
        "cold start (wall time of a whole process)",
        Row('python -c "import lark"', lark),
        [
            Row(f"engql compile {query.name}", compiled, TARGET),
            Row("python -c pass", bare),
            Row('python -c "import lark" without interegular', lark_alone),
        ],
    )
    print()
    importtime = [sys.executable, "-X", "importtime", "-m", "engql", "compile", str(query)]
    print_top_imports(importtime, env)


def main() -> None:
    parser = argument_parser(__doc__.splitlines()[0], repeat=15)
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs first (2)")
    parser.add_argument(
        "--environment-as-is",
        action="store_true",
        help="keep PYTHONDONTWRITEBYTECODE and the like instead of caching bytecode",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="engql-bench-") as temp:
        env = child_environment(None if args.environment_as_is else str(Path(temp) / "pycache"))
        query = QUICKSTART
        if not query.exists():
            query = Path(temp) / "quickstart.engql"
            query.write_text(FALLBACK_QUERY, encoding="utf-8")
        measure(query, args.repeat, args.warmup, env)


if __name__ == "__main__":
    main()
