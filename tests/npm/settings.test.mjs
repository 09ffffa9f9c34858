// A client reads its options once, at construction: it keeps no
// WebAssembly object between calls, and later changes to the options
// object change nothing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CloudMqtt } from "cloudmqtt-api";
import { startServer } from "./server.mjs";

test("later changes to the options object change nothing; inherited options count", async () => {
  const server = await startServer();
  try {
    server.handle(() => ({ status: 200, json: [] }));
    const options = Object.create({ maxRetries: 0 });
    options.apiKey = "first-key";
    options.baseUrl = server.baseUrl;
    const client = new CloudMqtt(options);
    options.apiKey = "second-key";
    options.baseUrl = "http://127.0.0.1:9/api";
    assert.deepEqual(await client.listUsers(), []);
    assert.deepEqual(await client.listUsers(), []);
    assert.equal(server.calls.length, 2);
    for (const call of server.calls) {
      assert.equal(call.headers.authorization, `Basic ${Buffer.from(":first-key").toString("base64")}`);
    }
  } finally {
    await server.close();
  }
});

test("a getter on the options is read once", async () => {
  let reads = 0;
  const options = {
    get apiKey() {
      reads += 1;
      return "getter-key";
    },
  };
  const client = new CloudMqtt(options);
  assert.equal(reads, 1);
  await client.listUsers({ limit: 0 }).catch(() => {});
  assert.equal(reads, 1);
});
