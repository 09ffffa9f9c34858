// The baseline the benchmark compares the package with: a minimal plain-JS
// client, written for the benchmark and never shipped. For `listUsers` it
// does what the package does, the way a careful hand-written client would:
//
// - validates the arguments (limit 1–1000, page from 1, query a string
//   without control characters, options an object, timeoutMs positive);
// - builds the URL and the Basic auth header (the header once, at
//   construction);
// - sends one `fetch` per attempt with a per-attempt timeout (and the
//   caller's signal when given), credentials omitted, redirects not followed;
// - checks the status (any 2xx), and on 429 / 5xx / network errors keeps
//   the retry bookkeeping (attempt count; `maxRetries` 0 in the benchmark);
// - decodes the JSON and checks every item (a bare list or `{ items }`,
//   `username` or `user`, a string), returning fresh `{ username }` objects.
//
// It is deliberately no faster and no slower than such code: no caching of
// results, no skipped checks.

const MAX_LIMIT = 1000;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export class BaselineError extends Error {
  constructor(code, message, status) {
    super(message);
    this.code = code;
    if (status !== undefined) this.status = status;
  }
}

function invalid(field, reason) {
  return new BaselineError("INVALID_INPUT", `invalid ${field}: ${reason}`);
}

export class BaselineClient {
  #base;
  #auth;
  #timeoutMs;
  #maxRetries;
  #fetch;

  constructor({ apiKey, baseUrl = "https://api.cloudmqtt.com/api", timeoutMs = 30000, maxRetries = 2, fetch: fetchFn } = {}) {
    if (typeof apiKey !== "string" || apiKey === "" || CONTROL.test(apiKey)) throw invalid("apiKey", "must be a non-empty string");
    if (typeof baseUrl !== "string" || !/^https?:\/\/[^/]/.test(baseUrl)) throw invalid("baseUrl", "must be an http(s) URL");
    this.#base = baseUrl.replace(/\/+$/, "");
    this.#auth = `Basic ${btoa(`:${apiKey}`)}`;
    this.#timeoutMs = timeoutMs;
    this.#maxRetries = maxRetries;
    this.#fetch = fetchFn ?? globalThis.fetch;
  }

  async listUsers(params = {}, options = {}) {
    if (params === null || typeof params !== "object") throw invalid("params", "must be an object");
    if (options === null || typeof options !== "object") throw invalid("options", "must be an object");
    const { limit, page, query } = params;
    const search = new URLSearchParams();
    if (limit !== undefined) {
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw invalid("limit", "must be from 1 to 1000");
      search.set("limit", String(limit));
    }
    if (page !== undefined) {
      if (!Number.isInteger(page) || page < 1) throw invalid("page", "must be 1 or more");
      search.set("page", String(page));
    }
    if (query !== undefined && query !== "") {
      if (typeof query !== "string" || CONTROL.test(query)) throw invalid("query", "must be a string without control characters");
      search.set("query", query);
    }
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    if (typeof timeoutMs !== "number" || !(timeoutMs >= 1)) throw invalid("timeoutMs", "must be a positive number");
    const qs = search.toString();
    const url = `${this.#base}/user${qs ? `?${qs}` : ""}`;

    for (let attempt = 0; ; attempt++) {
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
      let response;
      try {
        response = await this.#fetch(url, {
          method: "GET",
          headers: { authorization: this.#auth, accept: "application/json" },
          credentials: "omit",
          redirect: "manual",
          signal,
        });
      } catch (error) {
        if (options.signal?.aborted) throw new BaselineError("ABORTED", "aborted");
        if (attempt < this.#maxRetries) continue;
        throw new BaselineError(timeout.aborted ? "TIMEOUT" : "NETWORK", String(error));
      }
      const text = await response.text();
      if (response.status === 429 || response.status >= 500) {
        if (attempt < this.#maxRetries) continue;
      }
      if (response.status < 200 || response.status > 299) {
        throw new BaselineError("UNEXPECTED_STATUS", `status ${response.status}`, response.status);
      }
      return decodeUsers(text);
    }
  }
}

/** Decodes and checks a user list: every item must name a user. */
export function decodeUsers(text) {
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    throw new BaselineError("DECODE", "invalid JSON");
  }
  const items = Array.isArray(data) ? data : data !== null && typeof data === "object" && Array.isArray(data.items) ? data.items : null;
  if (items === null) throw new BaselineError("DECODE", "not a list of users");
  const users = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const name = typeof item === "string" ? item : item !== null && typeof item === "object" ? (item.username ?? item.user) : undefined;
    if (typeof name !== "string") throw new BaselineError("DECODE", `item ${i} has no user name`);
    users[i] = { username: name };
  }
  return users;
}
