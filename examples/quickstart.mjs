// Quickstart: manage an instance's MQTT users and ACL rules, then watch the
// broker enforce them.
//
//   CLOUDMQTT_API_KEY=... CLOUDMQTT_BASE_URL=... CLOUDMQTT_MQTT_URL=... node quickstart.mjs
//
// scripts/demo.sh runs it against a local emulator with a real Mosquitto
// broker behind it.
import { CloudMqtt, CloudMqttError } from "cloudmqtt-api";
import mqtt from "mqtt";

const apiKey = process.env.CLOUDMQTT_API_KEY;
const baseUrl = process.env.CLOUDMQTT_BASE_URL ?? "https://api.cloudmqtt.com/api";
const mqttUrl = process.env.CLOUDMQTT_MQTT_URL;
if (!apiKey || !mqttUrl) {
  console.error("set CLOUDMQTT_API_KEY and CLOUDMQTT_MQTT_URL (and CLOUDMQTT_BASE_URL)");
  process.exit(2);
}

const client = new CloudMqtt({ apiKey, baseUrl });
const username = "sensor-1";
const password = "correct horse battery staple";

// 1. Create a user and wait until the broker knows it.
await client.createUser({ username, password }, { wait: true });
console.log(`created user ${username}`);

// 2. Let it read and write its own topics only.
const rule = { type: "topic", username, pattern: `sensors/${username}/#`, read: true, write: true };
await client.createAcl(rule, { wait: true });
console.log(`granted ${username} read and write on ${rule.pattern}`);

// 3. What the instance holds now.
for await (const user of client.users()) console.log(`user: ${user.username}`);
for (const acl of await client.listAcls()) {
  const access = [acl.read && "read", acl.write && "write"].filter(Boolean).join("+") || "deny";
  console.log(`rule: ${acl.type} ${acl.pattern} ${access}${acl.username ? ` for ${acl.username}` : ""}`);
}
const info = await client.getUser(username);
console.log(`${info.username} has ${info.acls.length} ACL entr${info.acls.length === 1 ? "y" : "ies"}`);

// 4. A real MQTT client, logged in as the new user.
const broker = await mqtt.connectAsync(mqttUrl, { username, password, protocolVersion: 5, reconnectPeriod: 0 });
const allowed = `sensors/${username}/temperature`;
const forbidden = "sensors/someone-else/temperature";

await broker.subscribeAsync(allowed, { qos: 1 });
const received = new Promise((resolve) => broker.once("message", (topic, payload) => resolve(`${topic} = ${payload}`)));
await broker.publishAsync(allowed, "21.5", { qos: 1 });
console.log(`allowed:  publish ${allowed} -> delivered: ${await received}`);

// The broker answers a publish it does not allow with reason code 0x87.
let refusal;
try {
  await broker.publishAsync(forbidden, "99.9", { qos: 1 });
} catch (error) {
  refusal = error;
}
console.log(`refused:  publish ${forbidden} -> ${refusal ? `${refusal.message} (reason code 0x${refusal.code?.toString(16)})` : "accepted"}`);
await broker.endAsync();

// 5. Errors are CloudMqttError with a code to act on.
try {
  await client.getUser("nobody-here");
} catch (error) {
  if (!(error instanceof CloudMqttError)) throw error;
  console.log(`getUser("nobody-here") -> ${error.code} (${error.status})`);
}

if (!refusal || refusal.code !== 0x87) {
  console.error("the broker did not enforce the ACL as expected");
  process.exit(1);
}
console.log("done");
