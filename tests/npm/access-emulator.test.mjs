// `cloudmqtt-api/access` against the emulator and its real Mosquitto
// broker: apply under injected failures and a rate limit, MQTT clients
// checking what the rules allow, prune, and convergence.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { CloudMqtt } from "cloudmqtt-api/access";
import { brief } from "./helpers.mjs";
import { startEmulator } from "./emulator.mjs";

const KEY = "access-e2e-key-8d1f";
let emulator;
let api;
let apiUrl;
let mqttPort;

before(async () => {
  emulator = await startEmulator([
    "--api-key", KEY,
    "--apply-delay-ms", "200",
    "--fail-rate", "0.2",
    "--rate-limit", "20",
    "--seed", "11",
  ]);
  mqttPort = emulator.mqttPort;
  apiUrl = emulator.api;
  api = new CloudMqtt({ apiKey: KEY, baseUrl: apiUrl, maxRetries: 12 });
});

after(async () => {
  await emulator.stop();
});

/** What the broker answers to an MQTT 5 QoS 1 publish. */
function publish(user, password, topic) {
  const result = spawnSync(
    "mosquitto_pub",
    ["-h", "127.0.0.1", "-p", mqttPort, "-u", user, "-P", password, "-V", "mqttv5", "-d", "-t", topic, "-m", "hi", "-q", "1"],
    { encoding: "utf8", timeout: 20_000 },
  );
  const text = `${result.stdout}${result.stderr}`;
  if (result.status !== 0) return "not connected";
  if (/RC:0\)|RC:16\)/.test(text)) return "accepted";
  if (/Not authorized|RC:135/.test(text)) return "refused";
  throw new Error(`unexpected mosquitto_pub output: ${text}`);
}

const wait = { intervalMs: 200, timeoutMs: 60_000 };

const desired = {
  users: {
    "sensor-1": { password: "npm-s1-pw-61" },
    "sensor-2": { password: "npm-s2-pw-62" },
    dashboard: { password: "npm-dash-pw-63" },
  },
  rules: [
    { type: "topic", username: "sensor-1", pattern: "sensors/1/#", read: false, write: true },
    { type: "topic", username: "sensor-2", pattern: "sensors/2/#", read: false, write: true },
    { type: "topic", username: "dashboard", pattern: "sensors/#", read: true, write: false },
    { type: "pattern", pattern: "home/%u/#", read: true, write: true },
  ],
};

async function assertNoDuplicates() {
  const rules = await api.listAcls();
  const identities = new Set(rules.map((r) => `${r.type} ${r.username} ${r.pattern}`));
  assert.equal(identities.size, rules.length, JSON.stringify(rules));
  return rules.length;
}

describe("cloudmqtt-api/access against the emulator and its broker", () => {
  test("apply converges under faults; the broker enforces the rules; prune converges again", async () => {
    const progress = [];
    const made = await api.apply(desired, {
      wait,
      concurrency: 4,
      onProgress: (change, state) => progress.push(state),
    });
    assert.equal(made.changes.length, 7);
    assert.equal(progress.filter((s) => s === "done").length, 7);
    assert.deepEqual(brief(await api.plan(desired)), { changes: [], missingPasswords: [] });
    assert.equal(await assertNoDuplicates(), 4);

    assert.equal(publish("sensor-1", "npm-s1-pw-61", "sensors/1/temp"), "accepted");
    assert.equal(publish("sensor-1", "npm-s1-pw-61", "sensors/2/temp"), "refused");
    assert.equal(publish("sensor-2", "npm-s2-pw-62", "home/sensor-2/lamp"), "accepted");
    assert.equal(publish("dashboard", "npm-dash-pw-63", "sensors/1/temp"), "refused");
    assert.equal(publish("sensor-2", "wrong", "sensors/2/x"), "not connected");

    const changed = {
      users: { "sensor-1": desired.users["sensor-1"], dashboard: desired.users.dashboard },
      rules: [
        { type: "topic", username: "sensor-1", pattern: "sensors/1/#", read: true, write: true },
        { type: "topic", username: "dashboard", pattern: "sensors/#", read: true, write: true },
        { type: "pattern", pattern: "home/%u/#", read: true, write: true },
      ],
    };
    const next = await api.plan(changed, { prune: true });
    assert.deepEqual(
      next.changes.map((c) => `${c.action} ${c.kind}`),
      ["replace rule", "replace rule", "delete rule", "delete user"],
    );
    const pruned = await api.apply(changed, { prune: true, wait });
    assert.deepEqual(brief(pruned), brief(next));
    assert.deepEqual(brief(await api.plan(changed, { prune: true })), { changes: [], missingPasswords: [] });
    assert.equal(await assertNoDuplicates(), 3);
    assert.equal(publish("dashboard", "npm-dash-pw-63", "sensors/1/temp"), "accepted");
    assert.equal(publish("sensor-2", "npm-s2-pw-62", "sensors/2/x"), "not connected");
    const exported = await api.exportAccess();
    assert.deepEqual(exported.users, { dashboard: {}, "sensor-1": {} });
    assert.deepEqual(brief(await api.plan(exported, { prune: true })), { changes: [], missingPasswords: [] });
  });

  test("under its faults, the logger and hooks see every attempt and every retry, and no secret", async () => {
    const lines = [];
    const log = (line) => lines.push(line);
    const requests = [];
    const responses = [];
    const retries = [];
    const observed = new CloudMqtt({
      apiKey: KEY,
      baseUrl: apiUrl,
      maxRetries: 12,
      logLevel: "debug",
      logger: { debug: log, info: log, warn: log, error: log },
      onRequest: (info) => requests.push(info),
      onResponse: (info) => responses.push(info),
      onRetry: (info) => retries.push(info),
    });
    const password = "observed-pw-9931";
    const applied = await observed
      .apply({ users: { observed: { password } } }, { wait, concurrency: 2 })
      .withResponse();
    assert.deepEqual(applied.data.changes, [{ action: "create", kind: "user", username: "observed" }]);
    // Reads in a row: at 20 requests a second and one in five failing,
    // some are refused and retried.
    const attempts = [];
    for (let i = 0; i < 30; i++) {
      const { response } = await observed.listUsers({}, { maxRetries: 20 }).withResponse();
      assert.equal(response.status, 200);
      attempts.push(response.attempts);
    }
    assert.equal(requests.length, responses.length);
    assert.ok(retries.length > 0, "no retry under --fail-rate 0.2 and --rate-limit 20");
    assert.ok(attempts.some((n) => n > 1), attempts.join(" "));
    for (const retry of retries) {
      assert.ok(["SERVER_ERROR", "RATE_LIMITED"].includes(retry.reason), JSON.stringify(retry));
      assert.ok(retry.attempt >= 2);
    }
    assert.equal(lines.filter((line) => / attempt \d+: /.test(line)).length, responses.length);
    assert.equal(lines.filter((line) => line.startsWith("cloudmqtt: retry ")).length, retries.length);
    const text = lines.join("\n");
    for (const secret of [KEY, password, Buffer.from(`:${KEY}`).toString("base64").replace(/=+$/, "")]) {
      assert.ok(!text.includes(secret), `${secret} in the log`);
    }
  });
});
