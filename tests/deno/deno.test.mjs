// The package in Deno: `deno run --allow-net --allow-read` on a script that
// imports `cloudmqtt-api` from the scratch project's node_modules (Deno's
// own package.json resolution), calling the loopback test server.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { fixedScenario, startServer } from "../npm/server.mjs";
import { checkReport, checkRequests } from "../npm/scenario-checks.mjs";
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

test("the package runs in Deno and calls the loopback server", async (t) => {
  const { report, line, code, output } = await runDeno("main.mjs", [server.baseUrl], (child) => {
    deno = child;
  });
  t.diagnostic(`Deno resolved cloudmqtt-api to ${report.resolved}`);
  assert.ok(String(report.resolved).includes("node_modules/cloudmqtt-api/"), report.resolved);
  checkReport(report);
  checkRequests(server.calls);
  assert.equal(code, 0, output);
  // The report is the only output: the package printed nothing (Deno
  // serves file: URLs without a content type, the case where a loader
  // might warn).
  const other = output.split("\n").filter((l) => l.trim() !== "" && l !== line);
  assert.deepEqual(other, [], "deno printed more than the report");
});
