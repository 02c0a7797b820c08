"""Settings from flags, environment and profile files; writing and listing profiles.

No secret value may reach a repr, a message, a warning or a command's output: the
credentials used here are distinctive strings, and the tests look for each of them.
"""

from __future__ import annotations

import argparse
import io
import os
import stat
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
import tomlkit
from hypothesis import assume, given
from hypothesis import strategies as st

from engql import facts
from engql.config import (
    ConfigError,
    Settings,
    credentials_path,
    load_settings,
    value_problem,
    write_profile,
)
from engql.config_commands import run_configure, run_profiles
from engql.credentials import Credentials

SECRETS = {
    "consumer_key": "ck-Zq81vNwPaLm3",
    "consumer_secret": 'cs-"quoted"\\back-\u2603',
    "access_token": "1234567-at-Yy7TgHbn",
    "access_token_secret": "ats-\u00e9\u00e8-Hk2LpQ",
    "bearer_token": "AAAAAAAAAAAAAAAAAAAAAbt%2Fxyz%3Dbt-Wq4e",
}
OTHER = {key: f"other-{value}" for key, value in SECRETS.items()}
"""A second account's values, for the layers that lose."""


def secrets_in(text: str) -> list[str]:
    values = [*SECRETS.values(), *OTHER.values()]
    return [value for value in values if value in text]


def toml_profile(name: str, values: Mapping[str, object]) -> str:
    return tomlkit.dumps({"profiles": {name: values}})


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An XDG config home holding engql's folder."""
    folder = tmp_path / "config" / "engql"
    folder.mkdir(parents=True)
    return tmp_path / "config"


def write_file(home: Path, text: str, mode: int = 0o600) -> Path:
    path = Path(credentials_path(str(home)))
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def load(
    home: Path, flags: Mapping[str, str | int | None] | None = None, /, **environ: str
) -> tuple[Settings, list[str]]:
    return load_settings(flags or {}, environ, str(home))


# Precedence


def test_defaults_without_any_layer(home: Path) -> None:
    settings, warnings = load(home)
    assert settings == Settings(sources={"profile": "default"})
    assert settings.base_url == facts.DEFAULT_BASE_URL
    assert settings.rate_limit is None
    assert settings.profile is None
    assert settings.source_of("consumer_key") == "default"
    assert warnings == []


def test_profile_over_defaults(home: Path) -> None:
    write_file(
        home,
        'default_profile = "work"\n'
        + toml_profile("work", {**SECRETS, "rate_limit": 30, "base_url": "http://127.0.0.1:9"}),
    )
    settings, warnings = load(home)
    assert warnings == []
    assert settings.profile == "work"
    assert settings.consumer_secret == SECRETS["consumer_secret"]
    assert settings.bearer_token == SECRETS["bearer_token"]
    assert (settings.rate_limit, settings.base_url) == (30, "http://127.0.0.1:9")
    assert settings.source_of("profile") == f"default_profile in {home}/engql/credentials.toml"
    assert settings.source_of("rate_limit") == f"profile work in {home}/engql/credentials.toml"


def test_environment_over_profile(home: Path) -> None:
    write_file(home, 'default_profile = "work"\n' + toml_profile("work", OTHER))
    environ = {f"ENGQL_{key.upper()}": value for key, value in SECRETS.items()}
    settings, warnings = load(home, ENGQL_BASE_URL="http://127.0.0.1:1", **environ)
    assert [getattr(settings, key) for key in SECRETS] == list(SECRETS.values())
    assert settings.base_url == "http://127.0.0.1:1"
    assert settings.source_of("access_token") == "env ENGQL_ACCESS_TOKEN"
    # The profile's values lose, and the user is told which, by name only.
    assert "ENGQL_ACCESS_TOKEN is set and overrides the access_token of profile 'work'" in warnings
    assert not secrets_in(repr(warnings))


def test_equal_values_in_environment_and_profile_do_not_warn(home: Path) -> None:
    write_file(home, 'default_profile = "w"\n' + toml_profile("w", SECRETS))
    _, warnings = load(home, ENGQL_CONSUMER_KEY=SECRETS["consumer_key"])
    assert warnings == []


def test_flags_over_environment(home: Path) -> None:
    write_file(home, 'default_profile = "w"\n' + toml_profile("w", {"rate_limit": 5}))
    flags: dict[str, str | int | None] = {**SECRETS, "base_url": "http://[::1]:8", "rate_limit": 7}
    environ = {f"ENGQL_{key.upper()}": value for key, value in OTHER.items()}
    settings, _ = load(home, flags, ENGQL_BASE_URL="http://127.0.0.1:1", **environ)
    assert [getattr(settings, key) for key in SECRETS] == list(SECRETS.values())
    assert (settings.base_url, settings.rate_limit) == ("http://[::1]:8", 7)
    assert {settings.source_of(key) for key in flags} == {"flag"}


def test_none_and_empty_values_are_not_given(home: Path) -> None:
    write_file(home, 'default_profile = "w"\n' + toml_profile("w", {"consumer_key": "p"}))
    settings, _ = load(home, {"consumer_key": None, "base_url": ""}, ENGQL_CONSUMER_KEY="")
    assert settings.consumer_key == "p"
    assert settings.base_url == facts.DEFAULT_BASE_URL


