/**
 * Options for a {@link CloudMqtt} client. A key that is not one of these is
 * refused (`INVALID_INPUT` naming it, e.g. `options.timeout: unknown key;
 * did you mean "timeoutMs"?`), never ignored.
 *
 * @example
 * const api = new CloudMqtt({ apiKey: process.env.CLOUDMQTT_API_KEY, timeoutMs: 10_000 });
 * const fromTheEnvironment = new CloudMqtt(); // CLOUDMQTT_API_KEY
 */
export interface ClientOptions {
  /**
   * The API key (sent as the Basic auth password, with an empty user). It
   * never appears in errors, `String(client)` or `JSON.stringify(client)`.
   * Must not be empty or hold control characters. Default: the
   * `CLOUDMQTT_API_KEY` environment variable where the runtime has
   * `process.env` (Node, Bun, Deno with `--allow-env`); with neither, the
   * constructor throws `INVALID_INPUT` naming both.
   */
  apiKey?: string | undefined;
  /**
   * The API's base URL; default `"https://api.cloudmqtt.com/api"`. A
   * trailing slash is ignored. Plain `http://` is refused except to
   * loopback hosts unless {@link ClientOptions.allowInsecureHttp} is set.
   */
  baseUrl?: string | undefined;
  /**
   * How request bodies are encoded: `"json"` (the default) or `"form"`
   * (`application/x-www-form-urlencoded`).
   */
  encoding?: "json" | "form" | undefined;
  /**
   * How long one attempt may take, response body included, in
   * milliseconds; default 30000. An attempt that runs out fails with
   * `TIMEOUT` (and is retried where retries apply).
   */
  timeoutMs?: number | undefined;
  /**
   * Retries after the first attempt; default 2, 0 disables. 429 is
   * retried for every method (honouring `Retry-After`); 5xx, network
   * failures and timeouts only for GET, PUT and DELETE, never for POST.
   */
  maxRetries?: number | undefined;
  /** Allows plain `http://` to hosts that are not loopback; default false. */
  allowInsecureHttp?: boolean | undefined;
  /**
   * Sends a request (for tests, proxies or instrumentation); default: the
   * global `fetch`. It gets a `Request` with an `AbortSignal` and must
   * resolve to a `Response`.
   */
  fetch?: ((request: Request) => Promise<Response>) | undefined;
  /**
   * What the client logs: `"debug"` (every attempt with its method, URL,
   * attempt number, status and duration, and every wait with what it
   * waits for), `"info"` (every retry, with its reason and delay), `"warn"`
   * (a hook that threw, once), `"error"` (nothing: failures reject) or
   * `"off"`. Each level includes those after it. Default: the
   * `CLOUDMQTT_LOG` environment variable where the runtime has
   * `process.env`, else `"warn"`. Every line starts with `cloudmqtt: `,
   * and every form of the API key, of the Basic credentials and of every
   * password the client was given is `[redacted]` in it.
   *
   * @example
   * const api = new CloudMqtt({ logLevel: "debug" });
   * // cloudmqtt: GET https://api.cloudmqtt.com/api/user attempt 1: 503 in 41.2 ms
   * // cloudmqtt: retry 1 of GET https://api.cloudmqtt.com/api/user in 312 ms (attempt 2): SERVER_ERROR (503)
   * // cloudmqtt: GET https://api.cloudmqtt.com/api/user attempt 2: 200 in 38.9 ms
   */
  logLevel?: LogLevel | undefined;
  /** Where log lines go; default `console`. Each line is one string argument. */
  logger?: Logger | undefined;
  /**
   * Called as each attempt of every call goes out (retries and a wait's
   * probes included). An exception it throws does not break the call: the
   * first is logged at `warn`.
   *
   * @example
   * const api = new CloudMqtt({ onRequest: ({ method, url, attempt }) => console.log(method, url, attempt) });
   */
  onRequest?: ((info: RequestHookInfo) => void) | undefined;
  /**
   * Called as each attempt is over: with its `status`, or with no status
   * and the `error` code of what it got instead. An exception it throws
   * does not break the call.
   *
   * @example
   * const api = new CloudMqtt({
   *   onResponse: ({ status, durationMs, error }) => metrics.record(status ?? error, durationMs),
   * });
   */
  onResponse?: ((info: ResponseHookInfo) => void) | undefined;
  /**
   * Called when the core decides to try a request again: why, and after
   * how long. An exception it throws does not break the call.
   *
   * @example
   * const api = new CloudMqtt({ onRetry: ({ reason, delayMs }) => console.log(`retrying in ${delayMs} ms: ${reason}`) });
   */
  onRetry?: ((info: RetryHookInfo) => void) | undefined;
}

/** How much a client logs (see {@link ClientOptions.logLevel}). */
export type LogLevel = "debug" | "info" | "warn" | "error" | "off";

/**
 * Where a client's log lines go: any object with these four methods, such
 * as `console` (the default) or a pino or winston logger.
 *
 * @example
 * const lines: string[] = [];
 * const logger: Logger = { debug: (l) => lines.push(l), info: (l) => lines.push(l), warn: console.warn, error: console.error };
 */
export interface Logger {
  /** Every attempt and every wait. */
  debug(message: string): void;
  /** Every retry. */
  info(message: string): void;
  /** A hook that threw (once per client). */
  warn(message: string): void;
  /** Nothing today: a failed call rejects. */
  error(message: string): void;
}

/**
 * One attempt going out ({@link ClientOptions.onRequest}). Frozen.
 *
 * @example
 * const onRequest = (info: RequestHookInfo) => console.log(`${info.method} ${info.url} #${info.attempt}`);
 */
export interface RequestHookInfo {
  /** `"GET"`, `"POST"`, `"PUT"` or `"DELETE"`. */
  readonly method: string;
  /** The URL, path segments and query percent-encoded. */
  readonly url: string;
  /**
   * Which attempt of this request it is, from 1: a send after an answer
   * that is retried (no response, a 429 or a 5xx) is the next attempt; a
   * wait's probe after any other answer is attempt 1 of a new request.
   */
  readonly attempt: number;
}

