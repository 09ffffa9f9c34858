// The READMEs' TypeScript and JavaScript blocks, as a reader copies them:
// each is a module of its own, type-checked against the installed package
// (strict, noUncheckedIndexedAccess, exactOptionalPropertyTypes; module
// resolution node16 and bundler) and, unless its marker says otherwise, run
// in Node against a `cloudmqtt-emulator --no-broker` started for it. See
// README.md in this folder for the markers and how the blocks reach the
// emulator.
//
// Needs: the scratch project with the package installed (CLOUDMQTT_PKG_DIR,
// as tests/run-npm-e2e.sh sets it), tsc (the test tooling), @types/node
// (npm ci in this folder) and the emulator (CLOUDMQTT_EMULATOR_BIN).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { after, before, describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { packageDir, projectDir, start, stop, toolBin } from "../npm/runtime.mjs";
import { blockName, extractBlocks, moduleText } from "./extract.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = process.env.CLOUDMQTT_REPO || path.resolve(here, "..", "..");
/** The documents whose blocks are checked. */
const DOCUMENTS = ["README.md", "npm/README.md"];
/** Files of this folder compiled with the blocks, each its own test. */
const PROBES = ["forwarding.ts", "api-key.ts"];
const EMULATOR = process.env.CLOUDMQTT_EMULATOR_BIN;
const KEY = "docs-emulator-key-5c2e";
/** How long one block may run before it is stopped (and fails). */
const RUN_LIMIT_MS = 90_000;
/** The scratch directory the blocks are written to, inside the project that installed the package. */
const GEN = path.join(projectDir(), "docs");

// --- the blocks ----------------------------------------------------------------
const blocks = [];
const problems = [];
const counts = {};
for (const document of DOCUMENTS) {
  const found = extractBlocks(readFileSync(path.join(ROOT, document), "utf8"), document);
  blocks.push(...found.blocks);
  problems.push(...found.problems);
  counts[document] = found.blocks.length;
}
for (const block of blocks) {
  block.name = blockName(block);
  block.where = `${block.file}:${block.line} (${block.lang})`;
  block.source = `blocks/${block.name}${block.ext}`;
}
const checked = blocks.filter((block) => block.mode !== "skip");

rmSync(GEN, { recursive: true, force: true });
mkdirSync(path.join(GEN, "blocks"), { recursive: true });
writeFileSync(path.join(GEN, "package.json"), `${JSON.stringify({ private: true, type: "module" })}\n`);
for (const block of checked) writeFileSync(path.join(GEN, block.source), moduleText(block));
for (const file of [...PROBES, "globals.d.ts"]) copyFileSync(path.join(here, file), path.join(GEN, file));

// --- tsc ---------------------------------------------------------------------------
const RESOLUTIONS = {
  // Node's own resolution: the `node` and `import`/`require` conditions. This
  // run also writes the TypeScript blocks' JavaScript (out/), which is run.
  node16: { module: "Node16", moduleResolution: "Node16", noEmit: false, outDir: "out", rootDir: "." },
  // A bundler's: the `import`/`require` and `default` conditions.
  bundler: { module: "Preserve", moduleResolution: "Bundler", noEmit: true },
};

function writeTsconfig(resolution) {
  const file = `tsconfig.${resolution}.json`;
  const config = {
    compilerOptions: {
      target: "ES2022",
      lib: ["ES2022", "DOM", "DOM.Iterable"],
      strict: true,
      noUncheckedIndexedAccess: true,
      exactOptionalPropertyTypes: true,
      allowJs: true,
      checkJs: true,
      skipLibCheck: false,
      noUnusedLocals: false,
      types: ["node"],
      typeRoots: [path.join(here, "node_modules", "@types")],
      ...RESOLUTIONS[resolution],
    },
    files: ["globals.d.ts", ...PROBES, ...checked.map((block) => block.source)],
  };
  writeFileSync(path.join(GEN, file), `${JSON.stringify(config, null, 2)}\n`);
  return file;
}

/**
 * Runs tsc on one resolution's config; its diagnostics by file (relative to
 * GEN, forward slashes), each { line, column, text }. Diagnostics without a
 * file are under "".
 */
function typecheck(resolution) {
  const result = spawnSync(toolBin("tsc"), ["-p", writeTsconfig(resolution), "--pretty", "false"], {
    cwd: GEN,
    encoding: "utf8",
    timeout: 240_000,
  });
  const byFile = new Map();
  let last;
  for (const line of `${result.stdout}${result.stderr}`.split("\n")) {
    if (line.trim() === "") continue;
    const match = /^(.+?)\((\d+),(\d+)\): (error|warning) (TS\d+: .*)$/.exec(line);
    if (match) {
      const [, file, row, column, , text] = match;
      last = { line: Number(row), column: Number(column), text };
      const key = file.split(path.sep).join("/");
      byFile.set(key, [...(byFile.get(key) ?? []), last]);
    } else if (/^\s/.test(line) && last) {
      last.text += `\n    ${line.trim()}`;
    } else {
      last = { line: 0, column: 0, text: line };
      byFile.set("", [...(byFile.get("") ?? []), last]);
    }
  }
  if (result.error) byFile.set("", [...(byFile.get("") ?? []), { line: 0, column: 0, text: String(result.error) }]);
  if (result.status !== 0 && byFile.size === 0) {
    byFile.set("", [{ line: 0, column: 0, text: `tsc exited ${result.status ?? result.signal} and printed no diagnostic` }]);
  }
  return byFile;
}

