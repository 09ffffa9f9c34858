// Arguments refused before anything is sent, options, and the transport
// (custom fetch, credentials, insecure http).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { API_KEY, AUTHORIZATION, CloudMqtt, clientFor, failure, useServer } from "./helpers.mjs";

const server = useServer();

async function invalid(action, field, note = "") {
  const error = await failure(action, "INVALID_INPUT", note);
  assert.equal(error.field, field, `field for ${note}: ${error.message}`);
  assert.equal(error.status, undefined);
  return error;
}

describe("validation before sending", () => {
  test("user names", async () => {
    const client = clientFor(server());
    const bad = ["", ".", "..", "a\nb", "tab\t", "nul\0", "\u007f", "\u0085", "a".repeat(65536), "é".repeat(32768)];
    for (const name of bad) {
      const note = JSON.stringify(name.slice(0, 10)) + ` (${name.length} chars)`;
      await invalid(() => client.getUser(name), "username", note);
      await invalid(() => client.deleteUser(name), "username", note);
      await invalid(() => client.updateUserPassword(name, "p"), "username", note);
      await invalid(() => client.createUser({ username: name, password: "p" }), "username", note);
    }
    assert.equal(server().calls.length, 0);
  });

  test("the longest user name (65535 bytes) is sent", async () => {
    server().reply({ status: 200, json: { username: "x" } });
    const name = "é".repeat(32767) + "a"; // 65535 bytes
    await clientFor(server()).getUser(name);
    assert.equal(server().calls.length, 1);
    assert.equal(decodeURIComponent(server().calls[0].path.slice("/api/user/".length)), name);
  });

  test("passwords", async () => {
    const client = clientFor(server());
    await invalid(() => client.createUser({ username: "u", password: "" }), "password");
    await invalid(() => client.updateUserPassword("u", ""), "password");
    assert.equal(server().calls.length, 0);
  });

  test("list parameters", async () => {
    const client = clientFor(server());
    await invalid(() => client.listUsers({ limit: 0 }), "limit");
    await invalid(() => client.listUsers({ limit: 1001 }), "limit");
    await invalid(() => client.listUsers({ page: 0 }), "page");
    await invalid(() => client.listUsers({ query: "a\nb" }), "query");
    assert.equal(server().calls.length, 0);
  });

  test("ACL rules", async () => {
    const client = clientFor(server());
    await invalid(() => client.createAcl({ type: "topic", username: "", pattern: "a", read: true, write: true }), "username");
    await invalid(() => client.createAcl({ type: "topic", pattern: "a", read: true, write: true }), "username", "topic rule without user");
    await invalid(() => client.createAcl({ type: "pattern", username: "u", pattern: "a", read: true, write: true }), "username", "pattern rule with user");
    for (const pattern of ["", "a+", "a/b+/c", "#/a", "a/#/b", "a#", "x\0y", "++"]) {
      await invalid(() => client.createAcl({ type: "pattern", pattern, read: true, write: true }), "pattern", JSON.stringify(pattern));
    }
    await invalid(() => client.deleteAcl({ username: "u", topic: "" }), "topic");
    await invalid(() => client.deleteAcl({ username: "..", topic: "a" }), "username");
    assert.equal(server().calls.length, 0);
  });

  test("valid topic filters are accepted", async () => {
    const client = clientFor(server());
    for (const pattern of ["a", "a/b", "+", "#", "a/+/c", "a/#", "/", "sensor/%u/data", "+/+", "a//b"]) {
      server().reply({ status: 201 });
      await client.createAcl({ type: "pattern", pattern, read: true, write: true });
    }
    assert.equal(server().calls.length, 10);
  });

  test("the API key and the client options", async () => {
    const baseUrl = server().baseUrl;
    await invalid(() => new CloudMqtt({ apiKey: "", baseUrl }), "apiKey");
    await invalid(() => new CloudMqtt({ apiKey: "a\r\nb", baseUrl }), "apiKey");
    await invalid(() => new CloudMqtt({ baseUrl }), "apiKey", "missing apiKey");
    await invalid(() => new CloudMqtt({ apiKey: 42, baseUrl }), "apiKey", "numeric apiKey");
    await invalid(() => new CloudMqtt({ apiKey: API_KEY, baseUrl, encoding: "xml" }), "encoding");
  });

  test("wrongly typed client and call options name the option", async () => {
    const baseUrl = server().baseUrl;
    const make = (extra) => () => new CloudMqtt({ apiKey: API_KEY, baseUrl, ...extra });
    await invalid(make({ timeoutMs: -5 }), "timeoutMs");
    await invalid(make({ timeoutMs: 0 }), "timeoutMs");
    await invalid(make({ timeoutMs: "100" }), "timeoutMs");
    await invalid(make({ maxRetries: -1 }), "maxRetries");
    await invalid(make({ maxRetries: 1.5 }), "maxRetries");
    await invalid(make({ fetch: "fetch" }), "fetch");
    await invalid(make({ allowInsecureHttp: "yes" }), "allowInsecureHttp");
    await invalid(make({ baseUrl: 42 }), "baseUrl");
    const client = clientFor(server());
    await invalid(() => client.listUsers({}, { signal: "stop" }), "signal");
    await invalid(() => client.listUsers({}, { timeoutMs: -1 }), "timeoutMs");
    await invalid(() => client.createUser({ username: "a", password: "b" }, { wait: "soon" }), "wait");
    await invalid(() => client.waitForUser("a", { intervalMs: 0 }), "intervalMs");
    await invalid(() => client.waitForUser("a", { timeoutMs: Number.POSITIVE_INFINITY }), "timeoutMs");
    await invalid(() => client.waitForUser("a", { timeoutMs: Number.NaN }), "timeoutMs");
    await invalid(() => client.waitForUser("a", { intervalMs: Number.NEGATIVE_INFINITY }), "intervalMs");
    await invalid(() => client.listUsers({}, { timeoutMs: Number.NaN }), "timeoutMs");
    await invalid(make({ timeoutMs: Number.POSITIVE_INFINITY }), "timeoutMs");
    assert.equal(server().calls.length, 0);
  });

  test("a client without options or with null -> INVALID_INPUT", async () => {
    await failure(() => new CloudMqtt(), "INVALID_INPUT", "no options");
    await failure(() => new CloudMqtt(null), "INVALID_INPUT", "null options");
  });
});

