"""examples/engql_in_jupyter.ipynb runs in a real kernel, as Jupyter runs it: nbclient
executes every cell in an ipykernel of this Python (its ``--sandbox`` on loopback),
and the outputs are what a reader sees: the table of the sandbox's counts, the
DataFrame's dtypes, a bad query's diagnostic with its caret and no traceback. The
notebook is stored without outputs, so the repository never carries stale ones.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

import engql
from engql.running import sandbox_settings
from engql.sandbox.server import Sandbox

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NOTEBOOK = EXAMPLES / "engql_in_jupyter.ipynb"
GROUPINGS = ("per_tweet", "all_tweets")
METRICS = ("favorites", "retweets", "quote_tweets", "replies")
"""The first query's groupings and metrics, in its order."""
KERNEL = "python3"
"""The notebook's kernel, which the test makes this interpreter's."""


def read() -> Any:
    return nbformat.read(NOTEBOOK, as_version=4)


def cells_by_id(notebook: Any) -> dict[str, Any]:
    return {cell.id: cell for cell in notebook.cells if cell.cell_type == "code"}


def test_the_notebook_is_stored_without_outputs() -> None:
    notebook = read()
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec.name == KERNEL
    for cell in cells_by_id(notebook).values():
        assert (cell.outputs, cell.execution_count) == ([], None), cell.id


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The notebook's code cells by id, once run top to bottom in one kernel.

    ``python3`` is declared in a folder of its own first on JUPYTER_PATH, running this
    interpreter, so that a kernel spec of the user's cannot run another Python. HOME and
    the temporary folder are the test's: the kernel writes nothing outside them.
    """
    root = tmp_path_factory.mktemp("kernel")
    spec = root / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "engql tests", "language": "python"})
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(root / "jupyter"))
        patch.setenv("HOME", str(root))
        patch.setenv("TMPDIR", str(root))
        patch.delenv("JUPYTER_CONFIG_DIR", raising=False)
        for name in [n for n in os.environ if n.startswith(("ENGQL_", "TWITTER_"))]:
            patch.delenv(name)
        notebook = read()
        NotebookClient(
            notebook,
            timeout=120,
            kernel_name=KERNEL,
            resources={"metadata": {"path": str(EXAMPLES)}},
        ).execute()
    return cells_by_id(notebook)


def outputs(cell: Any, kind: str) -> list[Any]:
    return [output for output in cell.outputs if output.output_type == kind]


def html(cell: Any) -> str:
    (result,) = outputs(cell, "execute_result")
    return str(result.data["text/html"])


def test_no_cell_shows_a_traceback(executed: dict[str, Any]) -> None:
    for cell in executed.values():
        assert outputs(cell, "error") == [], cell.id
        assert "Traceback" not in json.dumps(cell.outputs), cell.id


def test_the_table_has_the_sandboxs_counts(executed: dict[str, Any]) -> None:
    cell = executed["totals"]
    query = cell.source.split("\n", 1)[1]
    with Sandbox() as api:
        expected = engql.Client.from_settings(sandbox_settings(api)).run(query)
    shown = html(cell)
    per_tweet, all_tweets = (expected.statements[0].rows(name) for name in GROUPINGS)
    assert len(per_tweet) == 3
    for row in [*per_tweet, *all_tweets]:
        tweet = (
            [f'<td style="text-align: left">{row["tweet_id"]}</td>'] if "tweet_id" in row else []
        )
        counts = [f'<td style="text-align: right">{row[metric]:,}</td>' for metric in METRICS]
        assert f"<tr>{''.join([*tweet, *counts])}</tr>" in shown
    for name in GROUPINGS:
        assert f"<p>statement 1, grouping <code>{name}</code></p>" in shown
    assert "<p>no Tweet is missing</p>" in shown


def test_the_dataframe_has_typed_columns(executed: dict[str, Any]) -> None:
    (result,) = outputs(executed["dtypes"], "execute_result")
    text = result.data["text/plain"]
    assert re.search(r"^tweet_id\s+int64$", text, re.M), text
    assert re.search(r"^bucket_start\s+datetime64\[ns, UTC\]$", text, re.M), text
    assert re.search(r"^impressions\s+int64$", text, re.M), text
    assert re.search(r"^day\s+(str|object)$", text, re.M), text
    assert "… 8 more rows" in html(executed["daily"])  # 2 Tweets × 14 days, 20 shown
    (pivot,) = outputs(executed["pivot"], "execute_result")
    assert "2024-06-04 00:00:00+00:00" in pivot.data["text/plain"]


def test_a_second_collection_sends_fewer_requests(executed: dict[str, Any]) -> None:
    def requests(cell: Any) -> int:
        (result,) = outputs(cell, "execute_result")
        found = re.search(r"(\d+) requests? in ", result.data["text/plain"])
        assert found, result.data["text/plain"]
        return int(found[1])

    assert requests(executed["collect-2"]) < requests(executed["collect"])


def test_a_bad_query_shows_its_diagnostic_with_the_caret(executed: dict[str, Any]) -> None:
    cell = executed["typo"]
    assert outputs(cell, "execute_result") == []
    (stream,) = outputs(cell, "stream")
    assert stream.name == "stderr"
    lines = stream.text.splitlines()
    assert lines[:2] == [
        "UsageError: the query has 1 error; nothing was sent",
        "<cell>:1:8: error[E102]: unknown metric 'favorits'",
    ]
    source, caret = lines[2], lines[3]
    assert source == "1 | SELECT favorits FROM totals WHERE tweet = 1260294888811347969"
    assert caret == " " * source.index("favorits") + "^" * len("favorits")
