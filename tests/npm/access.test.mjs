// evaluateAccess (pure, synchronous) and client.checkAccess (reads the
// rules with listAcls), both from `cloudmqtt-api/access`: the broker's
// semantics, the shapes, and bad input.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as main from "cloudmqtt-api";
import { ValidationError, diffAccess, evaluateAccess, explainAccess, testAccess } from "cloudmqtt-api/access";
import { CloudMqttError, accessClientFor as clientFor, failure, useServer } from "./helpers.mjs";

const server = useServer();

const sensor = { type: "topic", pattern: "sensors/1/#", read: true, write: true, username: "sensor-1" };
const secret = { type: "pattern", pattern: "secret/#", read: false, write: false, username: null };
const home = { type: "pattern", pattern: "home/%u/%c", read: false, write: true, username: null };
const rules = [secret, sensor, home];

function invalid(action, field) {
  let error;
  try {
    action();
  } catch (caught) {
    error = caught;
  }
  assert.ok(error instanceof CloudMqttError, `expected a CloudMqttError, got ${error}`);
  assert.equal(error.code, "INVALID_INPUT");
  assert.equal(error.field, field, error.message);
}

describe("evaluateAccess", () => {
  test("answers with the deciding rule", () => {
    assert.deepEqual(evaluateAccess(rules, { username: "sensor-1", topic: "sensors/1/t", access: "write" }), {
      allowed: true,
      rule: sensor,
    });
    // A pattern deny does not override the user's topic allow...
    const own = [secret, { ...sensor, pattern: "secret/#" }];
    assert.equal(evaluateAccess(own, { username: "sensor-1", topic: "secret/x", access: "read" }).allowed, true);
    // ...but decides for everyone else.
    assert.deepEqual(evaluateAccess(rules, { username: "other", topic: "secret/x", access: "read" }), {
      allowed: false,
      rule: secret,
    });
    assert.deepEqual(evaluateAccess(rules, { username: "other", topic: "nothing", access: "read" }), {
      allowed: false,
      rule: null,
    });
  });

  test("substitutes %u and %c in pattern rules only", () => {
    const query = { username: "bob", clientId: "c1", topic: "home/bob/c1", access: "write" };
    assert.deepEqual(evaluateAccess(rules, query), { allowed: true, rule: home });
    assert.equal(evaluateAccess(rules, { ...query, clientId: undefined }).allowed, false);
    assert.equal(evaluateAccess(rules, { ...query, access: "read" }).allowed, false);
    // `+` or `#` in the client id denies when there are pattern rules.
    assert.deepEqual(evaluateAccess(rules, { ...query, clientId: "c+" }), { allowed: false, rule: null });
  });

  test("$ topics, $SYS and $share", () => {
    const all = [{ type: "pattern", pattern: "#", read: true, write: true, username: null }];
    assert.equal(evaluateAccess(all, { username: "u", topic: "$x/y", access: "read" }).allowed, false);
    const sys = [{ type: "pattern", pattern: "$SYS/#", read: true, write: true, username: null }];
    assert.equal(evaluateAccess(sys, { username: "u", topic: "$SYS/a", access: "read" }).allowed, true);
    assert.equal(evaluateAccess(sys, { username: "u", topic: "$SYS/a", access: "write" }).allowed, false);
  });

  test("is synchronous and refuses bad input with the core's errors", () => {
    assert.ok(!(evaluateAccess([], { username: "u", topic: "a", access: "read" }) instanceof Promise));
    invalid(() => evaluateAccess(rules, { username: "u", topic: "a/+", access: "read" }), "topic");
    invalid(() => evaluateAccess(rules, { username: "", topic: "a", access: "read" }), "username");
    invalid(() => evaluateAccess(rules, { username: "u", topic: "a", access: "publish" }), "access");
    invalid(() => evaluateAccess(rules, { username: "u", clientId: 7, topic: "a", access: "read" }), "clientId");
    invalid(() => evaluateAccess(rules, null), "query");
    invalid(() => evaluateAccess("rules", { username: "u", topic: "a", access: "read" }), "rules");
    // Rules are read as tolerantly as the rule list (flags as strings or
    // numbers), but each needs a known type and a pattern.
    invalid(() => evaluateAccess([{ type: "other", pattern: "a", read: true, write: true }], { username: "u", topic: "a", access: "read" }), "rules");
    invalid(() => evaluateAccess([{ type: "pattern", read: true, write: true }], { username: "u", topic: "a", access: "read" }), "rules");
    const loose = [{ type: "pattern", pattern: "a", read: "true", write: 0, username: null }];
    assert.deepEqual(evaluateAccess(loose, { username: "u", topic: "a", access: "read" }), { allowed: true, rule: loose[0] });
  });
});

