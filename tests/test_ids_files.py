"""IDs files (``FILE '...'`` and ``-p ids=@path``): only regular text files of bounded
size are read, a bad path is a diagnostic, and ``allow_files="base_dir"`` keeps every
path inside ``base_dir``.

All files are real: a FIFO from ``os.mkfifo``, a Unix socket, ``/dev/zero``, sparse
files, symbolic links. What could hang or eat memory if it regressed (a FIFO,
``/dev/zero``, a file past the size limit) runs the command line in a child process with
a timeout and a memory cap, so a regression fails instead of stalling the suite.
"""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from check_harness import NOW, RECENT, RECENT_2, assert_codes, check, codes
from hypothesis import given
from hypothesis import strategies as st

import engql
from engql.check import CheckOptions
from engql.limits import MAX_IDS_FILE_BYTES, MAX_TWEET_IDS
from engql.params import IdsFileParam
from engql.pipeline import analyse
from engql.syntax.source import Source

INSIDE = RECENT
OUTSIDE = RECENT_2
QUERY = "SELECT favorites FROM totals WHERE tweet IN FILE '{}'"
PARAM_QUERY = "SELECT favorites FROM totals WHERE tweet IN :ids"
LOOPBACK = ["--base-url", "http://127.0.0.1:9"]
NOT_TEXT = "it holds NUL bytes, so it is not a text file"
CHILD_MEMORY = 1 << 30
"""Address space of a child ``engql``: ample for a small query, far below what reading
``/dev/zero`` to the end would take."""


def query(path: str) -> str:
    return QUERY.format(path.replace("'", "''"))


