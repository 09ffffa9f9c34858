// Class names: every class an entry exports is named as it is exported
// (`CloudMqtt.name === "CloudMqtt"`, and an error's `name` is its
// `constructor.name`, so that a crash prints `CloudMqttError: …`), in every
// entry of the package as installed and once bundled by esbuild. esbuild
// renames a class whose name a top-level binding of the bundle also takes
// (`CloudMqttError2`), and such bindings are what an entry's exports, and
// apps' `const { CloudMqtt } = ...`, are.
//
// Node loads the Workers and Edge entries here through a module hook that
// turns their `.wasm` imports into compiled modules, as those hosts do, and
// the browser entry with a `fetch` that reads file: URLs, as a page's
// server would serve them.
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire, register } from "node:module";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { inspect } from "node:util";
import { packageDir, packageJson, projectDir, resolveExport } from "./runtime.mjs";
import { fixedScenario, startServer } from "./server.mjs";

const pkgDir = packageDir();
const pkg = packageJson();
const require = createRequire(path.join(projectDir(), "package.json"));
const WASM = "cloudmqtt_api_wasm_bg.wasm";

assert.ok(process.env.CLOUDMQTT_REPO, "CLOUDMQTT_REPO must name the repository (for the esbuild that builds the package)");
const esbuild = createRequire(path.join(process.env.CLOUDMQTT_REPO, "npm", "package.json"))("esbuild");

