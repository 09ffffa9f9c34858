// The package never logs: a tour of successes and of every kind of failure
// with console.* recorded (quiet.mjs, through helpers.mjs), then nothing
// may have been printed. Every other suite ends with the same check.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CloudMqtt, clientFor, failure, printed, useServer } from "./helpers.mjs";

const server = useServer();

describe("nothing is printed", () => {
  test("successes, failures, retries, aborts, timeouts, waits and misuse print nothing", async () => {
    const client = clientFor(server(), { maxRetries: 1 });
    server().route("GET /api/user", { status: 200, json: [{ username: "a" }] });
    server().route("GET /api/acl", { status: 200, json: [] });
    server().route("GET /api/user/gone", { status: 404, json: { error: "no such user" } });
    server().route("GET /api/user/busy", { status: 503, body: "busy" });
    server().route("GET /api/user/limited", { status: 429, headers: { "retry-after": "120" } });
    server().route("GET /api/user/moved", { status: 302, headers: { location: "/elsewhere" } });
    server().route("GET /api/user/dropped", { destroy: true });
    server().route("GET /api/user/slow", { status: 200, json: { username: "slow" }, delayMs: 5000 });
    server().route("GET /api/user/odd", { status: 200, body: "<html>" });
    server().route("POST /api/instance/restart", { status: 401, json: { error: "bad key" } });

    assert.deepEqual(await client.listUsers(), [{ username: "a" }]);
    assert.deepEqual(await client.listAcls(), []);
    for await (const user of client.users()) assert.equal(user.username, "a");
    await failure(client.getUser("gone"), "NOT_FOUND");
    await failure(client.getUser("busy"), "SERVER_ERROR");
    await failure(client.getUser("limited"), "RATE_LIMITED");
    await failure(client.getUser("moved"), "UNEXPECTED_STATUS");
    await failure(client.getUser("dropped"), "NETWORK");
    await failure(client.getUser("odd"), "DECODE");
    await failure(client.restartInstance(), "UNAUTHORIZED");
    await failure(client.getUser("slow", { timeoutMs: 100 }), "TIMEOUT");
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("stop")), 50);
    await failure(client.getUser("slow", { signal: controller.signal }), "ABORTED");
    await failure(client.waitForUser("gone", { intervalMs: 20, timeoutMs: 100 }), "WAIT_TIMEOUT");
    await failure(client.getUser(42), "INVALID_INPUT");
    await failure(() => new CloudMqtt({ apiKey: "" }), "INVALID_INPUT");
    const { getUser, users } = client;
    await failure(getUser("a"), "INVALID_INPUT");
    await failure(users().next(), "INVALID_INPUT");
    await failure(new CloudMqtt({ apiKey: "k", baseUrl: "http://127.0.0.1:9/api", maxRetries: 0 }).listAcls(), "NETWORK");
    String(client);
    JSON.stringify(client);

    assert.deepEqual(printed, []);
  });
});
