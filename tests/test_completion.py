"""The shell's completion, as a pure function: text and cursor in, suggestions out.

``|`` in a test's text marks the cursor.
"""

from __future__ import annotations

from collections.abc import Mapping

from hypothesis import given
from hypothesis import strategies as st
from strategies import scripts, with_comments

from engql.facts import ENDPOINTS, GROUP_KEYS, METRICS
from engql.params import IdsFileParam
from engql.repl.commands import COMMANDS, RESULT_FORMATS, MetaCommand
from engql.repl.completion import Suggestion, complete

PARAMS: Mapping[str, object] = {
    "ids": [1260294888811347969, 850006245121695744],
    "start": "2024-06-01",
}


def at_bar(marked: str, params: Mapping[str, object] = PARAMS) -> list[Suggestion]:
    """complete() with the cursor where ``|`` is (the ``|`` taken out)."""
    cursor = marked.index("|")
    return complete(marked[:cursor] + marked[cursor + 1 :], cursor, params)


def texts(marked: str, params: Mapping[str, object] = PARAMS) -> list[str]:
    return [s.text for s in at_bar(marked, params)]


def command_taking(argument: str) -> MetaCommand:
    """The first backslash command whose argument is of this kind."""
    return next(c for c in COMMANDS if c.argument == argument)


# SELECT: metrics


def test_a_metric_prefix_completes_from_its_first_letter() -> None:
    assert at_bar("SELECT fav|") == [
        Suggestion("favorites", 7, "likes · totals 28hr historical"),
    ]


def test_without_from_every_metric_in_the_facts_order_then_star() -> None:
    assert texts("SELECT |") == [*METRICS, "*"]


def test_from_after_the_cursor_narrows_to_that_endpoints_metrics() -> None:
    assert texts("SELECT | FROM 28hr") == [*ENDPOINTS["28hr"].metrics, "*"]
    assert texts("SELECT | FROM totals WHERE tweet = 1") == [*ENDPOINTS["totals"].metrics, "*"]


def test_from_anywhere_in_a_multi_line_statement_counts() -> None:
    assert "quote_tweets" not in texts("SELECT favorites,\n  |\nFROM /* hourly */ historical")


def test_an_unknown_endpoint_leaves_every_metric() -> None:
    assert texts("SELECT | FROM hourly") == [*METRICS, "*"]


def test_metrics_already_selected_are_not_offered_again() -> None:
    assert texts("SELECT favorites, | FROM totals") == [
        m for m in ENDPOINTS["totals"].metrics if m != "favorites"
    ]
    assert "retweets" not in texts("SELECT |, retweets FROM totals")


def test_the_metric_being_typed_is_still_offered() -> None:
    assert texts("SELECT favorites, retw|") == ["retweets"]
    assert texts("SELECT fav|orites FROM totals") == ["favorites"]


def test_a_metrics_description_says_what_it_counts_and_where() -> None:
    (suggestion,) = at_bar("SELECT media_v|")
    assert suggestion.meta == f"{METRICS['media_views'].description} · 28hr historical"
    (suggestion,) = at_bar("SELECT quote|")
    assert suggestion.meta.endswith("· totals")


def test_metric_names_match_whatever_the_case_typed() -> None:
    assert at_bar("select RET|") == [Suggestion("retweets", 7, "Retweets · totals 28hr historical")]


def test_star_says_which_endpoint() -> None:
    (star,) = [s for s in at_bar("SELECT | FROM 28hr") if s.text == "*"]
    assert star.meta == "every metric /28hr offers"


# FROM: endpoints


def test_from_offers_the_three_endpoints_with_what_they_return() -> None:
    assert at_bar("SELECT favorites FROM |") == [
        Suggestion(e.name, 22, e.description) for e in ENDPOINTS.values()
    ]
    assert texts("SELECT favorites FROM 2|") == ["28hr"]


# GROUP BY: keys


def test_group_by_on_totals_offers_only_its_keys() -> None:
    assert texts("SELECT favorites FROM totals GROUP BY |") == ["tweet.id", "engagement.type"]


def test_group_by_without_endpoint_offers_every_key() -> None:
    assert texts("SELECT favorites FROM hourly GROUP BY |") == list(GROUP_KEYS)


def test_a_key_already_in_the_grouping_is_not_offered() -> None:
    keys = texts("SELECT impressions FROM historical GROUP BY tweet.id, |")
    assert keys == ["engagement.type", "engagement.day", "engagement.hour"]
    keys = texts("SELECT impressions FROM historical GROUP BY |, engagement.day AS daily")
    assert keys == ["tweet.id", "engagement.type", "engagement.hour"]


