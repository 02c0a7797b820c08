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

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest

import engql
from engql import facts
from engql.client import CredentialsMissing
from engql.config import load_settings
from engql.executor.runner import RunFailed
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
