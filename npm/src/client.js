// The public JavaScript API, shared by every runtime's entry point.
//
// `bind(load)` takes `load()`, which returns the wasm-bindgen glue's exports
// (`WasmClient`, `Method`, and on the access entry `AccessMethod` and
// `evaluateAccess`) with the WebAssembly module instantiated; it runs on the
// first `new CloudMqtt()` (each entry point decides where the module comes
// from), so importing the package loads and compiles nothing. It returns
// the `CloudMqtt` client and the `CloudMqttError` class, and with `{ access:
// true }` (`cloudmqtt-api/access`, whose module has them) the access
// checker `evaluateAccess` and the client's access methods.
//
// Adding a method: a `Method` variant and its arm in `Inner::prepare`
// (crates/wasm), then one line here, `return CloudMqtt.#run(this,
// "TheMethod", ...args)` (its options last), the keys of its options in
// METHOD_OPTIONS unless they are a call's, and its declaration in
// index.d.ts.
//
// This layer is the driver: it steps a call's task (crates/wasm/src/task.rs)
// and carries out each step, sending with `fetch`, sleeping with a timer,
// ending at once on the caller's abort signal. It turns the error objects
// of the WebAssembly module into `CloudMqttError`, offers the user list as
// an async iterator, and keeps the API key out of sight. Every decision
// (validation, requests, timeouts, retries, paging, polling, parsing) is
// made by the Rust core.

const CODES = new Set([
  "INVALID_INPUT",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "NOT_FOUND",
  "METHOD_NOT_ALLOWED",
  "RATE_LIMITED",
  "BAD_REQUEST",
  "SERVER_ERROR",
  "UNEXPECTED_STATUS",
  "DECODE",
  "NETWORK",
  "TIMEOUT",
  "ABORTED",
  "WAIT_TIMEOUT",
  "STALE_PLAN",
  "ALREADY_EXISTS",
  "INTERNAL",
]);

/**
 * The subclass of `CloudMqttError` for each code family, by code: each is
 * `instanceof CloudMqttError`, and `name` is the subclass's name.
 */
const FAMILIES = [
  ["ValidationError", ["INVALID_INPUT"]],
  ["AuthenticationError", ["UNAUTHORIZED", "FORBIDDEN"]],
  ["NotFoundError", ["NOT_FOUND"]],
  ["AlreadyExistsError", ["ALREADY_EXISTS"]],
  ["RateLimitError", ["RATE_LIMITED"]],
  ["ApiError", ["BAD_REQUEST", "METHOD_NOT_ALLOWED", "SERVER_ERROR", "UNEXPECTED_STATUS", "DECODE"]],
  ["ConnectionError", ["NETWORK", "TIMEOUT"]],
  ["AbortError", ["ABORTED"]],
  ["WaitTimeoutError", ["WAIT_TIMEOUT"]],
  ["StalePlanError", ["STALE_PLAN"]],
  ["InternalError", ["INTERNAL"]],
];

const inspect = Symbol.for("nodejs.util.inspect.custom");
const denoInspect = Symbol.for("Deno.customInspect");

/**
 * Marks `cls` as one of this package's classes under `name`, shared by
 * every copy of them: Node loads one copy for `import` and one for
 * `require`, and `instanceof cls` answers alike for an object of either
 * (a subclass keeps the ordinary test). It is named `name` too, whatever
 * a bundler or minifier renamed it to (esbuild's `CloudMqtt2`).
 */
function markClass(cls, name) {
  Object.defineProperty(cls, "name", { value: name });
  const mark = Symbol.for(`cloudmqtt-api.${name}`);
  Object.defineProperty(cls.prototype, mark, { value: true });
  Object.defineProperty(cls, Symbol.hasInstance, {
    value(value) {
      return (
        Function.prototype[Symbol.hasInstance].call(this, value) ||
        (this === cls &&
          value !== null &&
          (typeof value === "object" || typeof value === "function") &&
          value[mark] === true)
      );
    },
  });
}

/** Whether any of the caller's signals (an array, or undefined) fired. */
function anyAborted(signals) {
  if (signals !== undefined) for (const signal of signals) if (signal.aborted) return true;
  return false;
}

/** Sleeps `ms`; resolves `false` at once if a signal fires first. */
function sleep(ms, signals) {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      if (signals !== undefined) for (const signal of signals) signal.removeEventListener("abort", done);
      resolve(!anyAborted(signals));
    };
    const timer = setTimeout(done, ms);
    if (signals !== undefined) for (const signal of signals) signal.addEventListener("abort", done);
  });
}

/**
 * Waits for the first of the fetches in `flying` (a map of tickets to
 * promises of outcomes) to come back, at most `ms` (none when undefined):
 * resolves to its `[ticket, outcome]`, `null` when the time ran out, or
 * ABORTED as soon as a signal fires. No timer or listener outlives it.
 */
function nextArrival(flying, ms, signals) {
  return new Promise((resolve, reject) => {
    let timer;
    const settle = (done) => {
      clearTimeout(timer);
      if (signals !== undefined) for (const signal of signals) signal.removeEventListener("abort", aborted);
      done();
    };
    const finish = (value) => settle(() => resolve(value));
    const aborted = () => finish(ABORTED);
    if (anyAborted(signals)) return finish(ABORTED);
    if (ms !== undefined) timer = setTimeout(() => finish(null), ms);
    if (signals !== undefined) for (const signal of signals) signal.addEventListener("abort", aborted);
    // A fetch that throws (a caller's misused `fetch`) rejects the wait.
    for (const [ticket, flight] of flying) {
      flight.then((outcome) => finish([ticket, outcome]), (error) => settle(() => reject(error)));
    }
  });
}

/**
 * A JavaScript error as text: `name: message`, with its cause's (Node's
 * fetch puts the socket error there).
 */