describe("wrong argument types from untyped JavaScript", () => {
  test("methods return a rejected promise rather than throwing", async () => {
    const client = clientFor(server());
    let promise;
    assert.doesNotThrow(() => {
      promise = client.getUser(42);
    });
    assert.ok(promise instanceof Promise);
    await invalid(promise, "username");
  });

  test("getUser / deleteUser / updateUserPassword with numbers, null, undefined, objects", async () => {
    const client = clientFor(server());
    for (const value of [42, null, undefined, {}, ["a"], true]) {
      const note = String(JSON.stringify(value));
      await invalid(() => client.getUser(value), "username", note);
      await invalid(() => client.deleteUser(value), "username", note);
      await invalid(() => client.waitForUser(value), "username", note);
      await invalid(() => client.updateUserPassword(value, "p"), "username", note);
      await invalid(() => client.updateUserPassword("u", value), "password", note);
    }
    assert.equal(server().calls.length, 0);
  });

  test("createUser with missing or wrongly typed fields", async () => {
    const client = clientFor(server());
    await failure(() => client.createUser(), "INVALID_INPUT", "no argument");
    await failure(() => client.createUser(null), "INVALID_INPUT", "null");
    await failure(() => client.createUser("alice"), "INVALID_INPUT", "a string");
    await invalid(() => client.createUser({ password: "p" }), "username", "missing username");
    await invalid(() => client.createUser({ username: "u" }), "password", "missing password");
    await invalid(() => client.createUser({ username: 5, password: "p" }), "username", "numeric username");
    await invalid(() => client.createUser({ username: "u", password: 1234 }), "password", "numeric password");
    await invalid(() => client.createUser({ username: "u", password: null }), "password", "null password");
    assert.equal(server().calls.length, 0);
  });

  test("createAcl with a wrong type, flags or pattern", async () => {
    const client = clientFor(server());
    await failure(() => client.createAcl(), "INVALID_INPUT", "no argument");
    await failure(() => client.createAcl(null), "INVALID_INPUT", "null");
    await invalid(() => client.createAcl({ type: "bogus", pattern: "a", read: true, write: true }), "type", "bogus type");
    await invalid(() => client.createAcl({ type: 1, pattern: "a", read: true, write: true }), "type", "numeric type");
    await invalid(() => client.createAcl({ pattern: "a", read: true, write: true }), "type", "missing type");
    await invalid(() => client.createAcl({ type: "pattern", pattern: 7, read: true, write: true }), "pattern", "numeric pattern");
    await invalid(() => client.createAcl({ type: "pattern", read: true, write: true }), "pattern", "missing pattern");
    await invalid(() => client.createAcl({ type: "pattern", pattern: "a", read: "yes", write: true }), "read", "string read");
    await invalid(() => client.createAcl({ type: "pattern", pattern: "a", read: true }), "write", "missing write");
    await invalid(() => client.createAcl({ type: "topic", username: 9, pattern: "a", read: true, write: true }), "username", "numeric user");
    assert.equal(server().calls.length, 0);
  });

  test("deleteAcl and waitForAcl with missing or wrongly typed fields", async () => {
    const client = clientFor(server());
    await failure(() => client.deleteAcl(), "INVALID_INPUT", "no argument");
    await invalid(() => client.deleteAcl({ username: "u" }), "topic", "missing topic");
    await invalid(() => client.deleteAcl({ topic: "t" }), "username", "missing username");
    await invalid(() => client.deleteAcl({ username: "u", topic: 3 }), "topic", "numeric topic");
    await invalid(() => client.deleteAcl({ type: "pattern", username: "u", topic: "t" }), "username", "pattern with a user");
    await invalid(() => client.deleteAcl({ type: "rule", username: "u", topic: "t" }), "type", "bogus type");
    await invalid(() => client.deleteAcl({ type: "pattern", topic: "a/#/b" }), "topic", "bad filter");
    await invalid(() => client.waitForAcl({ type: "nope", pattern: "a" }), "type", "bogus type");
    await invalid(() => client.waitForAcl({ type: "pattern", pattern: "a/#/b" }), "pattern", "bad filter");
    assert.equal(server().calls.length, 0);
  });

  test("listUsers with wrongly typed parameters", async () => {
    const client = clientFor(server());
    await invalid(() => client.listUsers({ limit: "10" }), "limit", "string limit");
    await invalid(() => client.listUsers({ limit: 2.5 }), "limit", "fractional limit");
    await invalid(() => client.listUsers({ limit: -1 }), "limit", "negative limit");
    await invalid(() => client.listUsers({ page: "2" }), "page", "string page");
    await invalid(() => client.listUsers({ page: Number.NaN }), "page", "NaN page");
    await invalid(() => client.listUsers({ query: 5 }), "query", "numeric query");
    assert.equal(server().calls.length, 0);
  });
});

