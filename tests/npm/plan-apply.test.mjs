// Declarative access from the `cloudmqtt-api/access` entry: plan, apply
// and exportAccess against a loopback server that models users and rules
// whose creates and deletes show after a delay.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as main from "cloudmqtt-api";
import { CloudMqttError } from "cloudmqtt-api/access";
import { API_KEY, accessClientFor, brief, errorTexts, failure, useServer } from "./helpers.mjs";

const server = useServer();

/** A model of the API on the test server; `delayMs` before changes show. */
function model(delayMs = 40) {
  const state = { users: new Map(), rules: [], pending: [] };
  const same = (a, b) => a.type === b.type && (a.username ?? null) === (b.username ?? null) && a.pattern === b.pattern;
  const later = (change) => state.pending.push({ at: Date.now() + delayMs, change });
  const settle = () => {
    const now = Date.now();
    for (const p of state.pending.filter((p) => p.at <= now)) p.change();
    state.pending = state.pending.filter((p) => p.at > now);
  };
  server().handle((req) => {
    settle();
    const body = req.text ? JSON.parse(req.text) : {};
    const path = req.path.replace(/^\/api/, "");
    const query = new URLSearchParams(req.query);
    if (req.method === "GET" && path === "/user") {
      const limit = Number(query.get("limit") ?? 1000);
      const page = Number(query.get("page") ?? 1);
      const names = [...state.users.keys()].sort().slice((page - 1) * limit, page * limit);
      return { status: 200, json: names.map((username) => ({ username })) };
    }
    if (req.method === "GET" && path === "/acl") return { status: 200, json: state.rules };
    if (req.method === "POST" && path === "/user") {
      if (state.users.has(body.username)) return { status: 400, body: "exists" };
      later(() => state.users.set(body.username, body.password));
      return { status: 204 };
    }
    if (req.method === "PUT" && path.startsWith("/user/")) {
      state.users.set(decodeURIComponent(path.slice(6)), body.password);
      return { status: 204 };
    }
    if (req.method === "DELETE" && path.startsWith("/user/")) {
      const name = decodeURIComponent(path.slice(6));
      later(() => {
        state.users.delete(name);
        state.rules = state.rules.filter((r) => r.username !== name);
      });
      return { status: 204 };
    }
    if (req.method === "POST" && path === "/acl") {
      const rule = { type: body.type, pattern: body.pattern, read: body.read, write: body.write, username: body.username ?? null };
      later(() => {
        state.rules = state.rules.filter((r) => !same(r, rule));
        state.rules.push(rule);
      });
      return { status: 204 };
    }
    if (req.method === "DELETE" && path === "/acl") {
      const match = (r) =>
        r.pattern === body.topic && (body.username ? r.type === "topic" && r.username === body.username : r.type === "pattern");
      if (!state.rules.some(match)) return { status: 404 };
      later(() => {
        state.rules = state.rules.filter((r) => !match(r));
      });
      return { status: 204 };
    }
    return { status: 404 };
  });
  return state;
}

function client() {
  return accessClientFor(server());
}

const desired = {
  users: { "sensor-1": { password: "s1-secret-93" }, dashboard: { password: "dash-secret-17" } },
  rules: [
    { type: "topic", username: "sensor-1", pattern: "sensors/1/#", read: false, write: true },
    { type: "pattern", pattern: "home/%u/#", read: true, write: true },
  ],
};

const wait = { intervalMs: 20, timeoutMs: 5000 };

