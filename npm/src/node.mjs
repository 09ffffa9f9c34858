// Node.js (import), unbundled: the client as an ES module, with the
// WebAssembly glue and the .wasm (base64 in wasm-inline.cjs) required on the
// first `new CloudMqtt()`. Importing loads no CommonJS (which would cost
// Node several milliseconds the first time) and no other module: the build
// bundles client.js into this file, and `node:module` comes from
// `process.getBuiltinModule` where Node has it (20.16 and later; earlier,
// from an import). Bundlers take node-bundler.mjs instead (the `module`
// condition), since they cannot see through `createRequire`.
//
// A process that both imports and requires the package gets two copies of
// the classes; `instanceof` answers alike for either (see client.js).
import { bind } from "./client.js";

const { createRequire } = globalThis.process.getBuiltinModule?.("node:module") ?? (await import("node:module"));

export const { CloudMqtt, CloudMqttError, evaluateAccess } = bind(() => {
  const require = createRequire(import.meta.url);
  const wasm = require("./wasm.cjs");
  wasm.initSync({ module: Buffer.from(require("./wasm-inline.cjs"), "base64") });
  return wasm;
});
