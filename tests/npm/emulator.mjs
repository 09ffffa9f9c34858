// The repository's emulator for end-to-end tests: built with cargo, started
// with the given options, and its ready line read (the API's URL and the
// broker's MQTT port). Not a test file itself.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { start, stop } from "./runtime.mjs";

/** The repository (the runner exports it); its emulator is built here. */
function emulatorBinary() {
  const root = process.env.CLOUDMQTT_REPO;
  assert.ok(root, "CLOUDMQTT_REPO names the repository (tests/run-npm-e2e.sh sets it)");
  execFileSync("cargo", ["build", "--quiet", "-p", "cloudmqtt-emulator"], { cwd: root, stdio: "inherit" });
  const target = process.env.CARGO_TARGET_DIR || path.join(root, "target");
  return path.join(target, "debug", "cloudmqtt-emulator");
}

/**
 * Starts the emulator with `args` and its real broker; resolves to `{ api,
 * mqttPort, stop }` once it says it is ready (20 s at most).
 */
export async function startEmulator(args) {
  const child = start(emulatorBinary(), args);
  const ready = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line:\n${child.output}`)), 20_000);
    child.stdout.on("data", () => {
      const line = child.output.split("\n").find((l) => l.startsWith("ready "));
      if (line) {
        clearTimeout(timer);
        resolve(line);
      }
    });
  });
  const field = (name) => ready.split(" ").find((f) => f.startsWith(`${name}=`))?.slice(name.length + 1);
  assert.ok(field("mqtt"), `the emulator runs its broker: ${ready}`);
  return { api: field("api"), mqttPort: new URL(field("mqtt")).port, stop: () => stop(child) };
}
