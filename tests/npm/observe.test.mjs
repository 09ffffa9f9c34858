// Observability: the logger, the hooks, withResponse(), the headers and
// attempts of errors, and per-call maxRetries, against the loopback test
// server (retries forced with 503s and 429s). No assertion on timing.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { API_KEY, AUTHORIZATION, accessClientFor, clientFor, failure, useServer } from "./helpers.mjs";

const server = useServer();

/** A logger that keeps every line with its level. */
function recorder() {
  const lines = [];
  const logger = {};
  for (const level of ["debug", "info", "warn", "error"]) logger[level] = (line) => lines.push(`${level} ${line}`);
  return { lines, logger };
}

/** A client whose hooks record every info object they get. */
function hooked(options = {}) {
  const seen = [];
  const client = clientFor(server(), {
    onRequest: (info) => seen.push(["request", info]),
    onResponse: (info) => seen.push(["response", info]),
    onRetry: (info) => seen.push(["retry", info]),
    ...options,
  });
  return { client, seen };
}

/** Every form a secret could be written in. */
function forms(secret) {
  return [
    secret,
    encodeURIComponent(secret),
    new URLSearchParams({ s: secret }).toString().slice(2),
    JSON.stringify(secret).slice(1, -1),
    Buffer.from(`:${secret}`).toString("base64"),
    Buffer.from(`:${secret}`).toString("base64").replace(/=+$/, ""),
  ];
}

