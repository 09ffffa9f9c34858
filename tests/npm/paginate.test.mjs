// users(): walking the user list page by page.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { clientFor, failure, useServer } from "./helpers.mjs";

const server = useServer();

const users = (...names) => names.map((username) => ({ username }));

/** Serves page N of the user list from `pages[N - 1]` (empty past the end). */
function servePages(pages) {
  server().handle((request) => {
    if (request.method !== "GET" || request.path !== "/api/user") return { status: 404 };
    const page = Number(new URLSearchParams(request.query).get("page") ?? "1");
    return { status: 200, json: pages[page - 1] ?? [] };
  });
}

async function collect(iterable) {
  const names = [];
  for await (const user of iterable) names.push(user.username);
  return names;
}

describe("users() paginator", () => {
  test("stops after a short page", async () => {
    servePages([users("a", "b"), users("c")]);
    const names = await collect(clientFor(server()).users({ pageSize: 2 }));
    assert.deepEqual(names, ["a", "b", "c"]);
    assert.deepEqual(server().calls.map((r) => r.url), ["/api/user?limit=2&page=1", "/api/user?limit=2&page=2"]);
  });

  test("exact pages end with an empty page", async () => {
    servePages([users("a", "b"), users("c", "d"), []]);
    const names = await collect(clientFor(server()).users({ pageSize: 2 }));
    assert.deepEqual(names, ["a", "b", "c", "d"]);
    assert.deepEqual(server().calls.map((r) => r.url), [
      "/api/user?limit=2&page=1",
      "/api/user?limit=2&page=2",
      "/api/user?limit=2&page=3",
    ]);
  });

  test("stops when the server ignores paging (the same full page again)", async () => {
    server().handle(() => ({ status: 200, json: users("a", "b") }));
    const names = await collect(clientFor(server()).users({ pageSize: 2 }));
    assert.deepEqual(names, ["a", "b"]);
    assert.equal(server().calls.length, 2);
  });

  test("never yields a user twice across overlapping pages", async () => {
    servePages([users("a", "b", "c"), users("c", "d", "e"), users("e", "f")]);
    const names = await collect(clientFor(server()).users({ pageSize: 3 }));
    assert.deepEqual(names, ["a", "b", "c", "d", "e", "f"]);
    assert.equal(server().calls.length, 3);
  });

  test("an empty first page yields nothing", async () => {
    servePages([]);
    assert.deepEqual(await collect(clientFor(server()).users()), []);
    assert.equal(server().calls.length, 1);
  });

  test("the default page size is 100 and the query is passed on", async () => {
    servePages([users("al", "alice")]);
    const names = await collect(clientFor(server()).users({ query: "al i" }));
    assert.deepEqual(names, ["al", "alice"]);
    assert.deepEqual(server().calls.map((r) => r.url), ["/api/user?limit=100&page=1&query=al+i"]);
  });

  test("walks many full pages of the default size", async () => {
    const all = Array.from({ length: 250 }, (_, i) => `user-${String(i).padStart(3, "0")}`);
    servePages([users(...all.slice(0, 100)), users(...all.slice(100, 200)), users(...all.slice(200))]);
    assert.deepEqual(await collect(clientFor(server()).users()), all);
    assert.equal(server().calls.length, 3);
  });

  test("is lazy: nothing is fetched before the first next(), and a break stops fetching", async () => {
    servePages([users("a", "b"), users("c", "d"), users("e")]);
    const iterator = clientFor(server()).users({ pageSize: 2 });
    assert.equal(typeof iterator[Symbol.asyncIterator], "function");
    assert.equal(iterator[Symbol.asyncIterator](), iterator);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(server().calls.length, 0);
    for await (const user of iterator) {
      assert.equal(user.username, "a");
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(server().calls.length, 1);
  });

  test("next() follows the iterator protocol", async () => {
    servePages([users("only")]);
    const iterator = clientFor(server()).users({ pageSize: 5 });
    assert.deepEqual(await iterator.next(), { value: { username: "only" }, done: false });
    const end = await iterator.next();
    assert.equal(end.done, true);
    assert.equal((await iterator.next()).done, true);
    assert.equal(server().calls.length, 1);
  });

  test("a failing page rejects next() with the error", async () => {
    server().reply({ status: 200, json: users("a", "b") }, { status: 403, json: { error: "no more" } });
    const iterator = clientFor(server()).users({ pageSize: 2 });
    assert.equal((await iterator.next()).value.username, "a");
    assert.equal((await iterator.next()).value.username, "b");
    const error = await failure(iterator.next(), "FORBIDDEN");
    assert.equal(error.serverMessage, "no more");
  });

  test("retries apply to each page", async () => {
    server().reply({ status: 503 }, { status: 200, json: users("a") });
    assert.deepEqual(await collect(clientFor(server()).users({ pageSize: 5 })), ["a"]);
    assert.equal(server().calls.length, 2);
  });

  test("an invalid page size -> INVALID_INPUT pageSize, nothing sent", async () => {
    for (const pageSize of [0, 1001, -1, 2.5, "10"]) {
      const error = await failure(() => collect(clientFor(server()).users({ pageSize })), "INVALID_INPUT", `pageSize ${pageSize}`);
      assert.equal(error.field, "pageSize");
    }
    assert.equal(server().calls.length, 0);
  });

  test("an abort signal stops the walk", async () => {
    server().handle(() => ({ status: 200, json: users("a", "b"), delayMs: 3000 }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await failure(() => collect(clientFor(server()).users({ pageSize: 2 }, { signal: controller.signal })), "ABORTED");
  });
});
