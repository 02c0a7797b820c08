// Starts `engql lsp` over stdio for engql documents. The server does the work
// (diagnostics, completion, hover, formatting, code actions, symbols); this file only
// finds it and passes it the engql settings.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const settings = vscode.workspace.getConfiguration("engql");
  const server = {
    command: settings.get("path", "engql"),
    args: ["lsp"],
    transport: TransportKind.stdio,
  };
  client = new LanguageClient(
    "engql",
    "engql",
    { run: server, debug: server },
    {
      documentSelector: [{ language: "engql" }],
      initializationOptions: { engql: { allowFiles: settings.get("allowFiles", false) } },
      synchronize: { configurationSection: "engql" },
    },
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
