"use strict";
// Node.js (require) for `cloudmqtt-api/access`: the client with plan, apply
// and exportAccess, on a .wasm of its own (loaded synchronously from this
// folder).
const wasm = require("./cloudmqtt_api_wasm.cjs");
const { bind } = require("../../node/client.cjs");

module.exports = bind(wasm);