/**
 * One attempt over ({@link ClientOptions.onResponse}). Frozen.
 *
 * @example
 * const onResponse = (info: ResponseHookInfo) => console.log(info.status ?? info.error, `${info.durationMs} ms`);
 */
export interface ResponseHookInfo extends RequestHookInfo {
  /** The HTTP status, when a response came. */
  readonly status: number | undefined;
  /** How long the attempt took, in milliseconds (to a tenth), body included. */
  readonly durationMs: number;
  /** When no response came: `"NETWORK"`, `"TIMEOUT"`, or `"ABORTED"` (your signal). */
  readonly error: "NETWORK" | "TIMEOUT" | "ABORTED" | undefined;
}

/**
 * A request about to be tried again ({@link ClientOptions.onRetry}), as
 * the core's retry policy decided. Frozen.
 *
 * @example
 * const onRetry = (info: RetryHookInfo) => console.log(`retry ${info.retry} in ${info.delayMs} ms: ${info.reason}`);
 */
export interface RetryHookInfo {
  /** The method of the request whose answer caused the retry. */
  readonly method: string | undefined;
  /** Its URL. */
  readonly url: string | undefined;
  /** The number the next attempt of the request will have (2 for the first retry). */
  readonly attempt: number;
  /** Which retry of the call this is, from 1. */
  readonly retry: number;
  /**
   * Why, as the code the failed attempt would have ended the call with:
   * `"RATE_LIMITED"` (429), `"SERVER_ERROR"` (5xx), `"NETWORK"`, `"TIMEOUT"`.
   */
  readonly reason: ErrorCode;
  /** The status of the failed attempt, when a response came. */
  readonly status: number | undefined;
  /** How long until the request goes out again, in milliseconds (a 429's `Retry-After` honoured). */
  readonly delayMs: number;
}

/**
 * The response behind a call's result: that of the last attempt the call
 * got an answer to (for a create or delete with `wait`, the wait's last
 * probe; for `apply`, the last to arrive). Frozen.
 */
export interface CallResponse {
  /** Its HTTP status. */
  readonly status: number;
  /** Its headers (a `Headers`: `get` is case-insensitive). */
  readonly headers: Headers;
  /** The number of the attempt it answered (1 unless its request was retried; see {@link RequestHookInfo.attempt}). */
  readonly attempts: number;
}

/**
 * What a call's promise resolves to: its result, unchanged. Its
 * `withResponse()` resolves to the result and the response behind it.
 *
 * @example
 * const { data: users, response } = await api.listUsers().withResponse();
 * console.log(users.length, response.status, response.headers.get("content-type"), response.attempts);
 */
export interface CallPromise<T> extends Promise<T> {
  /** The same call's result, with the response behind it; rejects as the call does. */
  withResponse(): Promise<WithResponse<T>>;
}

/** What {@link CallPromise.withResponse} resolves to. */
export interface WithResponse<T> {
  /** The call's result, as `await` gives it. */
  data: T;
  /** The response behind it. */
  response: CallResponse;
}

/**
 * Options of one call. As in every options object (and a `wait` object), a
 * key that is not known is refused with `INVALID_INPUT`, nothing sent, and
 * an option that is `undefined` is not given: a wrapper may pass its own
 * optional values on as they are.
 *
 * @example
 * const controller = new AbortController();
 * await api.listUsers({ limit: 10 }, { signal: controller.signal, timeoutMs: 5_000, maxRetries: 0 });
 */
export interface CallOptions {
  /** Cancels the call (`ABORTED`), in flight or between retries. */
  signal?: AbortSignal | undefined;
  /** How long one attempt may take, in milliseconds; default: the client's `timeoutMs`. */
  timeoutMs?: number | undefined;
  /**
   * Retries after the first attempt, for this call; default: the client's
   * `maxRetries`; 0 disables. A whole number from 0 to 4294967295, else
   * `INVALID_INPUT` (field `maxRetries`). For `apply`, also each change's
   * retries.
   */
  maxRetries?: number | undefined;
}

/**
 * How to wait until a change is visible (creating and deleting users and
 * rules is applied asynchronously by the server).
 */
export interface WaitOptions {
  /** Cancels the wait (`ABORTED`); the signal of the call it follows does too. */
  signal?: AbortSignal | undefined;
  /** Total time to wait, in milliseconds; default 90000, then `WAIT_TIMEOUT`. */
  timeoutMs?: number | undefined;
  /**
   * The longest time between probes, in milliseconds;
   * default 2000 (longer after a 429). The first probe goes out 125 ms
   * after the wait starts (or after `intervalMs`, when shorter) and each
   * pause doubles up to it.
   */
  intervalMs?: number | undefined;
}

/**
 * Whether a create or delete resolves only once the change is visible:
 * `true` waits with the {@link WaitOptions} defaults, an object with those
 * options; absent or `false` resolves as soon as the server accepted it.
 */
export type WaitFor = {
  /** `true`, {@link WaitOptions}, or `false` (the default: no wait). */
  wait?: boolean | WaitOptions | undefined;
};

/** A user, as the user list shows it. */
export interface User {
  /** The user's name. */
  username: string;
}

/** One ACL entry of a user ({@link UserInfo.acls}). */
export interface UserAcl {
  /** The topic filter (it may hold `%u` and `%c`). */
  topic: string;
  /** Whether the user may subscribe. */
  read: boolean;
  /** Whether the user may publish. */
  write: boolean;
}

/** A user and the ACL entries that apply to it. */
export interface UserInfo {
  /** The user's name. */
  username: string;
  /** The topics the user may read or write. */
  acls: UserAcl[];
}

/** An ACL rule, as the rule list shows it. */
export interface AclRule {
  /** `"topic"` (one user's rule) or `"pattern"` (every user's). */
  type: "topic" | "pattern";
  /** The topic filter; a pattern may hold `%u` (user name) and `%c` (client id). */
  pattern: string;
  /** Whether subscribing is allowed. */
  read: boolean;
  /** Whether publishing is allowed. */
  write: boolean;
  /** The user of a topic rule; `null` for a pattern rule. */
  username: string | null;
}