function describe(error) {
  const text = (value) =>
    value !== null && typeof value === "object" && typeof value.message === "string"
      ? `${typeof value.name === "string" ? value.name : "Error"}: ${value.message}`
      : undefined;
  if (error === null || typeof error !== "object") return typeof error === "string" ? error : "the request failed";
  const cause = text(error.cause);
  return `${text(error) ?? "the request failed"}${cause === undefined ? "" : ` (${cause})`}`;
}

/** Decodes a canonical body (UTF-8, checked by the core). */
let decoder;

/** What an attempt ended with when the caller aborted it. */
const ABORTED = Symbol("aborted");

/**
 * Settles `promise`, or rejects as soon as `signal` aborts: a caller's
 * `fetch` may ignore the signal. The global `fetch` honours it, body
 * included, and needs no race.
 */
function race(promise, signal) {
  return new Promise((resolve, reject) => {
    const abort = () => reject(signal.reason);
    if (signal.aborted) abort();
    signal.addEventListener("abort", abort);
    Promise.resolve(promise).then(resolve, reject).finally(() => signal.removeEventListener("abort", abort));
  });
}

/** The variable an absent `apiKey` is read from, where there is an environment. */
const API_KEY_ENV = "CLOUDMQTT_API_KEY";

/**
 * The API key from `CLOUDMQTT_API_KEY` where the runtime has `process.env`
 * (Node, Bun, Deno with `--allow-env`); otherwise an `INVALID_INPUT` error
 * object naming both ways to give it.
 */
function keyFromEnvironment() {
  let key;
  try {
    key = globalThis.process?.env?.[API_KEY_ENV];
  } catch {
    // Deno without --allow-env: no environment to read.
  }
  if (typeof key === "string") return key;
  throw {
    code: "INVALID_INPUT",
    message: `invalid apiKey: not given: pass options.apiKey, or set the ${API_KEY_ENV} environment variable`,
    field: "apiKey",
  };
}

/**
 * A programming error of the caller's (a `fetch` option that resolves to
 * something other than a `Response`): the call rejects with it at once,
 * never retried and never a `NETWORK` failure.
 */
const MISUSE = Symbol("misuse");

/** Calls a caller's `fetch` with `request`; the response and its whole body. */
async function readWith(customFetch, request) {
  const response = await customFetch(request);
  if (response === null || typeof response !== "object" || typeof response.arrayBuffer !== "function") {
    const error = new TypeError(
      `the fetch option must resolve to a Response, got ${response === null ? "null" : typeof response}`,
    );
    Object.defineProperty(error, MISUSE, { value: true });
    throw error;
  }
  return [response, await response.arrayBuffer()];
}

/**
 * A hint for a fetch that failed before any response in a page, on a URL
 * of another origin: the usual cause there is CORS, which the browser does
 * not let a page see.
 */
function corsHint(url) {
  const origin = globalThis.location?.origin;
  if (typeof globalThis.document === "undefined" || typeof origin !== "string") return undefined;
  try {
    if (new URL(url).origin === origin) return undefined;
  } catch {
    return undefined;
  }
  return "a cross-origin request: the server may not allow this page's origin (CORS)";
}

/**
 * One attempt of an `S` step: `fetch`, then the whole body, within
 * `timeoutMs`. Resolves to the response's parts, a failure, or ABORTED;
 * each outcome but ABORTED carries `sent`, the step's request (its `url`,
 * `init.method` and `attempt`). With an `observer` (a hook or a logger
 * listens), the attempt is timed and reported to it; without one, nothing
 * is.
 */
async function attempt(sent, signals, customFetch, observer) {
  const { url, timeoutMs, init } = sent;
  const controller = new AbortController();
  const abort = () => controller.abort(new Error("the request was aborted"));
  const timer = setTimeout(abort, timeoutMs);
  if (signals !== undefined) for (const signal of signals) signal.addEventListener("abort", abort);
  init.credentials = "omit";
  init.redirect = "manual";
  init.signal = controller.signal;
  const started = observer === undefined ? 0 : observer.request(sent, init);
  try {
    let response;
    let body;
    if (customFetch === undefined) {
      response = await fetch(url, init);
      body = await response.arrayBuffer();
    } else {
      // A caller's fetch gets a Request, its documented argument.
      [response, body] = await race(readWith(customFetch, new Request(url, init)), controller.signal);
    }
    const headers = response.headers;
    const outcome = {
      status: response.status,
      headers,
      contentType: headers.get("content-type"),
      retryAfter: headers.get("retry-after"),
      body: new Uint8Array(body),
      sent,
    };
    if (observer !== undefined) observer.response(sent, outcome.status, undefined, started);
    return outcome;
  } catch (error) {
    if (error?.[MISUSE] === true) throw error;
    if (anyAborted(signals)) {
      if (observer !== undefined) observer.response(sent, undefined, "ABORTED", started);
      return ABORTED;
    }
    const timeout = controller.signal.aborted;
    const hint = timeout ? undefined : corsHint(url);
    const message = hint === undefined ? describe(error) : `${describe(error)} (${hint})`;
    if (observer !== undefined) observer.response(sent, undefined, timeout ? "TIMEOUT" : "NETWORK", started);
    return { failed: true, timeout, message, cause: error, cors: hint !== undefined, sent };
  } finally {
    clearTimeout(timer);
    if (signals !== undefined) for (const signal of signals) signal.removeEventListener("abort", abort);
  }
}

/**
 * Numbers the attempt `request` (an `S` step's) is, as `request.attempt`:
 * the attempts of one request (method, URL and body) are counted as the
 * CLI's `--debug` counts them (crates/cli/src/trace.rs): a send after an
 * answer the core retries (no response, a 429 or a 5xx) is the next
 * attempt, a send after any other answer (a wait's probe asking again)
 * attempt 1 of a new request. `retried` (undefined while empty) holds the
 * sent requests of a call whose answer was one the core retries and that
 * have not gone out again; a call that is never retried builds nothing.
 */
