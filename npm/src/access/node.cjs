"use strict";
// Node.js, Bun and bundles made for them (require, and import through
// node.mjs), for `cloudmqtt-api/access`: the client with plan, apply and
// exportAccess, on a .wasm of its own. Like the main entry, the .wasm
// travels base64 inside the JavaScript and is compiled on the first
// `new CloudMqtt()`, never at import.
const { bind } = require("../client.cjs");

module.exports = bind(
  () => {
    const wasm = require("./wasm.cjs");
    wasm.initSync({ module: Buffer.from(require("./wasm-inline.cjs"), "base64") });
    return wasm;
  },
  { access: true },
);