/**
 * A rule to create: a topic rule names its user, a pattern rule applies to
 * every user and names none.
 */
export type NewAclRule =
  | {
      /** One user's rule. */
      type: "topic";
      /** The user it applies to. */
      username: string;
      /** The MQTT topic filter (`+` and `#` wildcards). */
      pattern: string;
      /** Whether subscribing is allowed. */
      read: boolean;
      /** Whether publishing is allowed. */
      write: boolean;
    }
  | {
      /** A rule for every user. */
      type: "pattern";
      /** The MQTT topic filter; `%u` and `%c` stand for the user name and client id. */
      pattern: string;
      /** Whether subscribing is allowed. */
      read: boolean;
      /** Whether publishing is allowed. */
      write: boolean;
    };

/**
 * The users and rules meant to be on the server ({@link AccessMethods.plan},
 * {@link AccessMethods.apply}); what {@link AccessMethods.exportAccess}
 * returns is one. A key that is not known, here, in a user or in a rule, is
 * refused with `INVALID_INPUT` naming its path (`desired.user: unknown key;
 * did you mean "users"?`): a misspelt `users` must not plan deleting every
 * user.
 *
 * @example
 * const desired: DesiredAccess = {
 *   users: { "sensor-1": { password: process.env.SENSOR_1_PASSWORD }, dashboard: {} },
 *   rules: [{ type: "topic", username: "sensor-1", pattern: "sensors/1/#", read: false, write: true }],
 * };
 */
export interface DesiredAccess {
  /**
   * Users by name. A user's password is sent when the user is created, or
   * when `setPasswords` asks; an existing user needs none (`{}`), and a plan
   * lists the users it would need one for in {@link AccessPlan.missingPasswords}.
   */
  users?: Record<string, DesiredUser> | undefined;
  /**
   * Rules; a rule's identity is its type, user and pattern, and two with one
   * identity are refused. Rules as {@link AccessMethods.exportAccess} gives
   * them (a pattern rule's `username` is `null`) are taken too.
   */
  rules?: Array<NewAclRule | ExportedRule> | undefined;
  /**
   * What this desired state owns: a plan and an apply (`prune` included)
   * consider only the users and rules inside it, and never create, change
   * or delete anything outside; a desired state that declares a user or
   * rule outside its own scope is refused (`INVALID_INPUT`, field
   * `scope`). Absent: everything.
   */
  scope?: AccessScope | undefined;
}

/**
 * The users and rules a {@link DesiredAccess} owns. Globs have `*` (any
 * run of characters, `/` included) and `?` (one character) and match the
 * whole name. A user is inside when it matches `users` and not
 * `excludeUsers`; a topic rule when its user is inside and its pattern
 * matches `patterns`; a pattern rule only when `patterns` is given and
 * matches it.
 *
 * @example
 * const scope: AccessScope = { users: ["sensor-*"], excludeUsers: ["sensor-admin"], patterns: ["sensors/*"] };
 */
export interface AccessScope {
  /** Globs over user names; absent: every user. */
  users?: string[] | undefined;
  /** Globs over user names left out even when `users` matches. */
  excludeUsers?: string[] | undefined;
  /** Globs over rule patterns; absent: every topic rule's pattern, and no pattern rule. */
  patterns?: string[] | undefined;
}

/** A user of a {@link DesiredAccess}. */
export interface DesiredUser {
  /**
   * The password the user gets when created, or when `setPasswords` asks:
   * not empty, never in an error. Absent for a user that exists (and for
   * one a plan is only asked about: see {@link AccessPlan.missingPasswords});
   * `undefined` is the same as absent.
   */
  password?: string | undefined;
  /**
   * Bumping it sets this user's password at the next apply, and no other
   * user's: the plan compares it with the version recorded in
   * {@link PlanOptions.passwordVersions} (what the last apply resolved to
   * in {@link AppliedAccess.passwordVersions}). Without a record the
   * version is unknown: the plan says so in {@link SavedPlan.notes} and
   * sets nothing.
   */
  passwordVersion?: number | undefined;
}

/**
 * A rule as {@link AccessMethods.exportAccess} gives it: an
 * {@link AclRule} whose `type` tells whether it has a user, so that it is
 * also a rule of a {@link DesiredAccess}.
 */
export type ExportedRule =
  | (AclRule & {
      /** One user's rule. */
      type: "topic";
      /** The user it applies to. */
      username: string;
    })
  | (AclRule & {
      /** A rule for every user. */
      type: "pattern";
      /** Pattern rules have no user. */
      username: null;
    });

/**
 * What {@link AccessMethods.exportAccess} returns: the server's state as a
 * {@link DesiredAccess}, which plans no changes (`prune` or not).
 */
export interface ExportedAccess {
  /**
   * Every user on the server, by name, without a password (passwords
   * cannot be read back): `{}` each. Add a password where a plan needs one.
   */
  users: Record<string, Record<string, never>>;
  /** Every rule, in the server's order. */
  rules: ExportedRule[];
}

/**
 * One change to the server. A rule cannot be edited: a rule whose rights
 * differ is replaced (deleted, then created).
 */
export type AccessChange =
  | { action: "create" | "delete" | "set-password"; kind: "user"; username: string }
  | { action: "create" | "delete"; kind: "rule"; rule: AclRule }
  | { action: "replace"; kind: "rule"; from: AclRule; to: AclRule };

/** The changes that bring the server to the desired state, in the order apply makes them. */
export interface AccessPlan {
  /** Empty when the server is as desired. */
  changes: AccessChange[];
  /**
   * The users whose password `changes` would send (the users it creates,
   * and with `setPasswords` those whose password it sets) that have none in
   * the desired state, in the order of `changes`. `apply` refuses to start
   * while this is not empty (`INVALID_INPUT` naming them, no change sent);
   * it is always empty in what `apply` resolves to.
   */
  missingPasswords: string[];
}

/**
 * What to plan beyond creating what is missing and replacing what differs.
 * A key that is not known is refused (`INVALID_INPUT`), so that a misspelt
 * `prune` is never planned without; an option that is `undefined` is not
 * given.
 */
