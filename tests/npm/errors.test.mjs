// Failed answers: every status, every body shape, undecodable successes,
// redirects, and that secrets never leak into what an error shows.
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { describe, test } from "node:test";
import { API_KEY, AUTHORIZATION, CloudMqtt, clientFor, errorTexts, failure, useServer } from "./helpers.mjs";

const server = useServer();

describe("status codes", () => {
  const cases = [
    [400, "BAD_REQUEST"],
    [401, "UNAUTHORIZED"],
    [403, "FORBIDDEN"],
    [404, "NOT_FOUND"],
    [405, "METHOD_NOT_ALLOWED"],
    [429, "RATE_LIMITED"],
    [500, "SERVER_ERROR"],
    [502, "SERVER_ERROR"],
    [503, "SERVER_ERROR"],
    [599, "SERVER_ERROR"],
    [418, "UNEXPECTED_STATUS"],
    [409, "UNEXPECTED_STATUS"],
    [300, "UNEXPECTED_STATUS"],
    [304, "UNEXPECTED_STATUS"],
  ];
  for (const [status, code] of cases) {
    test(`${status} -> ${code}, status and serverMessage set`, async () => {
      server().reply({ status, json: { error: `reason for ${status}` } });
      const client = clientFor(server(), { maxRetries: 0 });
      const error = await failure(client.getUser("someone"), code);
      assert.equal(error.status, status);
      if (status !== 304) {
        assert.equal(error.serverMessage, `reason for ${status}`);
        assert.ok(error.message.includes(`reason for ${status}`), error.message);
      }
      assert.equal(error.field, undefined);
      assert.equal(server().calls.length, 1);
    });
  }

  test("every method maps a failure the same way", async () => {
    const client = clientFor(server(), { maxRetries: 0 });
    const calls = [
      () => client.restartInstance(),
      () => client.resetInstance(),
      () => client.listUsers(),
      () => client.getUser("u"),
      () => client.createUser({ username: "u", password: "p" }),
      () => client.updateUserPassword("u", "p"),
      () => client.deleteUser("u"),
      () => client.listAcls(),
      () => client.createAcl({ type: "pattern", pattern: "a/%u", read: true, write: false }),
      () => client.deleteAcl({ username: "u", topic: "t" }),
    ];
    for (const call of calls) {
      server().reply({ status: 403, json: { message: "hidden kitten" } });
      const error = await failure(call, "FORBIDDEN", String(call));
      assert.equal(error.serverMessage, "hidden kitten");
    }
  });
});

describe("error body shapes", () => {
  const shapes = [
    ["JSON error", { "content-type": "application/json" }, '{"error":"Username taken"}', "Username taken"],
    ["JSON message", { "content-type": "application/json" }, '{"message":"bad"}', "bad"],
    ["JSON reason", {}, '{"reason":"why not"}', "why not"],
    ["JSON nested error", {}, '{"error":{"message":"nested"}}', "nested"],
    ["JSON errors list", {}, '{"errors":["a","b"]}', "a; b"],
    ["JSON errors objects", {}, '{"errors":[{"message":"a"}]}', "a"],
    ["JSON errors map", {}, '{"errors":{"username":["is taken"]}}', "username: is taken"],
    ["plain text", { "content-type": "text/plain" }, "  Service Unavailable \n", "Service Unavailable"],
    [
      "HTML",
      { "content-type": "text/html" },
      "<html><head><title>502 Bad Gateway</title><style>b{}</style></head><body><h1>Bad &amp; Gateway</h1><script>x()</script></body></html>",
      "502 Bad Gateway Bad & Gateway",
    ],
    ["HTML without content type", {}, "<p>Oops</p>", "Oops"],
    ["empty", {}, "", undefined],
    ["blank", { "content-type": "text/plain" }, "   ", undefined],
  ];
  for (const [name, headers, body, expected] of shapes) {
    test(`${name} -> serverMessage ${JSON.stringify(expected)}`, async () => {
      server().reply({ status: 400, headers, body });
      // The password must not occur in the messages: it would be redacted.
      const user = { username: "u", password: "correct-horse-battery-staple" };
      // A message that says the user is taken is told apart.
      const code = /taken/.test(expected ?? "") ? "ALREADY_EXISTS" : "BAD_REQUEST";
      const error = await failure(clientFor(server()).createUser(user), code);
      assert.equal(error.status, 400);
      assert.equal(error.serverMessage, expected);
      if (expected) assert.ok(error.message.includes(expected), error.message);
    });
  }

  test("a body that is not UTF-8 still gives an error", async () => {
    server().reply({ status: 400, headers: { "content-type": "text/plain" }, body: Buffer.from([0x62, 0x61, 0x64, 0x20, 0xff, 0xfe]) });
    const error = await failure(clientFor(server()).listAcls(), "BAD_REQUEST");
    assert.ok(error.serverMessage.startsWith("bad "), error.serverMessage);
  });

  test("a long message is bounded", async () => {
    server().reply({ status: 400, headers: { "content-type": "text/plain" }, body: "x".repeat(5000) });
    const error = await failure(clientFor(server()).listAcls(), "BAD_REQUEST");
    assert.ok(error.serverMessage.length <= 301, `length ${error.serverMessage.length}`);
    assert.ok(error.serverMessage.length >= 100);
    assert.ok(error.message.length < 1000, `message length ${error.message.length}`);
  });
});

