#!/usr/bin/env node
// Builds npm/dist/ from the Rust crate crates/wasm:
//   1. scripts/setup-wasm.sh: a wasm32 toolchain and the pinned wasm-bindgen-cli
//   2. scripts/cargo-wasm build --profile wasm-release (size-first flags)
//   3. wasm-bindgen --target web: the glue (dist/wasm.js, its initSync made to
//      take a compiled module from another realm) and the .wasm
//   4. wasm-opt -Oz (npm package `binaryen`): dist/cloudmqtt_api_wasm_bg.wasm,
//      the one .wasm of the package, and its base64 copy for Node
//      (dist/wasm-inline.cjs, so that Node bundles carry it)
//   5. the hand-written JavaScript layer, entry points and type declarations
//      (the `testing` entry among them: plain JavaScript, no .wasm); the
//      CommonJS copies (.cjs) made with esbuild
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
  for (const dir of ["crates/core/src", "crates/access/src", "crates/wasm/src", "npm/src"]) walk(join(root, dir));
  files.push(
    join(root, "Cargo.toml"),
    join(root, "Cargo.lock"),
    join(root, "crates/core/Cargo.toml"),
    join(root, "crates/access/Cargo.toml"),
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

/** The ES modules of npm/src that also ship as CommonJS (`.cjs`). */
const dualModules = ["client.js", "load.js", "slim.js", "testing.js"];
/** The entry points and modules copied from npm/src as they are. */
const copied = ["client.js", "load.js", "node.cjs", "node-bundler.mjs", "browser.js", "workerd.js", "edge-light.js", "slim.js", "testing.js"];
/** The access entry's entry points, copied from npm/src/access. */
const accessCopied = ["node.cjs", "node.mjs", "browser.js", "workerd.js", "edge-light.js"];

const outputs = [
  ...copied,
  "node.mjs",
  ...dualModules.map((file) => file.replace(/\.js$/, ".cjs")),
  "wasm.js",
  "wasm.cjs",
  "wasm-inline.cjs",
  `${crateName}_bg.wasm`,
  "index.d.ts",
  "index.d.cts",
  "slim.d.ts",
  "slim.d.cts",
  // The `cloudmqtt-api/testing` entry: the emulator's control API in plain
  // JavaScript, no WebAssembly.
  "testing.d.ts",
  "testing.d.cts",
  // The `cloudmqtt-api/access` entry: the client plus the access checker,
  // plan, apply and exportAccess, in a .wasm of its own (plan and apply are
  // too large for the main one's budget, the checker for its target).
  ...accessCopied.map((file) => `access/${file}`),
  "access/wasm.js",
  "access/wasm.cjs",
  "access/wasm-inline.cjs",
  `access/${crateName}_bg.wasm`,
  "access/index.d.ts",
  "access/index.d.cts",
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

/**
 * An ES module as CommonJS (esbuild, no bundling): its relative imports of
 * `./x.js` become requires of `./x.cjs`.
 */
async function commonJs(source, file) {
  const esbuild = await import(join(npmDir, "node_modules", "esbuild", "lib", "main.js"));
  const { code } = await esbuild.transform(source, { format: "cjs", target: "es2022", sourcefile: file });
  if (/import\.meta/.test(code)) throw new Error(`${file} uses import.meta, which CommonJS has not`);
  return `"use strict";\n${code.replace(/require\("(\.\/[^"]+)\.js"\)/g, 'require("$1.cjs")')}`;
}

/** The names of the classes `code` declares (`class X`, `X = class`). */
function classNames(code) {
  const names = new Set();
  for (const [, name] of code.matchAll(/\bclass\s+(?!extends\b)([\w$]+)/g)) names.add(name);
  for (const [, name] of code.matchAll(/([\w$]+)\s*=\s*class\b/g)) names.add(name);
  return names;
}

/**
 * The unbundled Node entry (`import`), with client.js and the glue
 * (wasm.js) bundled in: one file to load instead of three, which shows in
 * the time `import` takes. Run after wasm.js is written. Fails if esbuild
 * renamed a class of client.js (as it does one whose name a top-level
 * binding of the bundle takes), which stack frames and `constructor.name`
 * would show.
 */
async function nodeEntry(source, out) {
  const esbuild = await import(join(npmDir, "node_modules", "esbuild", "lib", "main.js"));
  // Bundled from a copy beside the generated glue, which it imports.
  const entry = join(dirname(out), ".node-entry.mjs");
  cpSync(source, entry);
  try {
    await esbuild.build({
      entryPoints: [entry],
      outfile: out,
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node20",
      logLevel: "error",
      banner: {
        js: "// The Node.js entry for `import` (see src/node.mjs in the repository), with\n// client.js and the WebAssembly glue bundled in; written by scripts/build.mjs.",
      },
    });
  } finally {
    rmSync(entry, { force: true });
  }
  // Compared without comments, whose words could pass for names.
  const client = (await esbuild.transform(readFileSync(join(dirname(source), "client.js"), "utf8"))).code;
  const bundled = classNames((await esbuild.transform(readFileSync(out, "utf8"))).code);
  const renamed = [...classNames(client)].filter((name) => !bundled.has(name));
  if (renamed.length > 0) {
    throw new Error(`build: esbuild renamed ${renamed.join(", ")} in ${relative(npmDir, out)}: a top-level binding there takes the name`);
  }
}

/**
 * The glue with its `initSync` taking a compiled module from any realm. Next.js
 * (`next start`) and `vercel dev` compile a `.wasm?module` import in Node's
 * realm and hand the module to the Edge Runtime's context, where `module
 * instanceof WebAssembly.Module` is false: the glue would compile it again
 * ("WebAssembly.Module(): Argument 0 must be a buffer source"). Its tag is
 * the same in every realm.
 */
function acceptAnyRealm(glue) {
  const check = "if (!(module instanceof WebAssembly.Module)) {";
  const parts = glue.split(check);
  if (parts.length !== 2) throw new Error(`build: the wasm-bindgen glue's initSync no longer reads \`${check}\``);
  return parts.join('if (Object.prototype.toString.call(module) !== "[object WebAssembly.Module]") {');
}

/**
 * Gives the .wasm at `file` one-letter import, export and import-module
 * names (`wasm-opt --minify-imports-and-exports-and-modules`), and `glue`
 * the same names: wasm-bindgen's names carry a hash each, which gzip cannot
 * shrink (see README, Size). Returns the glue. Fails when a name is not
 * where the glue is expected to hold it (each import once, as a key of the
 * imports object; each export read as `wasm.NAME`), so that a change in
 * wasm-bindgen's glue stops the build rather than breaking the package.
 */
function minifyNames(opt, file, glue) {
  const before = WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(file)));
  const modules = new Set(before.map((entry) => entry.module));
  const printed = execFileSync(
    "node",
    [opt, "--enable-reference-types", "--enable-bulk-memory", "--enable-nontrapping-float-to-int", "--enable-sign-ext", "--enable-mutable-globals", "--enable-multivalue", "--minify-imports-and-exports-and-modules", file, "-o", file],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
  );
  const map = JSON.parse(printed.slice(printed.indexOf("{")));
  const after = WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(file)));
  const newModules = new Set(after.map((entry) => entry.module));
  if (modules.size !== 1 || newModules.size !== 1) throw new Error(`build: expected one import module, found ${[...modules]} -> ${[...newModules]}`);
  const [oldModule] = modules;
  const [newModule] = newModules;
  const word = (name) => name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const replaceCounted = (text, pattern, replacement, what, exactly) => {
    let count = 0;
    const result = text.replace(pattern, () => {
      count += 1;
      return replacement;
    });
    if (exactly !== undefined ? count !== exactly : count === 0) {
      throw new Error(`build: ${what} found ${count} times in the wasm-bindgen glue`);
    }
    return result;
  };
  let out = replaceCounted(glue, new RegExp(`"${word(oldModule)}":`, "g"), `"${newModule}":`, `the import module "${oldModule}"`, 1);
  for (const [, name, short] of map.imports) {
    out = replaceCounted(out, new RegExp(`(?<![\\w$])${word(name)}(?=: )`, "g"), short, `the import ${name}`, 1);
  }
  for (const [name, short] of map.exports) {
    // Exports the glue never reads (wasm-bindgen's own) are left alone.
    if (!new RegExp(`\\bwasm\\.${word(name)}(?![\\w$])`).test(out)) continue;
    out = replaceCounted(out, new RegExp(`\\bwasm\\.${word(name)}(?![\\w$])`, "g"), `wasm.${short}`, `the export ${name}`);
  }
  return out;
}

