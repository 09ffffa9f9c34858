// The typed surface of `cloudmqtt-api/access`; compiled with
// `tsc --noEmit --strict`. Lines marked @ts-expect-error must be rejected.
import { CloudMqtt as Plain } from "cloudmqtt-api";
import {
  CloudMqtt,
  CloudMqttError,
  type AccessChange,
  type AccessPlan,
  type AclRule,
  type DesiredAccess,
  type PlanOptions,
} from "cloudmqtt-api/access";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | void {}

const api = new CloudMqtt({ apiKey: "key" });
const desired: DesiredAccess = {
  users: { "sensor-1": { password: "pw" } },
  rules: [
    { type: "topic", username: "sensor-1", pattern: "sensors/1/#", read: false, write: true },
    { type: "pattern", pattern: "home/%u/#", read: true, write: true },
  ],
};
const options: PlanOptions = { prune: true, setPasswords: false };

async function use(): Promise<void> {
  const planned: AccessPlan = await api.plan(desired, { ...options, timeoutMs: 5000 });
  for (const change of planned.changes) {
    if (change.kind === "user") {
      assertType<Equal<typeof change.username, string>>();
      assertType<Equal<typeof change.action, "create" | "delete" | "set-password">>();
    } else if (change.action === "replace") {
      const from: AclRule = change.from;
      const to: AclRule = change.to;
      void from;
      void to;
    } else {
      const rule: AclRule = change.rule;
      void rule;
    }
  }
  const made = await api.apply(desired, {
    prune: true,
    wait: { intervalMs: 500, timeoutMs: 60_000 },
    concurrency: 4,
    signal: new AbortController().signal,
    onProgress: (change: AccessChange, state: "started" | "done") => void [change, state],
  });
  assertType<Equal<typeof made, AccessPlan>>();
  const exported = await api.exportAccess();
  assertType<Equal<typeof exported, { users: string[]; rules: AclRule[] }>>();
  // @ts-expect-error passwords are objects
  await api.plan({ users: { a: "pw" } });
  // @ts-expect-error a pattern rule has no username
  await api.plan({ rules: [{ type: "pattern", username: "u", pattern: "p", read: true, write: true }] });
  // @ts-expect-error the main entry's client has no plan
  await new Plain({ apiKey: "key" }).plan(desired);
  const error: CloudMqttError | undefined = undefined;
  void error;
}
void use;
