// Tokenise .story files with the extension's TextMate grammar, as VS Code does (vscode-textmate and
// vscode-oniguruma), and print every token as JSON: {file: [[line, [[start, end, scopes], ...]], ...]}.
// Columns are UTF-16 code units, as in JavaScript strings. Used by tests/test_textmate.py.
//   node test/grammar.js FILE...
"use strict";
const fs = require("fs");
const path = require("path");
const textmate = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const here = path.join(__dirname, "..");
const grammarPath = path.join(here, "syntaxes", "story.tmLanguage.json");
const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));

async function main(files) {
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async (scopeName) => {
      if (scopeName !== "source.story") return null;
      return textmate.parseRawGrammar(fs.readFileSync(grammarPath, "utf8"), grammarPath);
    },
  });
  const grammar = await registry.loadGrammar("source.story");
  const out = {};
  for (const file of files) {
    let text = fs.readFileSync(file, "utf8");
    if (text.charCodeAt(0) === 0xfeff) text = " " + text.slice(1);
    const lines = text.split("\n");
    let state = textmate.INITIAL;
    out[file] = lines.map((line) => {
      line = line.replace(/\r$/, "");
      const result = grammar.tokenizeLine(line, state);
      state = result.ruleStack;
      return [line, result.tokens.map((t) => [t.startIndex, Math.min(t.endIndex, line.length), t.scopes])];
    });
  }
  process.stdout.write(JSON.stringify(out));
}

main(process.argv.slice(2)).catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
