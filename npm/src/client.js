// The public JavaScript API, shared by every runtime's entry point.
//
// `bind(load)` takes `load()`, which returns the wasm-bindgen glue's exports
// (`WasmClient`, `Method`) with the WebAssembly module instantiated; it runs
// on the first `new CloudMqtt()` (each entry point decides where the module
// comes from), so importing the package loads and compiles nothing. It
// returns the `CloudMqtt` client and the `CloudMqttError` class.
//
// Adding a method: a `Method` variant and its arm in `WasmClient::run`
// (crates/wasm), then one line here, `return CloudMqtt.#run(this,
// "TheMethod", ...args)`, and its declaration in index.d.ts.
//
// This layer only adapts: it turns the plain error objects the WebAssembly
// module rejects with into `CloudMqttError`, offers the user list as an
// async iterator, and keeps the API key out of sight. Every decision (validation, retries, paging,
// polling) is made by the Rust core.

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
]);

const inspect = Symbol.for("nodejs.util.inspect.custom");
const denoInspect = Symbol.for("Deno.customInspect");

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
  Object.defineProperty(CloudMqttError.prototype, "name", {
    value: "CloudMqttError",
    writable: true,
    configurable: true,
  });

  /** Turns whatever a call threw into a CloudMqttError. */
  function toError(thrown) {
    if (thrown instanceof CloudMqttError) return thrown;
    if (
      thrown !== null &&
      typeof thrown === "object" &&
      !(thrown instanceof Error) &&
      CODES.has(thrown.code)
    ) {
      return new CloudMqttError(thrown.code, String(thrown.message), thrown);
    }
    // Not one of the module's own errors: the WebAssembly module itself
    // failed (it should not). Report it as a failed call, keeping the
    // original as `cause`.
    const error = new CloudMqttError(
      "NETWORK",
      `internal error: ${thrown instanceof Error ? thrown.message : String(thrown)}`,
    );
    Object.defineProperty(error, "cause", { value: thrown });
    return error;
  }

  async function call(run) {
    try {
      return await run();
    } catch (thrown) {
      throw toError(thrown);
    }
  }

  /** A client for the CloudMQTT management API. */
  class CloudMqtt {
    /** The options, copied once; each call builds its WebAssembly client from them. */
    #settings;
    #baseUrl;

    constructor(options) {
      // Instantiates the module on the first construction: importing the
      // package compiles nothing. Throws (a plain Error) only where the
      // module cannot be had (`cloudmqtt-api/slim` before `init()`).
      wasm ??= load();
      // A client keeps no WebAssembly object between calls: each call makes
      // its own from these settings and frees it when it ends, so clients
      // made per request (the Worker pattern) leave nothing behind and
      // need no `.free()`. The copy is what gets checked here and used later.
      let settings = options;
      if (options !== null && typeof options === "object") {
        // Own and inherited enumerable properties, each read once.
        settings = {};
        for (const key in options) settings[key] = options[key];
      }
      let client;
      try {
        client = new wasm.WasmClient(settings);
      } catch (thrown) {
        throw toError(thrown);
      }
      this.#baseUrl = client.baseUrl;
      client.free();
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
      return walkUsers(() => CloudMqtt.#inner(this), params, options);
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
      return call(async () => {
        // The query is checked before anything is sent.
        evaluateAccess([], query);
        return evaluateAccess(await CloudMqtt.#run(this, "ListAcls", options), query);
      });
    }

    plan(desired, options) {
      return CloudMqtt.#access(this, "Plan", desired, options);
    }

    apply(desired, options) {
      return CloudMqtt.#access(this, "Apply", desired, options);
    }

    exportAccess(options) {
      return CloudMqtt.#access(this, "Export", options);
    }

    /** Runs an access method (`cloudmqtt-api/access` only), as `#run` does. */
    static #access(self, method, ...args) {
      return call(() => {
        const client = CloudMqtt.#inner(self);
        try {
          return client.access(wasm.AccessMethod[method], ...args);
        } finally {
          client.free();
        }
      });
    }

    /**
     * Runs `method` on a WebAssembly client made for this call; the call's
     * work holds what it needs until it settles.
     */
    static #run(self, method, ...args) {
      return call(() => {
        const client = CloudMqtt.#inner(self);
        try {
          return client.run(wasm.Method[method], ...args);
        } finally {
          client.free();
        }
      });
    }

    /**
     * A WebAssembly client for `self`'s settings (the caller frees it): a
     * method called without its client fails.
     */
    static #inner(self) {
      if (#settings in Object(self)) return new wasm.WasmClient(self.#settings);
      throw new CloudMqttError(
        "INVALID_INPUT",
        "invalid this: must be a CloudMqtt client (call the method on the client, or bind it)",
        { field: "this" },
      );
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

  // plan, apply and exportAccess exist only on the access entry, whose
  // module has them.
  if (!access) {
    for (const name of ["plan", "apply", "exportAccess"]) delete CloudMqtt.prototype[name];
  }

  /**
   * Every user once, page by page; the Rust paginator decides the pages.
   * Nothing runs before the first `next()`, which rejects on a bad argument.
   */
  async function* walkUsers(client, params, options) {
    let pages;
    try {
      const inner = client();
      try {
        pages = inner.userPages(params);
      } finally {
        inner.free();
      }
    } catch (thrown) {
      throw toError(thrown);
    }
    try {
      for (;;) {
        let batch;
        try {
          batch = await pages.next(options);
        } catch (thrown) {
          throw toError(thrown);
        }
        if (batch === null) return;
        yield* batch;
      }
    } finally {
      pages.free();
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

  return { CloudMqtt, CloudMqttError, evaluateAccess };
}
