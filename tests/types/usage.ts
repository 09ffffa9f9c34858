// Exercises the whole typed surface of `cloudmqtt-api`; compiled with
// `tsc --noEmit --strict` against the installed package's declarations.
// Lines marked @ts-expect-error must be rejected by the types.
import {
  AbortError,
  AlreadyExistsError,
  ApiError,
  AuthenticationError,
  CloudMqtt,
  CloudMqttError,
  ConnectionError,
  InternalError,
  NotFoundError,
  RateLimitError,
  ValidationError,
  WaitTimeoutError,
  type AclRule,
  type CallOptions,
  type ClientOptions,
  type ErrorCode,
  type ErrorName,
  type NewAclRule,
  type User,
  type UserAcl,
  type UserInfo,
  type WaitFor,
  type WaitOptions,
} from "cloudmqtt-api";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | void {}

const options: ClientOptions = {
  apiKey: "key",
  baseUrl: "https://api.cloudmqtt.com/api",
  encoding: "form",
  timeoutMs: 10_000,
  maxRetries: 0,
  allowInsecureHttp: false,
  fetch: (request: Request) => fetch(request),
};
const client = new CloudMqtt(options);
new CloudMqtt({ apiKey: "only the key" });
// The key may come from CLOUDMQTT_API_KEY.
new CloudMqtt();
new CloudMqtt({ baseUrl: "http://127.0.0.1:1/api" });

// @ts-expect-error the key is a string
new CloudMqtt({ apiKey: 42 });
// @ts-expect-error encodings are json or form
new CloudMqtt({ apiKey: "k", encoding: "xml" });
// @ts-expect-error fetch takes a Request
new CloudMqtt({ apiKey: "k", fetch: (url: number) => fetch(String(url)) });

const controller = new AbortController();
const call: CallOptions = { signal: controller.signal, timeoutMs: 500 };
const wait: WaitOptions = { signal: controller.signal, timeoutMs: 60_000, intervalMs: 1_000 };
const waitFor: WaitFor = { wait: true };
const waitWith: WaitFor = { wait };

export async function everyMethod(): Promise<void> {
  const restarted: void = await client.restartInstance();
  const reset: void = await client.resetInstance(call);
  void restarted;
  void reset;

  const users: User[] = await client.listUsers();
  const page: User[] = await client.listUsers({ limit: 10, page: 2, query: "al" }, call);
  assertType<Equal<Awaited<ReturnType<CloudMqtt["listUsers"]>>, User[]>>();
  const firstName: string | undefined = users[0]?.username ?? page[0]?.username;
  void firstName;

  const iterator: AsyncIterableIterator<User> = client.users({ query: "a", pageSize: 50 }, call);
  for await (const user of iterator) {
    const name: string = user.username;
    void name;
  }
  for await (const user of client.users()) void user.username;

  const info: UserInfo = await client.getUser("alice", call);
  const acls: UserAcl[] = info.acls;
  const topic: string | undefined = acls[0]?.topic;
  const canRead: boolean | undefined = acls[0]?.read;
  void topic;
  void canRead;

  await client.createUser({ username: "bob", password: "secret" });
  await client.createUser({ username: "bob", password: "secret" }, { ...call, ...waitFor });
  await client.createUser({ username: "bob", password: "secret" }, { wait: { intervalMs: 100 } });
  await client.updateUserPassword("bob", "new secret", call);
  await client.deleteUser("bob", waitWith);
  await client.deleteUser("bob", { signal: controller.signal, wait: false });

  const rules: AclRule[] = await client.listAcls(call);
  for (const rule of rules) {
    const kind: "topic" | "pattern" = rule.type;
    const owner: string | null = rule.username;
    void kind;
    void owner;
  }

  const topicRule: NewAclRule = { type: "topic", username: "bob", pattern: "bob/#", read: true, write: false };
  const patternRule: NewAclRule = { type: "pattern", pattern: "sensor/%u/+", read: true, write: true };
  await client.createAcl(topicRule, { wait: true });
  await client.createAcl(patternRule);
  await client.deleteAcl({ username: "bob", topic: "bob/#" }, { wait: { timeoutMs: 1000 } });
  await client.deleteAcl({ type: "topic", username: "bob", topic: "bob/#" });
  await client.deleteAcl({ type: "pattern", topic: "home/%u/#" }, { wait: true });

  await client.waitForUser("bob");
  await client.waitForUser("bob", { ...wait, exists: false });
  await client.waitForAcl({ type: "topic", username: "bob", pattern: "bob/#" });
  await client.waitForAcl({ type: "pattern", username: null, pattern: "sensor/%u/+" }, { exists: false, intervalMs: 10 });
  await client.waitForAcl({ type: "pattern", pattern: "x" });
}