export interface PlanOptions {
  /** Delete users and rules that are not desired (a user's topic rules go with it); default false. */
  prune?: boolean | undefined;
  /** Set the password of every desired user that already exists; default false. */
  setPasswords?: boolean | undefined;
  /**
   * Only the changes to a user and its topic rules (`"user:NAME"`) or to
   * one rule (`"rule:topic:USER:PATTERN"`, `"rule:pattern::PATTERN"`).
   */
  targets?: string[] | undefined;
  /**
   * The password versions applied, by user (what the last apply resolved
   * to in {@link AppliedAccess.passwordVersions}; keep it between runs).
   */
  passwordVersions?: Record<string, number> | undefined;
}

/**
 * A plan as {@link AccessMethods.plan} resolves to it: the same JSON as
 * `cloudmqtt plan --json` writes (snake_case, described by the JSON Schema
 * `crates/core/plan.schema.json` of the repository), to save, review and
 * give to {@link AccessMethods.apply} later. Passwords appear by their
 * sources only: one given to `plan` is `{ username, password_given: true }`,
 * and `apply` is given it again in `passwords`.
 *
 * @example
 * const saved = await api.plan(desired, { prune: true });
 * await writeFile("plan.json", JSON.stringify(saved, null, 2));
 * // reviewed, later:
 * await api.apply(JSON.parse(await readFile("plan.json", "utf8")), { passwords: { "sensor-7": secret } });
 */
export interface SavedPlan extends AccessPlan {
  /** The version of the format; this package reads 1. */
  format_version: 1;
  /** The access files it was made from (none from JavaScript). */
  files: Array<{
    /** The file as named. */
    name: string;
    /** `sha256:` and the hex SHA-256 of its bytes. */
    fingerprint: string;
  }>;
  /** How it was planned. */
  options: {
    /** {@link PlanOptions.prune}. */
    prune: boolean;
    /** {@link PlanOptions.setPasswords}. */
    set_passwords: boolean;
  };
  /** {@link PlanOptions.targets}. */
  targets: string[];
  /** What the desired state owned ({@link AccessScope}, as snake_case); `null`: everything. */
  scope: Array<{
    /** {@link AccessScope.users}; `null`: every user. */
    users: string[] | null;
    /** {@link AccessScope.excludeUsers}. */
    exclude_users: string[];
    /** {@link AccessScope.patterns}; `null` when not given. */
    patterns: string[] | null;
  }> | null;
  /** How many users and rules on the server were outside the scope, untouched. */
  outside: {
    /** Users outside. */
    users: number;
    /** Rules outside. */
    rules: number;
  };
  /** The part of the server the plan read; `apply` refuses when it changed (`STALE_PLAN`). */
  server: {
    /** `sha256:` and the hex SHA-256 of the users and rules, sorted. */
    fingerprint: string;
    /** The users, sorted. */
    users: string[];
    /** The rules, sorted. */
    rules: AclRule[];
  };
  /** Where each password a change sends comes from (never the password). */
  passwords: Array<
    | {
        /** The user. */
        username: string;
        /** Given to the call: `apply` is given it again in `passwords`. */
        password_given: true;
      }
    | {
        /** The user. */
        username: string;
        /** An environment variable (a plan made by the command line). */
        password_env: string;
      }
    | {
        /** The user. */
        username: string;
        /** A file (a plan made by the command line). */
        password_file: string;
      }
  >;
  /** The {@link DesiredUser.passwordVersion} of each user whose password a change sends. */
  password_versions: Record<string, number>;
  /** {@link AccessPlan.missingPasswords}, as the file names it. */
  missing_passwords: string[];
  /** What the plan says beside its changes (a password version it cannot know). */
  notes: string[];
  /** What the changes do to access, as `cloudmqtt acl diff --json` says it. */
  access: {
    /** Each change of access. */
    changes: Array<{
      /** Gained, or lost. */
      gained: boolean;
      /** `read` or `write`. */
      access: Access;
      /** Whom it is about, as the line says it. */
      who: string;
      /** The user, when one is named. */
      user: string | null;
      /** The client id, when one is named. */
      client_id: string | null;
      /** The filter gained or lost. */
      filter: string;
      /** Filters under it left out. */
      except: string[];
    }>;
    /** The lines as printed. */
    lines: string[];
    /** Whether anyone gains access. */
    gains_access: boolean;
    /** Filters every user gains write access to. */
    world_writable: string[];
  } | null;
}

/** What {@link AccessMethods.apply} resolves to. */
export interface AppliedAccess extends AccessPlan {
  /**
   * The password versions applied after this apply, by user: the ones it
   * was given in {@link PlanOptions.passwordVersions}, with the version of
   * each user it created or set the password of, less the users it
   * deleted. Keep it for the next plan.
   */
  passwordVersions: Record<string, number>;
}

/** The options of {@link AccessMethods.apply} beside the plan's. */
export interface ApplyOptions {
  /** How to wait after each step until its changes show (`intervalMs`, `timeoutMs`). */
  wait?: WaitOptions | undefined;
  /** Requests in flight at most; default 4. */
  concurrency?: number | undefined;
  /** Called as each change starts and as it is done. */
  onProgress?: ((change: AccessChange, state: "started" | "done") => void) | undefined;
}

/**
 * A client for the CloudMQTT management API. Every method returns a
 * Promise (a {@link CallPromise}, whose `withResponse()` also gives the
 * response behind the result) and rejects with a {@link CloudMqttError};
 * arguments are checked before anything is sent. `String(client)` is `CloudMqtt { baseUrl: "…" }`;
 * the key never shows. A client holds no resources: make one per request if
 * that suits you, nothing needs freeing.
 *
 * @example
 * import { CloudMqtt, CloudMqttError } from "cloudmqtt-api";
 *
 * const api = new CloudMqtt({ apiKey: process.env.CLOUDMQTT_API_KEY });
 * await api.createUser({ username: "sensor-1", password: "s3cret" }, { wait: true });
 */