def ids_of(text: str, **options: object) -> list[str]:
    """The Tweet IDs the statement would send."""
    plan = engql.compile(text, now=NOW, **options)  # type: ignore[arg-type]
    return [i for r in plan.requests for i in r.body["tweet_ids"]]


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``engql ARGS...`` in a child process, capped in time and memory."""

    def cap_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY, CHILD_MEMORY))

    return subprocess.run(
        [sys.executable, "-m", "engql", *args, "--now", "2016-03-01T00:00:00Z"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=cap_memory,
        check=False,
    )


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "ids.fifo"
    os.mkfifo(path)
    return path


@pytest.fixture
def unix_socket(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "ids.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen()
    yield path
    server.close()


# --- regular files only ------------------------------------------------------------------


def test_a_fifo_in_file_is_refused_without_blocking(tmp_path: Path, fifo: Path) -> None:
    (tmp_path / "q.engql").write_text(query(fifo.name))
    done = cli(tmp_path, "check", "q.engql")
    assert done.returncode == 1
    assert "error[E308]: cannot read IDs file" in done.stdout
    assert "it is a FIFO, not a regular file" in done.stdout


def test_a_fifo_as_a_parameter_is_refused_by_run_dry_run(tmp_path: Path, fifo: Path) -> None:
    (tmp_path / "q.engql").write_text(PARAM_QUERY)
    done = cli(tmp_path, "run", "q.engql", "--dry-run", *LOOPBACK, "-p", f"ids=@{fifo.name}")
    assert (done.returncode, done.stdout) == (1, "")
    assert f"cannot read IDs file '{fifo.name}': it is a FIFO, not a regular file" in done.stderr


def test_dev_zero_in_file_is_refused_by_check(tmp_path: Path) -> None:
    (tmp_path / "q.engql").write_text(query("/dev/zero"))
    done = cli(tmp_path, "check", "q.engql")
    assert done.returncode == 1
    assert "cannot read IDs file '/dev/zero': it is a character device" in done.stdout


def test_dev_zero_as_a_parameter_is_refused_by_run_dry_run(tmp_path: Path) -> None:
    (tmp_path / "q.engql").write_text(PARAM_QUERY)
    done = cli(tmp_path, "run", "q.engql", "--dry-run", *LOOPBACK, "-p", "ids=@/dev/zero")
    assert (done.returncode, done.stdout) == (1, "")
    assert "'/dev/zero': it is a character device, not a regular file" in done.stderr
    assert "internal error" not in done.stderr


def test_a_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "ids").mkdir()
    assert_codes(
        query("ids"),
        [("E308", 1, 45, "it is a directory, not a regular file")],
        allow_files=True,
        base_dir=tmp_path,
    )


def test_a_socket_is_refused(tmp_path: Path, unix_socket: Path) -> None:
    assert_codes(
        query(unix_socket.name),
        [("E308", 1, 45, "it is a socket, not a regular file")],
        allow_files=True,
        base_dir=tmp_path,
    )


def test_dev_null_is_refused_not_read_as_empty(tmp_path: Path) -> None:
    assert_codes(
        PARAM_QUERY,
        [("E308", 1, 45, "'/dev/null': it is a character device, not a regular file")],
        params={"ids": IdsFileParam("/dev/null")},
    )


def test_a_symbolic_link_to_a_regular_file_is_read(tmp_path: Path) -> None:
    (tmp_path / "ids.txt").write_text(f"{INSIDE}\n")
    (tmp_path / "link.txt").symlink_to(tmp_path / "ids.txt")
    assert ids_of(query("link.txt"), allow_files=True, base_dir=tmp_path) == [str(INSIDE)]


# --- size ----------------------------------------------------------------------------------


def test_the_size_limit_leaves_room_for_the_most_ids_a_statement_takes() -> None:
    """Ten million 19-digit IDs, one a line with CRLF, fit."""
    assert MAX_TWEET_IDS * len(f"{2**63 - 1}\r\n") <= MAX_IDS_FILE_BYTES


def test_a_file_past_the_size_limit_is_refused_without_reading_it(tmp_path: Path) -> None:
    """A sparse file one byte past the limit: refused by its size, not read into memory."""
    with open(tmp_path / "huge.txt", "wb") as file:
        file.truncate(MAX_IDS_FILE_BYTES + 1)
    (tmp_path / "q.engql").write_text(query("huge.txt"))
    done = cli(tmp_path, "check", "q.engql")
    assert done.returncode == 1
    assert f"it is larger than {MAX_IDS_FILE_BYTES:,} bytes" in done.stdout


def small_limit(text: str, limit: int, base_dir: Path) -> list[tuple[str, str]]:
    opts = CheckOptions(now=NOW, allow_files=True, base_dir=str(base_dir), max_ids_file_bytes=limit)
    _, _, diagnostics = analyse(Source(text, "<query>"), opts)
    return [(d.code, d.message) for d in diagnostics]


def test_a_file_at_the_limit_is_read_one_byte_more_is_not(tmp_path: Path) -> None:
    content = f"{INSIDE}\n{OUTSIDE}\n"
    (tmp_path / "ids.txt").write_text(content)
    assert small_limit(query("ids.txt"), len(content), tmp_path) == []
    ((code, message),) = small_limit(query("ids.txt"), len(content) - 1, tmp_path)
    assert code == "E308"
    assert message.endswith(f"it is larger than {len(content) - 1:,} bytes")


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs Linux /proc")
def test_the_limit_holds_for_files_that_report_size_0() -> None:
    """/proc files say they are empty: the limit is enforced while reading."""
    assert os.stat("/proc/self/maps").st_size == 0
    ((code, message),) = small_limit(query("/proc/self/maps"), 100, Path("/"))
    assert (code, message) == (
        "E308",
        "cannot read IDs file '/proc/self/maps': it is larger than 100 bytes",
    )


# --- text files only -----------------------------------------------------------------------


def test_a_file_with_nul_bytes_is_not_a_text_file(tmp_path: Path) -> None:
    (tmp_path / "ids.txt").write_bytes(f"{INSIDE}\n\0{OUTSIDE}\n".encode())
    assert_codes(
        query("ids.txt"),
        [("E308", 1, 45, NOT_TEXT)],
        allow_files=True,
        base_dir=tmp_path,
    )


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc")
def test_proc_self_environ_is_refused_and_not_quoted(tmp_path: Path) -> None:
    found = check(query("/proc/self/environ"), allow_files=True, base_dir=tmp_path)
    assert [(d.code, d.message) for d in found] == [
        ("E308", "cannot read IDs file '/proc/self/environ': " + NOT_TEXT)
    ]


# --- paths -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "shown", "reason"),
    [
        ("ids\0.txt", "ids\\x00.txt", "its path holds a NUL character"),
        ("ids\ud800.txt", "ids\\ud800.txt", "its path holds a character no file name can hold"),
        ("", "", "its path is empty"),
    ],
)
def test_a_bad_path_is_a_diagnostic(tmp_path: Path, path: str, shown: str, reason: str) -> None:
    for options in ({"allow_files": True}, {"allow_files": "base_dir"}):
        assert_codes(
            query(path),
            [("E308", 1, 45, f"cannot read IDs file '{shown}': {reason}")],
            base_dir=tmp_path,
            **options,
        )
    assert_codes(
        PARAM_QUERY,
        [("E308", 1, 45, f"cannot read IDs file '{shown}': {reason}")],
        params={"ids": IdsFileParam(path)},
    )


def test_control_characters_of_a_path_are_shown_escaped(tmp_path: Path) -> None:
    (found,) = check(query("\x1b[2Jids.txt"), allow_files=True, base_dir=tmp_path)
    assert found.code == "E308"
    assert (
        found.message.endswith("/\\x1b[2Jids.txt': No such file or directory")
        and "\x1b" not in found.message
    )


# --- what the command line allows ----------------------------------------------------------


def test_the_command_line_reads_paths_outside_the_query_folder(tmp_path: Path) -> None:
    """The query's author is the user running it: `..` and absolute paths are theirs to use."""
    (tmp_path / "queries").mkdir()
    (tmp_path / "ids.txt").write_text(f"{INSIDE}\n")
    (tmp_path / "queries" / "up.engql").write_text(query("../ids.txt"))
    (tmp_path / "queries" / "abs.engql").write_text(query(str(tmp_path / "ids.txt")))
    done = cli(tmp_path, "check", "queries/up.engql", "queries/abs.engql")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


