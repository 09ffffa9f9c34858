// Run by Deno: the `cloudmqtt-api/access` entry as Deno resolves it, and
// its web build (dist/access/browser.js, which fetches its own .wasm)
// imported by path, each planning against the test server whose API URL is
// the first argument. Prints one JSON line.
const byName = await import("cloudmqtt-api/access");
const web = await import(new URL("node_modules/cloudmqtt-api/dist/access/browser.js", `file://${Deno.cwd()}/`).href);
const desired = {
  users: { alice: { password: "deno-pw-1" }, carol: { password: "deno-pw-2" } },
  rules: [{ type: "pattern", pattern: "sensor/%u/data", read: true, write: true }],
};
const report = {};
for (const [name, lib] of [["byName", byName], ["web", web]]) {
  const api = new lib.CloudMqtt({ apiKey: "deno-key", baseUrl: Deno.args[0] });
  const { changes, missingPasswords } = await api.plan(desired);
  report[name] = { changes, missingPasswords };
}
report.resolved = import.meta.resolve("cloudmqtt-api/access");
console.log(JSON.stringify(report));
