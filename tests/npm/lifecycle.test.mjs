// How the package behaves in a real program: concurrent calls, several
// clients, one error class for import and require, and no timer that keeps
// a finished process alive.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { CloudMqtt, CloudMqttError, clientFor, failure, useServer } from "./helpers.mjs";

const server = useServer();
const here = path.dirname(fileURLToPath(import.meta.url));

/** Runs an ES module snippet in a fresh node process from this folder. */
function runNode(source, timeoutMs = 20000) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ["--input-type=module", "-e", source], { cwd: here, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c) => (output += c));
    child.stderr.on("data", (c) => (output += c));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output, ms: Date.now() - started });
    });
  });
}

describe("concurrency", () => {
  test("parallel calls on one client each get their own answer", async () => {
    server().handle((request) => {
      const name = decodeURIComponent(request.path.slice("/api/user/".length));
      const delay = (Number(name.split("-")[1]) * 37) % 200;
      return { status: 200, json: { username: name, acls: [] }, delayMs: delay };
    });
    const client = clientFor(server());
    const names = Array.from({ length: 40 }, (_, i) => `user-${i}`);
    const infos = await Promise.all(names.map((name) => client.getUser(name)));
    assert.deepEqual(infos.map((info) => info.username), names);
    assert.equal(server().calls.length, 40);
  });

  test("parallel successes and failures do not mix", async () => {
    server().handle((request) => {
      const name = decodeURIComponent(request.path.slice("/api/user/".length));
      const n = Number(name.split("-")[1]);
      return n % 2
        ? { status: 404, json: { error: `no ${name}` }, delayMs: (n * 13) % 100 }
        : { status: 200, json: { username: name }, delayMs: (n * 29) % 100 };
    });
    const client = clientFor(server(), { maxRetries: 0 });
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => client.getUser(`u-${i}`)));
    results.forEach((result, i) => {
      if (i % 2) {
        assert.equal(result.status, "rejected");
        assert.ok(result.reason instanceof CloudMqttError);
        assert.equal(result.reason.code, "NOT_FOUND");
        assert.equal(result.reason.serverMessage, `no u-${i}`);
      } else {
        assert.equal(result.status, "fulfilled");
        assert.equal(result.value.username, `u-${i}`);
      }
    });
  });

  test("two clients keep their own key, base URL and encoding", async () => {
    server().handle(() => ({ status: 204 }));
    const one = new CloudMqtt({ apiKey: "key-one", baseUrl: server().baseUrl, encoding: "json" });
    const two = new CloudMqtt({ apiKey: "key-two", baseUrl: `${server().url}/other`, encoding: "form" });
    await Promise.all([one.updateUserPassword("a", "pa"), two.updateUserPassword("b", "pb"), one.deleteUser("c"), two.deleteUser("d")]);
    const byPath = Object.fromEntries(server().calls.map((r) => [`${r.method} ${r.path}`, r]));
    const auth = (key) => `Basic ${Buffer.from(`:${key}`).toString("base64")}`;
    assert.equal(byPath["PUT /api/user/a"].headers.authorization, auth("key-one"));
    assert.equal(byPath["PUT /api/user/a"].text, '{"password":"pa"}');
    assert.equal(byPath["PUT /other/user/b"].headers.authorization, auth("key-two"));
    assert.equal(byPath["PUT /other/user/b"].text, "password=pb");
    assert.equal(byPath["DELETE /api/user/c"].headers.authorization, auth("key-one"));
    assert.equal(byPath["DELETE /other/user/d"].headers.authorization, auth("key-two"));
  });

  test("a large user list decodes completely", async () => {
    const names = Array.from({ length: 1000 }, (_, i) => `user-${i}-ü-名`);
    server().reply({ status: 200, json: names.map((username) => ({ username })) });
    const users = await clientFor(server()).listUsers({ limit: 1000 });
    assert.deepEqual(users.map((u) => u.username), names);
  });
});

describe("module identity", () => {
  test("errors and clients of import and require are instances of both copies' classes", async () => {
    const require = createRequire(import.meta.url);
    const required = require("cloudmqtt-api");
    server().reply({ status: 404 });
    const requiredClient = new required.CloudMqtt({ apiKey: "k", baseUrl: server().baseUrl });
    const error = await failure(requiredClient.getUser("x"), "NOT_FOUND");
    assert.ok(error instanceof CloudMqttError);
    assert.ok(error instanceof required.CloudMqttError);
    assert.ok(error instanceof Error);
    assert.ok(requiredClient instanceof CloudMqtt);
    server().reply({ status: 404 });
    const imported = await failure(new CloudMqtt({ apiKey: "k", baseUrl: server().baseUrl }).getUser("x"), "NOT_FOUND");
    assert.ok(imported instanceof required.CloudMqttError);
    assert.ok(!(new Error("other") instanceof CloudMqttError));
    assert.ok(!({ code: "NOT_FOUND" } instanceof required.CloudMqttError));
    assert.ok(!(requiredClient instanceof CloudMqttError));
  });
});

describe("process lifetime", () => {
  test("a program exits promptly after its calls, even with long timeouts", async () => {
    server().handle(() => ({ status: 200, json: [{ username: "a" }] }));
    const result = await runNode(`
      import { CloudMqtt } from "cloudmqtt-api";
      const client = new CloudMqtt({ apiKey: "k", baseUrl: ${JSON.stringify(server().baseUrl)}, timeoutMs: 60000 });
      const users = await client.listUsers({}, { signal: new AbortController().signal });
      console.log("got", users.length);
    `);
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /got 1/);
    assert.ok(result.ms < 5000, `the process lived ${result.ms} ms`);
  });

  test("a program exits promptly after a retried call and a wait", async () => {
    let probes = 0;
    server().handle((request) => {
      if (request.method === "POST") return { status: 201 };
      probes += 1;
      return probes < 2 ? { status: 503 } : { status: 200, json: { username: "n" } };
    });
    const result = await runNode(`
      import { CloudMqtt } from "cloudmqtt-api";
      const client = new CloudMqtt({ apiKey: "k", baseUrl: ${JSON.stringify(server().baseUrl)} });
      await client.createUser({ username: "n", password: "p" }, { wait: { intervalMs: 50, timeoutMs: 60000 } });
      console.log("created");
    `);
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /created/);
    assert.ok(result.ms < 5000, `the process lived ${result.ms} ms`);
  });

  test("a program that fails exits promptly with the error", async () => {
    server().handle(() => ({ status: 500, body: "down" }));
    const result = await runNode(`
      import { CloudMqtt } from "cloudmqtt-api";
      const client = new CloudMqtt({ apiKey: "k", baseUrl: ${JSON.stringify(server().baseUrl)}, maxRetries: 0 });
      try { await client.listAcls(); } catch (error) { console.log("failed", error.code); }
    `);
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /failed SERVER_ERROR/);
    assert.ok(result.ms < 5000, `the process lived ${result.ms} ms`);
  });
});
