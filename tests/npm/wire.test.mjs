// The exact requests every method sends, in both body encodings, and how
// each method reads a successful answer.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AUTHORIZATION, clientFor, useServer } from "./helpers.mjs";

const server = useServer();

function only(srv) {
  assert.equal(srv.calls.length, 1, `expected one request, got ${srv.calls.map((r) => `${r.method} ${r.url}`)}`);
  return srv.calls[0];
}

function assertCommonHeaders(request) {
  assert.equal(request.headers.authorization, AUTHORIZATION);
  assert.equal(request.headers.accept, "application/json");
  assert.equal(request.headers.cookie, undefined);
}

function assertNoBody(request) {
  assert.equal(request.body.length, 0, `unexpected body ${JSON.stringify(request.text)}`);
  assert.equal(request.headers["content-type"], undefined);
}

const CONTENT_TYPE = { json: "application/json", form: "application/x-www-form-urlencoded" };

for (const encoding of ["json", "form"]) {
  describe(`wire format with encoding "${encoding}"`, () => {
    test("restartInstance: POST /instance/restart without a body", async () => {
      server().reply({ status: 200, body: "" });
      const result = await clientFor(server(), { encoding }).restartInstance();
      assert.equal(result, undefined);
      const request = only(server());
      assert.equal(request.method, "POST");
      assert.equal(request.url, "/api/instance/restart");
      assertCommonHeaders(request);
      assertNoBody(request);
    });

    test("resetInstance: POST /instance/reset without a body", async () => {
      server().reply({ status: 202, body: "whatever" });
      assert.equal(await clientFor(server(), { encoding }).resetInstance(), undefined);
      const request = only(server());
      assert.equal(request.method, "POST");
      assert.equal(request.url, "/api/instance/reset");
      assertCommonHeaders(request);
      assertNoBody(request);
    });

    test("listUsers without parameters: GET /user", async () => {
      server().reply({ status: 200, json: [{ username: "test" }, { username: "other" }] });
      const users = await clientFor(server(), { encoding }).listUsers();
      assert.deepEqual(users, [{ username: "test" }, { username: "other" }]);
      const request = only(server());
      assert.equal(request.method, "GET");
      assert.equal(request.url, "/api/user");
      assertCommonHeaders(request);
      assertNoBody(request);
    });

    test("listUsers with limit, page and query: form-urlencoded query", async () => {
      server().reply({ status: 200, json: [] });
      const users = await clientFor(server(), { encoding }).listUsers({ limit: 10, page: 2, query: "al ice&x=1" });
      assert.deepEqual(users, []);
      assert.equal(only(server()).url, "/api/user?limit=10&page=2&query=al+ice%26x%3D1");
    });

    test("listUsers encodes a query with non-ASCII characters and plus signs", async () => {
    server().reply({ status: 200, json: [] }, { status: 200, json: [] });
    const client = clientFor(server(), { encoding });
    await client.listUsers({ query: "jürgen+1/2" });
    await client.listUsers({ page: 3 });
    assert.deepEqual(server().calls.map((r) => r.url), ["/api/user?query=j%C3%BCrgen%2B1%2F2", "/api/user?page=3"]);
  });

  test("listUsers with limit 1000 and an empty query sends only the limit", async () => {
      server().reply({ status: 200, json: [] });
      await clientFor(server(), { encoding }).listUsers({ limit: 1000, query: "" });
      assert.equal(only(server()).url, "/api/user?limit=1000");
    });

    test("getUser: GET /user/NAME with the name percent-encoded as one segment", async () => {
      const cases = [
        ["test", "test"],
        ["a/b c", "a%2Fb%20c"],
        ["../x", "..%2Fx"],
        ["%", "%25"],
        ["?", "%3F"],
        ["#", "%23"],
        ["+", "%2B"],
        ["jürgen", "j%C3%BCrgen"],
        ["名前", "%E5%90%8D%E5%89%8D"],
        ["a.b-c_d~e", "a.b-c_d~e"],
      ];
      const client = clientFor(server(), { encoding });
      for (const [name, encoded] of cases) {
        server().reset();
        server().reply({ status: 200, json: { username: name, acls: [{ topic: "sensor/%u", read: false, write: true }] } });
        const info = await client.getUser(name);
        assert.deepEqual(info, { username: name, acls: [{ topic: "sensor/%u", read: false, write: true }] });
        const request = only(server());
        assert.equal(request.method, "GET");
        assert.equal(request.url, `/api/user/${encoded}`, `for ${JSON.stringify(name)}`);
        assertCommonHeaders(request);
        assertNoBody(request);
      }
    });

    test("createUser: POST /user with username then password", async () => {
      server().reply({ status: 201, body: "" });
      const result = await clientFor(server(), { encoding }).createUser({ username: "test", password: "super_secret_password" });
      assert.equal(result, undefined);
      const request = only(server());
      assert.equal(request.method, "POST");
      assert.equal(request.url, "/api/user");
      assertCommonHeaders(request);
      assert.equal(request.headers["content-type"], CONTENT_TYPE[encoding]);
      const expected = {
        json: '{"username":"test","password":"super_secret_password"}',
        form: "username=test&password=super_secret_password",
      }[encoding];
      assert.equal(request.text, expected);
      assert.equal(request.headers["content-length"], String(Buffer.byteLength(expected)));
    });

    test("createUser escapes awkward names and passwords", async () => {
      server().reply({ status: 204 });
      const username = 'qu"o\\te jürgen/&=+';
      const password = "p w\t&=+%ü";
      await clientFor(server(), { encoding }).createUser({ username, password });
      const request = only(server());
      if (encoding === "json") {
        assert.equal(request.text, JSON.stringify({ username, password }));
      } else {
        assert.equal(request.text, new URLSearchParams({ username, password }).toString());
        assert.equal(request.text, "username=qu%22o%5Cte+j%C3%BCrgen%2F%26%3D%2B&password=p+w%09%26%3D%2B%25%C3%BC");
      }
    });

    test("updateUserPassword: PUT /user/NAME with the password", async () => {
      server().reply({ status: 204 });
      assert.equal(await clientFor(server(), { encoding }).updateUserPassword("a/b", "new pw"), undefined);
      const request = only(server());
      assert.equal(request.method, "PUT");
      assert.equal(request.url, "/api/user/a%2Fb");
      assertCommonHeaders(request);
      assert.equal(request.headers["content-type"], CONTENT_TYPE[encoding]);
      assert.equal(request.text, { json: '{"password":"new pw"}', form: "password=new+pw" }[encoding]);
    });

    test("deleteUser: DELETE /user/NAME without a body", async () => {
      server().reply({ status: 204 });
      assert.equal(await clientFor(server(), { encoding }).deleteUser("test"), undefined);
      const request = only(server());
      assert.equal(request.method, "DELETE");
      assert.equal(request.url, "/api/user/test");
      assertCommonHeaders(request);
      assertNoBody(request);
    });

    test("listAcls: GET /acl and both kinds of rule", async () => {
      server().reply({
        status: 200,
        json: [
          { type: "topic", pattern: "test/users/topic", read: true, write: true, username: "custom-user" },
          { type: "pattern", pattern: "sensor/%u/data", read: true, write: false, username: null },
        ],
      });
      const rules = await clientFor(server(), { encoding }).listAcls();
      assert.deepEqual(rules, [
        { type: "topic", pattern: "test/users/topic", read: true, write: true, username: "custom-user" },
        { type: "pattern", pattern: "sensor/%u/data", read: true, write: false, username: null },
      ]);
      const request = only(server());
      assert.equal(request.method, "GET");
      assert.equal(request.url, "/api/acl");
      assertCommonHeaders(request);
      assertNoBody(request);
    });

    test("createAcl topic rule: type, username, pattern, read, write", async () => {
      server().reply({ status: 201 });
      await clientFor(server(), { encoding }).createAcl({ type: "topic", username: "test", pattern: "readonly/#", read: true, write: false });
      const request = only(server());
      assert.equal(request.method, "POST");
      assert.equal(request.url, "/api/acl");
      assertCommonHeaders(request);
      assert.equal(request.headers["content-type"], CONTENT_TYPE[encoding]);
      assert.equal(
        request.text,
        {
          json: '{"type":"topic","username":"test","pattern":"readonly/#","read":true,"write":false}',
          form: "type=topic&username=test&pattern=readonly%2F%23&read=true&write=false",
        }[encoding],
      );
    });

    test("createAcl pattern rule: no username field", async () => {
      server().reply({ status: 200 });
      await clientFor(server(), { encoding }).createAcl({ type: "pattern", pattern: "sensor/%u/+", read: false, write: true });
      const request = only(server());
      assert.equal(request.method, "POST");
      assert.equal(request.url, "/api/acl");
      assert.equal(
        request.text,
        {
          json: '{"type":"pattern","pattern":"sensor/%u/+","read":false,"write":true}',
          form: "type=pattern&pattern=sensor%2F%25u%2F%2B&read=false&write=true",
        }[encoding],
      );
    });

    test("deleteAcl: DELETE /acl with username then topic in the body", async () => {
      server().reply({ status: 204 });
      assert.equal(await clientFor(server(), { encoding }).deleteAcl({ username: "test", topic: "readonly" }), undefined);
      const request = only(server());
      assert.equal(request.method, "DELETE");
      assert.equal(request.url, "/api/acl");
      assertCommonHeaders(request);
      assert.equal(request.headers["content-type"], CONTENT_TYPE[encoding]);
      assert.equal(
        request.text,
        { json: '{"username":"test","topic":"readonly"}', form: "username=test&topic=readonly" }[encoding],
      );
    });

    test("deleteAcl of pattern rules: DELETE /acl with only the topic in the body", async () => {
      server().reply({ status: 204 });
      const client = clientFor(server(), { encoding });
      assert.equal(await client.deleteAcl({ type: "pattern", topic: "home/%u/#" }), undefined);
      const request = only(server());
      assert.equal(request.method, "DELETE");
      assert.equal(request.url, "/api/acl");
      assert.equal(request.headers["content-type"], CONTENT_TYPE[encoding]);
      assert.equal(request.text, { json: '{"topic":"home/%u/#"}', form: "topic=home%2F%25u%2F%23" }[encoding]);
    });
  });
}

