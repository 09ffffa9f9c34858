// Forwarding optional options must compile under
// exactOptionalPropertyTypes: a wrapper that takes `{ signal?: AbortSignal }`
// passes `opts.signal`, an `AbortSignal | undefined`, on to the client, and
// the client treats `undefined` as "not given" (every option does). That
// needs each optional option declared `name?: T | undefined`; where one is
// declared `name?: T`, the line forwarding it here fails with TS2379 or
// TS2375 and names the declaration. Each line forwards one option, so that
// each such declaration has an error of its own.
//
// Type-checked by docs.test.mjs with the READMEs' blocks (strict,
// noUncheckedIndexedAccess, exactOptionalPropertyTypes; node16 and bundler
// resolution). Nothing here runs.
import { CloudMqtt as AccessClient } from "cloudmqtt-api/access";
import { CloudMqtt, type WaitOptions } from "cloudmqtt-api";

/** Every optional value a wrapper might hold, each possibly undefined. */
export interface Maybe {
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
  intervalMs?: number | undefined;
  wait?: boolean | undefined;
  waitOptions?: WaitOptions | undefined;
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

// ClientOptions (`new CloudMqtt(options)`).
export function client(o: Maybe): CloudMqtt[] {
  return [
    new CloudMqtt({ apiKey: o.apiKey }),
    new CloudMqtt({ apiKey: "k", baseUrl: o.baseUrl }),
    new CloudMqtt({ apiKey: "k", encoding: o.encoding }),
    new CloudMqtt({ apiKey: "k", timeoutMs: o.timeoutMs }),
    new CloudMqtt({ apiKey: "k", maxRetries: o.maxRetries }),
    new CloudMqtt({ apiKey: "k", allowInsecureHttp: o.allowInsecureHttp }),
    new CloudMqtt({ apiKey: "k", fetch: o.fetch }),
  ];
}

// CallOptions, taken by every method.
export async function call(api: CloudMqtt, o: Maybe): Promise<void> {
  await api.listAcls({ signal: o.signal });
  await api.listAcls({ timeoutMs: o.timeoutMs });
}

// listUsers' and users()' parameters.
export async function page(api: CloudMqtt, o: Maybe): Promise<void> {
  await api.listUsers({ limit: o.limit });
  await api.listUsers({ page: o.page });
  await api.listUsers({ query: o.query });
  for await (const user of api.users({ query: o.query })) void user;
  for await (const user of api.users({ pageSize: o.pageSize })) void user;
}

// WaitFor's `wait` and WaitOptions, on a create.
export async function create(api: CloudMqtt, o: Maybe): Promise<void> {
  await api.createUser({ username: "u", password: "p" }, { wait: o.wait });
  await api.createUser({ username: "u", password: "p" }, { wait: { signal: o.signal } });
  await api.createUser({ username: "u", password: "p" }, { wait: { timeoutMs: o.timeoutMs } });
  await api.createUser({ username: "u", password: "p" }, { wait: { intervalMs: o.intervalMs } });
}

// waitForUser's and waitForAcl's `exists`.
export async function waitFor(api: CloudMqtt, o: Maybe): Promise<void> {
  await api.waitForUser("u", { exists: o.exists });
  await api.waitForAcl({ type: "topic", username: "u", pattern: "a/#" }, { exists: o.exists });
}

// The access entry: AccessQuery's `clientId`, PlanOptions, apply's own
// options, a desired user's `password`.
export async function access(api: AccessClient, o: Maybe): Promise<void> {
  await api.checkAccess({ username: "u", clientId: o.clientId, topic: "a/b", access: "read" });
  await api.plan({}, { prune: o.prune });
  await api.plan({}, { setPasswords: o.setPasswords });
  await api.plan({ users: { u: { password: o.password } } });
  await api.apply({}, { concurrency: o.concurrency });
  await api.apply({}, { onProgress: o.onProgress });
  await api.apply({}, { wait: o.waitOptions });
  await api.apply({}, { wait: { timeoutMs: o.timeoutMs } });
}
