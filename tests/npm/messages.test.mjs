// What an error says and what it carries: one message, the server's words
// once, JavaScript names, durations as given, hints where the cause is
// knowable, `cause` for failures without an answer, a subclass per code
// family, and a caller's own mistakes kept apart from the network's.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as api from "cloudmqtt-api";
import { API_KEY, CloudMqtt, CloudMqttError, FAMILY, clientFor, failure, startServer, useServer } from "./helpers.mjs";

const server = useServer();

describe("messages", () => {
  test("the server's words are said once", async () => {
    server().reply({ status: 401, json: { error: "unauthorized: wrong or missing API key" } });
    const unauthorized = await failure(clientFor(server()).listAcls(), "UNAUTHORIZED");
    assert.equal(unauthorized.message, "unauthorized: the API key was rejected: wrong or missing API key");
    server().reply({ status: 404, json: { error: 'user "nobody" not found' } });
    const missing = await failure(clientFor(server()).getUser("nobody"), "NOT_FOUND");
    assert.equal(missing.message, 'user "nobody" not found');
    assert.equal(missing.serverMessage, 'user "nobody" not found');
  });

  test("options are named as JavaScript names them", async () => {
    const key = await failure(() => new CloudMqtt({ apiKey: "" }), "INVALID_INPUT");
    assert.equal(key.field, "apiKey");
    assert.equal(key.message, "invalid apiKey: must not be empty");
    const url = await failure(() => new CloudMqtt({ apiKey: API_KEY, baseUrl: "ftp://x" }), "INVALID_INPUT");
    assert.equal(url.field, "baseUrl");
    assert.match(url.message, /^invalid baseUrl: /);
    const size = await failure(() => clientFor(server()).users({ pageSize: 0 }).next(), "INVALID_INPUT");
    assert.equal(size.field, "pageSize");
    assert.match(size.message, /^invalid pageSize: /);
  });

  test("one range per parameter, whatever the wrong value", async () => {
    const client = clientFor(server());
    for (const limit of ["10", 0, -1, 1.5, 1e12]) {
      const error = await failure(client.listUsers({ limit }), "INVALID_INPUT", String(limit));
      assert.equal(error.message, "invalid limit: must be from 1 to 1000", String(limit));
    }
    for (const pageSize of ["10", 0, 2000]) {
      const error = await failure(() => client.users({ pageSize }).next(), "INVALID_INPUT", String(pageSize));
      assert.equal(error.message, "invalid pageSize: must be from 1 to 1000", String(pageSize));
    }
    for (const page of ["2", 0, -3]) {
      const error = await failure(client.listUsers({ page }), "INVALID_INPUT", String(page));
      assert.equal(error.field, "page");
      assert.match(error.message, /^invalid page: must be 1 or more/);
    }
    assert.equal(server().calls.length, 0);
  });

  test("a wait's duration is said as it was given", async () => {
    server().route("POST /api/user", { status: 204 });
    server().route("GET /api/user/late", { status: 404 });
    const error = await failure(
      clientFor(server()).createUser({ username: "late", password: "pw" }, { wait: { timeoutMs: 500, intervalMs: 100 } }),
      "WAIT_TIMEOUT",
    );
    assert.match(error.message, /^gave up after 500 ms waiting for user "late" to exist$/);
  });

  test("a 404 for a path every API has hints at the base URL", async () => {
    server().reply({ status: 404, json: { error: "not found" } });
    const error = await failure(clientFor(server()).listUsers(), "NOT_FOUND");
    assert.equal(error.message, 'not found (every API has this path: the base URL may be missing "/api")');
    // A missing user is just that.
    server().reply({ status: 404, json: { error: "not found" } });
    const user = await failure(clientFor(server()).getUser("nobody"), "NOT_FOUND");
    assert.equal(user.message, "not found");
  });
});

describe("telling errors apart", () => {
  test("a duplicate create is ALREADY_EXISTS, its status kept", async () => {
    server().reply({ status: 400, json: { error: 'user "alice" already exists' } });
    const error = await failure(
      clientFor(server()).createUser({ username: "alice", password: "pw" }),
      "ALREADY_EXISTS",
    );
    assert.equal(error.status, 400);
    assert.ok(error instanceof api.AlreadyExistsError);
    assert.ok(error instanceof CloudMqttError);
    // Any other 400 stays BAD_REQUEST.
    server().reply({ status: 400, json: { error: "user does not exist" } });
    await failure(clientFor(server()).createAcl({ type: "topic", username: "ghost", pattern: "t", read: true, write: false }), "BAD_REQUEST");
  });

  test("every code family has its exported subclass", () => {
    for (const [code, family] of Object.entries(FAMILY)) {
      const cls = api[family];
      assert.equal(typeof cls, "function", family);
      assert.equal(cls.name, family);
      assert.ok(cls.prototype instanceof CloudMqttError, `${family} extends CloudMqttError`);
      assert.equal(cls.prototype.name, family, code);
    }
    assert.equal(CloudMqttError.name, "CloudMqttError");
  });
});

describe("causes", () => {
  test("a failure without an answer carries what fetch threw", async () => {
    const closed = await startServer();
    const baseUrl = closed.baseUrl;
    await closed.close();
    const error = await failure(new CloudMqtt({ apiKey: API_KEY, baseUrl, maxRetries: 0 }).listAcls(), "NETWORK");
    assert.ok(error.cause instanceof Error, String(error.cause));
    assert.ok(error instanceof api.ConnectionError);
  });

  test("a fetch option that returns no Response is a TypeError at once, never retried", async () => {
    let calls = 0;
    const client = new CloudMqtt({
      apiKey: API_KEY,
      baseUrl: server().baseUrl,
      fetch: async () => {
        calls++;
        return { status: 200 };
      },
    });
    await assert.rejects(client.listAcls(), (error) => {
      assert.ok(error instanceof TypeError, String(error));
      assert.ok(!(error instanceof CloudMqttError));
      assert.match(error.message, /must resolve to a Response/);
      return true;
    });
    assert.equal(calls, 1);
  });
});