def test_another_grouping_may_use_the_keys_of_the_first() -> None:
    text = "SELECT impressions FROM 28hr GROUP BY tweet.id, engagement.type AS a\nGROUP BY |"
    assert texts(text) == list(GROUP_KEYS)
    text = "SELECT impressions FROM 28hr GROUP BY engagement.type GROUP BY tweet.id, |"
    assert texts(text) == ["engagement.type", "engagement.day", "engagement.hour"]


def test_a_partial_key_is_replaced_whole() -> None:
    text = "SELECT impressions FROM historical GROUP BY tweet.|"
    start = text.index("tweet.")
    assert [(s.text, s.start) for s in at_bar(text)] == [("tweet.id", start)]
    text = "SELECT impressions FROM historical GROUP BY tweet.id, eng|"
    start = text.index("eng")
    assert [(s.text, s.start) for s in at_bar(text)] == [
        ("engagement.type", start),
        ("engagement.day", start),
        ("engagement.hour", start),
    ]


def test_a_keys_description_says_its_buckets_and_where() -> None:
    (suggestion,) = at_bar("SELECT impressions FROM x GROUP BY engagement.h|")
    assert suggestion.meta == "one bucket per UTC hour (HH) · 28hr historical"


# Keywords


def test_keywords_the_grammar_expects_next() -> None:
    assert texts("|") == ["SELECT"]
    assert texts("SELECT favorites |") == ["FROM"]
    assert texts("SELECT favorites FROM totals |") == ["WHERE", "GROUP BY"]
    assert texts("SELECT favorites FROM totals WHERE |") == ["tweet", "time"]
    assert texts("SELECT favorites FROM totals WHERE tweet |") == ["IN"]
    assert texts("SELECT favorites FROM totals WHERE tweet IN :ids |") == ["AND", "GROUP BY"]
    text = "SELECT favorites FROM totals GROUP BY tweet.id |"
    assert texts(text) == ["AS", "GROUP BY"]


def test_keywords_follow_a_lower_case_prefix() -> None:
    assert texts("select favorites from totals w|") == ["where"]
    assert texts("select favorites from totals gr|") == ["group by"]
    assert texts("select favorites from totals Gr|") == ["GROUP BY"]
    assert texts("SELECT favorites FROM totals WHERE TW|") == ["TWEET"]


def test_group_by_is_one_suggestion_from_its_first_letter() -> None:
    text = "SELECT favorites FROM totals G|"
    assert at_bar(text) == [
        Suggestion("GROUP BY", len(text) - 2, "a grouping: the levels of the answer")
    ]


def test_time_range_words() -> None:
    base = "SELECT impressions FROM historical WHERE tweet = 1 AND time "
    assert texts(base + "|") == ["BETWEEN"]
    assert texts(base + "BETWEEN |", {}) == ["now", "today"]
    assert texts(base + "BETWEEN now - 2 |") == ["hours", "days", "weeks"]
    assert texts(base + "BETWEEN today - 2 weeks |") == ["AND"]


# Parameters


def test_parameters_that_are_set_where_the_grammar_takes_one() -> None:
    suggestions = at_bar("SELECT favorites FROM totals WHERE tweet IN |")
    assert [(s.text, s.meta) for s in suggestions] == [
        (":ids", "2 items: 1260294888811347969, 850006245…"),
        (":start", "2024-06-01"),
        ("FILE", "Tweets read from a file"),
    ]
    text = "SELECT impressions FROM historical WHERE tweet = 1 AND time BETWEEN :s|"
    assert at_bar(text) == [Suggestion(":start", text.index(":s"), "2024-06-01")]


def test_no_parameters_no_parameter_suggestions() -> None:
    assert texts("SELECT favorites FROM totals WHERE tweet = |", {}) == []


def test_a_parameters_preview_is_short() -> None:
    params = {"ids": list(range(1_000_000)), "path": IdsFileParam("ids.txt"), "long": "x" * 100}
    metas = [s.meta for s in at_bar("SELECT a FROM totals WHERE tweet = |", params)]
    assert metas[0] == "1,000,000 items: 0, 1, 2, 3, 4"
    assert metas[1] == "@ids.txt"
    assert len(metas[2]) == 40 and metas[2].endswith("…")


# Backslash commands


