"""IDs files (``FILE '...'`` and ``-p ids=@path``): only regular text files of bounded
size are read, a bad path is a diagnostic, and ``allow_files="base_dir"`` keeps every
path inside ``base_dir``. Standard input (``FILE '-'``, ``-p ids=@-``) is read once per
compile, held to the same limits, and only where files may be read.

All files are real: a FIFO from ``os.mkfifo``, a Unix socket, ``/dev/zero``, sparse
files, symbolic links. What could hang or eat memory if it regressed (a FIFO,
``/dev/zero``, a file past the size limit) runs the command line in a child process with
a timeout and a memory cap, so a regression fails instead of stalling the suite.
"""

from __future__ import annotations

import io
import json
import os
import resource
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from check_harness import NOW, RECENT, RECENT_2, assert_codes, check, codes
from hypothesis import given
from hypothesis import strategies as st

import engql
from engql.check import CheckOptions
from engql.ids_file import StandardInput
from engql.limits import MAX_IDS_FILE_BYTES, MAX_JSON_IDS_FILE_BYTES, MAX_TWEET_IDS
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


# --- standard input: FILE '-' and -p ids=@- ------------------------------------------------

TWO = f"{INSIDE}\n{OUTSIDE}\n"
NOW_TEXT = "2016-03-01T00:00:00Z"
BOTH = [str(INSIDE), str(OUTSIDE)]


def piped(cwd: Path, stdin: bytes | int, *args: str) -> subprocess.CompletedProcess[bytes]:
    """``engql ARGS...`` in a child process, ``stdin`` piped in (bytes) or given (a
    descriptor), capped in time and memory as ``cli`` is; the clock is set but for the
    shell, which has no ``--now``."""

    def cap_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY, CHILD_MEMORY))

    return subprocess.run(
        [sys.executable, "-m", "engql", *args, *(["--now", NOW_TEXT] if args[0] != "repl" else [])],
        cwd=cwd,
        input=stdin if isinstance(stdin, bytes) else None,
        stdin=None if isinstance(stdin, bytes) else stdin,
        capture_output=True,
        timeout=120,
        preexec_fn=cap_memory,
        check=False,
    )


def answered(done: subprocess.CompletedProcess[bytes]) -> list[str]:
    """The Tweets of a ``--format json`` run's one grouping, in the answer's order."""
    assert done.returncode == 0, done.stderr.decode()
    return tweets_of(json.loads(done.stdout))


def tweets_of(answer: dict[str, Any]) -> list[str]:
    (grouping,) = (v for k, v in answer.items() if k != "missing")
    return list(grouping)


def test_ids_piped_into_a_parameter_are_read(tmp_path: Path) -> None:
    (tmp_path / "q.engql").write_text(PARAM_QUERY)
    done = piped(tmp_path, TWO.encode(), "run", "q.engql", "--sandbox", "-p", "ids=@-")
    assert answered(done) == BOTH


def test_stdin_named_by_several_statements_is_read_once_for_all(tmp_path: Path) -> None:
    (tmp_path / "q.engql").write_text(
        "SELECT favorites FROM totals WHERE tweet IN FILE '-';\n"
        "SELECT retweets FROM totals WHERE tweet IN :ids;\n"
    )
    done = piped(tmp_path, TWO.encode(), "run", "q.engql", "--sandbox", "-p", "ids=@-")
    assert done.returncode == 0, done.stderr.decode()
    assert [tweets_of(answer) for answer in json.loads(done.stdout)] == [BOTH, BOTH]


def test_a_twarc2_collection_piped_in_gives_its_tweets(tmp_path: Path) -> None:
    """``twarc2 search ... | engql run q.engql -p ids=@-``: pages of Tweets, the Tweets
    they quote in ``includes`` (not queried) and a page of errors between them."""
    pages = [
        {
            "data": [{"id": str(INSIDE), "text": "…", "referenced_tweets": [{"id": "7"}]}],
            "includes": {"tweets": [{"id": "7", "text": "quoted"}]},
            "meta": {"result_count": 1},
            "__twarc": {"version": "2.14.0"},
        },
        {"errors": [{"title": "Not Found Error", "detail": "Could not find tweet with id: [8]."}]},
        {"data": [{"id": str(OUTSIDE), "text": "…"}], "meta": {"result_count": 1}},
    ]
    collected = "".join(json.dumps(page) + "\n" for page in pages).encode()
    (tmp_path / "q.engql").write_text(QUERY.format("-"))
    done = piped(tmp_path, collected, "run", "q.engql", "--sandbox")
    assert answered(done) == BOTH
    assert b"<stdin>:2:1: warning[W302]: a page with errors and no data gives no Tweets" in (
        done.stderr
    )