export class CloudMqtt {
  /**
   * Makes a client. The first client of a process (or page) instantiates
   * the WebAssembly module; importing the package does not.
   *
   * @param options The API key and settings; all optional (the key then
   *   comes from `CLOUDMQTT_API_KEY`).
   * @throws {CloudMqttError} `INVALID_INPUT` when an option is wrong
   *   (`field` names it, e.g. `apiKey`, `baseUrl`, `logLevel`, `logger` or
   *   a hook), when `CLOUDMQTT_LOG` names no level, or when there is no
   *   key at all.
   * @throws {Error} from `cloudmqtt-api/slim` only, before `init()` resolved.
   * @example
   * const api = new CloudMqtt({ apiKey: "…", baseUrl: "http://127.0.0.1:8080/api", maxRetries: 0 });
   */
  constructor(options?: ClientOptions);

  /**
   * Restarts the instance (`POST /instance/restart`).
   *
   * @throws {CloudMqttError} `UNAUTHORIZED`, `FORBIDDEN`, `RATE_LIMITED`,
   *   `SERVER_ERROR`, `UNEXPECTED_STATUS`, `NETWORK`, `TIMEOUT`, `ABORTED`.
   * @example
   * await api.restartInstance({ timeoutMs: 60_000 });
   */
  restartInstance(options?: CallOptions): CallPromise<void>;

  /**
   * Resets the instance (`POST /instance/reset`).
   *
   * @throws {CloudMqttError} `UNAUTHORIZED`, `FORBIDDEN`, `RATE_LIMITED`,
   *   `SERVER_ERROR`, `UNEXPECTED_STATUS`, `NETWORK`, `TIMEOUT`, `ABORTED`.
   * @example
   * await api.resetInstance();
   */
  resetInstance(options?: CallOptions): CallPromise<void>;

  /**
   * One page of users (`GET /user`).
   *
   * @param params `limit` 1–1000, `page` from 1, `query` a name prefix.
   * @throws {CloudMqttError} `INVALID_INPUT` (a bad parameter), `DECODE`
   *   (the server's answer is not a user list), `UNAUTHORIZED`,
   *   `RATE_LIMITED`, `SERVER_ERROR`, `NETWORK`, `TIMEOUT`, `ABORTED`.
   * @example
   * const users = await api.listUsers({ limit: 100, page: 1 });
   * console.log(users.map((user) => user.username));
   */
  listUsers(params?: {
    /** Page size, 1 to 1000 (the server's default when absent). */
    limit?: number | undefined;
    /** Page number, from 1. */
    page?: number | undefined;
    /** Only users whose names start with this. */
    query?: string | undefined;
  }, options?: CallOptions): CallPromise<User[]>;

  /**
   * Every user once, fetched page by page; nothing is fetched before the
   * first `next()`. Breaking out of a `for await` loop stops the walk.
   *
   * @param params `pageSize` 1–1000 (default 100), `query` a name prefix.
   * @throws {CloudMqttError} from `next()`: `INVALID_INPUT`, `DECODE`,
   *   `UNAUTHORIZED`, `RATE_LIMITED`, `SERVER_ERROR`, `NETWORK`, `TIMEOUT`, `ABORTED`.
   * @example
   * for await (const user of api.users({ pageSize: 500 })) console.log(user.username);
   */
  users(params?: {
    /** Only users whose names start with this. */
    query?: string | undefined;
    /** Users per page, 1 to 1000. */
    pageSize?: number | undefined;
  }, options?: CallOptions): AsyncIterableIterator<User>;

  /**
   * A user and its ACL entries (`GET /user/{username}`).
   *
   * @throws {CloudMqttError} `NOT_FOUND` (no such user), `INVALID_INPUT`,
   *   `DECODE`, `UNAUTHORIZED`, `RATE_LIMITED`, `SERVER_ERROR`, `NETWORK`,
   *   `TIMEOUT`, `ABORTED`.
   * @example
   * try {
   *   const { acls } = await api.getUser("sensor-1");
   * } catch (error) {
   *   if (!(error instanceof CloudMqttError && error.code === "NOT_FOUND")) throw error;
   * }
   */
  getUser(username: string, options?: CallOptions): CallPromise<UserInfo>;

  /**
   * Creates a user (`POST /user`); with `wait`, resolves once the user is
   * visible. Never retried on 5xx or network failures (it is a POST).
   *
   * @throws {CloudMqttError} `INVALID_INPUT` (name or password),
   *   `BAD_REQUEST` (e.g. the user exists), `UNAUTHORIZED`, `RATE_LIMITED`,
   *   `SERVER_ERROR`, `NETWORK`, `TIMEOUT`, `ABORTED`, `WAIT_TIMEOUT`.
   * @example
   * await api.createUser({ username: "sensor-1", password: "s3cret" }, { wait: { timeoutMs: 60_000 } });
   */
  createUser(user: {
    /** The new user's name: not empty, no control characters, not `.` or `..`. */
    username: string;
    /** Its password: not empty. Never appears in errors. */
    password: string;
  }, options?: CallOptions & WaitFor): CallPromise<void>;

  /**
   * Sets a user's password (`PUT /user/{username}`).
   *
   * @throws {CloudMqttError} `INVALID_INPUT`, `NOT_FOUND`, `BAD_REQUEST`,
   *   `UNAUTHORIZED`, `RATE_LIMITED`, `SERVER_ERROR`, `NETWORK`, `TIMEOUT`, `ABORTED`.
   * @example
   * await api.updateUserPassword("sensor-1", "n3w-s3cret");
   */
  updateUserPassword(username: string, password: string, options?: CallOptions): CallPromise<void>;

  /**
   * Deletes a user (`DELETE /user/{username}`); with `wait`, resolves once
   * it is gone.
   *
   * @throws {CloudMqttError} `INVALID_INPUT`, `NOT_FOUND`, `UNAUTHORIZED`,
   *   `RATE_LIMITED`, `SERVER_ERROR`, `NETWORK`, `TIMEOUT`, `ABORTED`, `WAIT_TIMEOUT`.
   * @example
   * await api.deleteUser("sensor-1", { wait: true });
   */
  deleteUser(username: string, options?: CallOptions & WaitFor): CallPromise<void>;