describe("client.checkAccess", () => {
  // plan-apply.test.mjs checks that the main entry's client has no
  // checkAccess and this entry's has.
  test("evaluateAccess is the access entry's only", () => {
    assert.equal("evaluateAccess" in main, false);
    assert.equal(typeof evaluateAccess, "function");
  });

  test("reads the rules with listAcls and answers", async () => {
    server().reply({ status: 200, json: rules });
    const decision = await clientFor(server()).checkAccess({ username: "sensor-1", topic: "sensors/1/x", access: "read" });
    assert.deepEqual(decision, { allowed: true, rule: sensor });
    assert.equal(server().calls.length, 1);
    assert.equal(server().calls[0].method, "GET");
    assert.equal(server().calls[0].path, "/api/acl");
  });

  test("refuses a bad query before sending anything", async () => {
    const error = await failure(() => clientFor(server()).checkAccess({ username: "u", topic: "#", access: "read" }), "INVALID_INPUT");
    assert.equal(error.field, "topic");
    assert.equal(server().calls.length, 0);
  });

  test("reports the list's failure", async () => {
    server().reply({ status: 401, json: { error: "no" } });
    await failure(() => clientFor(server(), { maxRetries: 0 }).checkAccess({ username: "u", topic: "a", access: "read" }), "UNAUTHORIZED");
  });

  test("needs its client", async () => {
    const { checkAccess } = clientFor(server());
    const error = await failure(() => checkAccess({ username: "u", topic: "a", access: "read" }), "INVALID_INPUT");
    assert.equal(error.field, "this");
  });
});

describe("testAccess", () => {
  test("runs every case and reports what the cases cover", () => {
    const report = testAccess(rules, [
      { user: "sensor-1", topic: "sensors/1/t", access: "write", expect: "allow", decidedBy: "sensors/1/#" },
      { user: "other", topic: "secret/x", access: "read", expect: "allow" },
      { user: "bob", clientId: "c1", topic: "home/bob/c1", access: "write", expect: "allow", decidedBy: "sensors/1/#" },
    ]);
    assert.equal(report.passed, 1);
    assert.equal(report.failed, 2);
    assert.deepEqual(report.cases[0], { passed: true, allowed: true, rule: sensor, failure: null });
    assert.equal(report.cases[1].rule, secret, "the caller's own rule object");
    assert.equal(report.cases[1].failure, "expected allow, got deny: pattern rule on secret/# (deny)");
    assert.match(report.cases[2].failure, /^allow as expected, but decided by pattern rule on home\/%u\/%c/);
    assert.deepEqual(report.coverage, { rules: 3, rulesDeciding: 3, undecidedRules: [], unmentionedUsers: [] });
    const partial = testAccess(rules, [{ user: "sensor-1", topic: "sensors/1/t", access: "read", expect: "allow" }]);
    assert.deepEqual(partial.coverage.undecidedRules, [secret, home]);
  });

  test("refuses malformed cases before answering any", () => {
    invalid(() => testAccess(rules, [{ user: "a", topic: "t", access: "read", expect: "maybe" }]), "expect");
    invalid(() => testAccess(rules, [{ user: "a", topic: "t/#", access: "read", expect: "deny" }]), "topic");
    invalid(() => testAccess(rules, "cases"), "cases");
    invalid(() => testAccess("rules", []), "rules");
  });
});

describe("explainAccess", () => {
  test("names the decision and why the nearest rules missed", () => {
    const why = explainAccess(rules, { username: "sensor-1", topic: "sensors/2/t", access: "write" });
    assert.equal(why.allowed, false);
    assert.equal(why.rule, null);
    assert.equal(why.reason, "no rule matches");
    const sensorMiss = why.misses.find((miss) => miss.rule === sensor);
    assert.equal(sensorMiss.why, 'level 2 is "1" in the filter and "2" in the topic');
    const home_ = why.misses.find((miss) => miss.rule === home);
    assert.equal(home_.why, "it uses %c, and the client has no client id");
    invalid(() => explainAccess(rules, { username: "a", topic: "t", access: "both" }), "access");
  });
});

