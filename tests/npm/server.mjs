// A loopback HTTP server that records every request and answers from a
// per-test script.
//
// In-process use (node:test):
//   const server = await startServer();
//   server.reply({ status: 200, json: [{ username: "a" }] });   // queued, in order
//   server.route("GET /api/user/bob", { status: 404 });          // fixed, by method + path
//   server.handle((req) => ({ status: 200, body: "..." }));      // fallback function
//   ... server.requests[0].method / url / path / query / headers / body (Buffer) / text
//   await server.close();
//
// A reply is { status, headers, body (string | Buffer), json (any: sent as
// JSON), delayMs (wait before answering), destroy (true: drop the socket
// without an answer, a network error for the client), stall (true: send the
// head and `body`, then never finish) }.
//
// Child-process use (workerd, Deno, Chromium tests):
//   node server.mjs [--cors] [--scenario fixed]
// prints one JSON line {"url": "http://127.0.0.1:PORT"} and serves until
// killed. Control endpoints (never recorded):
//   GET  /__control/requests   every recorded request as JSON (body as text and base64)
//   POST /__control/reset      forget requests, routes and queued replies
//   POST /__control/reply      body: a reply or a list of replies to queue
//   POST /__control/route      body: {"route": "GET /api/x", "reply": {...}}
// With --cors every answer carries Access-Control-Allow-Origin: * and
// OPTIONS preflights are answered (and recorded with preflight: true),
// except under /nocors/, which behaves like a server that knows no CORS.

import http from "node:http";
import { fileURLToPath } from "node:url";

const CORS_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, PUT, DELETE, OPTIONS",
  "access-control-allow-headers": "authorization, content-type, accept",
  "access-control-max-age": "600",
};

/** The scenario the cross-runtime tests rely on. */
export function fixedScenario(req) {
  const { method, path } = req;
  if (path.startsWith("/redirecting/")) {
    return { status: 302, headers: { location: `/trap/${path.slice("/redirecting/".length)}` }, body: "" };
  }
  if (method === "GET" && path === "/api/user/slow") {
    return { status: 200, json: { username: "slow" }, delayMs: 3000 };
  }
  if (method === "GET" && path === "/api/user/flaky") {
    // Every first try fails; the retry succeeds.
    return req.repeat % 2 === 0 ? { status: 503, body: "busy" } : { status: 200, json: { username: "flaky" } };
  }
  if (method === "GET" && path === "/api/user") {
    return { status: 200, json: [{ username: "alice" }, { user: "bob" }] };
  }
  if (method === "POST" && path === "/api/user") return { status: 204 };
  if (method === "GET" && path === "/api/user/missing") {
    return { status: 404, json: { error: "no such user" } };
  }
  if (method === "GET" && path.startsWith("/api/user/")) {
    const name = decodeURIComponent(path.slice("/api/user/".length));
    return {
      status: 200,
      json: { username: name, acls: [{ topic: "sensor/%u", read: false, write: true }] },
    };
  }
  if (method === "DELETE" && path.startsWith("/api/user/")) return { status: 204 };
  if (method === "PUT" && path.startsWith("/api/user/")) return { status: 204 };
  if (method === "GET" && path === "/api/acl") {
    return {
      status: 200,
      json: [
        { type: "topic", pattern: "test/users/topic", read: true, write: true, username: "custom-user" },
        { type: "pattern", pattern: "sensor/%u/data", read: true, write: false, username: null },
      ],
    };
  }
  if (method === "POST" && path === "/api/acl") return { status: 201, body: "" };
  if (method === "DELETE" && path === "/api/acl") return { status: 204 };
  if (method === "POST" && path === "/api/instance/restart") {
    return { status: 401, json: { message: "bad key" } };
  }
  if (method === "POST" && path === "/api/instance/reset") return { status: 200 };
  return { status: 404, body: "not found" };
}