  /**
   * Every ACL rule (`GET /acl`).
   *
   * @throws {CloudMqttError} `DECODE`, `UNAUTHORIZED`, `RATE_LIMITED`,
   *   `SERVER_ERROR`, `NETWORK`, `TIMEOUT`, `ABORTED`.
   * @example
   * const rules = await api.listAcls();
   * const patterns = rules.filter((rule) => rule.type === "pattern");
   */
  listAcls(options?: CallOptions): CallPromise<AclRule[]>;

  /**
   * Creates an ACL rule (`POST /acl`); with `wait`, resolves once it is
   * listed.
   *
   * @throws {CloudMqttError} `INVALID_INPUT` (a topic rule without a user,
   *   a pattern rule with one, a bad topic filter), `BAD_REQUEST`,
   *   `UNAUTHORIZED`, `RATE_LIMITED`, `SERVER_ERROR`, `NETWORK`, `TIMEOUT`,
   *   `ABORTED`, `WAIT_TIMEOUT`.
   * @example
   * await api.createAcl(
   *   { type: "topic", username: "sensor-1", pattern: "sensors/1/#", read: false, write: true },
   *   { wait: true },
   * );
   */
  createAcl(rule: NewAclRule, options?: CallOptions & WaitFor): CallPromise<void>;

  /**
   * Deletes ACL rules (`DELETE /acl`): a user's topic rules for a filter,
   * or with `type: "pattern"` the pattern rules for a filter (no user).
   * With `wait`, resolves once no such rule is listed.
   *
   * @throws {CloudMqttError} `INVALID_INPUT`, `NOT_FOUND`, `UNAUTHORIZED`,
   *   `RATE_LIMITED`, `SERVER_ERROR`, `NETWORK`, `TIMEOUT`, `ABORTED`, `WAIT_TIMEOUT`.
   * @example
   * await api.deleteAcl({ username: "sensor-1", topic: "sensors/1/#" }, { wait: true });
   * await api.deleteAcl({ type: "pattern", topic: "home/%u/#" });
   */
  deleteAcl(
    rule:
      | {
          /** `"topic"` (the default): the rules of one user. */
          type?: "topic";
          /** The rules' user. */
          username: string;
          /** The rules' topic filter. */
          topic: string;
        }
      | {
          /** The pattern rules, which apply to every user. */
          type: "pattern";
          /** Pattern rules have no user. */
          username?: null;
          /** The rules' topic filter. */
          topic: string;
        },
    options?: CallOptions & WaitFor,
  ): CallPromise<void>;

  /**
   * Waits until a user exists (or, with `exists: false`, is gone).
   *
   * @throws {CloudMqttError} `WAIT_TIMEOUT`, `ABORTED`, `INVALID_INPUT`,
   *   `UNAUTHORIZED`, `FORBIDDEN`.
   * @example
   * await api.waitForUser("sensor-1", { timeoutMs: 30_000 });
   */
  waitForUser(username: string, options?: WaitOptions & {
    /** `true` (the default): wait until it exists; `false`: until it is gone. */
    exists?: boolean | undefined;
  }): CallPromise<void>;

  /**
   * Waits until an ACL rule is listed (or, with `exists: false`, is not).
   *
   * @throws {CloudMqttError} `WAIT_TIMEOUT`, `ABORTED`, `INVALID_INPUT`,
   *   `UNAUTHORIZED`, `FORBIDDEN`.
   * @example
   * await api.waitForAcl({ type: "pattern", pattern: "home/%u/#" }, { exists: false });
   */
  waitForAcl(
    rule: {
      /** `"topic"` or `"pattern"`. */
      type: "topic" | "pattern";
      /** The user of a topic rule. */
      username?: string | null;
      /** The rule's topic filter. */
      pattern: string;
    },
    options?: WaitOptions & {
      /** `true` (the default): wait until it is listed; `false`: until it is not. */
      exists?: boolean | undefined;
    },
  ): CallPromise<void>;
}

/** Reading (receiving messages) or writing (publishing). */
export type Access = "read" | "write";

