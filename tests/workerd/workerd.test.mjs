// The package's `workerd` export running in workerd (Cloudflare Workers'
// runtime). workerd has no npm resolution, so this test reads the installed
// package's exports map, follows the `workerd` condition to the entry file,
// collects the modules it imports (ES modules and .wasm) and lists them in
// a workerd config, the way a bundler would hand them over.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { startServer, fixedScenario } from "../npm/server.mjs";
import { checkReport, checkRequests } from "../npm/scenario-checks.mjs";
import {
  exportsMention,
  freePort,
  packageDir,
  packageJson,
  projectDir,
  resolveExport,
  start,
  stop,
  toolBin,
  waitForHttp,
} from "../npm/runtime.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
// The conditions workerd's bundlers (wrangler, esbuild) use, in order.
const CONDITIONS = ["workerd", "worker", "browser", "import", "default"];

const MODULE_TYPES = { ".js": "esModule", ".mjs": "esModule", ".cjs": "commonJsModule", ".wasm": "wasm", ".json": "json" };

/** Every file `entry` reaches through static relative imports. */
export function moduleGraph(entry) {
  const found = new Set();
  const visit = (file) => {
    if (found.has(file)) return;
    found.add(file);
    if (path.extname(file) === ".wasm" || path.extname(file) === ".json") return;
    const source = readFileSync(file, "utf8");
    const patterns = [
      /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]/g,
      /\bimport\s*['"](\.{1,2}\/[^'"]+)['"]/g,
      /\bimport\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g,
    ];
    for (const pattern of patterns) {
      for (const match of source.matchAll(pattern)) visit(path.resolve(path.dirname(file), match[1]));
    }
  };
  visit(entry);
  return [...found];
}

let server;
let workerd;
let resolved;

before(async () => {
  server = await startServer({ scenario: fixedScenario });
});

after(async () => {
  await stop(workerd);
  await server?.close();
});

test("the exports map has a workerd condition", () => {
  const pkg = packageJson();
  assert.ok(exportsMention(pkg, "workerd"), `no "workerd" condition in exports: ${JSON.stringify(pkg.exports)}`);
  resolved = resolveExport(pkg, CONDITIONS);
  assert.ok(resolved, "the exports map resolves nothing for workerd");
  assert.equal(resolved.conditions[0], "workerd", `resolved through ${resolved.conditions.join(" > ")}`);
});

test("the workerd entry runs in workerd and calls the loopback server", async (t) => {
  const pkg = packageJson();
  resolved ??= resolveExport(pkg, CONDITIONS);
  assert.ok(resolved, "nothing to run");
  const project = projectDir();
  const pkgDir = packageDir();
  const entry = path.resolve(pkgDir, resolved.target);
  const files = moduleGraph(entry);
  const rel = (file) => path.relative(project, file).split(path.sep).join("/");
  const modules = [
    `(name = "worker.mjs", esModule = embed ${JSON.stringify(rel(path.join(here, "worker.mjs")))})`,
    `(name = "scenario-client.mjs", esModule = embed ${JSON.stringify(rel(path.join(here, "..", "npm", "scenario-client.mjs")))})`,
    // The bare name "cloudmqtt-api" is what the worker imports.
    `(name = "cloudmqtt-api", esModule = ${JSON.stringify(`export * from "./${rel(entry)}";`)})`,
  ];
  for (const file of files) {
    const type = MODULE_TYPES[path.extname(file)];
    assert.ok(type, `no workerd module type for ${rel(file)}`);
    modules.push(`(name = ${JSON.stringify(rel(file))}, ${type} = embed ${JSON.stringify(rel(file))})`);
  }
  const port = await freePort();
  const config = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .mainWorker),
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const mainWorker :Workerd.Worker = (
  modules = [
    ${modules.join(",\n    ")}
  ],
  compatibilityDate = "2025-09-01",
  bindings = [ (name = "API_URL", text = ${JSON.stringify(server.baseUrl)}) ],
  globalOutbound = "internet",
);
`;
  const configPath = path.join(project, "workerd-e2e.capnp");
  writeFileSync(configPath, config);
  t.diagnostic(`entry ${rel(entry)} via ${resolved.conditions.join(" > ")}; modules: ${files.map(rel).join(", ")}`);

  workerd = start(toolBin("workerd"), ["serve", configPath, "--verbose"], { cwd: project });
  await waitForHttp(`http://127.0.0.1:${port}/__ping`, 20000, workerd).catch((error) => {
    throw new Error(`${error.message}\nconfig:\n${config}`);
  });
  server.reset();
  const response = await fetch(`http://127.0.0.1:${port}/run`);
  const text = await response.text();
  let report;
  try {
    report = JSON.parse(text);
  } catch {
    assert.fail(`workerd answered ${response.status}: ${text}\n${workerd.output}`);
  }
  checkReport(report);
  assert.deepEqual(report.printed, [], "the package printed to the console");
  checkRequests(server.calls);
});
