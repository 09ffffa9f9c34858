#!/usr/bin/env node
// Builds npm/dist/ from the Rust crate crates/wasm:
//   1. scripts/setup-wasm.sh: a wasm32 toolchain and the pinned wasm-bindgen-cli
//   2. scripts/cargo-wasm build --profile wasm-release (size-first flags)
//   3. wasm-bindgen --target nodejs (dist/node) and --target web (dist/web)
//   4. wasm-opt -Oz (npm package `binaryen`) on both .wasm files
//   5. the hand-written JavaScript layer, entry points and type declarations
//
// Usage: node scripts/build.mjs [--if-stale]
//   --if-stale  do nothing when dist/ is complete and was built from the
//               current sources (what `prepack` runs)
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const npmDir = dirname(dirname(fileURLToPath(import.meta.url)));
const root = dirname(npmDir);
const dist = join(npmDir, "dist");
const targetDir = process.env.CARGO_TARGET_DIR || join(root, "target", "wasm");
const stampFile = join(targetDir, "npm-dist.sha256");
const crateName = "cloudmqtt_api_wasm";

/** Every file dist/ is built from. */
function inputs() {
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.push(path);
    }
  };
  for (const dir of ["crates/core/src", "crates/wasm/src", "npm/src"]) walk(join(root, dir));
  files.push(
    join(root, "Cargo.toml"),
    join(root, "Cargo.lock"),
    join(root, "crates/core/Cargo.toml"),
    join(root, "crates/wasm/Cargo.toml"),
    join(root, "scripts/cargo-wasm"),
    join(npmDir, "scripts/build.mjs"),
  );
  return files.sort();
}

function inputsHash() {
  const hash = createHash("sha256");
  for (const file of inputs()) {
    hash.update(relative(root, file));
    hash.update("\0");
    hash.update(readFileSync(file));
    hash.update("\0");
  }
  return hash.digest("hex");
}

const outputs = [
  "client.js",
  "index.d.ts",
  "index.d.cts",
  "node/index.cjs",
  "node/index.mjs",
  "node/client.cjs",
  `node/${crateName}.cjs`,
  `node/${crateName}_bg.wasm`,
  "web/index.js",
  "web/workerd.js",
  `web/${crateName}.js`,
  `web/${crateName}_bg.wasm`,
  // The `cloudmqtt-api/access` entry: the client plus plan, apply and
  // exportAccess, in a .wasm of its own (too large for the main one's budget).
  "access/index.d.ts",
  "access/index.d.cts",
  "access/node/index.cjs",
  "access/node/index.mjs",
  `access/node/${crateName}.cjs`,
  `access/node/${crateName}_bg.wasm`,
  "access/web/index.js",
  `access/web/${crateName}.js`,
  `access/web/${crateName}_bg.wasm`,
];

function isFresh(hash) {
  return (
    outputs.every((file) => existsSync(join(dist, file))) &&
    existsSync(stampFile) &&
    readFileSync(stampFile, "utf8").trim() === hash
  );
}

function run(command, args, options = {}) {
  console.error(`build: ${command} ${args.join(" ")}`);
  execFileSync(command, args, { stdio: ["ignore", "inherit", "inherit"], ...options });
}

/** wasm-opt from the `binaryen` devDependency, installing it if needed. */
function wasmOpt() {
  const bin = join(npmDir, "node_modules", "binaryen", "bin", "wasm-opt");
  if (!existsSync(bin)) {
    const lock = existsSync(join(npmDir, "package-lock.json"));
    run("npm", [lock ? "ci" : "install", "--no-audit", "--no-fund", "--ignore-scripts"], {
      cwd: npmDir,
    });
  }
  return bin;
}

/** The JavaScript layer as CommonJS, for the Node entry. */
function commonJs(source) {
  const exported = "export function bind(";
  if (!source.includes(exported)) throw new Error("client.js no longer exports bind()");
  return `"use strict";\n${source.replace(exported, "function bind(")}\nmodule.exports = { bind };\n`;
}

