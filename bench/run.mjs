#!/usr/bin/env node
// Size and speed figures of the npm package `cloudmqtt-api`.
//
//   node bench/run.mjs [--package DIR] [--size-only] [--calls N]
//
// DIR is an installed package (default: the copy tests/run-npm-e2e.sh
// installed under target/npm-e2e/app, else npm/ if it has been built).
// Prints figures; asserts nothing except the size budget: exits 1 when a
// .wasm file is over 60,000 bytes (60 KB) gzipped.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const WASM_GZIP_BUDGET = 60_000;

const args = process.argv.slice(2);
const option = (name) => {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
};
const sizeOnly = args.includes("--size-only");
const calls = Number(option("--calls") ?? 300);

function findPackage() {
  const given = option("--package");
  const candidates = given ? [given] : [path.join(root, "target/npm-e2e/app/node_modules/cloudmqtt-api"), path.join(root, "npm")];
  for (const dir of candidates) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest) && existsSync(path.join(dir, "dist"))) return path.resolve(dir);
  }
  console.error(`no built package in ${candidates.join(" or ")}; run tests/run-npm-e2e.sh (or npm pack in npm/) first`);
  process.exit(2);
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : walk(full);
    return [full];
  });
}

/** Resolves the "." export with `conditions`, in the map's order. */
function resolveExport(pkg, conditions) {
  const walkEntry = (value) => {
    if (typeof value === "string") return value;
    if (value && typeof value === "object") {
      for (const [key, inner] of Object.entries(value)) {
        if (key !== "types" && conditions.includes(key)) {
          const found = walkEntry(inner);
          if (found) return found;
        }
      }
    }
    return null;
  };
  const exportsField = pkg.exports?.["."] ?? pkg.exports;
  return walkEntry(exportsField) ?? (conditions.includes("require") ? pkg.main : pkg.module ?? pkg.main);
}

/** The files `entry` reaches through static relative imports and requires. */
function moduleGraph(entry) {
  const found = new Set();
  const visit = (file) => {
    if (found.has(file) || !existsSync(file)) return;
    found.add(file);
    if (!/\.(m|c)?js$/.test(file)) return;
    const source = readFileSync(file, "utf8");
    const patterns = [
      /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]/g,
      /\bimport\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g,
      /\brequire\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g,
      /new URL\(\s*['"](\.{1,2}\/[^'"]+|[^'"/]+\.wasm)['"]\s*,\s*import\.meta\.url/g,
      /['"]([^'"/]+\.wasm)['"]/g,
    ];
    for (const pattern of patterns) {
      for (const match of source.matchAll(pattern)) visit(path.resolve(path.dirname(file), match[1]));
    }
  };
  visit(entry);
  return [...found];
}

const kb = (bytes) => `${bytes.toLocaleString("en-US")} B (${(bytes / 1000).toFixed(1)} KB)`;
const gz = (file) => gzipSync(readFileSync(file), { level: 9 }).length;
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

const pkgDir = findPackage();
const pkg = JSON.parse(readFileSync(path.join(pkgDir, "package.json"), "utf8"));
console.log(`package ${pkg.name}@${pkg.version} at ${pkgDir}`);
console.log(`node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")} (timings scale with load)`);