# --- allow_files="base_dir" ----------------------------------------------------------------


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """``base/`` with ``ids.txt`` and ``sub/``; ``outside.txt`` beside it; links both ways."""
    folder = tmp_path / "base"
    (folder / "sub").mkdir(parents=True)
    (folder / "ids.txt").write_text(f"{INSIDE}\n")
    (tmp_path / "outside.txt").write_text(f"{OUTSIDE}\n")
    (folder / "link_in.txt").symlink_to("ids.txt")
    (folder / "link_out.txt").symlink_to(tmp_path / "outside.txt")
    (folder / "sub" / "up").symlink_to("..")
    (folder / "sub" / "out").symlink_to(tmp_path)
    return folder


def confined(text: str, base: Path, **options: object) -> list[tuple[str, str]]:
    found = check(text, allow_files="base_dir", base_dir=base, **options)
    return [(d.code, d.message) for d in found]


@pytest.mark.parametrize(
    "path", ["ids.txt", "./ids.txt", "sub/../ids.txt", "link_in.txt", "sub/up/ids.txt"]
)
def test_confined_files_inside_base_dir_are_read(base: Path, path: str) -> None:
    assert ids_of(query(path), allow_files="base_dir", base_dir=base) == [str(INSIDE)]


def test_confined_base_dir_may_itself_be_a_symbolic_link(base: Path, tmp_path: Path) -> None:
    (tmp_path / "alias").symlink_to(base)
    assert ids_of(query("ids.txt"), allow_files="base_dir", base_dir=tmp_path / "alias") == [
        str(INSIDE)
    ]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("../outside.txt", "IDs file '../outside.txt' leads out of base_dir"),
        ("sub/../../outside.txt", "IDs file 'sub/../../outside.txt' leads out of base_dir"),
        ("../../../../etc/passwd", "IDs file '../../../../etc/passwd' leads out of base_dir"),
        (
            "/etc/passwd",
            "IDs file '/etc/passwd' is an absolute path; base_dir allows only relative ones",
        ),
        (
            "link_out.txt",
            "IDs file 'link_out.txt' leads out of base_dir through a symbolic link",
        ),
        (
            "sub/up/../outside.txt",
            "IDs file 'sub/up/../outside.txt' leads out of base_dir through a symbolic link",
        ),
        (
            "sub/out/outside.txt",
            "IDs file 'sub/out/outside.txt' leads out of base_dir through a symbolic link",
        ),
    ],
)
def test_confined_paths_that_leave_base_dir_are_refused(
    base: Path, path: str, message: str
) -> None:
    assert confined(query(path), base) == [("E311", message)]


def test_confined_absolute_path_is_refused_even_inside_base_dir(base: Path) -> None:
    ((code, _),) = confined(query(str(base / "ids.txt")), base)
    assert code == "E311"