def test_a_bad_line_of_stdin_is_named_by_its_line(tmp_path: Path) -> None:
    (tmp_path / "q.engql").write_text(PARAM_QUERY)
    done = piped(tmp_path, f"{TWO}nope\n".encode(), "run", "q.engql", "--sandbox", "-p", "ids=@-")
    assert (done.returncode, done.stdout) == (1, b"")
    assert done.stderr.decode().splitlines()[:3] == [
        "<stdin>:3:1: error[E304]: 'nope' is neither a Tweet ID nor a Tweet URL",
        "3 | nope",
        "    ^^^^",
    ]


def test_a_terminal_as_stdin_is_refused_not_waited_on(tmp_path: Path) -> None:
    """The user forgot to pipe the IDs in: say so at once instead of waiting for input."""
    (tmp_path / "q.engql").write_text(PARAM_QUERY)
    controller, terminal = os.openpty()
    try:
        done = piped(tmp_path, terminal, "run", "q.engql", "--dry-run", *LOOPBACK, "-p", "ids=@-")
    finally:
        os.close(controller)
        os.close(terminal)
    assert (done.returncode, done.stdout) == (1, b"")
    assert (
        b"error[E308]: cannot read IDs file '<stdin>': it is a terminal: the IDs were not piped in"
        in done.stderr
    )
    assert b"hint: pipe them in (twarc2 search ... | engql run q.engql -p ids=@-)" in done.stderr


@pytest.mark.parametrize(
    ("stdin", "reason"),
    [
        ("/dev/null", "it is a character device, not a pipe or a regular file"),
        ("closed", "it is closed"),
    ],
)
def test_stdin_that_is_no_pipe_or_file_is_refused(tmp_path: Path, stdin: str, reason: str) -> None:
    (tmp_path / "q.engql").write_text(QUERY.format("-"))
    if stdin == "closed":
        command = [sys.executable, "-m", "engql", "check", "q.engql"]
        done = subprocess.run(
            ["sh", "-c", '"$@" <&-', "sh", *command], cwd=tmp_path, capture_output=True, timeout=60
        )
    else:
        with open(stdin, "rb") as device:
            done = piped(tmp_path, device.fileno(), "check", "q.engql")
    assert done.returncode == 1
    assert f"cannot read IDs file '<stdin>': {reason}" in done.stdout.decode()


def test_a_redirected_file_is_read_as_stdin(tmp_path: Path) -> None:
    (tmp_path / "ids.csv").write_text(f"tweet_id,note\n{INSIDE},a\n{OUTSIDE},b\n")
    (tmp_path / "q.engql").write_text(PARAM_QUERY)
    with open(tmp_path / "ids.csv", "rb") as file:
        done = piped(tmp_path, file.fileno(), "run", "q.engql", "--sandbox", "-p", "ids=@-")
    assert answered(done) == BOTH


def test_a_query_read_from_stdin_cannot_read_its_ids_from_it(tmp_path: Path) -> None:
    done = piped(tmp_path, PARAM_QUERY.encode(), "check", "-", "-p", "ids=@-")
    assert done.returncode == 1
    assert done.stdout.decode().startswith(
        "<stdin>:1:45: error[E308]: cannot read IDs file '<stdin>': "
        "standard input holds the query itself"
    )


def test_the_shell_refuses_stdin_which_holds_its_statements(tmp_path: Path) -> None:
    """In script mode the rest of the script would be read as IDs; both forms are refused,
    and the statements after them still run."""
    script = (
        "SELECT favorites FROM totals WHERE tweet IN FILE '-';\n"
        "\\set ids @-\n"
        "SELECT favorites FROM totals WHERE tweet IN :ids;\n"
        f"SELECT favorites FROM totals WHERE tweet = {INSIDE};\n"
    )
    done = piped(tmp_path, script.encode(), "repl", "--sandbox")
    refused = "error[E307]: reading Tweet IDs from standard input is not allowed in the shell"
    assert done.stderr.decode().count(refused) == 2
    assert str(INSIDE) in done.stdout.decode()


def test_stdin_is_read_once_per_compile_in_python() -> None:
    """Two statements and a parameter name it; the stream is read once (a second read
    would find it empty)."""
    stream = io.BytesIO(TWO.encode())
    opts = CheckOptions(
        now=NOW,
        allow_files=True,
        params={"ids": IdsFileParam("-")},
        stdin=StandardInput(stream),
    )
    text = f"{QUERY.format('-')}; {PARAM_QUERY}; {QUERY.format('-')};"
    _, queries, diagnostics = analyse(Source(text), opts)
    assert diagnostics == []
    assert [q.tweet_ids for q in queries] == [BOTH, BOTH, BOTH]
    assert stream.tell() == len(TWO)


