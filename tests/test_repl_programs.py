"""The shell's terminal handed to other programs, with real ones: the pager gets chopped
lines unless ``LESS`` says otherwise, the editor's file is private and removed, and the
keyboard echoes nothing while a query runs."""

from __future__ import annotations

import io
import os
import termios
from collections.abc import Iterator
from pathlib import Path

import pytest

from engql.repl.shell import Shell
from engql.repl.terminal import LESS_OPTIONS, EditorFailed, edit, keys_hidden, page

WIDE = "tweet_id " + "x" * 300 + "\n"


def recording_pager(tmp_path: Path) -> str:
    """A pager that keeps what it was given: the LESS it saw and its input."""
    script = tmp_path / "pager"
    script.write_text(f'#!/bin/sh\nprintf %s "$LESS" > {tmp_path}/less\ncat > {tmp_path}/paged\n')
    script.chmod(0o755)
    return str(script)


def environment(tmp_path: Path, **more: str) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), **more}


def test_the_pager_gets_chopped_lines_when_less_is_not_set(tmp_path: Path) -> None:
    page(WIDE, environment(tmp_path, PAGER=recording_pager(tmp_path)))
    assert (tmp_path / "less").read_text() == LESS_OPTIONS == "-SRXF"
    assert (tmp_path / "paged").read_text() == WIDE


def test_a_less_of_your_own_is_kept(tmp_path: Path) -> None:
    page(WIDE, environment(tmp_path, PAGER=recording_pager(tmp_path), LESS="-R"))
    assert (tmp_path / "less").read_text() == "-R"


def test_an_empty_or_missing_pager_writes_straight_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page(WIDE, environment(tmp_path, PAGER=""))
    assert capsys.readouterr().out == WIDE
    page(WIDE, environment(tmp_path, PAGER=str(tmp_path / "no-such-pager")))
    assert capsys.readouterr().out == WIDE


@pytest.fixture
def screen_of(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Shell, list[str], io.StringIO]]:
    """A shell on a 60×20 screen whose pager keeps what it is given."""
    monkeypatch.setenv("COLUMNS", "60")
    monkeypatch.setenv("LINES", "20")
    paged: list[str] = []
    out = io.StringIO()
    shell = Shell(
        out, io.StringIO(), environ={"HOME": "/nonexistent"}, sandbox=True, pager=paged.append
    )
    yield shell, paged, out
    shell.close()


def test_results_wider_or_taller_than_the_screen_are_paged(
    screen_of: tuple[Shell, list[str], io.StringIO],
) -> None:
    shell, paged, out = screen_of
    tweets = [str(1260294888811347969 + (i << 22)) for i in range(25)]
    shell.handle(f"SELECT favorites FROM totals WHERE tweet IN ({tweets[0]});")
    shown = out.getvalue().splitlines()
    assert len(shown) == 3 and max(map(len, shown)) <= 60 and paged == []
    metrics = "favorites, replies, retweets, quote_tweets"
    shell.handle(f"SELECT {metrics} FROM totals WHERE tweet IN ({tweets[0]});")
    shell.handle(f"SELECT favorites FROM totals WHERE tweet IN ({', '.join(tweets)});")
    wide, tall = (text.splitlines() for text in paged)
    assert len(wide) == 3 and max(map(len, wide)) > 60
    assert len(tall) == 27 and max(map(len, tall)) <= 60
    assert out.getvalue().splitlines() == shown


def test_the_editor_edits_a_private_file_that_is_removed(tmp_path: Path) -> None:
    seen = tmp_path / "seen"
    script = tmp_path / "editor"
    script.write_text(
        f'#!/bin/sh\n[ "$1" = --wait ] || exit 9\n'
        f'stat -c %a "$2" > {seen}\necho "$2" >> {seen}\nprintf "edited;" > "$2"\n'
    )
    script.chmod(0o755)
    assert edit("SELECT 1\n", environment(tmp_path, EDITOR=f"{script} --wait")) == "edited;"
    mode, path = seen.read_text().split()
    assert mode == "600" and path.endswith(".engql") and not Path(path).exists()


def test_an_editor_that_is_not_there_is_named(tmp_path: Path) -> None:
    with pytest.raises(EditorFailed, match="cannot run the editor 'nano-x'"):
        edit("", environment(tmp_path, VISUAL="nano-x"))


def echoes(descriptor: int) -> bool:
    return bool(termios.tcgetattr(descriptor)[3] & termios.ECHO)


def test_keys_are_not_echoed_while_the_block_runs_and_echo_comes_back() -> None:
    leader, follower = os.openpty()
    try:
        with open(follower, closefd=False) as terminal:
            assert echoes(follower)
            with keys_hidden(terminal):
                assert not echoes(follower)
            assert echoes(follower)
            with pytest.raises(KeyboardInterrupt), keys_hidden(terminal):
                raise KeyboardInterrupt
            assert echoes(follower)
    finally:
        os.close(leader)
        os.close(follower)


def test_keys_hidden_leaves_what_is_not_a_terminal_alone() -> None:
    with keys_hidden(io.StringIO()), keys_hidden(None):
        pass
