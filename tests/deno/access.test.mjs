// `cloudmqtt-api/access` in Deno: the entry Deno resolves by name and the
// web build (which loads its own .wasm by URL), planning against the
// loopback test server.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { fixedScenario, startServer } from "../npm/server.mjs";
import { stop } from "../npm/runtime.mjs";
import { runDeno } from "./run.mjs";

let server;
let deno;

before(async () => {
  server = await startServer({ scenario: fixedScenario });
});

after(async () => {
  await stop(deno);
  await server?.close();
});

test("the access entry plans in Deno, by name and as its web build", async (t) => {
  const { report, code, output } = await runDeno("access.mjs", [server.baseUrl], (child) => {
    deno = child;
  });
  t.diagnostic(`Deno resolved cloudmqtt-api/access to ${report.resolved}`);
  const expected = {
    changes: [
      { action: "create", kind: "user", username: "carol" },
      {
        action: "replace",
        kind: "rule",
        from: { type: "pattern", pattern: "sensor/%u/data", read: true, write: false, username: null },
        to: { type: "pattern", pattern: "sensor/%u/data", read: true, write: true, username: null },
      },
    ],
    missingPasswords: [],
  };
  assert.deepEqual(report.byName, expected);
  assert.deepEqual(report.web, expected);
  assert.equal(code, 0, output);
});
