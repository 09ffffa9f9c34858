"use strict";
// Node.js, Bun and every bundle made for them (require, and import through
// node.mjs). The .wasm travels inside this package's JavaScript, base64 in
// wasm-inline.cjs, so that a bundle (esbuild, webpack, Next.js) carries it
// and runs wherever it is copied, with no file to find at run time. The
// glue is loaded and the module compiled on the first `new CloudMqtt()`,
// never at import.
const { bind } = require("./client.cjs");

module.exports = bind(() => {
  const wasm = require("./wasm.cjs");
  wasm.initSync({ module: Buffer.from(require("./wasm-inline.cjs"), "base64") });
  return wasm;
});
