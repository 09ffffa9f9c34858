/** Options for a {@link CloudMqtt} client. */
export interface ClientOptions {
  /** The API key (sent as the Basic auth password). */
  apiKey: string;
  /** Default `"https://api.cloudmqtt.com/api"`. */
  baseUrl?: string;
  /** How request bodies are encoded; default `"json"`. */
  encoding?: "json" | "form";
  /** Timeout of one attempt, in milliseconds; default 30000. */
  timeoutMs?: number;
  /** Retries after the first attempt; default 2, 0 disables. */
  maxRetries?: number;
  /** Allow plain `http://` to hosts that are not loopback; default false. */
  allowInsecureHttp?: boolean;
  /** Sends a request; default: the global `fetch`. */
  fetch?: (request: Request) => Promise<Response>;
}

/** Options of one call. */
export interface CallOptions {
  /** Cancels the call (ABORTED), in flight or between retries. */
  signal?: AbortSignal;
  /** Timeout of one attempt, in milliseconds; default: the client's. */
  timeoutMs?: number;
}

/** How to wait until a change is visible. */
export interface WaitOptions {
  /** Cancels the wait (ABORTED); the signal of the call it follows does too. */
  signal?: AbortSignal;
  /** Total time to wait, in milliseconds; default 90000 (then WAIT_TIMEOUT). */
  timeoutMs?: number;
  /** Time between probes, in milliseconds; default 2000. */
  intervalMs?: number;
}

/** Whether a create or delete resolves only once the change is visible. */
export type WaitFor = { wait?: boolean | WaitOptions };

/** A user, as the user list shows it. */
export interface User {
  username: string;
}

/** One ACL entry of a user. */
export interface UserAcl {
  topic: string;
  read: boolean;
  write: boolean;
}

/** A user and its ACL entries. */
export interface UserInfo {
  username: string;
  acls: UserAcl[];
}

/** An ACL rule, as the rule list shows it. */
export interface AclRule {
  type: "topic" | "pattern";
  pattern: string;
  read: boolean;
  write: boolean;
  username: string | null;
}

/** A rule to create: a topic rule names its user, a pattern rule applies to all. */
export type NewAclRule =
  | { type: "topic"; username: string; pattern: string; read: boolean; write: boolean }
  | { type: "pattern"; pattern: string; read: boolean; write: boolean };

/**
 * A client for the CloudMQTT management API. `String(client)` is
 * `CloudMqtt { baseUrl: "…" }`; the key never shows.
 */
export class CloudMqtt {
  constructor(options: ClientOptions);
  restartInstance(options?: CallOptions): Promise<void>;
  resetInstance(options?: CallOptions): Promise<void>;
  listUsers(params?: { limit?: number; page?: number; query?: string }, options?: CallOptions): Promise<User[]>;
  users(params?: { query?: string; pageSize?: number }, options?: CallOptions): AsyncIterableIterator<User>;
  getUser(username: string, options?: CallOptions): Promise<UserInfo>;
  createUser(user: { username: string; password: string }, options?: CallOptions & WaitFor): Promise<void>;
  updateUserPassword(username: string, password: string, options?: CallOptions): Promise<void>;
  deleteUser(username: string, options?: CallOptions & WaitFor): Promise<void>;
  listAcls(options?: CallOptions): Promise<AclRule[]>;
  createAcl(rule: NewAclRule, options?: CallOptions & WaitFor): Promise<void>;
  deleteAcl(
    rule: { type?: "topic"; username: string; topic: string } | { type: "pattern"; username?: null; topic: string },
    options?: CallOptions & WaitFor,
  ): Promise<void>;
  waitForUser(username: string, options?: WaitOptions & { exists?: boolean }): Promise<void>;
  waitForAcl(
    rule: { type: "topic" | "pattern"; username?: string | null; pattern: string },
    options?: WaitOptions & { exists?: boolean },
  ): Promise<void>;
  /**
   * May a client read or write a topic? Reads the rules with
   * {@link CloudMqtt.listAcls} and answers as {@link evaluateAccess} does.
   * An invalid query rejects with INVALID_INPUT before anything is sent.
   */
  checkAccess(query: AccessQuery, options?: CallOptions): Promise<AccessDecision>;
}

/** Reading (receiving messages) or writing (publishing). */
export type Access = "read" | "write";

/** May this client read or write this topic? */
export interface AccessQuery {
  /** The MQTT user name the client connects with. */
  username: string;
  /** The client id; without one, pattern rules using `%c` match nothing. */
  clientId?: string;
  /** The topic name (no `+` or `#`). */
  topic: string;
  /** Read (receive) or write (publish). */
  access: Access;
}

/** The answer to an {@link AccessQuery}. */
export interface AccessDecision {
  /** Whether the access is allowed. */
  allowed: boolean;
  /** The rule that decided (the allowing rule, or a deny rule); `null` when none did. */
  rule: AclRule | null;
}

/**
 * Answers an access query over a rule list exactly as the Mosquitto broker
 * behind CloudMQTT would: deny rules first within the user's topic rules,
 * then within the pattern rules (`%u` and `%c` substituted), `$` topics
 * only for filters starting with `$`, no writes under `$SYS`, nothing under
 * `$share`. Pure and synchronous: no network.
 * @throws {CloudMqttError} INVALID_INPUT when the rules or the query are malformed.
 */
export function evaluateAccess(rules: readonly AclRule[], query: AccessQuery): AccessDecision;

/** The stable codes of {@link CloudMqttError}. */
export type ErrorCode =
  | "INVALID_INPUT"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "METHOD_NOT_ALLOWED"
  | "RATE_LIMITED"
  | "BAD_REQUEST"
  | "SERVER_ERROR"
  | "UNEXPECTED_STATUS"
  | "DECODE"
  | "NETWORK"
  | "TIMEOUT"
  | "ABORTED"
  | "WAIT_TIMEOUT";

/** Every failure of this package. */
export class CloudMqttError extends Error {
  readonly name: "CloudMqttError";
  readonly code: ErrorCode;
  /** HTTP status, when a response came (a browser hides a redirect's). */
  readonly status?: number;
  /** What the server said, when it said anything. */
  readonly serverMessage?: string;
  /** RATE_LIMITED: how long the server asked to wait, when known. */
  readonly retryAfterMs?: number;
  /** INVALID_INPUT: which argument (`this` for a method called without its client). */
  readonly field?: string;
}