describe("undecodable successes", () => {
  test("a user list that is not JSON -> DECODE", async () => {
    server().reply({ status: 200, body: "not json" });
    const error = await failure(clientFor(server()).listUsers(), "DECODE");
    assert.equal(error.status, undefined);
  });

  test("a user list of the wrong shape -> DECODE", async () => {
    server().reply({ status: 200, json: { foo: 1 } });
    await failure(clientFor(server()).listUsers(), "DECODE");
    server().reply({ status: 200, json: [1, 2] });
    await failure(clientFor(server()).listUsers(), "DECODE");
  });

  test("user info that is not an object -> DECODE", async () => {
    server().reply({ status: 200, json: [1] });
    await failure(clientFor(server()).getUser("u"), "DECODE");
    server().reply({ status: 200, body: "<html></html>" });
    await failure(clientFor(server()).getUser("u"), "DECODE");
  });

  test("an ACL list with a malformed entry -> DECODE", async () => {
    server().reply({ status: 200, json: [{ type: "topic", read: true }] });
    await failure(clientFor(server()).listAcls(), "DECODE");
  });
});

describe("redirects are never followed", () => {
  for (const status of [301, 302, 303, 307, 308]) {
    test(`${status} with Location -> UNEXPECTED_STATUS, no request to the target`, async () => {
      server().route("GET /api/user", { status, headers: { location: "/elsewhere/user" }, body: "" });
      server().route("GET /elsewhere/user", { status: 200, json: [{ username: "trap" }] });
      const error = await failure(clientFor(server(), { maxRetries: 0 }).listUsers(), "UNEXPECTED_STATUS");
      assert.equal(error.status, status);
      assert.deepEqual(server().calls.map((r) => r.path), ["/api/user"]);
    });
  }

  test("a redirect of a POST is not followed either", async () => {
    server().route("POST /api/user", { status: 307, headers: { location: "/elsewhere/user" } });
    await failure(clientFor(server()).createUser({ username: "u", password: "p" }), "UNEXPECTED_STATUS");
    assert.deepEqual(server().calls.map((r) => r.path), ["/api/user"]);
  });
});

