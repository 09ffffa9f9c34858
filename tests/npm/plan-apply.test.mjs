// Declarative access from the `cloudmqtt-api/access` entry: plan, apply
// and exportAccess against a loopback server that models users and rules
// whose creates and deletes show after a delay.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as main from "cloudmqtt-api";
import { CloudMqttError } from "cloudmqtt-api/access";
import { API_KEY, accessClientFor, errorTexts, useServer } from "./helpers.mjs";

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
    assert.deepEqual(planned, {
      changes: [
        { action: "create", kind: "user", username: "dashboard" },
        { action: "create", kind: "user", username: "sensor-1" },
        { action: "create", kind: "rule", rule: { type: "topic", pattern: "sensors/1/#", read: false, write: true, username: "sensor-1" } },
        { action: "create", kind: "rule", rule: { type: "pattern", pattern: "home/%u/#", read: true, write: true, username: null } },
      ],
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
    assert.deepEqual(made, planned);
    assert.equal(progress.filter((p) => p.startsWith("started")).length, 4);
    assert.equal(progress.filter((p) => p.startsWith("done")).length, 4);
    assert.equal(state.users.get("sensor-1"), "s1-secret-93");
    assert.deepEqual(await api.plan(desired), { changes: [] });

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
    assert.deepEqual(await api.apply(changed, { ...options, wait }), next);
    assert.equal(state.users.get("sensor-1"), "s1-new-secret");
    assert.deepEqual(await api.plan(changed, { prune: true }), { changes: [] });
    assert.deepEqual(await api.exportAccess(), {
      users: ["sensor-1"],
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