def test_confined_messages_do_not_show_base_dir(base: Path) -> None:
    found = check(query("missing.txt"), allow_files="base_dir", base_dir=base)
    assert [(d.code, d.message) for d in found] == [
        ("E308", "cannot read IDs file 'missing.txt': No such file or directory")
    ]
    (base / "bad.txt").write_text("not-an-id\n")
    (bad,) = check(query("bad.txt"), allow_files="base_dir", base_dir=base)
    assert bad.code == "E304"
    assert str(base) not in bad.render()


def test_confined_ids_file_parameters_are_relative_to_base_dir_and_kept_in_it(
    base: Path,
) -> None:
    inside = {"ids": IdsFileParam("ids.txt")}
    assert ids_of(PARAM_QUERY, allow_files="base_dir", base_dir=base, params=inside) == [
        str(INSIDE)
    ]
    for path in ("../outside.txt", "link_out.txt", str(base / "ids.txt")):
        found = confined(PARAM_QUERY, base, params={"ids": IdsFileParam(path)})
        assert [code for code, _ in found] == ["E311"]


def test_confined_compile_raises_with_e311(base: Path) -> None:
    with pytest.raises(engql.EngqlError) as raised:
        engql.compile(query("../outside.txt"), now=NOW, allow_files="base_dir", base_dir=base)
    assert [d.code for d in raised.value.diagnostics] == ["E311"]


def test_confined_without_base_dir_keeps_to_the_working_directory(
    base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(base)
    assert ids_of(query("ids.txt"), allow_files="base_dir") == [str(INSIDE)]
    assert codes(query("../outside.txt"), allow_files="base_dir") == ["E311"]


def test_confined_refuses_a_fifo_as_well(base: Path) -> None:
    os.mkfifo(base / "ids.fifo")
    assert confined(query("ids.fifo"), base) == [
        ("E308", "cannot read IDs file 'ids.fifo': it is a FIFO, not a regular file")
    ]


def test_allow_files_takes_only_true_false_or_base_dir() -> None:
    with pytest.raises(ValueError, match="allow_files takes True, False or 'base_dir'"):
        engql.check(query("ids.txt"), allow_files="yes")  # type: ignore[arg-type]


SEGMENTS = ["..", ".", "", "sub", "up", "out", "ids.txt", "outside.txt", "link_in.txt"]
SEGMENTS += ["link_out.txt", "missing", "\0"]


@given(
    segments=st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=6),
    absolute=st.booleans(),
)
def test_confined_check_never_reads_a_tweet_from_outside_base_dir(
    tmp_path_factory: pytest.TempPathFactory, segments: list[str], absolute: bool
) -> None:
    """Whatever the path, the check answers with diagnostics (never an exception), and
    the Tweet of the file outside base_dir is never among the statement's IDs."""
    folder = tmp_path_factory.getbasetemp() / "law"
    if not folder.exists():
        folder.mkdir()
        (folder / "outside.txt").write_text(f"{OUTSIDE}\n")
        (folder / "base" / "sub").mkdir(parents=True)
        (folder / "base" / "ids.txt").write_text(f"{INSIDE}\n")
        (folder / "base" / "link_in.txt").symlink_to("ids.txt")
        (folder / "base" / "link_out.txt").symlink_to(folder / "outside.txt")
        (folder / "base" / "sub" / "up").symlink_to("..")
        (folder / "base" / "sub" / "out").symlink_to(folder)
    path = ("/" if absolute else "") + "/".join(segments)
    opts = CheckOptions(now=NOW, allow_files="base_dir", base_dir=str(folder / "base"))
    _, queries, diagnostics = analyse(Source(query(path), "<query>"), opts)
    assert {d.code for d in diagnostics} <= {"E304", "E305", "E308", "E311", "W301"}
    for checked in queries:
        assert str(OUTSIDE) not in checked.tweet_ids


def test_a_csv_cell_past_the_csv_module_field_limit_is_a_bad_id(tmp_path: Path) -> None:
    """Python's csv refuses fields over 131,072 characters; such a line is one bad ID."""
    huge = "x" * 200_000
    (tmp_path / "ids.csv").write_text(f"tweet_id,note\n{INSIDE},ok\n{huge},too long\n")
    assert_codes(
        query("ids.csv"),
        [("E304", 3, 1, "is neither a Tweet ID nor a Tweet URL")],
        allow_files=True,
        base_dir=tmp_path,
    )
    (tmp_path / "header.csv").write_text(f"tweet_id,{huge}\n{INSIDE}\n")
    assert [d.code for d in check(query("header.csv"), allow_files=True, base_dir=tmp_path)] == [
        "E304"
    ]
