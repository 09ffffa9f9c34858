// Runs a script of this folder in Deno from the scratch project (its
// node_modules resolved by Deno itself) and reads the one JSON line it
// prints: what both Deno tests share.
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { projectDir, start, stop, toolBin } from "../npm/runtime.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * Starts `deno run` on `script` with `args`; `started(child)` receives the
 * process (so that the caller's `after` can stop it). Resolves to the
 * report the script printed, its line, its exit code and its output.
 */
export async function runDeno(script, args, started) {
  const project = projectDir();
  const deno = start(
    toolBin("deno"),
    ["run", "--allow-net", "--allow-read", "--no-lock", "--node-modules-dir=manual", path.join(here, script), ...args],
    {
      cwd: project,
      env: { ...process.env, DENO_DIR: path.join(project, ".deno-dir"), DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
    },
  );
  started(deno);
  const timer = setTimeout(() => stop(deno), 60000);
  const { code } = await deno.exited;
  clearTimeout(timer);
  const line = deno.output.split("\n").find((l) => l.startsWith("{"));
  assert.ok(line, `deno printed no report (exit ${code}):\n${deno.output}`);
  return { report: JSON.parse(line), line, code, output: deno.output };
}
