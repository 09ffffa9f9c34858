// Retries (429, 5xx, network), per-attempt timeouts and aborts.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { clientFor, failure, since, sleep, useServer } from "./helpers.mjs";

const server = useServer();

function gaps(requests) {
  return requests.slice(1).map((r, i) => r.at - requests[i].at);
}

describe("429 Too Many Requests", () => {
  test("Retry-After in seconds is honoured, then the call succeeds", async () => {
    server().reply({ status: 429, headers: { "retry-after": "1" }, body: "" }, { status: 200, json: [{ username: "a" }] });
    const start = Date.now();
    const users = await clientFor(server()).listUsers();
    assert.deepEqual(users, [{ username: "a" }]);
    assert.equal(server().calls.length, 2);
    const [gap] = gaps(server().calls);
    assert.ok(gap >= 950, `retried after ${gap} ms, before Retry-After`);
    assert.ok(since(start) < 3000, `took ${since(start)} ms`);
  });

  test("Retry-After as an HTTP-date is honoured", async () => {
    const at = new Date(Date.now() + 2500);
    const when = at.toUTCString(); // second resolution
    const target = Math.floor(at.getTime() / 1000) * 1000;
    server().reply({ status: 429, headers: { "retry-after": when } }, { status: 204 });
    const start = Date.now();
    await clientFor(server()).restartInstance();
    assert.equal(server().calls.length, 2);
    const second = server().calls[1].at;
    assert.ok(second >= target - 100, `retried ${target - second} ms before the date`);
    assert.ok(since(start) < 4500, `took ${since(start)} ms`);
  });

  test("a Retry-After date in the past retries at once", async () => {
    const past = new Date(Date.now() - 60000).toUTCString();
    server().reply({ status: 429, headers: { "retry-after": past } }, { status: 200, json: [] });
    const start = Date.now();
    await clientFor(server()).listAcls();
    assert.equal(server().calls.length, 2);
    assert.ok(since(start) < 500, `took ${since(start)} ms`);
  });

  test("429 is retried even for POST (the server did not act)", async () => {
    server().reply({ status: 429, headers: { "retry-after": "0" } }, { status: 201 });
    await clientFor(server()).createUser({ username: "u", password: "p" });
    assert.deepEqual(server().calls.map((r) => r.method), ["POST", "POST"]);
    assert.equal(server().calls[0].text, server().calls[1].text);
  });

  test("without Retry-After: backoff, at most maxRetries retries, then RATE_LIMITED", async () => {
    for (let i = 0; i < 5; i++) server().reply({ status: 429, json: { error: "slow down" } });
    const start = Date.now();
    const error = await failure(clientFor(server()).listAcls(), "RATE_LIMITED");
    const took = since(start);
    assert.equal(server().calls.length, 3, "default maxRetries is 2");
    assert.equal(error.status, 429);
    assert.equal(error.serverMessage, "slow down");
    assert.equal(error.retryAfterMs, undefined);
    // Full jitter: first retry within 0..500 ms, second within 0..1000 ms.
    assert.ok(took < 1500 + 1000, `took ${took} ms`);
  });

  test("retryAfterMs reports the server's Retry-After", async () => {
    server().reply({ status: 429, headers: { "retry-after": "7" } });
    const error = await failure(clientFor(server(), { maxRetries: 0 }).listUsers(), "RATE_LIMITED");
    assert.equal(error.retryAfterMs, 7000);
    assert.equal(server().calls.length, 1);
  });

  test("a Retry-After beyond 60 s gives up at once", async () => {
    server().reply({ status: 429, headers: { "retry-after": "120" } }, { status: 200, json: [] });
    const start = Date.now();
    const error = await failure(clientFor(server()).listUsers(), "RATE_LIMITED");
    assert.ok(since(start) < 1000, `took ${since(start)} ms`);
    assert.equal(error.retryAfterMs, 120000);
    assert.equal(server().calls.length, 1);
  });
});

