// `cloudmqtt-api/testing`: the control API of cloudmqtt-emulator (the
// routes under /_emulator/ beside the API's /api), for tests that use the
// emulator as a fixture. Plain JavaScript with fetch: no WebAssembly.

/** A failed control call: the emulator's status and message. */
export class EmulatorControlError extends Error {
  /**
   * @param {string} message
   * @param {{ status?: number | null, cause?: unknown }} [details]
   */
  constructor(message, details = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "EmulatorControlError";
    this.status = details.status ?? null;
  }
}

/** The Basic credentials for a key: an empty user name, the key as password. */
function authorization(apiKey) {
  const bytes = new TextEncoder().encode(`:${apiKey}`);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `Basic ${btoa(binary)}`;
}

/** The control API's root for the API's base URL (its origin + /_emulator). */
function controlRoot(baseUrl) {
  let url;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new EmulatorControlError(`baseUrl: not a URL: ${JSON.stringify(String(baseUrl))}`);
  }
  return `${url.origin}/_emulator`;
}

/** A fault rule as the emulator takes it (snake_case). */
function ruleToWire(rule, index) {
  if (rule === null || typeof rule !== "object") {
    throw new EmulatorControlError(`rules[${index}]: must be an object`);
  }
  const names = { method: "method", path: "path", status: "status", retryAfter: "retry_after", latencyMs: "latency_ms", times: "times" };
  const wire = {};
  for (const [key, value] of Object.entries(rule)) {
    if (!(key in names)) {
      throw new EmulatorControlError(`rules[${index}].${key}: unknown key (known: ${Object.keys(names).join(", ")})`);
    }
    if (value !== undefined) wire[names[key]] = value;
  }
  return wire;
}

/** A fault rule as the emulator shows it, in camelCase. */
function ruleFromWire(rule) {
  const out = { path: rule.path };
  if (rule.method !== undefined) out.method = rule.method;
  if (rule.status !== undefined) out.status = rule.status;
  if (rule.retry_after !== undefined) out.retryAfter = rule.retry_after;
  if (rule.latency_ms !== undefined) out.latencyMs = rule.latency_ms;
  if (rule.times !== undefined) out.times = rule.times;
  return out;
}

/** A journal entry in camelCase. */
function entryFromWire(entry) {
  const out = {
    seq: entry.seq,
    method: entry.method,
    path: entry.path,
    query: entry.query,
    status: entry.status,
    durationMs: entry.duration_ms,
    body: entry.body,
  };
  if (entry.flagged !== undefined) out.flagged = entry.flagged;
  return out;
}

/** A snapshot name as one path segment. */
function snapshotPath(name, suffix = "") {
  if (typeof name !== "string" || name === "") {
    throw new EmulatorControlError("name: must be a non-empty string");
  }
  return `snapshots/${encodeURIComponent(name)}${suffix}`;
}

/**
 * The control API of a running cloudmqtt-emulator.
 *
 * @param {string} baseUrl the API's base URL as the emulator's ready line
 *   names it (`http://127.0.0.1:41235/api`), or its origin
 * @param {string} apiKey the emulator's API key
 * @param {{ fetch?: typeof fetch }} [options]
 */
export function emulatorControl(baseUrl, apiKey, options = {}) {
  if (typeof apiKey !== "string" || apiKey === "") {
    throw new EmulatorControlError("apiKey: must be a non-empty string");
  }
  const root = controlRoot(baseUrl);
  const auth = authorization(apiKey);
  const send = options.fetch ?? globalThis.fetch;

  async function call(method, path, { body, signal } = {}) {
    const headers = { authorization: auth, accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    let response;
    try {
      response = await send(`${root}/${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (error) {
      if (signal?.aborted) throw signal.reason ?? error;
      throw new EmulatorControlError(`${method} /_emulator/${path}: no answer (${error?.message ?? error})`, { cause: error });
    }
    const text = await response.text();
    let data = null;
    if (text !== "") {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!response.ok) {
      const said = data && typeof data.error === "string" ? data.error : `status ${response.status}`;
      throw new EmulatorControlError(`${method} /_emulator/${path}: ${response.status}: ${said}`, { status: response.status });
    }
    return data;
  }

  return {
    async requests({ since, signal } = {}) {
      if (since !== undefined && !(Number.isSafeInteger(since) && since >= 0)) {
        throw new EmulatorControlError("since: must be a whole number, 0 or more");
      }
      const path = since === undefined ? "requests" : `requests?since=${since}`;
      const entries = await call("GET", path, { signal });
      return entries.map(entryFromWire);
    },
    async clearRequests({ signal } = {}) {
      await call("DELETE", "requests", { signal });
    },
    async reset({ signal } = {}) {
      await call("POST", "reset", { signal });
    },
    async snapshot(name, { signal } = {}) {
      await call("POST", snapshotPath(name), { signal });
    },
    async restore(name, { signal } = {}) {
      await call("POST", snapshotPath(name, "/restore"), { signal });
    },
    async setFaults(rules, { signal } = {}) {
      if (!Array.isArray(rules)) throw new EmulatorControlError("rules: must be an array");
      await call("PUT", "faults", { body: { rules: rules.map(ruleToWire) }, signal });
    },
    async faults({ signal } = {}) {
      const shown = await call("GET", "faults", { signal });
      return shown.rules.map(ruleFromWire);
    },
  };
}