describe("methods called without their client", () => {
  const methods = [
    "restartInstance",
    "resetInstance",
    "listUsers",
    "getUser",
    "createUser",
    "updateUserPassword",
    "deleteUser",
    "listAcls",
    "createAcl",
    "deleteAcl",
    "waitForUser",
    "waitForAcl",
  ];

  test("an unbound method rejects with INVALID_INPUT naming `this`", async () => {
    const client = clientFor(server());
    for (const name of methods) {
      const method = client[name];
      for (const self of [undefined, null, {}, 42, Object.create(client)]) {
        let promise;
        assert.doesNotThrow(() => {
          promise = method.call(self, "x");
        }, name);
        assert.ok(promise instanceof Promise, name);
        const error = await invalid(promise, "this", `${name} on ${String(self)}`);
        assert.match(error.message, /CloudMqtt client/);
      }
    }
    assert.equal(server().calls.length, 0);
  });

  test("an unbound users() returns an iterator whose first next() rejects", async () => {
    const { users } = clientFor(server());
    let iterator;
    assert.doesNotThrow(() => {
      iterator = users({ pageSize: 10 });
    });
    assert.equal(typeof iterator[Symbol.asyncIterator], "function");
    await invalid(iterator.next(), "this");
    assert.deepEqual(await iterator.next(), { value: undefined, done: true });
    await invalid(async () => {
      for await (const user of users.call({})) assert.fail(`yielded ${user.username}`);
    }, "this");
    assert.equal(server().calls.length, 0);
  });

  test("a method bound to its client works", async () => {
    const client = clientFor(server());
    server().reply({ status: 200, json: [{ username: "a" }] }, { status: 200, json: [{ username: "a" }] });
    const listUsers = client.listUsers.bind(client);
    assert.deepEqual(await listUsers(), [{ username: "a" }]);
    const users = [];
    for await (const user of client.users.call(client, { pageSize: 5 })) users.push(user.username);
    assert.deepEqual(users, ["a"]);
  });
});

