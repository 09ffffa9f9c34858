
// `cloudmqtt-api/access` only: the build appends this to index.d.ts for
// that entry.

/** This entry's client has the access methods. */
export interface CloudMqtt extends AccessMethods {}

/**
 * Answers an access query over a rule list exactly as the Mosquitto broker
 * behind CloudMQTT would: deny rules first within the user's topic rules,
 * then within the pattern rules (`%u` and `%c` substituted), `$` topics
 * only for filters starting with `$`, no writes under `$SYS`, nothing under
 * `$share`. Pure and synchronous: no network.
 * @throws {CloudMqttError} INVALID_INPUT when the rules or the query are malformed.
 */
export function evaluateAccess(rules: readonly AclRule[], query: AccessQuery): AccessDecision;

/** One case of a rule test: a client, a topic, read or write, and what is expected. */
export interface AccessCase {
  /** The MQTT user name. */
  user: string;
  /** The client id; without one, pattern rules using `%c` match nothing. */
  clientId?: string | undefined;
  /** The topic name (no `+` or `#`). */
  topic: string;
  /** Read (receive) or write (publish). */
  access: Access;
  /** The decision the case expects. */
  expect: "allow" | "deny";
  /** The pattern of the rule that must decide, when the case names one. */
  decidedBy?: string | undefined;
}

/** What became of one {@link AccessCase}. */
export interface AccessCaseOutcome {
  /** Whether the case passed. */
  passed: boolean;
  /** Whether the access was allowed. */
  allowed: boolean;
  /** The rule that decided (one of the rules given); `null` when none did. */
  rule: AclRule | null;
  /** Why the case failed, in words (`expected allow, got deny: no rule matches`); `null` when it passed. */
  failure: string | null;
}

/** What the cases of a rule test cover. */
export interface AccessCoverage {
  /** How many rules there are. */
  rules: number;
  /** How many rules decided at least one case. */
  rulesDeciding: number;
  /** The rules (of those given) that decided no case, in order. */
  undecidedRules: AclRule[];
  /** The users that topic rules name and no case mentions, in order. */
  unmentionedUsers: string[];
}

/** The report of {@link testAccess}. */
export interface AccessTestReport {
  /** One outcome per case, in the cases' order. */
  cases: AccessCaseOutcome[];
  /** How many cases passed. */
  passed: number;
  /** How many cases failed. */
  failed: number;
  /** What the cases cover. */
  coverage: AccessCoverage;
}

/** A rule that did not decide, and why. */
export interface AccessMiss {
  /** The rule (one of the rules given). */
  rule: AclRule;
  /** Why it did not decide, in words to act on (`'+' matches one level, not several: ...`). */
  why: string;
}

/** The report of {@link explainAccess}. */
export interface AccessExplanation {
  /** Whether the access is allowed. */
  allowed: boolean;
  /** The rule that decided (one of the rules given); `null` when none did. */
  rule: AclRule | null;
  /** The deciding rule, or why no rule decided, in words. */
  reason: string;
  /** The nearest rules that did not decide (at most five), nearest first. */
  misses: AccessMiss[];
}

/**
 * Runs rule tests: each case answered over the rules exactly as
 * {@link evaluateAccess} answers, with what the cases cover (the rules that
 * decided no case, the users no case mentions). Pure and synchronous.
 * @example
 * const report = testAccess(rules, [
 *   { user: "sensor-1", topic: "sensors/1/temp", access: "write", expect: "allow", decidedBy: "sensors/1/#" },
 * ]);
 * if (report.failed > 0) console.log(report.cases.filter((c) => !c.passed).map((c) => c.failure));
 * @throws {CloudMqttError} INVALID_INPUT when the rules or a case are malformed.
 */
export function testAccess(rules: readonly AclRule[], cases: readonly AccessCase[]): AccessTestReport;

/**
 * Explains a query: the decision as {@link evaluateAccess} makes it, and why
 * each of the nearest rules that did not decide missed (another user's
 * rule, `+` matching one level, a differing level, `%u` in a topic rule,
 * the other access, a rule tried later). Pure and synchronous.
 * @example
 * const { allowed, misses } = explainAccess(rules, { username: "sensor-1", topic: "sensors/1/temp", access: "write" });
 * for (const miss of misses) console.log(miss.rule.pattern, miss.why);
 * @throws {CloudMqttError} INVALID_INPUT when the rules or the query are malformed.
 */
export function explainAccess(rules: readonly AclRule[], query: AccessQuery): AccessExplanation;