export function misuse(): void {
  // @ts-expect-error a pattern rule has no username
  const withUser: NewAclRule = { type: "pattern", username: "bob", pattern: "p", read: true, write: true };
  // @ts-expect-error a topic rule needs its username
  const withoutUser: NewAclRule = { type: "topic", pattern: "p", read: true, write: true };
  // @ts-expect-error only topic and pattern rules exist
  const bogus: NewAclRule = { type: "other", pattern: "p", read: true, write: true };
  // @ts-expect-error read is a boolean
  const stringly: NewAclRule = { type: "pattern", pattern: "p", read: "yes", write: true };
  void withUser;
  void withoutUser;
  void bogus;
  void stringly;

  // @ts-expect-error user names are strings
  void client.getUser(42);
  // @ts-expect-error createUser needs a password
  void client.createUser({ username: "bob" });
  // @ts-expect-error deleteAcl takes a topic, not a pattern
  void client.deleteAcl({ username: "bob", pattern: "p" });
  // @ts-expect-error a pattern rule has no user
  void client.deleteAcl({ type: "pattern", username: "bob", topic: "p" });
  // @ts-expect-error a topic rule names its user
  void client.deleteAcl({ type: "topic", topic: "p" });
  // @ts-expect-error updateUserPassword takes no wait option
  void client.updateUserPassword("bob", "pw", { wait: true });
  // @ts-expect-error listUsers has no pageSize (that is users())
  void client.listUsers({ pageSize: 10 });
  // @ts-expect-error users() returns an iterator, not a promise
  const notAPromise: Promise<User[]> = client.users();
  void notAPromise;
  // @ts-expect-error waitForUser's exists is a boolean
  void client.waitForUser("bob", { exists: "no" });
}

export function errors(error: unknown): string {
  if (error instanceof CloudMqttError) {
    const base: Error = error;
    const name: ErrorName = error.name;
    const code: ErrorCode = error.code;
    const status: number | undefined = error.status;
    const serverMessage: string | undefined = error.serverMessage;
    const retryAfterMs: number | undefined = error.retryAfterMs;
    const field: string | undefined = error.field;
    void base;
    void name;
    void status;
    void serverMessage;
    void retryAfterMs;
    void field;
    // @ts-expect-error the error's fields are read-only
    error.code = "NETWORK";
    // @ts-expect-error codes are a closed set
    const unknownCode: ErrorCode = "SOMETHING_ELSE";
    void unknownCode;
    switch (code) {
      case "INVALID_INPUT":
      case "UNAUTHORIZED":
      case "FORBIDDEN":
      case "NOT_FOUND":
      case "METHOD_NOT_ALLOWED":
      case "RATE_LIMITED":
      case "BAD_REQUEST":
      case "SERVER_ERROR":
      case "UNEXPECTED_STATUS":
      case "DECODE":
      case "NETWORK":
      case "TIMEOUT":
      case "ABORTED":
      case "WAIT_TIMEOUT":
      case "STALE_PLAN":
      case "ALREADY_EXISTS":
      case "INTERNAL":
        return code;
      default: {
        const never: never = code;
        return never;
      }
    }
  }
  return "other";
}

// Each code family's subclass narrows what comes with its code.
export function families(error: unknown): string {
  if (error instanceof NotFoundError) {
    const status: 404 = error.status;
    const code: "NOT_FOUND" = error.code;
    const name: "NotFoundError" = error.name;
    const base: CloudMqttError = error;
    void base;
    return `${name} ${code} ${status}`;
  }
  if (error instanceof ValidationError) {
    const field: string = error.field;
    // @ts-expect-error nothing was sent, so there is no status
    const status: number = error.status;
    void status;
    return field;
  }
  if (error instanceof RateLimitError) {
    const status: 429 = error.status;
    const after: number | undefined = error.retryAfterMs;
    return `${status} ${after}`;
  }
  if (error instanceof AlreadyExistsError) {
    const status: 400 | 409 = error.status;
    const said: string = error.serverMessage;
    return `${status} ${said}`;
  }
  if (error instanceof AuthenticationError) {
    const code: "UNAUTHORIZED" | "FORBIDDEN" = error.code;
    return code;
  }
  if (error instanceof ConnectionError) {
    const code: "NETWORK" | "TIMEOUT" = error.code;
    const cause: unknown = error.cause;
    return `${code} ${String(cause)}`;
  }
  if (error instanceof ApiError || error instanceof AbortError || error instanceof WaitTimeoutError) {
    return error.code;
  }
  if (error instanceof InternalError) {
    const cause: unknown = error.cause;
    return String(cause);
  }
  return "other";
}

// The slim entry: the same client, plus init().
import { init, CloudMqtt as SlimClient, type WasmSource } from "cloudmqtt-api/slim";

export async function slim(source: WasmSource): Promise<string> {
  await init(source);
  await init(new URL("https://cdn.example.test/cloudmqtt_api_wasm_bg.wasm"));
  return String(new SlimClient({ apiKey: "k" }));
}
