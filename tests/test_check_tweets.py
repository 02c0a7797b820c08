"""The Tweets of a statement: literals, URLs, parameters and IDs files (engql/check/tweets.py)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from check_harness import (
    NOW,
    RECENT_2,
    TWEETS_PARAM,
    Case,
    T,
    assert_case,
    assert_codes,
    body,
    check,
    codes,
    diagnose,
)

import engql
import engql.pipeline
from engql import facts
from engql.check import CheckOptions
from engql.check.context import MAX_TWEET_IDS
from engql.params import IdsFileParam
from engql.pipeline import analyse
from engql.syntax.source import Source

CASES: list[Case] = [
    Case("E301", "SELECT * FROM totals", [("E301", 1, 1, "the statement names no Tweets")]),
    Case(
        "E302",
        f"SELECT * FROM totals\nWHERE tweet = {T}\n  AND tweet IN ({RECENT_2})",
        [("E302", 3, 7, "Tweets are already given on line 2")],
    ),
    Case(
        "E303",
        f"SELECT * FROM totals WHERE tweet IN ({T}, 0, 9223372036854775808)",
        [
            ("E303", 1, 58, "Tweet ID 0 is out of range: IDs are positive 64-bit integers"),
            ("E303", 1, 61, "Tweet ID 9223372036854775808 is out of range"),
        ],
    ),
    Case(
        "E304",
        f"SELECT * FROM totals WHERE tweet IN ({T}, 'abc', 'https://example.com/status/5')",
        [
            ("E304", 1, 58, "'abc' is neither a Tweet ID nor a Tweet URL"),
            ("E304", 1, 65, "'https://example.com/status/5' is neither a Tweet ID nor a Tweet"),
        ],
    ),
    Case(
        "E305",
        "SELECT * FROM totals WHERE tweet IN ()",
        [("E305", 1, 37, "the list of Tweets is empty")],
    ),
    Case(
        "E306",
        "SELECT * FROM totals WHERE tweet IN :ids",
        [("E306", 1, 37, "parameter :ids is not bound")],
    ),
    Case(
        "E307",
        "SELECT * FROM totals WHERE tweet IN FILE 'ids.txt'",
        [("E307", 1, 37, "reading Tweet IDs from a file is not allowed here")],
    ),
    Case(
        "E308",
        "SELECT * FROM totals WHERE tweet IN FILE 'missing.txt'",
        [("E308", 1, 37, "cannot read IDs file")],
        {"allow_files": True},
    ),
    Case(
        "E310",
        "SELECT * FROM totals WHERE tweet IN :ids",
        [("E310", 1, 37, "parameter :ids is a float, not Tweet IDs")],
        {"params": {"ids": 1.5}},
    ),
    Case(
        "E311",
        "SELECT * FROM totals WHERE tweet IN FILE '../ids.txt'",
        [("E311", 1, 37, "IDs file '../ids.txt' leads out of base_dir")],
        {"allow_files": "base_dir"},
    ),
    Case(
        "E312",
        "SELECT * FROM totals WHERE tweet IN FILE 'e312.jsonl'",
        [("E312", 2, 11, "not valid JSON: the line ends inside a JSON value")],
        {"allow_files": True},
    ),
    Case(
        "E313",
        "SELECT * FROM totals WHERE tweet IN FILE 'e313.jsonl'",
        [("E313", 1, 11, "a Tweet object in data has no id or id_str")],
        {"allow_files": True},
    ),
    Case(
        "W301",
        f"SELECT favorites FROM totals WHERE tweet IN ({T}, {RECENT_2}, {T})",
        [("W301", 1, 86, f"Tweet {T} is listed twice; sending it once")],
    ),
    Case(
        "W302",
        "SELECT * FROM totals WHERE tweet IN FILE 'w302.jsonl'",
        [("W302", 2, 1, "a page with errors and no data gives no Tweets (1 error: Not Found")],
        {"allow_files": True},
    ),
]
CASE_FILES = {
    "E312": ("e312.jsonl", f'{{"data": [{{"id": "{T}"}}]}}\n{{"data": [\n'),
    "E313": ("e313.jsonl", '{"data": [{"text": "a Tweet without its id"}]}\n'),
    "W302": (
        "w302.jsonl",
        f'{{"data": [{{"id": "{T}"}}]}}\n{{"errors": [{{"title": "Not Found"}}]}}\n',
    ),
}
"""The IDs file each case of a JSON code reads, written into its base_dir."""


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.code)
def test_code_is_reported_at_its_place(case: Case, tmp_path: Path) -> None:
    if case.code in CASE_FILES:
        name, content = CASE_FILES[case.code]
        (tmp_path / name).write_text(content, encoding="utf-8")
    assert_case(case, tmp_path)


def test_too_many_tweet_ids() -> None:
    """Ten million IDs cost seconds, so the limit is lowered through CheckOptions."""
    defaults = engql.pipeline.options(None, NOW, allow_files=False, base_dir=None)
    assert defaults.max_tweet_ids == MAX_TWEET_IDS == 10_000_000
    text = "SELECT favorites FROM totals WHERE tweet IN (1, 2, 3, 4)"
    options = CheckOptions(now=NOW, max_tweet_ids=3)
    _, queries, diagnostics = analyse(Source(text), options)
    assert queries == []
    assert [(d.code, d.location(), d.message) for d in diagnostics] == [
        ("E309", ("<query>", 1, 45, 1, 57), "4 Tweet IDs; one statement takes at most 3")
    ]


def test_duplicate_tweets_warn_and_are_sent_once_first_kept() -> None:
    url = f"https://x.com/someone/status/{T}"
    text = f"SELECT favorites FROM totals WHERE tweet IN ({RECENT_2}, '{url}', '00{T}', {RECENT_2})"
    assert_codes(
        text,
        [
            ("W301", 1, 117, f"Tweet {T} is listed twice; sending it once"),
            ("W301", 1, 141, f"Tweet {RECENT_2} is listed twice; sending it once"),
        ],
    )
    assert body(text)["tweet_ids"] == [str(RECENT_2), str(T)]


def test_packed_id_list_with_leading_zeros_is_canonical() -> None:
    text = f"SELECT favorites FROM totals WHERE tweet IN (0{T}, {T}, {RECENT_2})"
    assert codes(text) == ["W301"]
    assert body(text)["tweet_ids"] == [str(T), str(RECENT_2)]


def test_largest_tweet_id_is_accepted() -> None:
    assert codes(f"SELECT favorites FROM totals WHERE tweet = {facts.MAX_TWEET_ID}") == ["W504"]


def test_file_is_refused_by_default(tmp_path: Path) -> None:
    (tmp_path / "ids.txt").write_text(f"{T}\n")
    text = "SELECT favorites FROM totals WHERE tweet IN FILE 'ids.txt'"
    (diagnostic,) = check(text, base_dir=tmp_path)
    assert diagnostic.code == "E307"
    assert diagnostic.hint is not None and "allow_files=True" in diagnostic.hint
    with pytest.raises(engql.EngqlError):
        engql.compile(text, now=NOW, base_dir=tmp_path)


def test_file_is_read_relative_to_base_dir(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "ids.txt").write_text(f"{T}\n{RECENT_2}\n{T}\n")
    text = "SELECT favorites FROM totals WHERE tweet IN FILE 'sub/ids.txt'"
    found = check(text, allow_files=True, base_dir=tmp_path)
    assert [(d.code, d.location()) for d in found] == [
        ("W301", (str(tmp_path / "sub" / "ids.txt"), 3, 1, 3, 19))
    ]
    assert body(text, allow_files=True, base_dir=tmp_path)["tweet_ids"] == [str(T), str(RECENT_2)]


def test_ids_file_with_blank_lines_comments_and_urls(tmp_path: Path) -> None:
    (tmp_path / "ids.txt").write_text(
        f"# campaign Tweets\n\n{T}\n   # indented comment\n"
        f"  https://x.com/a/status/{RECENT_2}  \n\n"
    )
    text = "SELECT favorites FROM totals WHERE tweet IN FILE 'ids.txt'"
    assert check(text, allow_files=True, base_dir=tmp_path) == []
    assert body(text, allow_files=True, base_dir=tmp_path)["tweet_ids"] == [str(T), str(RECENT_2)]


def test_bad_line_in_ids_file_is_reported_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "ids.txt").write_text(f"# header\n{T}\n\n  not-an-id\n{RECENT_2}\n0\n")
    text = "SELECT favorites FROM totals\nWHERE tweet IN FILE 'ids.txt'"
    found = check(text, allow_files=True, base_dir=tmp_path)
    where = [(d.code, d.location()) for d in found]
    path = str(tmp_path / "ids.txt")
    assert where == [("E304", (path, 4, 3, 4, 12)), ("E303", (path, 6, 1, 6, 2))]
    first = found[0].render().splitlines()
    assert first[0] == (
        f"{path}:4:3: error[E304]: 'not-an-id' is neither a Tweet ID nor a Tweet URL"
    )
    assert first[1:3] == ["4 |   not-an-id", "      ^^^^^^^^^"]


@pytest.mark.parametrize("header", ["tweet_id", "tweet_ids", "id", "Tweet_ID"])
def test_csv_ids_file_with_an_id_column(tmp_path: Path, header: str) -> None:
    (tmp_path / "ids.csv").write_text(
        f"# exported\nhandle,{header},likes\nalice,{T},3\n\nbob,{RECENT_2},5\n"
        f"# carol,none,0\nalice,{T},3\n"
    )
    text = "SELECT favorites FROM totals WHERE tweet IN FILE 'ids.csv'"
    found = check(text, allow_files=True, base_dir=tmp_path)
    assert [(d.code, d.location()[1:3]) for d in found if d.location()] == [("W301", (7, 7))]
    assert body(text, allow_files=True, base_dir=tmp_path)["tweet_ids"] == [str(T), str(RECENT_2)]


def test_csv_bad_cell_is_reported_on_its_line(tmp_path: Path) -> None:
    (tmp_path / "ids.csv").write_text(f"tweet_id,note\n{T},ok\nnope,bad\n")
    text = "SELECT favorites FROM totals WHERE tweet IN FILE 'ids.csv'"
    (diagnostic,) = check(text, allow_files=True, base_dir=tmp_path)
    assert diagnostic.code == "E304"
    assert diagnostic.location() == (str(tmp_path / "ids.csv"), 3, 1, 3, 5)


def test_csv_bad_cell_in_a_later_column_is_underlined_where_it_is(tmp_path: Path) -> None:
    (tmp_path / "ids.csv").write_text(f"handle,tweet_id\nalice,{T}\nbob,nope\n")
    text = "SELECT favorites FROM totals WHERE tweet IN FILE 'ids.csv'"
    (diagnostic,) = check(text, allow_files=True, base_dir=tmp_path)
    assert diagnostic.location() == (str(tmp_path / "ids.csv"), 3, 5, 3, 9)
    assert diagnostic.render().splitlines()[1:3] == ["3 | bob,nope", "        ^^^^"]


def test_csv_cells_quoted_or_padded_are_underlined_at_their_text(tmp_path: Path) -> None:
    (tmp_path / "ids.csv").write_text(
        f'handle,tweet_id\nalice,{T}\nbob,"nope"\ncarol, nah \n"dan, jr",zip\n'
    )
    text = "SELECT favorites FROM totals WHERE tweet IN FILE 'ids.csv'"
    found = check(text, allow_files=True, base_dir=tmp_path)
    path = str(tmp_path / "ids.csv")
    assert [(d.code, d.location()) for d in found] == [
        ("E304", (path, 3, 6, 3, 10)),
        ("E304", (path, 4, 8, 4, 11)),
        ("E304", (path, 5, 11, 5, 14)),
    ]


def test_ids_file_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "ids.txt").write_bytes(b"\xff\xfe\x00 1\n")
    text = "SELECT favorites FROM totals WHERE tweet IN FILE 'ids.txt'"
    assert_codes(
        text,
        [("E308", 1, 45, "it is not UTF-8 text")],
        allow_files=True,
        base_dir=tmp_path,
    )


def test_empty_ids_file(tmp_path: Path) -> None:
    (tmp_path / "ids.txt").write_text("# nothing yet\n\n")
    text = "SELECT favorites FROM totals WHERE tweet IN FILE 'ids.txt'"
    assert_codes(text, [("E305", 1, 45)], allow_files=True, base_dir=tmp_path)


def test_ids_file_named_by_a_parameter(tmp_path: Path) -> None:
    path = tmp_path / "ids.txt"
    path.write_text(f"{T}\n")
    text = "SELECT favorites FROM totals WHERE tweet IN :ids"
    assert body(text, params={"ids": IdsFileParam(str(path))})["tweet_ids"] == [str(T)]
    missing = IdsFileParam(str(tmp_path / "none.txt"))
    assert_codes(text, [("E308", 1, 45, "No such file")], params={"ids": missing})


@pytest.mark.parametrize(
    "value",
    [
        [T, RECENT_2],
        [str(T), str(RECENT_2)],
        [f"https://x.com/a/status/{T}", RECENT_2],
        f"{T},{RECENT_2}",
        f" {T} , {RECENT_2} ",
        (T, RECENT_2),
    ],
)
def test_tweet_parameter_values(value: object) -> None:
    assert diagnose(TWEETS_PARAM, params={"ids": value}) == []
    assert body(TWEETS_PARAM, params={"ids": value})["tweet_ids"] == [str(T), str(RECENT_2)]


def test_single_tweet_parameter() -> None:
    text = "SELECT favorites FROM totals WHERE tweet = :id"
    assert body(text, params={"id": T})["tweet_ids"] == [str(T)]
    assert body(text, params={"id": str(T)})["tweet_ids"] == [str(T)]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1.5, "parameter :ids is a float, not Tweet IDs"),
        (True, "parameter :ids is a bool, not Tweet IDs"),
        ({"a": 1}, "parameter :ids is a dict, not Tweet IDs"),
        (b"700832233681846272", "parameter :ids is a bytes, not Tweet IDs"),
        (bytearray(b"1"), "parameter :ids is a bytearray, not Tweet IDs"),
        ([T, 2.5], "parameter :ids holds values that are neither numbers nor strings"),
        ([T, None], "parameter :ids holds values that are neither numbers nor strings"),
    ],
)
def test_tweet_parameter_of_the_wrong_kind(value: object, message: str) -> None:
    assert_codes(TWEETS_PARAM, [("E310", 1, 45, message)], params={"ids": value})


@pytest.mark.parametrize(
    ("value", "kind"),
    [(NOW, "datetime"), (datetime(2016, 1, 1), "datetime"), (date(2016, 1, 1), "date")],
)
def test_time_bound_to_a_tweet_parameter_is_named_as_a_time(value: object, kind: str) -> None:
    assert_codes(
        TWEETS_PARAM,
        [("E310", 1, 45, f"parameter :ids is a {kind}, not Tweet IDs")],
        params={"ids": value},
    )


def test_bad_tweets_in_a_parameter_point_at_the_parameter() -> None:
    assert_codes(
        TWEETS_PARAM,
        [("E304", 1, 45, "'abc'"), ("E303", 1, 45, "Tweet ID 0 is out of range")],
        params={"ids": f"{T}, abc, 0"},
    )
    assert_codes(TWEETS_PARAM, [("E305", 1, 45)], params={"ids": []})
    assert_codes(TWEETS_PARAM, [("E305", 1, 45)], params={"ids": " , "})


def test_urls_without_a_user_name_give_their_tweet_id() -> None:
    urls = [f"https://x.com/status/{T}", f"https://twitter.com/i/web/status/{RECENT_2}"]
    text = f"SELECT favorites FROM totals WHERE tweet IN ('{urls[0]}', '{urls[1]}')"
    assert body(text)["tweet_ids"] == [str(T), str(RECENT_2)]


@pytest.mark.parametrize(
    "url",
    ["https://x.com//status/5", "https://x.comstatus/5", "https://x.com/status", "x.com/status/5"],
)
def test_malformed_urls_are_still_refused(url: str) -> None:
    assert codes(f"SELECT favorites FROM totals WHERE tweet = '{url}'") == ["E304"]
