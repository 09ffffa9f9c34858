// Node.js (import), unbundled: the client as an ES module, with the
// WebAssembly glue and the .wasm (base64 in wasm-inline.cjs) required on the
// first `new CloudMqtt()`. Importing loads no CommonJS at all, which would
// cost Node several milliseconds the first time. Bundlers take
// node-bundler.mjs instead (the `module` condition), since they cannot see
// through `createRequire`.
//
// A process that both imports and requires the package gets two copies of
// the classes; `instanceof` answers alike for either (see client.js).
import { createRequire } from "node:module";
import { bind } from "./client.js";

export const { CloudMqtt, CloudMqttError, evaluateAccess } = bind(() => {
  const require = createRequire(import.meta.url);
  const wasm = require("./wasm.cjs");
  wasm.initSync({ module: Buffer.from(require("./wasm-inline.cjs"), "base64") });
  return wasm;
});
