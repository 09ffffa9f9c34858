// Unknown keys are refused, never ignored: in the client's options, each
// call's options (and their `wait` object), plan's and apply's options and
// anywhere in the desired state. The error is INVALID_INPUT naming the key
// (`field`) and its path, with the closest known key when one is close, and
// nothing is sent.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { API_KEY, CloudMqtt, accessClientFor, brief, clientFor, failure, useServer } from "./helpers.mjs";

const server = useServer();

/** Expects `action` to be refused for the unknown key `field` with `message`. */
async function refused(action, field, message) {
  const error = await failure(action, "INVALID_INPUT", message);
  assert.equal(error.message, message);
  assert.equal(error.field, field, message);
  assert.equal(error.status, undefined);
  return error;
}

/**
 * A server holding two users and a rule for each, answering the reads of
 * plan and apply; every request is recorded in `server().calls`.
 */
function populated() {
  server().handle((req) => {
    if (req.method === "GET" && req.path === "/api/user") {
      return { status: 200, json: [{ username: "dashboard" }, { username: "sensor-1" }] };
    }
    if (req.method === "GET" && req.path === "/api/acl") {
      return {
        status: 200,
        json: [
          { type: "topic", username: "dashboard", pattern: "#", read: true, write: false },
          { type: "topic", username: "sensor-1", pattern: "sensors/1/#", read: false, write: true },
        ],
      };
    }
    return { status: 204 };
  });
}

