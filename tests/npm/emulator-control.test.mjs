// `cloudmqtt-api/testing` against the emulator and its real Mosquitto
// broker, run with --strict: reset before each test, the journal of what
// the client sent (nothing flagged, no secret), snapshots checked with
// MQTT clients, scoped faults counting down, and its errors.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, beforeEach, describe, test } from "node:test";
import { CloudMqtt } from "cloudmqtt-api";
import { EmulatorControlError, emulatorControl } from "cloudmqtt-api/testing";
import { startEmulator } from "./emulator.mjs";

const KEY = "control-e2e-key-5a9c";
const PASSWORD = "control-e2e-pw-77e1";
let emulator;
let control;
let api;
let mqttPort;

before(async () => {
  emulator = await startEmulator(["--api-key", KEY, "--apply-delay-ms", "100", "--strict"]);
  mqttPort = emulator.mqttPort;
  control = emulatorControl(emulator.api, KEY);
  api = new CloudMqtt({ apiKey: KEY, baseUrl: emulator.api });
});

after(async () => {
  await emulator.stop();
});

beforeEach(async () => {
  await control.reset();
});

/** Whether the broker takes a connection with these credentials. */
function canConnect(user, password) {
  const result = spawnSync(
    "mosquitto_pub",
    ["-h", "127.0.0.1", "-p", mqttPort, "-u", user, "-P", password, "-t", "check", "-m", "x"],
    { encoding: "utf8", timeout: 20_000 },
  );
  return result.status === 0;
}

const wait = { intervalMs: 50, timeoutMs: 30_000 };

describe("cloudmqtt-api/testing", () => {
  test("the journal shows what the client sent, nothing flagged, no secret", async () => {
    assert.deepEqual(await control.requests(), []);
    await api.createUser({ username: "sensor-1", password: PASSWORD }, { wait });
    await api.createAcl({ type: "topic", username: "sensor-1", pattern: "sensors/1/#", read: false, write: true }, { wait });
    const sent = await control.requests();
    assert.ok(sent.length >= 4, JSON.stringify(sent));
    assert.deepEqual(
      { method: sent[0].method, path: sent[0].path, status: sent[0].status, body: sent[0].body },
      { method: "POST", path: "/api/user", status: 204, body: { username: "sensor-1", password: "[redacted]" } },
    );
    assert.equal(typeof sent[0].durationMs, "number");
    assert.deepEqual(sent.filter((entry) => entry.flagged !== undefined), []);
    const text = JSON.stringify(sent);
    assert.ok(!text.includes(PASSWORD) && !text.includes(KEY), text);
    const last = sent.at(-1).seq;
    await api.listUsers();
    const later = await control.requests({ since: last });
    assert.deepEqual(later.map((entry) => [entry.seq, entry.path]), [[last + 1, "/api/user"]]);
    await control.clearRequests();
    assert.deepEqual(await control.requests(), []);
  });

  test("reset and snapshots follow through to the broker", async () => {
    await api.createUser({ username: "alice", password: PASSWORD }, { wait });
    await control.snapshot("with-alice");
    await api.createUser({ username: "bob", password: PASSWORD }, { wait });
    assert.equal(canConnect("bob", PASSWORD), true);
    await control.reset();
    assert.deepEqual(await api.listUsers(), []);
    assert.equal(canConnect("alice", PASSWORD), false);
    await control.restore("with-alice");
    assert.deepEqual(await api.listUsers(), [{ username: "alice" }]);
    assert.equal(canConnect("alice", PASSWORD), true);
    assert.equal(canConnect("bob", PASSWORD), false);
  });

  test("scoped faults count down and disappear", async () => {
    await control.setFaults([
      { method: "GET", path: "/api/acl", status: 503, times: 2 },
      { path: "/api/user", latencyMs: 1 },
    ]);
    assert.deepEqual(await control.faults(), [
      { method: "GET", path: "/api/acl", status: 503, times: 2 },
      { path: "/api/user", latencyMs: 1 },
    ]);
    // The client retries a GET after a 503: the third attempt passes.
    assert.deepEqual(await api.listAcls(), []);
    assert.deepEqual(await control.faults(), [{ path: "/api/user", latencyMs: 1 }]);
    const statuses = (await control.requests()).map((entry) => entry.status);
    assert.deepEqual(statuses, [503, 503, 200]);
  });

  test("failures are EmulatorControlErrors with the emulator's status", async () => {
    const unknown = await control.restore("nothing").then(() => null, (error) => error);
    assert.ok(unknown instanceof EmulatorControlError && unknown instanceof Error);
    assert.equal(unknown.name, "EmulatorControlError");
    assert.equal(unknown.status, 404);
    assert.match(unknown.message, /no snapshot named "nothing"/);
    const refused = await control.setFaults([{ path: "/api", colour: "red" }]).then(() => null, (error) => error);
    assert.ok(refused instanceof EmulatorControlError);
    assert.equal(refused.status, null, "refused before it was sent");
    const bad = await control.setFaults([{ path: "/api" }]).then(() => null, (error) => error);
    assert.equal(bad.status, 400);
    assert.match(bad.message, /needs a status or a latency_ms/);
    const denied = await emulatorControl(emulator.api, "not-the-key").reset().then(() => null, (error) => error);
    assert.equal(denied.status, 401);
    assert.ok(!denied.message.includes("not-the-key") && !String(denied.stack).includes(KEY));
    const aborted = new AbortController();
    aborted.abort(new Error("stopped here"));
    await assert.rejects(control.requests({ signal: aborted.signal }), /stopped here/);
  });
});