register(
  `data:text/javascript,${encodeURIComponent(`
    export async function load(url, context, next) {
      const wasm = /^(file:[^?#]*\\.wasm)(\\?module)?$/.exec(url);
      if (wasm === null) return next(url, context);
      return {
        format: "module",
        shortCircuit: true,
        source: "import { readFileSync } from 'node:fs';" +
          "export default new WebAssembly.Module(readFileSync(new URL(" + JSON.stringify(wasm[1]) + ")));",
      };
    }
  `)}`,
);

const nodeFetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  const url = input instanceof Request ? input.url : String(input);
  if (!url.startsWith("file:")) return nodeFetch(input, init);
  return Promise.resolve(new Response(readFileSync(fileURLToPath(url)), { headers: { "content-type": "application/wasm" } }));
};

let server;
let scratch;

before(async () => {
  server = await startServer({ scenario: fixedScenario });
  scratch = mkdtempSync(path.join(projectDir(), ".names-"));
});

after(async () => {
  await server?.close();
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

/** Whether `value` is a class. */
const isClass = (value) => typeof value === "function" && /^class\b/.test(Function.prototype.toString.call(value));

/**
 * Checks the names of what `lib` exports: each class as it is exported, the
 * client's, and the error a missing user fails with, as it prints.
 */
async function checkNames(lib, label) {
  const { CloudMqtt, CloudMqttError } = lib;
  if (typeof lib.init === "function") await lib.init(readFileSync(path.join(pkgDir, "dist", WASM)));
  const classes = Object.entries(lib).filter(([, value]) => isClass(value));
  assert.ok(classes.length >= 2, `${label}: exports ${Object.keys(lib).join(", ")}`);
  for (const [key, value] of classes) assert.equal(value.name, key, `${label}: the class exported as ${key}`);
  assert.equal(CloudMqtt.name, "CloudMqtt", label);
  assert.equal(CloudMqttError.name, "CloudMqttError", label);

  const client = new CloudMqtt({ apiKey: "names-key", baseUrl: server.baseUrl, maxRetries: 0 });
  assert.equal(client.constructor.name, "CloudMqtt", label);
  const error = await client.getUser("missing").then(
    () => assert.fail(`${label}: getUser("missing") succeeded`),
    (caught) => caught,
  );
  assert.ok(error instanceof CloudMqttError, `${label}: ${inspect(error)}`);
  assert.equal(error.code, "NOT_FOUND", label);
  assert.equal(error.constructor.name, error.name, `${label}: the error's class`);
  assert.equal(lib[error.name], error.constructor, `${label}: the error's class is not exported as ${error.name}`);
  assert.ok(inspect(error).startsWith(`${error.name}: `), `${label} prints:\n${inspect(error)}`);
}

/** The installed file the exports map gives `subpath` under `conditions`. */
function entryFile(subpath, conditions) {
  const found = resolveExport(pkg, [...conditions, "default"], subpath);
  assert.ok(found, `no export for ${subpath} under ${conditions.join(", ")}`);
  return path.join(pkgDir, found.target);
}

/**
 * `specifier` bundled by esbuild into an app whose module binds
 * `CloudMqtt` and `CloudMqttError` at its top level, as apps do; returns
 * what the bundle exports. `.wasm` imports stay imports of the installed
 * files, for the module hook; the browser build's .wasm is copied beside
 * the bundle, where it looks for it.
 */
async function bundled(specifier, { format, platform, conditions, wasmDir }) {
  const dir = mkdtempSync(path.join(scratch, "app-"));
  const app =
    format === "cjs"
      ? `const lib = require(${JSON.stringify(specifier)});\nconst { CloudMqtt, CloudMqttError } = lib;\nmodule.exports = { ...lib, CloudMqtt, CloudMqttError };\n`
      : `import * as lib from ${JSON.stringify(specifier)};\nconst { CloudMqtt, CloudMqttError } = lib;\nexport default { ...lib, CloudMqtt, CloudMqttError };\n`;
  const source = path.join(dir, format === "cjs" ? "app.cjs" : "app.mjs");
  const outfile = path.join(dir, format === "cjs" ? "bundle.cjs" : "bundle.mjs");
  writeFileSync(source, app);
  await esbuild.build({
    entryPoints: [source],
    outfile,
    bundle: true,
    format,
    platform,
    // esbuild leaves out its default `module` condition when given any.
    ...(conditions === undefined ? {} : { conditions }),
    logLevel: "error",
    plugins: [
      {
        name: "wasm-imports",
        setup(build) {
          build.onResolve({ filter: /\.wasm(\?module)?$/ }, ({ path: file, resolveDir }) => {
            const [name, query] = file.split("?");
            const url = pathToFileURL(path.resolve(resolveDir, name)).href;
            return { path: query === undefined ? url : `${url}?${query}`, external: true };
          });
        },
      },
    ],
  });
  if (wasmDir !== undefined) copyFileSync(path.join(wasmDir, WASM), path.join(dir, WASM));
  if (format === "cjs") return require(outfile);
  return (await import(pathToFileURL(outfile).href)).default;
}

const dist = () => path.join(pkgDir, "dist");

const entries = [
  { name: "cloudmqtt-api, import", subpath: ".", conditions: ["node", "import"], bundle: { format: "esm", platform: "node" } },
  { name: "cloudmqtt-api, require", subpath: ".", conditions: ["node", "require"], bundle: { format: "cjs", platform: "node" } },
  { name: "cloudmqtt-api, bundlers' Node entry", subpath: ".", conditions: ["node", "module"], bundle: { format: "esm", platform: "node" } },
  {
    name: "cloudmqtt-api, browser",
    subpath: ".",
    conditions: ["browser"],
    bundle: { format: "esm", platform: "browser", wasmDir: dist },
  },
  {
    name: "cloudmqtt-api, workerd",
    subpath: ".",
    conditions: ["workerd"],
    bundle: { format: "esm", platform: "neutral", conditions: ["workerd", "worker", "browser"] },
  },
  {
    name: "cloudmqtt-api, edge-light",
    subpath: ".",
    conditions: ["edge-light"],
    bundle: { format: "esm", platform: "browser", conditions: ["edge-light", "development"] },
  },
  { name: "cloudmqtt-api/slim, import", subpath: "./slim", conditions: ["import"], bundle: { format: "esm", platform: "node" } },
  { name: "cloudmqtt-api/slim, require", subpath: "./slim", conditions: ["require"], bundle: { format: "cjs", platform: "node" } },
  { name: "cloudmqtt-api/access, import", subpath: "./access", conditions: ["node", "import"], bundle: { format: "esm", platform: "node" } },
  { name: "cloudmqtt-api/access, require", subpath: "./access", conditions: ["node", "require"], bundle: { format: "cjs", platform: "node" } },
  {
    name: "cloudmqtt-api/access, browser",
    subpath: "./access",
    conditions: ["browser"],
    bundle: { format: "esm", platform: "browser", wasmDir: () => path.join(dist(), "access") },
  },
  {
    name: "cloudmqtt-api/access, workerd",
    subpath: "./access",
    conditions: ["workerd"],
    bundle: { format: "esm", platform: "neutral", conditions: ["workerd", "worker", "browser"] },
  },
  {
    name: "cloudmqtt-api/access, edge-light",
    subpath: "./access",
    conditions: ["edge-light"],
    bundle: { format: "esm", platform: "browser", conditions: ["edge-light", "development"] },
  },
];

for (const { name, subpath, conditions, bundle } of entries) {
  test(`class names: ${name}, as installed and bundled by esbuild`, async () => {
    const file = entryFile(subpath, conditions);
    const label = `${name} (${path.relative(pkgDir, file)})`;
    const lib = file.endsWith(".cjs") ? require(file) : await import(pathToFileURL(file).href);
    await checkNames(lib, label);
    const specifier = `cloudmqtt-api${subpath.slice(1)}`;
    const { wasmDir, ...options } = bundle;
    await checkNames(await bundled(specifier, { ...options, wasmDir: wasmDir?.() }), `${label}, bundled by esbuild`);
  });
}