@pytest.mark.parametrize(
    ("allow_files", "code", "message"),
    [
        (False, "E307", "reading Tweet IDs from standard input is not allowed here"),
        ("base_dir", "E311", "standard input is not a file inside base_dir"),
    ],
)
def test_stdin_is_read_only_when_files_are_allowed(
    allow_files: object, code: str, message: str
) -> None:
    """The untrusted-compile guarantee: refused before a byte is read, for FILE '-' and
    an IdsFileParam('-') alike (E307 for FILE '-' is the refusal of any file)."""
    stream = io.BytesIO(TWO.encode())
    opts = CheckOptions(
        now=NOW,
        allow_files=allow_files,  # type: ignore[arg-type]
        params={"ids": IdsFileParam("-")},
        stdin=StandardInput(stream),
    )
    _, _, diagnostics = analyse(Source(f"{QUERY.format('-')}; {PARAM_QUERY};"), opts)
    file_refusal = (
        "reading Tweet IDs from a file is not allowed here" if allow_files is False else message
    )
    assert [(d.code, d.message) for d in diagnostics] == [
        (code, file_refusal),
        (code, message),
    ]
    assert stream.tell() == 0


def test_the_library_reads_stdin_with_allow_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """``engql.compile`` itself, reading the process's standard input."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(TWO.encode())))
    assert ids_of(QUERY.format("-"), allow_files=True) == BOTH


@pytest.mark.parametrize(
    ("content", "limit"),
    [(TWO * 10, "it is larger than 100 bytes"), ("{" + " " * 1000 + "}", "JSON IDs file")],
)
def test_stdin_is_held_to_the_limits_of_a_file(content: str, limit: str) -> None:
    opts = CheckOptions(
        now=NOW,
        allow_files=True,
        max_ids_file_bytes=100,
        max_json_ids_file_bytes=1000,
        stdin=StandardInput(io.BytesIO(content.encode())),
    )
    ((code, message),) = [(d.code, d.message) for d in analyse(Source(QUERY.format("-")), opts)[2]]
    assert code == "E308" and message.startswith("cannot read IDs file '<stdin>': ")
    assert limit in message


def test_a_file_named_dash_is_read_by_a_path_to_it(tmp_path: Path) -> None:
    (tmp_path / "-").write_text(f"{INSIDE}\n")
    assert ids_of(query("./-"), allow_files=True, base_dir=tmp_path) == [str(INSIDE)]


# --- the larger limit of a JSON file --------------------------------------------------------


def test_a_json_file_may_be_larger_than_a_plain_one(tmp_path: Path) -> None:
    """The first entry tells the limit: the same size is read as JSON, refused as IDs."""
    (tmp_path / "big.json").write_text(json.dumps([str(INSIDE)] * 30))
    (tmp_path / "big.txt").write_text(f"{INSIDE}\n" * 30)
    opts = CheckOptions(
        now=NOW,
        allow_files=True,
        base_dir=str(tmp_path),
        max_ids_file_bytes=100,
        max_json_ids_file_bytes=1000,
    )
    _, _, json_found = analyse(Source(query("big.json")), opts)
    assert {d.code for d in json_found} == {"W301"}
    _, _, text_found = analyse(Source(query("big.txt")), opts)
    ((code, message),) = [(d.code, d.message) for d in text_found]
    assert code == "E308" and message.endswith("big.txt': it is larger than 100 bytes")


def test_a_json_file_past_its_limit_is_refused_without_reading_it(tmp_path: Path) -> None:
    """A sparse file whose first entry is JSON, one byte past the JSON limit: refused by
    its size once its first MiB is read, in a child capped far below that size."""
    with open(tmp_path / "huge.jsonl", "wb") as file:
        file.write(b'{"data": [')
        file.truncate(MAX_JSON_IDS_FILE_BYTES + 1)
    (tmp_path / "q.engql").write_text(query("huge.jsonl"))
    done = cli(tmp_path, "check", "q.engql")
    assert done.returncode == 1
    assert (
        f"it is larger than {MAX_JSON_IDS_FILE_BYTES:,} bytes, the most a JSON IDs file may hold"
        in done.stdout
    )
    assert "hint: split it over several files and statements, or keep only the IDs" in done.stdout
