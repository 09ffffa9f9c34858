// The typed surface as a CommonJS consumer sees it (resolved through the
// `require` condition to the .d.cts declarations).
import { CloudMqtt, CloudMqttError, type ErrorCode, type NewAclRule } from "cloudmqtt-api";
import type * as Types from "cloudmqtt-api";

const client: CloudMqtt = new CloudMqtt({ apiKey: "key", encoding: "json" });
const rule: NewAclRule = { type: "pattern", pattern: "a/%u", read: true, write: false };

export async function use(): Promise<ErrorCode | Types.User[]> {
  try {
    await client.createAcl(rule, { wait: { intervalMs: 100 } });
    return await client.listUsers({ limit: 5 });
  } catch (error) {
    if (error instanceof CloudMqttError) return error.code;
    throw error;
  }
}

// @ts-expect-error a pattern rule has no username
export const wrong: NewAclRule = { type: "pattern", username: "u", pattern: "p", read: true, write: true };
