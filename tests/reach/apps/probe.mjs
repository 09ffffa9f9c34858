// The real call every toolchain's build makes: a user list and a missing
// user from the loopback test server. Returns a JSON-ready report that
// reach.test.mjs checks.
export const REACH_KEY = "reach-key-0042";

export async function probe(lib, baseUrl) {
  const { CloudMqtt, CloudMqttError } = lib;
  const client = new CloudMqtt({ apiKey: REACH_KEY, baseUrl, maxRetries: 0 });
  const users = await client.listUsers();
  let missing;
  // The classes' names as logs and error trackers show them; the error's
  // class as a crash prints it, and whether the entry exports it so.
  const names = { classes: [CloudMqtt.name, CloudMqttError.name, client.constructor.name] };
  try {
    await client.getUser("missing");
    missing = "no error";
  } catch (error) {
    missing = { isCloudMqttError: error instanceof CloudMqttError, code: error.code, status: error.status };
    names.error = { name: error.name, constructorName: error.constructor.name, exported: lib[error.name] === error.constructor };
  }
  return { users, missing, names };
}

/**
 * The `cloudmqtt-api/access` entry's checker where it loads its own .wasm
 * (Workers, the Edge): one rule allows, nothing denies.
 */
export function accessProbe({ CloudMqtt, CloudMqttError, evaluateAccess, testAccess, explainAccess, diffAccess }) {
  const rule = { type: "topic", username: "sensor-1", pattern: "sensors/1/#", read: true, write: false };
  return {
    classes: [CloudMqtt.name, CloudMqttError.name],
    read: evaluateAccess([rule], { username: "sensor-1", topic: "sensors/1/t", access: "read" }),
    write: evaluateAccess([rule], { username: "sensor-1", topic: "sensors/1/t", access: "write" }),
    methods: ["checkAccess", "plan", "apply", "exportAccess"].filter((name) => typeof CloudMqtt.prototype[name] === "function"),
    tested: testAccess([rule], [
      { user: "sensor-1", topic: "sensors/1/t", access: "read", expect: "allow", decidedBy: "sensors/1/#" },
      { user: "sensor-1", topic: "sensors/1/t", access: "write", expect: "allow" },
    ]).failed,
    why: explainAccess([rule], { username: "sensor-1", topic: "sensors/1/t", access: "write" }).misses[0].why,
    diffed: diffAccess([], [rule]).lines,
  };
}
