"""Time from starting ``engql repl`` to its first prompt, in a pseudo-terminal.

Target: under half a second (issue 5). The baseline is a script that only opens a
prompt_toolkit prompt, the least any shell built on it can take, run the same way; the
ratio says what engql adds (its modules, completion, the lexer, the history file).
``python -c pass`` is shown for context. Children run with bytecode cached in a temporary
PYTHONPYCACHEPREFIX, as an installed package runs (see cold_start.py). Needs pexpect
(in the test extras).

    .venv/bin/python bench/repl_start.py [--repeat 15]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import pexpect
from harness import Row, argument_parser, machine, median, print_table

TARGET_SECONDS = 0.5
BARE_PROMPT = "from prompt_toolkit import PromptSession; PromptSession('engql> ').prompt()"


def time_to_prompt(command: Sequence[str], env: dict[str, str], prompt: str = "engql>") -> float:
    """Seconds from spawning ``command`` until ``prompt`` is on the screen."""
    began = time.perf_counter()
    child = pexpect.spawn(command[0], list(command[1:]), env=env, encoding="utf-8", timeout=30)
    child.expect_exact(prompt)
    seconds = time.perf_counter() - began
    child.terminate(force=True)
    return seconds


def main() -> None:
    parser = argument_parser(__doc__.splitlines()[0], repeat=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="engql-bench-") as temp:
        env = dict(os.environ)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.update(
            PYTHONPYCACHEPREFIX=str(Path(temp) / "pycache"),
            XDG_STATE_HOME=str(Path(temp) / "state"),
            TERM="xterm",
            PROMPT_TOOLKIT_NO_CPR="1",
        )
        commands = {
            "prompt_toolkit prompt alone": [sys.executable, "-c", BARE_PROMPT],
            "engql repl": [sys.executable, "-m", "engql", "repl"],
            "engql repl --sandbox": [sys.executable, "-m", "engql", "repl", "--sandbox"],
        }
        for command in commands.values():  # warm-up: bytecode and file cache
            time_to_prompt(command, env)
        times: dict[str, list[float]] = {label: [] for label in commands}
        for _ in range(args.repeat):
            for label, command in commands.items():
                times[label].append(time_to_prompt(command, env))
        bare = median(times.pop("prompt_toolkit prompt alone"))
        print(f"time to the first prompt; median of {args.repeat}; {machine()}")
        target = round(TARGET_SECONDS / bare, 2)
        print_table(
            f"first prompt (target: under {TARGET_SECONDS} s, i.e. ≤ {target:.2f}× the baseline)",
            Row("prompt_toolkit prompt alone", bare),
            [Row(label, median(seconds), target) for label, seconds in times.items()],
        )


if __name__ == "__main__":
    main()
