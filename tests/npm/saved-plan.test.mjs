// Saved plans, scopes and password versions from `cloudmqtt-api/access`,
// against the emulator (and its broker) under injected failures and a rate
// limit: plan() resolves to the command line's saved-plan JSON, apply(saved)
// applies exactly it and refuses a stale one, scoped desired states leave
// each other alone, a bumped passwordVersion sets that password only. No
// password is ever in a plan or a result.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { CloudMqtt, StalePlanError, ValidationError } from "cloudmqtt-api/access";
import { startEmulator } from "./emulator.mjs";

const KEY = "saved-plan-key-2c7e";
const PASSWORDS = ["saved-s1-pw-11", "saved-a1-pw-12", "saved-b1-pw-13", "saved-s1-pw-new-14"];
let emulator;
let api;
let mqttPort;

before(async () => {
  emulator = await startEmulator([
    "--api-key", KEY,
    "--apply-delay-ms", "100",
    "--fail-rate", "0.2",
    "--rate-limit", "20",
    "--seed", "23",
  ]);
  mqttPort = emulator.mqttPort;
  api = new CloudMqtt({ apiKey: KEY, baseUrl: emulator.api, maxRetries: 12 });
});

after(async () => {
  await emulator.stop();
});

/** Whether `user` can connect with `password` (tried until it is `expect`, for 20 s at most). */
async function connects(user, password, expect) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const result = spawnSync(
      "mosquitto_pub",
      ["-h", "127.0.0.1", "-p", mqttPort, "-u", user, "-P", password, "-t", "t", "-m", "x", "-q", "1"],
      { encoding: "utf8", timeout: 20_000 },
    );
    const ok = result.status === 0;
    if (ok === expect || Date.now() > deadline) return ok;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const wait = { intervalMs: 200, timeoutMs: 60_000 };

function noPassword(value) {
  const text = JSON.stringify(value);
  for (const password of PASSWORDS) assert.ok(!text.includes(password), `a password in ${text}`);
}

describe("saved plans", () => {
  test("plan() is the saved plan; apply(saved) makes exactly it, then refuses it as stale", async () => {
    const desired = {
      users: { "s-1": { password: PASSWORDS[0] } },
      rules: [{ type: "topic", username: "s-1", pattern: "s/1/#", read: false, write: true }],
    };
    const saved = await api.plan(desired);
    noPassword(saved);
    assert.equal(saved.format_version, 1);
    assert.match(saved.server.fingerprint, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(saved.changes.map((change) => change.action), ["create", "create"]);
    assert.deepEqual(saved.passwords, [{ username: "s-1", password_given: true }]);
    assert.deepEqual(saved.missingPasswords, []);
    assert.deepEqual(saved.access.lines, ["+ write s-1 s/1/#"]);

    // Through JSON, as a file would carry it; the password given again.
    const reviewed = JSON.parse(JSON.stringify(saved));
    await assert.rejects(api.apply(reviewed, { wait }), (error) => error instanceof ValidationError && /missing for "s-1"/.test(error.message));
    const made = await api.apply(reviewed, { wait, concurrency: 2, passwords: { "s-1": PASSWORDS[0] } });
    noPassword(made);
    assert.equal(made.changes.length, 2);
    assert.equal(await connects("s-1", PASSWORDS[0], true), true);

    const stale = await api.apply(reviewed, { wait, passwords: { "s-1": PASSWORDS[0] } }).catch((error) => error);
    assert.ok(stale instanceof StalePlanError, String(stale));
    assert.equal(stale.code, "STALE_PLAN");
    assert.equal(
      stale.message,
      "plan is stale: the server changed since the plan was made: + user s-1, + rule topic s-1 s/1/# write",
    );
    noPassword(stale.message);

    const edited = JSON.parse(JSON.stringify(await api.plan(desired)));
    edited.server.users.push("someone");
    await assert.rejects(api.apply(edited, { wait }), /invalid plan: server.fingerprint: does not match/);
  });

  test("scoped desired states leave each other alone", async () => {
    const teamA = {
      scope: { users: ["a-*"] },
      users: { "a-1": { password: PASSWORDS[1] } },
      rules: [{ type: "topic", username: "a-1", pattern: "a/#", read: true, write: true }],
    };
    const teamB = {
      scope: { users: ["b-*"], patterns: ["shared/*"] },
      users: { "b-1": { password: PASSWORDS[2] } },
      rules: [{ type: "pattern", pattern: "shared/%u/#", read: true, write: false }],
    };
    for (let round = 0; round < 2; round++) {
      await api.apply(teamA, { prune: true, wait });
      await api.apply(teamB, { prune: true, wait });
    }
    const users = Object.keys((await api.exportAccess()).users).sort();
    assert.deepEqual(users.filter((name) => /^[ab]-/.test(name)), ["a-1", "b-1"]);
    const planA = await api.plan(teamA, { prune: true });
    assert.deepEqual(planA.changes, []);
    assert.ok(planA.outside.users >= 2, JSON.stringify(planA.outside));
    await assert.rejects(
      api.plan({ ...teamA, users: { ...teamA.users, "b-2": {} } }),
      (error) => error.code === "INVALID_INPUT" && error.message === 'invalid scope: user "b-2" is outside the scope',
    );
    await assert.rejects(api.plan({ ...teamA, scope: { user: ["a-*"] } }), /desired\.scope\.user: unknown key; did you mean "users"\?/);
  });

  test("a bumped passwordVersion sets that password, and no other", async () => {
    const desired = (version, password) => ({
      scope: { users: ["v-*"] },
      users: { "v-1": { password, passwordVersion: version }, "v-2": { password: PASSWORDS[2], passwordVersion: 1 } },
    });
    const first = await api.apply(desired(1, PASSWORDS[0]), { wait });
    assert.deepEqual(first.passwordVersions, { "v-1": 1, "v-2": 1 });
    const same = await api.plan(desired(1, PASSWORDS[3]), { passwordVersions: first.passwordVersions });
    assert.deepEqual(same.changes, []);
    const bumped = await api.plan(desired(2, PASSWORDS[3]), { passwordVersions: first.passwordVersions });
    assert.deepEqual(bumped.changes, [{ action: "set-password", kind: "user", username: "v-1" }]);
    assert.deepEqual(bumped.password_versions, { "v-1": 2 });
    const second = await api.apply(bumped, { wait, passwords: { "v-1": PASSWORDS[3] }, passwordVersions: first.passwordVersions });
    assert.deepEqual(second.passwordVersions, { "v-1": 2, "v-2": 1 });
    assert.equal(await connects("v-1", PASSWORDS[3], true), true);
    assert.equal(await connects("v-1", PASSWORDS[0], false), false);
    assert.equal(await connects("v-2", PASSWORDS[2], true), true);
    const unknown = await api.plan(desired(2, PASSWORDS[3]));
    assert.deepEqual(unknown.changes, []);
    assert.match(unknown.notes.join("\n"), /password version of user v-1 is unknown/);
    const targeted = await api.plan(desired(2, PASSWORDS[3]), { setPasswords: true, targets: ["user:v-2"] });
    assert.deepEqual(targeted.changes, [{ action: "set-password", kind: "user", username: "v-2" }]);
  });
});