function countAttempt(retried, request) {
  request.attempt = 1;
  if (retried === undefined) return;
  const { url, init } = request;
  const index = retried.findIndex((before) => before.url === url && before.init.method === init.method && before.init.body === init.body);
  if (index < 0) return;
  request.attempt = retried[index].attempt + 1;
  retried.splice(index, 1);
}

/** Whether an attempt's outcome is one the core retries (see `countAttempt`). */
function retriedAfter(outcome) {
  return outcome.failed === true || outcome.status === 429 || outcome.status >= 500;
}

// --- Logging and hooks ------------------------------------------------------
// Built from what the driver sees of each attempt (timed here) and from the
// core's events (`V` steps: a retry and why, a wait that looks again). A
// client whose options ask for neither a hook nor a debug or info logger
// has no observer, and the driver then times nothing and builds nothing.

/** The log levels, from the most verbose; `off` logs nothing. */
const LOG_LEVELS = ["debug", "info", "warn", "error", "off"];
/** The variable `logLevel` is read from, where there is an environment, when the option is absent. */
const LOG_ENV = "CLOUDMQTT_LOG";
/** The hook options. */
const HOOKS = ["onRequest", "onResponse", "onRetry"];
/** The methods a logger has. */
const LOGGER_METHODS = ["debug", "info", "warn", "error"];

/** Milliseconds on a monotonic clock where the runtime has one. */
const clockMs = () => globalThis.performance?.now?.() ?? Date.now();

/**
 * The client's log level: the `logLevel` option, else `CLOUDMQTT_LOG`
 * where the runtime has `process.env`, else `"warn"`. An error object
 * (`INVALID_INPUT`, field `logLevel`) for any other value.
 */
function logLevelOf(settings) {
  let level = settings.logLevel;
  let source = "";
  if (level === undefined) {
    try {
      level = globalThis.process?.env?.[LOG_ENV];
    } catch {
      // Deno without --allow-env: no environment to read.
    }
    if (level === undefined || level === "") return "warn";
    source = ` (from the ${LOG_ENV} environment variable)`;
  }
  if (LOG_LEVELS.includes(level)) return level;
  throw {
    code: "INVALID_INPUT",
    message: `invalid logLevel${source}: must be "debug", "info", "warn", "error" or "off"`,
    field: "logLevel",
  };
}

/** The `logger` option, checked: an object with the four methods (default `console`). */
function loggerOf(settings) {
  const logger = settings.logger ?? globalThis.console;
  if (logger !== null && typeof logger === "object" && LOGGER_METHODS.every((name) => typeof logger[name] === "function")) {
    return logger;
  }
  throw {
    code: "INVALID_INPUT",
    message: "invalid logger: must be an object with debug, info, warn and error methods",
    field: "logger",
  };
}

/**
 * The passwords a call was given, by its method's name in `Method` or
 * `AccessMethod`: a log line scrubs them (with the key) in every form.
 */
function passwordsOf(method, args) {
  const found = [];
  const add = (value) => {
    if (typeof value === "string" && value !== "") found.push(value);
  };
  if (method === "CreateUser") add(args[0]?.password);
  if (method === "UpdateUserPassword") add(args[1]);
  if ((method === "Plan" || method === "Apply") && args[0]?.users !== null && typeof args[0]?.users === "object") {
    for (const user of Object.values(args[0].users)) add(user?.password);
  }
  const given = args.at(-1)?.passwords;
  if (method === "ApplySaved" && given !== null && typeof given === "object") {
    for (const password of Object.values(given)) add(password);
  }
  return found;
}

/**
 * What listens to a client's calls: its hooks and its logger, with the
 * secrets its log lines are scrubbed of. Made only when a hook is given
 * or the level is `debug` or `info`; hooks and log lines get the same
 * facts. `redact(text, secrets)` is the core's redaction (the CLI's
 * `--debug` uses the same), through the WebAssembly client.
 */
class Observer {
  constructor(settings, level, logger, redact) {
    this.hooks = {};
    for (const name of HOOKS) if (settings[name] !== undefined) this.hooks[name] = settings[name];
    this.logger = logger;
    this.redact = redact;
    const rank = LOG_LEVELS.indexOf(level);
    this.debug = rank <= 0;
    this.info = rank <= 1;
    this.warn = rank <= 2;
    /** The passwords the client was given, and the Basic credentials. */
    this.secrets = new Set();
    /** Whether a hook's exception was reported (once per client). */
    this.warned = false;
  }

  /** Keeps the passwords a call was given, to scrub them from log lines. */
  learn(method, args) {
    for (const password of passwordsOf(method, args)) this.secrets.add(password);
  }

  /** Writes `line` at `level`, scrubbed; a logger's exception is its own. */
  log(level, line) {
    try {
      this.logger[level](this.redact(`cloudmqtt: ${line}`, [...this.secrets]));
    } catch {}
  }

  /** Calls a hook with a frozen info object; its exception is reported once, at warn. */
  call(name, info) {
    const hook = this.hooks[name];
    if (hook === undefined) return;
    try {
      hook(Object.freeze(info));
    } catch (error) {
      if (this.warned) return;
      this.warned = true;
      if (this.warn) this.log("warn", `the ${name} hook threw (not reported again; the call goes on): ${describe(error)}`);
    }
  }

  /** An attempt goes out: `onRequest`. Returns when it started. */
  request(sent, init) {
    const authorization = init.headers?.authorization;
    if (typeof authorization === "string") {
      const credentials = authorization.slice(authorization.indexOf(" ") + 1);
      this.secrets.add(credentials);
      this.secrets.add(credentials.replace(/=+$/, ""));
    }
    this.call("onRequest", { method: init.method, url: sent.url, attempt: sent.attempt });
    return clockMs();
  }