describe("transport", () => {
  test("a custom fetch is called with a Request carrying credentials omit and no redirect following", async () => {
    const seen = [];
    const client = new CloudMqtt({
      apiKey: API_KEY,
      baseUrl: server().baseUrl,
      fetch: async (request) => {
        seen.push(request);
        return fetch(request);
      },
    });
    server().reply({ status: 200, json: [{ username: "via-custom" }] });
    assert.deepEqual(await client.listUsers({ limit: 5 }), [{ username: "via-custom" }]);
    assert.equal(seen.length, 1);
    const [request] = seen;
    assert.ok(request instanceof Request, `got ${Object.prototype.toString.call(request)}`);
    assert.equal(request.method, "GET");
    assert.equal(request.url, `${server().baseUrl}/user?limit=5`);
    assert.equal(request.credentials, "omit");
    assert.notEqual(request.redirect, "follow");
    assert.equal(request.headers.get("accept"), "application/json");
    assert.match(request.headers.get("authorization"), /^Basic /);
    assert.equal(server().calls.length, 1);
  });

  test("a custom fetch sees the body of a POST", async () => {
    let body;
    let contentType;
    const client = new CloudMqtt({
      apiKey: API_KEY,
      baseUrl: "https://api.example.test/api",
      encoding: "form",
      fetch: async (request) => {
        body = await request.text();
        contentType = request.headers.get("content-type");
        return new Response(null, { status: 204 });
      },
    });
    await client.createUser({ username: "u", password: "p w" });
    assert.equal(body, "username=u&password=p+w");
    assert.equal(contentType, "application/x-www-form-urlencoded");
  });

  test("a custom fetch that throws -> NETWORK", async () => {
    let attempts = 0;
    const client = new CloudMqtt({
      apiKey: API_KEY,
      baseUrl: "https://api.example.test/api",
      maxRetries: 1,
      fetch: async () => {
        attempts += 1;
        throw new TypeError("fetch failed");
      },
    });
    await failure(client.listAcls(), "NETWORK");
    assert.equal(attempts, 2, "a GET is retried once after a network failure");
  });

  test("a custom fetch that does not return a Response is the caller's TypeError, at once", async () => {
    let calls = 0;
    const client = new CloudMqtt({
      apiKey: API_KEY,
      baseUrl: "https://api.example.test/api",
      maxRetries: 3,
      fetch: async () => {
        calls++;
        return "not a response";
      },
    });
    await assert.rejects(client.listUsers(), TypeError);
    assert.equal(calls, 1, "never retried");
  });

  test("without a custom fetch the global fetch is used", async () => {
    const original = globalThis.fetch;
    const urls = [];
    globalThis.fetch = async (input, init) => {
      urls.push(input instanceof Request ? input.url : String(input));
      return original(input, init);
    };
    try {
      server().reply({ status: 200, json: [] });
      await clientFor(server()).listAcls();
    } finally {
      globalThis.fetch = original;
    }
    assert.deepEqual(urls, [`${server().baseUrl}/acl`]);
  });

  test("plain http to a host that is not loopback is refused", async () => {
    for (const baseUrl of ["http://example.test/api", "http://10.0.0.1/api", "http://api.cloudmqtt.com/api"]) {
      await invalid(() => new CloudMqtt({ apiKey: API_KEY, baseUrl }), "baseUrl", baseUrl);
    }
  });

  test("malformed base URLs are refused", async () => {
    for (const baseUrl of ["ftp://x", "api.cloudmqtt.com", "https://", "https://u:p@h/api", "https://h/a?b", "https://h:99999"]) {
      await invalid(() => new CloudMqtt({ apiKey: API_KEY, baseUrl }), "baseUrl", baseUrl);
    }
  });

  test("plain http to loopback is allowed", () => {
    for (const baseUrl of ["http://127.0.0.1:1/api", "http://localhost:1", "http://[::1]:1/api", "http://127.9.9.9/api"]) {
      assert.doesNotThrow(() => new CloudMqtt({ apiKey: API_KEY, baseUrl }), baseUrl);
    }
  });

  test("allowInsecureHttp permits plain http to other hosts", async () => {
    const urls = [];
    const client = new CloudMqtt({
      apiKey: API_KEY,
      baseUrl: "http://example.test/api",
      allowInsecureHttp: true,
      fetch: async (request) => {
        urls.push(request.url);
        return new Response("[]", { status: 200, headers: { "content-type": "application/json" } });
      },
    });
    assert.deepEqual(await client.listUsers(), []);
    assert.deepEqual(urls, ["http://example.test/api/user"]);
  });

  test("the default base URL is the public API", async () => {
    const urls = [];
    const client = new CloudMqtt({
      apiKey: API_KEY,
      fetch: async (request) => {
        urls.push(request.url);
        return new Response(null, { status: 204 });
      },
    });
    await client.restartInstance();
    assert.deepEqual(urls, ["https://api.cloudmqtt.com/api/instance/restart"]);
  });
});