describe("the logger", () => {
  test("debug: every attempt with its number and status, every retry with its reason and delay", async () => {
    server().reply({ status: 503, body: "busy" }, { status: 429, headers: { "retry-after": "0" } }, { status: 200, json: [] });
    const { lines, logger } = recorder();
    await clientFor(server(), { logLevel: "debug", logger }).listUsers();
    const url = `${server().baseUrl}/user`;
    assert.equal(lines.length, 5, lines.join("\n"));
    assert.match(lines[0], new RegExp(`^debug cloudmqtt: GET ${url} attempt 1: 503 in [\\d.]+ ms$`));
    assert.match(lines[1], new RegExp(`^info cloudmqtt: retry 1 of GET ${url} in \\d+ ms \\(attempt 2\\): SERVER_ERROR \\(503\\)$`));
    assert.match(lines[2], /^debug cloudmqtt: GET \S+ attempt 2: 429 in [\d.]+ ms$/);
    assert.match(lines[3], /^info cloudmqtt: retry 2 of GET \S+ in 0 ms \(attempt 3\): RATE_LIMITED \(429\)$/);
    assert.match(lines[4], /^debug cloudmqtt: GET \S+ attempt 3: 200 in [\d.]+ ms$/);
  });

  test("a wait's probes are logged with what they wait for; each probe is attempt 1", async () => {
    server().reply({ status: 201 }, { status: 404 }, { status: 200, json: { username: "u1", acls: [] } });
    const { lines, logger } = recorder();
    const client = clientFor(server(), { logLevel: "debug", logger });
    await client.createUser({ username: "u1", password: "pw-of-u1-long" }, { wait: { intervalMs: 20 } });
    const text = lines.join("\n");
    assert.match(text, /POST \S+\/user attempt 1: 201/);
    assert.match(text, /wait \d+ ms, then look for user "u1" to exist/);
    assert.match(text, /GET \S+\/user\/u1 attempt 1: 404/);
    assert.match(text, /GET \S+\/user\/u1 attempt 1: 200/);
  });

  test("info logs retries only; warn, error and off log nothing for them", async () => {
    for (const [level, expected] of [["info", 1], ["warn", 0], ["error", 0], ["off", 0]]) {
      server().reply({ status: 503 }, { status: 200, json: [] });
      const { lines, logger } = recorder();
      await clientFor(server(), { logLevel: level, logger }).listAcls();
      assert.equal(lines.length, expected, `${level}: ${lines.join("\n")}`);
      if (expected) assert.match(lines[0], /^info cloudmqtt: retry 1 of GET/);
    }
  });

  test("CLOUDMQTT_LOG sets the level when the option is absent; the option wins", async () => {
    process.env.CLOUDMQTT_LOG = "debug";
    try {
      server().reply({ status: 200, json: [] }, { status: 200, json: [] });
      const fromEnv = recorder();
      await clientFor(server(), { logger: fromEnv.logger }).listAcls();
      assert.equal(fromEnv.lines.length, 1);
      assert.match(fromEnv.lines[0], /^debug cloudmqtt: GET \S+\/acl attempt 1: 200/);
      const option = recorder();
      await clientFor(server(), { logger: option.logger, logLevel: "off" }).listAcls();
      assert.deepEqual(option.lines, []);
      process.env.CLOUDMQTT_LOG = "loud";
      const error = await failure(() => clientFor(server()), "INVALID_INPUT");
      assert.equal(error.field, "logLevel");
      assert.match(error.message, /CLOUDMQTT_LOG/);
    } finally {
      delete process.env.CLOUDMQTT_LOG;
    }
  });

  test("a wrong logLevel, logger or hook is refused when the client is made", async () => {
    for (const [options, field] of [
      [{ logLevel: "verbose" }, "logLevel"],
      [{ logger: { debug() {} } }, "logger"],
      [{ logger: "console" }, "logger"],
      [{ onRequest: "yes" }, "onRequest"],
      [{ onResponse: {} }, "onResponse"],
      [{ onRetry: 1 }, "onRetry"],
    ]) {
      const error = await failure(() => clientFor(server(), options), "INVALID_INPUT", JSON.stringify(options));
      assert.equal(error.field, field);
    }
    assert.equal(server().calls.length, 0);
  });

  test("no log line holds the API key, the credentials or a password, in any form", async () => {
    const password = "p@ss/w\"rd é-0815";
    const other = "An0ther+Pass word";
    const desiredPassword = "d3sired&Pass=word";
    server().handle((request) => {
      if (request.method === "GET" && request.path === "/api/user") return { status: 200, json: [] };
      if (request.method === "GET" && request.path === "/api/acl") return { status: 200, json: [] };
      if (request.method === "GET") return { status: 503, body: `echo ${request.url}` };
      return { status: 201 };
    });
    const { lines, logger } = recorder();
    const client = accessClientFor(server(), {
      logLevel: "debug",
      logger,
      maxRetries: 1,
      // Throws once every password was given (the reads of getUser below).
      onRequest: ({ url }) => {
        if (!url.includes("/user/")) return;
        throw new Error(`hook saw ${API_KEY} ${JSON.stringify(password)} ${encodeURIComponent(other)} ${AUTHORIZATION}`);
      },
    });
    await client.createUser({ username: "alice", password });
    await client.updateUserPassword("alice", other);
    await client.plan({ users: { bob: { password: desiredPassword } } });
    // A name that is a password: its URL holds every password's encoded form.
    for (const name of [password, other, desiredPassword, API_KEY]) {
      await failure(client.getUser(name), "SERVER_ERROR");
    }
    const text = lines.join("\n");
    assert.match(text, /\[redacted\]/);
    assert.match(text, /warn cloudmqtt: the onRequest hook threw/);
    for (const secret of [API_KEY, password, other, desiredPassword]) {
      for (const form of forms(secret)) assert.ok(!text.includes(form), `${JSON.stringify(form)} in:\n${text}`);
    }
  });
});

