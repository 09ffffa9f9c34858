// A small CloudMQTT-like server for the access tests, handed to the client
// as its `fetch`: users and rules, creates and deletes that show only after
// `delayMs`, 404 for a delete that matches nothing, 400 for a user that
// exists. Every request is recorded.
export class AccessServer {
  constructor(delayMs) {
    this.delayMs = delayMs;
    this.users = new Map();
    this.rules = [];
    this.pending = [];
    this.log = [];
    this.progress = [];
    this.active = 0;
    this.maxActive = 0;
  }

  get fetch() {
    return (request) => this.handle(request);
  }

  settle() {
    const now = Date.now();
    const due = this.pending.filter((p) => p.at <= now);
    this.pending = this.pending.filter((p) => p.at > now);
    for (const { change } of due) change();
  }

  same(a, b) {
    return a.type === b.type && (a.username ?? null) === (b.username ?? null) && a.pattern === b.pattern;
  }

  later(change) {
    this.pending.push({ at: Date.now() + this.delayMs, change });
  }

  async handle(request) {
    // Each request is held a moment, so that requests sent together are
    // seen together.
    this.active += 1;
    this.maxActive = Math.max(this.maxActive, this.active);
    await new Promise((resolve) => setTimeout(resolve, 5));
    this.active -= 1;
    this.settle();
    const url = new URL(request.url);
    const path = url.pathname.replace(/^\/api/, "");
    const text = await request.text();
    const body = text ? JSON.parse(text) : {};
    this.log.push(`${request.method} ${path}${url.search}`);
    const json = (value) => new Response(JSON.stringify(value), { status: 200 });
    const status = (code) => new Response(code === 204 ? null : `status ${code}`, { status: code });
    if (request.method === "GET" && path === "/user") {
      const limit = Number(url.searchParams.get("limit") ?? 1000);
      const page = Number(url.searchParams.get("page") ?? 1);
      const names = [...this.users.keys()].sort().slice((page - 1) * limit, page * limit);
      return json(names.map((username) => ({ username })));
    }
    if (request.method === "GET" && path === "/acl") return json(this.rules);
    if (request.method === "POST" && path === "/user") {
      if (this.users.has(body.username)) return status(400);
      this.later(() => this.users.set(body.username, body.password));
      return status(204);
    }
    if (request.method === "PUT" && path.startsWith("/user/")) {
      const name = decodeURIComponent(path.slice(6));
      if (!this.users.has(name)) return status(404);
      this.users.set(name, body.password);
      return status(204);
    }
    if (request.method === "DELETE" && path.startsWith("/user/")) {
      const name = decodeURIComponent(path.slice(6));
      if (!this.users.has(name)) return status(404);
      this.later(() => {
        this.users.delete(name);
        this.rules = this.rules.filter((r) => r.username !== name);
      });
      return status(204);
    }
    if (request.method === "POST" && path === "/acl") {
      const rule = { type: body.type, pattern: body.pattern, read: body.read, write: body.write, username: body.username ?? null };
      this.later(() => {
        this.rules = this.rules.filter((r) => !this.same(r, rule));
        this.rules.push(rule);
      });
      return status(204);
    }
    if (request.method === "DELETE" && path === "/acl") {
      const match = (r) =>
        r.pattern === body.topic && (body.username ? r.type === "topic" && r.username === body.username : r.type === "pattern");
      if (!this.rules.some(match)) return status(404);
      this.later(() => {
        this.rules = this.rules.filter((r) => !match(r));
      });
      return status(204);
    }
    return status(404);
  }

  get onProgress() {
    return (change, state) => this.progress.push(`${state} ${change.action} ${change.kind}`);
  }

  userNames() {
    return [...this.users.keys()].sort().join(",");
  }

  password(name) {
    return this.users.get(name) ?? null;
  }

  ruleList() {
    return JSON.stringify(this.rules.map((r) => `${r.type}:${r.username}:${r.pattern}:${r.read}:${r.write}`).sort());
  }
}

// Steps a task (crates/wasm/src/task.rs) as the npm package's driver does,
// with `fetch`, every request it sends in flight at once: resolves to the
// result, rejects with the error object. Timers stand in for the wall clock.
export async function driveTask(task, fetch, onProgress) {
  const flying = new Map();
  try {
    for (;;) {
      const step = task.step(Date.now());
      const kind = step[0];
      const rest = step.slice(1);
      if (kind === "S") {
        const request = JSON.parse(rest);
        flying.set(request.ticket, carry(request, fetch));
      } else if (kind === "V") {
        // A retry or a wait (for a logger) has no change.
        const { change, state } = JSON.parse(rest);
        if (change !== undefined) onProgress(change, state);
      } else if (kind === "W" || kind === "P") {
        const waits = [...flying.values()];
        if (kind === "W") waits.push(new Promise((resolve) => setTimeout(() => resolve(null), Number(rest))));
        const arrived = await Promise.race(waits);
        if (arrived !== null) {
          flying.delete(arrived.ticket);
          arrived.handIn(task);
        }
      } else if (kind === "D") {
        return JSON.parse(rest);
      } else if (kind === "E") {
        throw JSON.parse(rest);
      } else {
        throw new Error(`unexpected step ${step}`);
      }
    }
  } finally {
    task.free();
  }
}

async function carry({ ticket, url, init }, fetch) {
  try {
    const response = await fetch(new Request(url, init));
    const body = new Uint8Array(await response.arrayBuffer());
    const headers = response.headers;
    return {
      ticket,
      handIn: (task) =>
        task.respond(ticket, response.status, headers.get("content-type"), headers.get("retry-after"), body, Date.now()),
    };
  } catch (error) {
    return { ticket, handIn: (task) => task.fail(ticket, false, String(error), Date.now()) };
  }
}