// --- sizes -------------------------------------------------------------------
console.log("\n# sizes");
const files = walk(pkgDir);
const wasmFiles = files.filter((f) => f.endsWith(".wasm"));
let overBudget = false;
if (wasmFiles.length === 0) {
  console.log("no .wasm file in the package");
  overBudget = true;
}
for (const file of wasmFiles) {
  const raw = statSync(file).size;
  const zipped = gz(file);
  // The budget covers what the main entry loads; the `cloudmqtt-api/access`
  // entry (plan, apply, exportAccess) has a .wasm of its own, printed only.
  if (path.relative(pkgDir, file).startsWith(`dist${path.sep}access${path.sep}`)) {
    console.log(`wasm ${path.relative(pkgDir, file)}: raw ${kb(raw)}, gzip ${kb(zipped)} (access entry, not budgeted)`);
    continue;
  }
  const verdict = zipped > WASM_GZIP_BUDGET ? `OVER the ${WASM_GZIP_BUDGET.toLocaleString("en-US")} B budget` : "within budget";
  console.log(
    `wasm ${path.relative(pkgDir, file)}: raw ${kb(raw)}, gzip ${kb(zipped)} (${verdict})`,
  );
  if (zipped > WASM_GZIP_BUDGET) overBudget = true;
}
const entries = [
  ["node import", ["node", "import", "default"]],
  ["node require", ["node", "require", "default"]],
  ["browser", ["browser", "import", "default"]],
  ["workerd", ["workerd", "worker", "browser", "import", "default"]],
];
for (const [name, conditions] of entries) {
  const target = resolveExport(pkg, conditions);
  if (!target) {
    console.log(`js ${name}: no entry`);
    continue;
  }
  const graph = moduleGraph(path.resolve(pkgDir, target));
  const js = graph.filter((f) => /\.(m|c)?js$/.test(f));
  const raw = js.reduce((sum, f) => sum + statSync(f).size, 0);
  const zipped = gzipSync(Buffer.concat(js.map((f) => readFileSync(f))), { level: 9 }).length;
  const wasm = graph.filter((f) => f.endsWith(".wasm")).map((f) => path.relative(pkgDir, f));
  console.log(`js glue ${name} (${target}, ${js.length} files): raw ${kb(raw)}, gzip ${kb(zipped)}${wasm.length ? `; loads ${wasm.join(", ")}` : ""}`);
}
const tarballLike = files.reduce((sum, f) => sum + statSync(f).size, 0);
console.log(`installed package: ${files.length} files, ${kb(tarballLike)}`);
console.log(`budget: .wasm gzip <= ${kb(WASM_GZIP_BUDGET)}: ${overBudget ? "FAILED" : "ok"}`);

if (sizeOnly) process.exit(overBudget ? 1 : 0);

// --- speed ---------------------------------------------------------------------
const { startServer } = await import(pathToFileURL(path.join(root, "tests/npm/server.mjs")).href);
const entryUrl = pathToFileURL(path.resolve(pkgDir, resolveExport(pkg, ["node", "import", "default"]))).href;
const server = await startServer();
const small = JSON.stringify([{ username: "alice" }]);
const thousand = JSON.stringify(Array.from({ length: 1000 }, (_, i) => ({ username: `user-${String(i).padStart(4, "0")}` })));
server.handle((request) =>
  request.path === "/api/user" ? { status: 200, headers: { "content-type": "application/json" }, body: small } : { status: 404 },
);

