// The emulator's --cors-origin, for real: a page served on one loopback
// origin imports the installed package's browser entry and calls the
// emulator on another origin from headless Chromium. The browser sends
// its CORS preflights; the emulator answers them, and the page's calls
// (create with wait, list, get, a NOT_FOUND, a rule) go through. A second
// emulator without --cors-origin is called from the same page and must be
// refused by the browser (a NETWORK error), as before the flag existed.
//
// The emulator binary: $CLOUDMQTT_EMULATOR_BIN (tests/run-npm-e2e.sh builds
// it with cargo and sets it).
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { after, test } from "node:test";
import { packageDir, packageJson, resolveExport, start, stop } from "../npm/runtime.mjs";

const CHROMIUM = process.env.CHROMIUM_BIN || "/usr/bin/chromium";
const EMULATOR = process.env.CLOUDMQTT_EMULATOR_BIN;
const KEY = "browser-cors-key";
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
};

const running = [];
let site;
let profile;

after(async () => {
  for (const child of running) await stop(child);
  if (site) await new Promise((resolve) => site.close(resolve));
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/** Starts the emulator and resolves with its API URL (from the ready line). */
async function startEmulator(args) {
  const child = start(EMULATOR, ["--no-broker", "--api-key", KEY, "--apply-delay-ms", "50", ...args]);
  running.push(child);
  const lines = readline.createInterface({ input: child.stdout });
  let timer;
  const line = await Promise.race([
    new Promise((resolve) => lines.once("line", resolve)),
    child.exited.then(({ code }) => {
      throw new Error(`the emulator exited (${code}): ${child.output}`);
    }),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no ready line: ${child.output}`)), 30000);
    }),
  ]).finally(() => clearTimeout(timer));
  const api = /^ready api=(\S+) key=/.exec(line);
  assert.ok(api, line);
  return { url: api[1], child };
}

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><script type="importmap">__IMPORT_MAP__</script></head>
<body><script type="module">
  const report = { steps: [] };
  try {
    const { CloudMqtt, CloudMqttError } = await import("cloudmqtt-api");
    const api = new CloudMqtt({ apiKey: __KEY__, baseUrl: __ALLOWED__ });
    await api.createUser({ username: "from-browser", password: "pw-in-a-page" }, { wait: true });
    report.steps.push("created");
    report.users = (await api.listUsers()).map((user) => user.username);
    await api.createAcl(
      { type: "topic", username: "from-browser", pattern: "page/#", read: true, write: false },
      { wait: true },
    );
    report.user = await api.getUser("from-browser");
    try {
      await api.getUser("nobody");
      report.missing = "found";
    } catch (error) {
      report.missing = error instanceof CloudMqttError ? error.code : String(error);
      report.missingStatus = error.status;
    }
    await api.deleteUser("from-browser", { wait: true });
    report.after = (await api.listUsers()).map((user) => user.username);
    // An emulator that rate-limits to one request a second: the logger,
    // the hooks and withResponse see the 429s and the retries.
    const lines = [];
    const log = (line) => lines.push(line);
    const seen = [];
    const limited = new CloudMqtt({
      apiKey: __KEY__,
      baseUrl: __LIMITED__,
      maxRetries: 10,
      logLevel: "debug",
      logger: { debug: log, info: log, warn: log, error: log },
      onRequest: (info) => seen.push("request " + info.attempt),
      onResponse: (info) => seen.push("response " + (info.status ?? info.error)),
      onRetry: (info) => seen.push("retry " + info.reason),
    });
    report.limited = [];
    for (let i = 0; i < 4; i++) {
      const { data, response } = await limited.listUsers({}, { maxRetries: 10 }).withResponse();
      report.limited.push({ users: data.length, status: response.status, attempts: response.attempts });
    }
    report.limitedLines = lines;
    report.limitedHooks = seen;
    const closed = new CloudMqtt({ apiKey: __KEY__, baseUrl: __REFUSED__, maxRetries: 0 });
    try {
      await closed.listUsers();
      report.refused = "allowed";
    } catch (error) {
      report.refused = error instanceof CloudMqttError ? error.code : String(error);
    }
  } catch (error) {
    report.fatal = String(error && (error.stack || error.message || error));
  }
  await fetch("/report", { method: "POST", body: JSON.stringify(report) });
</script></body></html>`;

test("a page on another origin uses the emulator through --cors-origin", async (t) => {
  assert.ok(EMULATOR && existsSync(EMULATOR), `set CLOUDMQTT_EMULATOR_BIN to the emulator binary (got ${EMULATOR})`);
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (Debian package chromium; or set CHROMIUM_BIN)`);
  const resolved = resolveExport(packageJson(), ["browser", "import", "default"]);
  assert.ok(resolved, "the exports map resolves nothing for browsers");
  const pkgDir = packageDir();

  let urls;
  let resolveReport;
  const reported = new Promise((resolve) => {
    resolveReport = resolve;
  });
  site = http.createServer((req, res) => {
    const url = new URL(req.url, "http://localhost");
    if (req.method === "POST" && url.pathname === "/report") {
      const chunks = [];
      req.on("data", (chunk) => chunks.push(chunk));
      req.on("end", () => {
        res.writeHead(204);
        res.end();
        resolveReport(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      });
      return;
    }
    if (url.pathname === "/") {
      const page = PAGE.replace(
        "__IMPORT_MAP__",
        JSON.stringify({ imports: { "cloudmqtt-api": `/pkg/${resolved.target.replace(/^\.\//, "")}` } }),
      )
        .replaceAll("__KEY__", JSON.stringify(KEY))
        .replace("__ALLOWED__", JSON.stringify(urls.allowed))
        .replace("__REFUSED__", JSON.stringify(urls.refused))
        .replace("__LIMITED__", JSON.stringify(urls.limited));
      res.writeHead(200, { "content-type": TYPES[".html"] });
      res.end(page);
      return;
    }
    const file = url.pathname.startsWith("/pkg/")
      ? path.resolve(pkgDir, decodeURIComponent(url.pathname.slice(5)))
      : undefined;
    if (file && file.startsWith(pkgDir + path.sep) && existsSync(file) && statSync(file).isFile()) {
      res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" });
      res.end(readFileSync(file));
      return;
    }
    res.writeHead(404);
    res.end("not found");
  });
  await new Promise((resolve) => site.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${site.address().port}`;
  const allowed = await startEmulator(["--cors-origin", origin]);
  const refused = await startEmulator([]);
  const limited = await startEmulator(["--cors-origin", origin, "--rate-limit", "1"]);
  urls = { allowed: allowed.url, refused: refused.url, limited: limited.url };
  assert.notEqual(new URL(allowed.url).origin, origin, "the API is on another origin");

  profile = mkdtempSync(path.join(os.tmpdir(), "cloudmqtt-chromium-"));
  const chromium = start(CHROMIUM, [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-dev-shm-usage",
    `--user-data-dir=${profile}`,
    `${origin}/`,
  ]);
  running.push(chromium);
  let timer;
  const report = await Promise.race([
    reported,
    chromium.exited.then(({ code, signal }) => {
      throw new Error(`chromium exited (${code ?? signal}) before reporting:\n${chromium.output}`);
    }),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no report within 60 s\n${chromium.output.slice(-3000)}`)), 60000);
    }),
  ]).finally(() => clearTimeout(timer));
  t.diagnostic(JSON.stringify(report));
  assert.equal(report.fatal, undefined, report.fatal);
  assert.deepEqual(report.users, ["from-browser"]);
  assert.equal(report.user.username, "from-browser");
  assert.equal(report.user.acls.length, 1, JSON.stringify(report.user));
  assert.equal(report.user.acls[0].topic, "page/#");
  assert.equal(report.user.acls[0].read, true);
  assert.equal(report.user.acls[0].write, false);
  assert.equal(report.missing, "NOT_FOUND");
  assert.equal(report.missingStatus, 404);
  assert.deepEqual(report.after, []);
  assert.equal(report.refused, "NETWORK", "a page must not reach an emulator without --cors-origin");
  // Four lists in a row at one request a second: 429s, retried.
  assert.deepEqual(report.limited.map(({ users, status }) => [users, status]), [[0, 200], [0, 200], [0, 200], [0, 200]]);
  assert.ok(report.limited.some(({ attempts }) => attempts > 1), JSON.stringify(report.limited));
  const hooks = report.limitedHooks;
  assert.ok(hooks.includes("retry RATE_LIMITED"), hooks.join("\n"));
  assert.ok(hooks.includes("response 429"), hooks.join("\n"));
  assert.equal(hooks.filter((h) => h.startsWith("request")).length, hooks.filter((h) => h.startsWith("response")).length);
  const text = report.limitedLines.join("\n");
  assert.match(text, /^cloudmqtt: GET \S+\/user attempt 1: 429 in [\d.]+ ms$/m);
  assert.match(text, /^cloudmqtt: retry 1 of GET \S+\/user in \d+ ms \(attempt 2\): RATE_LIMITED \(429\)$/m);
  assert.ok(!text.includes(KEY) && !text.includes(Buffer.from(`:${KEY}`).toString("base64")), text);
  // The browser did send preflights, and the emulator answered them.
  await stop(allowed.child);
  assert.match(allowed.child.output, /OPTIONS \/api\/user 20\d /);
});
