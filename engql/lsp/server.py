"""The language server: pygls's protocol, each request answered by a module of engql.lsp.

Diagnostics are published when a document opens and, debounced, after it changes: a
burst of keystrokes is checked once, on its latest text.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from lsprotocol import types
from pygls import uris
from pygls.exceptions import JsonRpcParseError
from pygls.lsp.server import LanguageServer

from engql.diagnostics import Diagnostic
from engql.lsp.actions import code_actions
from engql.lsp.completion import completions
from engql.lsp.diagnostics import found, to_lsp_all
from engql.lsp.formatting import format_edits, format_range_edits
from engql.lsp.hover import hover_text
from engql.lsp.positions import offset
from engql.lsp.reparse import StatementTrees
from engql.lsp.settings import SECTION, Settings, read_settings
from engql.lsp.symbols import statement_symbols
from engql.syntax.ast import Script
from engql.syntax.source import Source

DEBOUNCE_SECONDS = 0.1
"""How long the text must stay the same after a change before it is checked."""


class EngqlServer(LanguageServer):
    """A LanguageServer that keeps the client's settings and the pending checks."""

    def __init__(self) -> None:
        import engql

        super().__init__("engql", engql.__version__)
        self.settings = Settings()
        self.pending: dict[str, asyncio.Task[None]] = {}
        self.trees: dict[str, StatementTrees] = {}

    @property
    def encoding(self) -> str:
        return str(self.workspace.position_encoding or types.PositionEncodingKind.Utf16)

    def source(self, uri: str) -> tuple[Source, str | None]:
        """The document's text as a Source named by its path, and the path (None: not a file)."""
        path = uris.to_fs_path(uri) if uri.startswith("file:") else None
        text = self.workspace.get_text_document(uri).source
        return Source(text, path or uri), path

    def analysed(self, uri: str) -> tuple[Script, list[Diagnostic]]:
        source, path = self.source(uri)
        trees = self.trees.setdefault(uri, StatementTrees())
        return found(source, self.settings.check_options(path), trees)

    def publish(self, uri: str) -> None:
        document = self.workspace.get_text_document(uri)
        script, diagnostics = self.analysed(uri)
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                uri=uri,
                version=document.version,
                diagnostics=to_lsp_all(script, diagnostics, self.encoding),
            )
        )

    def publish_later(self, uri: str) -> None:
        """Check the document once its text has stayed the same for DEBOUNCE_SECONDS."""
        earlier = self.pending.pop(uri, None)
        if earlier is not None:
            earlier.cancel()
        self.pending[uri] = asyncio.ensure_future(self._after_pause(uri))

    async def _after_pause(self, uri: str) -> None:
        await asyncio.sleep(DEBOUNCE_SECONDS)
        self.pending.pop(uri, None)
        self.publish(uri)

    def report_server_error(self, error: Exception, source: Any) -> None:
        """A message that is not JSON gets JSON-RPC's parse error (it has no id to answer
        with, so its id is null, which pygls's own responses would leave out); the server
        reads on."""
        if isinstance(error, json.JSONDecodeError | UnicodeDecodeError):
            parse = {"code": JsonRpcParseError.CODE, "message": f"not JSON: {error}"}
            self.protocol._send_data({"jsonrpc": "2.0", "id": None, "error": parse})
            return
        super().report_server_error(error, source)

    def republish(self) -> None:
        for uri in list(self.workspace.text_documents):
            self.publish(uri)


def build_server() -> EngqlServer:
    server = EngqlServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: EngqlServer, params: types.InitializeParams) -> None:
        ls.settings = read_settings(params.initialization_options, ls.settings)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: EngqlServer, params: types.InitializedParams) -> None:
        """Ask for the settings, where the client answers workspace/configuration."""
        workspace = ls.client_capabilities.workspace
        if workspace is None or not workspace.configuration:
            return
        answer = await ls.workspace_configuration_async(
            types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
        )
        if answer:
            ls.settings = read_settings(answer[0], ls.settings)
            ls.republish()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def changed_configuration(ls: EngqlServer, params: types.DidChangeConfigurationParams) -> None:
        ls.settings = read_settings(params.settings, ls.settings)
        ls.republish()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: EngqlServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: EngqlServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.publish_later(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: EngqlServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.trees.pop(uri, None)
        pending = ls.pending.pop(uri, None)
        if pending is not None:
            pending.cancel()
        ls.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
        )

    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=[".", ":", " "]),
    )
    def completion(ls: EngqlServer, params: types.CompletionParams) -> types.CompletionList:
        source, _ = ls.source(params.text_document.uri)
        return completions(source, params.position, ls.encoding)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: EngqlServer, params: types.HoverParams) -> types.Hover | None:
        script, diagnostics = ls.analysed(params.text_document.uri)
        at = offset(script.source, params.position, ls.encoding)
        text = hover_text(script, diagnostics, at)
        if text is None:
            return None
        content = types.MarkupContent(kind=types.MarkupKind.Markdown, value=text)
        return types.Hover(contents=content)

    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls: EngqlServer, params: types.DocumentFormattingParams) -> list[types.TextEdit]:
        source, _ = ls.source(params.text_document.uri)
        return format_edits(source, ls.encoding)

    @server.feature(types.TEXT_DOCUMENT_RANGE_FORMATTING)
    def range_formatting(
        ls: EngqlServer, params: types.DocumentRangeFormattingParams
    ) -> list[types.TextEdit]:
        source, _ = ls.source(params.text_document.uri)
        return format_range_edits(source, params.range, ls.encoding)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )
    def code_action(ls: EngqlServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        script, _ = ls.analysed(params.text_document.uri)
        return code_actions(
            script, params.context.diagnostics, params.text_document.uri, ls.encoding
        )

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def document_symbol(
        ls: EngqlServer, params: types.DocumentSymbolParams
    ) -> list[types.DocumentSymbol]:
        script, _ = ls.analysed(params.text_document.uri)
        return statement_symbols(script, ls.encoding)

    return server
