// The typed surface of `cloudmqtt-api/access`; compiled with
// `tsc --noEmit --strict`. Lines marked @ts-expect-error must be rejected.
import { CloudMqtt as Plain } from "cloudmqtt-api";
import {
  CloudMqtt,
  CloudMqttError,
  StalePlanError,
  diffAccess,
  evaluateAccess,
  explainAccess,
  testAccess,
  type AccessDiff,
  type AccessDiffChange,
  type AccessDiffOptions,
  type AccessExplanation,
  type AccessMiss,
  type AccessTestReport,
  type Access,
  type AccessDecision,
  type AccessQuery,
  type AccessChange,
  type AppliedAccess,
  type SavedPlan,
  type AccessPlan,
  type AclRule,
  type DesiredAccess,
  type ExportedAccess,
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
  assertType<Equal<typeof made, AppliedAccess>>();
  const versions: Record<string, number> = made.passwordVersions;
  // A saved plan: planned with targets and recorded versions, applied later.
  const saved: SavedPlan = await api.plan(
    { scope: { users: ["a-*"], excludeUsers: ["a-admin"] }, users: { "a-1": { password: "pw", passwordVersion: 2 } } },
    { targets: ["user:a-1"], passwordVersions: versions },
  );
  const fingerprint: string = saved.server.fingerprint;
  const lines: string[] = saved.access?.lines ?? [];
  void [fingerprint, lines, saved.format_version, saved.notes, saved.outside.users];
  const again: AppliedAccess = await api.apply(saved, { passwords: { "a-1": "pw" }, concurrency: 2, targets: ["user:a-1"] });
  void again;
  // @ts-expect-error a saved plan is applied as it was planned: no prune
  await api.apply(saved, { prune: true });
  // @ts-expect-error a scope's globs are strings
  await api.plan({ scope: { users: "a-*" } });
  try {
    await api.apply(saved);
  } catch (error) {
    if (error instanceof StalePlanError) {
      const code: "STALE_PLAN" = error.code;
      void code;
    }
  }
  const missing: string[] = planned.missingPasswords;
  void missing;
  const exported = await api.exportAccess();
  assertType<Equal<typeof exported, ExportedAccess>>();
  // The export is a desired state, and its rules are AclRules.
  await api.plan(exported, { prune: true });
  const listed: AclRule[] = exported.rules;
  void listed;
  await api.plan({ users: { existing: {} } });
  // @ts-expect-error passwords are objects
  await api.plan({ users: { a: "pw" } });
  // @ts-expect-error a pattern rule has no username
  await api.plan({ rules: [{ type: "pattern", username: "u", pattern: "p", read: true, write: true }] });
  // @ts-expect-error the main entry's client has no plan
  await new Plain({ apiKey: "key" }).plan(desired);
  // @ts-expect-error nor checkAccess
  await new Plain({ apiKey: "key" }).checkAccess({ username: "u", topic: "a", access: "read" });
  const error: CloudMqttError | undefined = undefined;
  void error;
}
void use;

// The access checker: pure evaluateAccess and the client's checkAccess.
export async function access(client: CloudMqtt, rules: AclRule[]): Promise<boolean> {
  const access: Access = "write";
  const query: AccessQuery = { username: "sensor-1", clientId: "c1", topic: "sensors/1/t", access };
  const decision: AccessDecision = evaluateAccess(rules, query);
  const rule: AclRule | null = decision.rule;
  const remote: AccessDecision = await client.checkAccess({ username: "u", topic: "a", access: "read" }, { timeoutMs: 5000 });
  // @ts-expect-error access is "read" or "write"
  evaluateAccess(rules, { username: "u", topic: "a", access: "publish" });
  // @ts-expect-error the topic is required
  evaluateAccess(rules, { username: "u", access: "read" });
  return decision.allowed && remote.allowed && rule !== null;
}

// Rule tests and explanations.
const report: AccessTestReport = testAccess([], [
  { user: "sensor-1", topic: "t", access: "read", expect: "allow", decidedBy: "t" },
]);
assertType<Equal<typeof report.cases[number]["rule"], AclRule | null>>();
assertType<Equal<typeof report.coverage.undecidedRules, AclRule[]>>();
// @ts-expect-error expect is "allow" or "deny"
testAccess([], [{ user: "a", topic: "t", access: "read", expect: "yes" }]);
const explained: AccessExplanation = explainAccess([], { username: "a", topic: "t", access: "write" });
const firstMiss: AccessMiss | undefined = explained.misses[0];
assertType<Equal<typeof explained.reason, string>>();
void firstMiss;

// Rule-list diffs.
const diffed: AccessDiff = diffAccess([], [{ type: "pattern", pattern: "home/%u/#", read: true, write: false, username: null }]);
const firstChange: AccessDiffChange | undefined = diffed.changes[0];
assertType<Equal<typeof diffed.lines, string[]>>();
assertType<Equal<typeof diffed.worldWritable, string[]>>();
assertType<Equal<typeof diffed.gainsAccess, boolean>>();
assertType<Equal<AccessDiffChange["access"], Access>>();
assertType<Equal<AccessDiffChange["user"], string | null>>();
assertType<Equal<AccessDiffChange["clientId"], string | null>>();
assertType<Equal<AccessDiffChange["except"], string[]>>();
const diffOptions: AccessDiffOptions = { users: ["a/b"] };
diffAccess([], [], diffOptions);
diffAccess([], []);
// @ts-expect-error users is an array of names
diffAccess([], [], { users: "a/b" });
// @ts-expect-error the new rules are required
diffAccess([]);
void firstChange;
