"use strict";
// Node.js (require): the wasm-bindgen `nodejs` build loads its .wasm
// synchronously from this folder, so no init call is needed.
const wasm = require("./cloudmqtt_api_wasm.cjs");
const { bind } = require("./client.cjs");

module.exports = bind(wasm);