describe("secrets stay secret", () => {
  const base64Key = AUTHORIZATION.slice("Basic ".length);

  function assertClean(text, ...secrets) {
    for (const secret of [API_KEY, base64Key, ...secrets]) {
      assert.ok(!text.includes(secret), `secret ${JSON.stringify(secret)} leaked in:\n${text}`);
    }
  }

  test("the API key is in no text of the client", () => {
    const client = clientFor(server());
    const texts = [
      String(client),
      `${client}`,
      JSON.stringify(client) ?? "",
      inspect(client, { showHidden: true, depth: Infinity, getters: true }),
      JSON.stringify(Object.getOwnPropertyNames(client).map((name) => {
        try {
          return String(client[name]);
        } catch {
          return "";
        }
      })),
    ].join("\n");
    assertClean(texts);
  });

  test("the client shows its base URL and nothing else", () => {
    const client = clientFor(server());
    const shown = `CloudMqtt { baseUrl: ${JSON.stringify(server().baseUrl)} }`;
    assert.equal(String(client), shown);
    assert.equal(`${client}`, shown);
    assert.equal(inspect(client), shown);
    assert.equal(JSON.stringify(client), JSON.stringify({ baseUrl: server().baseUrl }));
    assert.equal(Object.prototype.toString.call(client), "[object CloudMqtt]");
    assert.equal(String(Object.getPrototypeOf(client)), "CloudMqtt {}");
  });

  test("an echoed key is scrubbed from every text of the error", async () => {
    server().reply({ status: 401, json: { error: `key ${API_KEY} is wrong` } });
    const error = await failure(clientFor(server()).listUsers(), "UNAUTHORIZED");
    assertClean(await errorTexts(error));
    assert.ok(error.serverMessage.includes("is wrong"), error.serverMessage);
  });

  test("an echoed Authorization header (the key in base64) is scrubbed", async () => {
    server().reply({ status: 401, json: { error: `header was ${AUTHORIZATION}` } });
    const error = await failure(clientFor(server()).listUsers(), "UNAUTHORIZED");
    assertClean(await errorTexts(error));
  });

  test("an echoed key in an HTML or text body is scrubbed", async () => {
    server().reply({ status: 500, headers: { "content-type": "text/html" }, body: `<h1>Bad key ${API_KEY}</h1>` });
    let error = await failure(clientFor(server(), { maxRetries: 0 }).listUsers(), "SERVER_ERROR");
    assertClean(await errorTexts(error));
    server().reply({ status: 400, headers: { "content-type": "text/plain" }, body: `Bad key ${API_KEY}` });
    error = await failure(clientFor(server()).listAcls(), "BAD_REQUEST");
    assertClean(await errorTexts(error));
  });

  test("an echoed password is scrubbed from createUser and updateUserPassword errors", async () => {
    const password = "Hunter2-Very-Secret";
    server().reply({ status: 400, json: { error: `password ${password} is too weak` } });
    let error = await failure(clientFor(server()).createUser({ username: "u", password }), "BAD_REQUEST");
    assertClean(await errorTexts(error), password);
    assert.ok(error.serverMessage.includes("is too weak"), error.serverMessage);
    server().reply({ status: 400, headers: { "content-type": "text/plain" }, body: `rejected: ${password}` });
    error = await failure(clientFor(server()).updateUserPassword("u", password), "BAD_REQUEST");
    assertClean(await errorTexts(error), password);
  });

  test("an undecodable body echoing the key is scrubbed", async () => {
    server().reply({ status: 200, body: `not json ${API_KEY}` });
    const error = await failure(clientFor(server()).listUsers(), "DECODE");
    assertClean(await errorTexts(error));
  });

  test("a key refused by validation does not appear in the error", async () => {
    const badKey = "Secret-Key-With\nNewline";
    const error = await failure(() => new CloudMqtt({ apiKey: badKey, baseUrl: server().baseUrl }), "INVALID_INPUT");
    assert.equal(error.field, "apiKey");
    const texts = await errorTexts(error);
    assert.ok(!texts.includes("Secret-Key-With"), texts);
  });

  test("network errors do not carry the key", async () => {
    server().reply({ destroy: true });
    const error = await failure(clientFor(server(), { maxRetries: 0 }).listUsers(), "NETWORK");
    assertClean(await errorTexts(error));
  });

  test("errors are CloudMqttError instances with a stack", async () => {
    server().reply({ status: 404, json: { error: "no such user" } });
    const error = await failure(clientFor(server()).getUser("ghost"), "NOT_FOUND");
    assert.equal(typeof error.stack, "string");
    assert.ok(error.stack.startsWith("NotFoundError: "), error.stack);
  });
});
