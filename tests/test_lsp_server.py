"""``engql lsp`` end to end: a real LSP client (pytest-lsp) starts the server as a
subprocess and talks to it over stdio, as an editor does."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcMethodNotFound
from pytest_lsp import ClientServerConfig, LanguageClient

pytestmark = pytest.mark.asyncio(loop_scope="module")

SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "engql", "lsp"])
UTF16 = types.ClientCapabilities(
    general=types.GeneralClientCapabilities(position_encodings=[types.PositionEncodingKind.Utf16])
)


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    await lsp_client.initialize_session(types.InitializeParams(capabilities=UTF16))
    yield
    await lsp_client.shutdown_session()


def open_document(client: LanguageClient, uri: str, text: str, version: int = 1) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="engql", version=version, text=text
            )
        )
    )


async def diagnostics_of(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    while uri not in client.diagnostics:
        await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return client.diagnostics.pop(uri)


async def test_open_and_change_publish_the_checks_diagnostics(client: LanguageClient) -> None:
    uri = "file:///nowhere/change.engql"
    open_document(client, uri, "SELECT favourites FROM totals WHERE tweet = 20;\n")
    (found,) = await diagnostics_of(client, uri)
    assert found.code == "E102"
    assert found.severity == types.DiagnosticSeverity.Error
    assert "did you mean 'favorites'?" in found.message
    assert found.range == types.Range(
        start=types.Position(line=0, character=7), end=types.Position(line=0, character=17)
    )
    assert found.code_description is not None
    assert found.code_description.href.endswith("errors.md#e102-unknown-metric")
    for version, text in enumerate(("SELECT fav", "SELECT favorit", "SELECT favorites"), 2):
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
    latest = await diagnostics_of(client, uri)
    assert [d.code for d in latest] == ["E002"]


async def test_completion_hover_format_action_and_symbols(client: LanguageClient) -> None:
    uri = "file:///nowhere/features.engql"
    text = "select favourites from totals where tweet = 20 group by tweet.id, engagement.type\n"
    open_document(client, uri, text)
    diagnostics = await diagnostics_of(client, uri)
    document = types.TextDocumentIdentifier(uri=uri)

    completion = await client.text_document_completion_async(
        types.CompletionParams(text_document=document, position=types.Position(line=0, character=9))
    )
    assert isinstance(completion, types.CompletionList)
    favorites = next(item for item in completion.items if item.label == "favorites")
    assert favorites.kind == types.CompletionItemKind.Field
    assert favorites.detail is not None and favorites.detail.startswith("likes")

    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=document, position=types.Position(line=0, character=25))
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "up to 250 Tweet IDs a request" in hover.contents.value

    edits = await client.text_document_formatting_async(
        types.DocumentFormattingParams(
            text_document=document,
            options=types.FormattingOptions(tab_size=4, insert_spaces=True),
        )
    )
    assert edits is not None
    (edit,) = edits
    assert edit.new_text == (
        "SELECT favourites\nFROM totals\nWHERE tweet = 20\nGROUP BY tweet.id, engagement.type;\n"
    )

    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=document,
            range=diagnostics[0].range,
            context=types.CodeActionContext(diagnostics=diagnostics),
        )
    )
    assert actions is not None
    (replace,) = [a for a in actions if isinstance(a, types.CodeAction)]
    assert replace.title == "replace 'favourites' by 'favorites'"

    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=document)
    )
    assert symbols is not None
    assert [s.name for s in symbols] == ["totals by tweet.id, engagement.type"]


async def test_an_unknown_method_gets_an_error_and_the_server_goes_on(
    client: LanguageClient,
) -> None:
    with pytest.raises(JsonRpcMethodNotFound):
        await client.protocol.send_request_async("engql/nonsense", {})
    uri = "file:///nowhere/after.engql"
    open_document(client, uri, "SELECT favorites FROM totals WHERE tweet = 20;\n")
    assert list(await diagnostics_of(client, uri)) == []


CONFIGURABLE = types.ClientCapabilities(
    workspace=types.WorkspaceClientCapabilities(configuration=True)
)


@pytest_lsp.fixture(config=SERVER)
async def allowing_client(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    """A client whose settings (asked for by workspace/configuration) allow files."""
    lsp_client.set_configuration({"allowFiles": True}, section="engql")
    await lsp_client.initialize_session(types.InitializeParams(capabilities=CONFIGURABLE))
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio(loop_scope="function")
async def test_ids_files_are_read_beside_the_document_when_the_settings_allow(
    allowing_client: LanguageClient, tmp_path: Path
) -> None:
    (tmp_path / "ids.txt").write_text("20\n21\n20\n", encoding="utf-8")
    uri = (tmp_path / "q.engql").as_uri()
    open_document(
        allowing_client, uri, "SELECT favorites FROM totals WHERE tweet IN FILE 'ids.txt';\n"
    )

    async def read() -> list[str | int | None]:
        while True:
            codes = [d.code for d in await diagnostics_of(allowing_client, uri)]
            if codes != ["E307"]:  # published before the settings came
                return codes

    assert await asyncio.wait_for(read(), timeout=10) == ["W301"]


@pytest_lsp.fixture(config=SERVER)
async def allowed_at_start(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    """A client whose initializationOptions allow files."""
    options = {"engql": {"allowFiles": True}}
    await lsp_client.initialize_session(
        types.InitializeParams(capabilities=UTF16, initialization_options=options)
    )
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio(loop_scope="function")
async def test_initialization_options_allow_files_and_a_changed_setting_forbids_them(
    allowed_at_start: LanguageClient, tmp_path: Path
) -> None:
    (tmp_path / "ids.txt").write_text("20\n", encoding="utf-8")
    uri = (tmp_path / "q.engql").as_uri()
    open_document(
        allowed_at_start, uri, "SELECT favorites FROM totals WHERE tweet IN FILE 'ids.txt';\n"
    )
    assert list(await diagnostics_of(allowed_at_start, uri)) == []
    allowed_at_start.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"engql": {"allowFiles": False}})
    )
    assert [d.code for d in await diagnostics_of(allowed_at_start, uri)] == ["E307"]