describe("the API key from the environment", () => {
  test("an absent apiKey is read from CLOUDMQTT_API_KEY", async () => {
    const saved = process.env.CLOUDMQTT_API_KEY;
    process.env.CLOUDMQTT_API_KEY = API_KEY;
    try {
      server().reply({ status: 200, json: [] });
      await new CloudMqtt({ baseUrl: server().baseUrl }).listAcls();
      assert.equal(server().requests[0].headers.authorization, AUTHORIZATION);
      // An explicit key wins over the variable.
      const explicit = await failure(() => new CloudMqtt({ apiKey: "", baseUrl: server().baseUrl }), "INVALID_INPUT");
      assert.equal(explicit.field, "apiKey");
    } finally {
      if (saved === undefined) delete process.env.CLOUDMQTT_API_KEY;
      else process.env.CLOUDMQTT_API_KEY = saved;
    }
  });

  test("with neither, the constructor names both ways to give it", async () => {
    const saved = process.env.CLOUDMQTT_API_KEY;
    delete process.env.CLOUDMQTT_API_KEY;
    try {
      for (const make of [() => new CloudMqtt(), () => new CloudMqtt({ baseUrl: server().baseUrl })]) {
        const error = await failure(make, "INVALID_INPUT");
        assert.equal(error.field, "apiKey");
        assert.match(error.message, /options\.apiKey/);
        assert.match(error.message, /CLOUDMQTT_API_KEY/);
      }
    } finally {
      if (saved !== undefined) process.env.CLOUDMQTT_API_KEY = saved;
    }
  });
});
