// The calls every non-Node runtime makes against the fixed scenario of
// server.mjs, and the results they must report. Shared by the workerd,
// Deno and Chromium tests so the three prove the same thing.
import assert from "node:assert/strict";
import { RUNTIME_KEY } from "./scenario-client.mjs";

export { RUNTIME_KEY };

/** Checks the JSON a runtime reported (see any runtime's main script). */
export function checkReport(report, { browser = false } = {}) {
  assert.equal(report.fatal, undefined, `the runtime failed: ${report.fatal}\n${report.stack ?? ""}`);
  assert.deepEqual(report.users, [{ username: "alice" }, { username: "bob" }]);
  assert.equal(report.created, true);
  assert.deepEqual(report.missing, { isCloudMqttError: true, isError: true, name: "NotFoundError", code: "NOT_FOUND", status: 404, serverMessage: "no such user" });
  assert.deepEqual(report.user, { username: "a/b", acls: [{ topic: "sensor/%u", read: false, write: true }] });
  assert.deepEqual(report.acls, [
    { type: "topic", pattern: "test/users/topic", read: true, write: true, username: "custom-user" },
    { type: "pattern", pattern: "sensor/%u/data", read: true, write: false, username: null },
  ]);
  assert.deepEqual(report.walked, ["alice", "bob"]);
  assert.deepEqual(report.unauthorized, { code: "UNAUTHORIZED", status: 401, serverMessage: "bad key" });
  assert.deepEqual(report.invalid, { isCloudMqttError: true, code: "INVALID_INPUT", field: "username" });
  assert.deepEqual(report.aborted, { code: "ABORTED" });
  // A redirect is not followed. Browsers hide a manual redirect's status
  // (an "opaqueredirect" response), so the error there has none; other
  // runtimes show it.
  assert.equal(report.redirect?.code, "UNEXPECTED_STATUS", JSON.stringify(report.redirect));
  if (browser) {
    assert.equal(report.redirect.hasStatus, false, JSON.stringify(report.redirect));
    assert.match(report.redirect.message, /redirect/);
  } else {
    assert.equal(report.redirect.status, 302);
    assert.equal(report.redirect.hasStatus, true);
  }
  if (browser) {
    assert.deepEqual(report.cors, { code: "NETWORK" }, "a CORS refusal must be a NETWORK error");
    assert.equal(report.corsHinted, true, "a CORS refusal says CORS may be why");
    assert.equal(report.corsCause, true, "a CORS refusal carries fetch's error as its cause");
  }
  assert.deepEqual(report.timeout, { code: "TIMEOUT" });
  assert.deepEqual(report.retried, { username: "flaky", acls: [] });
  assert.equal(report.waited, true);
  assert.deepEqual(report.observed, { data: { username: "flaky", acls: [] }, status: 200, attempts: 2, type: "application/json" });
  assert.deepEqual(report.noRetry, { code: "SERVER_ERROR", status: 503, attempts: 1 });
  assert.deepEqual(report.hooks, [
    "request GET 1 true",
    "response 1 503 number",
    "retry 2 SERVER_ERROR 503 number",
    "request GET 2 true",
    "response 2 200 number",
    "request GET 1 true",
    "response 1 503 number",
  ]);
  assert.deepEqual(report.lines, [
    "cloudmqtt: GET URL/user/flaky attempt 1: 503 in T ms",
    "cloudmqtt: retry 1 of GET URL/user/flaky in T ms (attempt 2): SERVER_ERROR (503)",
    "cloudmqtt: GET URL/user/flaky attempt 2: 200 in T ms",
    "cloudmqtt: GET URL/user/flaky attempt 1: 503 in T ms",
  ]);
  assert.equal(report.keyLeaked, false);
  assert.match(String(report.described), /^CloudMqtt \{ baseUrl: "http:\/\/127\.0\.0\.1:\d+\/api" \}$/);
}

/** Checks the requests the server recorded from a runtime. */
export function checkRequests(calls) {
  const auth = `Basic ${Buffer.from(`:${RUNTIME_KEY}`).toString("base64")}`;
  const seen = calls.map((r) => `${r.method} ${r.url}`);
  for (const expected of [
    "GET /api/user",
    "POST /api/user",
    "GET /api/user/missing",
    "GET /api/user/a%2Fb",
    "GET /api/acl",
    "GET /api/user?limit=10&page=1",
    "POST /api/instance/restart",
  ]) {
    assert.ok(seen.includes(expected), `no ${expected} in ${seen.join(", ")}`);
  }
  for (const call of calls) {
    assert.equal(call.headers.authorization, auth, `${call.method} ${call.url}`);
    assert.equal(call.headers.accept, "application/json");
  }
  assert.ok(!calls.some((r) => r.path.startsWith("/trap/")), "a redirect was followed");
  assert.ok(seen.includes("GET /redirecting/user"), "the redirecting request was not made");
  // Retried once by a call, then once by an observed call, then a call
  // with maxRetries 0 that is not retried.
  assert.equal(seen.filter((s) => s === "GET /api/user/flaky").length, 5, "GET /api/user/flaky was not retried as asked");
  const post = calls.find((r) => r.method === "POST" && r.url === "/api/user");
  assert.equal(post.headers["content-type"], "application/json");
  assert.equal(post.text, '{"username":"runtime-user","password":"runtime-pass"}');
}
