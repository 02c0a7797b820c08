"""The formats of an IDs file, told by its content (docs/running.md "IDs files"): one ID
a line, Tweet URLs, CSV, and JSON (twarc2's pages, Tweet objects, arrays).

Each bad part is reported at its ``file:line:column``, rendered exactly; a hypothesis law
says that format detection never changes what a file says: any list of IDs written in any
format reads back as the same IDs, in order, once each, and W601's search for an ID's
place finds the entry that named it first.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from check_harness import NOW, RECENT, RECENT_2
from hypothesis import given
from hypothesis import strategies as st
from run_helpers import credential_env

import engql
from engql.check import CheckOptions
from engql.diagnostics import Diagnostic
from engql.pipeline import analyse
from engql.sandbox.server import Sandbox
from engql.syntax.source import Source
from engql.tweet_ids import file_entries, tweet_id

A, B, C = str(RECENT), str(RECENT_2), str(RECENT - 4_000_000)
QUERY = "SELECT favorites FROM totals WHERE tweet IN FILE '{}'"
ROOT = Path(__file__).resolve().parent.parent


def read(folder: Path, name: str, content: str) -> tuple[list[str], list[Diagnostic]]:
    """The IDs the statement would send (none on errors) and every diagnostic."""
    (folder / name).write_text(content, encoding="utf-8")
    options = CheckOptions(now=NOW, allow_files=True, base_dir=str(folder))
    _, queries, diagnostics = analyse(Source(QUERY.format(name)), options)
    return (queries[0].tweet_ids if queries else []), diagnostics


def rendered(folder: Path, diagnostics: list[Diagnostic]) -> list[str]:
    """Each diagnostic as engql prints it, the folder left out of paths."""
    return [d.render().replace(f"{folder}{os.sep}", "") for d in diagnostics]


def page(*tweets: str, **more: object) -> str:
    return json.dumps({"data": [{"id": t, "text": "…"} for t in tweets], **more})


# --- telling the format ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "form"),
    [
        (f"{A}\n{B}\n", "ids"),
        (f"{A}\n{B}", "ids"),
        (f"{A}\n\n{B}\n", "lines"),
        (f"# ids\n{A}\n", "lines"),
        (f"https://x.com/a/status/{A}\n", "lines"),
        (f"tweet_id,likes\n{A},3\n", "csv"),
        (f'"tweet_id","likes"\n"{A}",3\n', "csv"),
        (f'"{A}"\n"{B}"\n', "json"),
        (f"\n  # twarc2 output\n{page(A)}\n", "json"),
        (f'[\n  "{A}"\n]\n', "json"),
        (f'{{"id": "{A}"}}\n', "json"),
        ("", "ids"),
        ("# nothing yet\n", "lines"),
    ],
)
def test_the_first_entry_tells_the_format(content: str, form: str) -> None:
    assert file_entries(content).places.format == form


def test_a_json_line_in_a_file_of_ids_is_an_error_at_its_line(tmp_path: Path) -> None:
    ids, found = read(tmp_path, "ids.txt", f'{A}\n{{"id": "{B}"}}\n{B}\n')
    assert ids == []
    assert rendered(tmp_path, found) == [
        f'ids.txt:2:1: error[E304]: \'{{"id": "{B}"}}\' is JSON, but this file is read as '
        "one Tweet ID or URL a line, as its first entry (line 1) is\n"
        f'2 | {{"id": "{B}"}}\n'
        "    " + "^" * 28 + "\n"
        "  = hint: a file is read in one format, told by its first entry; "
        "put JSON in a file of its own"
    ]


def test_a_url_line_in_json_lines_is_bad_json_at_its_line(tmp_path: Path) -> None:
    content = f"{page(A)}\nhttps://x.com/a/status/{B}\n{page(B)}\n"
    ids, found = read(tmp_path, "tweets.jsonl", content)
    assert [(d.code, d.location()[1:3]) for d in found if d.location()] == [("E312", (2, 1))]
    assert found[0].message == "not valid JSON: Expecting value"
    assert ids == []


# --- JSON: what each shape gives ------------------------------------------------------


def twarc2_page(tweets: list[str], referenced: list[str]) -> str:
    """A page as twarc2 writes it: Tweets with their fields, the Tweets they refer to in
    ``includes``, the page's ``meta`` and twarc2's own ``__twarc``."""
    data = [
        {
            "edit_history_tweet_ids": [t],
            "author_id": "2244994945",
            "conversation_id": referenced[0] if referenced else t,
            "created_at": "2016-02-20T12:00:00.000Z",
            "referenced_tweets": [{"type": "quoted", "id": r} for r in referenced],
            "public_metrics": {"retweet_count": 1, "like_count": 5, "impression_count": 80},
            "text": f"Tweet {t} 🚀",
            "id": t,
        }
        for t in tweets
    ]
    includes = {"tweets": [{"id": r, "text": "quoted"} for r in referenced]}
    meta = {"newest_id": tweets[0], "oldest_id": tweets[-1], "result_count": len(tweets)}
    twarc = {"url": "https://api.twitter.com/2/tweets/search/recent", "version": "2.14.0"}
    return json.dumps({"data": data, "includes": includes, "meta": meta, "__twarc": twarc})


def test_twarc2_pages_give_their_data_not_their_includes(tmp_path: Path) -> None:
    content = twarc2_page([A, B], [C]) + "\n" + twarc2_page([C], [A]) + "\n"
    ids, found = read(tmp_path, "tweets.jsonl", content)
    assert (ids, found) == ([A, B, C], [])


@pytest.mark.parametrize(
    "content",
    [
        f'{{"id_str": "{A}", "id": 1}}\n{{"id": {B}}}\n',
        f'{{"data": {{"id": "{A}", "text": "one Tweet"}}}}\n{{"data": [{{"id": {B}}}]}}\n',
        f'[{A}, "{B}"]\n',
        f'[\n  {{"id": "{A}"}},\n  {{"id_str": "{B}"}}\n]\n',
        f"[{page(A)}, {page(B)}]",
        f'{{\n  "id": "{A}"\n}}\n{{\n  "id": "{B}"\n}}\n',
        f'"{A}"\n{B}\n',
        f"{page(A)} {page(B)}\n",
        f'{{"data": [{{"id": "https://x.com/a/status/{A}"}}, {{"id": "00{B}"}}]}}',
    ],
    ids=[
        "v1.1 id_str first",
        "one Tweet as data",
        "array of IDs",
        "array of Tweets over lines",
        "array of pages",
        "jq stream",
        "bare JSON IDs",
        "two values a line",
        "a URL and leading zeros",
    ],
)
def test_json_shapes_give_their_tweets_in_order(tmp_path: Path, content: str) -> None:
    ids, found = read(tmp_path, "tweets.json", content)
    assert (ids, found) == ([A, B], [])


def test_a_page_of_errors_warns_at_its_line_and_gives_no_tweets(tmp_path: Path) -> None:
    errors = {"errors": [{"title": "Not Found Error", "detail": f"Could not find tweet {C}."}]}
    content = f"{page(A)}\n{json.dumps(errors)}\n{json.dumps({'meta': {'result_count': 0}})}\n"
    content += f'{{"data": []}}\n{page(B)}\n'
    ids, found = read(tmp_path, "tweets.jsonl", content)
    assert ids == [A, B]
    assert [(d.code, d.location()[1:3], d.message) for d in found if d.location()] == [
        (
            "W302",
            (2, 1),
            f"a page with errors and no data gives no Tweets (1 error: Could not find tweet {C}.)",
        ),
        ("W302", (3, 1), "a page without data gives no Tweets"),
        ("W302", (4, 1), "a page whose data is empty gives no Tweets"),
    ]


def test_a_file_of_only_error_pages_is_an_empty_list(tmp_path: Path) -> None:
    _, found = read(tmp_path, "tweets.jsonl", '{"errors": [{"title": "Not Found Error"}]}\n')
    assert [d.code for d in found] == ["E305", "W302"]


@pytest.mark.parametrize(
    ("content", "place", "message"),
    [
        ('{"foo": 1}', (1, 1), "a JSON object that is neither a Tweet (no id or id_str) nor"),
        (f'{{"data": [{{"id": "{A}"}}, {{"text": "x"}}]}}', (1, 41), "has no id or id_str"),
        ('{"data": "none"}', (1, 1), 'the page\'s data is "none", not Tweets'),
        (f'{{"data": [[{A}]]}}', (1, 11), "a list inside data, where Tweet objects belong"),
        (f"[[{A}]]", (1, 2), "a list inside a list: give IDs, Tweets or pages"),
        ('{"id": {"n": 1}}', (1, 8), "the id of a Tweet object is an object, not an ID"),
        ('{"id": [1]}', (1, 8), "the id of a Tweet object is a list, not an ID"),
    ],
)
def test_json_that_holds_no_tweet_id_is_e313_at_its_place(
    tmp_path: Path, content: str, place: tuple[int, int], message: str
) -> None:
    _, found = read(tmp_path, "tweets.jsonl", content + "\n")
    assert [(d.code, d.location()[1:3]) for d in found] == [("E313", place)]
    assert message in found[0].message


@pytest.mark.parametrize(
    ("value", "code", "text"),
    [
        ("0", "E303", "Tweet ID 0 is out of range"),
        ("-5", "E303", "Tweet ID -5 is out of range"),
        ("1.5e18", "E304", "'1.5e18' is neither"),
        ("NaN", "E304", "'NaN' is neither"),
        ("null", "E304", "'null' is neither"),
        ("true", "E304", "'true' is neither"),
        ('"abc"', "E304", "'abc' is neither"),
        ("9" * 5000, "E303", "is out of range"),
    ],
)
def test_a_bad_id_in_json_is_reported_where_it_is(
    tmp_path: Path, value: str, code: str, text: str
) -> None:
    content = f'{{"data": [{{"id": "{A}"}}, {{"text": "x", "id": {value}}}]}}\n'
    _, found = read(tmp_path, "tweets.jsonl", content)
    (bad,) = found
    column = content.index(f'"id": {value}') + len('"id": ') + 1 + value.startswith('"')
    assert (bad.code, bad.location()[1:3]) == (code, (1, column))
    assert text in bad.message


def test_a_bad_id_is_underlined_without_its_quotes(tmp_path: Path) -> None:
    content = f'{page(A)}\n{{"data": [{{"text": "B", "id": "12x"}}]}}\n'
    _, found = read(tmp_path, "tweets.jsonl", content)
    assert rendered(tmp_path, found) == [
        "tweets.jsonl:2:32: error[E304]: '12x' is neither a Tweet ID nor a Tweet URL\n"
        '2 | {"data": [{"text": "B", "id": "12x"}]}\n'
        "                                   ^^^\n"
        "  = hint: write an ID (1234567890) or a URL like https://x.com/user/status/1234567890"
    ]


def test_duplicates_in_json_lines_point_at_the_repeat(tmp_path: Path) -> None:
    content = f"{twarc2_page([A, B], [C])}\n{twarc2_page([B], [])}\n"
    ids, found = read(tmp_path, "tweets.jsonl", content)
    assert ids == [A, B]
    (repeat,) = found
    second = content.split("\n")[1]
    column = second.index(f'"id": "{B}"') + len('"id": "') + 1
    assert (repeat.code, repeat.location()[1:]) == ("W301", (2, column, 2, column + 18))
    assert repeat.message == f"Tweet {B} is listed twice; sending it once"


# --- JSON that does not decode ---------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        f'{{"data": [{{"id": "{B}", "text": "cut off',
        f'{{"data": [{{"id": "{B}"}} {{"id": "{C}"}}]}}',
        f'{{"data": [{{"id": "{B}",}}]}}',
        "{'data': []}",
        f'{{"data": [{{"id": "{B}"}}]}} trailing',
    ],
)
def test_bad_json_is_reported_where_json_says(tmp_path: Path, line: str) -> None:
    """The line and column are those json.JSONDecodeError gives for the line alone."""
    content = f"{page(A)}\n{line}\n{page(C)}\n"
    ids, found = read(tmp_path, "tweets.jsonl", content)
    try:
        json.loads(line)
    except json.JSONDecodeError as error:
        expected = (error.lineno + 1, error.colno)
    else:
        raise AssertionError("the line decodes")
    (bad,) = found
    assert (bad.code, bad.location()[1:3]) == ("E312", expected)
    assert bad.message.startswith("not valid JSON: ")
    assert ids == []


def test_every_bad_line_is_reported_and_the_others_read(tmp_path: Path) -> None:
    content = f'{page(A)}\n{{"data": [\n{page(B)}\n{{"id": "{C}"\n'
    _, found = read(tmp_path, "tweets.jsonl", content)
    assert rendered(tmp_path, found) == [
        "tweets.jsonl:2:11: error[E312]: not valid JSON: the line ends inside a JSON value\n"
        '2 | {"data": [\n'
        "              ^\n"
        "  = hint: a JSON Lines file holds one JSON value a line, as twarc2 writes them",
        f"tweets.jsonl:4:{len(C) + 10}: error[E312]: not valid JSON: "
        "the line ends inside a JSON value\n"
        f'4 | {{"id": "{C}"\n' + " " * (len(C) + 13) + "^\n"
        "  = hint: a JSON Lines file holds one JSON value a line, as twarc2 writes them",
    ]


def test_json_over_many_lines_reads_on_at_the_next_line_in_column_1(tmp_path: Path) -> None:
    """The closing brace of the bad value is passed over; the next value is read."""
    bad = f'{{\n  "id": "{B}",,\n}}'
    content = f'{{\n  "id": "{A}"\n}}\n{bad}\n{{\n  "id": "{C}"\n}}\n'
    _, found = read(tmp_path, "tweets.json", content)
    with pytest.raises(json.JSONDecodeError) as said:
        json.loads(bad)
    assert [(d.code, d.location()[1:3], d.message) for d in found] == [
        ("E312", (said.value.lineno + 3, said.value.colno), f"not valid JSON: {said.value.msg}")
    ]
    assert file_entries(content).values == [A, C]


def test_a_broken_array_gives_the_json_module_error(tmp_path: Path) -> None:
    content = f'[\n  "{A}"\n  "{B}"\n]\n'
    _, found = read(tmp_path, "tweets.json", content)
    assert [(d.code, d.location()[1:3], d.message) for d in found] == [
        ("E312", (3, 3), "not valid JSON: Expecting ',' delimiter")
    ]


def test_a_huge_number_does_not_stop_the_reading(tmp_path: Path) -> None:
    """Python refuses to convert more than 4,300 digits; JSON numbers stay text here."""
    content = f'{{"id": {"1" * 10_000}}}\n{{"id": "{A}"}}\n'
    _, found = read(tmp_path, "tweets.jsonl", content)
    assert [(d.code, d.location()[1:3]) for d in found] == [("E303", (1, 8))]


# --- W601 and the Tweet-age warnings point into JSON too --------------------------------


def test_a_missing_tweet_of_a_twarc2_file_points_at_its_id(
    tmp_path: Path, engql_sandbox_factory: Callable[..., Sandbox]
) -> None:
    """The Tweet named in a page's data, not the same ID in an earlier page's includes,
    meta or edit history."""
    gone = C
    api = engql_sandbox_factory(now=NOW, unavailable=[gone])
    content = f"{twarc2_page([A], [gone])}\n{twarc2_page([B, gone], [])}\n"
    (tmp_path / "tweets.jsonl").write_text(content, encoding="utf-8")
    client = engql.Client(base_url=api.base_url, environ=credential_env(api))
    result = client.run(
        QUERY.format("tweets.jsonl"), now=NOW, allow_files=True, base_dir=str(tmp_path)
    )
    (warning,) = result.warnings()
    line = content.split("\n")[1]
    column = line.index(f'"id": "{gone}"') + len('"id": "') + 1
    assert warning.location()[1:3] == (2, column)
    assert f"Tweet {gone} is missing" in warning.message


def test_an_age_warning_of_one_tweet_points_at_its_json_line(tmp_path: Path) -> None:
    """Tweet A was created on 2016-02-20, after the window ends (W503)."""
    content = f'[\n  {{"id": "{A}", "text": "the only Tweet"}}\n]\n'
    (tmp_path / "old.json").write_text(content, encoding="utf-8")
    text = (
        "SELECT video_views FROM historical WHERE tweet IN FILE 'old.json'"
        " AND time BETWEEN '2016-02-01' AND '2016-02-15'"
    )
    found = engql.check(text, now=NOW, allow_files=True, base_dir=tmp_path)
    assert [(d.code, d.location()[1:3]) for d in found if d.code.startswith("W50")] == [
        ("W503", (2, 11))
    ]


# --- the law: the format never changes what a file says ------------------------------------

ids_lists = st.lists(st.integers(1, 2**63 - 1), min_size=1, max_size=40)


def _split(ids: list[str], rng: random.Random) -> list[list[str]]:
    pages: list[list[str]] = []
    while ids:
        size = rng.randint(1, 7)
        pages.append(ids[:size])
        ids = ids[size:]
    return pages


def _tweet(i: str, rng: random.Random) -> dict[str, object]:
    form = rng.choice(["v2", "v1.1", "int", "flat"])
    if form == "v1.1":
        return {"id": int(i), "id_str": i, "full_text": "x"}
    if form == "int":
        return {"id": int(i)}
    return {"text": "x", "id": i} if form == "v2" else {"id": i, "author": {"id": "12"}}


def written(ids: list[str], form: str, rng: random.Random) -> str:
    """``ids`` written as a file of format ``form``, with what else such files hold."""
    decoy = str(rng.randint(1, 2**63 - 1))
    if form == "plain":
        return "\n".join(rng.choice(["", "0", "00"]) + i for i in ids) + "\n"
    if form == "urls":
        hosts = ["https://x.com/someone/status/", "https://twitter.com/i/web/status/"]
        ends = ["", "?s=20", "/photo/1", "  "]
        lines = [rng.choice([f"  {i}", rng.choice(hosts) + i + rng.choice(ends)]) for i in ids]
        return "# collected\n\n" + "\n".join(lines) + "\n"
    if form == "csv":
        names = ["alice", '"b, c"']
        rows = [f"{rng.choice(names)},{rng.choice([i, chr(34) + i + chr(34)])},3" for i in ids]
        return "name,tweet_id,likes\n" + "\n".join(rows) + "\n"
    if form == "jsonl pages":
        lines = []
        for tweets in _split(ids, rng):
            lines.append(twarc2_page(tweets, [decoy]))
            if rng.random() < 0.3:
                lines.append(json.dumps({"errors": [{"title": "Not Found Error", "value": decoy}]}))
        return "\n".join(lines) + "\n"
    if form == "json array":
        items: list[object] = [rng.choice([i, int(i)]) for i in ids]
        return json.dumps(items, indent=rng.choice([None, 2]))
    if form == "json tweets":
        return json.dumps([_tweet(i, rng) for i in ids], indent=rng.choice([None, 2, "\t"]))
    if form == "jsonl tweets":
        return "\n".join(json.dumps(_tweet(i, rng)) for i in ids) + "\n"
    assert form == "jq stream"
    return "\n".join(json.dumps(_tweet(i, rng), indent=2) for i in ids) + "\n"


FORMS = ["plain", "urls", "csv", "jsonl pages", "json array", "json tweets", "jsonl tweets"]


@given(numbers=ids_lists, form=st.sampled_from([*FORMS, "jq stream"]), seed=st.integers())
def test_any_format_reads_back_as_the_same_ids(numbers: list[int], form: str, seed: int) -> None:
    rng = random.Random(seed)
    ids = [str(n) for n in rng.sample(numbers, len(numbers)) + numbers[: rng.randint(0, 3)]]
    text = written(ids, form, rng)
    found = file_entries(text)
    assert [tweet_id(v) for v in found.values] == ids
    source = Source(text, "ids")
    assert not [p for p in found.problems if p.code != "W302"]
    for unique in dict.fromkeys(ids):
        first = found.span(source, ids.index(unique))
        assert tweet_id(first.text) == unique
        located = found.places.locate(source, unique)
        assert located is not None and (located.start, located.end) == (first.start, first.end)


def test_the_law_covers_every_format_the_docs_name() -> None:
    assert {file_entries(written([A, B], f, random.Random(1))).places.format for f in FORMS} == {
        "ids",
        "lines",
        "csv",
        "json",
    }


# --- the examples of docs/running.md -----------------------------------------------------

RUNNING = (ROOT / "docs" / "running.md").read_text(encoding="utf-8")
EXAMPLES = re.findall(r"<!-- ids-example (\S+) -->\n```\w*\n(.*?)^```$", RUNNING, re.M | re.S)


def test_the_docs_show_an_example_of_each_format() -> None:
    assert {file_entries(text).places.format for _, text in EXAMPLES} == {"json", "csv"}
    assert len(EXAMPLES) == 4


@pytest.mark.parametrize(("name", "content"), EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_each_example_of_the_docs_reads_as_it_says(tmp_path: Path, name: str, content: str) -> None:
    ids, found = read(tmp_path, name, content)
    assert ids == ["850006245121695744", "1260294888811347969"]
    warnings = [(d.code, d.location()[1]) for d in found if d.code.startswith("W3")]
    assert warnings == ([("W302", 2), ("W301", 3)] if name == "tweets.jsonl" else [])


# --- every command that compiles reads JSON files ---------------------------------------


@pytest.mark.parametrize("command", ["check", "explain", "compile", "debug query"])
def test_commands_that_compile_read_a_twarc2_file(tmp_path: Path, command: str) -> None:
    (tmp_path / "tweets.jsonl").write_text(f"{twarc2_page([A, B], [C])}\n", encoding="utf-8")
    (tmp_path / "q.engql").write_text(QUERY.format("tweets.jsonl") + ";\n", encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "engql",
            *command.split(),
            "q.engql",
            "--now",
            "2016-03-01T00:00:00Z",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    if command == "compile":
        (request,) = map(json.loads, done.stdout.splitlines())
        assert request["body"]["tweet_ids"] == [A, B]
    elif command == "debug query":
        (checked,) = json.loads(done.stdout)["queries"]
        assert (checked["tweet_ids"], checked["origin"]["file"]) == (
            [A, B],
            str(tmp_path / "tweets.jsonl"),
        )
    elif command == "explain":
        assert "  2 Tweet IDs → 1 batch of up to 250 × 1 window = 1 request" in done.stdout