/** May this client read or write this topic? */
export interface AccessQuery {
  /** The MQTT user name the client connects with. */
  username: string;
  /** The client id; without one, pattern rules using `%c` match nothing. */
  clientId?: string | undefined;
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
 * Access: the methods the `CloudMqtt` of the `cloudmqtt-api/access` entry
 * adds (it loads a larger `.wasm` of its own): the access checker, and
 * declarative access.
 */
export interface AccessMethods {
  /**
   * May a client read or write a topic? Reads the rules with `listAcls` and
   * answers as this entry's `evaluateAccess` does. An invalid query rejects
   * with INVALID_INPUT before anything is sent.
   * @example
   * const { allowed, rule } = await api.checkAccess({ username: "sensor-1", topic: "sensors/1/t", access: "write" });
   * @throws {CloudMqttError} `INVALID_INPUT` (the query), and the codes of
   * `listAcls`: `UNAUTHORIZED`, `FORBIDDEN`, `RATE_LIMITED`, `SERVER_ERROR`,
   * `DECODE`, `NETWORK`, `TIMEOUT`, `ABORTED`.
   */
  checkAccess(query: AccessQuery, options?: CallOptions): CallPromise<AccessDecision>;
  /**
   * Reads the server (every user, every rule) and returns the changes that
   * would bring it to `desired`, and the users among them that would need a
   * password they lack ({@link AccessPlan.missingPasswords}). Sends nothing
   * else. Rejects with INVALID_INPUT, before reading, for an unknown key in
   * `desired` or `options`, and for an invalid desired state (a rule twice, a
   * pattern rule with a user, a topic rule whose user is neither desired nor
   * on the server).
   * @example
   * const { changes, missingPasswords } = await api.plan({ users: { "sensor-1": {} }, rules }, { prune: true });
   * if (missingPasswords.length > 0) console.log("apply needs passwords for", missingPasswords);
   * @throws {CloudMqttError} `INVALID_INPUT` (the desired state or an
   * option), and the codes of the reads: `UNAUTHORIZED`, `FORBIDDEN`,
   * `RATE_LIMITED`, `SERVER_ERROR`, `DECODE`, `NETWORK`, `TIMEOUT`, `ABORTED`.
   */
  plan(desired: DesiredAccess, options?: PlanOptions & CallOptions): CallPromise<SavedPlan>;
  /**
   * Plans, then makes the changes: users created and passwords set, replaced
   * and pruned rules deleted, rules created, pruned users deleted, waiting
   * after each step until its changes show. A create whose outcome is
   * unknown is looked for before it is ever sent again. Resolves to the
   * changes made; rejects with the error of the first change not made (run
   * it again to finish: it converges without duplicates). A plan with
   * {@link AccessPlan.missingPasswords} is refused once the server is read,
   * before any change: `INVALID_INPUT`, field `password`, naming every such
   * user.
   * @example
   * await api.apply(desired, { prune: true, wait: { intervalMs: 2000, timeoutMs: 90_000 } });
   * @throws {CloudMqttError} as `plan` (and `INVALID_INPUT` for missing
   * passwords), and the error of the first change not made (`BAD_REQUEST`,
   * `NOT_FOUND`, `WAIT_TIMEOUT`, …).
   */
  apply(desired: DesiredAccess, options?: PlanOptions & CallOptions & ApplyOptions): CallPromise<AppliedAccess>;
  /**
   * Applies a saved plan ({@link SavedPlan}, what `plan` resolved to, or
   * `cloudmqtt plan -o` wrote) exactly: reads the server again first and
   * rejects with {@link StalePlanError} (`STALE_PLAN`, nothing sent) when
   * the part the plan read changed since, naming each difference. The
   * passwords the plan sends are given in `passwords`, by user; one
   * missing is refused (`INVALID_INPUT`) before any change.
   * @example
   * const saved = await api.plan(desired);
   * // ... reviewed ...
   * await api.apply(saved, { passwords: { "sensor-1": process.env.SENSOR_1_PASSWORD ?? "" } });
   * @throws {CloudMqttError} `STALE_PLAN`, `INVALID_INPUT` (a plan that
   * cannot be read, an edited one, a password missing), and as `apply`.
   */
  apply(
    plan: SavedPlan,
    options?: CallOptions &
      ApplyOptions & {
        /** The password of each user whose password the plan sends. */
        passwords?: Record<string, string> | undefined;
        /** {@link PlanOptions.targets}: only some of the plan's changes. */
        targets?: string[] | undefined;
        /** {@link PlanOptions.passwordVersions}. */
        passwordVersions?: Record<string, number> | undefined;
      },
  ): CallPromise<AppliedAccess>;
  /**
   * The server's users and rules as a desired state: each user by name
   * with no password (`{}`), every rule. Planning it changes nothing, with
   * `prune` or without; add passwords for the users you mean to create
   * elsewhere.
   * @example
   * const exported = await api.exportAccess();
   * const { changes } = await api.plan(exported, { prune: true }); // []
   * @throws {CloudMqttError} `INVALID_INPUT` (an unknown option), and the
   * codes of the reads: `UNAUTHORIZED`, `FORBIDDEN`, `RATE_LIMITED`,
   * `SERVER_ERROR`, `DECODE`, `NETWORK`, `TIMEOUT`, `ABORTED`.
   */
  exportAccess(options?: CallOptions): CallPromise<ExportedAccess>;
}

/**
 * The stable codes of {@link CloudMqttError}:
 * - `INVALID_INPUT`: an argument or option is wrong (`field` names it); nothing was sent.
 * - `UNAUTHORIZED` (401), `FORBIDDEN` (403), `NOT_FOUND` (404),
 *   `METHOD_NOT_ALLOWED` (405), `RATE_LIMITED` (429, after the retries),
 *   `BAD_REQUEST` (other 4xx), `SERVER_ERROR` (5xx, after the retries),
 *   `UNEXPECTED_STATUS` (anything else, redirects included).
 * - `DECODE`: a 2xx answer that is not what the endpoint returns.
 * - `ALREADY_EXISTS`: a 400 or 409 whose message says the user or rule
 *   already exists (read from the server's words: `already exists`,
 *   `exists`, `taken`, `duplicate`), so that an idempotent create needs no
 *   string matching; `status` stays the server's.
 * - `NETWORK`: no answer (connection refused, DNS, CORS; `cause` is what
 *   `fetch` threw); `TIMEOUT`: an attempt ran out of time; `ABORTED`: the
 *   caller's signal fired.
 * - `WAIT_TIMEOUT`: a wait ended before the change was visible.
 * - `STALE_PLAN`: `apply(savedPlan)` found the server changed since the
 *   plan was made; nothing was sent.
 * - `INTERNAL`: the package itself failed (its WebAssembly module), never
 *   the server; `cause` is what was thrown.
 */
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
  | "WAIT_TIMEOUT"
  | "STALE_PLAN"
  | "ALREADY_EXISTS"
  | "INTERNAL";

/**
 * Every failure of this package: a real `Error` with a stable
 * {@link CloudMqttError.code}. Its message never holds the API key or a
 * password. Each failure is an instance of the subclass of its code's
 * family ({@link NotFoundError}, {@link ValidationError}, ...), which
 * narrows `code`, `status` and the fields that come with it. (A `fetch`
 * option that resolves to something other than a `Response` is the
 * caller's mistake: the call rejects at once with a `TypeError`.)
 *
 * @example
 * try {
 *   await api.getUser("nobody");
 * } catch (error) {
 *   if (error instanceof NotFoundError) console.log("no such user", error.status);
 *   else throw error;
 * }
 */
export class CloudMqttError extends Error {
  /** `"CloudMqttError"`, or the name of the subclass the error is an instance of. */
  readonly name: ErrorName;
  /** What went wrong, as a stable code. */
  readonly code: ErrorCode;
  /** The HTTP status, when a response came (a browser hides a redirect's). */
  readonly status?: number | undefined;
  /** What the server said (from JSON, text or HTML), when it said anything. */
  readonly serverMessage?: string | undefined;
  /** `RATE_LIMITED`: how long the server asked to wait, in milliseconds, when known. */
  readonly retryAfterMs?: number | undefined;
  /** `INVALID_INPUT`: which argument or option (`this` for a method called without its client). */
  readonly field?: string | undefined;
  /** `NETWORK` and `INTERNAL`: what `fetch` (or the module) threw. */
  readonly cause?: unknown;
  /** The headers of the last response the call got, when it got one. */
  readonly headers?: Headers | undefined;
  /**
   * The number of the call's last attempt (see {@link RequestHookInfo.attempt}):
   * 3 for a request that failed three times; absent when nothing was sent.
   */
  readonly attempts?: number | undefined;
}

/** The names a {@link CloudMqttError} may have: its own and its subclasses'. */
export type ErrorName =
  | "CloudMqttError"
  | "ValidationError"
  | "AuthenticationError"
  | "NotFoundError"
  | "AlreadyExistsError"
  | "RateLimitError"
  | "ApiError"
  | "ConnectionError"
  | "AbortError"
  | "WaitTimeoutError"
  | "StalePlanError"
  | "InternalError";

/**
 * `INVALID_INPUT`: an argument or option is wrong; nothing was sent.
 *
 * @example
 * await api.getUser("..").catch((error) => { if (error instanceof ValidationError) console.log(error.field); });
 */
export class ValidationError extends CloudMqttError {
  /** Always `"ValidationError"`. */
  readonly name: "ValidationError";
  /** Always `"INVALID_INPUT"`. */
  readonly code: "INVALID_INPUT";
  /** Which argument or option (`this` for a method called without its client). */
  readonly field: string;
  /** Never set: nothing was sent. */
  readonly status?: undefined;
}

/** `UNAUTHORIZED` (401: the key was rejected) or `FORBIDDEN` (403). */
export class AuthenticationError extends CloudMqttError {
  /** Always `"AuthenticationError"`. */
  readonly name: "AuthenticationError";
  /** `"UNAUTHORIZED"` or `"FORBIDDEN"`. */
  readonly code: "UNAUTHORIZED" | "FORBIDDEN";
  /** 401 or 403. */
  readonly status: 401 | 403;
}

/** `NOT_FOUND` (404): no such user, or (on a path every API has) a wrong base URL. */
export class NotFoundError extends CloudMqttError {
  /** Always `"NotFoundError"`. */
  readonly name: "NotFoundError";
  /** Always `"NOT_FOUND"`. */
  readonly code: "NOT_FOUND";
  /** Always 404. */
  readonly status: 404;
}

/** `ALREADY_EXISTS`: what a create would make is there already. */
export class AlreadyExistsError extends CloudMqttError {
  /** Always `"AlreadyExistsError"`. */
  readonly name: "AlreadyExistsError";
  /** Always `"ALREADY_EXISTS"`. */
  readonly code: "ALREADY_EXISTS";
  /** 400 or 409, as the server answered. */
  readonly status: 400 | 409;
  /** The server's words that say so. */
  readonly serverMessage: string;
}

/** `RATE_LIMITED` (429), once the retries are spent. */
export class RateLimitError extends CloudMqttError {
  /** Always `"RateLimitError"`. */
  readonly name: "RateLimitError";
  /** Always `"RATE_LIMITED"`. */
  readonly code: "RATE_LIMITED";
  /** Always 429. */
  readonly status: 429;
  /** How long the server asked to wait, in milliseconds, when it said. */
  readonly retryAfterMs?: number | undefined;
}

/**
 * An answer the call cannot use: `BAD_REQUEST` (other 4xx),
 * `METHOD_NOT_ALLOWED` (405), `SERVER_ERROR` (5xx, after the retries),
 * `UNEXPECTED_STATUS` (redirects included) or `DECODE` (a 2xx whose body
 * is not what the endpoint returns).
 */
export class ApiError extends CloudMqttError {
  /** Always `"ApiError"`. */
  readonly name: "ApiError";
  /** The kind of answer. */
  readonly code: "BAD_REQUEST" | "METHOD_NOT_ALLOWED" | "SERVER_ERROR" | "UNEXPECTED_STATUS" | "DECODE";
}

/** `NETWORK` (no answer) or `TIMEOUT` (an attempt ran out of time). */
export class ConnectionError extends CloudMqttError {
  /** Always `"ConnectionError"`. */
  readonly name: "ConnectionError";
  /** `"NETWORK"` or `"TIMEOUT"`. */
  readonly code: "NETWORK" | "TIMEOUT";
  /** Never set: no answer came. */
  readonly status?: undefined;
  /** `NETWORK`: what `fetch` threw. */
  readonly cause?: unknown;
}

/** `ABORTED`: the caller's signal fired. */
export class AbortError extends CloudMqttError {
  /** Always `"AbortError"`, as the platform's own aborts are named. */
  readonly name: "AbortError";
  /** Always `"ABORTED"`. */
  readonly code: "ABORTED";
}

/** `WAIT_TIMEOUT`: a wait ended before the change was visible. */
export class WaitTimeoutError extends CloudMqttError {
  /** Always `"WaitTimeoutError"`. */
  readonly name: "WaitTimeoutError";
  /** Always `"WAIT_TIMEOUT"`. */
  readonly code: "WAIT_TIMEOUT";
}

/**
 * `STALE_PLAN`: `apply(savedPlan)` read the server again and found it
 * changed since the plan was made; nothing was sent. The message names
 * each difference (`+ user x`, `- rule topic u p read`).
 *
 * @example
 * await api.apply(saved).catch((error) => { if (error instanceof StalePlanError) console.log("plan again:", error.message); });
 */
export class StalePlanError extends CloudMqttError {
  /** Always `"StalePlanError"`. */
  readonly name: "StalePlanError";
  /** Always `"STALE_PLAN"`. */
  readonly code: "STALE_PLAN";
}

/** `INTERNAL`: this package failed (a bug); `cause` is what was thrown. */
export class InternalError extends CloudMqttError {
  /** Always `"InternalError"`. */
  readonly name: "InternalError";
  /** Always `"INTERNAL"`. */
  readonly code: "INTERNAL";
  /** What the WebAssembly module threw. */
  readonly cause: unknown;
}
