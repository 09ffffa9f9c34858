// `cloudmqtt-api/access` in Deno: the entry Deno resolves by name and the
// web build (which loads its own .wasm by URL), planning against the
// loopback test server.
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { fixedScenario, startServer } from "../npm/server.mjs";
import { projectDir, start, stop, toolBin } from "../npm/runtime.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
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
  const project = projectDir();
  deno = start(
    toolBin("deno"),
    ["run", "--allow-net", "--allow-read", "--no-lock", "--node-modules-dir=manual", path.join(here, "access.mjs"), server.baseUrl],
    {
      cwd: project,
      env: { ...process.env, DENO_DIR: path.join(project, ".deno-dir"), DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
    },
  );
  const timer = setTimeout(() => stop(deno), 60000);
  const { code } = await deno.exited;
  clearTimeout(timer);
  const line = deno.output.split("\n").find((l) => l.startsWith("{"));
  assert.ok(line, `deno printed no report (exit ${code}):\n${deno.output}`);
  const report = JSON.parse(line);
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
  };
  assert.deepEqual(report.byName, expected);
  assert.deepEqual(report.web, expected);
  assert.equal(code, 0, deno.output);
});
