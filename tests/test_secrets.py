"""No secret reaches anything engql writes.

engql runs in subprocesses, with the credentials of a sandbox started here passed in the
environment (and in a profile file), through the paths that print the most: --verbose,
--format raw, -o, --resume, retries, unowned and unavailable Tweets, refused credentials,
--dry-run, --sandbox, a broken profile file, ``engql profiles`` and ``engql configure``.
Every byte of stdout and stderr and of every file created under the test's folder is
searched for every 12-character piece of each secret (so a secret cut short is found
too): the consumer secret, the access token secret, the bearer token (as sent and
percent-decoded) and the random part of the access token. Only the credentials file,
whose job is to hold them, is not searched. ``engql sandbox`` prints its credentials on
purpose and is left out.
"""

from __future__ import annotations

import json
import os
import string
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import engql
from engql import facts
from engql.cli import main
from engql.client import CredentialsMissing
from engql.config import Settings, load_settings
from engql.executor.runner import RunFailed
from engql.redact import Secrets, shown_url
from engql.sandbox.auth import Credentials
from engql.sandbox.faults import Fault, FaultPlan
from engql.sandbox.server import Sandbox

PIECE = 12
"""Any 12 characters of a secret count as a leak (a chance match is out of the question)."""
WRONG = Credentials.generate(1234)
"""Well-formed credentials the sandbox does not know: secrets too, when a user passes them."""
SANDBOX_OWN = Credentials.generate(0)
"""What `engql run --sandbox` signs with (its sandbox's default seed)."""


def tweet_at(moment: datetime) -> str:
    ms = round(moment.timestamp() * 1000) - facts.SNOWFLAKE_EPOCH_MS
    return str(ms << 22)


IDS = [tweet_at(datetime(2024, 4, 10, tzinfo=UTC) + i * timedelta(hours=20)) for i in range(30)]
UNOWNED, UNAVAILABLE = IDS[4], IDS[26]

HISTORICAL = """\
SELECT impressions, engagements, favorites
FROM historical
WHERE tweet IN FILE 'ids.txt'
  AND time BETWEEN '2024-04-16' AND '2024-05-10'
GROUP BY tweet.id, engagement.type, engagement.day AS daily
GROUP BY engagement.type AS total;
"""
TOTALS = """\
SELECT favorites, retweets
FROM totals
WHERE tweet IN FILE 'ids.txt'
GROUP BY tweet.id, engagement.type;
"""


def secrets_of(credentials: Credentials) -> list[str]:
    return [
        credentials.consumer_secret,
        credentials.access_token_secret,
        credentials.bearer_token,
        unquote(credentials.bearer_token),
        credentials.access_token.partition("-")[2],
    ]


def pieces(secrets: list[str]) -> set[bytes]:
    found = set()
    for secret in secrets:
        secret = secret.lstrip("A")  # a bearer token starts with 21 A's: not telling
        found |= {secret[i : i + PIECE].encode() for i in range(len(secret) - PIECE + 1)}
    return found


@dataclass
class Written:
    what: str
    data: bytes


@dataclass
class Folders:
    root: Path
    work: Path
    inputs: Path
    credentials_file: Path
    env: dict[str, str]


@pytest.fixture
def folders(tmp_path: Path) -> Folders:
    work, inputs, home, config, tmp = (
        tmp_path / name for name in ("work", "inputs", "home", "config", "tmp")
    )
    for folder in (work, inputs, home, config, tmp):
        folder.mkdir()
    (inputs / "historical.engql").write_text(HISTORICAL, encoding="utf-8")
    (inputs / "totals.engql").write_text(TOTALS, encoding="utf-8")
    (inputs / "ids.txt").write_text("# Tweets\n" + "\n".join(IDS) + "\n", encoding="utf-8")
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("ENGQL_", "TWITTER_"))
    }
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(config), TMPDIR=str(tmp))
    return Folders(tmp_path, work, inputs, config / "engql" / "credentials.toml", env)


