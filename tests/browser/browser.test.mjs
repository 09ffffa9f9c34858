// The package's `browser` export in headless Chromium. A static server on
// one loopback origin serves a page and the installed package's files; the
// page imports `cloudmqtt-api` through an import map pointing at the
// browser entry, runs the shared scenario against the API test server on
// another origin (so CORS preflights happen), and posts its report back.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { fixedScenario, startServer } from "../npm/server.mjs";
import { checkReport, checkRequests } from "../npm/scenario-checks.mjs";
import { exportsMention, packageDir, packageJson, resolveExport, start, stop } from "../npm/runtime.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const CHROMIUM = process.env.CHROMIUM_BIN || "/usr/bin/chromium";
const CONDITIONS = ["browser", "import", "default"];
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
};

let api;
let site;
let chromium;
let profile;
let reportReceived;
let pageErrors = [];

/**
 * Serves the page, the shared scenario script and the package's files, the
 * .wasm with the content type `wasmType`.
 */
function startSite(entry, wasmType) {
  let resolveReport;
  reportReceived = new Promise((resolve) => {
    resolveReport = resolve;
  });
  const pkgDir = packageDir();
  const files = {
    "/scenario-client.mjs": path.join(here, "..", "npm", "scenario-client.mjs"),
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://localhost");
    if (req.method === "POST" && (url.pathname === "/report" || url.pathname === "/page-error")) {
      const chunks = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        res.writeHead(204);
        res.end();
        const text = Buffer.concat(chunks).toString("utf8");
        if (url.pathname === "/report") resolveReport(JSON.parse(text));
        else pageErrors.push(text);
      });
      return;
    }
    if (url.pathname === "/" || url.pathname === "/index.html") {
      const page = readFileSync(path.join(here, "page.html"), "utf8")
        .replace("__IMPORT_MAP__", JSON.stringify({ imports: { "cloudmqtt-api": `/pkg/${entry.replace(/^\.\//, "")}` } }))
        .replace("__API_URL__", JSON.stringify(api.baseUrl));
      res.writeHead(200, { "content-type": TYPES[".html"] });
      res.end(page);
      return;
    }
    let file = files[url.pathname];
    if (!file && url.pathname.startsWith("/pkg/")) {
      const candidate = path.resolve(pkgDir, decodeURIComponent(url.pathname.slice(5)));
      if (candidate.startsWith(pkgDir + path.sep)) file = candidate;
    }
    try {
      if (!file || !statSync(file).isFile()) throw new Error("missing");
      const type = path.extname(file) === ".wasm" ? wasmType : TYPES[path.extname(file)];
      res.writeHead(200, { "content-type": type ?? "application/octet-stream" });
      res.end(readFileSync(file));
    } catch {
      res.writeHead(404);
      res.end("not found");
    }
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

before(async () => {
  api = await startServer({ cors: true, scenario: fixedScenario });
});

/** Stops the browser and the page's site of the last run. */
async function stopPage() {
  await stop(chromium);
  if (profile) rmSync(profile, { recursive: true, force: true });
  if (site) await new Promise((resolve) => site.close(resolve));
  chromium = profile = site = undefined;
}

after(async () => {
  await stopPage();
  await api?.close();
});

test("the exports map has a browser condition", () => {
  assert.ok(exportsMention(packageJson(), "browser"), JSON.stringify(packageJson().exports));
});

/** Loads the page in headless Chromium and checks what it reports. */
async function runPage(t, wasmType) {
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (Debian package chromium; or set CHROMIUM_BIN)`);
  const resolved = resolveExport(packageJson(), CONDITIONS);
  assert.ok(resolved, "the exports map resolves nothing for browsers");
  t.diagnostic(`entry ${resolved.target} via ${resolved.conditions.join(" > ")}`);
  api.reset();
  pageErrors = [];
  site = await startSite(resolved.target, wasmType);
  const siteUrl = `http://127.0.0.1:${site.address().port}/`;
  profile = mkdtempSync(path.join(os.tmpdir(), "cloudmqtt-chromium-"));
  chromium = start(CHROMIUM, [
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
    siteUrl,
  ]);
  let timer;
  const report = await Promise.race([
    reportReceived,
    chromium.exited.then(({ code, signal }) => {
      throw new Error(`chromium exited (${code ?? signal}) before reporting:\n${chromium.output}`);
    }),
    new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no report within 60 s; page errors: ${pageErrors.join("; ")}\n${chromium.output.slice(-3000)}`)),
        60000,
      );
    }),
  ]).finally(() => clearTimeout(timer));
  t.diagnostic(`redirect in the browser: ${JSON.stringify(report.redirect)}`);
  assert.deepEqual(pageErrors, []);
  checkReport(report, { browser: true });
  assert.deepEqual(report.printed, [], "the package printed to the console");
  const calls = api.calls;
  checkRequests(calls);
  // The request CORS refused went out twice, not once per retry allowed.
  const refused = api.requests.filter((r) => r.path.startsWith("/nocors/"));
  assert.equal(refused.length, 2, refused.map((r) => `${r.method} ${r.url}`).join(", "));
  const preflights = api.requests.filter((r) => r.preflight);
  assert.ok(preflights.length > 0, "the browser sent no CORS preflight");
  for (const call of calls) {
    assert.equal(call.headers.origin, siteUrl.slice(0, -1), `${call.method} ${call.url} without the page's Origin`);
    assert.equal(call.headers.cookie, undefined);
  }
  await stopPage();
}

test("the browser entry runs in headless Chromium against a CORS API server", async (t) => {
  await runPage(t, "application/wasm");
});

test("the browser entry loads a .wasm served without application/wasm, printing nothing", async (t) => {
  await runPage(t, "application/octet-stream");
});
