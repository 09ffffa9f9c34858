// `cloudmqtt-api/slim`: the client for hosts that supply the .wasm
// themselves, through `init(moduleOrBytesOrUrl)`.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { test } from "node:test";
import { init, CloudMqtt, CloudMqttError } from "cloudmqtt-api/slim";
import { startServer } from "./server.mjs";

const require = createRequire(import.meta.url);
const wasmFile = require.resolve("cloudmqtt-api/cloudmqtt_api_wasm_bg.wasm");

test("before init(), constructing a client says what to do", () => {
  assert.throws(() => new CloudMqtt({ apiKey: "k" }), /call `await init\(wasm\)` before `new CloudMqtt\(\)`/);
});

test("init() refuses what is not a module, bytes, URL or Response", async () => {
  await assert.rejects(init(42), TypeError);
});

test("init() with the bytes, then a real call; init() again is harmless", async () => {
  const bytes = await readFile(wasmFile);
  assert.equal(await init(bytes), undefined);
  await init(new WebAssembly.Module(bytes));
  const server = await startServer();
  try {
    server.reply({ status: 200, json: [{ username: "slim" }] });
    server.reply({ status: 404, json: { error: "no such user" } });
    const client = new CloudMqtt({ apiKey: "slim-key", baseUrl: server.baseUrl, maxRetries: 0 });
    assert.deepEqual(await client.listUsers(), [{ username: "slim" }]);
    assert.equal(server.calls[0].headers.authorization, `Basic ${Buffer.from(":slim-key").toString("base64")}`);
    const error = await client.getUser("ghost").catch((caught) => caught);
    assert.ok(error instanceof CloudMqttError, String(error));
    assert.equal(error.code, "NOT_FOUND");
    assert.throws(() => new CloudMqtt({ apiKey: "" }), (thrown) => thrown instanceof CloudMqttError && thrown.code === "INVALID_INPUT");
  } finally {
    await server.close();
  }
});

test("require('cloudmqtt-api/slim') takes a compiled module", async () => {
  const slim = require("cloudmqtt-api/slim");
  assert.equal(typeof slim.init, "function");
  await slim.init(new WebAssembly.Module(await readFile(wasmFile)));
  assert.equal(String(new slim.CloudMqtt({ apiKey: "k" })), 'CloudMqtt { baseUrl: "https://api.cloudmqtt.com/api" }');
});