describe("cloudmqtt-api/access", () => {
  test("the main entry's client has no access methods; this entry's has", () => {
    const plain = new main.CloudMqtt({ apiKey: API_KEY });
    assert.equal(typeof plain.plan, "undefined");
    assert.equal(typeof plain.apply, "undefined");
    assert.equal(typeof plain.exportAccess, "undefined");
    assert.equal(typeof plain.checkAccess, "undefined");
    const api = client();
    for (const name of ["checkAccess", "plan", "apply", "exportAccess", "listUsers", "createAcl"]) {
      assert.equal(typeof api[name], "function", name);
    }
  });

  test("plan reads, apply converges, plan is then empty", async () => {
    const state = model();
    const api = client();
    const planned = await api.plan(desired);
    assert.deepEqual(brief(planned), {
      changes: [
        { action: "create", kind: "user", username: "dashboard" },
        { action: "create", kind: "user", username: "sensor-1" },
        { action: "create", kind: "rule", rule: { type: "topic", pattern: "sensors/1/#", read: false, write: true, username: "sensor-1" } },
        { action: "create", kind: "rule", rule: { type: "pattern", pattern: "home/%u/#", read: true, write: true, username: null } },
      ],
      missingPasswords: [],
    });
    assert.deepEqual(
      server().calls.map((r) => `${r.method} ${r.url}`),
      ["GET /api/user?limit=1000&page=1", "GET /api/acl"],
    );
    const progress = [];
    const made = await api.apply(desired, {
      wait,
      concurrency: 2,
      onProgress: (change, state) => progress.push(`${state} ${change.action} ${change.kind}`),
    });
    assert.deepEqual(brief(made), brief(planned));
    assert.equal(progress.filter((p) => p.startsWith("started")).length, 4);
    assert.equal(progress.filter((p) => p.startsWith("done")).length, 4);
    assert.equal(state.users.get("sensor-1"), "s1-secret-93");
    assert.deepEqual(brief(await api.plan(desired)), { changes: [], missingPasswords: [] });

    // Change rights, drop a user, prune; with set passwords.
    const changed = {
      users: { "sensor-1": { password: "s1-new-secret" } },
      rules: [
        { type: "topic", username: "sensor-1", pattern: "sensors/1/#", read: true, write: true },
        { type: "pattern", pattern: "home/%u/#", read: true, write: true },
      ],
    };
    const options = { prune: true, setPasswords: true };
    const next = await api.plan(changed, options);
    assert.deepEqual(
      next.changes.map((c) => `${c.action} ${c.kind} ${c.username ?? c.rule?.pattern ?? c.to.pattern}`),
      ["set-password user sensor-1", "replace rule sensors/1/#", "delete user dashboard"],
    );
    assert.deepEqual(brief(await api.apply(changed, { ...options, wait })), brief(next));
    assert.equal(state.users.get("sensor-1"), "s1-new-secret");
    assert.deepEqual(brief(await api.plan(changed, { prune: true })), { changes: [], missingPasswords: [] });
    assert.deepEqual(await api.exportAccess(), {
      users: { "sensor-1": {} },
      rules: [
        { type: "pattern", pattern: "home/%u/#", read: true, write: true, username: null },
        { type: "topic", pattern: "sensors/1/#", read: true, write: true, username: "sensor-1" },
      ],
    });
  });

  test("invalid desired states are refused before anything is sent, without passwords", async () => {
    model();
    const api = client();
    for (const [bad, field] of [
      [{ rules: [{ type: "pattern", username: "u", pattern: "a", read: true, write: true }] }, "username"],
      [{ users: { a: { password: "" } } }, "password"],
      [{ users: { a: "pw" } }, "users"],
      [{ users: { a: { password: 42 } } }, "password"],
      [{ rules: "no" }, "rules"],
      [null, "desired"],
    ]) {
      const error = await api.plan(bad).then(
        () => assert.fail("expected a failure"),
        (caught) => caught,
      );
      assert.ok(error instanceof CloudMqttError, String(error));
      // The main entry's class recognises this entry's errors too.
      assert.ok(error instanceof main.CloudMqttError, String(error));
      assert.equal(error.code, "INVALID_INPUT");
      assert.equal(error.field, field, error.message);
    }
    assert.equal(server().calls.length, 0);
    const error = await api
      .apply({ users: { a: { password: "pw-never-shown-42" } }, rules: [{ type: "topic", username: "ghost", pattern: "t", read: true, write: true }] }, { wait })
      .then(
        () => assert.fail("expected a failure"),
        (caught) => caught,
      );
    assert.equal(error.code, "INVALID_INPUT");
    assert.match(error.message, /ghost/);
    assert.ok(!(await errorTexts(error)).includes("pw-never-shown-42"));
  });

  test("exportAccess round-trips: planning or applying the export changes nothing", async () => {
    const state = model();
    state.users.set("sensor-1", "s1-secret-93").set("dashboard", "dash-secret-17").set("__proto__", "odd-but-valid");
    state.rules.push(
      { type: "topic", pattern: "sensors/1/#", read: false, write: true, username: "sensor-1" },
      { type: "pattern", pattern: "home/%u/#", read: true, write: true, username: null },
    );
    const api = client();
    const exported = await api.exportAccess();
    assert.deepEqual(Object.keys(exported.users).sort(), ["__proto__", "dashboard", "sensor-1"]);
    assert.deepEqual(exported.users.dashboard, {});
    assert.deepEqual(exported.rules, state.rules);
    const nothing = { changes: [], missingPasswords: [] };
    assert.deepEqual(brief(await api.plan(exported)), nothing);
    assert.deepEqual(brief(await api.plan(exported, { prune: true })), nothing);
    assert.deepEqual(brief(await api.apply(exported, { prune: true, wait })), nothing);
    // Only reads went out, and every user and rule is still there.
    assert.deepEqual(server().calls.filter((r) => r.method !== "GET"), []);
    assert.equal(state.users.size, 3);
    assert.equal(state.rules.length, 2);
  });

  test("users without a password: plan names the ones it needs, apply refuses before any change", async () => {
    const state = model();
    state.users.set("old", "old-secret-1");
    const api = client();
    const partial = {
      users: { old: {}, "new-1": {}, "new-2": {}, "new-3": { password: "n3-secret-55" } },
      rules: [{ type: "topic", username: "new-1", pattern: "n/1/#", read: true, write: false }],
    };
    const planned = await api.plan(partial);
    assert.deepEqual(
      planned.changes.map((c) => `${c.action} ${c.username ?? c.rule.pattern}`),
      ["create new-1", "create new-2", "create new-3", "create n/1/#"],
    );
    // An existing user needs no password, unless its password is set.
    assert.deepEqual(planned.missingPasswords, ["new-1", "new-2"]);
    assert.deepEqual((await api.plan(partial, { setPasswords: true })).missingPasswords, ["new-1", "new-2", "old"]);

    const error = await failure(api.apply(partial, { wait }), "INVALID_INPUT");
    assert.equal(error.field, "password");
    assert.match(error.message, /"new-1", "new-2"/);
    assert.doesNotMatch(error.message, /new-3|old/);
    assert.ok(!(await errorTexts(error)).includes("n3-secret-55"));
    assert.deepEqual(
      server().calls.filter((r) => r.method !== "GET"),
      [],
      "plan, plan and apply read the server; nothing else was sent",
    );
    assert.deepEqual([...state.users.keys()], ["old"]);

    // With the passwords the creates need, the existing user still needs none.
    const complete = { ...partial, users: { ...partial.users, "new-1": { password: "n1-secret-77" }, "new-2": { password: "n2-secret-88" } } };
    const made = await api.apply(complete, { wait });
    assert.equal(made.changes.length, 4);
    assert.deepEqual(made.missingPasswords, []);
    assert.equal(state.users.get("new-1"), "n1-secret-77");
    assert.equal(state.users.get("old"), "old-secret-1");
  });

  test("an aborted apply rejects with ABORTED", async () => {
    model(10_000);
    const controller = new AbortController();
    const pending = client().apply(desired, { signal: controller.signal, wait });
    setTimeout(() => controller.abort(), 50);
    const error = await pending.then(
      () => assert.fail("expected a failure"),
      (caught) => caught,
    );
    assert.equal(error.code, "ABORTED");
  });
});