def test_twitter_names_are_a_fallback_after_engql_names(home: Path) -> None:
    environ = {f"TWITTER_{key.upper()}": value for key, value in SECRETS.items()}
    settings, _ = load(home, **environ)
    assert [getattr(settings, key) for key in SECRETS] == list(SECRETS.values())
    assert settings.source_of("bearer_token") == "env TWITTER_BEARER_TOKEN"
    settings, _ = load(home, ENGQL_BEARER_TOKEN="engql", TWITTER_BEARER_TOKEN="twitter")
    assert settings.bearer_token == "engql"


def test_unknown_flag_names_and_bad_flag_types_are_bugs(home: Path) -> None:
    with pytest.raises(ValueError, match="unknown setting names: token"):
        load(home, {"token": "x"})
    with pytest.raises(ValueError, match="rate_limit"):
        load(home, {"rate_limit": "60"})


# Where the file is


def test_xdg_config_home_is_used(tmp_path: Path) -> None:
    path = tmp_path / "xdg" / "engql" / "credentials.toml"
    path.parent.mkdir(parents=True)
    path.write_text('default_profile = "x"\n' + toml_profile("x", {"rate_limit": 3}))
    path.chmod(0o600)
    settings, _ = load_settings({}, {"XDG_CONFIG_HOME": str(tmp_path / "xdg")})
    assert settings.rate_limit == 3


def test_default_path_is_under_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    path = tmp_path / ".config" / "engql" / "credentials.toml"
    path.parent.mkdir(parents=True)
    path.write_text('default_profile = "x"\n' + toml_profile("x", {"rate_limit": 4}))
    path.chmod(0o600)
    # Without XDG_CONFIG_HOME, and with a relative one (which XDG says to ignore).
    for environ in ({}, {"XDG_CONFIG_HOME": "relative/dir"}):
        settings, _ = load_settings({}, environ)
        assert settings.rate_limit == 4
        assert settings.source_of("rate_limit") == "profile x in ~/.config/engql/credentials.toml"


# Which profile


PROFILES = 'default_profile = "a"\n' + tomlkit.dumps(
    {"profiles": {"a": {"rate_limit": 1}, "b": {"rate_limit": 2}, "c": {"rate_limit": 3}}}
)


def test_profile_flag_over_engql_profile_over_default_profile(home: Path) -> None:
    write_file(home, PROFILES)
    assert load(home)[0].rate_limit == 1
    settings = load(home, ENGQL_PROFILE="b")[0]
    assert (settings.rate_limit, settings.profile) == (2, "b")
    assert settings.source_of("profile") == "env ENGQL_PROFILE"
    settings = load(home, {"profile": "c"}, ENGQL_PROFILE="b")[0]
    assert (settings.rate_limit, settings.profile, settings.source_of("profile")) == (
        3,
        "c",
        "flag",
    )


def test_no_profile_without_a_default(home: Path) -> None:
    write_file(home, toml_profile("a", {"rate_limit": 1}))
    settings, _ = load(home)
    assert (settings.profile, settings.rate_limit) == (None, None)


def test_unknown_profile_lists_the_profiles_there(home: Path) -> None:
    write_file(home, PROFILES)
    with pytest.raises(ConfigError) as caught:
        load(home, ENGQL_PROFILE="nope")
    assert str(caught.value) == (
        f"no profile 'nope' (chosen by env ENGQL_PROFILE) in {home}/engql/credentials.toml; "
        "profiles there: 'a', 'b', 'c'"
    )


def test_named_profile_without_a_file(home: Path) -> None:
    with pytest.raises(ConfigError, match=r"no profile 'x' \(chosen by flag\): .* does not exist"):
        load(home, {"profile": "x"})


def test_a_default_profile_that_does_not_exist_is_an_error(home: Path) -> None:
    write_file(home, 'default_profile = "gone"\n' + toml_profile("a", {}))
    with pytest.raises(ConfigError, match=r"no profile 'gone'.*profiles there: 'a'"):
        load(home)


# Bad files


def test_malformed_toml_names_file_and_line_without_secrets(home: Path) -> None:
    text = (
        "[profiles.w]\n"
        f'consumer_key = "{SECRETS["consumer_key"]}"\n'
        f"consumer_secret = {SECRETS['access_token_secret']}\n"
        f'access_token = "{SECRETS["access_token"]}\n'
    )
    write_file(home, text)
    with pytest.raises(ConfigError) as caught:
        load(home)
    message = str(caught.value)
    assert message.startswith(f"{home}/engql/credentials.toml: not valid TOML: ")
    assert "line 3" in message
    assert not secrets_in(message)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[profiles.w]\nconsumer_secret = 12345\n", "consumer_secret must be a string"),
        ("[profiles.w]\nrate_limit = 0\n", "rate_limit must be a whole number of at least 1"),
        ('[profiles.w]\nrate_limit = "60"\n', "rate_limit must be a whole number"),
        ('profiles = "w"\n', "profiles must be a table"),
        ("default_profile = 1\n", "default_profile must be a string"),
        ('[profiles]\nw = "secret-value"\n', "profile 'w' is not a table"),
    ],
)
def test_values_of_the_wrong_type(home: Path, text: str, message: str) -> None:
    write_file(home, text)
    with pytest.raises(ConfigError, match=message) as caught:
        load(home, {"profile": "w"})
    assert "12345" not in str(caught.value) and "secret-value" not in str(caught.value)