  /**
   * An attempt is over, with a status or the code of what it got instead
   * (`NETWORK`, `TIMEOUT`, `ABORTED`): `onResponse`, and a debug line.
   */
  response(sent, status, error, started) {
    const durationMs = Math.round((clockMs() - started) * 10) / 10;
    const { url, attempt } = sent;
    const method = sent.init.method;
    if (this.debug) {
      const result = status === undefined ? `no response after ${durationMs} ms: ${error}` : `${status} in ${durationMs} ms`;
      this.log("debug", `${method} ${url} attempt ${attempt}: ${result}`);
    }
    this.call("onResponse", { method, url, attempt, status, durationMs, error });
  }

  /**
   * A core event (a `V` step's JSON): a retry (`onRetry`, an info line),
   * naming `sent`, the attempt whose answer caused it; or a wait that
   * looks again (a debug line naming what it waits for).
   */
  event(event, sent) {
    if (event.retry !== undefined) {
      const { retry, reason, status, delayMs } = event;
      const method = sent?.init.method;
      const url = sent?.url;
      const attempt = sent === undefined ? retry + 1 : sent.attempt + 1;
      if (this.info) {
        const why = status === undefined ? reason : `${reason} (${status})`;
        this.log("info", `retry ${retry} of ${method} ${url} in ${delayMs} ms (attempt ${attempt}): ${why}`);
      }
      this.call("onRetry", { method, url, attempt, retry, reason, status, delayMs });
    } else if (event.wait !== undefined && this.debug) {
      this.log("debug", `wait ${event.delayMs} ms, then look for ${event.wait}`);
    }
  }
}

/**
 * The observer of a client's options (see `Observer`), or undefined when
 * nothing listens. Checks `logLevel`, `logger` and the hooks; throws an
 * error object naming the option that is wrong.
 */
function observerOf(settings, redact) {
  const level = logLevelOf(settings);
  const logger = loggerOf(settings);
  let hooked = false;
  for (const name of HOOKS) {
    const hook = settings[name];
    if (hook === undefined) continue;
    if (typeof hook !== "function") {
      throw { code: "INVALID_INPUT", message: `invalid ${name}: must be a function`, field: name };
    }
    hooked = true;
  }
  return hooked || level === "debug" || level === "info" ? new Observer(settings, level, logger, redact) : undefined;
}

/**
 * `promise` with `withResponse()`: the same result, with the response
 * behind it, `{ data, response }`, read from `call.last` (the last
 * outcome the call handed in; see `responseOf`).
 */
function withResponse(promise, call) {
  promise.withResponse = () => promise.then((data) => ({ data, response: responseOf(call.last) }));
  return promise;
}

/** `{ status, headers, attempts }` of an outcome (see `withResponse`). */
function responseOf(outcome) {
  return Object.freeze({ status: outcome?.status, headers: outcome?.headers, attempts: outcome?.sent.attempt });
}

// The keys of every options object and of the desired state, as their
// readers in crates/wasm read them (`Inner` in lib.rs, `prepare` and
// `read_desired` in plan.rs). A key that is not known is refused before
// anything is sent (`refuseUnknownKeys`), never ignored: a misspelt
// `prune` must not plan without it, nor a misspelt `users` plan deleting
// every user. A new option goes into its reader and here.

/** A client's options. */
const CLIENT_OPTIONS = [
  "apiKey",
  "baseUrl",
  "encoding",
  "timeoutMs",
  "maxRetries",
  "allowInsecureHttp",
  "fetch",
  "logLevel",
  "logger",
  "onRequest",
  "onResponse",
  "onRetry",
];
/** A call's options. */
const CALL_OPTIONS = ["signal", "timeoutMs", "maxRetries"];
/** The object of a `wait` option. */
const WAIT_OPTIONS = ["signal", "timeoutMs", "intervalMs"];
const CHANGE_OPTIONS = [...CALL_OPTIONS, "wait"];
const WAIT_FOR_OPTIONS = [...WAIT_OPTIONS, "exists"];
const PLAN_OPTIONS = [...CALL_OPTIONS, "prune", "setPasswords", "targets", "passwordVersions"];
/**
 * The options of each method (its last argument) by its name in `Method`
 * or `AccessMethod`, where they are not just a call's.
 */
const METHOD_OPTIONS = {
  CreateUser: CHANGE_OPTIONS,
  DeleteUser: CHANGE_OPTIONS,
  CreateAcl: CHANGE_OPTIONS,
  DeleteAcl: CHANGE_OPTIONS,
  WaitForUser: WAIT_FOR_OPTIONS,
  WaitForAcl: WAIT_FOR_OPTIONS,
  Plan: PLAN_OPTIONS,
  Apply: [...PLAN_OPTIONS, "wait", "concurrency", "onProgress"],
  ApplySaved: [...CALL_OPTIONS, "targets", "passwordVersions", "passwords", "wait", "concurrency", "onProgress"],
};
/** The desired state of `plan` and `apply`, each of its users, its scope and each rule. */
const DESIRED = ["users", "rules", "scope"];
const DESIRED_USER = ["password", "passwordVersion"];
const DESIRED_SCOPE = ["users", "excludeUsers", "patterns"];
const DESIRED_RULE = ["type", "username", "pattern", "read", "write"];

