// Forwarding optional options must compile under
// exactOptionalPropertyTypes: a wrapper that takes `{ signal?: AbortSignal }`
// passes `opts.signal`, an `AbortSignal | undefined`, on to the client, and
// the client treats `undefined` as "not given" (every option does). That
// needs each optional option declared `name?: T | undefined`; where one is
// declared `name?: T`, the line forwarding it here fails with TS2379 or
// TS2375 and names the declaration.
//
// Type-checked by docs.test.mjs with the READMEs' blocks (strict,
// noUncheckedIndexedAccess, exactOptionalPropertyTypes; node16 and bundler
// resolution). Nothing here runs.
import { CloudMqtt as AccessClient } from "cloudmqtt-api/access";
import { CloudMqtt } from "cloudmqtt-api";

/** Every optional value a wrapper might hold, each possibly undefined. */
export interface Maybe {
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
  intervalMs?: number | undefined;
  wait?: boolean | undefined;
  apiKey?: string | undefined;
  baseUrl?: string | undefined;
  encoding?: "json" | "form" | undefined;
  maxRetries?: number | undefined;
  allowInsecureHttp?: boolean | undefined;
  fetch?: ((request: Request) => Promise<Response>) | undefined;
  limit?: number | undefined;
  page?: number | undefined;
  query?: string | undefined;
  pageSize?: number | undefined;
  exists?: boolean | undefined;
  prune?: boolean | undefined;
  setPasswords?: boolean | undefined;
  concurrency?: number | undefined;
  clientId?: string | undefined;
  password?: string | undefined;
  onProgress?: (() => void) | undefined;
}

// ClientOptions: every option.
export function client(opts: Maybe): CloudMqtt {
  return new CloudMqtt({
    apiKey: opts.apiKey,
    baseUrl: opts.baseUrl,
    encoding: opts.encoding,
    timeoutMs: opts.timeoutMs,
    maxRetries: opts.maxRetries,
    allowInsecureHttp: opts.allowInsecureHttp,
    fetch: opts.fetch,
  });
}

// CallOptions: `signal`, `timeoutMs`.
export async function names(api: CloudMqtt, opts: Maybe): Promise<string[]> {
  const users = await api.listUsers({}, { signal: opts.signal, timeoutMs: opts.timeoutMs });
  return users.map((user) => user.username);
}

// listUsers' and users()' parameters.
export async function page(api: CloudMqtt, opts: Maybe): Promise<void> {
  await api.listUsers({ limit: opts.limit, page: opts.page, query: opts.query });
  for await (const user of api.users({ query: opts.query, pageSize: opts.pageSize })) void user;
}

// WaitFor's `wait`, and WaitOptions: `signal`, `timeoutMs`, `intervalMs`.
export async function create(api: CloudMqtt, opts: Maybe): Promise<void> {
  await api.createUser({ username: "u", password: "p" }, { signal: opts.signal, wait: opts.wait });
  await api.deleteUser("u", {
    wait: { signal: opts.signal, timeoutMs: opts.timeoutMs, intervalMs: opts.intervalMs },
  });
}

// waitForUser's and waitForAcl's options: WaitOptions and `exists`.
export async function waitFor(api: CloudMqtt, opts: Maybe): Promise<void> {
  await api.waitForUser("u", { exists: opts.exists, signal: opts.signal, timeoutMs: opts.timeoutMs });
  await api.waitForAcl(
    { type: "topic", username: "u", pattern: "a/#" },
    { exists: opts.exists, intervalMs: opts.intervalMs },
  );
}

// The access entry: AccessQuery's `clientId`, PlanOptions, apply's options,
// a desired user's `password`.
export async function access(api: AccessClient, opts: Maybe): Promise<void> {
  await api.checkAccess({ username: "u", clientId: opts.clientId, topic: "a/b", access: "read" }, { signal: opts.signal });
  const desired = { users: { u: { password: opts.password } } };
  await api.plan(desired, { prune: opts.prune, setPasswords: opts.setPasswords, signal: opts.signal });
  await api.apply(desired, {
    prune: opts.prune,
    setPasswords: opts.setPasswords,
    concurrency: opts.concurrency,
    onProgress: opts.onProgress,
    wait: { timeoutMs: opts.timeoutMs, intervalMs: opts.intervalMs },
    signal: opts.signal,
    timeoutMs: opts.timeoutMs,
  });
  await api.exportAccess({ signal: opts.signal, timeoutMs: opts.timeoutMs });
}