describe("hooks", () => {
  test("every attempt is reported, with frozen info objects", async () => {
    server().reply({ status: 503 }, { status: 200, json: { username: "a", acls: [] } });
    const { client, seen } = hooked();
    await client.getUser("a");
    assert.deepEqual(
      seen.map(([kind, info]) => `${kind} ${info.attempt} ${info.status ?? ""}`),
      ["request 1 ", "response 1 503", "retry 2 503", "request 2 ", "response 2 200"],
    );
    const url = `${server().baseUrl}/user/a`;
    for (const [kind, info] of seen) {
      assert.ok(Object.isFrozen(info), kind);
      assert.equal(info.method, "GET");
      assert.equal(info.url, url);
      assert.throws(() => {
        "use strict";
        info.attempt = 9;
      }, TypeError);
    }
    const [, response] = seen[1];
    assert.equal(typeof response.durationMs, "number");
    assert.ok(response.durationMs >= 0);
    assert.equal(response.error, undefined);
    const [, retry] = seen[2];
    assert.equal(retry.reason, "SERVER_ERROR");
    assert.equal(retry.retry, 1);
    assert.equal(typeof retry.delayMs, "number");
  });

  test("an attempt without a response has an error code and no status", async () => {
    server().reply({ destroy: true }, { status: 200, json: [] });
    const { client, seen } = hooked();
    await client.listAcls();
    const responses = seen.filter(([kind]) => kind === "response").map(([, info]) => info);
    assert.equal(responses.length, 2);
    assert.equal(responses[0].status, undefined);
    assert.equal(responses[0].error, "NETWORK");
    assert.equal(responses[1].status, 200);
    const [retry] = seen.filter(([kind]) => kind === "retry").map(([, info]) => info);
    assert.equal(retry.reason, "NETWORK");
    assert.equal(retry.status, undefined);
  });

  test("a hook that throws does not break the call, and is reported once at warn", async () => {
    server().reply({ status: 503 }, { status: 200, json: [] }, { status: 200, json: [] });
    const { lines, logger } = recorder();
    const client = clientFor(server(), {
      logger,
      onRequest: () => {
        throw new TypeError("hook bug");
      },
      onRetry: () => {
        throw new Error("another");
      },
    });
    assert.deepEqual(await client.listUsers(), []);
    assert.deepEqual(await client.listUsers(), []);
    assert.equal(server().calls.length, 3);
    assert.deepEqual(lines, ["warn cloudmqtt: the onRequest hook threw (not reported again; the call goes on): TypeError: hook bug"]);
  });

  test("apply's attempts reach the hooks too", async () => {
    server().handle((request) => {
      if (request.method === "GET" && request.path === "/api/user") return { status: 200, json: request.repeat > 0 ? [{ username: "new" }] : [] };
      if (request.method === "GET" && request.path === "/api/acl") return { status: 200, json: [] };
      if (request.method === "POST" && request.repeat === 0) return { status: 503 };
      return { status: 201 };
    });
    const seen = [];
    const client = accessClientFor(server(), {
      onRequest: (info) => seen.push(`request ${info.method} ${new URL(info.url).pathname} ${info.attempt}`),
      onResponse: (info) => seen.push(`response ${info.status}`),
    });
    const { data, response } = await client
      .apply({ users: { new: { password: "new-password-1" } } }, { wait: { intervalMs: 20 } })
      .withResponse();
    assert.deepEqual(data.changes, [{ action: "create", kind: "user", username: "new" }]);
    assert.equal(response.status, 200);
    assert.ok(seen.includes("request POST /api/user 1"), seen.join("\n"));
    assert.equal(seen.filter((line) => line.startsWith("request")).length, server().calls.length);
    assert.equal(seen.filter((line) => line.startsWith("response")).length, server().calls.length);
  });
});

