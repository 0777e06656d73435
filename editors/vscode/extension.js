// Starts `story lsp` (the storyc language server) for .story files. The command is the
// `storyc.path` setting (default: `story` on the PATH), followed by `lsp` and `storyc.args`.
"use strict";
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function serverOptions() {
  const config = vscode.workspace.getConfiguration("storyc");
  const command = config.get("path") || "story";
  const args = ["lsp", ...(config.get("args") || [])];
  return { command, args, transport: TransportKind.stdio };
}

async function start(context) {
  client = new LanguageClient("storyc", "storyc", serverOptions(), {
    documentSelector: [{ scheme: "file", language: "story" }, { scheme: "untitled", language: "story" }],
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.story") },
  });
  try {
    await client.start();
  } catch (error) {
    vscode.window.showErrorMessage(
      `storyc: could not start \`${serverOptions().command} lsp\` (${error.message}). ` +
        "Install storyc (pip install storyc) or set `storyc.path` to the `story` command."
    );
  }
}

async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand("storyc.restartServer", async () => {
      if (client) await client.stop();
      await start(context);
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("storyc.path") || event.affectsConfiguration("storyc.args")) {
        if (client) await client.stop();
        await start(context);
      }
    })
  );
  await start(context);
}

async function deactivate() {
  if (client) await client.stop();
}

module.exports = { activate, deactivate };
