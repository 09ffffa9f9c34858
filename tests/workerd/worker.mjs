// A Worker that imports the package by name (the config maps the name to
// the package's `workerd` export) and runs the shared scenario against the
// loopback test server named in env.API_URL. Whatever is printed through
// console.* goes into the report, which must show nothing printed.
import * as lib from "cloudmqtt-api";
import { runScenario } from "./scenario-client.mjs";

const printed = [];
for (const name of ["log", "info", "warn", "error", "debug", "trace", "dir", "dirxml", "table"]) {
  const original = console[name];
  console[name] = (...args) => {
    printed.push(`console.${name}: ${args.map((arg) => String(arg)).join(" ")}`);
    return original.apply(console, args);
  };
}

export default {
  async fetch(request, env) {
    if (new URL(request.url).pathname === "/__ping") return new Response("ok");
    const report = await runScenario(lib, env.API_URL);
    report.printed = printed;
    return new Response(JSON.stringify(report), { headers: { "content-type": "application/json" } });
  },
};