describe("diffAccess", () => {
  test("a gain for a user a topic rule names", () => {
    const diff = diffAccess([], [sensor]);
    assert.deepEqual(diff.changes, [
      { gained: true, access: "read", who: "sensor-1", user: "sensor-1", clientId: null, filter: "sensors/1/#", except: [] },
      { gained: true, access: "write", who: "sensor-1", user: "sensor-1", clientId: null, filter: "sensors/1/#", except: [] },
    ]);
    assert.deepEqual(diff.lines, ["+ read sensor-1 sensors/1/#", "+ write sensor-1 sensors/1/#"]);
    assert.equal(diff.gainsAccess, true);
    assert.deepEqual(diff.worldWritable, []);
    // Losing it is the same change the other way.
    const back = diffAccess([sensor], []);
    assert.deepEqual(back.lines, ["- read sensor-1 sensors/1/#", "- write sensor-1 sensors/1/#"]);
    assert.equal(back.gainsAccess, false);
  });

  test("a pattern rule gain for every user, with an exception", () => {
    const privateDeny = { type: "pattern", pattern: "home/%u/private", read: false, write: false, username: null };
    const ownHome = { type: "pattern", pattern: "home/%u/#", read: true, write: false, username: null };
    const diff = diffAccess([], [privateDeny, ownHome]);
    assert.deepEqual(diff.changes, [
      {
        gained: true,
        access: "read",
        who: "every user",
        user: null,
        clientId: null,
        filter: "home/%u/#",
        except: ["home/%u/private"],
      },
    ]);
    assert.deepEqual(diff.lines, ["+ read every user home/%u/# except home/%u/private"]);
    assert.deepEqual(diff.worldWritable, [], "%u is not the same topic for everyone");
    assert.deepEqual(diffAccess(rules, rules), { changes: [], lines: [], gainsAccess: false, worldWritable: [] });
  });

  test("worldWritable names what anyone may now write", () => {
    const publicWrite = { type: "pattern", pattern: "public/#", read: false, write: true, username: null };
    const diff = diffAccess([], [publicWrite]);
    assert.deepEqual(diff.worldWritable, ["public/#"]);
    assert.deepEqual(diff.lines, ["+ write every user public/#"]);
    assert.equal(diff.gainsAccess, true);
  });

  test("options.users reports more users by name", () => {
    // A name holding `/` spans two levels, so `+` does not match it as it
    // matches every other user's.
    const anyHome = { type: "pattern", pattern: "home/+/x", read: true, write: false, username: null };
    const ownHome = { type: "pattern", pattern: "home/%u/x", read: true, write: false, username: null };
    assert.deepEqual(diffAccess([anyHome], [ownHome]).lines, ["- read every user home/+/x except home/%u/x"]);
    const diff = diffAccess([anyHome], [ownHome], { users: ["a/b"] });
    assert.deepEqual(diff.lines, [
      "+ read a/b home/a/b/x",
      "- read a/b home/+/x",
      "- read every user home/+/x except home/%u/x",
    ]);
    assert.deepEqual(diff.changes[0], {
      gained: true,
      access: "read",
      who: "a/b",
      user: "a/b",
      clientId: null,
      filter: "home/a/b/x",
      except: [],
    });
    assert.deepEqual(diffAccess([anyHome], [ownHome], {}).lines, diffAccess([anyHome], [ownHome]).lines);
  });

  test("a client id the rules spell out gets sections of its own", () => {
    const diff = diffAccess(
      [],
      [
        { type: "pattern", pattern: "dev/admin", read: false, write: false, username: null },
        { type: "pattern", pattern: "dev/%c", read: false, write: true, username: null },
        { type: "pattern", pattern: "other/#", read: true, write: false, username: null },
      ],
    );
    const admin = diff.changes.find((change) => change.who === "every user with client id admin");
    assert.deepEqual(admin, {
      gained: true,
      access: "read",
      who: "every user with client id admin",
      user: null,
      clientId: "admin",
      filter: "other/#",
      except: [],
    });
    assert.ok(diff.lines.includes("+ write every user dev/%c"), JSON.stringify(diff.lines));
    assert.equal(diff.lines.length, diff.changes.length);
  });

  test("refuses malformed rules and options", () => {
    invalid(() => diffAccess("rules", []), "oldRules");
    invalid(() => diffAccess([], [{ type: "topic", pattern: 42, read: true, write: true }]), "newRules");
    invalid(() => diffAccess([], [], { users: "a" }), "users");
    invalid(() => diffAccess([], [], { users: [1] }), "users");
    invalid(() => diffAccess([], [], "options"), "options");
    // The same class as testAccess's errors.
    assert.throws(() => diffAccess([], "rules"), ValidationError);
    assert.throws(() => testAccess("rules", []), ValidationError);
  });
});