/** `path.key`, or `path["key"]` where the key is not an identifier. */
function keyPath(path, key) {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** The edit distance (Levenshtein) between `a` and `b`. */
function editDistance(a, b) {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(above + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/**
 * The known key closest to `key` when it is close (an edit distance of 2
 * at most, or the same letters in another order or case); undefined
 * otherwise.
 */
function closestKey(key, known) {
  const letters = (text) => [...text.toLowerCase()].sort().join("");
  let closest;
  let least = Infinity;
  for (const candidate of known) {
    const distance = editDistance(key, candidate);
    if (distance < least && (distance <= 2 || letters(key) === letters(candidate))) {
      closest = candidate;
      least = distance;
    }
  }
  return closest;
}

export function bind(load, { access = false } = {}) {
  /** The glue's exports, once the first client (or check) loaded them. */
  let wasm;

  /** Every failure of this package, with a stable `code`. */
  class CloudMqttError extends Error {
    constructor(code, message, details = {}) {
      super(message);
      Object.defineProperty(this, "code", { value: code, enumerable: true });
      for (const key of ["status", "serverMessage", "retryAfterMs", "field"]) {
        if (details[key] !== undefined && details[key] !== null) {
          Object.defineProperty(this, key, { value: details[key], enumerable: true });
        }
      }
    }
  }
  markClass(CloudMqttError, "CloudMqttError");
  Object.defineProperty(CloudMqttError.prototype, "name", {
    value: "CloudMqttError",
    writable: true,
    configurable: true,
  });

  /** The subclasses by name, and the subclass of each code. */
  const families = {};
  const classOf = new Map();
  for (const [name, codes] of FAMILIES) {
    const family = { [name]: class extends CloudMqttError {} }[name];
    markClass(family, name);
    Object.defineProperty(family.prototype, "name", { value: name, writable: true, configurable: true });
    families[name] = family;
    for (const code of codes) classOf.set(code, family);
  }

  /**
   * `error` with the `headers` of the last response (`last`, the last
   * outcome its call handed in) and the number of the last attempt
   * (`attempts`); a TypeError of the caller's misuse, or an error of a
   * call that sent nothing, as it is.
   */
  function withAttempts(error, last) {
    if (last === undefined || !(error instanceof CloudMqttError) || error.attempts !== undefined) return error;
    if (last.headers !== undefined) Object.defineProperty(error, "headers", { value: last.headers, enumerable: true });
    Object.defineProperty(error, "attempts", { value: last.sent.attempt, enumerable: true });
    return error;
  }

  /** A CloudMqttError of the subclass its code belongs to. */
  function errorOf(code, message, details) {
    return new (classOf.get(code) ?? CloudMqttError)(code, message, details);
  }

  /**
   * The WebAssembly client of the settings the last call ran with: one at
   * a time, so a client making calls in a row reads its options once. It
   * is freed once no call is running and the event loop has turned (see
   * `release`), so nothing of a client stays in WebAssembly memory after
   * its calls, and clients made per request leave nothing behind (a call's
   * task keeps what it needs of its client).
   */
  let current;
  let currentSettings;
  /** Calls running (tasks being driven). */
  let running = 0;
  /** Whether a timer to free `current` is pending. */
  let releasing = false;

  /** The WebAssembly client for `settings` (not to be freed by the caller). */
  function clientFor(settings) {
    if (currentSettings !== settings) {
      const client = new wasm.WasmClient(settings);
      current?.free();
      current = client;
      currentSettings = settings;
    }
    return current;
  }

  /**
   * Frees `current` on a later turn of the event loop if no call is
   * running then; the last call to end asks again. Calls made one after
   * another reuse it meanwhile.
   */
  function release() {
    if (releasing) return;
    releasing = true;
    const timer = setTimeout(() => {
      releasing = false;
      // A running call releases it again when it ends.
      if (running > 0) return;
      current?.free();
      current = undefined;
      currentSettings = undefined;
    }, 0);
    // Node: the timer alone does not keep the process alive.
    timer?.unref?.();
  }

  /**
   * Turns whatever a call threw into a CloudMqttError (a caller's misuse,
   * see `MISUSE`, stays the TypeError it is).
   */
  function toError(thrown) {
    if (thrown instanceof CloudMqttError || thrown?.[MISUSE] === true) return thrown;
    if (
      thrown !== null &&
      typeof thrown === "object" &&
      !(thrown instanceof Error) &&
      CODES.has(thrown.code)
    ) {
      return errorOf(thrown.code, String(thrown.message), thrown);
    }
    // Not one of the module's own errors: the WebAssembly module itself
    // failed (it should not). `INTERNAL`, keeping the original as `cause`.
    const error = errorOf(
      "INTERNAL",
      `internal error: ${thrown instanceof Error ? thrown.message : String(thrown)}`,
    );
    Object.defineProperty(error, "cause", { value: thrown });
    return error;
  }

  /**
   * The error of an `E` step, with `cause` set to what `fetch` threw when
   * the call failed for want of a response.
   */
  function failure(step, lastFailure) {
    const error = stepError(step);
    if (error.code === "NETWORK" && lastFailure !== undefined) {
      Object.defineProperty(error, "cause", { value: lastFailure.cause });
    }
    return error;
  }

  /**
   * The one check of unknown keys: refuses the first key of `value` (own
   * or inherited and enumerable, as its reader sees them) that is not in
   * `known`, with INVALID_INPUT naming it (`field`) and its path, and the
   * closest known key when one is close. A value that is not an object is
   * left to its reader, which refuses what it cannot read.
   */
  function refuseUnknownKeys(value, path, known) {
    if (value === null || typeof value !== "object") return;
    for (const key in value) {
      if (known.includes(key)) continue;
      const closest = closestKey(key, known);
      const hint = closest === undefined ? "" : `; did you mean ${JSON.stringify(closest)}?`;
      throw toError({ code: "INVALID_INPUT", message: `${keyPath(path, key)}: unknown key${hint}`, field: key });
    }
  }

  /** Refuses unknown keys in the options of `method` and in their `wait` object. */
  function checkOptions(method, options) {
    const known = METHOD_OPTIONS[method] ?? CALL_OPTIONS;
    refuseUnknownKeys(options, "options", known);
    if (known.includes("wait")) refuseUnknownKeys(options?.wait, "options.wait", WAIT_OPTIONS);
  }

  /** Refuses unknown keys in a desired state, its users and its rules. */
  function checkDesired(desired) {
    refuseUnknownKeys(desired, "desired", DESIRED);
    const { users, rules } = Object(desired);
    if (users !== null && typeof users === "object") {
      for (const [name, user] of Object.entries(users)) {
        refuseUnknownKeys(user, keyPath("desired.users", name), DESIRED_USER);
      }
    }
    if (Array.isArray(rules)) {
      rules.forEach((rule, index) => refuseUnknownKeys(rule, `desired.rules[${index}]`, DESIRED_RULE));
    }
    const { scope } = Object(desired);
    if (scope !== null && typeof scope === "object") refuseUnknownKeys(scope, "desired.scope", DESIRED_SCOPE);
  }

  /** Whether `value` is a saved plan (what `plan` resolves to, or a plan file read back). */
  function isSavedPlan(value) {
    return value !== null && typeof value === "object" && Object.hasOwn(value, "format_version");
  }

  async function call(run) {
    try {
      return await run();
    } catch (thrown) {
      throw toError(thrown);
    }
  }

  /** The error of an `E` step (or of `task.aborted()`). */
  function stepError(step) {
    return toError(JSON.parse(step.slice(1)));
  }

  /**
   * A `V` step: a change of an apply goes to `onProgress` (a listener's
   * exception is its own), a retry or a wait to `call.observer`, naming
   * the attempt whose outcome came in last.
   */
  function hear(step, onProgress, call) {
    const event = JSON.parse(step.slice(1));
    if (event.change === undefined) {
      call.observer?.event(event, call.last?.sent);
    } else if (onProgress !== undefined) {
      try {
        onProgress(event.change, event.state);
      } catch {}
    }
  }

  /**
   * Runs the task `make()` returns to its end (see crates/wasm/src/task.rs
   * for its steps) and frees it, unless `keep` (a walk, which ends at each
   * page): the driver carries requests (as many at once as the task sends),
   * tells the time, sleeps, hands each change of an apply to `onProgress`,
   * and reports attempts and the core's events to `call.observer` when
   * there is one. `call.last` is the last outcome handed in (what
   * `withResponse` reads). Rejects with a CloudMqttError, whatever failed
   * (`make()` included), carrying the last response's `headers` and the
   * last attempt's number.
   */
  async function drive(make, customFetch, keep = false, onProgress = undefined, call = {}) {
    running++;
    let task;
    try {
      task = make();
      const signals = task.signals();
      /** The body of the last response handed in (for a `C` step). */
      let body;
      let lastFailure; // the last attempt that got no response
      let blocked = 0; // how many of those were CORS-like
      /** Fetches in flight: ticket → promise of its outcome. */
      const flying = new Map();
      let retried; // see `countAttempt`
      const handIn = (ticket, outcome) => {
        flying.delete(ticket);
        if (outcome === ABORTED) throw stepError(task.aborted());
        call.last = outcome;
        if (retriedAfter(outcome)) (retried ??= []).push(outcome.sent);
        if (outcome.failed) {
          lastFailure = outcome;
          // A request that CORS may block is tried twice at most: the
          // browser hides the cause, and more tries only add waits.
          if (outcome.cors && ++blocked === 2) {
            const error = errorOf("NETWORK", `network error: ${outcome.message}`);
            Object.defineProperty(error, "cause", { value: outcome.cause });
            throw error;
          }
          task.fail(ticket, outcome.timeout, outcome.message, Date.now());
        } else {
          body = outcome.body;
          task.respond(ticket, outcome.status, outcome.contentType, outcome.retryAfter, body, Date.now());
        }
      };
      /** Hands in the first outcome to come back. */
      const awaitOutcome = async () => {
        if (flying.size === 1) {
          // One fetch in flight (every call but an apply's): its outcome.
          const [ticket, flight] = flying.entries().next().value;
          handIn(ticket, await flight);
          return;
        }
        const arrived = await nextArrival(flying, undefined, signals);
        if (arrived === ABORTED) throw stepError(task.aborted());
        handIn(arrived[0], arrived[1]);
      };
      for (;;) {
        const step = task.step(Date.now());
        const kind = step.charCodeAt(0);
        switch (kind) {
          case 83: {
            // S: send, and step on at once.
            if (anyAborted(signals)) throw stepError(task.aborted());
            const request = JSON.parse(step.slice(1));
            countAttempt(retried, request);
            flying.set(request.ticket, attempt(request, signals, customFetch, call.observer));
            // `pending`: nothing to do until an outcome (a `P` step, spared).
            if (request.pending) await awaitOutcome();
            break;
          }
          case 87: {
            // W: wait, or less when a fetch comes back.
            const ms = Number(step.slice(1));
            if (flying.size > 0) {
              const arrived = await nextArrival(flying, ms, signals);
              if (arrived === ABORTED) throw stepError(task.aborted());
              if (arrived !== null) handIn(arrived[0], arrived[1]);
            } else if (anyAborted(signals) || !(await sleep(ms, signals))) throw stepError(task.aborted());
            break;
          }
          case 80:
            // P: wait for a fetch to come back.
            if (flying.size === 0) throw failure(step, lastFailure);
            await awaitOutcome();
            break;
          case 86:
            // V: an event (a change of an apply, a retry, a wait).
            if (onProgress !== undefined || call.observer !== undefined) hear(step, onProgress, call);
            break;
          case 68:
            // D: done, with JSON.
            return JSON.parse(step.slice(1));
          case 67:
            // C: done, the last body being the result's JSON.
            decoder ??= new TextDecoder();
            return JSON.parse(decoder.decode(body));
          case 85: // U
            return undefined;
          case 78: // N
            return null;
          default:
            throw failure(step, lastFailure);
        }
      }
    } catch (thrown) {
      throw withAttempts(toError(thrown), call.last);
    } finally {
      if (!keep) task?.free();
      if (--running === 0) release();
    }
  }

  /** A client for the CloudMQTT management API. */
  class CloudMqtt {
    /** The options, copied once; each call's task is made from them. */
    #settings;
    #baseUrl;
    /** The caller's `fetch` option, checked; undefined for the global one. */
    #fetch;
    /** Its hooks and logger (see `Observer`); undefined when nothing listens. */
    #observer;

    constructor(options) {
      // Instantiates the module on the first construction: importing the
      // package compiles nothing. Throws (a plain Error) only where the
      // module cannot be had (`cloudmqtt-api/slim` before `init()`).
      wasm ??= load();
      // A client keeps no WebAssembly object of its own: its calls use the
      // one `clientFor` keeps for the latest settings, and each call's task
      // is freed when the call ends, so clients made per request (the
      // Worker pattern) leave nothing behind and need no `.free()`. The copy
      // is what gets checked here and used later.
      let settings = options;
      if (options === undefined || (options !== null && typeof options === "object")) {
        // Own and inherited enumerable properties, each read once.
        settings = {};
        for (const key in options) settings[key] = options[key];
      }
      let client;
      try {
        refuseUnknownKeys(settings, "options", CLIENT_OPTIONS);
        if (settings !== null && typeof settings === "object" && settings.apiKey === undefined) {
          settings.apiKey = keyFromEnvironment();
        }
        client = clientFor(settings);
        this.#observer = observerOf(settings, (text, secrets) => clientFor(settings).redact(text, secrets));
      } catch (thrown) {
        release();
        throw toError(thrown);
      }
      this.#baseUrl = client.baseUrl;
      this.#fetch = client.fetch;
      // Freed later unless a call uses it first.
      release();
      this.#settings = settings;
    }

    restartInstance(options) {
      return CloudMqtt.#run(this, "RestartInstance", options);
    }

    resetInstance(options) {
      return CloudMqtt.#run(this, "ResetInstance", options);
    }

    listUsers(params, options) {
      return CloudMqtt.#run(this, "ListUsers", params, options);
    }

    users(params, options) {
      return CloudMqtt.#walk(this, "UserPages", params, options);
    }

    getUser(username, options) {
      return CloudMqtt.#run(this, "GetUser", username, options);
    }

    createUser(user, options) {
      return CloudMqtt.#run(this, "CreateUser", user, options);
    }

    updateUserPassword(username, password, options) {
      return CloudMqtt.#run(this, "UpdateUserPassword", username, password, options);
    }

    deleteUser(username, options) {
      return CloudMqtt.#run(this, "DeleteUser", username, options);
    }

    listAcls(options) {
      return CloudMqtt.#run(this, "ListAcls", options);
    }

    createAcl(rule, options) {
      return CloudMqtt.#run(this, "CreateAcl", rule, options);
    }

    deleteAcl(rule, options) {
      return CloudMqtt.#run(this, "DeleteAcl", rule, options);
    }

    waitForUser(username, options) {
      return CloudMqtt.#run(this, "WaitForUser", username, options);
    }

    waitForAcl(rule, options) {
      return CloudMqtt.#run(this, "WaitForAcl", rule, options);
    }

    /** Reads the rules with `listAcls` and answers the query over them. */
    checkAccess(query, options) {
      const state = CloudMqtt.#call(this);
      const answer = call(async () => {
        // The query is checked before anything is sent.
        evaluateAccess([], query);
        return evaluateAccess(await CloudMqtt.#start(this, "ListAcls", [options], state), query);
      });
      return withResponse(answer, state);
    }

    plan(desired, options) {
      return CloudMqtt.#access(this, "Plan", desired, options);
    }

    apply(desired, options) {
      if (isSavedPlan(desired)) {
        // The core reads the plan's JSON, with the rules it reads a plan file by.
        return CloudMqtt.#access(this, "ApplySaved", JSON.stringify(desired), options);
      }
      return CloudMqtt.#access(this, "Apply", desired, options);
    }

    exportAccess(options) {
      return CloudMqtt.#access(this, "Export", options);
    }

    /**
     * What a call of `self` shares with its driver: the client's observer
     * and the last outcome (see `drive`).
     */
    static #call(self) {
      return { observer: #observer in Object(self) ? self.#observer : undefined, last: undefined };
    }

    /**
     * Runs an access method (`cloudmqtt-api/access` only) as a task made
     * for this call, with this driver, as `#run` does.
     */
    static #access(self, method, ...args) {
      const ours = #settings in Object(self);
      const options = args.at(-1);
      const state = CloudMqtt.#call(self);
      const driven = drive(
        () => {
          const inner = CloudMqtt.#inner(self);
          if (method === "Plan" || method === "Apply") checkDesired(args[0]);
          checkOptions(method, options);
          state.observer?.learn(method, args);
          return inner.access(wasm.AccessMethod[method], ...args);
        },
        ours ? self.#fetch : undefined,
        false,
        method === "Apply" || method === "ApplySaved" ? options?.onProgress : undefined,
        state,
      );
      return withResponse(driven, state);
    }

    /**
     * Runs `method` as a task made for this call, with this driver (a
     * method called without its client rejects); the promise has
     * `withResponse()`.
     */
    static #run(self, method, ...args) {
      const state = CloudMqtt.#call(self);
      return withResponse(CloudMqtt.#start(self, method, args, state), state);
    }

    /** Drives `method` with `args` for `#run`, sharing `state` with the driver. */
    static #start(self, method, args, state) {
      const ours = #settings in Object(self);
      return drive(
        () => {
          if (!ours) throw notClient();
          checkOptions(method, args.at(-1));
          state.observer?.learn(method, args);
          return clientFor(self.#settings).start(wasm.Method[method], ...args);
        },
        ours ? self.#fetch : undefined,
        false,
        undefined,
        state,
      );
    }

    /**
     * Walks the user list with a task made for it when the walk starts
     * (nothing is read before; a method called without its client fails
     * then).
     */
    static #walk(self, method, params, options) {
      const customFetch = #fetch in Object(self) ? self.#fetch : undefined;
      return walkUsers(
        () => {
          const inner = CloudMqtt.#inner(self);
          checkOptions(method, options);
          return inner.start(wasm.Method[method], params, options);
        },
        customFetch,
        CloudMqtt.#call(self),
      );
    }

    /**
     * The WebAssembly client for `self`'s settings (see `clientFor`): a
     * method called without its client fails.
     */
    static #inner(self) {
      if (#settings in Object(self)) return clientFor(self.#settings);
      throw notClient();
    }

    get [Symbol.toStringTag]() {
      return "CloudMqtt";
    }

    /** `CloudMqtt { baseUrl: "…" }`: the base URL, never the key. */
    toString() {
      return #baseUrl in Object(this) ? `CloudMqtt { baseUrl: ${JSON.stringify(this.#baseUrl)} }` : "CloudMqtt {}";
    }

    toJSON() {
      return #baseUrl in Object(this) ? { baseUrl: this.#baseUrl } : {};
    }

    [inspect]() {
      return this.toString();
    }

    [denoInspect]() {
      return this.toString();
    }
  }

  /** The error of a method called without its client. */
  function notClient() {
    return errorOf(
      "INVALID_INPUT",
      "invalid this: must be a CloudMqtt client (call the method on the client, or bind it)",
      { field: "this" },
    );
  }

  markClass(CloudMqtt, "CloudMqtt");

  // checkAccess, plan, apply and exportAccess exist only on the access
  // entry, whose module has them: the main entry's .wasm stays within its
  // size budget without them (see bench/README.md).
  if (!access) {
    for (const name of ["checkAccess", "plan", "apply", "exportAccess"]) delete CloudMqtt.prototype[name];
  }

  /**
   * Every user once, page by page: one task for the whole walk, ending at
   * each page with its users (see crates/wasm/src/pages.rs); the Rust
   * paginator decides the pages. Nothing runs before the first `next()`,
   * which rejects on a bad argument. `state` goes to the driver (see
   * `drive`).
   */
  async function* walkUsers(start, customFetch, state) {
    let task;
    try {
      task = start();
    } catch (thrown) {
      throw toError(thrown);
    }
    try {
      for (;;) {
        const batch = await drive(() => task, customFetch, true, undefined, state);
        if (batch === null) return;
        yield* batch;
      }
    } finally {
      task.free();
    }
  }

  /**
   * May a client read or write a topic under these rules? Pure and
   * synchronous (the module is loaded on first use). The rules cross as
   * JSON text and the core answers with the deciding rule's position (see
   * crates/wasm/src/access.rs).
   */
  function evaluateAccess(rules, query) {
    let answer;
    try {
      wasm ??= load();
      answer = wasm.evaluateAccess(Array.isArray(rules) ? JSON.stringify(rules) : undefined, query);
    } catch (thrown) {
      throw toError(thrown);
    }
    if (typeof answer !== "number") throw toError(answer);
    return answer < 0 ? { allowed: false, rule: null } : { allowed: (answer & 1) === 1, rule: rules[answer >> 1] };
  }

  /** A rule array's JSON text; anything else crosses as `undefined`, which the module rejects. */
  function ruleText(rules) {
    return Array.isArray(rules) ? JSON.stringify(rules) : undefined;
  }

  /**
   * Calls the access module's `name` with the rules' JSON text and `arg`
   * (and `more`, for a call that takes a third argument);
   * returns the parsed JSON report, whose rule positions the caller maps
   * back to its own rule objects.
   */
  function accessReport(name, rules, arg, more) {
    let answer;
    try {
      wasm ??= load();
      answer = wasm[name](ruleText(rules), arg, more);
    } catch (thrown) {
      throw toError(thrown);
    }
    if (typeof answer !== "string") throw toError(answer);
    return JSON.parse(answer);
  }

  /**
   * Runs rule tests over these rules: each case's outcome and what the
   * cases cover (see crates/wasm/src/access.rs). Pure and synchronous.
   */
  function testAccess(rules, cases) {
    const report = accessReport("testAccess", rules, cases);
    const rule = (index) => (index === null ? null : rules[index]);
    return {
      cases: report.cases.map((outcome) => ({ ...outcome, rule: rule(outcome.rule) })),
      passed: report.passed,
      failed: report.failed,
      coverage: { ...report.coverage, undecidedRules: report.coverage.undecidedRules.map(rule) },
    };
  }

  /**
   * The decision of a query, and why each of the nearest rules that did
   * not decide missed (see crates/wasm/src/access.rs). Pure and
   * synchronous.
   */
  function explainAccess(rules, query) {
    const report = accessReport("explainAccess", rules, query);
    return {
      allowed: report.allowed,
      rule: report.rule === null ? null : rules[report.rule],
      reason: report.reason,
      misses: report.misses.map((miss) => ({ rule: rules[miss.rule], why: miss.why })),
    };
  }

  /**
   * Who gains and who loses access from one rule list to another, as topic
   * filters with exceptions, exact rather than sampled (see
   * crates/access/src/diff.rs and crates/wasm/src/access.rs). Pure and
   * synchronous.
   */
  function diffAccess(oldRules, newRules, options) {
    return accessReport("diffAccess", oldRules, ruleText(newRules), options);
  }

  return access
    ? { CloudMqtt, CloudMqttError, ...families, evaluateAccess, testAccess, explainAccess, diffAccess }
    : { CloudMqtt, CloudMqttError, ...families };
}