def test_backslash_offers_every_command_with_its_help() -> None:
    assert at_bar("\\|") == [Suggestion("\\" + c.name, 0, c.help) for c in COMMANDS]
    assert texts("\\expl|") == ["\\explain"]
    assert texts("SELECT favorites\n  \\ti|") == ["\\timing"]


def test_a_command_argument_completes_by_its_kind() -> None:
    endpoint = command_taking("endpoint").name
    assert texts(f"\\{endpoint} |") == list(ENDPOINTS)
    assert texts(f"\\{endpoint} hi|") == ["historical"]
    output = command_taking("format").name
    assert texts(f"\\{output} |") == list(RESULT_FORMATS)
    switch = command_taking("on_off").name
    assert texts(f"\\{switch} o|") == ["on", "off"]


def test_a_parameter_argument_offers_the_set_parameters() -> None:
    forget = command_taking("param").name
    assert texts(f"\\{forget} |") == ["ids", "start"]
    line = f"\\{forget} :st"
    assert at_bar(line + "|") == [Suggestion("start", len(line) - 2, "2024-06-01")]


def test_a_statement_argument_completes_as_a_statement() -> None:
    explain = command_taking("statement").name
    text = f"\\{explain} SELECT fav|"
    assert at_bar(text) == [
        Suggestion("favorites", text.index("fav"), "likes · totals 28hr historical")
    ]
    assert texts(f"\\{explain} SELECT | FROM totals") == [*ENDPOINTS["totals"].metrics, "*"]


def test_arguments_without_suggestions() -> None:
    for kind in ("file", "profile", "param_value", ""):
        command = command_taking(kind).name
        assert texts(f"\\{command} |") == []
    assert texts("\\nosuchcommand |") == []
    endpoint = command_taking("endpoint").name
    assert texts(f"\\{endpoint} totals |") == []


# Strings, comments, text that does not parse, several statements


def test_no_suggestions_in_a_string_or_comment() -> None:
    assert texts("SELECT favorites FROM totals WHERE tweet = 'fav|") == []
    assert texts("SELECT favorites FROM totals WHERE tweet = 'it''s |") == []
    assert texts("SELECT favorites -- fav|") == []
    assert texts("SELECT /* fav| */ FROM totals") == []
    assert texts('SELECT favorites FROM totals GROUP BY tweet.id AS "gr|') == []


def test_suggestions_after_a_comment_ends() -> None:
    assert texts("SELECT /* the likes */ fav|") == ["favorites"]
    assert texts("SELECT favorites -- the likes\nFROM |") == list(ENDPOINTS)


def test_text_that_does_not_parse_gets_nothing() -> None:
    assert texts("SELECT FROM fav|") == []
    assert texts("SELECT favorites FROM totals WHERE ) |") == []
    assert texts("SELECT favorites ? |") == []


def test_only_the_statement_at_the_cursor_counts() -> None:
    assert texts("SELECT favorites FROM totals; SELECT fav|") == ["favorites"]
    assert texts("SELECT a FROM totals; SELECT | FROM 28hr; SELECT b FROM historical") == [
        *ENDPOINTS["28hr"].metrics,
        "*",
    ]
    assert texts("SELECT | ; SELECT b FROM totals") == [*METRICS, "*"]
    assert texts("SELECT favorites FROM totals; |") == ["SELECT"]
    text = "SELECT a FROM totals WHERE tweet = ';' GROUP BY |"
    assert texts(text) == ["tweet.id", "engagement.type"]


def test_a_cursor_outside_the_text_is_taken_to_its_end() -> None:
    assert [s.text for s in complete("SELECT fav", 99)] == ["favorites"]
    assert [s.text for s in complete("SELECT fav", -3)] == ["SELECT"]


# Laws


_ANY_TEXT = st.text(alphabet=st.sampled_from("SELECTfromtweet.id,:\\'\"-/*;() \n\t0123456789é"))
_TEXTS = st.one_of(_ANY_TEXT, st.text(), scripts(), with_comments(), _ANY_TEXT.map("\\".__add__))


@given(_TEXTS, st.data())
def test_complete_never_raises_and_replaces_only_a_prefix(text: str, data: st.DataObject) -> None:
    cursor = data.draw(st.integers(0, len(text)))
    for suggestion in complete(text, cursor, PARAMS):
        assert 0 <= suggestion.start <= cursor
        assert suggestion.text.lower().startswith(text[suggestion.start : cursor].lower())