describe("unknown keys", () => {
  test("a misspelt key of the desired state is refused before anything is read, not planned as deleting everything", async () => {
    populated();
    const api = accessClientFor(server());
    const typo = {
      user: { "sensor-1": { password: "s1-secret-93" } },
      rule: [{ type: "topic", username: "sensor-1", pattern: "sensors/1/#", read: false, write: true }],
    };
    const message = 'desired.user: unknown key; did you mean "users"?';
    await refused(() => api.plan(typo, { prune: true }), "user", message);
    await refused(() => api.apply(typo, { prune: true }), "user", message);
    await refused(() => api.plan({ users: {}, rule: [] }, { prune: true }), "rule", 'desired.rule: unknown key; did you mean "rules"?');
    assert.deepEqual(server().calls, []);
  });

  test("a misspelt plan or apply option is refused, not ignored", async () => {
    populated();
    const api = accessClientFor(server());
    const desired = { users: { "sensor-1": {} } };
    await refused(() => api.plan(desired, { prun: true }), "prun", 'options.prun: unknown key; did you mean "prune"?');
    await refused(() => api.apply(desired, { prun: true }), "prun", 'options.prun: unknown key; did you mean "prune"?');
    await refused(
      () => api.plan(desired, { setpasswords: true }),
      "setpasswords",
      'options.setpasswords: unknown key; did you mean "setPasswords"?',
    );
    await refused(
      () => api.apply(desired, { concurency: 2 }),
      "concurency",
      'options.concurency: unknown key; did you mean "concurrency"?',
    );
    await refused(
      () => api.apply(desired, { wait: { intervalMS: 10 } }),
      "intervalMS",
      'options.wait.intervalMS: unknown key; did you mean "intervalMs"?',
    );
    // Plan's options are not apply's, and export has neither.
    await refused(() => api.plan(desired, { concurrency: 2 }), "concurrency", "options.concurrency: unknown key");
    await refused(() => api.exportAccess({ prune: true }), "prune", "options.prune: unknown key");
    assert.deepEqual(server().calls, []);
  });

  test("unknown keys of a desired user or rule name their path", async () => {
    const api = accessClientFor(server());
    await refused(
      () => api.plan({ users: { "sensor-1": { pasword: "s1-secret-93" } } }),
      "pasword",
      'desired.users["sensor-1"].pasword: unknown key; did you mean "password"?',
    );
    await refused(
      () => api.apply({ users: { dashboard: { password: "d-secret", admin: true } } }),
      "admin",
      "desired.users.dashboard.admin: unknown key",
    );
    const rules = [
      { type: "pattern", pattern: "home/%u/#", read: true, write: true },
      { type: "topic", username: "u", pattern: "t", read: true, wirte: true },
    ];
    await refused(() => api.plan({ users: { u: {} }, rules }), "wirte", 'desired.rules[1].wirte: unknown key; did you mean "write"?');
    await refused(
      () => api.plan({ rules: [{ type: "pattern", pattern: "a", read: true, write: true, colour: "red" }] }),
      "colour",
      "desired.rules[0].colour: unknown key",
    );
    // The same letters in another order count as close.
    await refused(() => api.plan({ sresu: {} }), "sresu", 'desired.sresu: unknown key; did you mean "users"?');
    assert.deepEqual(server().calls, []);
  });

  test("a misspelt client option is refused", async () => {
    const baseUrl = server().baseUrl;
    await refused(() => new CloudMqtt({ apiKey: API_KEY, baseUrl, timeout: 5000 }), "timeout", 'options.timeout: unknown key; did you mean "timeoutMs"?');
    await refused(() => new CloudMqtt({ apikey: API_KEY, baseUrl }), "apikey", 'options.apikey: unknown key; did you mean "apiKey"?');
    await refused(() => new CloudMqtt({ apiKey: API_KEY, baseUrl, retries: 0 }), "retries", "options.retries: unknown key");
    // Inherited enumerable keys are read, so they are checked too; the
    // same letters in another case count as close.
    const inherited = Object.assign(Object.create({ allowInsecureHTTP: true }), { apiKey: API_KEY, baseUrl });
    await refused(
      () => new CloudMqtt(inherited),
      "allowInsecureHTTP",
      'options.allowInsecureHTTP: unknown key; did you mean "allowInsecureHttp"?',
    );
    // The access entry's client reads the same options.
    await refused(() => accessClientFor(server(), { maxretries: 0 }), "maxretries", 'options.maxretries: unknown key; did you mean "maxRetries"?');
  });

  test("a misspelt call option is refused, in every method's options and in a wait's", async () => {
    const api = accessClientFor(server());
    await refused(() => api.listUsers({}, { timeout: 10 }), "timeout", 'options.timeout: unknown key; did you mean "timeoutMs"?');
    await refused(() => api.restartInstance({ signl: null }), "signl", 'options.signl: unknown key; did you mean "signal"?');
    await refused(() => api.updateUserPassword("u", "p", { wait: true }), "wait", "options.wait: unknown key");
    await refused(() => api.createUser({ username: "u", password: "p" }, { wiat: true }), "wiat", 'options.wiat: unknown key; did you mean "wait"?');
    await refused(
      () => api.deleteUser("u", { wait: { timeOutMs: 5 } }),
      "timeOutMs",
      'options.wait.timeOutMs: unknown key; did you mean "timeoutMs"?',
    );
    await refused(() => api.waitForUser("u", { exist: false }), "exist", 'options.exist: unknown key; did you mean "exists"?');
    await refused(() => api.checkAccess({ username: "u", topic: "t", access: "read" }, { prune: true }), "prune", "options.prune: unknown key");
    await refused(() => api.users({}, { timeotMs: 10 }).next(), "timeotMs", 'options.timeotMs: unknown key; did you mean "timeoutMs"?');
    assert.deepEqual(server().calls, []);
  });

  test("every documented key is accepted", async () => {
    server().handle((req) => {
      if (req.method === "GET" && (req.path === "/api/user" || req.path === "/api/acl")) return { status: 200, json: [] };
      if (req.method === "GET") return { status: 200, json: { username: "u", acls: [] } };
      return { status: 204 };
    });
    const { signal } = new AbortController();
    const call = { signal, timeoutMs: 5000 };
    const wait = { signal, timeoutMs: 5000, intervalMs: 10 };
    const api = accessClientFor(server(), { encoding: "form", timeoutMs: 5000, maxRetries: 0, allowInsecureHttp: false, fetch });
    await api.createUser({ username: "u", password: "p" }, { ...call, wait });
    await api.deleteAcl({ type: "pattern", topic: "a/#" }, { ...call, wait: true });
    await api.waitForUser("u", { ...wait, exists: true });
    assert.deepEqual(await api.listUsers({ limit: 5 }, call), []);
    for await (const user of api.users({ pageSize: 5 }, call)) assert.fail(`no users expected, got ${user.username}`);
    const desired = {
      users: { u: { password: "p" }, v: {} },
      rules: [{ type: "pattern", username: null, pattern: "a/#", read: true, write: false }],
    };
    const planned = await api.plan(desired, { ...call, prune: true, setPasswords: false });
    assert.deepEqual(planned.missingPasswords, ["v"]);
    const none = { users: {}, rules: [] };
    const options = { ...call, prune: false, setPasswords: false, wait, concurrency: 2, onProgress() {} };
    assert.deepEqual(brief(await api.apply(none, options)), { changes: [], missingPasswords: [] });
    assert.deepEqual(await api.exportAccess(call), { users: {}, rules: [] });
  });
});
