"""docs/notebooks.md stays true: its cells run, in order, in one IPython shell with
``%load_ext engql``, beside a copy of examples/, and each shows what the ``text``
block after it says (a value as Jupyter prints it, or the UsageError of a cell that
stops); its tables are the magic's options and the DataFrame's dtypes, and its counts
the Result's. ``--profile acme`` is a profile of the test's, naming a sandbox on
loopback, like every other cell's ``--sandbox``."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from magic_helpers import ipython_shell, run_cell

from engql.executor.result import SHOWN_MISSING, SHOWN_ROWS, TEXT_COLUMNS, TIMESTAMP
from engql.notebook import build_parser
from engql.sandbox.server import Sandbox

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "notebooks.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```$", re.S | re.M)


def cells() -> list[tuple[str, str | None]]:
    """Each ``ipython`` block, and the ``text`` block right after it, if there is one."""
    blocks = list(BLOCK.finditer(DOC))
    found: list[tuple[str, str | None]] = []
    for block, after in zip(blocks, [*blocks[1:], None], strict=True):
        if block[1] != "ipython":
            continue
        if (
            after is not None
            and after[1] == "text"
            and not DOC[block.end() : after.start()].strip()
        ):
            found.append((block[2], after[2]))
        else:
            found.append((block[2], None))
    return found


def between(name: str) -> str:
    return DOC.split(f"<!-- {name} -->")[1].split(f"<!-- /{name} -->")[0]


def pandas_3_text(shown: str) -> str:
    """A dtypes listing as pandas 3 prints it: pandas 2 calls its text dtype ``object``."""
    return re.sub(r"^(day|hour|metric)( +)object$", r"\1\2   str", shown, flags=re.M)


@pytest.mark.usefixtures("no_machine_credentials")
def test_each_cell_runs_and_shows_what_the_doc_says(
    tmp_path: Path,
    api: Sandbox,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path / "examples")
    c = api.credentials
    profile = tmp_path / "config" / "engql" / "credentials.toml"
    profile.parent.mkdir(parents=True)
    profile.write_text(
        f'[profiles.acme]\nbearer_token = "{c.bearer_token}"\nbase_url = "{api.base_url}"\n',
        encoding="utf-8",
    )
    profile.chmod(0o600)
    found = cells()
    assert found[0] == ("%load_ext engql\n", None)
    with ipython_shell(tmp_path / "ipython") as shell:
        for text, shown in found[1:]:
            ran = run_cell(shell, text, capsys)
            if shown is None:
                assert ran.error is None, f"{text}\n{ran.err}"
            elif ran.error is not None:
                assert ran.err == shown, text
            else:
                data, _ = shell.display_formatter.format(ran.value)
                assert pandas_3_text(data["text/plain"]) + "\n" == shown, text
            assert "Traceback" not in ran.err, text
    assert [text for text, _ in found if "--profile acme" in text]
    assert len(api.log.entries()) == 1  # the profile's cell went to the test's sandbox


def test_the_options_table_lists_every_option() -> None:
    documented = set(re.findall(r"`(--?[\w-]+)", between("options")))
    options = {o for action in build_parser()._actions for o in action.option_strings}
    assert documented == options


def test_the_dtypes_table_is_what_to_pandas_gives() -> None:
    rows = between("dtypes")
    text_row = next(line for line in rows.splitlines() if "`metric`" in line)
    assert set(re.findall(r"^\| (.*?) \|", text_row)[0].replace("`", "").split(", ")) == set(
        TEXT_COLUMNS
    )
    assert f"| `bucket_start` | `{TIMESTAMP}`" in rows


def test_the_display_limits_are_the_codes() -> None:
    assert between("shown-rows") == f"the first {SHOWN_ROWS} rows"
    assert between("shown-missing") == f"the first {SHOWN_MISSING}"
