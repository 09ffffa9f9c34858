"use strict";
// Node.js, Bun and every bundle made for them (require, and import through
// node.mjs). The .wasm travels inside this package's JavaScript, base64 in
// wasm-inline.cjs, so that a bundle (esbuild, webpack, Next.js) carries it
// and runs wherever it is copied, with no file to find at run time. It is
// decoded and compiled on the first `new CloudMqtt()`, never at import.
const wasm = require("./wasm.cjs");
const { bind } = require("./client.cjs");

let loaded = false;

function ready() {
  if (loaded) return;
  const base64 = require("./wasm-inline.cjs");
  wasm.initSync({ module: Buffer.from(base64, "base64") });
  loaded = true;
}

module.exports = bind(wasm, ready);
