// The public JavaScript API, shared by every runtime's entry point.
//
// `bind(wasm)` takes the wasm-bindgen exports (`WasmClient`) and returns the
// `CloudMqtt` client and the `CloudMqttError` class. This layer only adapts:
// it turns the plain error objects the WebAssembly module rejects with into
// `CloudMqttError`, offers the user list as an async iterator, and keeps the
// API key out of sight. Every decision (validation, retries, paging,
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

export function bind(wasm) {
  const { WasmClient } = wasm;

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
    #client;
    #baseUrl;

    constructor(options) {
      let client;
      try {
        client = new WasmClient(options);
      } catch (thrown) {
        throw toError(thrown);
      }
      this.#client = client;
      this.#baseUrl = client.baseUrl;
    }

    restartInstance(options) {
      return call(() => this.#client.restartInstance(options));
    }

    resetInstance(options) {
      return call(() => this.#client.resetInstance(options));
    }

    listUsers(params, options) {
      return call(() => this.#client.listUsers(params, options));
    }

    users(params, options) {
      return walkUsers(this.#client, params, options);
    }

    getUser(username, options) {
      return call(() => this.#client.getUser(username, options));
    }

    createUser(user, options) {
      return call(() => this.#client.createUser(user, options));
    }

    updateUserPassword(username, password, options) {
      return call(() => this.#client.updateUserPassword(username, password, options));
    }

    deleteUser(username, options) {
      return call(() => this.#client.deleteUser(username, options));
    }

    listAcls(options) {
      return call(() => this.#client.listAcls(options));
    }

    createAcl(rule, options) {
      return call(() => this.#client.createAcl(rule, options));
    }

    deleteAcl(rule, options) {
      return call(() => this.#client.deleteAcl(rule, options));
    }

    waitForUser(username, options) {
      return call(() => this.#client.waitForUser(username, options));
    }

    waitForAcl(rule, options) {
      return call(() => this.#client.waitForAcl(rule, options));
    }

    get [Symbol.toStringTag]() {
      return "CloudMqtt";
    }

    toJSON() {
      return { baseUrl: this.#baseUrl };
    }

    [inspect]() {
      return `CloudMqtt { baseUrl: ${JSON.stringify(this.#baseUrl)} }`;
    }

    [denoInspect]() {
      return `CloudMqtt { baseUrl: ${JSON.stringify(this.#baseUrl)} }`;
    }
  }

  /** Every user once, page by page; the Rust paginator decides the pages. */
  async function* walkUsers(client, params, options) {
    let pages;
    try {
      pages = client.userPages(params);
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

  return { CloudMqtt, CloudMqttError };
}