/**
 * Builds the crate (with `features`) into `out`: the optimised .wasm, its
 * base64 copy for Node bundles, and the wasm-bindgen glue as ES module and
 * CommonJS. Returns the .wasm's bytes.
 */
async function buildModule(features, out, env, bindgen, opt) {
  run(
    join(root, "scripts/cargo-wasm"),
    ["build", "-p", "cloudmqtt-api-wasm", "--profile", "wasm-release", "--lib", ...features],
    { cwd: root, env },
  );
  const wasm = join(targetDir, "wasm32-unknown-unknown", "wasm-release", `${crateName}.wasm`);
  const bindgenOut = join(targetDir, "npm-bindgen");
  rmSync(bindgenOut, { recursive: true, force: true });
  run(bindgen, [wasm, "--out-dir", bindgenOut, "--target", "web", "--no-typescript", "--omit-default-module-path"]);

  mkdirSync(out, { recursive: true });
  const file = join(out, `${crateName}_bg.wasm`);
  run("node", [
    opt,
    // Twice flattened and re-relooped, each time shrunk by -Oz: the
    // control flow rebuilt from scratch ends smaller than -Oz alone makes
    // it (measured: main 41,468 -> 41,214 B gzipped, access 67,640 ->
    // 67,292 B; the step takes about 30 s longer). The passes keep what
    // the code does.
    // A function with one caller is inlined only when small (binaryen
    // inlines any such function by default): the calls compress better
    // than the bodies inlined, so the .wasm is larger and its gzip smaller
    // (measured at 20: main 41,214 -> 40,438 B gzipped, 90,031 -> 91,712
    // B raw; access 67,292 -> 65,338 B gzipped, 148,149 -> 151,244 B raw;
    // on the access .wasm, 10, 30, 50, 100 and 500 gave less).
    "--one-caller-inline-max-function-size",
    "20",
    "--flatten",
    "--rereloop",
    "-Oz",
    "--flatten",
    "--rereloop",
    "-Oz",
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
    // The features section only informs tools; nothing reads it at run time.
    "--strip-target-features",
    join(bindgenOut, `${crateName}_bg.wasm`),
    "-o",
    file,
  ]);
  const glue = minifyNames(opt, file, acceptAnyRealm(readFileSync(join(bindgenOut, `${crateName}.js`), "utf8")));
  const bytes = readFileSync(file);
  writeFileSync(
    join(out, "wasm-inline.cjs"),
    `"use strict";\n// ${crateName}_bg.wasm, base64: Node bundles carry it with the code.\nmodule.exports = "${bytes.toString("base64")}";\n`,
  );
  writeFileSync(join(out, "wasm.js"), glue);
  writeFileSync(join(out, "wasm.cjs"), await commonJs(glue, "wasm.js"));
  return bytes;
}

