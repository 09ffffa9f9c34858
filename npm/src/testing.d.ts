/**
 * `cloudmqtt-api/testing`: the control API of `cloudmqtt-emulator` (the
 * routes under `/_emulator/` beside the API's `/api`), for tests that use
 * the emulator as a fixture. Plain JavaScript over `fetch`, no
 * WebAssembly.
 *
 * @example
 * import { beforeEach, test } from "node:test";
 * import assert from "node:assert/strict";
 * import { CloudMqtt } from "cloudmqtt-api";
 * import { emulatorControl } from "cloudmqtt-api/testing";
 *
 * const baseUrl = "http://127.0.0.1:41235/api"; // from the emulator's ready line
 * const apiKey = "dev-key";
 * const control = emulatorControl(baseUrl, apiKey);
 * const api = new CloudMqtt({ apiKey, baseUrl });
 *
 * beforeEach(() => control.reset());
 *
 * test("creates one user", async () => {
 *   await api.createUser({ username: "sensor-1", password: "s3cret" });
 *   const sent = await control.requests();
 *   assert.deepEqual(
 *     sent.map((entry) => `${entry.method} ${entry.path} ${entry.status}`),
 *     ["POST /api/user 204"],
 *   );
 * });
 */

/** A failed control call: a status the emulator answered, or no answer. */
export declare class EmulatorControlError extends Error {
  /**
   * @param message what failed, with the emulator's message when it sent one
   * @param details the status answered (`null` without an answer) and the
   *   underlying failure
   */
  constructor(message: string, details?: { status?: number | null | undefined; cause?: unknown });
  /** Always `"EmulatorControlError"`. */
  readonly name: "EmulatorControlError";
  /** The HTTP status the emulator answered; `null` when none came (or the call was refused before it was sent). */
  readonly status: number | null;
}

/** One API request in the emulator's journal. Secrets are `"[redacted]"`. */
export interface RequestEntry {
  /** Its sequence number: from 1, one more per request, never reused (not even after a reset). */
  seq: number;
  /** The method, e.g. `"POST"`. */
  method: string;
  /** The path, e.g. `"/api/user"`; the API key, should it appear, is `[redacted]`. */
  path: string;
  /** The query string without `?` (`""` when none), `password` values and the key redacted. */
  query: string;
  /** The status the emulator answered. */
  status: number;
  /** How long the answer took, in milliseconds. */
  durationMs: number;
  /** The body's fields (JSON, form or multipart) with every `password` redacted; `null` without a body. */
  body: unknown;
  /** Why the emulator's `--strict` found that the real API would not accept the request; absent otherwise. */
  flagged?: string;
}

/** A scoped fault: what the emulator does to the requests it matches. */
export interface FaultRule {
  /** The method it applies to (any case); every method when absent. */
  method?: string | undefined;
  /** The path it applies to, and every path below it by whole segments (`"/api/user"` matches `"/api/user/alice"`, not `"/api/users"`). */
  path: string;
  /** The status to answer instead of handling the request, 400 to 599. */
  status?: number | undefined;
  /** The `Retry-After` header in seconds, with `status` only. */
  retryAfter?: number | undefined;
  /** Milliseconds to add before answering, at most 60,000. */
  latencyMs?: number | undefined;
  /** How many more requests it applies to; it disappears at 0. Without it, it stays until replaced. */
  times?: number | undefined;
}

/** Options every control call takes. */
export interface ControlCallOptions {
  /** Cancels the call; it then rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
}

/** The control API of one running emulator. Every method returns a promise and rejects with an {@link EmulatorControlError}. */
export interface EmulatorControl {
  /**
   * The journal of API requests, oldest first (the emulator keeps the last 1,000).
   * @param options `since`: only the entries whose `seq` is above it
   */
  requests(options?: ControlCallOptions & { since?: number | undefined }): Promise<RequestEntry[]>;
  /** Empties the journal (sequence numbers go on). */
  clearRequests(options?: ControlCallOptions): Promise<void>;
  /** Removes every user, rule, pending change and scoped fault, empties the journal and rewrites the broker's files, in one step. */
  reset(options?: ControlCallOptions): Promise<void>;
  /**
   * Keeps the users, rules and pending changes under `name`, replacing a snapshot of that name.
   * @param name 1 to 64 letters, digits, `.`, `_` and `-`, starting with a letter or digit
   */
  snapshot(name: string, options?: ControlCallOptions): Promise<void>;
  /**
   * Brings back the state kept under `name`, the broker's files included; rejects with status 404 for an unknown name.
   * @param name a name given to {@link EmulatorControl.snapshot}
   */
  restore(name: string, options?: ControlCallOptions): Promise<void>;
  /**
   * Replaces the scoped faults; rejects with status 400 (and leaves them as they were) for a rule the emulator refuses.
   * @param rules the rules, tried in order: every match adds its latency, the first with a status answers
   */
  setFaults(rules: FaultRule[], options?: ControlCallOptions): Promise<void>;
  /** The scoped faults that remain, with what is left of their `times`. */
  faults(options?: ControlCallOptions): Promise<FaultRule[]>;
}

/**
 * The control API of a running `cloudmqtt-emulator`, called with its API key.
 * @param baseUrl the API's base URL as the emulator's ready line names it (`http://127.0.0.1:41235/api`), or its origin
 * @param apiKey the emulator's API key (sent as the Basic password, never shown in errors)
 * @param options `fetch`: the function to send requests with (default: the global `fetch`)
 * @example
 * const control = emulatorControl("http://127.0.0.1:41235/api", "dev-key");
 * await control.setFaults([{ method: "POST", path: "/api/acl", status: 429, retryAfter: 1, times: 3 }]);
 */
export declare function emulatorControl(
  baseUrl: string,
  apiKey: string,
  options?: { fetch?: typeof fetch | undefined },
): EmulatorControl;
