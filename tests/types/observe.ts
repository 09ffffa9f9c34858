// The typed surface of logging, hooks, withResponse() and per-call
// maxRetries; compiled with `tsc --noEmit --strict` like usage.ts.
import {
  CloudMqtt,
  CloudMqttError,
  type CallPromise,
  type CallResponse,
  type LogLevel,
  type Logger,
  type RequestHookInfo,
  type ResponseHookInfo,
  type RetryHookInfo,
  type User,
  type WithResponse,
} from "cloudmqtt-api";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | void {}

const lines: string[] = [];
const logger: Logger = {
  debug: (line) => lines.push(line),
  info: (line) => lines.push(line),
  warn: (line) => lines.push(line),
  error: (line) => lines.push(line),
};
const level: LogLevel = "debug";
const client = new CloudMqtt({
  logLevel: level,
  logger,
  onRequest: (info: RequestHookInfo) => lines.push(`${info.method} ${info.url} ${info.attempt}`),
  onResponse: (info: ResponseHookInfo) => lines.push(`${info.status ?? info.error ?? ""} ${info.durationMs}`),
  onRetry: (info: RetryHookInfo) => lines.push(`${info.reason} ${info.delayMs} ${info.retry}`),
});
new CloudMqtt({ logger: console, logLevel: "off" });

// @ts-expect-error not a level
new CloudMqtt({ logLevel: "verbose" });
// @ts-expect-error a logger has all four methods
new CloudMqtt({ logger: { debug: (line: string) => void line } });
new CloudMqtt({
  onRequest: (info) => {
    // @ts-expect-error info objects are read-only
    info.attempt = 2;
  },
});

export async function responses(): Promise<number> {
  const promise: CallPromise<User[]> = client.listUsers();
  const users: User[] = await promise;
  const both: WithResponse<User[]> = await client.listUsers({ limit: 10 }, { maxRetries: 0 }).withResponse();
  const response: CallResponse = both.response;
  const type: string | null = response.headers.get("content-type");
  assertType<Equal<typeof both.data, User[]>>();
  const { data } = await client.deleteUser("a", { wait: true, maxRetries: 3 }).withResponse();
  assertType<Equal<typeof data, void>>();
  // @ts-expect-error maxRetries is a number
  await client.listAcls({ maxRetries: "2" });
  try {
    await client.getUser("a");
  } catch (error) {
    if (error instanceof CloudMqttError) {
      const attempts: number | undefined = error.attempts;
      const headers: Headers | undefined = error.headers;
      void attempts;
      void headers;
    }
  }
  void type;
  return users.length + response.status + response.attempts;
}