describe("server errors and network failures", () => {
  test("a POST is never retried after a 5xx", async () => {
    server().reply({ status: 503, body: "busy" }, { status: 201 });
    const error = await failure(clientFor(server()).createUser({ username: "u", password: "p" }), "SERVER_ERROR");
    assert.equal(error.status, 503);
    assert.equal(server().calls.length, 1);
  });

  test("a POST is never retried after a network failure", async () => {
    server().reply({ destroy: true }, { status: 204 });
    await failure(clientFor(server()).restartInstance(), "NETWORK");
    assert.equal(server().calls.length, 1);
  });

  test("a GET is retried after a 503 and succeeds", async () => {
    server().reply({ status: 503, body: "busy" }, { status: 200, json: [{ username: "back" }] });
    const start = Date.now();
    assert.deepEqual(await clientFor(server()).listUsers(), [{ username: "back" }]);
    assert.equal(server().calls.length, 2);
    assert.ok(since(start) < 1500, `took ${since(start)} ms`);
  });

  test("PUT and DELETE are retried after a 5xx", async () => {
    server().reply({ status: 500 }, { status: 204 });
    await clientFor(server()).updateUserPassword("u", "p");
    assert.deepEqual(server().calls.map((r) => r.method), ["PUT", "PUT"]);
    assert.equal(server().calls[1].text, '{"password":"p"}');
    server().reset();
    server().reply({ status: 502 }, { status: 204 });
    await clientFor(server()).deleteAcl({ username: "u", topic: "t" });
    assert.deepEqual(server().calls.map((r) => r.method), ["DELETE", "DELETE"]);
    assert.equal(server().calls[1].text, '{"username":"u","topic":"t"}');
  });

  test("a GET is retried after a dropped connection", async () => {
    server().reply({ destroy: true }, { status: 200, json: [] });
    assert.deepEqual(await clientFor(server()).listAcls(), []);
    assert.equal(server().calls.length, 2);
  });

  test("after maxRetries the last failure is reported", async () => {
    for (let i = 0; i < 4; i++) server().reply({ status: 500, body: `failure ${i}` });
    const error = await failure(clientFor(server(), { maxRetries: 1 }).getUser("u"), "SERVER_ERROR");
    assert.equal(server().calls.length, 2);
    assert.equal(error.serverMessage, "failure 1");
  });

  test("maxRetries 0 disables retrying", async () => {
    server().reply({ status: 503 }, { status: 200, json: [] });
    await failure(clientFor(server(), { maxRetries: 0 }).listUsers(), "SERVER_ERROR");
    assert.equal(server().calls.length, 1);
    server().reset();
    server().reply({ status: 429 }, { status: 200, json: [] });
    await failure(clientFor(server(), { maxRetries: 0 }).listUsers(), "RATE_LIMITED");
    assert.equal(server().calls.length, 1);
  });

  test("a refused connection -> NETWORK", async () => {
    const srv = server();
    const { startServer } = await import("./server.mjs");
    const other = await startServer();
    const baseUrl = other.baseUrl;
    await other.close();
    const error = await failure(clientFor(srv, { baseUrl, maxRetries: 0 }).listUsers(), "NETWORK");
    assert.equal(error.status, undefined);
  });
});

describe("timeouts", () => {
  test("an attempt slower than timeoutMs -> TIMEOUT", async () => {
    server().reply({ status: 200, json: [], delayMs: 3000 });
    const start = Date.now();
    await failure(clientFor(server(), { timeoutMs: 200, maxRetries: 0 }).listUsers(), "TIMEOUT");
    const took = since(start);
    assert.ok(took >= 180 && took < 1500, `took ${took} ms`);
  });

  test("the per-call timeoutMs overrides the client's", async () => {
    server().reply({ status: 200, json: [], delayMs: 3000 });
    const start = Date.now();
    await failure(clientFor(server(), { maxRetries: 0 }).listAcls({ timeoutMs: 150 }), "TIMEOUT");
    assert.ok(since(start) < 1500, `took ${since(start)} ms`);
  });

  test("the timeout is per attempt: a slow GET is retried", async () => {
    server().reply({ status: 200, json: [{ username: "slow" }], delayMs: 3000 }, { status: 200, json: [{ username: "quick" }] });
    const users = await clientFor(server(), { timeoutMs: 300 }).listUsers();
    assert.deepEqual(users, [{ username: "quick" }]);
    assert.equal(server().calls.length, 2);
  });

  test("the timeout covers a body that never finishes", async () => {
    server().reply({ status: 200, headers: { "content-type": "application/json" }, body: '[{"username":"a"},', stall: true });
    const start = Date.now();
    await failure(clientFor(server(), { timeoutMs: 300, maxRetries: 0 }).listUsers(), "TIMEOUT");
    assert.ok(since(start) < 2000, `took ${since(start)} ms`);
  });

  test("a custom fetch's Request carries a signal that fires on timeout", async () => {
    let seen;
    const client = clientFor(server(), {
      timeoutMs: 200,
      maxRetries: 0,
      fetch: (request) => {
        seen = request;
        return new Promise((resolve, reject) => {
          request.signal.addEventListener("abort", () => reject(request.signal.reason ?? new Error("aborted")));
        });
      },
    });
    const start = Date.now();
    await failure(client.listUsers(), "TIMEOUT");
    assert.ok(since(start) < 2000, `took ${since(start)} ms`);
    assert.ok(seen instanceof Request);
    assert.equal(seen.signal.aborted, true);
  });

  test("a slow POST is not retried", async () => {
    server().reply({ status: 201, delayMs: 3000 }, { status: 201 });
    await failure(clientFor(server(), { timeoutMs: 200 }).createUser({ username: "u", password: "p" }), "TIMEOUT");
    await sleep(50);
    assert.equal(server().calls.length, 1);
  });
});

