// probe.mjs for CommonJS apps.
"use strict";
const REACH_KEY = "reach-key-0042";

async function probe({ CloudMqtt, CloudMqttError }, baseUrl) {
  const client = new CloudMqtt({ apiKey: REACH_KEY, baseUrl, maxRetries: 0 });
  const users = await client.listUsers();
  let missing;
  try {
    await client.getUser("missing");
    missing = "no error";
  } catch (error) {
    missing = { isCloudMqttError: error instanceof CloudMqttError, code: error.code, status: error.status };
  }
  return { users, missing };
}

module.exports = { probe, REACH_KEY };