try {
  console.log("\n# Node cold start (fresh process each, median of 7)");
  const child = `
    const t0 = performance.now();
    const { CloudMqtt } = await import(${JSON.stringify(entryUrl)});
    const t1 = performance.now();
    const client = new CloudMqtt({ apiKey: "bench", baseUrl: ${JSON.stringify(server.baseUrl)} });
    await client.listUsers();
    const t2 = performance.now();
    console.log(JSON.stringify({ importMs: t1 - t0, firstCallMs: t2 - t1, uptimeMs: process.uptime() * 1000 }));
  `;
  const baselineChild = `
    const t1 = performance.now();
    const r = await fetch(${JSON.stringify(`${server.baseUrl}/user`)}, { headers: { authorization: "Basic OmJlbmNo", accept: "application/json" } });
    await r.json();
    const t2 = performance.now();
    console.log(JSON.stringify({ firstCallMs: t2 - t1, uptimeMs: process.uptime() * 1000 }));
  `;
  // Spawned asynchronously: spawnSync would block this process's event loop
  // and with it the test server the child calls.
  const once = (source) =>
    new Promise((resolve, reject) => {
      const started = process.hrtime.bigint();
      const proc = spawn(process.execPath, ["--input-type=module", "-e", source], { stdio: ["ignore", "pipe", "inherit"] });
      let out = "";
      proc.stdout.on("data", (c) => (out += c));
      proc.on("exit", (code) => {
        if (code !== 0) return reject(new Error(`child exited ${code}: ${out}`));
        const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
        resolve({ ...JSON.parse(out.trim().split("\n").pop()), wallMs });
      });
    });
  const runs = [];
  const baseRuns = [];
  for (let i = 0; i < 7; i++) {
    runs.push(await once(child));
    baseRuns.push(await once(baselineChild));
  }
  const importMs = median(runs.map((r) => r.importMs));
  const firstCallMs = median(runs.map((r) => r.firstCallMs));
  const wallMs = median(runs.map((r) => r.wallMs));
  const baseFirst = median(baseRuns.map((r) => r.firstCallMs));
  const baseWall = median(baseRuns.map((r) => r.wallMs));
  console.log(`import: ${importMs.toFixed(1)} ms`);
  console.log(`first call (listUsers, loopback): ${firstCallMs.toFixed(1)} ms (plain fetch first call: ${baseFirst.toFixed(1)} ms)`);
  console.log(`whole process, import + first call: ${wallMs.toFixed(0)} ms (plain fetch process: ${baseWall.toFixed(0)} ms)`);

  console.log(`\n# per-call overhead vs plain fetch (${calls} sequential calls, loopback)`);
  const { CloudMqtt } = await import(entryUrl);
  const client = new CloudMqtt({ apiKey: "bench", baseUrl: server.baseUrl, maxRetries: 0 });
  const plain = async () => {
    const r = await fetch(`${server.baseUrl}/user`, { headers: { authorization: "Basic OmJlbmNo", accept: "application/json" } });
    return (await r.json()).map((u) => ({ username: u.username }));
  };
  const timeLoop = async (fn, n) => {
    const start = performance.now();
    for (let i = 0; i < n; i++) await fn();
    return (performance.now() - start) / n;
  };
  await timeLoop(() => client.listUsers(), 50);
  await timeLoop(plain, 50);
  const perCallClient = [];
  const perCallPlain = [];
  for (let round = 0; round < 3; round++) {
    perCallClient.push(await timeLoop(() => client.listUsers(), calls));
    perCallPlain.push(await timeLoop(plain, calls));
  }
  const c = median(perCallClient);
  const p = median(perCallPlain);
  console.log(`client.listUsers: ${(c * 1000).toFixed(0)} µs/call; plain fetch + JSON: ${(p * 1000).toFixed(0)} µs/call; ratio ${(c / p).toFixed(2)}x (+${((c - p) * 1000).toFixed(0)} µs)`);

  console.log("\n# decoding a 1,000-user list (in-memory response, no network)");
  const memoryClient = new CloudMqtt({
    apiKey: "bench",
    baseUrl: "https://api.example.test/api",
    maxRetries: 0,
    fetch: async () => new Response(thousand, { status: 200, headers: { "content-type": "application/json" } }),
  });
  const baseline = async () => {
    const response = new Response(thousand, { status: 200, headers: { "content-type": "application/json" } });
    return JSON.parse(await response.text()).map((u) => ({ username: u.username }));
  };
  const check = await memoryClient.listUsers();
  if (check.length !== 1000) throw new Error(`decoded ${check.length} users`);
  await timeLoop(() => memoryClient.listUsers(), 30);
  await timeLoop(baseline, 30);
  const decodeClient = [];
  const decodeBase = [];
  for (let round = 0; round < 3; round++) {
    decodeClient.push(await timeLoop(() => memoryClient.listUsers(), 100));
    decodeBase.push(await timeLoop(baseline, 100));
  }
  const dc = median(decodeClient);
  const db = median(decodeBase);
  console.log(`client.listUsers: ${(dc * 1000).toFixed(0)} µs; Response.text + JSON.parse + map: ${(db * 1000).toFixed(0)} µs; ratio ${(dc / db).toFixed(2)}x (body ${kb(Buffer.byteLength(thousand))})`);
} finally {
  await server.close();
}

process.exit(overBudget ? 1 : 0);
