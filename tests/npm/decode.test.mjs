// listUsers hands a body already in the documented compact shape straight
// to JSON.parse; every other body goes through the core's tolerant parser.
// Both must give the same objects, and the status is checked first.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CloudMqtt } from "cloudmqtt-api";

function clientAnswering(status, body) {
  return new CloudMqtt({
    apiKey: "decode-key",
    baseUrl: "https://api.example.test/api",
    maxRetries: 0,
    fetch: async () => new Response(body, { status, headers: { "content-type": "application/json" } }),
  });
}

const names = ["alice", "", "名前", "jürgen", "a/b", "%u", "with space", "😀", "quote\"d", "back\\slash", "tab\there", "\u2028"];
const expected = names.map((username) => ({ username }));

test("canonical and tolerated bodies decode to the same users", async () => {
  const bodies = {
    canonical: JSON.stringify(names.filter((n) => !/["\\\t]/.test(n)).map((username) => ({ username }))),
    escaped: JSON.stringify(expected),
    spaced: JSON.stringify(expected, null, 2),
    wrapped: JSON.stringify({ items: expected }),
    userKey: JSON.stringify(names.map((user) => ({ user }))),
    bare: JSON.stringify(names),
    extraFields: JSON.stringify(names.map((username) => ({ username, password: "x" }))),
  };
  for (const [kind, body] of Object.entries(bodies)) {
    const want = kind === "canonical" ? names.filter((n) => !/["\\\t]/.test(n)).map((username) => ({ username })) : expected;
    assert.deepEqual(await clientAnswering(200, body).listUsers(), want, kind);
  }
  assert.deepEqual(await clientAnswering(200, "[]").listUsers(), []);
  assert.deepEqual(await clientAnswering(200, "").listUsers(), []);
});

test("a canonical-looking body with an error status is an error", async () => {
  const error = await clientAnswering(404, '[{"username":"alice"}]').listUsers().catch((caught) => caught);
  assert.equal(error.code, "NOT_FOUND");
});

test("a body that is not a user list is DECODE", async () => {
  for (const body of ['[{"username":1}]', '[{"username":"a"},]', "{", '[{"username":"\\ud800"}]x']) {
    const error = await clientAnswering(200, body).listUsers().catch((caught) => caught);
    assert.equal(error.code, "DECODE", body);
  }
});

test("every call gets fresh objects", async () => {
  const client = clientAnswering(200, '[{"username":"alice"}]');
  const first = await client.listUsers();
  first[0].username = "changed";
  assert.deepEqual(await client.listUsers(), [{ username: "alice" }]);
});