async function build() {
  run("bash", [join(root, "scripts/setup-wasm.sh"), "--quiet", "--size"]);
  const env = {
    ...process.env,
    CARGO_TARGET_DIR: targetDir,
    CARGO_WASM_SIZE: "1",
    // Keep the target_features section for wasm-bindgen; wasm-opt strips the rest.
    CARGO_PROFILE_WASM_RELEASE_STRIP: "false",
  };
  const bindgen = join(root, ".tools", "bin", "wasm-bindgen");
  const opt = wasmOpt();

  rmSync(dist, { recursive: true, force: true });
  const bytes = await buildModule([], dist, env, bindgen, opt);
  const accessBytes = await buildModule(["--features", "access"], join(dist, "access"), env, bindgen, opt);

  const src = join(npmDir, "src");
  for (const name of copied) cpSync(join(src, name), join(dist, name));
  for (const name of accessCopied) cpSync(join(src, "access", name), join(dist, "access", name));
  await nodeEntry(join(src, "node.mjs"), join(dist, "node.mjs"));
  for (const name of dualModules) {
    const source = readFileSync(join(src, name), "utf8");
    writeFileSync(join(dist, name.replace(/\.js$/, ".cjs")), await commonJs(source, name));
  }
  // One declaration file serves both: as .d.cts its exports describe
  // `module.exports`, which is what node.cjs assigns. The slim entry's
  // declarations are the same plus `init`; the access entry's, the same
  // plus evaluateAccess and the access methods on the client.
  const types = readFileSync(join(src, "index.d.ts"), "utf8");
  const slimTypes = types + readFileSync(join(src, "slim.d.ts"), "utf8");
  const accessTypes = types + readFileSync(join(src, "access", "index.d.ts"), "utf8");
  // The testing entry's declarations stand alone: it shares no code with the client.
  const testingTypes = readFileSync(join(src, "testing.d.ts"), "utf8");
  for (const [name, text] of [
    ["index.d.ts", types],
    ["index.d.cts", types],
    ["slim.d.ts", slimTypes],
    ["slim.d.cts", slimTypes],
    ["testing.d.ts", testingTypes],
    ["testing.d.cts", testingTypes],
    ["access/index.d.ts", accessTypes],
    ["access/index.d.cts", accessTypes],
  ]) {
    writeFileSync(join(dist, name), text);
  }

  for (const [name, data] of [
    [`${crateName}_bg.wasm`, bytes],
    [`access/${crateName}_bg.wasm`, accessBytes],
  ]) {
    const gzipped = gzipSync(data, { level: 9 }).length;
    console.error(`build: dist/${name} ${data.length} bytes, ${gzipped} gzipped`);
  }
}

const ifStale = process.argv.includes("--if-stale");
const before = inputsHash();
if (ifStale && isFresh(before)) {
  console.error("build: dist/ is up to date");
} else {
  await build();
  const missing = outputs.filter((file) => !existsSync(join(dist, file)));
  if (missing.length > 0) throw new Error(`build: missing outputs: ${missing.join(", ")}`);
  mkdirSync(dirname(stampFile), { recursive: true });
  writeFileSync(stampFile, `${before}\n`);
}
