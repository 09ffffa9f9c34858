// The calls every non-Node runtime makes, written for any runtime with
// fetch and WebAssembly. `lib` is the imported package, `baseUrl` the test
// server's API URL. Returns a JSON-ready report (see scenario-checks.mjs).
export const RUNTIME_KEY = "runtime-key-0042";

export async function runScenario(lib, baseUrl, { browser = false } = {}) {
  const { CloudMqtt, CloudMqttError } = lib;
  const report = {};
  try {
    const client = new CloudMqtt({ apiKey: RUNTIME_KEY, baseUrl, maxRetries: 0 });
    report.users = await client.listUsers();
    await client.createUser({ username: "runtime-user", password: "runtime-pass" });
    report.created = true;
    try {
      await client.getUser("missing");
      report.missing = "no error";
    } catch (error) {
      report.missing = {
        isCloudMqttError: error instanceof CloudMqttError,
        isError: error instanceof Error,
        name: error.name,
        code: error.code,
        status: error.status,
        serverMessage: error.serverMessage,
      };
    }
    report.user = await client.getUser("a/b");
    report.acls = await client.listAcls();
    report.walked = [];
    for await (const user of client.users({ pageSize: 10 })) report.walked.push(user.username);
    report.described = String(client);
    let texts = String(client) + JSON.stringify(client);
    try {
      await client.restartInstance();
      report.unauthorized = "no error";
    } catch (error) {
      report.unauthorized = { code: error.code, status: error.status, serverMessage: error.serverMessage };
      texts += error.message + error.stack + String(error);
    }
    try {
      await client.getUser(42);
      report.invalid = "no error";
    } catch (error) {
      report.invalid = { isCloudMqttError: error instanceof CloudMqttError, code: error.code, field: error.field };
    }
    try {
      const controller = new AbortController();
      controller.abort("stop");
      await client.listUsers({}, { signal: controller.signal });
      report.aborted = "no error";
    } catch (error) {
      report.aborted = { code: error.code };
    }
    const origin = baseUrl.replace(/\/api$/, "");
    try {
      await new CloudMqtt({ apiKey: RUNTIME_KEY, baseUrl: `${origin}/redirecting`, maxRetries: 0 }).listUsers();
      report.redirect = "no error";
    } catch (error) {
      report.redirect = { code: error.code, status: error.status, hasStatus: "status" in error, message: error.message };
      texts += error.message + error.stack;
    }
    try {
      await new CloudMqtt({ apiKey: RUNTIME_KEY, baseUrl, maxRetries: 0, timeoutMs: 300 }).getUser("slow");
      report.timeout = "no error";
    } catch (error) {
      report.timeout = { code: error.code };
    }
    const retrying = new CloudMqtt({ apiKey: RUNTIME_KEY, baseUrl, maxRetries: 2 });
    report.retried = await retrying.getUser("flaky");
    await retrying.waitForUser("alice", { intervalMs: 50, timeoutMs: 5000 });
    report.waited = true;
    // The logger, the hooks, withResponse and maxRetries, on the route
    // that fails every other time (a 503, then the retry succeeds).
    const lines = [];
    const log = (line) => lines.push(line);
    const seen = [];
    const observed = new CloudMqtt({
      apiKey: RUNTIME_KEY,
      baseUrl,
      maxRetries: 2,
      logLevel: "debug",
      logger: { debug: log, info: log, warn: log, error: log },
      onRequest: (info) => seen.push(`request ${info.method} ${info.attempt} ${Object.isFrozen(info)}`),
      onResponse: (info) => seen.push(`response ${info.attempt} ${info.status} ${typeof info.durationMs}`),
      onRetry: (info) => seen.push(`retry ${info.attempt} ${info.reason} ${info.status} ${typeof info.delayMs}`),
    });
    const { data, response } = await observed.getUser("flaky").withResponse();
    report.observed = { data, status: response.status, attempts: response.attempts, type: response.headers.get("content-type") };
    try {
      await observed.getUser("flaky", { maxRetries: 0 });
      report.noRetry = "no error";
    } catch (error) {
      report.noRetry = { code: error.code, status: error.status, attempts: error.attempts };
    }
    report.hooks = seen;
    // Durations and the server's address vary: the lines' shape does not.
    report.lines = lines.map((line) => line.split(baseUrl).join("URL").replace(/\d+(\.\d+)? ms/g, "T ms"));
    texts += lines.join("\n");
    if (browser) {
      // A server that does not allow this origin: the browser hides the
      // answer, which is a network error that says CORS may be why, with
      // fetch's own error as its cause, and is tried twice at most
      // whatever the retries allow.
      try {
        await new CloudMqtt({ apiKey: RUNTIME_KEY, baseUrl: `${origin}/nocors/api`, maxRetries: 4 }).listUsers();
        report.cors = "no error";
      } catch (error) {
        report.cors = { code: error.code, status: error.status };
        report.corsHinted = /CORS/.test(error.message);
        report.corsCause = error.cause instanceof Error;
        texts += error.message + error.stack;
      }
    }
    report.keyLeaked = texts.includes(RUNTIME_KEY);
  } catch (error) {
    report.fatal = `${error?.name}: ${error?.message} (code ${error?.code})`;
    report.stack = String(error?.stack);
  }
  return report;
}