describe("configuration on the wire", () => {
  test("encoding defaults to JSON", async () => {
    server().reply({ status: 204 });
    await clientFor(server()).updateUserPassword("u", "p");
    const request = only(server());
    assert.equal(request.headers["content-type"], "application/json");
    assert.equal(request.text, '{"password":"p"}');
  });

  test("a trailing slash on baseUrl is not doubled", async () => {
    server().reply({ status: 200, json: [] });
    await clientFor(server(), { baseUrl: `${server().baseUrl}/` }).listAcls();
    assert.equal(only(server()).url, "/api/acl");
  });

  test("baseUrl without a path prefix", async () => {
    server().reply({ status: 200, json: [] });
    await clientFor(server(), { baseUrl: server().url }).listUsers();
    assert.equal(only(server()).url, "/user");
  });

  test("the Authorization header is Basic with an empty user and the key as password", async () => {
    server().reply({ status: 200, json: [] });
    await clientFor(server()).listUsers();
    const header = only(server()).headers.authorization;
    assert.match(header, /^Basic /);
    assert.equal(Buffer.from(header.slice(6), "base64").toString("utf8"), ":k3y-S3cret-Value-4711");
  });
});

describe("reading successful answers", () => {
  test("every 2xx is a success, whatever the body", async () => {
    const client = clientFor(server());
    for (const status of [200, 201, 202, 204]) {
      server().reset();
      server().reply({ status, body: status === 204 ? "" : "not json at all" });
      assert.equal(await client.createUser({ username: "u", password: "p" }), undefined, `status ${status}`);
      server().reply({ status, body: status === 204 ? "" : "<html>ok</html>" });
      assert.equal(await client.deleteUser("u"), undefined);
    }
  });

  test("user lists: bare, under items, `user` alias, bare names, empty body", async () => {
    const client = clientFor(server());
    const shapes = [
      [[{ username: "a" }, { username: "b", extra: 1 }], ["a", "b"]],
      [{ items: [{ username: "a" }] }, ["a"]],
      [[{ user: "aliased" }], ["aliased"]],
      [["x", "y"], ["x", "y"]],
    ];
    for (const [json, names] of shapes) {
      server().reply({ status: 200, json });
      assert.deepEqual(await client.listUsers(), names.map((username) => ({ username })), JSON.stringify(json));
    }
    server().reply({ status: 200, body: "" });
    assert.deepEqual(await client.listUsers(), []);
  });

  test("getUser without acls gives an empty list", async () => {
    server().reply({ status: 200, json: { username: "solo" } });
    assert.deepEqual(await clientFor(server()).getUser("solo"), { username: "solo", acls: [] });
  });

  test("ACL lists under items", async () => {
    server().reply({ status: 200, json: { items: [{ type: "pattern", pattern: "p", read: true, write: true, username: null }] } });
    assert.deepEqual(await clientFor(server()).listAcls(), [
      { type: "pattern", pattern: "p", read: true, write: true, username: null },
    ]);
  });
});