/** Where the installed types declare `apiKey` (ClientOptions), and whether it is optional there. */
function apiKeyDeclaration() {
  const file = path.join(packageDir(), "dist", "index.d.ts");
  const lines = readFileSync(file, "utf8").split("\n");
  const start = lines.findIndex((line) => /^export interface ClientOptions\b/.test(line));
  const index = lines.findIndex((line, i) => i > start && /^\s*apiKey\??\s*:/.test(line));
  if (start < 0 || index < 0) return { optional: null, where: path.relative(projectDir(), file), text: "" };
  return {
    optional: /^\s*apiKey\?/.test(lines[index]),
    where: `${path.relative(projectDir(), file)}:${index + 1}`,
    text: lines[index].trim(),
  };
}

function apiKeyHint() {
  const declared = apiKeyDeclaration();
  if (declared.optional !== false) return "";
  return (
    `\n\nClientOptions.apiKey is still required in the installed types (${declared.where}: \`${declared.text}\`). ` +
    "The READMEs' examples write `new CloudMqtt()`, the key coming from CLOUDMQTT_API_KEY, which compiles only " +
    "once the types say `apiKey?: string` and make the constructor's argument optional."
  );
}

function describeDiagnostics(list, where) {
  return list.map((d) => `${where(d)}: ${d.text}`).join("\n");
}

for (const resolution of Object.keys(RESOLUTIONS)) {
  describe(`tsc, strict, moduleResolution ${resolution}`, () => {
    let diagnostics;
    before(() => {
      diagnostics = typecheck(resolution);
    });

    for (const block of checked) {
      test(`${block.where} type-checks${block.mode === "typecheck-only" ? ` (typecheck-only: ${block.reason})` : ""}`, () => {
        const list = diagnostics.get(block.source) ?? [];
        const apiKeyError = list.some((d) => /TS2554|apiKey/.test(d.text));
        assert.equal(
          list.length,
          0,
          `${describeDiagnostics(list, (d) => `${block.file}:${block.line + d.line}:${d.column}`)}${apiKeyError ? apiKeyHint() : ""}`,
        );
      });
    }

    test("forwarding.ts: optional options forwarded as `T | undefined` compile (exactOptionalPropertyTypes)", () => {
      const list = diagnostics.get("forwarding.ts") ?? [];
      const source = readFileSync(path.join(GEN, "forwarding.ts"), "utf8").split("\n");
      for (const d of list) d.text = `${source[d.line - 1]?.trim()}\n    ${d.text}`;
      assert.equal(
        list.length,
        0,
        "Each optional option must be declared `name?: T | undefined` in the package's types for a wrapper to " +
          "forward `opts.name` (a `T | undefined`); these do not:\n" +
          describeDiagnostics(list, (d) => `tests/docs/forwarding.ts:${d.line}:${d.column}`),
      );
    });

    test("api-key.ts: `new CloudMqtt()` compiles (apiKey optional, from CLOUDMQTT_API_KEY)", () => {
      const list = diagnostics.get("api-key.ts") ?? [];
      assert.equal(list.length, 0, `${describeDiagnostics(list, (d) => `tests/docs/api-key.ts:${d.line}:${d.column}`)}${apiKeyHint()}`);
    });

    test("no diagnostics elsewhere (the package's declarations, the configuration)", () => {
      const known = new Set([...checked.map((block) => block.source), ...PROBES]);
      const other = [...diagnostics].filter(([file]) => !known.has(file));
      assert.equal(
        other.length,
        0,
        other.map(([file, list]) => describeDiagnostics(list, (d) => (file ? `${file}:${d.line}:${d.column}` : "tsc"))).join("\n"),
      );
    });
  });
}

// --- running the blocks ----------------------------------------------------------
const running = new Set();
after(async () => {
  for (const child of running) await stop(child);
});

/**
 * Starts the emulator without a broker on 127.0.0.1, port 0, holding the
 * users `given` (through --from), and resolves with its API URL and process.
 */