describe("aborts", () => {
  const reasons = [
    ["an Error reason", () => new Error("user cancelled")],
    ["a string reason", () => "stop it"],
    ["no reason", () => undefined],
  ];

  for (const [name, reason] of reasons) {
    test(`already aborted with ${name} -> ABORTED, nothing sent`, async () => {
      const controller = new AbortController();
      const value = reason();
      if (value === undefined) controller.abort();
      else controller.abort(value);
      const error = await failure(clientFor(server()).listUsers({}, { signal: controller.signal }), "ABORTED");
      assert.equal(error.status, undefined);
      await sleep(50);
      assert.equal(server().calls.length, 0);
    });

    test(`aborted mid-flight with ${name} -> ABORTED at once`, async () => {
      server().reply({ status: 200, json: [], delayMs: 5000 });
      const controller = new AbortController();
      const start = Date.now();
      setTimeout(() => {
        const value = reason();
        if (value === undefined) controller.abort();
        else controller.abort(value);
      }, 150);
      await failure(clientFor(server()).getUser("u", { signal: controller.signal }), "ABORTED");
      assert.ok(since(start) < 1500, `took ${since(start)} ms`);
      assert.equal(server().calls.length, 1);
    });
  }

  test("an abort while the body is arriving ends the call at once", async () => {
    server().reply({ status: 200, headers: { "content-type": "application/json" }, body: "[", stall: true });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("enough")), 200);
    const start = Date.now();
    await failure(clientFor(server()).listUsers({}, { signal: controller.signal }), "ABORTED");
    assert.ok(since(start) < 2000, `took ${since(start)} ms`);
  });

  test("an abort reaches a custom fetch through the Request's signal", async () => {
    let seen;
    const client = clientFor(server(), {
      fetch: (request) => {
        seen = request;
        return new Promise((resolve, reject) => {
          request.signal.addEventListener("abort", () => reject(request.signal.reason ?? new Error("aborted")));
        });
      },
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort("stop"), 100);
    await failure(client.getUser("u", { signal: controller.signal }), "ABORTED");
    assert.equal(seen.signal.aborted, true);
  });

  test("an abort during a backoff sleep ends the call at once", async () => {
    server().reply({ status: 429, headers: { "retry-after": "30" } }, { status: 200, json: [] });
    const controller = new AbortController();
    const start = Date.now();
    setTimeout(() => controller.abort(new Error("enough")), 300);
    await failure(clientFor(server()).listUsers({}, { signal: controller.signal }), "ABORTED");
    assert.ok(since(start) < 2000, `took ${since(start)} ms`);
    assert.equal(server().calls.length, 1);
  });

  test("an abort during a 5xx backoff ends the call at once", async () => {
    // Math.random seeds the backoff's jitter. Pinned, the first backoff
    // after a 503 is close to its 500 ms ceiling, which the first call
    // checks; an abort 100 ms in must then end the call long before that.
    const random = Math.random;
    Math.random = () => 0.999;
    try {
      server().reply({ status: 503 }, { status: 200, json: [] });
      await clientFor(server()).listAcls();
      const [first, second] = server().calls;
      assert.ok(second.at - first.at >= 400, `the pinned first backoff is only ${second.at - first.at} ms`);

      server().reset();
      server().handle(() => ({ status: 503 }));
      const controller = new AbortController();
      const start = Date.now();
      setTimeout(() => controller.abort("string"), 100);
      await failure(clientFor(server(), { maxRetries: 1000 }).listAcls({ signal: controller.signal }), "ABORTED");
      assert.ok(since(start) < 350, `took ${since(start)} ms: the backoff sleep ignored the abort`);
      assert.equal(server().calls.length, 1);
    } finally {
      Math.random = random;
    }
  });

  test("a POST aborted mid-flight -> ABORTED, not retried", async () => {
    server().reply({ status: 201, delayMs: 3000 }, { status: 201 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await failure(clientFor(server()).createUser({ username: "u", password: "p" }, { signal: controller.signal }), "ABORTED");
    await sleep(50);
    assert.equal(server().calls.length, 1);
  });

  test("a signal that never fires changes nothing", async () => {
    server().reply({ status: 200, json: [{ username: "a" }] });
    const controller = new AbortController();
    assert.deepEqual(await clientFor(server()).listUsers({}, { signal: controller.signal }), [{ username: "a" }]);
  });
});