def test_not_utf8(home: Path) -> None:
    Path(credentials_path(str(home))).write_bytes(b'[profiles.w]\nconsumer_key = "\xff"\n')
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        load(home, {"profile": "w"})


def test_unreadable_file(home: Path) -> None:
    Path(credentials_path(str(home))).mkdir()
    with pytest.raises(ConfigError, match=r"cannot read .*credentials\.toml"):
        load(home)


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620, 0o601])
def test_file_open_to_group_or_others_warns(home: Path, mode: int) -> None:
    write_file(home, toml_profile("w", {}), mode)
    _, warnings = load(home)
    assert warnings == [
        f"{home}/engql/credentials.toml is open to other users (mode {mode:04o}); "
        f"it holds secrets: chmod 600 {home}/engql/credentials.toml"
    ]


def test_unknown_keys_warn(home: Path) -> None:
    write_file(home, 'colour = "red"\ndefault_profile = "w"\n' + toml_profile("w", {"token": "x"}))
    _, warnings = load(home)
    assert warnings == [
        f"{home}/engql/credentials.toml: unknown top-level key 'colour' ignored",
        f"{home}/engql/credentials.toml: unknown key 'token' in profile 'w' ignored; the keys "
        "are consumer_key, consumer_secret, access_token, access_token_secret, bearer_token, "
        "rate_limit, base_url",
    ]


# What is missing


@pytest.mark.parametrize(
    ("present", "app", "user"),
    [
        ((), ["ENGQL_BEARER_TOKEN"], ["ENGQL_CONSUMER_KEY", "ENGQL_CONSUMER_SECRET",
                                      "ENGQL_ACCESS_TOKEN", "ENGQL_ACCESS_TOKEN_SECRET"]),
        (("bearer_token",), [], ["ENGQL_CONSUMER_KEY", "ENGQL_CONSUMER_SECRET",
                                 "ENGQL_ACCESS_TOKEN", "ENGQL_ACCESS_TOKEN_SECRET"]),
        (("consumer_key", "consumer_secret", "access_token", "access_token_secret"), [], []),
        (("consumer_key", "consumer_secret"), ["ENGQL_BEARER_TOKEN"],
         ["ENGQL_ACCESS_TOKEN", "ENGQL_ACCESS_TOKEN_SECRET"]),
        (tuple(SECRETS), [], []),
    ],
)  # fmt: skip
def test_missing_for(home: Path, present: tuple[str, ...], app: list[str], user: list[str]) -> None:
    settings, _ = load(home, {key: SECRETS[key] for key in present})
    credentials = Credentials.from_settings(settings)
    assert credentials.missing_for(facts.APP_AUTH) == app
    assert credentials.missing_for(facts.USER_AUTH) == user
    with pytest.raises(ValueError):
        credentials.missing_for("bearer")


# Secrets stay hidden


def test_repr_str_and_describe_hide_secrets(home: Path) -> None:
    write_file(home, 'default_profile = "w"\n' + toml_profile("w", SECRETS))
    settings, _ = load(home, {"base_url": "http://127.0.0.1:5"})
    for text in (repr(settings), str(settings), "\n".join(settings.describe())):
        assert not secrets_in(text), text
    assert "consumer_secret=<hidden>" in repr(settings)
    assert "bearer_token: set (profile w in " in "\n".join(settings.describe())
    assert "base_url='http://127.0.0.1:5'" in repr(settings)
    assert "access_token=None" in repr(Settings())


# Writing profiles


