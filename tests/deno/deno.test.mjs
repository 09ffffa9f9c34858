// The package in Deno: `deno run --allow-net --allow-read` on a script that
// imports `cloudmqtt-api` from the scratch project's node_modules (Deno's
// own package.json resolution), calling the loopback test server.
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { fixedScenario, startServer } from "../npm/server.mjs";
import { checkReport, checkRequests } from "../npm/scenario-checks.mjs";
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

test("the package runs in Deno and calls the loopback server", async (t) => {
  const project = projectDir();
  deno = start(
    toolBin("deno"),
    ["run", "--allow-net", "--allow-read", "--no-lock", "--node-modules-dir=manual", path.join(here, "main.mjs"), server.baseUrl],
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
  t.diagnostic(`Deno resolved cloudmqtt-api to ${report.resolved}`);
  assert.ok(String(report.resolved).includes("node_modules/cloudmqtt-api/"), report.resolved);
  checkReport(report);
  checkRequests(server.calls);
  assert.equal(code, 0, deno.output);
  // The report is the only output: the package printed nothing (Deno
  // serves file: URLs without a content type, the case where a loader
  // might warn).
  const other = deno.output.split("\n").filter((l) => l.trim() !== "" && l !== line);
  assert.deepEqual(other, [], "deno printed more than the report");
});