export async function startServer({ cors = false, scenario = null, host = "127.0.0.1" } = {}) {
  const requests = [];
  const queue = [];
  const routes = new Map();
  let handler = scenario;
  const sockets = new Set();

  const server = http.createServer({ maxHeaderSize: 1024 * 1024 }, (req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const parsed = new URL(req.url, "http://localhost");
      if (parsed.pathname.startsWith("/__control/")) {
        control(parsed.pathname, req.method, body, res);
        return;
      }
      const record = {
        method: req.method,
        url: req.url,
        path: parsed.pathname,
        query: parsed.search,
        headers: { ...req.headers },
        rawHeaders: req.rawHeaders.slice(),
        body,
        text: body.toString("utf8"),
        at: Date.now(),
        preflight: req.method === "OPTIONS" && cors,
      };
      const corsHere = cors && !parsed.pathname.startsWith("/nocors/");
      // How many requests with the same method and URL came before.
      record.repeat = requests.filter((r) => r.method === record.method && r.url === record.url).length;
      requests.push(record);
      if (record.preflight) {
        res.writeHead(corsHere ? 204 : 404, corsHere ? CORS_HEADERS : {});
        res.end();
        return;
      }
      let reply;
      if (queue.length > 0) reply = queue.shift();
      else if (routes.has(`${req.method} ${parsed.pathname}`)) {
        reply = routes.get(`${req.method} ${parsed.pathname}`);
      } else if (handler) reply = handler(record);
      else reply = { status: 200, body: "" };
      if (typeof reply === "function") reply = reply(record);
      send(reply ?? { status: 200 }, req, res, corsHere);
    });
  });

  function send(reply, req, res, corsHere) {
    const go = () => {
      if (reply.destroy) {
        req.socket.destroy();
        return;
      }
      const headers = { ...(corsHere ? { "access-control-allow-origin": "*" } : {}), ...(reply.headers ?? {}) };
      let body = reply.body ?? "";
      if (reply.json !== undefined) {
        body = JSON.stringify(reply.json);
        if (!Object.keys(headers).some((k) => k.toLowerCase() === "content-type")) {
          headers["content-type"] = "application/json";
        }
      }
      if (res.destroyed) return;
      res.writeHead(reply.status ?? 200, headers);
      if (reply.stall) {
        // Send the head and the start of the body, then nothing more.
        res.flushHeaders();
        res.write(body);
        return;
      }
      res.end(body);
    };
    if (reply.delayMs) {
      const timer = setTimeout(go, reply.delayMs);
      res.on("close", () => clearTimeout(timer));
    } else go();
  }

  function control(path, method, body, res) {
    const json = (status, value) => {
      res.writeHead(status, { "content-type": "application/json", ...(cors ? CORS_HEADERS : {}) });
      res.end(JSON.stringify(value));
    };
    if (method === "OPTIONS") return json(204, {});
    try {
      if (path === "/__control/requests") {
        return json(
          200,
          requests.map(({ body: b, ...rest }) => ({ ...rest, bodyBase64: b.toString("base64") })),
        );
      }
      if (path === "/__control/reset" && method === "POST") {
        requests.length = 0;
        queue.length = 0;
        routes.clear();
        return json(200, { ok: true });
      }
      if (path === "/__control/reply" && method === "POST") {
        const value = JSON.parse(body.toString("utf8"));
        queue.push(...(Array.isArray(value) ? value : [value]));
        return json(200, { ok: true });
      }
      if (path === "/__control/route" && method === "POST") {
        const { route, reply } = JSON.parse(body.toString("utf8"));
        routes.set(route, reply);
        return json(200, { ok: true });
      }
      return json(404, { error: "unknown control endpoint" });
    } catch (error) {
      return json(400, { error: String(error) });
    }
  }

  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address();
  const url = `http://${host}:${port}`;

  return {
    url,
    baseUrl: `${url}/api`,
    port,
    requests,
    /** Requests other than CORS preflights. */
    get calls() {
      return requests.filter((r) => !r.preflight);
    },
    reply(...replies) {
      queue.push(...replies);
      return this;
    },
    route(route, reply) {
      routes.set(route, reply);
      return this;
    },
    handle(fn) {
      handler = fn;
      return this;
    },
    reset() {
      requests.length = 0;
      queue.length = 0;
      routes.clear();
      handler = scenario;
      return this;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

// Started as a program: serve until killed.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const cors = args.includes("--cors");
  const scenarioIndex = args.indexOf("--scenario");
  const scenario = scenarioIndex >= 0 && args[scenarioIndex + 1] === "none" ? null : fixedScenario;
  const server = await startServer({ cors, scenario });
  process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
  const stop = async () => {
    await server.close();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
