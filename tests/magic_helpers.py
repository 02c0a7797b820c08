"""An IPython shell in the test process with ``%load_ext engql`` done, for the tests of
the magic (tests/test_magic.py) and of docs/notebooks.md: cells run as a notebook runs
them, faster than in a kernel (tests/test_notebook.py runs the example notebook in one).

The shell is IPython's own InteractiveShell, without history; what it changes in the
process (``__main__``, two builtins) is put back when it closes.
"""

from __future__ import annotations

import builtins
import contextlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from engql.notebook import EngqlMagics


@dataclass
class Cell:
    """What running a cell gave: its value (what ``_`` holds), its error, and what it
    printed."""

    value: Any
    error: BaseException | None
    out: str
    err: str


@contextlib.contextmanager
def ipython_shell(ipython_dir: Path) -> Iterator[InteractiveShell]:
    """A shell with engql's extension loaded; unloaded (its sandbox stopped) after."""
    main, names = sys.modules["__main__"], set(vars(builtins))
    config = Config()
    config.HistoryManager.enabled = False
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("IPYTHONDIR", str(ipython_dir))
        shell = InteractiveShell.instance(config=config)
    try:
        shell.run_line_magic("load_ext", "engql")
        yield shell
    finally:
        shell.run_line_magic("unload_ext", "engql")
        InteractiveShell.clear_instance()
        sys.modules["__main__"] = main
        for name in set(vars(builtins)) - names:
            delattr(builtins, name)


def run_cell(shell: InteractiveShell, text: str, capsys: pytest.CaptureFixture[str]) -> Cell:
    capsys.readouterr()
    executed = shell.run_cell(text, store_history=True)
    out, err = capsys.readouterr()
    return Cell(executed.result, executed.error_in_exec, out, err)


def magics(shell: InteractiveShell) -> EngqlMagics:
    found = shell.magics_manager.registry[EngqlMagics.__name__]
    assert isinstance(found, EngqlMagics)
    return found
