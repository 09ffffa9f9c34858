// Helpers for the tests that drive another runtime (workerd, Deno,
// Chromium): find the installed package, resolve its exports map, start
// child processes and make sure they stop.
import { spawn } from "node:child_process";
import { existsSync, readFileSync, appendFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

/** The installed package's directory (node_modules/cloudmqtt-api above these tests). */
export function packageDir() {
  if (process.env.CLOUDMQTT_PKG_DIR) return process.env.CLOUDMQTT_PKG_DIR;
  let dir = here;
  for (;;) {
    const candidate = path.join(dir, "node_modules", "cloudmqtt-api");
    if (existsSync(path.join(candidate, "package.json"))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("cloudmqtt-api is not installed above the tests");
    dir = parent;
  }
}

/** The directory of the scratch project that installed the package. */
export function projectDir() {
  return path.dirname(path.dirname(packageDir()));
}

export function packageJson() {
  return JSON.parse(readFileSync(path.join(packageDir(), "package.json"), "utf8"));
}

/**
 * Resolves `subpath` of the exports map with the given conditions, in the
 * order the map lists them (as Node and bundlers do). Returns the target
 * (e.g. "./dist/workerd/index.js") and the chain of conditions taken.
 */
export function resolveExport(pkg, conditions, subpath = ".") {
  let entry = pkg.exports;
  if (entry === undefined) return null;
  if (typeof entry === "string" || Array.isArray(entry) || !Object.keys(entry).some((k) => k.startsWith("."))) {
    entry = subpath === "." ? entry : undefined;
  } else {
    entry = entry[subpath];
  }
  const taken = [];
  const walk = (value) => {
    if (typeof value === "string") return value;
    if (Array.isArray(value)) {
      for (const item of value) {
        const found = walk(item);
        if (found) return found;
      }
      return null;
    }
    if (value && typeof value === "object") {
      for (const [key, inner] of Object.entries(value)) {
        if (key === "types") continue;
        if (conditions.includes(key)) {
          taken.push(key);
          const found = walk(inner);
          if (found) return found;
          taken.pop();
        }
      }
    }
    return null;
  };
  const target = walk(entry);
  return target ? { target, conditions: taken } : null;
}

/** Whether the exports map names `condition` anywhere for `subpath`. */
export function exportsMention(pkg, condition, subpath = ".") {
  const entry = pkg.exports && typeof pkg.exports === "object" && !Array.isArray(pkg.exports) ? pkg.exports[subpath] ?? pkg.exports : pkg.exports;
  const search = (value) =>
    value && typeof value === "object" && Object.entries(value).some(([key, inner]) => key === condition || search(inner));
  return search(entry);
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const children = new Set();

/**
 * Starts a child process in its own process group and records its pid (for
 * the runner's clean-up). Output is collected in `child.output`.
 */
export function start(command, args, options = {}) {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], detached: true, ...options });
  child.output = "";
  child.stdout.on("data", (chunk) => {
    child.output += chunk;
  });
  child.stderr.on("data", (chunk) => {
    child.output += chunk;
  });
  child.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  children.add(child);
  child.once("exit", () => children.delete(child));
  if (process.env.E2E_PIDFILE && child.pid) appendFileSync(process.env.E2E_PIDFILE, `${child.pid}\n`);
  return child;
}

/** Stops a child started with start(): SIGTERM to its group, then SIGKILL. */
export async function stop(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const signalGroup = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
    }
  };
  signalGroup("SIGTERM");
  const timer = setTimeout(() => signalGroup("SIGKILL"), 3000);
  await child.exited;
  clearTimeout(timer);
  signalGroup("SIGKILL"); // anything left in its group
}

process.on("exit", () => {
  for (const child of children) {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // gone
    }
  }
});

/** Polls `url` until it answers (any status) or `ms` pass. */
export async function waitForHttp(url, ms, child) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      throw new Error(`process exited early (${child.exitCode ?? child.signalCode}):\n${child.output}`);
    }
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      return;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer within ${ms} ms: ${last}\n${child?.output ?? ""}`);
}

/** A binary from the test tooling's node_modules/.bin. */
export function toolBin(name) {
  const candidates = [
    process.env.E2E_TOOLS_BIN && path.join(process.env.E2E_TOOLS_BIN, name),
    path.join(here, "..", "node_modules", ".bin", name),
  ].filter(Boolean);
  for (const candidate of candidates) if (existsSync(candidate)) return candidate;
  throw new Error(`${name} not found in ${candidates.join(", ")}`);
}
