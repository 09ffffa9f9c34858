// The package loaded with CommonJS `require`, as older Node code does.
"use strict";
const assert = require("node:assert/strict");
const { test } = require("node:test");
const path = require("node:path");
const { pathToFileURL } = require("node:url");

const pkg = require("cloudmqtt-api");

test("require() gives the client class and the error class", () => {
  assert.equal(typeof pkg.CloudMqtt, "function");
  assert.equal(typeof pkg.CloudMqttError, "function");
  assert.ok(pkg.CloudMqttError.prototype instanceof Error);
});

test("a required client talks to a loopback server", async () => {
  const { startServer } = await import(pathToFileURL(path.join(__dirname, "server.mjs")).href);
  const server = await startServer();
  try {
    server.reply({ status: 200, json: [{ username: "from-cjs" }] });
    server.reply({ status: 404, json: { error: "no such user" } });
    const client = new pkg.CloudMqtt({ apiKey: "cjs-key", baseUrl: server.baseUrl });
    assert.deepEqual(await client.listUsers({ limit: 3 }), [{ username: "from-cjs" }]);
    assert.equal(server.calls[0].url, "/api/user?limit=3");
    assert.equal(server.calls[0].headers.authorization, `Basic ${Buffer.from(":cjs-key").toString("base64")}`);
    let error;
    try {
      await client.getUser("ghost");
    } catch (caught) {
      error = caught;
    }
    assert.ok(error instanceof pkg.CloudMqttError, String(error));
    assert.equal(error.code, "NOT_FOUND");
    assert.equal(error.status, 404);
    assert.equal(error.serverMessage, "no such user");
  } finally {
    await server.close();
  }
});

test("required invalid input fails with INVALID_INPUT", async () => {
  assert.throws(
    () => new pkg.CloudMqtt({ apiKey: "" }),
    (error) => error instanceof pkg.CloudMqttError && error.code === "INVALID_INPUT" && error.field === "apiKey",
  );
});
