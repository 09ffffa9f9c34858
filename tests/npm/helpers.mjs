// Shared helpers for the node:test suites. The suites run from a scratch
// project that installed the packed tarball, so `cloudmqtt-api` resolves
// exactly as it does for a user.
// quiet.mjs comes first: it records console output from the moment the
// package loads.
import { printed } from "./quiet.mjs";
import assert from "node:assert/strict";
import { after, before, beforeEach } from "node:test";
import * as api from "cloudmqtt-api";
import { CloudMqtt as AccessClient } from "cloudmqtt-api/access";
import { startServer } from "./server.mjs";

const { CloudMqtt, CloudMqttError } = api;

export { CloudMqtt, CloudMqttError, printed, startServer };

/** The subclass of CloudMqttError each code's errors are instances of. */
export const FAMILY = {
  INVALID_INPUT: "ValidationError",
  UNAUTHORIZED: "AuthenticationError",
  FORBIDDEN: "AuthenticationError",
  NOT_FOUND: "NotFoundError",
  ALREADY_EXISTS: "AlreadyExistsError",
  RATE_LIMITED: "RateLimitError",
  BAD_REQUEST: "ApiError",
  METHOD_NOT_ALLOWED: "ApiError",
  SERVER_ERROR: "ApiError",
  UNEXPECTED_STATUS: "ApiError",
  DECODE: "ApiError",
  NETWORK: "ConnectionError",
  TIMEOUT: "ConnectionError",
  ABORTED: "AbortError",
  WAIT_TIMEOUT: "WaitTimeoutError",
  STALE_PLAN: "StalePlanError",
  INTERNAL: "InternalError",
};

// Whatever a suite did, the package printed nothing.
after(() => {
  assert.deepEqual(printed, [], "the package printed to the console");
});

export const API_KEY = "k3y-S3cret-Value-4711";
export const AUTHORIZATION = `Basic ${Buffer.from(`:${API_KEY}`).toString("base64")}`;

/** A client for the test server. */
/** `{ changes, missingPasswords }` of a plan (a saved plan has more) or of an apply's result. */
export function brief(plan) {
  return { changes: plan.changes, missingPasswords: plan.missingPasswords };
}

export function clientFor(server, options = {}) {
  return new CloudMqtt({ apiKey: API_KEY, baseUrl: server.baseUrl, ...options });
}

/** A client of the `cloudmqtt-api/access` entry for the test server. */
export function accessClientFor(server, options = {}) {
  return new AccessClient({ apiKey: API_KEY, baseUrl: server.baseUrl, ...options });
}

/**
 * Runs `action` (a function, or a promise) and returns the CloudMqttError it
 * fails with, after checking its class, name and code. Synchronous throws
 * count too, so a caller can use it for constructors.
 */
export async function failure(action, code, message = "") {
  let error;
  let succeeded = false;
  try {
    await (typeof action === "function" ? action() : action);
    succeeded = true;
  } catch (caught) {
    error = caught;
  }
  assert.ok(!succeeded, `expected ${code}, but the call succeeded ${message}`);
  assert.ok(error instanceof CloudMqttError, `not a CloudMqttError: ${describe(error)} ${message}`);
  assert.ok(error instanceof Error, `not an Error: ${describe(error)}`);
  // The subclass of its code's family, exported by the package, named
  // after it; still a CloudMqttError.
  const family = FAMILY[code];
  assert.equal(error.name, family);
  assert.equal(error.constructor.name, family);
  assert.ok(error instanceof api[family], `not a ${family} ${message}`);
  assert.equal(error.code, code, `wrong code (message: ${error.message}) ${message}`);
  assert.equal(typeof error.message, "string");
  return error;
}

function describe(value) {
  try {
    return `${Object.prototype.toString.call(value)} ${String(value)} ${JSON.stringify(value)}`;
  } catch {
    return String(value);
  }
}

/** Milliseconds since `start`. */
export function since(start) {
  return Date.now() - start;
}

/** Waits `ms` milliseconds. */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Every text an error can show: message, stack, String, JSON, inspect. */
export async function errorTexts(error) {
  const { inspect } = await import("node:util");
  return [
    error.message,
    String(error.stack),
    String(error),
    JSON.stringify(error),
    inspect(error, { showHidden: true, depth: 10 }),
    String(error.serverMessage),
  ].join("\n");
}

/** Opens a server for a whole test file and closes it afterwards. */
export function useServer(options) {
  let server;
  before(async () => {
    server = await startServer(options);
  });
  after(async () => {
    await server?.close();
  });
  beforeEach(() => server.reset());
  return () => server;
}