/** wasm-bindgen for Node and the web, then wasm-opt, into `base`/node and `base`/web. */
function bindAndOptimize(wasm, base, bindgen, opt) {
  for (const [target, dir] of [
    ["nodejs", "node"],
    ["web", "web"],
  ]) {
    const out = join(base, dir);
    const extra = target === "web" ? ["--omit-default-module-path"] : [];
    run(bindgen, [wasm, "--out-dir", out, "--target", target, "--no-typescript", ...extra]);
    const file = join(out, `${crateName}_bg.wasm`);
    run("node", [
      opt,
      "-Oz",
      "--converge",
      "--enable-bulk-memory",
      "--enable-nontrapping-float-to-int",
      "--enable-sign-ext",
      "--enable-mutable-globals",
      "--enable-reference-types",
      "--enable-multivalue",
      "--strip-debug",
      "--strip-producers",
      file,
      "-o",
      file,
    ]);
  }
  // The package is "type": "module"; the nodejs glue is CommonJS.
  renameSync(join(base, "node", `${crateName}.js`), join(base, "node", `${crateName}.cjs`));
}

function build() {
  run("bash", [join(root, "scripts/setup-wasm.sh"), "--quiet", "--size"]);
  const env = {
    ...process.env,
    CARGO_TARGET_DIR: targetDir,
    CARGO_WASM_SIZE: "1",
    // Keep the target_features section for wasm-bindgen; wasm-opt strips the rest.
    CARGO_PROFILE_WASM_RELEASE_STRIP: "false",
  };
  const wasm = join(targetDir, "wasm32-unknown-unknown", "wasm-release", `${crateName}.wasm`);
  const bindgen = join(root, ".tools", "bin", "wasm-bindgen");
  const opt = wasmOpt();
  rmSync(dist, { recursive: true, force: true });
  // The main entry, then the access entry (the `access` feature).
  for (const [features, base] of [
    [[], dist],
    [["--features", "access"], join(dist, "access")],
  ]) {
    run(
      join(root, "scripts/cargo-wasm"),
      ["build", "-p", "cloudmqtt-api-wasm", "--profile", "wasm-release", "--lib", ...features],
      { cwd: root, env },
    );
    bindAndOptimize(wasm, base, bindgen, opt);
  }

  const src = join(npmDir, "src");
  const client = readFileSync(join(src, "client.js"), "utf8");
  writeFileSync(join(dist, "client.js"), client);
  writeFileSync(join(dist, "node", "client.cjs"), commonJs(client));
  for (const file of [
    "node/index.cjs",
    "node/index.mjs",
    "web/index.js",
    "web/workerd.js",
    "access/node/index.cjs",
    "access/node/index.mjs",
    "access/web/index.js",
  ]) {
    cpSync(join(src, file), join(dist, file));
  }
  // The access entry's types: the main declarations, with the access
  // methods merged into its CloudMqtt class.
  const types = readFileSync(join(src, "index.d.ts"), "utf8");
  const accessTypes = `${types}\n/** This entry's client has the access methods. */\nexport interface CloudMqtt extends AccessMethods {}\n`;
  writeFileSync(join(dist, "access", "index.d.ts"), accessTypes);
  writeFileSync(join(dist, "access", "index.d.cts"), accessTypes);
  // One declaration file serves both: as .d.cts its exports describe
  // `module.exports`, which is what node/index.cjs assigns.
  cpSync(join(src, "index.d.ts"), join(dist, "index.d.ts"));
  cpSync(join(src, "index.d.ts"), join(dist, "index.d.cts"));

  for (const dir of ["node", "web", "access/node", "access/web"]) {
    const bytes = readFileSync(join(dist, dir, `${crateName}_bg.wasm`));
    const gzipped = gzipSync(bytes, { level: 9 }).length;
    console.error(
      `build: dist/${dir}/${crateName}_bg.wasm ${bytes.length} bytes, ${gzipped} gzipped`,
    );
  }
}

const ifStale = process.argv.includes("--if-stale");
const before = inputsHash();
if (ifStale && isFresh(before)) {
  console.error("build: dist/ is up to date");
} else {
  build();
  const missing = outputs.filter((file) => !existsSync(join(dist, file)));
  if (missing.length > 0) throw new Error(`build: missing outputs: ${missing.join(", ")}`);
  mkdirSync(dirname(stampFile), { recursive: true });
  writeFileSync(stampFile, `${before}\n`);
}
