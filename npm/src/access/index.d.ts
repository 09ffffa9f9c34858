
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

/** Options of {@link diffAccess}. */
export interface AccessDiffOptions {
  /**
   * More user names to report by name, each with a section of its own
   * (exact for names holding `/`, which `every user` is not).
   */
  users?: readonly string[] | undefined;
}

/** One change of access between two rule lists: topics on which someone gained or lost reading or writing. */
export interface AccessDiffChange {
  /** Gained (`true`) or lost (`false`). */
  gained: boolean;
  /** Reading or writing. */
  access: Access;
  /** Whom the change is about, in words: `sensor-1`, `every user`, `every user with client id %u`, ... */
  who: string;
  /** The user name when the change is about one user by name; `null` otherwise. */
  user: string | null;
  /** The client id when the change is about one client id by name; `null` otherwise. */
  clientId: string | null;
  /** The topics, as an MQTT filter (`%u` and `%c` standing for the user name and client id when the change is about every user or any client id). */
  filter: string;
  /** Topics of `filter` that are not part of the change, as filters. */
  except: string[];
}

/** The report of {@link diffAccess}. */
export interface AccessDiff {
  /** The changes, section by section (by whom they are about), gains first within a section. */
  changes: AccessDiffChange[];
  /** The changes as lines, one per change: `+ write sensor-1 sensors/1/#`, `- read every user home/%u/# except home/%u/private`. */
  lines: string[];
  /** Whether anyone gains any access. */
  gainsAccess: boolean;
  /** The filters every user gains writing on, the same for everyone (no `%u` or `%c`): topics the change makes writable by anyone. */
  worldWritable: string[];
}

/**
 * Who gains and who loses access from one rule list to another, as topic
 * filters with exceptions, exact rather than sampled: every topic a change
 * covers is answered differently by the two lists, and every topic
 * answered differently is covered by a change. Users that topic rules name
 * are reported by name, every other user as `every user` (`%u` standing
 * for the name). Pure and synchronous.
 * @example
 * const { lines, worldWritable } = diffAccess(currentRules, proposedRules);
 * for (const line of lines) console.log(line); // + read every user home/%u/# except home/%u/private
 * if (worldWritable.length > 0) throw new Error(`anyone could write ${worldWritable.join(", ")}`);
 * @throws {CloudMqttError} INVALID_INPUT when a rule list or the options are malformed.
 */
export function diffAccess(
  oldRules: readonly AclRule[],
  newRules: readonly AclRule[],
  options?: AccessDiffOptions,
): AccessDiff;