def read_back(home: Path) -> dict[str, object]:
    return tomllib.loads(Path(credentials_path(str(home))).read_text(encoding="utf-8"))


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_write_profile_creates_a_private_file_and_folder(tmp_path: Path) -> None:
    home = tmp_path / "fresh"
    path = write_profile("work", {"consumer_key": "k", "rate_limit": 9}, str(home))
    assert path == credentials_path(str(home))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    assert read_back(home) == {
        "default_profile": "work",
        "profiles": {"work": {"consumer_key": "k", "rate_limit": 9}},
    }
    assert os.listdir(os.path.dirname(path)) == ["credentials.toml"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_write_profile_makes_an_open_file_private(home: Path) -> None:
    write_file(home, toml_profile("a", {}), 0o644)
    write_profile("a", {"bearer_token": "t"}, str(home))
    assert stat.S_IMODE(os.stat(credentials_path(str(home))).st_mode) == 0o600


def test_write_profile_keeps_other_profiles_and_the_default(home: Path) -> None:
    write_file(
        home,
        'default_profile = "a"\n'
        + tomlkit.dumps({"profiles": {"a": {"consumer_key": "ka", "extra": [1, "x"]}, "b": {}}}),
    )
    write_profile("c", {"consumer_key": "kc"}, str(home))
    write_profile("a", {"rate_limit": 2, "consumer_key": None}, str(home))
    assert read_back(home) == {
        "default_profile": "a",
        "profiles": {
            "a": {"extra": [1, "x"], "rate_limit": 2},
            "b": {},
            "c": {"consumer_key": "kc"},
        },
    }


def test_write_profile_without_default_keeps_it_unset(home: Path) -> None:
    write_file(home, toml_profile("a", {}))
    write_profile("b", {}, str(home))
    assert "default_profile" not in read_back(home)


def test_write_profile_refuses_a_malformed_file(home: Path) -> None:
    path = write_file(home, "[profiles.a\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        write_profile("a", {"consumer_key": "k"}, str(home))
    assert path.read_text() == "[profiles.a\n"


def test_write_profile_rejects_unknown_keys_and_surrogates(home: Path) -> None:
    with pytest.raises(ValueError, match="not profile keys: token"):
        write_profile("a", {"token": "t"}, str(home))
    with pytest.raises(ValueError, match="lone surrogate"):
        write_profile("a", {"consumer_key": "\udc80"}, str(home))
    assert not Path(credentials_path(str(home))).exists()


HOSTILE = [
    'quote " and \\ backslash',
    "new\nline\r\n and tab\t and \x00 \x1f \x7f",
    "unicode \u2603 \U0001f600 \u00e9",
    '"""',
    "'''",
    "\\u0041",
    '] [profiles.evil]\nconsumer_key = "x"',
    " ",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_names_and_values_round_trip(home: Path, value: str) -> None:
    values = {key: f"{key}:{value}" for key in SECRETS}
    write_profile(value, values, str(home))
    assert read_back(home)["profiles"] == {value: values}
    if any(value_problem(key, text) for key, text in values.items()):
        # Written and read back as it is, but no request could carry it.
        with pytest.raises(ConfigError, match=r"holds no spaces or control characters$"):
            load(home, {"profile": value})
    else:
        settings, _ = load(home, {"profile": value})
        assert [getattr(settings, key) for key in SECRETS] == list(values.values())


def test_a_profile_needs_a_name(home: Path) -> None:
    with pytest.raises(ValueError, match="needs a name"):
        write_profile("", {}, str(home))


text_values = st.text(st.characters(exclude_categories=["Cs"]))


@given(
    name=text_values.filter(bool),
    values=st.fixed_dictionaries({key: text_values for key in SECRETS}),
    other=text_values.filter(bool),
)
def test_any_text_round_trips(
    name: str, values: dict[str, str], other: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    assume(name != other)
    home = tmp_path_factory.mktemp("config")
    write_profile(other, {"base_url": "x"}, str(home))
    write_profile(name, values, str(home))
    written = {key: value for key, value in values.items() if value}
    document = read_back(home)
    assert document["profiles"][name] == written  # type: ignore[index]
    assert document["profiles"][other] == {"base_url": "x"}  # type: ignore[index]
    assert document["default_profile"] == other


# engql configure


class Prompts:
    """Answers in order, then EOFError as input() gives; records which prompt function
    each question went to."""

    def __init__(self, answers: list[str]) -> None:
        self.answers: Iterator[str] = iter(answers)
        self.asked: list[tuple[str, str]] = []

    def answer(self, kind: str, prompt: str) -> str:
        self.asked.append((kind, prompt))
        answer = next(self.answers, None)
        if answer is None:
            raise EOFError
        return answer

    def ask(self, prompt: str) -> str:
        return self.answer("input", prompt)

    def ask_secret(self, prompt: str) -> str:
        return self.answer("getpass", prompt)


def configure(
    home: Path, profile: str | None, answers: list[str], **environ: str
) -> tuple[int, str, Prompts]:
    prompts = Prompts(answers)
    err = io.StringIO()
    code = run_configure(
        argparse.Namespace(profile=profile),
        ask=prompts.ask,
        ask_secret=prompts.ask_secret,
        environ={"XDG_CONFIG_HOME": str(home), **environ},
        err=err,
    )
    return code, err.getvalue(), prompts


def test_configure_writes_a_new_profile(tmp_path: Path) -> None:
    home = tmp_path / "cfg"
    answers = [*SECRETS.values(), "120", "http://127.0.0.1:8080"]
    code, err, prompts = configure(home, "work", answers)
    assert code == 0
    assert [kind for kind, _ in prompts.asked] == [
        "input",
        "getpass",
        "input",
        "getpass",
        "getpass",
        "input",
        "input",
    ]
    assert prompts.asked[0][1] == "consumer_key (API Key) [not set]: "
    assert (
        prompts.asked[6][1] == f"base_url (the API's address) [default {facts.DEFAULT_BASE_URL}]: "
    )
    path = credentials_path(str(home))
    assert f"engql: wrote profile 'work' (the default profile) to {path}" in err
    assert "(new)" in err
    assert not secrets_in(err)
    settings, _ = load(home)
    assert [getattr(settings, key) for key in SECRETS] == list(SECRETS.values())
    assert (settings.rate_limit, settings.base_url) == (120, "http://127.0.0.1:8080")


def test_configure_keeps_clears_and_asks_again(home: Path) -> None:
    write_file(home, 'default_profile = "w"\n' + toml_profile("w", {**SECRETS, "rate_limit": 60}))
    answers = ["", "-", " new-token ", "", "", "soon", "0", "", "ftp://x", "-"]
    code, err, prompts = configure(home, None, answers)
    assert code == 0
    assert prompts.asked[1][1] == "consumer_secret (API Key Secret) [set]: "
    assert prompts.asked[5][1] == "rate_limit (requests a minute, from your contract) [60]: "
    assert err.count("engql: rate_limit: a whole number of requests a minute, at least 1") == 2
    assert "engql: base_url: a URL starting with https://" in err
    profile = read_back(home)["profiles"]["w"]  # type: ignore[index]
    assert profile == {
        "consumer_key": SECRETS["consumer_key"],
        "access_token": "new-token",
        "access_token_secret": SECRETS["access_token_secret"],
        "bearer_token": SECRETS["bearer_token"],
        "rate_limit": 60,
    }
    assert not secrets_in(err)


def test_configure_picks_engql_profile_then_default_profile(home: Path) -> None:
    write_file(home, 'default_profile = "a"\n' + tomlkit.dumps({"profiles": {"a": {}, "b": {}}}))
    _, err, _ = configure(home, None, [""] * 7, ENGQL_PROFILE="b")
    assert "wrote profile 'b' to" in err
    _, err, _ = configure(home, None, [""] * 7)
    assert "wrote profile 'a' (the default profile) to" in err


def test_configure_notes_variables_that_override_the_profile(tmp_path: Path) -> None:
    code, err, _ = configure(
        tmp_path, "w", ["k", "", "", "", "", "", ""], TWITTER_CONSUMER_KEY=SECRETS["consumer_key"]
    )
    assert code == 0
    assert "engql: note: TWITTER_CONSUMER_KEY is set here and overrides this profile's" in err
    assert not secrets_in(err)


def test_configure_stops_when_input_ends(tmp_path: Path) -> None:
    code, err, _ = configure(tmp_path, "w", ["k"])
    assert code == 2
    assert "the input ended; nothing was written" in err
    assert not Path(credentials_path(str(tmp_path))).exists()


def test_ctrl_c_while_configuring_ends_the_line_and_writes_nothing(home: Path) -> None:
    path = write_file(home, COMMENTED)

    def interrupted(prompt: str) -> str:
        raise KeyboardInterrupt

    err = io.StringIO()
    code = run_configure(
        argparse.Namespace(profile="work"),
        ask=Prompts(["ck-new"]).ask,
        ask_secret=interrupted,
        environ={"XDG_CONFIG_HOME": str(home)},
        err=err,
    )
    assert code == 130
    assert err.getvalue().endswith("\n\nengql: configure interrupted; nothing was written\n")
    assert path.read_text(encoding="utf-8") == COMMENTED
    assert sorted(os.listdir(path.parent)) == ["credentials.toml"]


def test_configure_refuses_a_malformed_file(home: Path) -> None:
    write_file(home, "= 1\n")
    code, err, prompts = configure(home, "w", [])
    assert code == 3
    assert "not valid TOML" in err
    assert prompts.asked == []


COMMENTED = """\
# engql credentials: keep this file private
default_profile = "work"   # used without --profile

# the client's account
[profiles.acme]
consumer_key    = "ck-acme"     # from the portal
rate_limit=300

  # an indented comment above a table
[profiles.work]
consumer_key = "ck-work"  # a comment after a value
bearer_token = 'literal-bt'
\taccess_token = "1-at"

[profiles.globex]   # a comment after a header
base_url = "http://127.0.0.1:8000"
# the last line is a comment
"""
"""Comments at the top, above tables, after values and headers; odd spacing, a literal
string, a tab: what a hand-edited file holds."""


def test_configure_keeps_comments_layout_and_the_other_profiles(home: Path) -> None:
    path = write_file(home, COMMENTED)
    answers = ["ck-new", "cs-new", "", "", "-", "42", ""]
    code, _, _ = configure(home, "work", answers)
    assert code == 0
    assert path.read_text(encoding="utf-8") == COMMENTED.replace(
        """\
consumer_key = "ck-work"  # a comment after a value
bearer_token = 'literal-bt'
\taccess_token = "1-at"
""",
        """\
consumer_key = "ck-new"  # a comment after a value
\taccess_token = "1-at"
consumer_secret = "cs-new"
rate_limit = 42
""",
    )
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_configure_adds_a_profile_after_everything_there(home: Path) -> None:
    path = write_file(home, COMMENTED)
    code, _, _ = configure(home, "new", ["ck-n", "", "", "", "", "", ""])
    assert code == 0
    assert (
        path.read_text(encoding="utf-8") == COMMENTED + '\n[profiles.new]\nconsumer_key = "ck-n"\n'
    )
    assert read_back(home)["default_profile"] == "work"


def comments(text: str) -> list[str]:
    return [line[line.index("#") :] for line in text.splitlines() if "#" in line]


@pytest.mark.parametrize(
    "text",
    [
        'profiles = { work = { consumer_key = "ck-work" } }  # inline\n',
        'profiles.work.consumer_key = "ck-work"  # dotted\n',
        '[profiles]\nwork = { consumer_key = "ck-work" }\n# after\n',
    ],
)
def test_write_profile_edits_inline_and_dotted_tables_in_place(home: Path, text: str) -> None:
    path = write_file(home, text)
    write_profile("work", {"rate_limit": 7}, str(home))
    write_profile("other", {"base_url": "http://127.0.0.1:1"}, str(home))
    written = path.read_text(encoding="utf-8")
    assert comments(written) == comments(text)
    assert read_back(home)["profiles"] == {
        "work": {"consumer_key": "ck-work", "rate_limit": 7},
        "other": {"base_url": "http://127.0.0.1:1"},
    }


def test_an_edit_that_would_change_other_data_is_refused(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A layout tomlkit cannot edit correctly: the file is left as it was."""
    path = write_file(home, COMMENTED)
    monkeypatch.setattr(tomlkit, "dumps", lambda document: COMMENTED.replace("300", "301"))
    with pytest.raises(ConfigError, match="cannot be edited in place without changing"):
        write_profile("work", {"rate_limit": 7}, str(home))
    assert path.read_text(encoding="utf-8") == COMMENTED


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_the_new_file_is_private_while_it_is_written(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even with a umask that opens new files to everyone, and over a file open to others:
    the temporary file that replaces it is 0600 before it holds anything."""
    write_file(home, toml_profile("a", {}), 0o666)
    modes: list[int] = []
    replace = os.replace

    def spying_replace(source: str, target: str) -> None:
        modes.append(stat.S_IMODE(os.stat(source).st_mode))
        replace(source, target)

    monkeypatch.setattr(os, "replace", spying_replace)
    old_umask = os.umask(0)
    try:
        write_profile("a", {"bearer_token": "t"}, str(home))
    finally:
        os.umask(old_umask)
    assert modes == [0o600]
    assert stat.S_IMODE(os.stat(credentials_path(str(home))).st_mode) == 0o600


def test_configure_with_a_relative_xdg_config_home_writes_under_home(tmp_path: Path) -> None:
    """XDG says a relative XDG_CONFIG_HOME is invalid and is ignored."""
    code, err, _ = configure(
        tmp_path, "w", ["k", "", "", "", "", "", ""], XDG_CONFIG_HOME="relative", HOME=str(tmp_path)
    )
    assert code == 0
    assert "~/.config/engql/credentials.toml" in err
    assert read_back(tmp_path / ".config")["profiles"] == {"w": {"consumer_key": "k"}}


# engql profiles


def profiles(
    home: Path, action: str | None = None, name: str | None = None, **environ: str
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_profiles(
        argparse.Namespace(action=action, name=name),
        environ={"XDG_CONFIG_HOME": str(home), **environ},
        out=out,
        err=err,
    )
    return code, out.getvalue(), err.getvalue()


def test_profiles_lists_what_is_set_without_secrets(home: Path) -> None:
    document = {
        "default_profile": "work",
        "profiles": {
            "work": {**SECRETS, "rate_limit": 120},
            "app only": {"bearer_token": OTHER["bearer_token"], "base_url": "http://127.0.0.1:1"},
        },
    }
    write_file(home, tomlkit.dumps(document), 0o644)
    code, out, err = profiles(home, ENGQL_PROFILE="app only")
    assert code == 0
    assert out.splitlines() == [
        f"profiles in {home}/engql/credentials.toml:",
        "profile   default  consumer_key  consumer_secret  access_token  access_token_secret  "
        "bearer_token  rate_limit  base_url",
        "work      yes      set           set              set           set                  "
        "set           120         -",
        "app only  -        -             -                -             -                    "
        "set           -           http://127.0.0.1:1",
    ]
    assert "is open to other users" in err
    assert "ENGQL_PROFILE is set: profile 'app only' is used" in err
    assert not secrets_in(out + err)


def test_profiles_warns_about_bad_values_and_still_lists(home: Path) -> None:
    write_file(home, '[profiles.w]\nconsumer_secret = 12345\nrate_limit = "x"\ncolour = 1\n')
    code, out, err = profiles(home)
    assert code == 0
    assert out.splitlines()[2].split() == ["w", "-", "-", "-", "-", "-", "-", "-", "-"]
    assert "consumer_secret must be a string" in err
    assert "unknown key 'colour' in profile 'w'" in err
    assert "12345" not in out + err


def test_profiles_without_a_file(tmp_path: Path) -> None:
    assert profiles(tmp_path) == (
        0,
        "",
        f"engql: no profiles in {tmp_path}/engql/credentials.toml; `engql configure` writes one\n",
    )


def test_profiles_with_a_malformed_file(home: Path) -> None:
    write_file(home, f'[profiles.w]\nconsumer_key = "{SECRETS["consumer_key"]}\n')
    code, out, err = profiles(home)
    assert (code, out) == (3, "")
    assert "not valid TOML" in err and not secrets_in(err)


# engql profiles default NAME, engql profiles delete NAME


def test_profiles_default_sets_default_profile_in_place(home: Path) -> None:
    path = write_file(home, COMMENTED)
    code, out, err = profiles(home, "default", "acme")
    assert (code, out) == (0, "")
    assert err == f"engql: 'acme' is now the default profile in {path}\n"
    assert path.read_text(encoding="utf-8") == COMMENTED.replace(
        'default_profile = "work"   # used without --profile',
        'default_profile = "acme"   # used without --profile',
    )
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    settings, _ = load(home)
    assert settings.profile == "acme"


def test_profiles_default_adds_the_key_where_there_was_none(home: Path) -> None:
    path = write_file(home, toml_profile("a", {"consumer_key": "k"}))
    assert profiles(home, "default", "a")[0] == 0
    assert tomllib.loads(path.read_text(encoding="utf-8"))["default_profile"] == "a"


def test_profiles_default_notes_an_engql_profile_that_wins(home: Path) -> None:
    write_file(home, tomlkit.dumps({"profiles": {"a": {}, "b": {}}}))
    code, _, err = profiles(home, "default", "a", ENGQL_PROFILE="b")
    assert code == 0
    assert "engql: note: ENGQL_PROFILE is set here and chooses profile 'b' instead" in err


def test_profiles_delete_removes_a_table_with_its_comments_and_keeps_the_rest(
    home: Path,
) -> None:
    """A comment belongs to what follows it: the one right above the deleted header
    goes, the one above the next header (after a blank line) stays."""
    path = write_file(home, COMMENTED)
    code, out, err = profiles(home, "delete", "acme")
    assert (code, out) == (0, "")
    assert err == f"engql: deleted profile 'acme' from {path}\n"
    assert path.read_text(encoding="utf-8") == COMMENTED.replace(
        """\
# the client's account
[profiles.acme]
consumer_key    = "ck-acme"     # from the portal
rate_limit=300

""",
        "",
    )
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


WITHOUT_WORK = """\
# engql credentials: keep this file private

# the client's account
[profiles.acme]
consumer_key    = "ck-acme"     # from the portal
rate_limit=300

[profiles.globex]   # a comment after a header
base_url = "http://127.0.0.1:8000"
# the last line is a comment
"""
WITHOUT_GLOBEX = COMMENTED.split("\n\n[profiles.globex]")[0] + "\n"


@pytest.mark.parametrize(
    ("name", "left"), [("work", WITHOUT_WORK), ("globex", WITHOUT_GLOBEX)], ids=["inner", "last"]
)
def test_deleting_a_later_table_keeps_the_comments_of_the_others(
    home: Path, name: str, left: str
) -> None:
    """``work`` is the default profile too, so its default_profile line goes with it;
    the last table goes with the comment that ends the file, right after its keys."""
    path = write_file(home, COMMENTED)
    assert profiles(home, "delete", name)[0] == 0
    assert path.read_text(encoding="utf-8") == left


def test_deleting_the_default_profile_removes_default_profile(home: Path) -> None:
    path = write_file(home, COMMENTED)
    code, _, err = profiles(home, "delete", "work", ENGQL_PROFILE="work")
    assert code == 0
    assert "it was the default profile, so there is none now" in err
    assert "engql: note: ENGQL_PROFILE still names it" in err
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert "default_profile" not in data
    assert list(data["profiles"]) == ["acme", "globex"]
    assert path.read_text(encoding="utf-8").startswith(
        "# engql credentials: keep this file private\n"
    )


@pytest.mark.parametrize(
    "text",
    [
        '[profiles.only]\nconsumer_key = "k"\n',
        'profiles.only.consumer_key = "k"\nprofiles.b.consumer_key = "j"\n',
        'profiles = { only = { consumer_key = "k" }, b = {} }\n',
    ],
    ids=["the-last-table", "dotted-keys", "inline-table"],
)
def test_profiles_delete_edits_any_layout(home: Path, text: str) -> None:
    path = write_file(home, text)
    assert profiles(home, "delete", "only")[0] == 0
    assert "only" not in tomllib.loads(path.read_text(encoding="utf-8")).get("profiles", {})


@pytest.mark.parametrize("action", ["default", "delete"])
def test_an_unknown_profile_is_refused_with_the_list(home: Path, action: str) -> None:
    path = write_file(home, COMMENTED)
    code, out, err = profiles(home, action, "nope")
    assert (code, out) == (3, "")
    assert err == (
        f"engql: no profile 'nope' in {path}; profiles there: 'acme', 'work', 'globex'\n"
    )
    assert path.read_text(encoding="utf-8") == COMMENTED


@pytest.mark.parametrize("action", ["default", "delete"])
def test_a_profile_cannot_be_chosen_or_deleted_without_a_file(tmp_path: Path, action: str) -> None:
    code, _, err = profiles(tmp_path, action, "w")
    assert code == 3
    assert f"no profile 'w': {tmp_path}/engql/credentials.toml does not exist" in err
    assert not Path(credentials_path(str(tmp_path))).exists()


# Values that no request could carry

UNSENDABLE = [
    ("token\r", "ends with a carriage return (U+000D), as a file saved on Windows does"),
    ("token\r\n", "ends with a line break (CR LF), as a file saved on Windows does"),
    ("token\n", "ends with a line feed (U+000A)"),
    (" token", "starts with a space (U+0020)"),
    ("to ken", "holds a space (U+0020)"),
    ("to\tken", "holds a tab (U+0009)"),
    ("to\x00ken", "holds a NUL (U+0000)"),
    ("\ufefftoken", "starts with a byte order mark (U+FEFF)"),
    ("to\u200bken", "holds a control character (U+200B)"),
    ("to\u00a0ken", "holds white space (U+00A0)"),
    ("token\udcff", "ends with a byte that is not UTF-8 text"),
    (" \r\t", "is only white space"),
]
RULE = "; a credential holds no spaces or control characters"


@pytest.mark.parametrize(("tail", "problem"), UNSENDABLE)
@pytest.mark.parametrize("field", ["consumer_secret", "bearer_token", "access_token"])
def test_a_credential_that_cannot_be_sent_is_refused_by_name(
    home: Path, field: str, tail: str, problem: str
) -> None:
    value = tail.replace("token", SECRETS[field][:8] + "token")
    variable = f"ENGQL_{field.upper()}"
    cases: list[tuple[str, Mapping[str, str | int | None], dict[str, str]]] = [
        (variable, {}, {variable: value}),
        (f"TWITTER_{field.upper()}", {}, {f"TWITTER_{field.upper()}": value}),
        (f"the {field} flag", {field: value}, {}),
    ]
    if not any("\ud800" <= c <= "\udfff" for c in value):
        # A TOML file cannot hold a lone surrogate (a byte that is not UTF-8).
        write_file(home, toml_profile("w", {field: value}))
        profile_key = f"{home}/engql/credentials.toml: profile 'w': {field}"
        cases.append((profile_key, {"profile": "w"}, {}))
    for where, flags, environ in cases:
        with pytest.raises(ConfigError) as refused:
            load(home, flags, **environ)
        message = str(refused.value)
        assert message == f"{where} {problem}{RULE}"
        assert value not in message and SECRETS[field][:8] not in message


def test_a_bearer_token_must_be_ascii_and_others_need_not(home: Path) -> None:
    with pytest.raises(ConfigError, match=r"^ENGQL_BEARER_TOKEN holds a character that is not"):
        load(home, ENGQL_BEARER_TOKEN="AAAA\u2603bbbbbbbb")
    settings, _ = load(home, ENGQL_CONSUMER_SECRET="secret-\u2603-\u00e9")
    assert settings.consumer_secret == "secret-\u2603-\u00e9"


def test_a_base_url_with_a_line_break_is_refused(home: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        load(home, ENGQL_BASE_URL="http://127.0.0.1:9\r")
    assert str(refused.value) == (
        "ENGQL_BASE_URL ends with a carriage return (U+000D), as a file saved on Windows "
        "does; a URL holds no spaces or control characters"
    )


def test_a_value_that_loses_is_not_read(home: Path) -> None:
    settings, _ = load(
        home, ENGQL_BEARER_TOKEN=SECRETS["bearer_token"], TWITTER_BEARER_TOKEN="token\r"
    )
    assert settings.bearer_token == SECRETS["bearer_token"]


def test_an_empty_variable_is_not_given_and_then_named_as_missing(home: Path) -> None:
    settings, _ = load(home, ENGQL_BEARER_TOKEN="")
    assert settings.bearer_token is None
    assert Credentials.from_settings(settings).missing_for(facts.APP_AUTH) == ["ENGQL_BEARER_TOKEN"]


def test_configure_asks_again_for_a_credential_with_a_space_inside(home: Path) -> None:
    answers = ["key", "sec ret", "secret", "", "", "", "", "http://127.0.0.1:1/\x07", ""]
    code, err, _ = configure(home, "w", answers)
    assert code == 0
    assert f"engql: consumer_secret: holds a space (U+0020){RULE}" in err
    assert "engql: base_url: ends with a control character (U+0007); a URL holds" in err
    assert read_back(home)["profiles"]["w"] == {  # type: ignore[index]
        "consumer_key": "key",
        "consumer_secret": "secret",
    }


def test_profiles_warns_about_a_credential_that_cannot_be_sent(home: Path) -> None:
    write_file(home, toml_profile("w", {"bearer_token": SECRETS["bearer_token"] + "\r"}))
    code, out, err = profiles(home)
    assert code == 0
    assert "profile 'w': bearer_token ends with a carriage return (U+000D)" in err
    assert not secrets_in(out + err)


def test_a_password_in_the_base_url_is_shown_as_redacted(home: Path) -> None:
    url = "https://someone:pw-Zq81vNwPaLm3@example.test/api"
    write_file(home, toml_profile("w", {"base_url": url}))
    _, out, _ = profiles(home)
    settings, _ = load(home, {"profile": "w"})
    shown = "https://<redacted>@example.test/api"
    assert f"base_url: {shown} (profile w in {home}/engql/credentials.toml)" in settings.describe()
    assert out.splitlines()[-1].endswith(shown)
    _, err, prompts = configure(home, "w", [""] * 7)
    assert prompts.asked[-1][1] == f"base_url (the API's address) [{shown}]: "
    assert "pw-Zq81" not in out + err + repr(settings) + str(prompts.asked)
