// probe.mjs for CommonJS apps.
"use strict";
const REACH_KEY = "reach-key-0042";

async function probe(lib, baseUrl) {
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

module.exports = { probe, REACH_KEY };
