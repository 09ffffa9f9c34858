// Waiting for asynchronous changes: `wait` on create/delete, waitForUser
// and waitForAcl.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { API_KEY, clientFor, errorTexts, failure, since, useServer } from "./helpers.mjs";

const server = useServer();

const fast = { intervalMs: 50, timeoutMs: 3000 };

function sequence(route, replies) {
  let index = 0;
  server().route(route, () => replies[Math.min(index++, replies.length - 1)]);
}

function summary() {
  return server().calls.map((r) => `${r.method} ${r.url}`);
}

describe("wait on createUser / deleteUser", () => {
  test("createUser with WaitOptions polls GET /user/NAME until 200", async () => {
    server().route("POST /api/user", { status: 201 });
    sequence("GET /api/user/new%20one", [{ status: 404 }, { status: 404 }, { status: 200, json: { username: "new one" } }]);
    await clientFor(server()).createUser({ username: "new one", password: "p" }, { wait: fast });
    assert.deepEqual(summary(), [
      "POST /api/user",
      "GET /api/user/new%20one",
      "GET /api/user/new%20one",
      "GET /api/user/new%20one",
    ]);
    const [, first, second] = server().calls;
    assert.ok(second.at - first.at >= 40, `probes ${second.at - first.at} ms apart`);
  });

  test("deleteUser with WaitOptions polls until 404", async () => {
    server().route("DELETE /api/user/gone", { status: 204 });
    sequence("GET /api/user/gone", [{ status: 200, json: { username: "gone" } }, { status: 404 }]);
    await clientFor(server()).deleteUser("gone", { wait: fast });
    assert.deepEqual(summary(), ["DELETE /api/user/gone", "GET /api/user/gone", "GET /api/user/gone"]);
  });

  test("wait: true probes soon, then backs off toward the default 2 s interval", async () => {
    server().route("POST /api/user", { status: 201 });
    sequence("GET /api/user/slow", [{ status: 404 }, { status: 404 }, { status: 200, json: { username: "slow" } }]);
    const start = Date.now();
    await clientFor(server()).createUser({ username: "slow", password: "p" }, { wait: true });
    const took = since(start);
    // Probes 125, 375 and 875 ms after the create (the core's tests check
    // the schedule on a virtual clock); one probe every 2 s took 4 s.
    assert.equal(server().calls.length, 4);
    assert.ok(took < 2500, `took ${took} ms`);
  });

  test("wait: false and no wait send only the change", async () => {
    server().route("POST /api/user", { status: 201 });
    await clientFor(server()).createUser({ username: "a", password: "p" }, { wait: false });
    await clientFor(server()).createUser({ username: "b", password: "p" });
    assert.deepEqual(summary(), ["POST /api/user", "POST /api/user"]);
  });

  test("a failed change is not waited for", async () => {
    server().route("POST /api/user", { status: 400, json: { error: "bad name" } });
    await failure(clientFor(server()).createUser({ username: "a", password: "p" }, { wait: fast }), "BAD_REQUEST");
    assert.deepEqual(summary(), ["POST /api/user"]);
  });

  test("past the deadline -> WAIT_TIMEOUT", async () => {
    server().route("POST /api/user", { status: 201 });
    server().route("GET /api/user/never", { status: 404 });
    const start = Date.now();
    const error = await failure(
      clientFor(server()).createUser({ username: "never", password: "p" }, { wait: { intervalMs: 50, timeoutMs: 400 } }),
      "WAIT_TIMEOUT",
    );
    const took = since(start);
    assert.ok(took >= 350 && took < 2000, `took ${took} ms`);
    assert.ok(server().calls.length >= 3, summary().join(", "));
    assert.ok(!(await errorTexts(error)).includes(API_KEY));
  });

  test("the wait rides out 5xx", async () => {
    server().route("POST /api/user", { status: 201 });
    sequence("GET /api/user/x", [{ status: 503 }, { status: 500, body: "oops" }, { status: 200, json: { username: "x" } }]);
    await clientFor(server()).createUser({ username: "x", password: "p" }, { wait: fast });
    assert.equal(server().calls.filter((r) => r.method === "GET").length, 3);
  });

  test("the wait rides out a dropped connection and a slow probe", async () => {
    server().route("POST /api/user", { status: 201 });
    sequence("GET /api/user/x", [{ destroy: true }, { status: 404, delayMs: 3000 }, { status: 200, json: { username: "x" } }]);
    const start = Date.now();
    await clientFor(server(), { timeoutMs: 300, maxRetries: 0 }).createUser({ username: "x", password: "p" }, { wait: fast });
    assert.equal(server().calls.filter((r) => r.method === "GET").length, 3);
    assert.ok(since(start) < 2500, `took ${since(start)} ms`);
  });

  test("the wait fails fast on another error", async () => {
    server().route("DELETE /api/user/x", { status: 204 });
    server().route("GET /api/user/x", { status: 403, json: { error: "hidden" } });
    const start = Date.now();
    const error = await failure(clientFor(server()).deleteUser("x", { wait: fast }), "FORBIDDEN");
    assert.equal(error.serverMessage, "hidden");
    assert.deepEqual(summary(), ["DELETE /api/user/x", "GET /api/user/x"]);
    assert.ok(since(start) < 1000);
  });

  test("the wait slows down on 429", async () => {
    server().route("POST /api/user", { status: 201 });
    sequence("GET /api/user/x", [{ status: 429 }, { status: 200, json: { username: "x" } }]);
    await clientFor(server()).createUser({ username: "x", password: "p" }, { wait: { intervalMs: 200, timeoutMs: 5000 } });
    const [, first, second] = server().calls;
    assert.ok(second.at - first.at >= 380, `probes ${second.at - first.at} ms apart after a 429`);
  });

  test("the wait honours Retry-After on 429", async () => {
    sequence("GET /api/user/x", [{ status: 429, headers: { "retry-after": "1" } }, { status: 200, json: { username: "x" } }]);
    await clientFor(server()).waitForUser("x", fast);
    const [first, second] = server().calls;
    assert.ok(second.at - first.at >= 950, `probes ${second.at - first.at} ms apart after Retry-After: 1`);
  });

  test("an abort during the wait ends it at once", async () => {
    server().route("POST /api/user", { status: 201 });
    server().route("GET /api/user/x", { status: 404 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("stop")), 200);
    const start = Date.now();
    await failure(
      clientFor(server()).createUser(
        { username: "x", password: "p" },
        { wait: { intervalMs: 5000, timeoutMs: 60000, signal: controller.signal } },
      ),
      "ABORTED",
    );
    assert.ok(since(start) < 1500, `took ${since(start)} ms`);
  });

  test("the call's signal also aborts its wait", async () => {
    server().route("DELETE /api/user/x", { status: 204 });
    server().route("GET /api/user/x", { status: 200, json: { username: "x" } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const start = Date.now();
    await failure(clientFor(server()).deleteUser("x", { signal: controller.signal, wait: { intervalMs: 5000, timeoutMs: 60000 } }), "ABORTED");
    assert.ok(since(start) < 1500, `took ${since(start)} ms`);
  });

  test("the call's signal aborts the wait even when the wait has a signal of its own", async () => {
    server().route("DELETE /api/user/x", { status: 204 });
    server().route("GET /api/user/x", { status: 200, json: { username: "x" } });
    const call = new AbortController();
    const wait = new AbortController();
    setTimeout(() => call.abort(), 250);
    const start = Date.now();
    await failure(
      clientFor(server()).deleteUser("x", { signal: call.signal, wait: { signal: wait.signal, intervalMs: 100, timeoutMs: 1500 } }),
      "ABORTED",
    );
    assert.ok(since(start) < 900, `took ${since(start)} ms`);
    assert.equal(wait.signal.aborted, false);
  });

  test("the wait's own signal aborts it when the call has a signal too", async () => {
    server().route("DELETE /api/user/x", { status: 204 });
    server().route("GET /api/user/x", { status: 200, json: { username: "x" } });
    const call = new AbortController();
    const wait = new AbortController();
    setTimeout(() => wait.abort("enough"), 250);
    const start = Date.now();
    await failure(
      clientFor(server()).deleteUser("x", { signal: call.signal, wait: { signal: wait.signal, intervalMs: 100, timeoutMs: 1500 } }),
      "ABORTED",
    );
    assert.ok(since(start) < 900, `took ${since(start)} ms`);
  });

  test("a probe that never answers ends with WAIT_TIMEOUT at the deadline, not a second later", async () => {
    server().route("POST /api/user", { status: 201 });
    server().route("GET /api/user/u", { status: 200, json: { username: "u" }, delayMs: 60000 });
    let start = Date.now();
    await failure(clientFor(server()).waitForUser("u", { timeoutMs: 300, intervalMs: 50 }), "WAIT_TIMEOUT");
    let took = since(start);
    assert.ok(took >= 250 && took < 900, `waitForUser took ${took} ms for a 300 ms wait`);
    start = Date.now();
    await failure(
      clientFor(server()).createUser({ username: "u", password: "p" }, { wait: { timeoutMs: 300, intervalMs: 50 } }),
      "WAIT_TIMEOUT",
    );
    took = since(start);
    assert.ok(took >= 250 && took < 900, `the wait of createUser took ${took} ms for a 300 ms wait`);
  });
});

describe("waitForUser / waitForAcl", () => {
  test("waitForUser: 404 then 200", async () => {
    sequence("GET /api/user/u", [{ status: 404 }, { status: 200, json: { username: "u" } }]);
    await clientFor(server()).waitForUser("u", fast);
    assert.equal(server().calls.length, 2);
  });

  test("waitForUser exists: false: 200 then 404", async () => {
    sequence("GET /api/user/u", [{ status: 200, json: { username: "u" } }, { status: 200, json: { username: "u" } }, { status: 404 }]);
    await clientFor(server()).waitForUser("u", { ...fast, exists: false });
    assert.equal(server().calls.length, 3);
  });

  test("waitForUser that never comes -> WAIT_TIMEOUT", async () => {
    server().route("GET /api/user/u", { status: 404 });
    await failure(clientFor(server()).waitForUser("u", { intervalMs: 50, timeoutMs: 300 }), "WAIT_TIMEOUT");
  });

  test("waitForUser validates the name", async () => {
    const error = await failure(clientFor(server()).waitForUser("", fast), "INVALID_INPUT");
    assert.equal(error.field, "username");
    assert.equal(server().calls.length, 0);
  });

  const topic = { type: "topic", pattern: "a/#", read: true, write: false, username: "u" };
  const pattern = { type: "pattern", pattern: "a/#", read: true, write: true, username: null };

  test("waitForAcl matches type, pattern and username", async () => {
    sequence("GET /api/acl", [
      { status: 200, json: [] },
      { status: 200, json: [pattern] }, // same pattern, wrong type and user
      { status: 200, json: [{ ...topic, username: "other" }] }, // wrong user
      { status: 200, json: [pattern, topic] },
    ]);
    await clientFor(server()).waitForAcl({ type: "topic", username: "u", pattern: "a/#" }, fast);
    assert.equal(server().calls.length, 4);
    assert.ok(server().calls.every((r) => r.method === "GET" && r.url === "/api/acl"));
  });

  test("waitForAcl exists: false waits for the rule to go", async () => {
    sequence("GET /api/acl", [{ status: 200, json: [pattern] }, { status: 200, json: { items: [] } }]);
    await clientFor(server()).waitForAcl({ type: "pattern", pattern: "a/#", username: null }, { ...fast, exists: false });
    assert.equal(server().calls.length, 2);
  });

  test("createAcl with wait polls GET /acl", async () => {
    server().route("POST /api/acl", { status: 201 });
    sequence("GET /api/acl", [{ status: 200, json: [] }, { status: 200, json: [pattern] }]);
    await clientFor(server()).createAcl({ type: "pattern", pattern: "a/#", read: true, write: true }, { wait: fast });
    assert.deepEqual(summary(), ["POST /api/acl", "GET /api/acl", "GET /api/acl"]);
  });

  test("deleteAcl with wait polls GET /acl until the rule is gone", async () => {
    server().route("DELETE /api/acl", { status: 204 });
    sequence("GET /api/acl", [{ status: 200, json: [topic] }, { status: 200, json: [pattern] }]);
    await clientFor(server()).deleteAcl({ username: "u", topic: "a/#" }, { wait: fast });
    assert.deepEqual(summary(), ["DELETE /api/acl", "GET /api/acl", "GET /api/acl"]);
  });

  test("waitForAcl that never comes -> WAIT_TIMEOUT", async () => {
    server().route("GET /api/acl", { status: 200, json: [] });
    await failure(clientFor(server()).waitForAcl({ type: "pattern", pattern: "x" }, { intervalMs: 50, timeoutMs: 300 }), "WAIT_TIMEOUT");
  });

  test("waitForAcl on an undecodable list -> DECODE", async () => {
    server().route("GET /api/acl", { status: 200, body: "nonsense" });
    await failure(clientFor(server()).waitForAcl({ type: "pattern", pattern: "x" }, fast), "DECODE");
  });
});