describe("withResponse()", () => {
  test("the result and the response behind it; await alone is unchanged", async () => {
    server().reply(
      { status: 503 },
      { status: 200, headers: { "x-request-id": "r-1" }, json: [{ username: "a" }] },
      { status: 200, json: [{ username: "a" }] },
    );
    const client = clientFor(server());
    const { data, response } = await client.listUsers().withResponse();
    assert.deepEqual(data, [{ username: "a" }]);
    assert.equal(response.status, 200);
    assert.equal(response.attempts, 2);
    assert.ok(response.headers instanceof Headers);
    assert.equal(response.headers.get("X-Request-Id"), "r-1");
    assert.deepEqual(await client.listUsers(), [{ username: "a" }]);
  });

  test("every method's promise has it; it rejects as the call does", async () => {
    server().handle((request) => (request.method === "GET" ? { status: 200, json: { username: "a", acls: [] } } : { status: 204 }));
    const client = clientFor(server());
    const promises = [
      client.restartInstance(),
      client.resetInstance(),
      client.getUser("a"),
      client.createUser({ username: "a", password: "pw" }),
      client.updateUserPassword("a", "pw"),
      client.deleteUser("a"),
      client.waitForUser("a"),
    ];
    for (const promise of promises) {
      assert.equal(typeof promise.withResponse, "function");
      const { response } = await promise.withResponse();
      assert.ok(response.status === 200 || response.status === 204);
    }
    server().reply({ status: 404, json: { error: "gone" } });
    const error = await failure(client.getUser("b").withResponse(), "NOT_FOUND");
    assert.equal(error.attempts, 1);
  });
});

describe("errors carry the last response", () => {
  test("status, headers and attempts", async () => {
    for (let i = 0; i < 3; i++) server().reply({ status: 503, headers: { "x-trace": `t${i}` }, body: "busy" });
    const error = await failure(clientFor(server()).listAcls(), "SERVER_ERROR");
    assert.equal(error.status, 503);
    assert.equal(error.attempts, 3);
    assert.equal(error.headers.get("x-trace"), "t2");
  });

  test("a failure with no response has attempts and no headers; one that sent nothing has neither", async () => {
    server().reply({ destroy: true });
    const error = await failure(clientFor(server(), { maxRetries: 0 }).listAcls(), "NETWORK");
    assert.equal(error.attempts, 1);
    assert.equal(error.headers, undefined);
    const invalid = await failure(clientFor(server()).getUser(""), "INVALID_INPUT");
    assert.equal(invalid.attempts, undefined);
    assert.equal(invalid.headers, undefined);
  });
});

describe("per-call maxRetries", () => {
  test("0 sends once; it overrides the client's setting both ways", async () => {
    server().reply({ status: 503 }, { status: 503 });
    const none = await failure(clientFor(server()).listAcls({ maxRetries: 0 }), "SERVER_ERROR");
    assert.equal(none.attempts, 1);
    assert.equal(server().calls.length, 1);
    server().reset();
    server().reply({ status: 503 }, { status: 503 }, { status: 503 }, { status: 200, json: [] });
    assert.deepEqual(await clientFor(server(), { maxRetries: 0 }).listAcls({ maxRetries: 3 }), []);
    assert.equal(server().calls.length, 4);
  });

  test("it reaches a create's wait, a walk and a plan", async () => {
    server().reply({ status: 429 }, { status: 429 });
    await failure(clientFor(server()).createUser({ username: "u", password: "pw" }, { maxRetries: 1 }), "RATE_LIMITED");
    assert.equal(server().calls.length, 2);
    server().reset();
    server().reply({ status: 503 });
    await failure(async () => {
      for await (const user of clientFor(server()).users({}, { maxRetries: 0 })) assert.fail(user);
    }, "SERVER_ERROR");
    assert.equal(server().calls.length, 1);
    server().reset();
    server().reply({ status: 503 });
    await failure(accessClientFor(server()).plan({}, { maxRetries: 0 }), "SERVER_ERROR");
    assert.equal(server().calls.length, 1);
  });

  test("anything but a whole number from 0 is refused, nothing sent", async () => {
    const client = clientFor(server());
    for (const maxRetries of [-1, 1.5, "2", Number.NaN, Infinity, true]) {
      const error = await failure(client.listUsers({}, { maxRetries }), "INVALID_INPUT", String(maxRetries));
      assert.equal(error.field, "maxRetries");
      assert.match(error.message, /^invalid maxRetries: must be a whole number from 0/);
    }
    assert.equal(server().calls.length, 0);
  });
});