def engql_command(
    folders: Folders, *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> tuple[int, Written, Written]:
    process = subprocess.run(
        [sys.executable, "-m", "engql", *args],
        cwd=folders.work,
        env={**folders.env, **(env or {})},
        input=stdin.encode() if stdin is not None else None,
        capture_output=True,
        timeout=60,
    )
    shown = " ".join(args)
    return (
        process.returncode,
        Written(f"stdout of `engql {shown}`", process.stdout),
        Written(f"stderr of `engql {shown}`", process.stderr),
    )


def files_written(folders: Folders) -> Iterator[Written]:
    for path in sorted(folders.root.rglob("*")):
        if (
            path.is_file()
            and path != folders.credentials_file
            and folders.inputs not in path.parents
        ):
            yield Written(str(path.relative_to(folders.root)), path.read_bytes())


def assert_no_leak(written: list[Written], secrets: list[str]) -> None:
    wanted = pieces(secrets)
    leaks = sorted({w.what for w in written for piece in wanted if piece in w.data})
    assert leaks == [], f"a secret appears in: {', '.join(leaks)}"


def env_of(credentials: Credentials, base_url: str) -> dict[str, str]:
    return {
        "ENGQL_CONSUMER_KEY": credentials.consumer_key,
        "ENGQL_CONSUMER_SECRET": credentials.consumer_secret,
        "ENGQL_ACCESS_TOKEN": credentials.access_token,
        "ENGQL_ACCESS_TOKEN_SECRET": credentials.access_token_secret,
        "ENGQL_BEARER_TOKEN": credentials.bearer_token,
        "ENGQL_BASE_URL": base_url,
    }


def test_the_checker_finds_a_secret_cut_short() -> None:
    secret = WRONG.consumer_secret
    assert pieces([secret]) & pieces([secret[5 : 5 + PIECE]])
    with pytest.raises(AssertionError, match="in: stderr"):
        assert_no_leak([Written("stderr", f"key={secret[:20]}…".encode())], [secret])
    assert_no_leak([Written("stderr", b"Authorization: OAuth <redacted>")], [secret])


def test_no_secret_in_anything_engql_run_writes(
    folders: Folders, engql_sandbox_factory: Callable[..., Sandbox]
) -> None:
    faults = FaultPlan(
        {2: Fault.UNAVAILABLE, 4: Fault.DROP, 7: Fault.TRUNCATE, 9: Fault.RATE_LIMITED}
    )
    api = engql_sandbox_factory(
        faults=faults, unowned=[UNOWNED], unavailable=[UNAVAILABLE], rate_limit=10_000
    )
    good = env_of(api.credentials, api.base_url)
    historical, totals = (
        str(folders.inputs / "historical.engql"),
        str(folders.inputs / "totals.engql"),
    )
    written: list[Written] = []
    codes: dict[str, int] = {}

    def run(
        name: str, *args: str, env: dict[str, str] | None = None, stdin: str | None = None
    ) -> None:
        code, out, err = engql_command(folders, *args, env=env, stdin=stdin)
        codes[name] = code
        written.extend([out, err])

    run(
        "json", "run", historical, "--verbose", "--format", "json", "--on-unowned", "drop", env=good
    )
    run("raw", "run", totals, "--verbose", "--format", "raw", "-o", "raw.jsonl", env=good)
    run(
        "resume",
        "run",
        historical,
        "--verbose",
        "--format",
        "csv",
        "-o",
        "answer.csv",
        "--on-unowned",
        "drop",
        "--resume",
        "run-dir",
        env=good,
    )
    run("unowned", "run", historical, "--verbose", "-o", "refused.json", env=good)
    wrong_oauth = {
        **good,
        "ENGQL_CONSUMER_SECRET": WRONG.consumer_secret,
        "ENGQL_ACCESS_TOKEN_SECRET": WRONG.access_token_secret,
    }
    run("wrong-oauth", "run", historical, "--verbose", "--format", "raw", env=wrong_oauth)
    wrong_bearer = {**good, "ENGQL_BEARER_TOKEN": WRONG.bearer_token}
    run("wrong-bearer", "run", totals, "--verbose", "--format", "raw", env=wrong_bearer)
    run("dry-run", "run", historical, "--dry-run", "--verbose", env=good)
    run("dry-run-app", "run", totals, "--dry-run", "--verbose", env=good)
    run("sandbox", "run", totals, "--sandbox", "--verbose", "--format", "raw")
    run(
        "missing",
        "run",
        historical,
        "--verbose",
        env={"ENGQL_BEARER_TOKEN": api.credentials.bearer_token},
    )

    assert codes == {
        "json": 5,
        "raw": 5,
        "resume": 5,
        "unowned": 4,
        "wrong-oauth": 4,
        "wrong-bearer": 4,
        "dry-run": 0,
        "dry-run-app": 0,
        "sandbox": 0,
        "missing": 3,
    }, b"\n".join(w.data for w in written).decode()
    assert (folders.work / "run-dir" / "journal.jsonl").exists()
    files = list(files_written(folders))
    assert {"work/raw.jsonl", "work/answer.csv"} <= {f.what for f in files}
    secrets = secrets_of(api.credentials) + secrets_of(WRONG) + secrets_of(SANDBOX_OWN)
    assert_no_leak(written + files, secrets)
    # The paths that could leak did run: verbose lines, raw requests, refusals.
    everything = b"\n".join(w.data for w in written)
    assert b"consumer_secret: set (env ENGQL_CONSUMER_SECRET)" in everything
    assert b'"request": {"endpoint": "totals"' in everything
    assert b"refused: 401" in everything
    assert b"<redacted>" in everything


def test_no_secret_in_profiles_configure_or_profile_errors(
    folders: Folders, engql_sandbox_factory: Callable[..., Sandbox]
) -> None:
    api = engql_sandbox_factory(rate_limit=10_000)
    c = api.credentials
    folders.credentials_file.parent.mkdir(parents=True)
    folders.credentials_file.write_text(
        'default_profile = "work"\n\n[profiles.work]\n'
        f'consumer_key = "{c.consumer_key}"\n'
        f'consumer_secret = "{c.consumer_secret}"\n'
        f'access_token = "{c.access_token}"\n'
        f'access_token_secret = "{c.access_token_secret}"\n'
        f'bearer_token = "{c.bearer_token}"\n'
        f'base_url = "{api.base_url}"\n',
        encoding="utf-8",
    )
    folders.credentials_file.chmod(0o644)  # also the warning about other readers
    historical = str(folders.inputs / "historical.engql")
    written: list[Written] = []
    codes = []
    for args, stdin in [
        (("profiles",), None),
        (("run", historical, "--verbose", "--on-unowned", "drop"), None),
        (("run", historical, "--verbose", "--profile", "work", "--format", "raw"), None),
        (
            ("configure", "--profile", "second"),
            "\n".join(
                [
                    WRONG.consumer_key,
                    WRONG.consumer_secret,
                    WRONG.access_token,
                    WRONG.access_token_secret,
                    WRONG.bearer_token,
                    "not a number",  # rate_limit: asked again
                    "100",
                    api.base_url,
                ]
            )
            + "\n",
        ),
        (("profiles",), None),
    ]:
        code, out, err = engql_command(folders, *args, stdin=stdin)
        codes.append(code)
        written += [out, err]
    assert codes == [0, 0, 0, 0, 0], b"\n".join(w.data for w in written).decode()
    assert b"is open to other users" in b"".join(w.data for w in written)
    # A profile file broken in the middle of a secret: the message must not quote it.
    text = folders.credentials_file.read_text(encoding="utf-8")
    folders.credentials_file.write_text(
        text.replace(f'"{c.consumer_secret}"', f'"{c.consumer_secret}'), encoding="utf-8"
    )
    code, out, err = engql_command(folders, "run", historical, "--verbose")
    assert code == 3
    written += [out, err]
    code, out, err = engql_command(folders, "profiles")
    written += [out, err]
    secrets = secrets_of(c) + secrets_of(WRONG)
    assert_no_leak(written + list(files_written(folders)), secrets)


def test_no_secret_in_exceptions_or_reprs(engql_sandbox_factory: Callable[..., Sandbox]) -> None:
    api = engql_sandbox_factory(unowned=[UNOWNED])
    c = api.credentials
    ids = {"ids": IDS}
    query = HISTORICAL.replace("FILE 'ids.txt'", ":ids")
    texts: list[str] = []
    client = engql.Client(
        consumer_key=c.consumer_key,
        consumer_secret=WRONG.consumer_secret,
        access_token=c.access_token,
        access_token_secret=c.access_token_secret,
        bearer_token=c.bearer_token,
        base_url=api.base_url,
        environ={},
    )
    texts += [repr(client), repr(client.settings), str(client.settings.describe())]
    with pytest.raises(RunFailed) as refused:
        client.run(query, params=ids)
    texts += [str(refused.value), repr(refused.value), refused.value.message]
    right = engql.Client(
        consumer_key=c.consumer_key,
        consumer_secret=c.consumer_secret,
        access_token=c.access_token,
        access_token_secret=c.access_token_secret,
        base_url=api.base_url,
        environ={},
    )
    with pytest.raises(RunFailed) as unowned:
        right.run(query, params=ids)
    texts += [str(unowned.value), repr(unowned.value)]
    bearer_only = engql.Client(bearer_token=c.bearer_token, base_url=api.base_url, environ={})
    with pytest.raises(CredentialsMissing) as missing:
        bearer_only.run(query, params=ids)
    texts.append(str(missing.value))
    settings, warnings = load_settings(
        {"consumer_secret": c.consumer_secret, "bearer_token": c.bearer_token},
        {"ENGQL_ACCESS_TOKEN_SECRET": c.access_token_secret, "HOME": "/nonexistent"},
    )
    texts += [repr(settings), *settings.describe(), *warnings]
    assert_no_leak([Written(f"text {i}", t.encode()) for i, t in enumerate(texts)], secrets_of(c))


# Credentials that cannot be sent, a server that reflects them, a URL with a password ----


def test_a_token_saved_on_windows_is_refused_by_name(
    folders: Folders, engql_sandbox_factory: Callable[..., Sandbox]
) -> None:
    api = engql_sandbox_factory(rate_limit=10_000)
    c = api.credentials
    totals = str(folders.inputs / "totals.engql")
    env = {"ENGQL_BEARER_TOKEN": c.bearer_token + "\r", "ENGQL_BASE_URL": api.base_url}
    code, out, err = engql_command(folders, "run", totals, env=env)
    assert code == 3, err.data.decode()
    assert err.data.decode().splitlines() == [
        "engql: ENGQL_BEARER_TOKEN ends with a carriage return (U+000D), as a file saved "
        "on Windows does; a credential holds no spaces or control characters"
    ]
    assert out.data == b"" and api.log.entries() == []
    written = [out, err]
    folders.credentials_file.parent.mkdir(parents=True)
    folders.credentials_file.write_text(
        f'[profiles.work]\naccess_token_secret = "{c.access_token_secret}\\r\\n"\n'
        f'bearer_token = "{c.bearer_token[:40]} {c.bearer_token[40:]}"\n',
        encoding="utf-8",
    )
    folders.credentials_file.chmod(0o600)
    for args in (("run", totals, "--profile", "work"), ("profiles",)):
        code, out, err = engql_command(folders, *args, env={"ENGQL_BASE_URL": api.base_url})
        written += [out, err]
        message = (
            f"{folders.credentials_file}: profile 'work': access_token_secret ends with a "
            "line break (CR LF), as a file saved on Windows does; a credential holds no "
            "spaces or control characters"
        )
        assert message in err.data.decode()
    assert api.log.entries() == []
    assert_no_leak(written, secrets_of(c))


class ReflectingServer(ThreadingHTTPServer):
    """A loopback server that answers every request with ``status`` and an error that
    quotes the request's Authorization header back, as a careless proxy might."""

    def __init__(self, status: int) -> None:
        self.status = status
        super().__init__(("127.0.0.1", 0), _Reflect)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Reflect(BaseHTTPRequestHandler):
    server: ReflectingServer

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        header = self.headers["Authorization"]
        body = json.dumps({"errors": [f"cannot use Authorization: {header}"]}).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def reflecting() -> Iterator[Callable[[int], ReflectingServer]]:
    started: list[ReflectingServer] = []

    def start(status: int) -> ReflectingServer:
        server = ReflectingServer(status)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(("status", "expected"), [(400, 5), (401, 4), (403, 4)])
def test_a_server_that_reflects_the_credentials_does_not_get_them_printed(
    folders: Folders,
    reflecting: Callable[[int], ReflectingServer],
    status: int,
    expected: int,
) -> None:
    server = reflecting(status)
    env = env_of(WRONG, server.base_url)
    written: list[Written] = []
    for query in ("totals", "historical"):  # a bearer token, then an OAuth signature
        path = str(folders.inputs / f"{query}.engql")
        for output in ("json", "raw"):
            code, out, err = engql_command(folders, "run", path, "--format", output, env=env)
            assert code == expected, err.data.decode()
            written += [out, err]
    everything = b"\n".join(w.data for w in written)
    assert b"cannot use Authorization: Bearer <redacted>" in everything
    assert b"cannot use Authorization: OAuth " in everything
    assert_no_leak(written, secrets_of(WRONG))
    client = engql.Client(**credentials_of(WRONG), base_url=server.base_url, environ={})
    texts = []
    query = TOTALS.replace("FILE 'ids.txt'", ":ids")
    if expected == 4:
        with pytest.raises(RunFailed) as refused:
            client.run(query, params={"ids": IDS})
        texts = [str(refused.value), refused.value.message]
    else:
        texts = [m.text for m in client.run(query, params={"ids": IDS}).missing.values()]
    assert texts and all("Bearer <redacted>" in text for text in texts)
    assert_no_leak(
        [Written(f"text {i}", t.encode()) for i, t in enumerate(texts)], secrets_of(WRONG)
    )


def credentials_of(credentials: Credentials) -> dict[str, str]:
    return {
        "consumer_key": credentials.consumer_key,
        "consumer_secret": credentials.consumer_secret,
        "access_token": credentials.access_token,
        "access_token_secret": credentials.access_token_secret,
        "bearer_token": credentials.bearer_token,
    }


def test_an_internal_error_never_prints_a_secret(
    engql_sandbox_factory: Callable[..., Sandbox],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """Were a credential to pass the checks, the HTTP library's own exception would quote
    it: the handler of last resort scrubs it from the message."""
    api = engql_sandbox_factory()
    token = WRONG.bearer_token + "\r"
    monkeypatch.setattr(
        "engql.run_command.load_settings",
        lambda flags, environ: (Settings(bearer_token=token, base_url=api.base_url), []),
    )
    query = tmp_path / "q.engql"
    query.write_text(TOTALS.replace("FILE 'ids.txt'", f"({IDS[0]})"), encoding="utf-8")
    code = main(["run", str(query)])
    out, err = capsys.readouterr()
    assert code == 70
    assert err.startswith("engql: internal error (ValueError: Invalid header value b'Bearer ")
    assert "<redacted>" in err
    assert_no_leak([Written("stdout", out.encode()), Written("stderr", err.encode())], [token])


def test_a_password_in_the_base_url_is_not_shown(
    folders: Folders, engql_sandbox_factory: Callable[..., Sandbox]
) -> None:
    api = engql_sandbox_factory(rate_limit=10_000)
    password = "pw-Yq3vTz8LmNa71Kd"
    with_password = api.base_url.replace("http://", f"http://someone:{password}@")
    totals = str(folders.inputs / "totals.engql")
    env = env_of(api.credentials, api.base_url)
    written: list[Written] = []
    for args in (
        ("--verbose", "--base-url", with_password),
        ("--verbose", "--base-url", with_password, "--format", "raw"),
        ("--dry-run", "--base-url", with_password),
        ("--verbose",),
    ):
        env_url = {} if "--base-url" in args else {"ENGQL_BASE_URL": with_password}
        code, out, err = engql_command(folders, "run", totals, *args, env={**env, **env_url})
        assert code == 0, err.data.decode()
        written += [out, err]
    shown = api.base_url.replace("http://", "http://<redacted>@")
    everything = b"\n".join(w.data for w in written).decode()
    assert f"engql: base_url: {shown} (flag)" in everything
    assert f"engql: base_url: {shown} (env ENGQL_BASE_URL)" in everything
    assert_no_leak(written, [password, f"someone:{password}"])


# The scrubber --------------------------------------------------------------------------

SECRET_TEXT = st.text(string.ascii_letters + string.digits + "%-_=+/", min_size=8, max_size=60)
"""Credentials as X issues them: letters, digits and the marks of base64 and URLs."""


@given(secret=SECRET_TEXT, before=st.text(), after=st.text(), again=st.booleans())
def test_a_remembered_secret_never_survives_a_scrub(
    secret: str, before: str, after: str, again: bool
) -> None:
    assume(secret != "redacted")
    secrets = Secrets()
    secrets.remember(secret)
    for text in (secret, quote(secret, safe=""), unquote(secret), repr(secret.encode())):
        scrubbed = secrets.scrub(before + text + (secret if again else "") + after)
        assert secret not in scrubbed[len(before) :]
        assert scrubbed.startswith(before[: len(before) - len(secret)])


@given(text=st.text())
def test_text_without_secrets_is_left_as_it_is(text: str) -> None:
    secrets = Secrets()
    secrets.remember("a-secret-that-is-long")
    assume("a-secret-that-is-long" not in text)
    assert secrets.scrub(text) == text


def test_short_values_are_not_scrubbed() -> None:
    secrets = Secrets()
    secrets.remember("p")
    secrets.remember("1234567")
    secrets.remember(None)
    assert secrets.scrub("p 1234567") == "p 1234567"


def test_the_forms_a_secret_takes_in_messages_are_scrubbed() -> None:
    secrets = Secrets()
    secret = 'AAAA%2Fb"c\\d\u00e9f=ghij'
    secrets.remember(secret)
    for form in (
        secret,
        unquote(secret),
        repr(secret)[1:-1],
        repr(secret.encode())[2:-1],
        json.dumps(secret)[1:-1],
    ):
        assert secrets.scrub(f"header {form}!") == "header <redacted>!"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:pw@host:8/x?y", "https://<redacted>@host:8/x?y"),
        ("http://token@127.0.0.1:9", "http://<redacted>@127.0.0.1:9"),
        ("https://a@b@host", "https://<redacted>@host"),
        ("https://data-api.twitter.com", "https://data-api.twitter.com"),
        ("http://[::1/x@y", "<redacted>"),
    ],
)
def test_shown_url_hides_the_userinfo(url: str, shown: str) -> None:
    assert shown_url(url) == shown