async function startEmulator(given) {
  const args = ["--no-broker", "--api-key", KEY, "--apply-delay-ms", "50", "--listen", "127.0.0.1:0"];
  const env = { ...process.env };
  if (given.length > 0) {
    const file = path.join(GEN, `given-${given.join("-")}.json`);
    const users = Object.fromEntries(given.map((name) => [name, { password_env: "DOCS_GIVEN_PASSWORD" }]));
    writeFileSync(file, `${JSON.stringify({ users, rules: [] })}\n`);
    args.push("--from", file);
    env.DOCS_GIVEN_PASSWORD = "docs-given-password-1";
  }
  const child = start(EMULATOR, args, { env });
  running.add(child);
  const lines = readline.createInterface({ input: child.stdout });
  let timer;
  const line = await Promise.race([
    new Promise((resolve) => lines.once("line", resolve)),
    child.exited.then(({ code, signal }) => {
      throw new Error(`the emulator exited (${code ?? signal}): ${child.output}`);
    }),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the emulator printed no ready line: ${child.output}`)), 30_000);
    }),
  ]).finally(() => clearTimeout(timer));
  const url = /^ready api=(\S+) /.exec(line)?.[1];
  assert.ok(url, `not a ready line: ${line}`);
  return { url, child };
}

/** The block's environment: no CLOUDMQTT_* variable of the runner's, the emulator's key, its URL for the preload. */
function blockEnv(url) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("CLOUDMQTT_")));
  return { ...env, CLOUDMQTT_API_KEY: KEY, DOCS_EMULATOR_API: url };
}

/** The file Node runs for a block: its own, or tsc's JavaScript for a TypeScript block. */
function runnable(block) {
  if (block.ext === ".mts" || block.ext === ".cts") {
    return path.join(GEN, "out", block.source.replace(/\.mts$/, ".mjs").replace(/\.cts$/, ".cjs"));
  }
  return path.join(GEN, block.source);
}

describe("the blocks run in Node against the emulator", () => {
  before(() => {
    assert.ok(EMULATOR && existsSync(EMULATOR), `set CLOUDMQTT_EMULATOR_BIN to the emulator binary (got ${EMULATOR})`);
  });

  for (const block of blocks) {
    if (block.mode !== "run") {
      test(`${block.where} runs`, { skip: `${block.mode}: ${block.reason}` }, () => {});
      continue;
    }
    const given = block.given.length > 0 ? ` (given users ${block.given.join(", ")})` : "";
    test(`${block.where} runs${given}`, async (t) => {
      const file = runnable(block);
      assert.ok(existsSync(file), `${file} was not written (did tsc run?)`);
      const emulator = await startEmulator(block.given);
      try {
        const child = start(process.execPath, ["--import", pathToFileURL(path.join(here, "preload.mjs")).href, file], {
          cwd: GEN,
          env: blockEnv(emulator.url),
        });
        running.add(child);
        const timer = setTimeout(() => stop(child), RUN_LIMIT_MS);
        const { code, signal } = await child.exited;
        clearTimeout(timer);
        running.delete(child);
        for (const line of child.output.trimEnd().split("\n")) if (line) t.diagnostic(line);
        const hint = /new CloudMqtt\(\)/.test(block.code)
          ? `\n(The block writes \`new CloudMqtt()\`: the package must take the key from CLOUDMQTT_API_KEY.)${apiKeyHint()}`
          : "";
        assert.equal(code, 0, `${block.where} exited with ${code ?? signal}:\n${child.output}${hint}`);
      } finally {
        await stop(emulator.child);
        running.delete(emulator.child);
      }
    });
  }
});

test(`the markers and blocks of ${DOCUMENTS.join(", ")} are well-formed`, (t) => {
  for (const block of blocks) t.diagnostic(`${block.where}: ${block.mode}${block.reason ? ` (${block.reason})` : ""}`);
  assert.deepEqual(problems, []);
  for (const document of DOCUMENTS) assert.ok(counts[document] > 0, `no TypeScript or JavaScript block found in ${document}`);
});

test("the extractor: modes from markers, stray and unreadable markers reported", () => {
  const fence = "```";
  const markdown = [
    "Text.",
    `${fence}js`,
    "console.log(1);",
    fence,
    "<!-- docs: typecheck-only (a Worker) -->",
    "",
    `${fence}ts title="worker.ts"`,
    "export {};",
    fence,
    "<!-- docs: given users a, b -->",
    `${fence}javascript`,
    fence,
    "<!-- docs: skip (a shell session) -->",
    `${fence}mjs`,
    fence,
    "<!-- docs: skip -->",
    `${fence}cjs`,
    fence,
    "<!-- docs: typecheck-only (stray) -->",
    "A paragraph.",
    `${fence}tsx`,
    fence,
    "<!-- docs: skip (a toml file) -->",
    `${fence}toml`,
    fence,
    "````md",
    "<!-- docs: not read inside a fence -->",
    `${fence}js`,
    fence,
    "````",
  ].join("\n");
  const { blocks: found, problems: reported } = extractBlocks(markdown, "X.md");
  assert.deepEqual(
    found.map((b) => `${b.line} ${b.lang}${b.ext} ${b.mode} ${b.reason} ${b.given.join(",")}`.trim()),
    [
      "2 js.mjs run",
      "7 ts.mts typecheck-only a Worker",
      "11 javascript.mjs run the server has users a, b a,b",
      "14 mjs.mjs skip a shell session",
      "17 cjs.cjs run",
    ],
  );
  assert.equal(found[0].code, "console.log(1);\n");
  assert.equal(reported.length, 4, reported.join("\n"));
  assert.match(reported[0], /^X\.md:16: .*say why/);
  assert.match(reported[1], /^X\.md:19: this marker is not right before a code block/);
  assert.match(reported[2], /^X\.md:21: a `tsx` block cannot be checked/);
  assert.match(reported[3], /^X\.md:23: this marker is before a `toml` block/);
});
